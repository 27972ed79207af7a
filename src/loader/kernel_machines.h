// Which machines the running kernel starts by itself — the one home of that fact for `run` (run/plan.cc), the glibc
// model (its vdso, loader/glibc_resolver.cc), `why` (diagnose/elf_checks.cc) and `loaders`.
//
// On x86 the answer is found by trying, not read from uname: an x86-64 kernel may have IA32 emulation off (built
// without it, CONFIG_IA32_EMULATION_DEFAULT_DISABLED, ia32_emulation=0, or a hypervisor overriding it) or lack the
// x32 ABI, and then execve of such a program fails with ENOEXEC although uname says x86_64; and an i386 elfrun under
// qemu-i386 sees "i686" from uname whatever the kernel is. So elfrun carries a tiny static program of each x86 ABI
// (loader/kernel_probe/probe.c, embedded at build time), execs it in a child from a memfd (or, where memfds cannot
// be executed, from a file in the cache directory), and reads how it went. Nothing under examination is ever run.
//
// An answer holds until the machine boots again: it is cached in ${XDG_CACHE_HOME:-~/.cache}/elfrun/kernel/abis,
// keyed on /proc/sys/kernel/random/boot_id (IA32 emulation and the x32 ABI are boot-time settings).
// ELFRUN_KERNEL_RUNS_I386, ELFRUN_KERNEL_RUNS_X32 and ELFRUN_KERNEL_RUNS_X86_64 (1/yes/on or 0/no/off) force an
// answer, for tests and for machines where the probe cannot run.
//
// When an enabled binfmt_misc handler takes the probe's kind of program, the kernel hands every such program to it
// (fs/binfmt_misc.c registers its format ahead of binfmt_elf): the ABI then does not run natively, whatever the
// kernel could do, and `run` and `why` go the binfmt_misc way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace elfrun::loader {

// The x86 ABIs a kernel can lack although uname says x86_64 (or seems to, under qemu-i386).
enum class X86Abi : uint8_t { x86_64, i386, x32 };

std::string_view abi_name(X86Abi abi);        // "x86-64", "i386", "x32"
std::string_view force_variable(X86Abi abi);  // "ELFRUN_KERNEL_RUNS_I386"...
// The embedded probe's bytes (a static ELF executable of that ABI).
std::string_view probe_bytes(X86Abi abi);

struct KernelAbiAnswer {
  enum class Source : uint8_t { forced, probe, cache, binfmt_misc, unknown };
  bool runs = false;
  Source source = Source::unknown;
  int exec_error = 0;    // the probe's execve errno (ENOEXEC: the kernel refused the format); 0 when it ran
  std::string evidence;  // one sentence saying how the answer was found
};

// One outcome of exec'ing a probe in a child.
struct ProbeOutcome {
  bool exec_succeeded = false;
  int exec_error = 0;   // when !exec_succeeded
  int wait_status = 0;  // when exec_succeeded: waitpid's status
  std::string how;      // "from a memfd", "from FILE"
};

// Execs `bytes` in a child (a memfd; else a file written into `file_dir`, when it is not empty) and waits for it.
ProbeOutcome exec_probe(std::string_view bytes, std::string_view name, const std::string& file_dir);

// "1", "yes", "on", "true" -> true; "0", "no", "off", "false" -> false; anything else: nullopt (not forced).
std::optional<bool> parse_forced_answer(std::string_view value);

// The cache entry: the boot it holds for, and the probes' outcomes (runs, errno) by ABI.
struct KernelAbiCache {
  std::string boot_id;
  struct Entry {
    X86Abi abi;
    bool runs;
    int exec_error;
  };
  std::vector<Entry> entries;
  const Entry* find(X86Abi abi) const;
};
std::string format_kernel_abi_cache(const KernelAbiCache& cache);
// nullopt when the text is not an entry of this format.
std::optional<KernelAbiCache> parse_kernel_abi_cache(std::string_view text);

// Where the answers come from; the defaults are this machine's. Tests point them at their own files.
struct KernelAbiSources {
  std::string cache_dir;  // "" : no cache
  std::string binfmt_misc_dir;
  std::string boot_id_path = "/proc/sys/kernel/random/boot_id";
  bool read_environment = true;  // the ELFRUN_KERNEL_RUNS_* switches
  static KernelAbiSources for_user();
};

// The answer for one ABI: forced, else a binfmt_misc handler taking it, else the cache of this boot, else the probe
// (whose outcome is then cached).
KernelAbiAnswer find_kernel_abi(X86Abi abi, const KernelAbiSources& sources);

// This process's answers (KernelAbiSources::for_user), each found once per process.
const KernelAbiAnswer& kernel_abi(X86Abi abi);

// The kernel's machine as uname -m names it, except that "i686" (and i386..i586) becomes "x86_64" when the kernel
// starts x86-64 programs: under qemu-i386, or setarch/linux32, uname's answer is not the kernel's.
const std::string& kernel_machine();

// Whether the kernel starts a program of this machine and class itself (without binfmt_misc or qemu).
bool kernel_runs_natively(uint16_t machine, uint8_t elf_class);

// The ABI of a machine and class, when it is one of the three; nullopt otherwise.
std::optional<X86Abi> x86_abi_of(uint16_t machine, uint8_t elf_class);

}  // namespace elfrun::loader
