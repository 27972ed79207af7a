// The shared state of a diagnosis: paths inside the root, the machine's facts read on first use, and findings.
#include "diagnose/walk.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "loader/hwcaps.h"
#include "loader/kernel_machines.h"
#include "loader/open_in_root.h"
#include "run/plan.h"
#include "util/quote.h"

namespace elfrun::diagnose {

namespace {

std::string uname_field(bool release) {
  struct utsname names {};
  if (::uname(&names) != 0) return {};
  return release ? names.release : names.machine;
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += separator;
    text += items[i];
  }
  return text;
}

std::string quote(std::string_view path) { return util::shell_quote_path(path); }

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::blocking: return "blocking";
    case Severity::warning: return "warning";
    case Severity::info: return "info";
  }
  return "info";
}

const Finding* Diagnosis::first_blocking() const {
  for (const Finding& finding : findings) {
    if (finding.severity == Severity::blocking) return &finding;
  }
  return nullptr;
}

Walk::Walk(const DiagnoseOptions& options) : options_(options) {
  host_root_ = options.root.empty() || options.root == "/";
}

std::optional<std::string> Walk::real_host_path(const std::string& inside_path) const {
  if (host_root_) {
    char* real = ::realpath(inside_path.c_str(), nullptr);
    if (real == nullptr && errno == ENAMETOOLONG && !inside_path.empty() && inside_path[0] != '/' &&
        inside_path.size() < PATH_MAX) {
      // The real path is longer than PATH_MAX (a deep working directory), but the relative path still opens, as
      // execve and the loader open it: that path, relative to the working directory, is the host path then.
      struct stat st {};
      if (::stat(inside_path.c_str(), &st) != 0) return std::nullopt;
      return inside_path;
    }
    if (real == nullptr) return std::nullopt;
    std::string result = real;
    std::free(real);
    return result;
  }
  // As after chroot(2): absolute symlinks restart at the root, ".." stops there (openat2 RESOLVE_IN_ROOT).
  std::string absolute = inside_path.empty() || inside_path[0] != '/' ? "/" + inside_path : inside_path;
  int root_fd = ::open(options_.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return std::nullopt;
  // Without openat2 (qemu-user 7.2 has none: an i386 elfrun on a kernel without IA32 emulation) the path is walked
  // inside the root, never resolved on the host.
  int fd = loader::open_in_root(root_fd, absolute, O_PATH | O_CLOEXEC);
  int error = errno;
  ::close(root_fd);
  if (fd < 0) {
    errno = error;
    return std::nullopt;
  }
  char target[PATH_MAX];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t length = ::readlink(link.c_str(), target, sizeof target - 1);
  ::close(fd);
  if (length < 0) return std::nullopt;
  return std::string(target, static_cast<size_t>(length));
}

std::string Walk::inside_path_of(const std::string& typed) const {
  if (host_root_) return typed;
  std::string host = typed;
  if (host.empty() || host[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return typed;
    host = std::string(cwd) + "/" + typed;
  }
  std::string root = options_.root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (host.compare(0, root.size(), root) == 0 && (host.size() == root.size() || host[root.size()] == '/')) {
    std::string inside = host.substr(root.size());
    return inside.empty() ? "/" : inside;
  }
  return typed;  // an inside path already
}

std::string Walk::explain_missing(const std::string& inside_path) const {
  if (inside_path.empty()) return "the path is empty";
  // Each prefix in turn: the first that cannot be reached says why.
  std::vector<std::string> prefixes;
  for (size_t slash = inside_path.find('/', 1); slash != std::string::npos; slash = inside_path.find('/', slash + 1)) {
    prefixes.push_back(inside_path.substr(0, slash));
  }
  prefixes.push_back(inside_path);
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const std::string& prefix = prefixes[i];
    if (real_host_path(prefix)) continue;
    int error = errno;
    bool last = i + 1 == prefixes.size();
    if (error == ENOTDIR) return (i > 0 ? prefixes[i - 1] : prefix) + " is not a directory";
    if (error == EACCES) return "the directory " + parent_of(prefix) + " cannot be searched (permission denied)";
    if (error == ELOOP) return prefix + ": too many levels of symbolic links";
    if (error != ENOENT) return prefix + ": " + std::strerror(error);
    // ENOENT: a dangling symbolic link, or nothing there.
    auto parent = real_host_path(parent_of(prefix));
    if (parent) {
      std::string name = prefix.substr(prefix.rfind('/') + 1);
      std::string host = (*parent == "/" ? "" : *parent) + "/" + name;
      struct stat st {};
      if (::lstat(host.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t length = ::readlink(host.c_str(), target, sizeof target - 1);
        std::string to = length > 0 ? std::string(target, static_cast<size_t>(length)) : "?";
        return prefix + " is a symbolic link to " + to + ", which does not exist";
      }
    }
    return last ? prefix + " does not exist" : "the directory " + prefix + " does not exist";
  }
  return inside_path + " exists";
}

const std::string& Walk::kernel_release() {
  if (!release_) release_ = options_.kernel_release ? *options_.kernel_release : uname_field(true);
  return *release_;
}

const std::string& Walk::kernel_machine() {
  // Not uname's word alone: under qemu-i386 it says i686 of an x86-64 kernel (loader/kernel_machines.h).
  if (!machine_) machine_ = options_.kernel_machine ? *options_.kernel_machine : loader::kernel_machine();
  return *machine_;
}

std::optional<KernelVersion> Walk::kernel_version() { return parse_kernel_release(kernel_release()); }

uint32_t Walk::x86_isa_levels() {
  if (!isa_levels_) isa_levels_ = options_.x86_isa_levels ? *options_.x86_isa_levels : loader::host_x86_isa_levels();
  return *isa_levels_;
}

const std::vector<BinfmtHandler>& Walk::binfmt_handlers() {
  if (!binfmt_) binfmt_ = read_binfmt_misc(options_.binfmt_misc, binfmt_mounted_);
  return *binfmt_;
}

bool Walk::binfmt_mounted() {
  binfmt_handlers();
  return binfmt_mounted_;
}

const std::vector<MountEntry>& Walk::mounts() {
  if (!mounts_) {
    std::ifstream in(options_.mountinfo);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    mounts_ = parse_mountinfo(text.str());
  }
  return *mounts_;
}

namespace {

// The running kernel's answer (its probe, loader/kernel_machines.h) is the fact; its config and command line are the
// evidence and say what could switch the feature on.
FeatureState from_probe(const loader::KernelAbiAnswer& answer, std::vector<std::string> settings,
                        std::vector<std::string> fixes) {
  FeatureState state;
  state.value = answer.runs ? FeatureState::Value::yes : FeatureState::Value::no;
  state.evidence = answer.evidence;
  state.more_evidence = std::move(settings);
  if (!answer.runs) state.fixes = std::move(fixes);
  return state;
}

}  // namespace

void Walk::read_x86_compat() {
  X86CompatInputs inputs;
  bool given = options_.kernel_config || options_.kernel_command_line;
  if (given) {
    inputs.config = options_.kernel_config;
    inputs.config_source = "the kernel config given";
    inputs.command_line = options_.kernel_command_line.value_or("");
  } else {
    inputs = read_x86_compat_inputs(kernel_release());
  }
  ia32_ = ia32_emulation_state(inputs);
  x32_ = x32_abi_state(inputs);
  ia32_->fixes = ia32_enable_fixes(inputs);
  x32_->fixes = x32_enable_fixes(inputs);
  // Facts given by the caller (tests) are the whole truth; on the running kernel, the probe is.
  if (given || options_.kernel_machine) return;
  using loader::KernelAbiAnswer;
  const KernelAbiAnswer& ia32 = loader::kernel_abi(loader::X86Abi::i386);
  if (ia32.source != KernelAbiAnswer::Source::unknown && ia32.source != KernelAbiAnswer::Source::binfmt_misc) {
    ia32_ = from_probe(ia32, ia32_settings_evidence(inputs), ia32_enable_fixes(inputs));
  }
  const KernelAbiAnswer& x32 = loader::kernel_abi(loader::X86Abi::x32);
  if (x32.source != KernelAbiAnswer::Source::unknown && x32.source != KernelAbiAnswer::Source::binfmt_misc) {
    x32_ = from_probe(x32, x32_settings_evidence(inputs), x32_enable_fixes(inputs));
  }
}

FeatureState Walk::ia32_emulation() {
  if (!ia32_) read_x86_compat();
  return *ia32_;
}

FeatureState Walk::x32_abi() {
  if (!x32_) read_x86_compat();
  return *x32_;
}

const std::vector<loader::DiscoveredLoader>& Walk::loaders() {
  if (!loaders_) loaders_ = loader::discover_loaders(options_.discovery);
  return *loaders_;
}

Finding& Walk::add(std::string code, Severity severity, std::string subject, std::string verdict) {
  Finding& finding = findings.emplace_back();
  finding.code = std::move(code);
  finding.severity = severity;
  finding.subject = std::move(subject);
  finding.verdict = std::move(verdict);
  return finding;
}

}  // namespace elfrun::diagnose
