// What the running kernel will execute, read from the system without running anything: its release and machine
// (uname), whether it has IA32 emulation and the x32 ABI (its config, its symbols, its command line), the
// binfmt_misc handlers registered (/proc/sys/fs/binfmt_misc), and the mounts (/proc/self/mountinfo).
// The parsers take text, so that tests feed them the formats directly.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elf/byte_view.h"
#include "loader/binfmt_misc.h"

namespace elfrun::diagnose {

struct KernelVersion {
  uint32_t major = 0, minor = 0, patch = 0;
  auto operator<=>(const KernelVersion&) const = default;
};

// "6.1.0-18-amd64" -> 6.1.0; "5.4" -> 5.4.0; nullopt when it does not start with a number.
std::optional<KernelVersion> parse_kernel_release(std::string_view release);
std::string to_string(const KernelVersion& version);

// binfmt_misc entries: parsed and matched in src/loader/binfmt_misc.h, which `run` uses too.
using loader::BinfmtHandler;
using loader::match_binfmt;
using loader::parse_binfmt_entry;
using loader::read_binfmt_misc;

// One line of /proc/self/mountinfo (escapes such as \040 decoded).
struct MountEntry {
  std::string mount_point;
  std::string options;  // per-mount: "rw,nosuid,noexec,relatime"
  std::string fs_type;
  std::string source;
  std::string super_options;  // per-superblock
};

std::vector<MountEntry> parse_mountinfo(std::string_view text);

// The mount a real (absolute, symlink-free) path is on: the last entry whose mount point is the path or one of its
// parent directories (a later mount over the same point hides the earlier one).
const MountEntry* mount_of(const std::vector<MountEntry>& mounts, std::string_view real_path);

// True when a comma-separated option list has `option` ("noexec" in "rw,noexec,relatime").
bool has_option(std::string_view options, std::string_view option);

// Whether a kernel feature is there: yes, no (and why), or unknown (nothing could tell).
struct FeatureState {
  enum class Value : uint8_t { yes, no, unknown };
  Value value = Value::unknown;
  std::string evidence;                    // "CONFIG_X86_X32_ABI is not set (/proc/config.gz)"...
  std::vector<std::string> more_evidence;  // what else was read (the config and command line behind a probe)
  std::vector<std::string> fixes;          // what can switch it on, as the config and command line allow
};

// IA32 emulation and the x32 ABI on an x86-64 kernel, from the kernel's config text (when there is one), the
// symbols of /proc/kallsyms (ia32_sys_call / x32_sys_call and their older _table forms) and the command line
// (ia32_emulation=, syscall.x32=).
struct X86CompatInputs {
  std::optional<std::string> config;                 // text of the config; nullopt when none could be read
  std::string config_source;                         // where it came from, for the evidence
  std::optional<std::vector<std::string>> kallsyms;  // the names found among those asked; nullopt: unreadable
  std::string command_line;
};
FeatureState ia32_emulation_state(const X86CompatInputs& inputs);
FeatureState x32_abi_state(const X86CompatInputs& inputs);

// What the kernel's settings say can turn IA32 emulation (x32 support) on, when the kernel refuses such programs:
// the boot parameter only where the config has the feature built in and the parameter is what switched it off (or
// the config's default did); a rebuilt kernel where it is not built in; and when config and command line both have
// it on and the kernel still refuses, that something outside them (a hypervisor) switched it off, which no boot
// parameter changes. Comment lines ("# ..."), for a finding's fixes.
std::vector<std::string> ia32_enable_fixes(const X86CompatInputs& inputs);
std::vector<std::string> x32_enable_fixes(const X86CompatInputs& inputs);

// The config and command line facts as evidence lines: "/proc/config.gz: CONFIG_IA32_EMULATION=y",
// "/proc/cmdline: no ia32_emulation=".
std::vector<std::string> ia32_settings_evidence(const X86CompatInputs& inputs);
std::vector<std::string> x32_settings_evidence(const X86CompatInputs& inputs);

// Reads what X86CompatInputs needs from this machine: /proc/config.gz (CONFIG_IKCONFIG_PROC: the running kernel's
// own), else /boot/config-RELEASE (Debian installs it), else the symbols of /proc/kallsyms; and /proc/cmdline.
X86CompatInputs read_x86_compat_inputs(const std::string& release);

}  // namespace elfrun::diagnose
