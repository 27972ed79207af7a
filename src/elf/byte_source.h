// ByteSource: a file's bytes, read-only, served as checked ByteViews that live as long as the source.
// open() reads lazily: a small file is read whole with one read; of a larger file only the head is read at first,
// and every other range is read when first asked for (a few pages around it, kept), so that `elfrun info` over
// thousands of files costs a few preads per file instead of mmap, page faults and munmap. A range too large to read
// into memory, or a file whose reads add up to more than its size, is served from a map of the whole file, made
// once, on demand. When the file does not fit the address space (a >3 GiB core or debug file under an i386 build),
// ranges are read into buffers instead, so a 32-bit elfrun still reads files of any size.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elf/byte_view.h"
#include "util/expected.h"

namespace elfrun::elf {

class ByteSource {
 public:
  // Opens `path` for lazy reading. The error names the file and says what is wrong ("is a directory", errno
  // text...).
  static Expected<std::unique_ptr<ByteSource>> open(const std::string& path);
  // Maps (a small file: reads) an already open regular file; the caller keeps its descriptor. `path` only names the
  // file in messages.
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

  // [offset, offset + length) of the file, or nullopt when that range is not inside the file (or, only for a file
  // that is read rather than mapped, cannot be read: an I/O error, or a range too large for memory).
  std::optional<ByteView> bytes(uint64_t offset, uint64_t length) const;

  // Up to `length` bytes from offset (fewer at the end of the file).
  std::optional<ByteView> bytes_up_to(uint64_t offset, uint64_t length) const;

  // The whole file (mapping it if it was read lazily); nullopt when it does not fit the address space. Used by
  // scanners that look at every byte (loader identification).
  std::optional<ByteView> whole() const;

  // Gives the pages of the map that reading touched back to the page cache (madvise MADV_DONTNEED: a later read
  // faults them in again, with the same bytes). For callers that keep many sources open after reading them once,
  // such as the resolver's cache of every library of a system, so that resident memory stays that of one file.
  void release_resident_pages() const;

 private:
  // Bytes read from the file at `offset`.
  struct Buffer {
    uint64_t offset = 0;
    uint64_t size = 0;
    uint64_t capacity = 0;  // of data, >= size
    std::unique_ptr<unsigned char[]> data;
  };

  ByteSource() = default;
  static Expected<std::unique_ptr<ByteSource>> map_or_read(int fd, const std::string& path, uint64_t size,
                                                           bool read_small_files = true);
  // Reads [offset, offset + length) into a new buffer; false on an I/O error or a file that shrank (`error`, when
  // given, receives the errno).
  bool read_buffer(uint64_t offset, uint64_t length, int* error = nullptr) const;
  // Maps the whole file on first use; false when it does not fit the address space (then ranges are read).
  bool map_whole() const;

  mutable const unsigned char* map_ = nullptr;  // the whole file, when mapped or read whole
  uint64_t size_ = 0;
  mutable bool owns_map_ = false;
  mutable bool map_failed_ = false;  // a map was tried and did not fit: read ranges, whatever their number
  int fd_ = -1;                      // kept while ranges may still be read
  mutable std::vector<Buffer> buffers_;
  mutable uint64_t buffered_bytes_ = 0;
};

}  // namespace elfrun::elf
