// Kernel facts: uname, mountinfo lines, IA32 and x32 support. Read-only, nothing executed.
#include "diagnose/kernel_facts.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "util/text.h"

namespace elfrun::diagnose {

namespace {

using util::split_lines;

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// mountinfo escapes blanks, tabs, newlines and backslashes in paths as \ooo (fs/proc_namespace.c mangle()).
std::string unescape(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && std::isdigit(static_cast<unsigned char>(field[i + 1])) &&
        std::isdigit(static_cast<unsigned char>(field[i + 2])) &&
        std::isdigit(static_cast<unsigned char>(field[i + 3]))) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

// A word of the kernel command line: "name=value" or "name"; nullopt when absent (the last one wins, as the kernel's
// parser overwrites).
std::optional<std::string> command_line_value(std::string_view command_line, std::string_view name) {
  std::optional<std::string> value;
  for (std::string_view word : split_words(command_line)) {
    if (word == "--") break;  // the rest goes to init
    if (word.substr(0, name.size()) != name) continue;
    if (word.size() == name.size()) {
      value = "";
    } else if (word[name.size()] == '=') {
      value = std::string(word.substr(name.size() + 1));
    }
  }
  return value;
}

// The kernel's kstrtobool: 1/y/Y/on/true enable, 0/n/N/off/false disable.
std::optional<bool> kernel_bool(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "1" || lower == "y" || lower == "yes" || lower == "on" || lower == "true") return true;
  if (lower == "0" || lower == "n" || lower == "no" || lower == "off" || lower == "false") return false;
  return std::nullopt;
}

// "=y", "=m", "not set" or nullopt (the option does not appear at all).
std::optional<std::string> config_value(const std::string& config, std::string_view option) {
  for (std::string_view line : split_lines(config)) {
    std::string set = std::string(option) + "=";
    if (line.substr(0, set.size()) == set) return std::string(line.substr(set.size()));
    if (line == "# " + std::string(option) + " is not set") return std::string("not set");
  }
  return std::nullopt;
}

// The text of a gzip file (/proc/config.gz), up to 8 MiB; nullopt when it cannot be read or is not gzip.
std::optional<std::string> read_gzip_text(const std::string& path) {
  gzFile file = ::gzopen(path.c_str(), "rb");
  if (file == nullptr) return std::nullopt;
  std::string text;
  char buffer[65536];
  int got = 0;
  while ((got = ::gzread(file, buffer, sizeof buffer)) > 0 && text.size() < (8u << 20)) {
    text.append(buffer, static_cast<size_t>(got));
  }
  int error = Z_OK;
  ::gzerror(file, &error);
  ::gzclose(file);
  if (got < 0 || (error != Z_OK && error != Z_STREAM_END) || text.empty()) return std::nullopt;
  return text;
}

std::string shown_config_value(const X86CompatInputs& inputs, std::string_view option) {
  auto value = config_value(*inputs.config, option);
  if (!value) return std::string(option) + " is not in it";
  if (*value == "not set") return "# " + std::string(option) + " is not set";
  return std::string(option) + "=" + *value;
}

std::string shown_parameter(const X86CompatInputs& inputs, std::string_view name) {
  auto value = command_line_value(inputs.command_line, name);
  return "/proc/cmdline: " + (value ? std::string(name) + "=" + *value : "no " + std::string(name) + "=");
}

bool has_symbol(const X86CompatInputs& inputs, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (std::find(inputs.kallsyms->begin(), inputs.kallsyms->end(), name) != inputs.kallsyms->end()) return true;
  }
  return false;
}

}  // namespace

