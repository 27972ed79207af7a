// ByteView: the one checked window through which every byte of an untrusted file is read.
// All bounds checks are overflow-proof (`size > end - offset`, never `offset + size > end`), and no pointer is
// formed from an untrusted offset before its check.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>

namespace elfrun::elf {

class ByteView {
 public:
  ByteView() = default;
  ByteView(const unsigned char* data, uint64_t size) : data_(data), size_(size) {}

  const unsigned char* data() const { return data_; }
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // True when [offset, offset + length) lies inside the view.
  bool contains(uint64_t offset, uint64_t length) const { return offset <= size_ && length <= size_ - offset; }

  std::optional<ByteView> subspan(uint64_t offset, uint64_t length) const {
    if (!contains(offset, length)) return std::nullopt;
    return ByteView(data_ + offset, length);
  }

  // The bytes from offset to the end of the view.
  std::optional<ByteView> tail(uint64_t offset) const {
    if (offset > size_) return std::nullopt;
    return ByteView(data_ + offset, size_ - offset);
  }

  // A trivially copyable T read at any alignment.
  template <typename T>
  std::optional<T> read(uint64_t offset) const {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!contains(offset, sizeof(T))) return std::nullopt;
    T value;
    std::memcpy(&value, data_ + offset, sizeof(T));
    return value;
  }

  // The NUL-terminated string starting at offset; nullopt when offset is outside or no NUL follows it.
  std::optional<std::string_view> c_string(uint64_t offset) const {
    if (offset >= size_) return std::nullopt;
    const void* nul = std::memchr(data_ + offset, 0, size_ - offset);
    if (nul == nullptr) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(data_ + offset),
                            static_cast<const unsigned char*>(nul) - (data_ + offset));
  }

  std::string_view as_string_view() const {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }

 private:
  const unsigned char* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace elfrun::elf
