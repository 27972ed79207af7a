// What elfrun's per-user caches share (the loader identity cache, loader/identity_cache.h, and run's plan cache,
// run/plan_cache.h): the stamp that pins a file's bytes without reading them, where the caches live, how an entry is
// read (only a small regular file of our own) and written (atomically), and the line format of their entries —
// words separated by single blanks, every string written as '=' and its bytes with anything outside printable ASCII
// (and '%') as %XX, so that no path or loader string can break a line or a field.
//
// Nothing here may need a static constructor: run's plan cache uses it before main() (cli/run_fast.cc).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace elfrun::util {

// What identifies a file's bytes without reading them: any write moves ctime (and mtime), a replaced file has
// another inode.
struct FileStamp {
  uint64_t device = 0, inode = 0, size = 0;
  int64_t mtime_sec = 0, mtime_nsec = 0, ctime_sec = 0, ctime_nsec = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp stamp_of(const struct stat& st);

// The stamp of the elfrun binary that runs (/proc/self/exe): an entry written by another build is not trusted.
std::optional<FileStamp> running_binary_stamp();

// The GNU build ID of the running executable, read from its own program headers in memory, as hex; "" when it was
// linked without one. The same bytes give the same ID, and it costs no system call (run's fast path).
std::string running_binary_build_id();

// True when the file has not changed for two seconds. A file changed more recently may change again within the same
// timestamp tick (file systems stamp with a coarse clock), so its stamp does not yet pin its bytes down: nothing
// derived from it is cached until it has settled (git's "racily clean" rule).
bool settled(const FileStamp& stamp);

// ${XDG_CACHE_HOME:-$HOME/.cache}/elfrun/NAME; "" (no cache) when ELFRUN_NO_CACHE is set or neither variable gives
// an absolute directory.
std::string user_cache_directory(std::string_view name);

// The cache directory `directory`, opened through util/trust.h's rule (created 0700 level by level when `create`):
// an fd, or -1 when it is missing or fails the rule (then one warning says why, and the cache is not used).
int open_cache_directory(const std::string& directory, bool create);

// The whole of a small (< 64 KiB) regular file `name` in the directory `directory_fd`, owned by this user, opened
// without following a symlink: a cache entry another user planted is not trusted. nullopt otherwise.
std::optional<std::string> read_own_file(int directory_fd, const char* name);
// The same in the directory `directory`, opened by open_cache_directory.
std::optional<std::string> read_own_file(const std::string& directory, const std::string& name);

// Writes `text` to `name` in `directory_fd` atomically (a temporary file renamed over the old one, all by the fd).
// Best effort: false when it could not.
bool write_file_atomically(int directory_fd, const std::string& name, std::string_view text);
// The same in the directory `directory`, opened (and created) by open_cache_directory.
bool write_file_atomically(const std::string& directory, const std::string& name, std::string_view text);

// The entry line format.
namespace entry_text {
void append_number(std::string& out, int64_t value);
void append_string(std::string& out, std::string_view text);  // " =ESCAPED"
void append_stamp(std::string& out, const FileStamp& stamp);  // seven numbers
// The words of one line, split at single blanks (the format never writes two).
std::vector<std::string_view> words_of(std::string_view line);
// The lines of an entry; nullopt unless every line, the last one too, ends with '\n'.
std::optional<std::vector<std::string_view>> lines_of(std::string_view text);
std::optional<int64_t> number(std::string_view word);
std::optional<bool> flag(std::string_view word);  // "0" or "1"
std::optional<std::string> string_field(std::string_view word);
// Seven words from `first` on, as append_stamp wrote them.
std::optional<FileStamp> stamp_field(std::span<const std::string_view> words, size_t first);
}  // namespace entry_text

}  // namespace elfrun::util
