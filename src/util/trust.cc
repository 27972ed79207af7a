// The trust rule: see trust.h.
#include "util/trust.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace elfrun::util {

namespace {

UntrustedReporter reporter = nullptr;  // constant-initialised: usable before main()

bool owned_by_us_or_root(const struct stat& st) { return st.st_uid == ::geteuid() || st.st_uid == 0; }

// Opens one component below `parent` as a directory, without following a symbolic link; with `create`, makes a
// missing one 0700 first. Sets `failure` (reason, errno) when it cannot.
int open_component(int parent, const char* name, bool create, TrustFailure& failure) {
  int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create) {
    if (::mkdirat(parent, name, 0700) != 0 && errno != EEXIST) {
      failure.error = errno;
      failure.reason = "cannot be created";
      return -1;
    }
    fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd >= 0) return fd;
  failure.error = errno;
  struct stat st {};
  if (failure.error == ENOENT) return -1;  // not there: no reason, nothing to warn about
  if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    failure.reason = "is a symbolic link where a directory is expected";
  } else if (failure.error == ENOTDIR) {
    failure.reason = "is not a directory";
  } else {
    failure.reason = "cannot be opened";
  }
  return -1;
}

}  // namespace

const char* untrusted_directory_reason(const struct stat& st, bool last) {
  if (!S_ISDIR(st.st_mode)) return "is not a directory";
  if (!owned_by_us_or_root(st)) return "is owned by another user";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    // A root-owned sticky directory (/tmp) above the last level: others may add names there, never take ours.
    if (!last && st.st_uid == 0 && (st.st_mode & S_ISVTX) != 0) return nullptr;
    return "is writable by group or others";
  }
  return nullptr;
}

const char* untrusted_file_reason(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return "is not a regular file";
  if (!owned_by_us_or_root(st)) return "is owned by another user";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return "is writable by group or others";
  return nullptr;
}

int open_trusted_directory(std::string_view path, bool create, TrustFailure& failure) {
  failure = TrustFailure{};
  if (path.empty() || path[0] != '/') {
    failure.reason = "is not an absolute path";
    failure.component_length = path.size();
    return -1;
  }
  int fd = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    failure.error = errno;
    failure.reason = "cannot be opened";
    failure.component_length = 1;
    return -1;
  }
  size_t start = 1;
  size_t end = 1;
  for (;;) {
    // The level just opened (the whole path when nothing follows) is checked before anything is looked up in it.
    while (start < path.size() && path[start] == '/') ++start;
    bool last = start >= path.size();
    struct stat st {};
    const char* reason = ::fstat(fd, &st) != 0 ? "cannot be examined" : untrusted_directory_reason(st, last);
    if (reason != nullptr) {
      failure.reason = reason;
      failure.component_length = end;
      ::close(fd);
      return -1;
    }
    if (last) return fd;
    end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    char name[NAME_MAX + 1];
    if (end - start > NAME_MAX) {
      failure.reason = "has a component longer than NAME_MAX";
      failure.component_length = end;
      ::close(fd);
      return -1;
    }
    std::memcpy(name, path.data() + start, end - start);
    name[end - start] = '\0';
    int next = open_component(fd, name, create, failure);
    ::close(fd);
    if (next < 0) {
      failure.component_length = end;
      return -1;
    }
    fd = next;
    start = end;
  }
}

std::string describe(std::string_view path, const TrustFailure& failure) {
  std::string text(path.substr(0, failure.component_length));
  text += ' ';
  text += failure.reason != nullptr ? failure.reason : "does not exist";
  if (failure.error != 0 && failure.error != ENOENT) {
    text += " (";
    text += std::strerror(failure.error);
    text += ')';
  }
  return text;
}

std::string untrusted_path_reason(const std::string& path) {
  if (path.empty() || path[0] != '/') return path + " is not an absolute path";
  // The path as written: the directory holding each component (a symbolic link among them, such as /lib64, can be
  // retargeted only by whoever may write that directory).
  for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    std::string directory = path.substr(0, slash);
    struct stat st {};
    if (::stat(directory.c_str(), &st) != 0) return directory + " cannot be examined (" + std::strerror(errno) + ")";
    if (const char* reason = untrusted_directory_reason(st, false)) return directory + " " + reason;
  }
  // The file it resolves to, and the directories that hold it, with no link left to follow.
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path + " cannot be resolved (" + std::strerror(errno) + ")";
  std::string real(resolved);
  std::free(resolved);
  size_t slash = real.rfind('/');
  TrustFailure failure;
  int directory = open_trusted_directory(slash == 0 ? std::string_view("/") : std::string_view(real).substr(0, slash),
                                         false, failure);
  if (directory < 0) return describe(real, failure);
  int fd = ::openat(directory, real.c_str() + slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  ::close(directory);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    int error = errno;
    if (fd >= 0) ::close(fd);
    return real + " cannot be opened (" + std::strerror(error) + ")";
  }
  ::close(fd);
  if (const char* reason = untrusted_file_reason(st)) return real + " " + reason;
  return {};
}

void set_untrusted_reporter(UntrustedReporter new_reporter) { reporter = new_reporter; }

void report_untrusted(std::string_view what, std::string_view path, std::string_view reason) {
  if (reporter == nullptr) return;
  std::string line = "ignoring ";
  line += what;
  line += ' ';
  line += path;
  line += ": ";
  line += reason;
  reporter(line);
}

void report_untrusted(std::string_view what, std::string_view path, const TrustFailure& failure) {
  if (reporter == nullptr || failure.reason == nullptr) return;
  report_untrusted(what, path, describe(path, failure));
}

}  // namespace elfrun::util