std::optional<KernelVersion> parse_kernel_release(std::string_view release) {
  KernelVersion version;
  uint32_t* parts[] = {&version.major, &version.minor, &version.patch};
  size_t i = 0;
  for (size_t part = 0; part < 3; ++part) {
    if (i >= release.size() || !std::isdigit(static_cast<unsigned char>(release[i]))) {
      if (part == 0) return std::nullopt;
      break;
    }
    uint64_t value = 0;
    while (i < release.size() && std::isdigit(static_cast<unsigned char>(release[i]))) {
      value = std::min<uint64_t>(value * 10 + static_cast<uint64_t>(release[i] - '0'), UINT32_MAX);
      ++i;
    }
    *parts[part] = static_cast<uint32_t>(value);
    if (i >= release.size() || release[i] != '.') break;
    ++i;
  }
  return version;
}

std::string to_string(const KernelVersion& version) {
  return std::to_string(version.major) + "." + std::to_string(version.minor) + "." + std::to_string(version.patch);
}

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> mounts;
  for (std::string_view line : split_lines(text)) {
    auto words = split_words(line);
    auto separator = std::find(words.begin(), words.end(), "-");
    if (words.size() < 6 || separator == words.end() || words.end() - separator < 3) continue;
    MountEntry entry;
    entry.mount_point = unescape(words[4]);
    entry.options = std::string(words[5]);
    entry.fs_type = std::string(separator[1]);
    entry.source = unescape(separator[2]);
    if (words.end() - separator >= 4) entry.super_options = std::string(separator[3]);
    mounts.push_back(std::move(entry));
  }
  return mounts;
}

const MountEntry* mount_of(const std::vector<MountEntry>& mounts, std::string_view real_path) {
  const MountEntry* best = nullptr;
  for (const MountEntry& mount : mounts) {
    std::string_view point = mount.mount_point;
    bool contains = point == "/" || real_path == point ||
                    (real_path.size() > point.size() && real_path.substr(0, point.size()) == point &&
                     real_path[point.size()] == '/');
    if (!contains) continue;
    if (best == nullptr || point.size() >= best->mount_point.size()) best = &mount;
  }
  return best;
}

bool has_option(std::string_view options, std::string_view option) {
  size_t start = 0;
  while (start <= options.size()) {
    size_t end = options.find(',', start);
    if (end == std::string_view::npos) end = options.size();
    if (options.substr(start, end - start) == option) return true;
    start = end + 1;
  }
  return false;
}

FeatureState ia32_emulation_state(const X86CompatInputs& inputs) {
  // arch/x86/Kconfig IA32_EMULATION, IA32_EMULATION_DEFAULT_DISABLED (6.7+) and the ia32_emulation= parameter.
  auto parameter = command_line_value(inputs.command_line, "ia32_emulation");
  std::optional<bool> switched = parameter ? kernel_bool(*parameter) : std::nullopt;
  const bool switched_off = switched.has_value() && !*switched;
  const bool switched_on = switched.has_value() && *switched;
  if (switched_off) return {FeatureState::Value::no, "the kernel was booted with ia32_emulation=" + *parameter};
  if (inputs.config) {
    auto built = config_value(*inputs.config, "CONFIG_IA32_EMULATION");
    if (built != "y") {
      return {FeatureState::Value::no, "CONFIG_IA32_EMULATION is not set (" + inputs.config_source + ")"};
    }
    if (config_value(*inputs.config, "CONFIG_IA32_EMULATION_DEFAULT_DISABLED") == "y" && !switched_on) {
      return {FeatureState::Value::no, "CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y (" + inputs.config_source +
                                           ") and no ia32_emulation=1 on the kernel command line"};
    }
    return {FeatureState::Value::yes, "CONFIG_IA32_EMULATION=y (" + inputs.config_source + ")"};
  }
  if (inputs.kallsyms) {
    if (has_symbol(inputs, {"ia32_sys_call", "ia32_sys_call_table"})) {
      return {FeatureState::Value::yes, "the kernel has a 32-bit system call table (ia32_sys_call in /proc/kallsyms)"};
    }
    return {FeatureState::Value::no,
            "the kernel has no 32-bit system call table (no ia32_sys_call or "
            "ia32_sys_call_table in /proc/kallsyms)"};
  }
  return {FeatureState::Value::unknown, "neither the kernel's config nor /proc/kallsyms could be read"};
}

