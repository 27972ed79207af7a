// The state one diagnosis shares between its checks: the options, the machine's facts (read once, on first use),
// the files met on the way, the findings so far, and the check functions of the other diagnose/*.cc files.
// Internal to src/diagnose.
#pragma once

#include <sys/stat.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diagnose/findings.h"
#include "diagnose/kernel_facts.h"
#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "loader/discovery.h"
#include "loader/resolver.h"

namespace elfrun::diagnose {

// A file execve would open, as far as the walk got with it.
struct ExecTarget {
  std::string shown;        // how messages name it: as the user typed it, or as a #! line or PT_INTERP names it
  std::string inside_path;  // the path inside the root (absolute, or relative to the working directory)
  std::string host_path;    // the real file on this machine (symlinks resolved)
  struct stat st {};
  std::shared_ptr<elf::ByteSource> bytes;
  std::vector<std::string> args;  // the arguments after argv[0], for the run commands of fixes
  int depth = 0;                  // 0: the program; n: the n-th #! interpreter down the chain
};

// A working way to run the program, found and checked by remedies.cc.
struct RunFix {
  std::string command;   // "elfrun run ./m64": works when pasted
  std::string expanded;  // what it executes (elfrun run --print), also pasteable
  std::string loader;    // the loader it uses (host path), empty for qemu without one
  std::vector<std::string> library_dirs;
  bool qemu = false;
};

class Walk {
 public:
  explicit Walk(const DiagnoseOptions& options);

  const DiagnoseOptions& options() const { return options_; }
  bool host_root() const { return host_root_; }

  // The real host path of a path inside the root (symlinks resolved inside the root, as after chroot), or nullopt
  // with errno set (ENOENT, ENOTDIR, ELOOP, EACCES...).
  std::optional<std::string> real_host_path(const std::string& inside_path) const;
  // A path inside the root for a path the user typed (a host path under the root, or already an inside path).
  std::string inside_path_of(const std::string& typed) const;
  // "the directory /lib64 does not exist", "/lib64/ld-linux-x86-64.so.2 is a symbolic link to X, which does not
  // exist": why a path inside the root cannot be opened.
  std::string explain_missing(const std::string& inside_path) const;

  // Machine facts.
  const std::string& kernel_release();
  const std::string& kernel_machine();
  std::optional<KernelVersion> kernel_version();
  uint32_t x86_isa_levels();
  const std::vector<BinfmtHandler>& binfmt_handlers();
  bool binfmt_mounted();
  const std::vector<MountEntry>& mounts();
  FeatureState ia32_emulation();
  FeatureState x32_abi();
  const std::vector<loader::DiscoveredLoader>& loaders();

  Finding& add(std::string code, Severity severity, std::string subject, std::string verdict);
  std::vector<Finding> findings;
  std::optional<std::string> input_error;  // the program cannot be read or parsed (exit status 2)
  std::optional<RunFix> run_fix;           // the fix for the program, when one was found
  std::string summary_runs;                // what to say when nothing blocks: "its interpreter ... resolves"

 private:
  void read_x86_compat();

