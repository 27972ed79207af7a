// Tests of ByteView (src/elf/byte_view.h), the one checked window over untrusted bytes: every check must hold at
// the edges and for offsets and sizes near 2^64, where `offset + size` would wrap.
#include "elf/byte_view.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "elf/integers.h"

namespace elfrun::elf {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

const unsigned char kBytes[] = {'a', 'b', 0, 'c', 'd', 'e', 0, 'f', 'g', 'h'};
const ByteView kView(kBytes, sizeof kBytes);

TEST(ByteView, Contains) {
  EXPECT_TRUE(kView.contains(0, 10));
  EXPECT_TRUE(kView.contains(10, 0));
  EXPECT_TRUE(kView.contains(9, 1));
  EXPECT_FALSE(kView.contains(9, 2));
  EXPECT_FALSE(kView.contains(11, 0));
  EXPECT_FALSE(kView.contains(0, 11));
}

TEST(ByteView, ContainsIsOverflowProof) {
  EXPECT_FALSE(kView.contains(1, kMax));  // 1 + kMax wraps to 0
  EXPECT_FALSE(kView.contains(kMax, 1));
  EXPECT_FALSE(kView.contains(kMax, 11));     // kMax + 11 wraps to 10
  EXPECT_FALSE(kView.contains(5, kMax - 4));  // 5 + (kMax - 4) wraps to 0
  EXPECT_FALSE(kView.contains(kMax - 5, 10));
}

TEST(ByteView, Subspan) {
  auto middle = kView.subspan(3, 3);
  ASSERT_TRUE(middle);
  EXPECT_EQ(middle->as_string_view(), "cde");
  EXPECT_EQ(middle->data(), kBytes + 3);
  auto empty = kView.subspan(10, 0);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(kView.subspan(8, 3));
  EXPECT_FALSE(kView.subspan(2, kMax));
  EXPECT_FALSE(kView.subspan(kMax, 2));
  // A subspan is a view of its own: its bounds are its own size.
  EXPECT_FALSE(middle->subspan(1, 3));
  EXPECT_EQ(middle->subspan(1, 2)->as_string_view(), "de");
}

TEST(ByteView, Tail) {
  EXPECT_EQ(kView.tail(7)->as_string_view(), "fgh");
  EXPECT_TRUE(kView.tail(10)->empty());
  EXPECT_FALSE(kView.tail(11));
  EXPECT_FALSE(kView.tail(kMax));
}

TEST(ByteView, ReadAtAnyAlignment) {
  const unsigned char bytes[] = {0, 0x12, 0x34, 0x56, 0x78, 0};
  ByteView view(bytes, sizeof bytes);
  EXPECT_EQ(uint32_t{*view.read<U32<std::endian::big>>(1)}, 0x12345678u);
  EXPECT_EQ(uint32_t{*view.read<U32<std::endian::little>>(1)}, 0x78563412u);
  EXPECT_EQ(uint16_t{*view.read<U16<std::endian::big>>(4)}, 0x7800);
  EXPECT_TRUE(view.read<U16<std::endian::big>>(4));
  EXPECT_FALSE(view.read<U16<std::endian::big>>(5));
  EXPECT_FALSE(view.read<U32<std::endian::big>>(kMax - 1));
  EXPECT_FALSE(ByteView().read<unsigned char>(0));
}

TEST(ByteView, CString) {
  EXPECT_EQ(kView.c_string(0), "ab");
  EXPECT_EQ(kView.c_string(1), "b");
  EXPECT_EQ(kView.c_string(2), "");
  EXPECT_EQ(kView.c_string(3), "cde");
  EXPECT_FALSE(kView.c_string(7));  // "fgh" runs to the end with no NUL
  EXPECT_FALSE(kView.c_string(9));
  EXPECT_FALSE(kView.c_string(10));  // at the end
  EXPECT_FALSE(kView.c_string(kMax));
  // The NUL must be inside the view, even when the memory after it has one.
  EXPECT_FALSE(kView.subspan(3, 3)->c_string(0));
}

TEST(ByteView, EmptyView) {
  ByteView empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_TRUE(empty.contains(0, 0));
  EXPECT_FALSE(empty.contains(0, 1));
  EXPECT_TRUE(empty.subspan(0, 0));
  EXPECT_FALSE(empty.c_string(0));
  EXPECT_EQ(empty.as_string_view(), "");
}

}  // namespace
}  // namespace elfrun::elf
