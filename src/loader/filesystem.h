// RootedFs: the file system as a program inside a root directory sees it (chroot semantics), without being root.
// Paths are "inside" paths (absolute, as seen from within the root, or relative to the working directory). Symlinks,
// absolute ones included, resolve inside the root, as they would after chroot(2): openat2(RESOLVE_IN_ROOT) where the
// kernel has it, a component-by-component walk elsewhere. With the root "/" it is the plain file system.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "elf/byte_source.h"
#include "util/expected.h"

namespace elfrun::loader {

// A file's identity, as glibc's _dl_file_id_match_p and musl's load_library compare them.
struct FileId {
  uint64_t device = 0;
  uint64_t inode = 0;
  bool operator==(const FileId&) const = default;
  bool operator<(const FileId& other) const {
    return device != other.device ? device < other.device : inode < other.inode;
  }
};

// What opening a candidate path gave.
struct OpenedFile {
  int error = 0;  // errno when the file could not be opened (ENOENT, EACCES...); 0 on success
  bool is_directory = false;
  FileId id;
  uint64_t size = 0;
  std::shared_ptr<elf::ByteSource> bytes;  // mapped contents, when a regular file was opened
};

class RootedFs {
 public:
  // root: a host directory; "/" or "" for the plain file system. cwd: the working directory inside the root
  // (relative paths resolve against it): the host's for "/", "/" for another root, as after chroot.
  explicit RootedFs(std::string root);
  ~RootedFs();
  RootedFs(const RootedFs&) = delete;
  RootedFs& operator=(const RootedFs&) = delete;

  bool is_host() const { return is_host_; }
  const std::string& root() const { return root_; }
  const std::string& cwd() const { return cwd_; }

  // qemu -L ROOT's view instead of chroot's (qemu util/path.c): an absolute path is opened under the root when it
  // exists there, else at the same path on the host. Off by default; switched per program (resolve()).
  void set_host_fallback(bool on) { host_fallback_ = on && !is_host_; }
  bool host_fallback() const { return host_fallback_; }

  // Host directories seen as they are on the host even under a root: the package store's entries that `run --root
  // DIR --fetch` adds to DIR (fetch/needs.h). An absolute path under one is opened on the host, never inside the root.
  void set_host_directories(std::vector<std::string> directories) { host_directories_ = std::move(directories); }
  bool on_host(const std::string& path) const;

  // Opens and maps a file. Files opened are cached by path: the same path is opened once per RootedFs. A failure is
  // not cached: the reference then stays valid only until the next open().
  const OpenedFile& open(const std::string& path);

  // Opens a host path outright, outside the root: a program given on the command line that does not live in the
  // root it is resolved against (a cross-compiled binary checked against /usr/aarch64-linux-gnu). Cached as open().
  const OpenedFile& open_host(const std::string& host_path);
  // True when the path names a directory inside the root.
  bool is_directory(const std::string& path);

  // The host path of an inside path, for messages and JSON (symlinks not resolved).
  std::string host_path(const std::string& inside_path) const;

  // The inside path of a host path under the root (nullopt when it is outside).
  std::optional<std::string> inside_path(const std::string& host_path) const;

  // The names in a directory inside the root, sorted ("." and ".." left out); empty when it cannot be read.
  std::vector<std::string> list_directory(const std::string& path);

  // Reads a whole small file (ld.so.cache, ld.so.conf, ld-musl-*.path); nullopt when it cannot be read.
  std::shared_ptr<elf::ByteSource> read_file(const std::string& path);

  // The absolute form of an inside path (cwd joined, no normalisation: glibc keeps "./" as it is).
  std::string absolute(const std::string& path) const;

 private:
  int open_fd(const std::string& path, int flags);
  const OpenedFile& open_in_root(const std::string& path);
  // The errno of a directory above path known not to exist (ENOENT, ENOTDIR), else 0.
  int missing_ancestor(const std::string& path) const;
  // After path failed to open: which directories above it exist.
  void note_missing(const std::string& path);

  std::string root_;
  bool is_host_ = true;
  int root_fd_ = -1;
  std::string cwd_;
  std::map<std::string, OpenedFile> cache_;
  OpenedFile failure_;
  std::map<std::string, OpenedFile> host_cache_;
  bool host_fallback_ = false;
  std::vector<std::string> host_directories_;
  std::map<std::string, bool> fell_back_;              // inside paths qemu -L would open on the host (util/path.c)
  std::unordered_map<std::string, int> missing_dirs_;  // directories found missing, with open's errno
  std::unordered_set<std::string> existing_dirs_;
};

}  // namespace elfrun::loader
