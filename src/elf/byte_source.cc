// ByteSource: lazy reads of a file's ranges (open), a map of the whole file (map_fd, large ranges), and buffered
// reads for files larger than a 32-bit address space.
#include "elf/byte_source.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>

namespace elfrun::elf {

namespace {

// A file another process truncates while it is mapped makes every read of a page past its new end raise SIGBUS
// (BUS_ADRERR), which would kill elfrun in the middle of `deps -v` (issue 13, finding 8). ByteSource's maps are
// elfrun's only file mappings, so a BUS_ADRERR can only come from one: the handler puts a page of zeros over the
// faulting page (mmap MAP_FIXED of anonymous memory, a plain system call) and the read resumes, seeing zeros where
// the file has no bytes any more — what a pread would have found missing. The parse then fails or sees a changed
// file, as it would reading it a moment later; it never dies. Any other SIGBUS is re-raised with the default action.
void on_sigbus(int signal, siginfo_t* info, void*) {
  if (info != nullptr && info->si_code == BUS_ADRERR) {
    auto page = reinterpret_cast<uintptr_t>(info->si_addr) & ~static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE) - 1);
    void* zero = ::mmap(reinterpret_cast<void*>(page), static_cast<size_t>(::sysconf(_SC_PAGESIZE)), PROT_READ,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zero != MAP_FAILED) return;
  }
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

void install_sigbus_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, nullptr);
  });
}

// Every mmap of a file goes through here.
void* map_file(int fd, uint64_t size) {
  install_sigbus_handler();
  return ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
}

}  // namespace

namespace {
// Files up to this size are read whole with one read: cheaper than mmap, page faults and munmap.
constexpr uint64_t kSmallFile = 16u << 10;
// Of a larger file, open() reads this much at once: the ELF header, the program headers, PT_INTERP, the notes and,
// for smaller programs, the dynamic strings and version records lie there (16 KiB measured no faster).
constexpr uint64_t kHeadRead = 8u << 10;
// Later reads are rounded out to whole pages, so that neighbouring ranges (the strings of one table, a version record
// and the next) are served by one read. Larger windows were measured: the copying costs more than the reads saved.
constexpr uint64_t kPageSize = 4096;
// A range larger than this, or reads adding up to more than the file, or more reads than kMaxBuffers, switch a lazy
// source to a map of the whole file: past that point mapping is the cheaper way (only touched pages cost).
constexpr uint64_t kMaxRangeRead = 256u << 10;
constexpr size_t kMaxBuffers = 32;
// The largest single range read when the file cannot be mapped; only hostile sizes come near it.
constexpr uint64_t kMaxFallbackRead = 256ull << 20;

// Reads [offset, offset + length) of fd into `into`: 0, or the errno of a failed read, or EIO when the file ends
// before the range does (it shrank since fstat).
int read_fully(int fd, unsigned char* into, uint64_t offset, uint64_t length) {
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, into + done, static_cast<size_t>(length - done), static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += static_cast<uint64_t>(n);
  }
  return 0;
}
// Buffers of sources that are gone, kept for the next source of the thread: elfrun info reads thousands of files
// one after the other, and allocating tens of KiB afresh for each costs more in malloc (which sorts its free lists
// on every large request) than the read itself. Buffers come in two capacities, so that any kept one fits.
class BufferPool {
 public:
  static constexpr uint64_t kSmallCapacity = kHeadRead;
  static constexpr uint64_t kLargeCapacity = kSmallFile;

  // A buffer of at least `size` bytes; `capacity` receives its real size.
  std::unique_ptr<unsigned char[]> take(uint64_t size, uint64_t& capacity) {
    capacity = size <= kSmallCapacity ? kSmallCapacity : size <= kLargeCapacity ? kLargeCapacity : size;
    for (auto kept = kept_.rbegin(); kept != kept_.rend(); ++kept) {
      if (kept->capacity == capacity) {
        auto data = std::move(kept->data);
        kept_.erase(std::next(kept).base());
        return data;
      }
    }
    return std::make_unique_for_overwrite<unsigned char[]>(static_cast<size_t>(capacity));
  }

  void give(std::unique_ptr<unsigned char[]> data, uint64_t capacity) {
    if (data == nullptr || capacity > kLargeCapacity || kept_.size() >= kMaxKept) return;
    kept_.push_back(Kept{capacity, std::move(data)});
  }

 private:
  static constexpr size_t kMaxKept = 16;
  struct Kept {
    uint64_t capacity;
    std::unique_ptr<unsigned char[]> data;
  };
  std::vector<Kept> kept_;
};

