// Tests of ByteSource (src/elf/byte_source.h): opening files (with the errors a user sees for a missing file, a
// directory or a FIFO, which must not block) and reading checked ranges of them, lazily for a large file (the head
// read at open, pages read on demand, a map of the whole file for large ranges or many reads).
#include "elf/byte_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "elf/elf_object.h"

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

// A byte that differs from its neighbours and from the same offset in other pages.
unsigned char pattern(uint64_t offset) { return static_cast<unsigned char>(offset * 131 + offset / 4096); }

std::string pattern_text(uint64_t size) {
  std::string text(size, '\0');
  for (uint64_t i = 0; i < size; ++i) text[i] = static_cast<char>(pattern(i));
  return text;
}

::testing::AssertionResult holds_pattern(const std::optional<ByteView>& view, uint64_t offset, uint64_t length) {
  if (!view) return ::testing::AssertionFailure() << "no bytes at " << offset << " + " << length;
  if (view->size() != length) return ::testing::AssertionFailure() << "size " << view->size() << " for " << length;
  for (uint64_t i = 0; i < length; ++i) {
    if (view->data()[i] != pattern(offset + i)) {
      return ::testing::AssertionFailure() << "byte " << offset + i << " differs";
    }
  }
  return ::testing::AssertionSuccess();
}

// Ranges of a 1 MiB file: in the head read at open, across its end, across page boundaries, in the middle, at the
// end, larger than a range read (served from a map), and the whole file; asked again, each gives the same bytes.
TEST_F(ByteSourceTest, LargeFileIsReadLazily) {
  constexpr uint64_t kSize = 1 << 20;
  auto source = ByteSource::open(write_file("large", pattern_text(kSize)));
  ASSERT_TRUE(source) << source.error().message;
  EXPECT_EQ((*source)->size(), kSize);
  const std::pair<uint64_t, uint64_t> ranges[] = {
      {0, 64},          {8190, 10},           {4095, 2}, {500000, 100}, {kSize - 10, 10}, {12, 300},
      {100000, 300000}, {kSize - 4097, 4097}, {0, 64},   {500001, 50},
  };
  for (auto [offset, length] : ranges) EXPECT_TRUE(holds_pattern((*source)->bytes(offset, length), offset, length));
  EXPECT_TRUE(holds_pattern((*source)->whole(), 0, kSize));
  EXPECT_TRUE(holds_pattern((*source)->bytes(700000, 16), 700000, 16));
  EXPECT_FALSE((*source)->bytes(kSize - 1, 2));
  EXPECT_TRUE(holds_pattern((*source)->bytes_up_to(kSize - 3, 100), kSize - 3, 3));
}

// More scattered reads than a lazy source keeps buffers for: it switches to a map, and every byte is still right
// (views given out before the switch stay valid).
TEST_F(ByteSourceTest, ManyScatteredReads) {
  constexpr uint64_t kSize = 3 << 20;
  auto source = ByteSource::open(write_file("large", pattern_text(kSize)));
  ASSERT_TRUE(source) << source.error().message;
  std::vector<std::pair<uint64_t, ByteView>> views;
  for (uint64_t offset = 100; offset + 16 <= kSize; offset += 9000) {
    auto view = (*source)->bytes(offset, 16);
    ASSERT_TRUE(holds_pattern(view, offset, 16));
    views.emplace_back(offset, *view);
  }
  for (auto [offset, view] : views) EXPECT_TRUE(holds_pattern(view, offset, 16));
}

// A file that shrinks after it was opened: what lies past its new end cannot be read (no crash, no signal), and
// what was read at open is still served.
TEST_F(ByteSourceTest, FileThatShrinks) {
  constexpr uint64_t kSize = 100000;
  std::string path = write_file("shrinks", pattern_text(kSize));
  auto source = ByteSource::open(path);
  ASSERT_TRUE(source) << source.error().message;
  ASSERT_EQ(::truncate(path.c_str(), 10000), 0);
  EXPECT_FALSE((*source)->bytes(50000, 16));
  EXPECT_TRUE(holds_pattern((*source)->bytes(0, 16), 0, 16));
  EXPECT_EQ((*source)->size(), kSize);
}

// The reader asks for ranges here and there (program headers, the dynamic section, strings and version records
// through PT_LOAD, notes, section headers and names): reading them lazily from the file must give exactly what
// parsing the whole file from memory gives. Over real files of the system, small and large.
TEST(ByteSourceLazyParse, SameObjectAsFromMemory) {
  const char* candidates[] = {
      "/usr/bin/bash",
      "/usr/bin/cmake",
      "/usr/lib/x86_64-linux-gnu/libc.so.6",
      "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
      "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
      "/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus",
      "/lib64/ld-linux-x86-64.so.2",
      "/usr/bin/ls",
  };
  int compared = 0;
  for (const char* path : candidates) {
    auto lazy_source = ByteSource::open(path);
    if (!lazy_source) continue;
    std::string contents;
    {
      std::ifstream in(path, std::ios::binary);
      contents.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    auto memory_source =
        ByteSource::from_memory(reinterpret_cast<const unsigned char*>(contents.data()), contents.size());
    auto lazy = parse_elf(**lazy_source);
    auto memory = parse_elf(*memory_source);
    ASSERT_TRUE(memory) << path << ": " << memory.error().message;
    ASSERT_TRUE(lazy) << path << ": " << lazy.error().message;
    SCOPED_TRACE(path);
    EXPECT_EQ(lazy->interpreter, memory->interpreter);
    ASSERT_EQ(lazy->dynamic.has_value(), memory->dynamic.has_value());
    if (memory->dynamic) {
      const DynamicInfo& a = *lazy->dynamic;
      const DynamicInfo& b = *memory->dynamic;
      EXPECT_EQ(a.needed, b.needed);
      EXPECT_EQ(a.soname, b.soname);
      EXPECT_EQ(a.rpath, b.rpath);
      EXPECT_EQ(a.runpath, b.runpath);
      ASSERT_EQ(a.version_needs.size(), b.version_needs.size());
      for (size_t i = 0; i < a.version_needs.size(); ++i) {
        EXPECT_EQ(a.version_needs[i].file, b.version_needs[i].file);
        ASSERT_EQ(a.version_needs[i].versions.size(), b.version_needs[i].versions.size());
        for (size_t j = 0; j < a.version_needs[i].versions.size(); ++j) {
          EXPECT_EQ(a.version_needs[i].versions[j].name, b.version_needs[i].versions[j].name);
        }
      }
      ASSERT_EQ(a.version_definitions.size(), b.version_definitions.size());
      for (size_t i = 0; i < a.version_definitions.size(); ++i) {
        EXPECT_EQ(a.version_definitions[i].names, b.version_definitions[i].names);
      }
    }
    EXPECT_EQ(lazy->notes.build_id, memory->notes.build_id);
    EXPECT_EQ(lazy->notes.abi_tag.has_value(), memory->notes.abi_tag.has_value());
    EXPECT_EQ(lazy->notes.x86_isa_needed, memory->notes.x86_isa_needed);
    ASSERT_EQ(lazy->sections.size(), memory->sections.size());
    for (size_t i = 0; i < lazy->sections.size(); ++i) EXPECT_EQ(lazy->sections[i].name, memory->sections[i].name);
    EXPECT_EQ(lazy->has_symtab, memory->has_symtab);
    EXPECT_EQ(lazy->debuglink, memory->debuglink);
    EXPECT_EQ(lazy->warnings, memory->warnings);
    ++compared;
  }
  if (compared == 0) GTEST_SKIP() << "none of the system files to compare is here";
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
