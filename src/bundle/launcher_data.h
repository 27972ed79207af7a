// The launcher of a bundle (bin/NAME): which launcher a program gets, and the per-program data patched into it.
//
// The freestanding launcher (launcher/launcher.c, x86-64 and i386) carries a 4096-byte area starting with the magic
// "ELFRUN-LAUNCHER-DATA-1"; at bundle time elfrun writes, from offset 32, NUL-terminated fields:
//     flags ("a": pass --argv0, "c": pass --inhibit-cache, "q": the loader is qemu-user), the program, the loader (""
//     for a static program), the library directories (':'-separated)
// every path relative to the launcher's own directory. Patching rather than a data file beside the launcher: one
// file per program (nothing to lose when copying bin/NAME around inside the bundle), one read fewer at every start,
// and no compiler at bundle time (exodus compiles a C launcher per program with the host's compiler).
// Other machines get a POSIX sh launcher with the same data written into the script; it runs the loader through
// qemu-user when the kernel cannot run that machine itself (no binfmt_misc handler) and qemu is installed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace elfrun::bundle {

struct LauncherData {
  std::string program;                    // "../libexec/hello"
  std::string loader;                     // "../lib/x86-64-glibc/ld-linux-x86-64.so.2"; empty: exec the program
  std::vector<std::string> library_dirs;  // {"../lib/x86-64-glibc"}
  bool pass_argv0 = false;                // the loader takes --argv0 (glibc >= 2.33, musl >= 1.1.25... as identified)
  bool inhibit_cache = false;             // the loader takes --inhibit-cache (glibc): the host's ld.so.cache unused
  // The "loader" is qemu-user (`elfrun fix --user` for a foreign program): it is given `-L DIR -0 ARGV0 PROGRAM`,
  // DIR being the one library directory (the root qemu opens the program's loader and libraries under).
  bool qemu_user = false;
  // sh launcher only: the qemu-user program for the loader's machine ("qemu-aarch64"), used when the kernel has no
  // binfmt_misc handler of that name and qemu is on PATH; empty: always exec the loader directly.
  std::string qemu;
};

inline constexpr std::string_view kLauncherMagic = "ELFRUN-LAUNCHER-DATA-1";
inline constexpr size_t kLauncherAreaSize = 4096;
inline constexpr size_t kLauncherHeaderSize = 32;

// The launcher binary elfrun embeds for this e_machine (EM_X86_64, EM_386), or empty when there is none.
std::string_view embedded_launcher(uint16_t machine);

// `launcher` with `data` written into its area. Errors: no area or two of them, a field with a NUL or ':' where it
// cannot be, or data that does not fit.
Expected<std::string> patch_launcher(std::string_view launcher, const LauncherData& data);

// The data patched into a launcher (for tests and for checking a bundle).
Expected<LauncherData> read_launcher_data(std::string_view launcher);

// A POSIX sh launcher doing what the freestanding one does, for machines that have none.
std::string sh_launcher(const LauncherData& data);

}  // namespace elfrun::bundle
