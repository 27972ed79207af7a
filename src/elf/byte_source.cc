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
  auto source = open_fd(fd, path);
  ::close(fd);
  return source;
}

Expected<std::unique_ptr<ByteSource>> ByteSource::open_fd(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error{path + ": " + std::strerror(errno)};
  std::unique_ptr<ByteSource> source(new ByteSource());
  source->size_ = static_cast<uint64_t>(st.st_size);
  if (source->size_ == 0) return source;
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

std::optional<ByteView> ByteSource::bytes(uint64_t offset, uint64_t length) const {
  if (offset > size_ || length > size_ - offset) return std::nullopt;
  if (map_ != nullptr || size_ == 0) return ByteView(map_, size_).subspan(offset, length);
  if (length > kMaxFallbackRead) return std::nullopt;
  std::vector<unsigned char> buffer(static_cast<size_t>(length));
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_, buffer.data() + done, static_cast<size_t>(length - done),
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    done += static_cast<uint64_t>(n);
  }
  buffers_.push_back(std::move(buffer));
  return ByteView(buffers_.back().data(), length);
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
