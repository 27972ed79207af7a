// ByteSource: mmap of a whole file, with a pread fallback for files larger than a 32-bit address space.
#include "elf/byte_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace elfrun::elf {

namespace {
// The largest single range the pread fallback reads at once; only hostile sizes come near it.
constexpr uint64_t kMaxFallbackRead = 256ull << 20;
// Files up to this size are read rather than mapped.
constexpr uint64_t kSmallFile = 64u << 10;
}  // namespace

Expected<std::unique_ptr<ByteSource>> ByteSource::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return Error{path + ": " + std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int saved = errno;
    ::close(fd);
    return Error{path + ": " + std::strerror(saved)};
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Error{path + ": is a directory"};
  }
  if (!S_ISREG(st.st_mode)) {
    // A FIFO or device could block or never end: refuse rather than hang.
    ::close(fd);
    return Error{path + ": not a regular file"};
  }
  auto source = map_or_read(fd, path, static_cast<uint64_t>(st.st_size));
  ::close(fd);
  return source;
}

Expected<std::unique_ptr<ByteSource>> ByteSource::open_fd(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error{path + ": " + std::strerror(errno)};
  return map_or_read(fd, path, static_cast<uint64_t>(st.st_size));
}

Expected<std::unique_ptr<ByteSource>> ByteSource::map_fd(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error{path + ": " + std::strerror(errno)};
  return map_or_read(fd, path, static_cast<uint64_t>(st.st_size), /*read_small_files=*/false);
}

Expected<std::unique_ptr<ByteSource>> ByteSource::map_or_read(int fd, const std::string& path, uint64_t size,
                                                              bool read_small_files) {
  std::unique_ptr<ByteSource> source(new ByteSource());
  source->size_ = size;
  if (source->size_ == 0) return source;
  // A small file is cheaper to read than to map: one read instead of mmap, page faults and munmap (elfrun info
  // reads thousands of files per call).
  if (read_small_files && source->size_ <= kSmallFile) {
    // Not zero-filled: every byte served is one pread wrote.
    auto buffer = std::make_unique_for_overwrite<unsigned char[]>(static_cast<size_t>(source->size_));
    uint64_t done = 0;
    while (done < source->size_) {
      ssize_t n = ::pread(fd, buffer.get() + done, static_cast<size_t>(source->size_ - done), static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error{path + ": " + std::strerror(errno)};
      if (n == 0) break;  // the file shrank: what was read is the file
      done += static_cast<uint64_t>(n);
    }
    source->size_ = done;
    source->map_ = buffer.get();
    source->buffers_.push_back(std::move(buffer));
    return source;
  }
  if (source->size_ <= std::numeric_limits<size_t>::max()) {
    void* map = ::mmap(nullptr, static_cast<size_t>(source->size_), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      source->map_ = static_cast<const unsigned char*>(map);
      source->owns_map_ = true;
      return source;
    }
  }
  // Too large for this address space: keep a descriptor and read ranges on demand.
  source->fd_ = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (source->fd_ < 0) return Error{path + ": " + std::strerror(errno)};
  return source;
}

std::unique_ptr<ByteSource> ByteSource::from_memory(const unsigned char* data, uint64_t size) {
  std::unique_ptr<ByteSource> source(new ByteSource());
  source->map_ = data;
  source->size_ = size;
  return source;
}

ByteSource::~ByteSource() {
  if (owns_map_) ::munmap(const_cast<unsigned char*>(map_), static_cast<size_t>(size_));
  if (fd_ >= 0) ::close(fd_);
}

void ByteSource::release_resident_pages() const {
  // A read-only private file mapping: dropping its pages loses nothing (added by deps-tests for deps' memory goal).
  if (owns_map_) ::madvise(const_cast<unsigned char*>(map_), static_cast<size_t>(size_), MADV_DONTNEED);
}

std::optional<ByteView> ByteSource::bytes(uint64_t offset, uint64_t length) const {
  if (offset > size_ || length > size_ - offset) return std::nullopt;
  if (map_ != nullptr || size_ == 0) return ByteView(map_, size_).subspan(offset, length);
  if (length > kMaxFallbackRead) return std::nullopt;
  auto buffer = std::make_unique_for_overwrite<unsigned char[]>(static_cast<size_t>(length));
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_, buffer.get() + done, static_cast<size_t>(length - done),
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    done += static_cast<uint64_t>(n);
  }
  buffers_.push_back(std::move(buffer));
  return ByteView(buffers_.back().get(), length);
}

std::optional<ByteView> ByteSource::bytes_up_to(uint64_t offset, uint64_t length) const {
  if (offset > size_) return std::nullopt;
  uint64_t available = size_ - offset;
  return bytes(offset, length < available ? length : available);
}

std::optional<ByteView> ByteSource::whole() const {
  if (map_ == nullptr && size_ != 0) return std::nullopt;
  return ByteView(map_, size_);
}

}  // namespace elfrun::elf
