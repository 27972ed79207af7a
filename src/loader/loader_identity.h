// What a dynamic loader is, read from its own bytes without running it: glibc's ld.so or musl's, its version, its
// built-in system directories, $LIB, the glibc-hwcaps subdirectories it knows, and whether it takes --argv0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  std::string lib;                       // $LIB (DL_DST_LIB): upstream notdir of the first system directory
                                         // ("lib64"); Debian's multiarch loaders: "lib/x86_64-linux-gnu"
  std::vector<std::string> hwcaps_subdirs;  // glibc-hwcaps names present in the loader, best first
  bool has_argv0 = false;                   // glibc >= 2.33 (--argv0); musl's loader takes --argv0 too (1.1.?+)
  bool has_library_path = false;            // --library-path option
  bool has_inhibit_cache = false;           // --inhibit-cache option (glibc)
  bool has_legacy_hwcaps = false;           // glibc < 2.37 also searches legacy hwcap subdirectories (tls, x86_64...)
  uint16_t machine = 0;
  uint8_t elf_class = 0;
  // Facts that did not come from the loader but from the per-machine table, said so to the user.
  bool from_fallback_table = false;
  // Added by loader-facts:
  bool version_is_lower_bound = false;  // no banner (glibc < 2.33): version is the highest GLIBC_ version defined
  std::string musl_arch;                // musl: LDSO_ARCH from its "musl libc (x86_64)" banner
  std::string musl_path_file;           // musl: "/etc/ld-musl-x86_64.path" (before the prefix musl_path_file() adds)
};

// Identifies the loader whose bytes and parsed object are given. A file that is not a loader (has PT_INTERP, or
// DT_NEEDED, or no recognisable glibc/musl strings) gives flavour unknown, not an error; an error is only for
// unreadable bytes.
Expected<LoaderIdentity> identify_loader(const elf::ByteSource& source, const elf::ElfObject& object);

// What to assume when the program's loader cannot be found or read: the usual glibc facts for its machine
// (from_fallback_table set). `loader_path`, the loader that was looked for, decides musl over glibc.
LoaderIdentity fallback_identity(const elf::ElfObject& program, std::string_view loader_path);
// The same for the program's own PT_INTERP.
LoaderIdentity fallback_identity(const elf::ElfObject& program);

// True when the loader is glibc's and its release, read from its banner, is MAJOR.MINOR or later (false for a
// banner-less glibc < 2.33, whose version is only a lower bound, and for musl).
bool glibc_at_least(const LoaderIdentity& identity, int major, int minor);

// Added by loader-facts. musl ldso/dynlink.c: the path file a musl loader named `loader_path` (its PT_INTERP as the
// program gives it) reads: the path up to the slash before its last directory, then /etc/ld-musl-ARCH.path.
std::string musl_path_file(const LoaderIdentity& identity, std::string_view loader_path);

// The system search path of that musl loader with `root` as '/': the path file's elements (split at ':' and
// newlines) when it exists, none when it exists but cannot be read, else the loader's built-in default.
std::vector<std::string> musl_system_dirs(const LoaderIdentity& identity, const std::string& root,
                                          std::string_view loader_path);

}  // namespace elfrun::loader
