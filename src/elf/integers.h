// Endian-aware on-disk integers, after mold's lib/integers.h: every read goes through memcpy and, when the file's
// byte order differs from the host's, a byte swap. Correct on any host, safe on misaligned data, and a field
// declared with these types cannot be read without its swap.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace elfrun::elf {

template <typename T>
constexpr T byte_swap(T value) {
  if constexpr (sizeof(T) == 1) {
    return value;
  } else if constexpr (sizeof(T) == 2) {
    return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(value)));
  } else if constexpr (sizeof(T) == 4) {
    return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(value)));
  } else {
    static_assert(sizeof(T) == 8);
    return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(value)));
  }
}

// An integer of type T stored in byte order `Order` at any alignment.
template <typename T, std::endian Order>
class Int {
 public:
  Int() = default;
  Int(T value) { *this = value; }  // NOLINT: implicit so that test code can build structures naturally

  operator T() const {  // NOLINT: implicit, the whole point of the type
    T value;
    std::memcpy(&value, bytes_, sizeof(T));
    return Order == std::endian::native ? value : byte_swap(value);
  }

  Int& operator=(T value) {
    if constexpr (Order != std::endian::native) value = byte_swap(value);
    std::memcpy(bytes_, &value, sizeof(T));
    return *this;
  }

 private:
  unsigned char bytes_[sizeof(T)];
};

template <std::endian Order> using U16 = Int<uint16_t, Order>;
template <std::endian Order> using U32 = Int<uint32_t, Order>;
template <std::endian Order> using U64 = Int<uint64_t, Order>;
template <std::endian Order> using I32 = Int<int32_t, Order>;
template <std::endian Order> using I64 = Int<int64_t, Order>;

static_assert(sizeof(U64<std::endian::big>) == 8 && alignof(U64<std::endian::big>) == 1);

}  // namespace elfrun::elf
