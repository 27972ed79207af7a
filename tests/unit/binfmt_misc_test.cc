// Tests of src/loader/binfmt_misc.cc: binfmt_misc entries as /proc/sys/fs/binfmt_misc shows them, how the kernel
// matches them against a file's first bytes or its name, and reading a directory of them.
#include "loader/binfmt_misc.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loader_test_support.h"

namespace elfrun::loader {
namespace {

using test::TempDir;
using test::write_file;

// Debian 12's qemu-user-binfmt entry for AArch64, as the kernel prints it.
constexpr const char* kQemuAarch64 =
    "enabled\n"
    "interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n"
    "flags: POCF\n"
    "offset 0\n"
    "magic 7f454c460201010000000000000000000200b700\n"
    "mask ffffffffffffff00fffffffffffffffffeffffff\n";

// The first 20 bytes of a 64-bit little-endian ELF executable of `machine` (ET_DYN when dyn).
std::vector<unsigned char> elf_head(uint16_t machine, bool dyn = false) {
  std::vector<unsigned char> head = {0x7f,
                                     'E',
                                     'L',
                                     'F',
                                     2,
                                     1,
                                     1,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0,
                                     0,
                                     static_cast<unsigned char>(dyn ? 3 : 2),
                                     0,
                                     static_cast<unsigned char>(machine & 0xff),
                                     static_cast<unsigned char>(machine >> 8)};
  head.resize(64, 0);
  return head;
}

TEST(Binfmt, ParsesAMagicEntry) {
  auto handler = parse_binfmt_entry("qemu-aarch64", kQemuAarch64);
  ASSERT_TRUE(handler);
  EXPECT_EQ(handler->name, "qemu-aarch64");
  EXPECT_TRUE(handler->enabled);
  EXPECT_EQ(handler->interpreter, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P");
  EXPECT_EQ(handler->flags, "POCF");
  EXPECT_TRUE(handler->by_magic);
  EXPECT_EQ(handler->offset, 0u);
  EXPECT_EQ(handler->magic.size(), 20u);
  EXPECT_EQ(handler->mask.size(), 20u);
  EXPECT_EQ(static_cast<unsigned char>(handler->magic[18]), 0xb7);
}

TEST(Binfmt, ParsesExtensionAndDisabledEntries) {
  auto wine = parse_binfmt_entry("wine", "disabled\ninterpreter /usr/bin/wine\nflags: \nextension .exe\n");
  ASSERT_TRUE(wine);
  EXPECT_FALSE(wine->enabled);
  EXPECT_FALSE(wine->by_magic);
  EXPECT_EQ(wine->extension, "exe");
}

TEST(Binfmt, RefusesWhatIsNotAnEntry) {
  EXPECT_FALSE(parse_binfmt_entry("status", "enabled\n"));  // no interpreter
  EXPECT_FALSE(parse_binfmt_entry("register", ""));
  EXPECT_FALSE(parse_binfmt_entry("bad", "enabled\ninterpreter /x\nmagic 7g\n"));
  EXPECT_FALSE(parse_binfmt_entry("nomagic", "enabled\ninterpreter /x\noffset 0\n"));
}

TEST(Binfmt, MatchesFirstBytesUnderTheMask) {
  std::vector<BinfmtHandler> handlers = {*parse_binfmt_entry("qemu-aarch64", kQemuAarch64)};
  auto aarch64_exec = elf_head(183);
  auto aarch64_dyn = elf_head(183, true);  // e_type 3: the mask's 0xfe lets ET_EXEC and ET_DYN both match
  auto x86_64 = elf_head(62);
  auto view = [](const std::vector<unsigned char>& bytes) { return elf::ByteView(bytes.data(), bytes.size()); };
  EXPECT_EQ(match_binfmt(handlers, view(aarch64_exec), "/tmp/prog"), &handlers[0]);
  EXPECT_EQ(match_binfmt(handlers, view(aarch64_dyn), "/tmp/prog"), &handlers[0]);
  EXPECT_EQ(match_binfmt(handlers, view(x86_64), "/tmp/prog"), nullptr);
  // Too few bytes for the magic: no match.
  EXPECT_EQ(match_binfmt(handlers, elf::ByteView(aarch64_exec.data(), 10), "/tmp/prog"), nullptr);
  handlers[0].enabled = false;
  EXPECT_EQ(match_binfmt(handlers, view(aarch64_exec), "/tmp/prog"), nullptr);
}

TEST(Binfmt, MatchesByExtension) {
  std::vector<BinfmtHandler> handlers = {*parse_binfmt_entry("wine",
                                                             "enabled\ninterpreter /usr/bin/wine\n"
                                                             "flags: \nextension .exe\n")};
  std::vector<unsigned char> bytes = {'M', 'Z', 0, 0};
  elf::ByteView view(bytes.data(), bytes.size());
  EXPECT_EQ(match_binfmt(handlers, view, "/home/u/setup.exe"), &handlers[0]);
  EXPECT_EQ(match_binfmt(handlers, view, "/home/u.exe/setup"), nullptr);
  EXPECT_EQ(match_binfmt(handlers, view, "/home/u/setup.exe.bak"), nullptr);
}

TEST(Binfmt, ReadsADirectory) {
  TempDir dir;
  bool mounted = true;
  EXPECT_TRUE(read_binfmt_misc(dir.path(), mounted).empty());
  EXPECT_FALSE(mounted);  // no "status": binfmt_misc is not mounted there
  write_file(dir / "status", "enabled\n");
  write_file(dir / "register", "");
  write_file(dir / "qemu-aarch64", kQemuAarch64);
  write_file(dir / "python3.11", "enabled\ninterpreter /usr/bin/python3.11\nflags: \noffset 0\nmagic a70d0d0a\n");
  auto handlers = read_binfmt_misc(dir.path(), mounted);
  EXPECT_TRUE(mounted);
  ASSERT_EQ(handlers.size(), 2u);
  EXPECT_EQ(handlers[0].name, "python3.11");
  EXPECT_EQ(handlers[1].name, "qemu-aarch64");
}

TEST(Binfmt, FlagsAreLetters) {
  auto handler = parse_binfmt_entry("qemu-aarch64", kQemuAarch64);
  ASSERT_TRUE(handler);
  EXPECT_TRUE(handler->has_flag('F'));
  EXPECT_TRUE(handler->has_flag('P'));
  EXPECT_FALSE(handler->has_flag('X'));
}

TEST(Binfmt, AStatusOfDisabledTurnsEveryHandlerOff) {
  TempDir dir;
  write_file(dir / "status", "disabled\n");
  write_file(dir / "qemu-aarch64", kQemuAarch64);
  bool mounted = false;
  auto handlers = read_binfmt_misc(dir.path(), mounted);
  EXPECT_TRUE(mounted);
  ASSERT_EQ(handlers.size(), 1u);
  EXPECT_FALSE(handlers[0].enabled);
  auto head = elf_head(183);
  EXPECT_EQ(match_binfmt(handlers, elf::ByteView(head.data(), head.size()), "/tmp/prog"), nullptr);
}

}  // namespace
}  // namespace elfrun::loader
