// ByteSource: a file's bytes, read-only. Normally the whole file is mapped and every read is a subspan of the map.
// When the file does not fit the address space (a >3 GiB core or debug file under an i386 build), it falls back to
// reading the requested ranges with pread into buffers that live as long as the source, so a 32-bit elfrun still
// reads files of any size.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "elf/byte_view.h"
#include "util/expected.h"

namespace elfrun::elf {

class ByteSource {
 public:
  // Opens and maps `path`. The error names the file and says what is wrong ("is a directory", errno text...).
  static Expected<std::unique_ptr<ByteSource>> open(const std::string& path);
  // Maps an already open regular file (the caller keeps its descriptor; the fallback path reads from a dup of it).
  // `path` only names the file in messages.
  static Expected<std::unique_ptr<ByteSource>> open_fd(int fd, const std::string& path);
  // The same, but mapped whatever the size (small files are not copied into memory): for a caller that keeps many
  // sources alive and gives their pages back with release_resident_pages (the resolver's file cache).
  static Expected<std::unique_ptr<ByteSource>> map_fd(int fd, const std::string& path);
  // A source over bytes the caller keeps alive (tests, fuzzers).
  static std::unique_ptr<ByteSource> from_memory(const unsigned char* data, uint64_t size);

  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  uint64_t size() const { return size_; }

  // [offset, offset + length) of the file, or nullopt when that range is not inside the file.
  std::optional<ByteView> bytes(uint64_t offset, uint64_t length) const;

  // Up to `length` bytes from offset (fewer at the end of the file).
  std::optional<ByteView> bytes_up_to(uint64_t offset, uint64_t length) const;

  // The whole file when it is mapped; used by scanners that look at every byte (loader identification).
  std::optional<ByteView> whole() const;

  // Gives the pages of the map that reading touched back to the page cache (madvise MADV_DONTNEED: a later read
  // faults them in again, with the same bytes). For callers that keep many sources open after reading them once,
  // such as the resolver's cache of every library of a system, so that resident memory stays that of one file.
  void release_resident_pages() const;

 private:
  ByteSource() = default;
  static Expected<std::unique_ptr<ByteSource>> map_or_read(int fd, const std::string& path, uint64_t size,
                                                           bool read_small_files = true);

  const unsigned char* map_ = nullptr;  // whole file, when mapped
  uint64_t size_ = 0;
  bool owns_map_ = false;
  int fd_ = -1;  // kept open only in the pread fallback
  mutable std::deque<std::unique_ptr<unsigned char[]>> buffers_;  // read, not mapped, bytes
};

}  // namespace elfrun::elf
