// The store's entries: listed from the directory, added by unpack-then-rename (rename(2) is atomic within one file
// system, so a reader sees no entry or a whole one), removed by rename-then-delete.
#include "fetch/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "fetch/process.h"
#include "util/trust.h"

namespace elfrun::fetch {

namespace {

std::vector<std::string> names_in(const std::string& directory) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return names;
  while (const dirent* entry = ::readdir(dir)) {
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
      names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

void remove_tree(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
}

}  // namespace

Store Store::for_user() {
  std::string base;
  // XDG Base Directory: $XDG_DATA_HOME when it is an absolute path, else $HOME/.local/share.
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && xdg[0] == '/') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    base = std::string(home) + "/.local/share";
  } else {
    return Store("");
  }
  return Store(base + "/elfrun/store");
}

bool Store::usable(bool create) const {
  if (directory_.empty()) return false;
  util::TrustFailure failure;
  int fd = util::open_trusted_directory(directory_, create, failure);
  if (fd < 0) {
    util::report_untrusted("store", directory_, failure);
    return false;
  }
  ::close(fd);
  return true;
}

std::vector<StoreEntry> Store::entries(const std::string& package, const std::string& arch) const {
  std::vector<StoreEntry> out;
  if (!usable(false)) return out;
  for (const std::string& name : names_in(directory_)) {
    if (name.front() == '.') continue;
    auto parsed = parse_store_entry_name(name);
    if (!parsed || (!package.empty() && parsed->package != package) || (!arch.empty() && parsed->arch != arch)) {
      continue;
    }
    std::string path = directory_ + "/" + name;
    struct stat st {};
    // An entry is ours: a real directory, owned by us or root, writable by nobody else.
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || util::untrusted_directory_reason(st, true)) {
      continue;
    }
    out.push_back({path, *parsed});
  }
  return out;
}

std::optional<StoreEntry> Store::find(const std::string& package, const std::string& version,
                                      const std::string& arch) const {
  for (StoreEntry& entry : entries(package, arch)) {
    if (entry.name.version == version) return entry;
  }
  return std::nullopt;
}

void Store::remove_leftovers() const {
  if (!usable(false)) return;
  for (const std::string& name : names_in(directory_)) {
    if (name.rfind(".tmp-", 0) != 0) continue;
    long pid = std::strtol(name.c_str() + 5, nullptr, 10);
    if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) continue;  // still unpacking
    remove_tree(directory_ + "/" + name);
  }
}

Expected<StoreEntry> Store::add(const std::string& deb, const StoreEntryName& name) const {
  auto entry_name = store_entry_name(name.package, name.version, name.arch);
  if (!entry_name) return Error{"store: " + name.package + " " + name.version + ": not a name the store can hold"};
  if (!usable(true)) return Error{"store " + directory_ + ": cannot be used (see the warning above)"};
  remove_leftovers();
  std::string final_path = directory_ + "/" + *entry_name;
  std::string temporary = directory_ + "/.tmp-" + std::to_string(::getpid()) + "-" + *entry_name + "-XXXXXX";
  if (::mkdtemp(temporary.data()) == nullptr) {
    return Error{"store: cannot make a temporary directory in " + directory_ + ": " + std::strerror(errno)};
  }
  ChildResult unpacked = run_child({"dpkg-deb", "-x", deb, temporary});
  if (!unpacked.ok()) {
    remove_tree(temporary);
    return Error{"dpkg-deb -x " + deb + " failed: " + last_lines(unpacked.output, 3)};
  }
  ::chmod(temporary.c_str(), 0755);
  if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
    int error = errno;
    remove_tree(temporary);
    // Another elfrun unpacked the same package meanwhile: its entry is as good as ours.
    if (error != EEXIST && error != ENOTEMPTY) {
      return Error{"store: cannot rename into " + final_path + ": " + std::strerror(error)};
    }
  }
  return StoreEntry{final_path, name};
}

Expected<void> Store::remove(const StoreEntry& entry) const {
  std::string aside = directory_ + "/.tmp-" + std::to_string(::getpid()) + "-gc-XXXXXX";
  if (::mkdtemp(aside.data()) == nullptr) return Error{"store: " + std::string(std::strerror(errno))};
  std::string target = aside + "/entry";
  if (::rename(entry.path.c_str(), target.c_str()) != 0) {
    int error = errno;
    ::rmdir(aside.c_str());
    return Error{"store: cannot remove " + entry.path + ": " + std::strerror(error)};
  }
  remove_tree(aside);
  return {};
}

uint64_t tree_size(const std::string& path) {
  uint64_t total = 0;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(path, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_size);
  }
  return total;
}

}  // namespace elfrun::fetch
