// Tests of ByteSource (src/elf/byte_source.h): opening files (with the errors a user sees for a missing file, a
// directory or a FIFO, which must not block) and reading checked ranges of them.
#include "elf/byte_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

namespace elfrun::elf {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// A fresh directory under the test's temporary directory, removed at the end.
class ByteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) / ("elfrun-byte-source-" + std::to_string(::getpid()) + "-" +
                                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write_file(const std::string& name, const std::string& contents) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ByteSourceTest, ReadsAFile) {
  std::string path = write_file("data", "hello, world");
  auto source = ByteSource::open(path);
  ASSERT_TRUE(source) << source.error().message;
  EXPECT_EQ((*source)->size(), 12u);
  EXPECT_EQ((*source)->bytes(7, 5)->as_string_view(), "world");
  EXPECT_EQ((*source)->bytes(0, 12)->as_string_view(), "hello, world");
  EXPECT_TRUE((*source)->bytes(12, 0));
  EXPECT_EQ((*source)->whole()->as_string_view(), "hello, world");
}

TEST_F(ByteSourceTest, RangesOutsideTheFile) {
  auto source = ByteSource::open(write_file("data", "0123456789"));
  ASSERT_TRUE(source);
  EXPECT_FALSE((*source)->bytes(8, 3));
  EXPECT_FALSE((*source)->bytes(11, 0));
  EXPECT_FALSE((*source)->bytes(1, kMax));  // 1 + kMax wraps to 0
  EXPECT_FALSE((*source)->bytes(kMax, 2));
}

TEST_F(ByteSourceTest, BytesUpTo) {
  auto source = ByteSource::open(write_file("data", "0123456789"));
  ASSERT_TRUE(source);
  EXPECT_EQ((*source)->bytes_up_to(6, 100)->as_string_view(), "6789");
  EXPECT_EQ((*source)->bytes_up_to(6, 2)->as_string_view(), "67");
  EXPECT_EQ((*source)->bytes_up_to(0, kMax)->size(), 10u);
  EXPECT_TRUE((*source)->bytes_up_to(10, 4)->empty());
  EXPECT_FALSE((*source)->bytes_up_to(11, 4));
}

TEST_F(ByteSourceTest, EmptyFile) {
  auto source = ByteSource::open(write_file("empty", ""));
  ASSERT_TRUE(source) << source.error().message;
  EXPECT_EQ((*source)->size(), 0u);
  EXPECT_TRUE((*source)->bytes(0, 0));
  EXPECT_FALSE((*source)->bytes(0, 1));
  EXPECT_TRUE((*source)->bytes_up_to(0, 16)->empty());
  EXPECT_TRUE((*source)->whole()->empty());
}

TEST_F(ByteSourceTest, MissingFile) {
  std::string path = (dir_ / "missing").string();
  auto source = ByteSource::open(path);
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message, path + ": No such file or directory");
}

TEST_F(ByteSourceTest, Directory) {
  auto source = ByteSource::open(dir_.string());
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message, dir_.string() + ": is a directory");
}

// A FIFO with no writer would block a read forever: it is refused, and opening it does not block either.
TEST_F(ByteSourceTest, FifoIsRefusedWithoutBlocking) {
  std::string path = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto source = ByteSource::open(path);
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message, path + ": not a regular file");
}

TEST_F(ByteSourceTest, CharacterDevice) {
  auto source = ByteSource::open("/dev/null");
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().message, "/dev/null: not a regular file");
}

TEST(ByteSourceMemory, FromMemory) {
  static const unsigned char bytes[] = {1, 2, 3, 4};
  auto source = ByteSource::from_memory(bytes, sizeof bytes);
  EXPECT_EQ(source->size(), 4u);
  EXPECT_EQ(source->bytes(1, 2)->data(), bytes + 1);
  EXPECT_FALSE(source->bytes(3, 2));
  EXPECT_EQ(source->whole()->data(), bytes);
  auto empty = ByteSource::from_memory(nullptr, 0);
  EXPECT_TRUE(empty->bytes(0, 0));
  EXPECT_FALSE(empty->bytes(0, 1));
}

}  // namespace
}  // namespace elfrun::elf
