// apt with a private state: the options are apt.conf(5)'s Dir:: tree, each pointed into our directory, and
// Debug::NoLocking (the state is the user's alone; no lock file of the machine's is taken).
#include "fetch/apt.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "fetch/architecture.h"
#include "fetch/policy.h"
#include "fetch/process.h"
#include "util/cache_file.h"
#include "util/trust.h"

namespace elfrun::fetch {

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> files_in(const std::string& directory, const std::string& suffix) {
  std::vector<std::string> out;
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return out;
  while (const dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(directory + "/" + name);
    }
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

std::string state_directory(const Archive& archive) {
  std::string base = util::user_cache_directory("apt");
  if (base.empty()) return {};
  return base + "/" + archive.suite + "_" + archive.arch;
}

}  // namespace

std::string machine_suite() { return os_release_codename(read_text("/etc/os-release")); }

std::string machine_architecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__i386__)
  return "i386";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "armhf";
#elif defined(__riscv)
  return "riscv64";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__powerpc64__)
  return "ppc64el";
#else
  return "";
#endif
}

Expected<std::string> machine_mirror() {
  if (const char* forced = std::getenv("ELFRUN_FETCH_MIRROR"); forced != nullptr && *forced != '\0') return {forced};
  for (const std::string& file : files_in("/etc/apt/sources.list.d", ".sources")) {
    if (auto mirror = mirror_of_deb822(read_text(file))) return *mirror;
  }
  std::vector<std::string> lists = {"/etc/apt/sources.list"};
  for (const std::string& file : files_in("/etc/apt/sources.list.d", ".list")) lists.push_back(file);
  for (const std::string& file : lists) {
    if (auto mirror = mirror_of_one_line(read_text(file))) return *mirror;
  }
  return Error{
      "no Debian archive in this machine's apt sources (/etc/apt/sources.list.d/*.sources, "
      "/etc/apt/sources.list): elfrun fetches from the mirror they name"};
}

Expected<AptState> AptState::open(const Archive& archive) {
  AptState state;
  state.archive_ = archive;
  state.directory_ = state_directory(archive);
  if (state.directory_.empty()) {
    return Error{"no cache directory for apt's private state (HOME and XDG_CACHE_HOME unset, or ELFRUN_NO_CACHE)"};
  }
  int fd = util::open_cache_directory(state.directory_, true);
  if (fd < 0) return Error{state.directory_ + ": cannot be used for apt's private state (see the warning above)"};
  ::close(fd);
  for (const char* sub : {"/lists", "/lists/partial", "/archives", "/archives/partial", "/etc", "/etc/sources.list.d",
                          "/etc/preferences.d"}) {
    ::mkdir((state.directory_ + sub).c_str(), 0700);
  }
  std::string status = state.directory_ + "/status";
  if (::access(status.c_str(), F_OK) != 0 && !write_text(status, "")) {
    return Error{status + ": cannot be written"};
  }
  std::string sources = "deb [signed-by=" + archive.keyring + "] " + archive.mirror + " " + archive.suite + " main\n";
  if (read_text(state.directory_ + "/etc/sources.list") != sources &&
      !write_text(state.directory_ + "/etc/sources.list", sources)) {
    return Error{state.directory_ + "/etc/sources.list: cannot be written"};
  }
  return state;
}

std::optional<AptState> AptState::existing(const Archive& archive) {
  AptState state;
  state.archive_ = archive;
  state.directory_ = state_directory(archive);
  if (state.directory_.empty()) return std::nullopt;
  util::TrustFailure failure;
  int fd = util::open_trusted_directory(state.directory_, false, failure);
  if (fd < 0) return std::nullopt;
  ::close(fd);
  if (!state.has_indexes()) return std::nullopt;
  return state;
}

bool AptState::has_indexes() const {
  // apt keeps them compressed as it likes (Packages.lz4 on Debian 12): any index file of a Packages kind counts.
  DIR* dir = ::opendir((directory_ + "/lists").c_str());
  if (dir == nullptr) return false;
  bool found = false;
  while (const dirent* entry = ::readdir(dir)) found = found || std::strstr(entry->d_name, "_Packages") != nullptr;
  ::closedir(dir);
  return found;
}

