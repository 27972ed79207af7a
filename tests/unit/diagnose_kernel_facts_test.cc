// Tests of src/diagnose/kernel_facts.cc: kernel releases, binfmt_misc entries as /proc/sys/fs/binfmt_misc shows them
// (and how the kernel matches them against a file's first bytes), /proc/self/mountinfo lines, and whether IA32
// emulation and the x32 ABI are there, from a kernel config, /proc/kallsyms names and the command line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "diagnose/kernel_facts.h"
#include "loader_test_support.h"

namespace elfrun::diagnose {
namespace {

using test::TempDir;
using test::write_file;

TEST(KernelRelease, Parses) {
  EXPECT_EQ(parse_kernel_release("6.1.0-18-amd64"), (KernelVersion{6, 1, 0}));
  EXPECT_EQ(parse_kernel_release("6.18.44-fc-v669"), (KernelVersion{6, 18, 44}));
  EXPECT_EQ(parse_kernel_release("5.4"), (KernelVersion{5, 4, 0}));
  EXPECT_EQ(parse_kernel_release("4.19.0+"), (KernelVersion{4, 19, 0}));
  EXPECT_EQ(parse_kernel_release("3"), (KernelVersion{3, 0, 0}));
  EXPECT_EQ(parse_kernel_release("abc"), std::nullopt);
  EXPECT_EQ(parse_kernel_release(""), std::nullopt);
  EXPECT_LT((KernelVersion{3, 2, 0}), (KernelVersion{6, 1, 0}));
  EXPECT_EQ(to_string(KernelVersion{6, 1, 12}), "6.1.12");
}

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

TEST(Mountinfo, ParsesLinesAndEscapes) {
  auto mounts = parse_mountinfo(
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
      "45 22 0:40 / /tmp rw,nosuid,nodev shared:20 - tmpfs tmpfs rw,size=100k\n"
      "46 45 0:41 / /tmp/my\\040dir rw,nosuid,noexec,relatime - tmpfs none rw\n"
      "garbage line\n");
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].mount_point, "/");
  EXPECT_EQ(mounts[0].fs_type, "ext4");
  EXPECT_EQ(mounts[0].source, "/dev/sda1");
  EXPECT_EQ(mounts[0].super_options, "rw,errors=remount-ro");
  EXPECT_EQ(mounts[2].mount_point, "/tmp/my dir");
  EXPECT_TRUE(has_option(mounts[2].options, "noexec"));
  EXPECT_FALSE(has_option(mounts[1].options, "noexec"));
  EXPECT_FALSE(has_option(mounts[1].options, "nosu"));

  EXPECT_EQ(mount_of(mounts, "/tmp/my dir/prog"), &mounts[2]);
  EXPECT_EQ(mount_of(mounts, "/tmp/my dir"), &mounts[2]);
  EXPECT_EQ(mount_of(mounts, "/tmp/my dirt/prog"), &mounts[1]);
  EXPECT_EQ(mount_of(mounts, "/usr/bin/ls"), &mounts[0]);
}

TEST(Mountinfo, ALaterMountOverTheSamePointWins) {
  auto mounts = parse_mountinfo(
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "30 22 0:40 / /mnt rw - tmpfs first rw\n"
      "31 30 0:41 / /mnt rw,noexec - tmpfs second rw\n");
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mount_of(mounts, "/mnt/x")->source, "second");
}

TEST(X86Compat, FromTheKernelConfig) {
  X86CompatInputs inputs;
  inputs.config =
      "CONFIG_IA32_EMULATION=y\n# CONFIG_IA32_EMULATION_DEFAULT_DISABLED is not set\n"
      "# CONFIG_X86_X32_ABI is not set\n";
  inputs.config_source = "/boot/config-6.1.0";
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::yes);
  auto x32 = x32_abi_state(inputs);
  EXPECT_EQ(x32.value, FeatureState::Value::no);
  EXPECT_EQ(x32.evidence, "CONFIG_X86_X32_ABI is not set (/boot/config-6.1.0)");

  inputs.command_line = "root=/dev/sda1 ia32_emulation=0 quiet";
  auto ia32 = ia32_emulation_state(inputs);
  EXPECT_EQ(ia32.value, FeatureState::Value::no);
  EXPECT_EQ(ia32.evidence, "the kernel was booted with ia32_emulation=0");

  inputs.command_line = "";
  inputs.config = "CONFIG_IA32_EMULATION=y\nCONFIG_IA32_EMULATION_DEFAULT_DISABLED=y\n";
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::no);
  inputs.command_line = "ia32_emulation=true";
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::yes);

  inputs.config = "# CONFIG_IA32_EMULATION is not set\n";
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::no);
}

TEST(X86Compat, DebiansX32NeedsItsParameter) {
  X86CompatInputs inputs;
  inputs.config = "CONFIG_X86_X32_ABI=y\nCONFIG_X86_X32_DISABLED=y\n";
  inputs.config_source = "config";
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::no);
  inputs.command_line = "syscall.x32=y";
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::yes);
  inputs.config = "CONFIG_X86_X32=y\n";  // its name before Linux 5.18
  inputs.command_line = "";
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::yes);
  // What follows "--" belongs to init.
  inputs.config = "CONFIG_X86_X32_ABI=y\nCONFIG_X86_X32_DISABLED=y\n";
  inputs.command_line = "quiet -- syscall.x32=y";
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::no);
}

TEST(X86Compat, FromKallsymsWhenThereIsNoConfig) {
  X86CompatInputs inputs;
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::unknown);
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::unknown);
  inputs.kallsyms = std::vector<std::string>{"ia32_sys_call"};
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::yes);
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::no);
  inputs.kallsyms = std::vector<std::string>{"x32_sys_call_table"};
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::no);
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::yes);
  inputs.command_line = "ia32_emulation=off";
  inputs.kallsyms = std::vector<std::string>{"ia32_sys_call"};
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::no);
}

}  // namespace
}  // namespace elfrun::diagnose