FeatureState x32_abi_state(const X86CompatInputs& inputs) {
  // arch/x86/Kconfig X86_X32_ABI; Debian's kernels also need syscall.x32=y when built with X86_X32_DISABLED.
  if (inputs.config) {
    auto built = config_value(*inputs.config, "CONFIG_X86_X32_ABI");
    if (!built) built = config_value(*inputs.config, "CONFIG_X86_X32");  // its name before Linux 5.18
    if (built != "y") return {FeatureState::Value::no, "CONFIG_X86_X32_ABI is not set (" + inputs.config_source + ")"};
    auto parameter = command_line_value(inputs.command_line, "syscall.x32");
    std::optional<bool> switched = parameter ? kernel_bool(*parameter) : std::nullopt;
    const bool switched_off = switched.has_value() && !*switched;
    const bool switched_on = switched.has_value() && *switched;
    if (config_value(*inputs.config, "CONFIG_X86_X32_DISABLED") == "y" && !switched_on) {
      return {FeatureState::Value::no, "CONFIG_X86_X32_DISABLED=y (" + inputs.config_source +
                                           ") and no syscall.x32=y on the kernel command line"};
    }
    if (switched_off) return {FeatureState::Value::no, "the kernel was booted with syscall.x32=" + *parameter};
    return {FeatureState::Value::yes, "CONFIG_X86_X32_ABI=y (" + inputs.config_source + ")"};
  }
  if (inputs.kallsyms) {
    if (has_symbol(inputs, {"x32_sys_call", "x32_sys_call_table"})) {
      return {FeatureState::Value::yes, "the kernel has an x32 system call table (x32_sys_call in /proc/kallsyms)"};
    }
    return {FeatureState::Value::no,
            "the kernel has no x32 system call table (no x32_sys_call or x32_sys_call_table in /proc/kallsyms)"};
  }
  return {FeatureState::Value::unknown, "neither the kernel's config nor /proc/kallsyms could be read"};
}

std::vector<std::string> ia32_settings_evidence(const X86CompatInputs& inputs) {
  std::vector<std::string> lines;
  if (inputs.config) {
    lines.push_back(inputs.config_source + ": " + shown_config_value(inputs, "CONFIG_IA32_EMULATION") + ", " +
                    shown_config_value(inputs, "CONFIG_IA32_EMULATION_DEFAULT_DISABLED"));
  } else {
    lines.push_back("the kernel's config could not be read (no /proc/config.gz, no /boot/config-RELEASE)");
  }
  lines.push_back(shown_parameter(inputs, "ia32_emulation"));
  return lines;
}

std::vector<std::string> x32_settings_evidence(const X86CompatInputs& inputs) {
  std::vector<std::string> lines;
  if (inputs.config) {
    lines.push_back(inputs.config_source + ": " + shown_config_value(inputs, "CONFIG_X86_X32_ABI") + ", " +
                    shown_config_value(inputs, "CONFIG_X86_X32_DISABLED"));
  } else {
    lines.push_back("the kernel's config could not be read (no /proc/config.gz, no /boot/config-RELEASE)");
  }
  lines.push_back(shown_parameter(inputs, "syscall.x32"));
  return lines;
}

