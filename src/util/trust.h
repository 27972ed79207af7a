// The trust rule: which files elfrun may let decide what it executes, or write into, when another user could have
// put them there. ssh's StrictModes (auth.c secure_filename) and git's safe.directory answer the same question the
// same way: every directory from / down to the file, and the file, is owned by the effective user or root and is
// writable by nobody else, and no component that must be a directory is a symbolic link. The one exception is a
// root-owned sticky directory such as /tmp above the last level: there nobody else can rename or remove what is ours.
//
// Applies to the caches (~/.cache/elfrun or $XDG_CACHE_HOME/elfrun), the configuration files and the loaders they
// name. What fails is ignored with one warning line (util::report_untrusted), and the command does its job without
// it. Running as root with another user's HOME or XDG_CACHE_HOME (`sudo -E`, `su` without `-`) is the main case.
//
// Nothing here needs a static constructor or the heap on the success path: run's fast path (cli/run_fast.cc) opens
// its cache directory through it before main().
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

namespace elfrun::util {

// Why a path failed the rule: `reason` a fixed phrase, `component_length` how much of the path names the component
// that failed (the whole path for the file itself), `error` an errno when opening failed.
struct TrustFailure {
  const char* reason = nullptr;
  size_t component_length = 0;
  int error = 0;
  explicit operator bool() const { return reason != nullptr; }
};

// Whether one directory may hold what elfrun trusts; `last` is the directory the file is in (no sticky exception).
const char* untrusted_directory_reason(const struct stat& st, bool last);
// Whether a file elfrun reads or executes passes: a regular file owned by the effective user or root, writable by
// nobody else.
const char* untrusted_file_reason(const struct stat& st);

// Opens the absolute directory `path` (O_RDONLY|O_DIRECTORY), walking from / one component at a time with openat
// and O_NOFOLLOW and checking each level; with `create`, a missing level is made 0700 through its parent's fd.
// Returns the fd, or -1 with `failure` filled (failure.error == ENOENT and no reason: it just does not exist).
int open_trusted_directory(std::string_view path, bool create, TrustFailure& failure);

// Whether the file at `path` (absolute; symbolic links allowed where they live in trusted directories, as /lib64 is)
// may be read or executed: the directories of the path as written, and of the file it resolves to, pass, and so does
// the file. An empty string when it does; otherwise the reason, naming the component.
std::string untrusted_path_reason(const std::string& path);

// "COMPONENT REASON" for a failure of `path`.
std::string describe(std::string_view path, const TrustFailure& failure);

// One warning line "ignoring WHAT PATH: REASON", to whatever the command line installed (nothing before main()).
using UntrustedReporter = void (*)(std::string_view line);
void set_untrusted_reporter(UntrustedReporter reporter);
void report_untrusted(std::string_view what, std::string_view path, std::string_view reason);
// The same for a failed open_trusted_directory; nothing (and no allocation) when there is no reporter or the path
// simply does not exist.
void report_untrusted(std::string_view what, std::string_view path, const TrustFailure& failure);

}  // namespace elfrun::util
