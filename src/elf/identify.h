// identify: what a file is, as the kernel and the dynamic loader see it — the library side of `elfrun info`.
// It classifies a file (ELF of each kind, #! script, anything else), checks the interpreter a program names, and
// returns a report in plain values that does not depend on the file's layout. It reads files and never runs them.
//
// The kinds, decided in this order (see classify()):
//   relocatable        ET_REL: an object file or kernel module, input for a linker or the kernel's module loader.
//   core               ET_CORE: a core dump.
//   executable         ET_EXEC with PT_INTERP: the kernel maps it at its fixed address and starts the loader.
//   static-executable  ET_EXEC without PT_INTERP: the kernel starts it directly.
//   pie-executable     ET_DYN with PT_INTERP and DF_1_PIE, or (older linkers) with PT_INTERP, DT_DEBUG and no
//                      DT_SONAME; or ET_DYN with DF_1_PIE, DT_NEEDED and no PT_INTERP (a warning says nothing
//                      would load its libraries).
//   shared-library     any other ET_DYN with PT_INTERP (libc.so.6, pam_cap.so: libraries that also run as programs),
//                      or ET_DYN without PT_INTERP that needs libraries or has no entry point.
//   static-pie         ET_DYN, no PT_INTERP, DF_1_PIE and no DT_NEEDED (gcc -static-pie), or ET_DYN with neither
//                      PT_INTERP nor PT_DYNAMIC: it relocates itself, nothing else is loaded.
//   dynamic-loader     ET_DYN with PT_DYNAMIC and an entry point, no PT_INTERP, no DT_NEEDED and no DF_1_PIE: a
//                      self-relocating shared object such as glibc's ld-linux-x86-64.so.2 or musl's libc.so.
//                      `file` calls it "dynamically linked" (it has a dynamic section) and ldd "statically linked"
//                      (it needs no library: glibc elf/rtld.c prints that for an object without DT_NEEDED).
//   other-elf          any other e_type.
//   script             starts with "#!": the kernel runs the interpreter named on that line (fs/binfmt_script.c).
//   not-elf            anything else, with a short description (empty, text, data, ar archive, GNU ld script...).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "util/expected.h"

namespace elfrun::elf {

enum class FileKind : uint8_t {
  executable,
  pie_executable,
  shared_library,
  static_executable,
  static_pie,
  dynamic_loader,
  relocatable,
  core,
  other_elf,
  script,
  not_elf,
};

// "executable", "pie-executable", "shared-library", "static-executable", "static-pie", "dynamic-loader",
// "relocatable", "core", "other-elf", "script", "not-elf".
std::string_view kind_name(FileKind kind);

// The kind of an ELF object by the rules above.
FileKind classify(const ElfObject& object);

// "64-bit x86-64", "32-bit i386", "64-bit big-endian PowerPC64": how a class, byte order and machine read.
std::string describe_architecture(uint8_t elf_class, ByteOrder order, uint16_t machine);

// The C library a program or library is built for, judged from its PT_INTERP, its DT_NEEDED, its own SONAME or
// (for static programs) its ABI-tag note, which only glibc's crt1.o carries: "glibc", "musl", "bionic" or "".
// `path`, when given, helps with musl's loader, which has no SONAME: "ld-musl-x86_64.so.1".
std::string_view libc_of(const ElfObject& object, std::string_view path = {});

// What is at a path (an interpreter named by PT_INTERP or a #! line), found without executing it.
struct PathProbe {
  enum class State : uint8_t { missing, unreadable, not_regular, elf, bad_elf, script, other };
  std::string path;
  State state = State::missing;
  std::string error;        // strerror text (missing, unreadable), or the parse error (bad_elf)
  bool executable = false;  // access(X_OK) succeeds: the kernel's open_exec would accept the permissions
  // When state == elf:
  uint8_t elf_class = 0;
  ByteOrder byte_order = ByteOrder::little;
  uint16_t machine = 0;
  uint16_t type = 0;
  uint32_t e_flags = 0;
  bool has_interpreter = false;  // it has a PT_INTERP of its own
  bool has_needed = false;       // it has DT_NEEDED entries
  std::string libc;              // libc_of() the file: "glibc", "musl"... for a loader, the libc it belongs to
  // When state == script: its own interpreter.
  std::string script_interpreter;
};

// Probes paths and remembers the answers, so that a thousand programs naming one loader read it once.
class PathProber {
 public:
  const PathProbe& probe(const std::string& path);
  // The first executable regular file called `name` in the ':'-separated directories of `search_path` (as env(1)
  // looks a program up in PATH); empty when none.
  std::string find_in_path(const std::string& name, std::string_view search_path);