std::vector<std::string> AptState::command(const char* tool) const {
  const std::string& d = directory_;
  std::vector<std::string> argv = {tool, "-q",
                                   "-o", "Dir::State=" + d,
                                   "-o", "Dir::State::Lists=" + d + "/lists",
                                   "-o", "Dir::State::status=" + d + "/status",
                                   "-o", "Dir::Cache=" + d,
                                   "-o", "Dir::Cache::Archives=" + d + "/archives",
                                   "-o", "Dir::Etc::SourceList=" + d + "/etc/sources.list",
                                   "-o", "Dir::Etc::SourceParts=" + d + "/etc/sources.list.d",
                                   "-o", "Dir::Etc::Preferences=" + d + "/etc/preferences",
                                   "-o", "Dir::Etc::PreferencesParts=" + d + "/etc/preferences.d",
                                   "-o", "APT::Architecture=" + archive_.arch,
                                   "-o", "APT::Architectures=" + archive_.arch,
                                   "-o", "Debug::NoLocking=1",
                                   "-o", "Acquire::Languages=none",
                                   "-o", "Acquire::Retries=0",
                                   "-o", "Acquire::http::Timeout=30"};
  // The Contents index (fetch/contents_index.h) only where its sources ask for it by name, never with the Packages
  // indexes (apt-file's apt.conf.d enables it for every source).
  for (const char* target : {"Contents-deb", "Contents-deb-legacy"}) {
    argv.insert(argv.end(), {"-o", std::string("Acquire::IndexTargets::deb::") + target + "::DefaultEnabled=false"});
  }
  // As root apt downloads as the _apt user, who cannot write into our 0700 directory: there it stays root.
  if (::geteuid() == 0) argv.insert(argv.end(), {"-o", "APT::Sandbox::User=root"});
  return argv;
}

namespace {

// Whether the suite's Release file, as apt keeps it in `lists`, says the suite has no `arch` (then a successful
// update leaves no Packages index, and that is the answer, not a failure).
bool suite_lacks_architecture(const std::string& lists, const std::string& arch) {
  DIR* dir = ::opendir(lists.c_str());
  if (dir == nullptr) return false;
  std::string release;
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.ends_with("_InRelease")) release = lists + "/" + std::string(name);
  }
  ::closedir(dir);
  return !release.empty() && !release_has_architecture(read_text(release), arch);
}

}  // namespace

Expected<void> AptState::update(bool force) const {
  if (!force && (has_indexes() || suite_lacks_architecture(directory_ + "/lists", archive_.arch))) {
    struct stat st {};
    std::string release = directory_ + "/lists";
    if (::stat(release.c_str(), &st) == 0 && std::time(nullptr) - st.st_mtime < 24 * 3600) return {};
  }
  std::vector<std::string> argv = command("apt-get");
  argv.push_back("update");
  ChildResult result = run_child(argv);
  // apt-get update exits 0 with "W: Failed to fetch" when a source is unreachable: the indexes must be there, unless
  // the suite has none for this architecture.
  bool failed = !result.ok() || result.output.find("\nW: Failed") != std::string::npos ||
                result.output.find("\nE: ") != std::string::npos;
  if (failed || (!has_indexes() && !suite_lacks_architecture(directory_ + "/lists", archive_.arch))) {
    return Error{"apt-get update (" + archive_.mirror + " " + archive_.suite + ", " + archive_.arch +
                 ") failed: " + last_lines(result.output, 3)};
  }
  // The lists directory's mtime records when the indexes were last fetched.
  ::utimensat(AT_FDCWD, (directory_ + "/lists").c_str(), nullptr, 0);
  return {};
}

std::optional<std::string> AptState::candidate(const std::string& package) const {
  std::vector<std::string> argv = command("apt-cache");
  argv.insert(argv.end(), {"policy", package + ":" + archive_.arch});
  ChildResult result = run_child(argv);
  if (!result.ok()) return std::nullopt;
  size_t at = result.output.find("Candidate: ");
  if (at == std::string::npos) return std::nullopt;
  size_t end = result.output.find('\n', at);
  std::string version = result.output.substr(at + 11, end == std::string::npos ? std::string::npos : end - at - 11);
  if (version.empty() || version == "(none)") return std::nullopt;
  return version;
}

Expected<std::string> AptState::download(const std::string& package, const std::string& version,
                                         const std::string& directory) const {
  std::vector<std::string> argv = command("apt-get");
  argv.insert(argv.end(), {"download", package + ":" + archive_.arch + "=" + version});
  ChildResult result = run_child(argv, directory);
  if (!result.ok()) {
    return Error{"apt-get download " + package + ":" + archive_.arch + "=" + version +
                 " failed: " + last_lines(result.output, 3)};
  }
  for (const std::string& deb : files_in(directory, ".deb")) {
    auto name = parse_deb_file_name(deb.substr(directory.size() + 1));
    if (name && name->package == package && name->version == version) return deb;
  }
  return Error{"apt-get download " + package + ": no .deb file appeared in " + directory};
}

}  // namespace elfrun::fetch
