// A per-user cache of what loader files are, so that `elfrun run` does not read a loader's 200 KiB of strings on
// every start. An entry is keyed by the loader file's identity and change stamps (device, inode, size, mtime and
// ctime to the nanosecond, from fstat of the very descriptor that is read) and by the elfrun binary that wrote it, so
// it can never describe other bytes than the file has now: any write to the file moves its ctime, a replaced file
// has another inode, and a rebuilt elfrun (whose identification may differ) has another binary. Entries live in
// ${XDG_CACHE_HOME:-$HOME/.cache}/elfrun/loaders/, one small text file per loader, written atomically (a temporary
// file renamed over the old one); an entry that cannot be read, is not ours, or does not parse is ignored (and
// rewritten), never trusted.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "loader/loader_identity.h"
#include "util/cache_file.h"

namespace elfrun::loader {

using util::FileStamp;
using util::stamp_of;

// What discovery and `run` need to know about a file with a loader's name: its header, and once identified, what
// loader it is.
struct LoaderFileFacts {
  uint16_t machine = 0;
  uint8_t elf_class = 0;
  uint8_t data = 0;
  uint32_t flags = 0;
  bool self_contained = false;             // no PT_INTERP and no DT_NEEDED: shaped like a loader
  std::string libc;                        // elf::libc_of() the object, without a path: "glibc", "musl" or ""
  std::optional<LoaderIdentity> identity;  // set once identified (flavour unknown: not a loader after all)
};

// The header facts of a parsed object (identity not set).
LoaderFileFacts header_facts(const elf::ElfObject& object);

// The cache file's text for an entry, and back. `tool` stamps the elfrun binary. parse_loader_facts returns nullopt
// unless the text is a complete entry for exactly this file stamp and tool stamp.
std::string format_loader_facts(const FileStamp& file, const FileStamp& tool, const LoaderFileFacts& facts);
std::optional<LoaderFileFacts> parse_loader_facts(std::string_view text, const FileStamp& file, const FileStamp& tool);

class IdentityCache {
 public:
  // The user's cache (${XDG_CACHE_HOME:-$HOME/.cache}/elfrun/loaders); disabled when neither variable gives an
  // absolute directory, when ELFRUN_NO_CACHE is set, or when this binary cannot be stamped (/proc/self/exe).
  static IdentityCache for_user();
  // A cache in `directory` (created on the first store); "" disables it.
  explicit IdentityCache(std::string directory);

  bool enabled() const { return !directory_.empty(); }
  const std::string& directory() const { return directory_; }

  std::optional<LoaderFileFacts> load(const FileStamp& file) const;
  // Best effort: a cache that cannot be written is simply not written.
  void store(const FileStamp& file, const LoaderFileFacts& facts) const;

 private:
  std::string name_of(const FileStamp& file) const;
  std::string directory_;
  FileStamp tool_;
};

// One file with a loader's name, opened once: its stamp from fstat, its header facts and identity from the cache when
// it has them, else read from the descriptor (and stored back when the object is done with).
class LoaderFile {
 public:
  // nullopt when the path cannot be opened or is not a regular file.
  static std::unique_ptr<LoaderFile> open(const std::string& path, const IdentityCache& cache);
  ~LoaderFile();
  LoaderFile(const LoaderFile&) = delete;
  LoaderFile& operator=(const LoaderFile&) = delete;

  const std::string& path() const { return path_; }
  const FileStamp& stamp() const { return stamp_; }
  // The header facts; nullptr when the file is not a parsable ELF file.
  const LoaderFileFacts* facts();
  // What loader it is (flavour unknown when it is none); nullptr when it is not ELF or its bytes cannot be read.
  const LoaderIdentity* identity();
  // Whether identity() came from the cache (for -v).
  bool identity_from_cache() const { return identity_from_cache_; }

 private:
  LoaderFile(std::string path, int fd, const FileStamp& stamp, const IdentityCache& cache);
  bool read_object();

  std::string path_;
  int fd_ = -1;
  FileStamp stamp_;
  const IdentityCache& cache_;
  std::optional<LoaderFileFacts> facts_;
  bool looked_up_ = false, not_elf_ = false, dirty_ = false, identity_from_cache_ = false;
  std::unique_ptr<elf::ByteSource> bytes_;
  std::optional<elf::ElfObject> object_;
};

// What the loader at `path` is, through the cache: nullopt when it cannot be read or is not glibc's or musl's.
std::optional<LoaderIdentity> identify_loader_file(const std::string& path, const IdentityCache& cache);

}  // namespace elfrun::loader
