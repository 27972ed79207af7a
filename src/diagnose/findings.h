// Findings: why a program will not run (or what it needs to), each a verdict in plain words with its evidence and
// its fix. A malformed file is an error (Expected); a file that is fine but will not run is a finding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loader/discovery.h"
#include "loader/resolver.h"
#include "util/expected.h"

namespace elfrun::diagnose {

enum class Severity : uint8_t {
  blocking,  // the program will not run as it is
  warning,   // it runs, but something is off (a loader-run setuid program loses privileges...)
  info,      // worth knowing (static program: nothing to resolve)
};

struct Finding {
  std::string code;  // stable, for scripts: "interpreter-missing", "library-missing"...
  Severity severity = Severity::blocking;
  std::string verdict;                // one line in plain words
  std::vector<std::string> evidence;  // paths tried in order, the fields that decide, rejected candidates...
  std::vector<std::string> fixes;     // commands that work when pasted, packages to install, files to create
  // Added by why: the file the finding is about (the program, a #! interpreter, a library), and the evidence that
  // only -v shows.
  std::string subject;
  std::vector<std::string> details;
  std::string cause;  // a finding about a #! interpreter's failure: the code of the failure at the end of the chain
};

struct Diagnosis {
  std::string program;                     // as the user gave it
  bool runs = false;                       // true when nothing blocks
  std::vector<Finding> findings;           // the blocking one first, in the order execve and the loader meet them
  std::optional<std::string> run_command;  // the `elfrun run ...` line that works, when one does
  // Added by why:
  std::string summary;  // the one-line answer: "./m64 will not run: its interpreter ... does not exist ..."
  std::optional<std::string> run_command_expanded;  // what that `elfrun run` line executes (elfrun run --print)
  // The loader and library directories of that working run (host paths), for `elfrun fix`; empty loader: none, or
  // qemu-user.
  std::string run_loader;
  std::vector<std::string> run_library_dirs;
  bool run_qemu = false;
  // Set when the program itself cannot be read or parsed (exit status 2): the diagnosis is incomplete.
  std::optional<std::string> input_error;
  const Finding* first_blocking() const;
};

struct DiagnoseOptions {
  std::string root = "/";
  // Undefined symbols no loaded object defines (what ldd -r reports, without running). On unless why --fast.
  bool symbols = true;
  std::vector<std::string> args;
  // The loader to resolve the libraries with (a path inside the root), instead of the program's PT_INTERP.
  std::optional<std::string> loader;
  // Added by why. Where loaders are looked for (the configuration's roots and loaders, --search).
  loader::DiscoveryOptions discovery;
  // The command name printed in `elfrun run ...` fixes.
  std::string elfrun = "elfrun";
  // The machine's facts, read from the running system unless set (tests set them).
  std::string mountinfo = "/proc/self/mountinfo";
  std::string binfmt_misc = "/proc/sys/fs/binfmt_misc";
  std::optional<std::string> kernel_release;       // uname -r
  std::optional<std::string> kernel_machine;       // uname -m
  std::optional<uint32_t> x86_isa_levels;          // loader::host_x86_isa_levels()
  std::optional<std::string> kernel_config;        // the text of the kernel's config (CONFIG_IA32_EMULATION...)
  std::optional<std::string> kernel_command_line;  // /proc/cmdline
};

// Walks what execve and then the loader would do, without executing anything.
Diagnosis diagnose(const std::string& program, const DiagnoseOptions& options);

// "blocking", "warning", "info".
std::string_view severity_name(Severity severity);

}  // namespace elfrun::diagnose