  const DiagnoseOptions& options_;
  bool host_root_ = true;
  std::optional<std::string> release_, machine_;
  std::optional<uint32_t> isa_levels_;
  std::optional<std::vector<BinfmtHandler>> binfmt_;
  bool binfmt_mounted_ = false;
  std::optional<std::vector<MountEntry>> mounts_;
  std::optional<FeatureState> ia32_, x32_;
  std::optional<std::vector<loader::DiscoveredLoader>> loaders_;
};

// ---- the checks, in the order the walk meets them ----

// exec_checks.cc: finds the file as execve would (PATH for a bare name at depth 0), checks that it is a regular,
// executable file on a mount that allows exec, reads it and hands it to the script or ELF checks, or to binfmt_misc.
void examine_file(Walk& walk, const std::string& typed, std::vector<std::string> args, int depth);

// script_checks.cc: the #! line and its interpreter, recursively (Linux allows five levels).
void examine_script(Walk& walk, const ExecTarget& target);

// elf_checks.cc: OS ABI, type, machine and kernel support, static programs, then the loader side.
void examine_elf(Walk& walk, const ExecTarget& target);

// Whether this kernel starts programs of this machine itself (natively or through IA32/x32 compatibility).
bool kernel_runs_natively(Walk& walk, const elf::ElfObject& object);

// loader_checks.cc: PT_INTERP exists, is executable, fits the program and is a loader. False when it blocks.
bool check_interpreter(Walk& walk, const ExecTarget& target, const elf::ElfObject& program);

// library_checks.cc: every library of the resolution (missing, rejected candidates, the loader's fatal error,
// ld.so.conf entries missing from the cache, copies under other loaders' directories).
void check_libraries(Walk& walk, const ExecTarget& target, const loader::Resolution& resolution);

// version_checks.cc: DT_VERNEED of every loaded object against the DT_VERDEF of the object that resolves it.
struct VersionProblem {
  size_t requester = 0;  // object indices in the resolution
  size_t provider = 0;
  std::string version;  // "GLIBC_2.34"
  std::string file;     // the DT_VERNEED file name, "libc.so.6"
  bool weak = false;
  bool no_version_info = false;  // the provider has no DT_VERDEF at all (a warning only)
};
std::vector<VersionProblem> find_version_problems(const loader::Resolution& resolution);
void check_versions(Walk& walk, const ExecTarget& target, const loader::Resolution& resolution);

// symbol_checks.cc: undefined symbols no object in the global scope defines (loader/symbol_scope.h), as findings.
void check_symbols(Walk& walk, const ExecTarget& target, const loader::Resolution& resolution);

// cpu_kernel_checks.cc: ABI notes against the running kernel, x86 ISA levels against the CPU.
void check_kernel_and_cpu(Walk& walk, const ExecTarget& target, const loader::Resolution& resolution);

// remedies.cc: a run command that works (plan_run, checked by resolving under its loader), else one built from a
// compatible loader found on the machine; nullopt when none works.
std::optional<RunFix> find_run_fix(Walk& walk, const ExecTarget& target, const elf::ElfObject& program);
// Compatible loaders for a program: same machine, class, ABI and C library; each as a one-line description.
std::vector<const loader::DiscoveredLoader*> compatible_loaders(Walk& walk, const elf::ElfObject& program);
std::string describe_loader(const loader::DiscoveredLoader& loader);
// Debian packages that provide the loader and libc of a program's ABI on this userland ("libc6-amd64"...), with a
// comment, as pasteable lines; empty when not on Debian or nothing fits.
std::vector<std::string> debian_packages_for(Walk& walk, const elf::ElfObject& program);
// The resolution under a given loader and library path on the host, as `elfrun run` would run it.
Expected<loader::Resolution> resolve_under(const std::string& program, const std::string& loader_path,
                                           const std::vector<std::string>& library_dirs, bool inhibit_cache);

// elf_checks.cc: looks for a run command when what blocks is something a loader, library path or qemu gets around.
void finish_with_fix(Walk& walk, const ExecTarget& target, const elf::ElfObject& object);

// qemu_checks.cc: a foreign program a qemu-user binfmt_misc handler takes, judged where that qemu opens its loader
// (its prefix /etc/qemu-binfmt/ARCH, or QEMU_LD_PREFIX, then the path itself). False when it does not apply (no such
// handler, or the loader is at its own path and the ordinary checks judge it).
bool check_through_qemu_handler(Walk& walk, const ExecTarget& target, const elf::ElfObject& program);
// The enabled binfmt_misc handler that takes the file when it is a qemu-user one; nullptr otherwise.
const BinfmtHandler* qemu_handler_for(Walk& walk, const ExecTarget& target);
// "/etc/qemu-binfmt/aarch64": the interp_prefix Debian builds qemu-ARCH with, for a program's machine; "" if none.
std::string qemu_binfmt_prefix(const elf::ElfObject& program);

// Text helpers.
std::string join(const std::vector<std::string>& items, std::string_view separator);
std::string quote(std::string_view path);  // util::shell_quote_path: a path argument of a command in a fix

}  // namespace elfrun::diagnose