 private:
  std::unordered_map<std::string, PathProbe> probes_;
  std::unordered_map<std::string, std::string> lookups_;  // "name\0search path" -> found path or ""
};

// The interpreter of an ELF program, judged for that program.
struct InterpreterCheck {
  PathProbe probe;
  // True when the file exists and is an ELF loader the kernel would start for this program: same class, byte
  // order and machine, ET_DYN or ET_EXEC (fs/binfmt_elf.c), without its own PT_INTERP or DT_NEEDED.
  bool fits = false;
  std::string problem;  // empty when it fits: "is a 32-bit i386 file; the program is 64-bit x86-64"
};

// The #! line of a script, split as Linux fs/binfmt_script.c splits it.
struct ScriptInfo {
  std::string interpreter;              // the path up to the first blank, tab or NUL
  std::optional<std::string> argument;  // the rest of the line as ONE argument, blanks and tabs trimmed at both ends
  bool crlf = false;                    // the line ends "\r\n": the CR stays in the interpreter or the argument
  bool line_truncated = false;          // no newline in the first 256 bytes: the argument is cut short
  std::string error;                    // non-empty when the kernel refuses the line (ENOEXEC), and why
  // Filled when the filesystem may be looked at:
  std::optional<PathProbe> interpreter_probe;
  // "#!/usr/bin/env NAME": NAME and where PATH finds it (empty when not found).
  std::optional<std::string> env_program;
  std::optional<std::string> env_program_found;
};

// A core file's NT_PRPSINFO and NT_PRSTATUS, as far as they could be read.
struct CoreInfo {
  std::string command;    // pr_fname: the program's name, 15 characters at most
  std::string arguments;  // pr_psargs: the start of its command line
  uint32_t signal = 0;    // the signal that killed it (si_signo), 0 when unknown
};

struct FileReport {
  std::string path;  // as given
  uint64_t size = 0;
  FileKind kind = FileKind::not_elf;
  std::optional<ElfObject> elf;                 // every ELF kind
  std::string libc;                             // libc_of(), ELF only
  std::optional<InterpreterCheck> interpreter;  // ELF with PT_INTERP, when the filesystem may be looked at
  std::optional<ScriptInfo> script;             // kind script
  std::optional<CoreInfo> core;                 // kind core
  bool kernel_module = false;                   // relocatable with a .modinfo section
  std::string description;                      // not-elf: "empty", "text", "data", "ar archive", "GNU ld script"...
  std::vector<std::string> warnings;            // the reader's warnings and ours
};

struct IdentifyOptions {
  // Probes interpreters through this; null means the filesystem is not looked at (a fuzzer, bytes in memory).
  PathProber* prober = nullptr;
  // The PATH that "#!/usr/bin/env NAME" searches; only used with a prober.
  std::string search_path;
};

// Identifies the bytes of `source`; `path` is only recorded. An error means the file claims to be ELF (it has the
// magic number) but cannot be parsed; the message names the structure and says what is wrong.
Expected<FileReport> identify(const ByteSource& source, std::string path, const IdentifyOptions& options = {});

// Opens `path` and identifies it. The error message does not repeat the path: "No such file or directory",
// "is a directory", "program header 3: ...".
Expected<FileReport> identify_file(const std::string& path, const IdentifyOptions& options = {});

// The #! line of a script (the bytes must start with "#!"), split as the kernel splits it; no filesystem access.
ScriptInfo parse_script_line(ByteView start);

}  // namespace elfrun::elf
