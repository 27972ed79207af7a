// RootedFs: chroot-semantics path resolution for reading files inside another root.
#include "loader/filesystem.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

#include "loader/open_in_root.h"
#include "util/access_log.h"
#include "util/text.h"

namespace elfrun::loader {

namespace {

#ifndef SYS_openat2
#define SYS_openat2 437  // the same number on every architecture
#endif

std::string host_cwd() {
  std::vector<char> buffer(PATH_MAX);
  if (::getcwd(buffer.data(), buffer.size()) == nullptr) return "/";
  return std::string(buffer.data());
}

// Walks `path` component by component from the root directory, following symlinks inside the root, the way the
// kernel does after chroot: ".." at the root stays at the root, absolute link targets restart from the root.
int open_in_root_by_walking(int root_fd, const std::string& path, int flags) {
  std::vector<std::string> pending;  // components still to walk, in reverse order
  auto push_path = [&pending](const std::string& p) {
    std::vector<std::string> parts = util::split_non_empty(p, '/');
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.push_back(*it);
  };
  push_path(path);
  std::vector<int> stack{::dup(root_fd)};  // directory fds from the root down
  int links = 0;
  auto close_all = [&stack]() {
    for (int fd : stack) ::close(fd);
  };
  while (!pending.empty()) {
    std::string name = pending.back();
    pending.pop_back();
    if (name == ".") continue;
    if (name == "..") {
      if (stack.size() > 1) {
        ::close(stack.back());
        stack.pop_back();
      }
      continue;
    }
    bool last = pending.empty();
    char target[PATH_MAX];
    ssize_t n = ::readlinkat(stack.back(), name.c_str(), target, sizeof target - 1);
    if (n >= 0) {
      if (++links > 40) {
        close_all();
        errno = ELOOP;
        return -1;
      }
      target[n] = '\0';
      if (target[0] == '/') {
        while (stack.size() > 1) {
          ::close(stack.back());
          stack.pop_back();
        }
      }
      push_path(target);
      continue;
    }
    int fd = ::openat(stack.back(), name.c_str(), last ? flags : (O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (fd < 0) {
      int saved = errno;
      close_all();
      errno = saved;
      return -1;
    }
    if (last) {
      close_all();
      return fd;
    }
    stack.push_back(fd);
  }
  // The path named the root itself (or only "." and ".." components).
  int fd = ::openat(stack.back(), ".", flags);
  int saved = errno;
  close_all();
  errno = saved;
  return fd;
}

}  // namespace

RootedFs::RootedFs(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty() || root == "/") {
    root_ = "/";
    is_host_ = true;
    cwd_ = host_cwd();
    return;
  }
  root_ = std::move(root);
  is_host_ = false;
  // Inside another root symlinks resolve in the root, which a stat of the host path cannot check.
  util::watch_unwatchable("files read inside another root");
  cwd_ = "/";
  root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

RootedFs::~RootedFs() {
  if (root_fd_ >= 0) ::close(root_fd_);
}

std::string RootedFs::absolute(const std::string& path) const {
  if (!path.empty() && path[0] == '/') return path;
  if (cwd_ == "/") return "/" + path;
  return cwd_ + "/" + path;
}

bool RootedFs::on_host(const std::string& path) const {
  if (is_host_ || path.empty() || path[0] != '/') return false;
  for (const std::string& dir : host_directories_) {
    if (path.compare(0, dir.size(), dir) == 0 && (path.size() == dir.size() || path[dir.size()] == '/')) return true;
  }
  return false;
}

std::string RootedFs::host_path(const std::string& inside) const {
  if (is_host_ || on_host(inside)) return inside;
  if (host_fallback_) {
    auto fell = fell_back_.find(inside);
    if (fell != fell_back_.end() && fell->second) return inside;
  }
  std::string absolute_path = absolute(inside);
  return root_ + absolute_path;
}

std::optional<std::string> RootedFs::inside_path(const std::string& host) const {
  if (is_host_) return host;
  if (host.compare(0, root_.size(), root_) != 0) return std::nullopt;
  if (host.size() == root_.size()) return "/";
  if (host[root_.size()] != '/') return std::nullopt;
  return host.substr(root_.size());
}

int open_in_root(int root_fd, const std::string& path, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
  if (fd >= 0 || (errno != ENOSYS && errno != EPERM && errno != EAGAIN)) return static_cast<int>(fd);
  // No openat2 (Linux before 5.6, a seccomp filter, qemu-user 7.2): walk the path ourselves.
  return open_in_root_by_walking(root_fd, path, flags);
}

int RootedFs::open_fd(const std::string& path, int flags) {
  if (is_host_) return ::open(path.c_str(), flags);
  if (root_fd_ < 0) {
    errno = ENOENT;
    return -1;
  }
  return loader::open_in_root(root_fd_, absolute(path), flags);
}

namespace {

// What an open descriptor holds: its identity and size, and its bytes when it is a regular file. Closes fd.
OpenedFile describe_opened(int fd, const std::string& path) {
  OpenedFile result;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    result.error = errno;
    util::watch_stat(path, nullptr, result.error);
  } else {
    util::watch_stat(path, &st, 0);
    result.id = FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
    result.size = static_cast<uint64_t>(st.st_size);
    if (S_ISDIR(st.st_mode)) {
      result.is_directory = true;
    } else if (S_ISREG(st.st_mode)) {
      // Mapped, never copied: the resolver keeps every file it opened and gives the pages back once it has
      // parsed them (ByteSource::release_resident_pages), which keeps deps over a whole system under 64 MB.
      auto source = elf::ByteSource::map_fd(fd, path);
      if (source) {
        result.bytes = std::shared_ptr<elf::ByteSource>(std::move(*source));
      } else {
        result.error = EIO;
      }
    } else {
      result.error = EACCES;  // a FIFO or device: never read (it could block)
    }
  }
  ::close(fd);
  return result;
}

constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

}  // namespace

const OpenedFile& RootedFs::open(const std::string& path) {
  if (on_host(path)) return open_host(path);
  if (host_fallback_ && !path.empty() && path[0] == '/') {
    // util/path.c: the prefixed path when access(F_OK) finds it, else the path itself on the host.
    const OpenedFile& in_root = open_in_root(path);
    bool absent = in_root.error == ENOENT || in_root.error == ENOTDIR || in_root.error == ELOOP;
    fell_back_[path] = absent;
    return absent ? open_host(path) : in_root;
  }
  return open_in_root(path);
}

const OpenedFile& RootedFs::open_in_root(const std::string& path) {
  auto found = cache_.find(path);
  if (found != cache_.end()) return found->second;
  int missing_dir_error = missing_ancestor(path);
  int fd = missing_dir_error != 0 ? -1 : open_fd(path, kOpenFlags);
  if (fd < 0) {
    // Not cached: a search for 10,000 missing libraries tries some 440,000 paths, whose entries took 100 MB
    // (issue 13, finding 10). The loader tries them again too; a failure holds nothing worth keeping.
    failure_ = OpenedFile{};
    failure_.error = missing_dir_error != 0 ? missing_dir_error : errno;
    if (missing_dir_error == 0 && (failure_.error == ENOENT || failure_.error == ENOTDIR)) note_missing(path);
    util::watch_stat(path, nullptr, failure_.error);
    return failure_;
  }
  return cache_.emplace(path, describe_opened(fd, path)).first->second;
}

// glibc elf/dl-load.c open_path keeps, for each search directory, whether it exists (r_search_path_elem status[]):
// once a file in it failed to open and a stat found no directory, the directory is skipped. The same here, one
// level further: after a failed open the directories above the file are checked from the nearest up to the first
// that exists, and a path under one that does not is answered without a system call. A program with 10,000
// DT_RPATH entries made 110,000 opens, each library missing from the system directories 44 (issue 13, finding 10).
namespace {

std::string parent_directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return {};
  return path.substr(0, slash);
}

}  // namespace

int RootedFs::missing_ancestor(const std::string& path) const {
  if (missing_dirs_.empty()) return 0;
  for (std::string dir = parent_directory(path); !dir.empty(); dir = parent_directory(dir)) {
    auto missing = missing_dirs_.find(dir);
    if (missing != missing_dirs_.end()) return missing->second;
    if (existing_dirs_.count(dir) != 0) return 0;
  }
  return 0;
}

void RootedFs::note_missing(const std::string& path) {
  for (std::string dir = parent_directory(path); !dir.empty(); dir = parent_directory(dir)) {
    if (missing_dirs_.count(dir) != 0 || existing_dirs_.count(dir) != 0) return;
    int fd = open_fd(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      ::close(fd);
      existing_dirs_.insert(dir);
      return;
    }
    if (errno != ENOENT && errno != ENOTDIR) return;  // EACCES, ELOOP...: no conclusion
    missing_dirs_.emplace(dir, errno);
  }
}

const OpenedFile& RootedFs::open_host(const std::string& host_path) {
  auto found = host_cache_.find(host_path);
  if (found != host_cache_.end()) return found->second;
  OpenedFile result;
  int fd = ::open(host_path.c_str(), kOpenFlags);
  if (fd < 0) {
    result.error = errno;
    util::watch_stat(host_path, nullptr, result.error);
  } else {
    result = describe_opened(fd, host_path);
  }
  return host_cache_.emplace(host_path, std::move(result)).first->second;
}

bool RootedFs::is_directory(const std::string& path) {
  if (is_host_ || on_host(path)) util::watch_path(path);
  int fd = on_host(path) ? ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)
                         : open_fd(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && host_fallback_ && !path.empty() && path[0] == '/' && (errno == ENOENT || errno == ENOTDIR)) {
    fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::vector<std::string> RootedFs::list_directory(const std::string& path) {
  std::vector<std::string> names;
  const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK;
  int fd = on_host(path) ? ::open(path.c_str(), flags) : open_fd(path, flags);
  if (fd < 0) return names;
  DIR* directory = ::fdopendir(fd);
  if (directory == nullptr) {
    ::close(fd);
    return names;
  }
  while (const dirent* entry = ::readdir(directory)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(directory);
  std::sort(names.begin(), names.end());
  return names;
}

std::shared_ptr<elf::ByteSource> RootedFs::read_file(const std::string& path) {
  const OpenedFile& file = open(path);
  if (file.error != 0 || file.is_directory) return nullptr;
  return file.bytes;
}

}  // namespace elfrun::loader