thread_local BufferPool buffer_pool;

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
  auto size = static_cast<uint64_t>(st.st_size);
  if (size <= kSmallFile) {
    auto source = map_or_read(fd, path, size);
    ::close(fd);
    return source;
  }
  std::unique_ptr<ByteSource> source(new ByteSource());
  source->size_ = size;
  source->fd_ = fd;  // closed by the destructor
  int error = 0;
  uint64_t head_size = std::min(size, kHeadRead);
  if (!source->read_buffer(0, head_size, &error)) return Error{path + ": " + std::strerror(error)};
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
    uint64_t capacity = 0;
    auto buffer = buffer_pool.take(source->size_, capacity);
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
    source->buffers_.push_back(Buffer{0, done, capacity, std::move(buffer)});
    return source;
  }
  if (source->size_ <= std::numeric_limits<size_t>::max()) {
    void* map = map_file(fd, source->size_);
    if (map != MAP_FAILED) {
      source->map_ = static_cast<const unsigned char*>(map);
      source->owns_map_ = true;
      return source;
    }
  }
  // Too large for this address space: keep a descriptor and read ranges on demand.
  source->fd_ = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (source->fd_ < 0) return Error{path + ": " + std::strerror(errno)};
  source->map_failed_ = true;
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
  for (Buffer& buffer : buffers_) buffer_pool.give(std::move(buffer.data), buffer.capacity);
}

void ByteSource::release_resident_pages() const {
  // A read-only private file mapping: dropping its pages loses nothing (added by deps-tests for deps' memory goal).
  if (owns_map_) ::madvise(const_cast<unsigned char*>(map_), static_cast<size_t>(size_), MADV_DONTNEED);
}

bool ByteSource::map_whole() const {
  if (map_ != nullptr) return true;
  if (map_failed_ || fd_ < 0) return false;
  if (size_ <= std::numeric_limits<size_t>::max()) {
    void* map = map_file(fd_, size_);
    if (map != MAP_FAILED) {
      map_ = static_cast<const unsigned char*>(map);
      owns_map_ = true;
      return true;
    }
  }
  map_failed_ = true;
  return false;
}

bool ByteSource::read_buffer(uint64_t offset, uint64_t length, int* error) const {
  uint64_t capacity = 0;
  auto data = buffer_pool.take(length, capacity);
  if (int failed = read_fully(fd_, data.get(), offset, length); failed != 0) {
    buffer_pool.give(std::move(data), capacity);
    if (error != nullptr) *error = failed;
    return false;
  }
  buffers_.push_back(Buffer{offset, length, capacity, std::move(data)});
  buffered_bytes_ += length;
  return true;
}

std::optional<ByteView> ByteSource::bytes(uint64_t offset, uint64_t length) const {
  if (offset > size_ || length > size_ - offset) return std::nullopt;
  if (map_ != nullptr || size_ == 0) return ByteView(map_, size_).subspan(offset, length);
  // Newest first: a reader usually asks again for what it asked last.
  for (auto buffer = buffers_.rbegin(); buffer != buffers_.rend(); ++buffer) {
    if (offset >= buffer->offset && offset - buffer->offset <= buffer->size &&
        length <= buffer->size - (offset - buffer->offset)) {
      return ByteView(buffer->data.get() + (offset - buffer->offset), length);
    }
  }
  if (fd_ < 0) return std::nullopt;
  uint64_t start = offset;
  uint64_t end = offset + length;  // <= size_: no overflow
  if (!map_failed_) {
    bool map = length > kMaxRangeRead || buffers_.size() >= kMaxBuffers || buffered_bytes_ > size_ ||
               length > size_ - buffered_bytes_;
    if (map && map_whole()) return ByteView(map_, size_).subspan(offset, length);
  }
  if (!map_failed_) {
    start = offset & ~(kPageSize - 1);
    end = std::min(size_, (end + kPageSize - 1) & ~(kPageSize - 1));
  } else if (length > kMaxFallbackRead) {
    return std::nullopt;
  }
  if (!read_buffer(start, end - start)) return std::nullopt;
  return ByteView(buffers_.back().data.get() + (offset - start), length);
}

std::optional<ByteView> ByteSource::bytes_up_to(uint64_t offset, uint64_t length) const {
  if (offset > size_) return std::nullopt;
  uint64_t available = size_ - offset;
  return bytes(offset, length < available ? length : available);
}

std::optional<ByteView> ByteSource::whole() const {
  if (map_ == nullptr && size_ != 0 && !map_whole()) return std::nullopt;
  return ByteView(map_, size_);
}

}  // namespace elfrun::elf
