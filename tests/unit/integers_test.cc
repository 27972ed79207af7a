// Tests of the endian-aware on-disk integers (src/elf/integers.h): the bytes in memory are the file's, whatever
// the host, and reading or writing a field swaps as the file's byte order requires.
#include "elf/integers.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>

namespace elfrun::elf {
namespace {

template <typename T>
std::array<unsigned char, sizeof(T)> bytes_of(const T& value) {
  std::array<unsigned char, sizeof(T)> out;
  std::memcpy(out.data(), &value, sizeof(T));
  return out;
}

template <typename T>
T from_bytes(std::initializer_list<unsigned char> bytes) {
  T value;
  std::memcpy(&value, bytes.begin(), sizeof(T));
  return value;
}

TEST(Integers, LittleEndianBytes) {
  EXPECT_EQ(bytes_of(U16<std::endian::little>(0x1234)), (std::array<unsigned char, 2>{0x34, 0x12}));
  EXPECT_EQ(bytes_of(U32<std::endian::little>(0x12345678)), (std::array<unsigned char, 4>{0x78, 0x56, 0x34, 0x12}));
  EXPECT_EQ(bytes_of(U64<std::endian::little>(0x0102030405060708)),
            (std::array<unsigned char, 8>{8, 7, 6, 5, 4, 3, 2, 1}));
}

TEST(Integers, BigEndianBytes) {
  EXPECT_EQ(bytes_of(U16<std::endian::big>(0x1234)), (std::array<unsigned char, 2>{0x12, 0x34}));
  EXPECT_EQ(bytes_of(U32<std::endian::big>(0x12345678)), (std::array<unsigned char, 4>{0x12, 0x34, 0x56, 0x78}));
  EXPECT_EQ(bytes_of(U64<std::endian::big>(0x0102030405060708)),
            (std::array<unsigned char, 8>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(Integers, ReadsFileBytes) {
  EXPECT_EQ(from_bytes<U32<std::endian::big>>({0xde, 0xad, 0xbe, 0xef}), 0xdeadbeefu);
  EXPECT_EQ(from_bytes<U32<std::endian::little>>({0xde, 0xad, 0xbe, 0xef}), 0xefbeaddeu);
  EXPECT_EQ(from_bytes<U16<std::endian::big>>({0x00, 0x3e}), 0x3e);
  EXPECT_EQ(from_bytes<U64<std::endian::big>>({0, 0, 0, 0, 0, 0, 0x10, 0}), 0x1000u);
}

TEST(Integers, SignedValues) {
  EXPECT_EQ(from_bytes<I32<std::endian::big>>({0xff, 0xff, 0xff, 0xfe}), -2);
  EXPECT_EQ(from_bytes<I64<std::endian::little>>({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), -1);
  I64<std::endian::big> tag = 0x6ffffffb;  // DT_FLAGS_1
  EXPECT_EQ(int64_t{tag}, 0x6ffffffb);
  EXPECT_EQ(bytes_of(tag), (std::array<unsigned char, 8>{0, 0, 0, 0, 0x6f, 0xff, 0xff, 0xfb}));
}

TEST(Integers, AssignmentRewritesInFileOrder) {
  U32<std::endian::big> value = 1;
  value = 0xa0b0c0d0;
  EXPECT_EQ(bytes_of(value), (std::array<unsigned char, 4>{0xa0, 0xb0, 0xc0, 0xd0}));
  EXPECT_EQ(uint32_t{value}, 0xa0b0c0d0u);
}

// Misaligned fields are fine: a structure read at an odd offset of a file has them.
TEST(Integers, MisalignedStorage) {
  static_assert(alignof(U64<std::endian::little>) == 1 && alignof(U32<std::endian::big>) == 1);
  unsigned char buffer[9] = {0xff, 1, 2, 3, 4, 5, 6, 7, 8};
  auto* value = reinterpret_cast<U64<std::endian::big>*>(buffer + 1);
  EXPECT_EQ(uint64_t{*value}, 0x0102030405060708u);
}

TEST(Integers, ByteSwap) {
  EXPECT_EQ(byte_swap<uint8_t>(0x12), 0x12);
  EXPECT_EQ(byte_swap<uint16_t>(0x1234), 0x3412);
  EXPECT_EQ(byte_swap<uint32_t>(0x12345678), 0x78563412u);
  EXPECT_EQ(byte_swap<uint64_t>(0x0102030405060708), 0x0807060504030201u);
  EXPECT_EQ(byte_swap<int32_t>(-2), static_cast<int32_t>(0xfeffffff));
}

}  // namespace
}  // namespace elfrun::elf
