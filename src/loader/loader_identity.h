// What a dynamic loader is, read from its own bytes without running it: glibc's ld.so or musl's, its version, its
// built-in system directories, $LIB, the glibc-hwcaps subdirectories it knows, and whether it takes --argv0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "util/expected.h"

namespace elfrun::loader {

enum class Flavour : uint8_t { glibc, musl, unknown };

struct LoaderIdentity {
  Flavour flavour = Flavour::unknown;
  std::string version;                   // "2.36" (glibc), "1.2.3" (musl); empty when not found
  std::vector<std::string> system_dirs;  // glibc's SYSTEM_DIRS in order, without trailing '/':
                                         // {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"}
  std::string lib;                       // $LIB: notdir of the first system directory ("x86_64-linux-gnu", "lib64")
  std::vector<std::string> hwcaps_subdirs;  // glibc-hwcaps names present in the loader, best first
  bool has_argv0 = false;                // glibc >= 2.33 (--argv0); musl's loader takes --argv0 too (1.1.?+)
  bool has_library_path = false;         // --library-path option
  bool has_inhibit_cache = false;        // --inhibit-cache option (glibc)
  bool has_legacy_hwcaps = false;        // glibc < 2.37 also searches legacy hwcap subdirectories (tls, x86_64...)
  uint16_t machine = 0;
  uint8_t elf_class = 0;
  // Facts that did not come from the loader but from the per-machine table, said so to the user.
  bool from_fallback_table = false;
};

// Identifies the loader whose bytes and parsed object are given. A file that is not a loader (has PT_INTERP, or
// DT_NEEDED, or no recognisable glibc/musl strings) gives flavour unknown, not an error; an error is only for
// unreadable bytes.
Expected<LoaderIdentity> identify_loader(const elf::ByteSource& source, const elf::ElfObject& object);

// What to assume when the program's loader cannot be found or read: the usual glibc facts for its machine
// (from_fallback_table set).
LoaderIdentity fallback_identity(const elf::ElfObject& program);

}  // namespace elfrun::loader