std::vector<std::string> ia32_enable_fixes(const X86CompatInputs& inputs) {
  // arch/x86/Kconfig IA32_EMULATION, IA32_EMULATION_DEFAULT_DISABLED; arch/x86/entry/common.c (6.7+):
  // ia32_emulation= sets the default that a hypervisor (Xen PV) or the platform may still override.
  const std::string grub =
      " (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot; Linux 6.7 and later)";
  auto parameter = command_line_value(inputs.command_line, "ia32_emulation");
  std::optional<bool> switched = parameter ? kernel_bool(*parameter) : std::nullopt;
  const bool switched_off = switched.has_value() && !*switched;
  const bool switched_on = switched.has_value() && *switched;
  if (switched_off) {
    if (inputs.config && config_value(*inputs.config, "CONFIG_IA32_EMULATION") != "y") {
      return {"# the kernel is built without CONFIG_IA32_EMULATION: boot one built with CONFIG_IA32_EMULATION=y"};
    }
    return {"# boot without ia32_emulation=" + *parameter + ", or with ia32_emulation=on" + grub};
  }
  if (!inputs.config) {
    return {"# if this kernel has IA32 emulation built in (CONFIG_IA32_EMULATION=y), boot it with ia32_emulation=on" +
            grub + "; otherwise boot one built with it"};
  }
  if (config_value(*inputs.config, "CONFIG_IA32_EMULATION") != "y") {
    return {
        "# the kernel is built without CONFIG_IA32_EMULATION, which no boot parameter changes: boot one built "
        "with CONFIG_IA32_EMULATION=y"};
  }
  if (config_value(*inputs.config, "CONFIG_IA32_EMULATION_DEFAULT_DISABLED") == "y" && !switched_on) {
    return {"# boot with ia32_emulation=on" + grub};
  }
  return {"# ia32_emulation=on cannot help: the kernel's config (" + inputs.config_source +
          ") and its command line have IA32 emulation on, yet the kernel refuses i386 programs, so something outside "
          "them switches it off (the hypervisor, as Xen PV guests and some confidential VMs do): ask whoever runs "
          "the host"};
}

std::vector<std::string> x32_enable_fixes(const X86CompatInputs& inputs) {
  auto parameter = command_line_value(inputs.command_line, "syscall.x32");
  std::optional<bool> switched = parameter ? kernel_bool(*parameter) : std::nullopt;
  const bool switched_off = switched.has_value() && !*switched;
  if (inputs.config) {
    auto built = config_value(*inputs.config, "CONFIG_X86_X32_ABI");
    if (!built) built = config_value(*inputs.config, "CONFIG_X86_X32");
    if (built != "y") {
      return {
          "# the kernel is built without CONFIG_X86_X32_ABI, which no boot parameter changes: boot one built "
          "with it"};
    }
    if (config_value(*inputs.config, "CONFIG_X86_X32_DISABLED") == "y" || switched_off) {
      return {"# boot with syscall.x32=y (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot)"};
    }
  }
  return {
      "# boot a kernel built with CONFIG_X86_X32_ABI=y (on Debian's, add syscall.x32=y to the kernel command "
      "line)"};
}

X86CompatInputs read_x86_compat_inputs(const std::string& release) {
  X86CompatInputs inputs;
  std::string config_path = "/boot/config-" + release;
  if (auto gzip_text = read_gzip_text("/proc/config.gz")) {
    inputs.config = std::move(*gzip_text);
    inputs.config_source = "/proc/config.gz";
  } else if (auto text = read_text(config_path)) {
    inputs.config = std::move(*text);
    inputs.config_source = config_path;
  }
  if (auto text = read_text("/proc/cmdline")) inputs.command_line = std::move(*text);
  if (!inputs.config) {
    std::ifstream in("/proc/kallsyms");
    if (in) {
      static const std::set<std::string> kWanted = {"ia32_sys_call", "ia32_sys_call_table", "x32_sys_call",
                                                    "x32_sys_call_table"};
      std::vector<std::string> found;
      std::string address, type, name;
      std::string rest;
      while (in >> address >> type >> name) {
        if (kWanted.count(name) != 0) found.push_back(name);
        std::getline(in, rest);  // a module name in brackets, when there is one
      }
      inputs.kallsyms = std::move(found);
    }
  }
  return inputs;
}

}  // namespace elfrun::diagnose
