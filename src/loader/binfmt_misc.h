// binfmt_misc: the handlers the kernel has for files it cannot run itself (qemu-user-binfmt registers one per foreign
// machine), as /proc/sys/fs/binfmt_misc shows them, and which of them the kernel would pick for a file. `run` execs a
// foreign program directly when an enabled handler takes it; `why` reports the handler. Parsers take text, so that
// tests feed them the kernel's formats directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elf/byte_view.h"

namespace elfrun::loader {

// Where the kernel's binfmt_misc file system is mounted (Linux Documentation/admin-guide/binfmt-misc.rst).
inline constexpr std::string_view kBinfmtMiscDir = "/proc/sys/fs/binfmt_misc";

// One entry of a binfmt_misc directory (Linux fs/binfmt_misc.c, its entry_status format).
struct BinfmtHandler {
  std::string name;
  bool enabled = false;
  std::string interpreter;
  std::string flags;     // "POCF"...: P preserve argv[0], O open the binary, C credentials, F interpreter opened now
  bool by_magic = true;  // else by extension
  uint64_t offset = 0;
  std::string magic;      // raw bytes
  std::string mask;       // raw bytes, as long as magic; empty: every bit counts
  std::string extension;  // by_magic false: the file name extension, without the dot

  bool has_flag(char flag) const { return flags.find(flag) != std::string::npos; }
};

// Parses the text of one entry file; nullopt when it is not an entry ("register", "status", garbage).
std::optional<BinfmtHandler> parse_binfmt_entry(std::string name, std::string_view text);

// Every entry of a binfmt_misc directory, by name; `mounted` says whether binfmt_misc is there at all (its "status"
// file). The "status" file saying "disabled" turns every handler off (fs/binfmt_misc.c: `enabled` is global too):
// the entries are then returned with enabled false.
std::vector<BinfmtHandler> read_binfmt_misc(const std::string& dir, bool& mounted);

// The first enabled handler matching a file (its first bytes, or its name's extension), as the kernel's
// search_binfmt_handler does; nullptr when none.
const BinfmtHandler* match_binfmt(const std::vector<BinfmtHandler>& handlers, elf::ByteView head,
                                  std::string_view path);

// match_binfmt's handler when it is a qemu-user one: its interpreter is qemu-ARCH(-static) itself, or Debian's
// /usr/libexec/qemu-binfmt/ARCH-binfmt-P (a symlink to it); nullptr otherwise. One answer for why and fix.
const BinfmtHandler* match_qemu_binfmt(const std::vector<BinfmtHandler>& handlers, elf::ByteView head,
                                       std::string_view path);

}  // namespace elfrun::loader
