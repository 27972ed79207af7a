// Tests of src/bundle/launcher_data.cc, the placeholder patcher: the data written into the embedded launchers reads
// back, nothing outside the area changes, every error. Then the patched x86-64 launcher and the sh launcher are run
// for real (with a shell script standing in for the loader) to see the loader command they build: paths relative
// to the launcher's real directory, --argv0 with the name invoked (through a symlink), the arguments byte for byte,
// and ELFRUN_BUNDLE_ARGV0 taken as argv[0] and removed from the environment.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bundle/launcher_data.h"
#include "loader/kernel_machines.h"

namespace elfrun::test {
namespace {

using bundle::LauncherData;

LauncherData sample() {
  LauncherData data;
  data.program = "../libexec/hello";
  data.loader = "../lib/x86-64-glibc/ld-linux-x86-64.so.2";
  data.library_dirs = {"../lib/x86-64-glibc", "../lib/extra"};
  data.pass_argv0 = true;
  data.inhibit_cache = true;
  return data;
}

TEST(LauncherDataTest, EmbeddedLaunchersPatchAndReadBack) {
  for (uint16_t machine : {uint16_t{EM_X86_64}, uint16_t{EM_386}}) {
    std::string_view launcher = bundle::embedded_launcher(machine);
    ASSERT_GT(launcher.size(), 1000u) << machine;
    EXPECT_EQ(launcher.substr(0, 4),
              "\x7f"
              "ELF");
    EXPECT_EQ(launcher[4], machine == EM_X86_64 ? ELFCLASS64 : ELFCLASS32);
    auto patched = bundle::patch_launcher(launcher, sample());
    ASSERT_TRUE(patched) << patched.error().message;
    ASSERT_EQ(patched->size(), launcher.size());
    auto data = bundle::read_launcher_data(*patched);
    ASSERT_TRUE(data) << data.error().message;
    EXPECT_EQ(data->program, "../libexec/hello");
    EXPECT_EQ(data->loader, "../lib/x86-64-glibc/ld-linux-x86-64.so.2");
    EXPECT_EQ(data->library_dirs, (std::vector<std::string>{"../lib/x86-64-glibc", "../lib/extra"}));
    EXPECT_TRUE(data->pass_argv0);
    EXPECT_TRUE(data->inhibit_cache);
    // Only the area after its 32-byte header changed.
    size_t area = launcher.find(bundle::kLauncherMagic) + bundle::kLauncherHeaderSize;
    size_t differing_outside = 0;
    for (size_t i = 0; i < launcher.size(); ++i) {
      if ((i < area || i >= area + bundle::kLauncherAreaSize - bundle::kLauncherHeaderSize) &&
          launcher[i] != (*patched)[i]) {
        ++differing_outside;
      }
    }
    EXPECT_EQ(differing_outside, 0u);
  }
  EXPECT_TRUE(bundle::embedded_launcher(EM_AARCH64).empty());
}

// fix --user for a foreign program: the "loader" is qemu-user, given -L ROOT -0 NAME by the launcher (flag q).
TEST(LauncherDataTest, QemuUserFlagReadsBack) {
  bundle::LauncherData qemu;
  qemu.program = "/home/u/hello-aarch64";
  qemu.loader = "/usr/bin/qemu-aarch64";
  qemu.library_dirs = {"/usr/aarch64-linux-gnu"};
  qemu.qemu_user = true;
  auto patched = bundle::patch_launcher(bundle::embedded_launcher(EM_X86_64), qemu);
  ASSERT_TRUE(patched) << patched.error().message;
  auto data = bundle::read_launcher_data(*patched);
  ASSERT_TRUE(data) << data.error().message;
  EXPECT_TRUE(data->qemu_user);
  EXPECT_FALSE(data->pass_argv0);
  EXPECT_EQ(data->loader, "/usr/bin/qemu-aarch64");
  EXPECT_EQ(data->library_dirs, (std::vector<std::string>{"/usr/aarch64-linux-gnu"}));
  auto plain = bundle::read_launcher_data(*bundle::patch_launcher(bundle::embedded_launcher(EM_X86_64), sample()));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->qemu_user);
}

TEST(LauncherDataTest, RepatchingClearsTheOldData) {
  std::string_view launcher = bundle::embedded_launcher(EM_X86_64);
  LauncherData long_data = sample();
  long_data.program = "../libexec/" + std::string(500, 'p');
  auto first = bundle::patch_launcher(launcher, long_data);
  ASSERT_TRUE(first);
  LauncherData short_data;
  short_data.program = "../libexec/s";
  auto second = bundle::patch_launcher(*first, short_data);
  ASSERT_TRUE(second);
  auto plain = bundle::patch_launcher(launcher, short_data);
  ASSERT_TRUE(plain);
  EXPECT_EQ(*second, *plain);
  auto data = bundle::read_launcher_data(*second);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->loader, "");
  EXPECT_TRUE(data->library_dirs.empty());
  EXPECT_FALSE(data->pass_argv0);
}

TEST(LauncherDataTest, Errors) {
  auto none = bundle::patch_launcher("no area here", sample());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "launcher: no data area (magic ELFRUN-LAUNCHER-DATA-1)");
  std::string twice = std::string(bundle::kLauncherMagic) + std::string(5000, '\0') +
                      std::string(bundle::kLauncherMagic) + std::string(5000, '\0');
  auto two = bundle::patch_launcher(twice, sample());
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().message, "launcher: two data areas (magic ELFRUN-LAUNCHER-DATA-1 twice)");
  auto cut = bundle::patch_launcher(std::string(bundle::kLauncherMagic) + std::string(100, '\0'), sample());
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().message, "launcher: data area cut short by the end of the file");
  std::string_view launcher = bundle::embedded_launcher(EM_X86_64);
  LauncherData too_long = sample();
  too_long.program = std::string(5000, 'p');
  auto big = bundle::patch_launcher(launcher, too_long);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message, "launcher: the paths take 5078 bytes, more than the 4064 of its data area");
  LauncherData colon = sample();
  colon.library_dirs = {"a:b"};
  auto bad = bundle::patch_launcher(launcher, colon);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "launcher: library directory \"a:b\" is empty or has a ':' (the loader splits at ':')");
  auto unpatched = bundle::read_launcher_data(launcher);
  ASSERT_FALSE(unpatched);
  EXPECT_EQ(unpatched.error().message, "launcher: its data area names no program (not patched)");
}

// A bundle skeleton in a temporary directory whose "loader" is a shell script writing its argv and environment.
class LauncherRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/elfrun-launcher-test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::filesystem::create_directories(dir_ + "/b/bin");
    std::filesystem::create_directories(dir_ + "/b/lib/d");
    write(dir_ + "/b/lib/d/loader",
          "#!/bin/sh\n{ for a in \"$@\"; do printf '[%s]' \"$a\"; done; echo; "
          "echo \"${ELFRUN_BUNDLE_ARGV0-unset}\"; } > \"$OUT\"\n",
          0755);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static void write(const std::string& path, const std::string& bytes, mode_t mode) {
    std::ofstream(path, std::ios::binary) << bytes;
    ::chmod(path.c_str(), mode);
  }
  // Runs `command` in the shell, with OUT set; returns what the loader wrote.
  std::string run(const std::string& command) {
    std::string out = dir_ + "/out";
    std::filesystem::remove(out);
    std::string full = "cd " + dir_ + " && OUT=" + out + " " + command;
    EXPECT_EQ(std::system(full.c_str()), 0) << full;
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  LauncherData data() {
    LauncherData d;
    d.program = "../libexec/prog";
    d.loader = "../lib/d/loader";
    d.library_dirs = {"../lib/d"};
    d.pass_argv0 = true;
    d.inhibit_cache = true;
    return d;
  }
  std::string dir_;
};

TEST_F(LauncherRunTest, FreestandingLauncherBuildsTheLoaderCommand) {
  if (loader::kernel_machine() != "x86_64") GTEST_SKIP() << "needs an x86-64 kernel";
  for (uint16_t machine : {uint16_t{EM_X86_64}, uint16_t{EM_386}}) {
    // A kernel with IA32 emulation off cannot start the i386 launcher (loader/kernel_machines.h asks it).
    if (!loader::kernel_runs_natively(machine, machine == EM_386 ? ELFCLASS32 : ELFCLASS64)) continue;
    auto patched = bundle::patch_launcher(bundle::embedded_launcher(machine), data());
    ASSERT_TRUE(patched);
    std::filesystem::remove(dir_ + "/b/bin/prog");
    write(dir_ + "/b/bin/prog", *patched, 0755);
    std::filesystem::remove(dir_ + "/alias");
    std::filesystem::create_symlink("b/bin/prog", dir_ + "/alias");
    std::string bin = dir_ + "/b/bin/";
    EXPECT_EQ(run("./alias 'a b' '' x"), "[--argv0][./alias][--library-path][" + bin + "../lib/d][--inhibit-cache][" +
                                             bin + "../libexec/prog][a b][][x]\nunset\n")
        << machine;
    EXPECT_EQ(run("ELFRUN_BUNDLE_ARGV0=named b/bin/prog -v"), "[--argv0][named][--library-path][" + bin +
                                                                  "../lib/d][--inhibit-cache][" + bin +
                                                                  "../libexec/prog][-v]\nunset\n")
        << machine;
  }
}

TEST_F(LauncherRunTest, ShLauncherBuildsTheSameCommand) {
  write(dir_ + "/b/bin/prog", bundle::sh_launcher(data()), 0755);
  std::filesystem::create_symlink("b/bin/prog", dir_ + "/alias");
  std::string bin = dir_ + "/b/bin/";
  // Through a symlink its directory is the symlink's target's (relative: "./b/bin/").
  EXPECT_EQ(run("./alias 'a b' '' x"),
            "[--argv0][./alias][--library-path][./b/bin/../lib/d][--inhibit-cache][./b/bin/../libexec/prog][a "
            "b][][x]\nunset\n");
  EXPECT_EQ(run("ELFRUN_BUNDLE_ARGV0=named " + bin + "prog -v"), "[--argv0][named][--library-path][" + bin +
                                                                     "../lib/d][--inhibit-cache][" + bin +
                                                                     "../libexec/prog][-v]\nunset\n");
}

// The sh launcher quotes its paths with util::shell_quote: hostile names (quotes, $(), backticks, spaces, a tab,
// a newline, a leading dash) reach the loader byte for byte, and nothing in them runs.
TEST_F(LauncherRunTest, ShLauncherPassesHostileNamesUnchanged) {
  const std::string hostile = "d 'q' $(touch ran) `touch ran2` \"x\"\t-y\nz";
  std::filesystem::create_directories(dir_ + "/b/lib/" + hostile);
  write(dir_ + "/b/lib/" + hostile + "/loader",
        "#!/bin/sh\n{ for a in \"$@\"; do printf '[%s]' \"$a\"; done; echo; } > \"$OUT\"\n", 0755);
  LauncherData d = data();
  d.loader = "../lib/" + hostile + "/loader";
  d.library_dirs = {"../lib/" + hostile};
  d.program = "../libexec/-" + hostile;
  d.pass_argv0 = false;
  write(dir_ + "/b/bin/prog", bundle::sh_launcher(d), 0755);
  EXPECT_EQ(run("b/bin/prog x"),
            "[--library-path][b/bin/../lib/" + hostile + "][--inhibit-cache][b/bin/../libexec/-" + hostile + "][x]\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/ran"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/ran2"));
}

TEST_F(LauncherRunTest, ShLauncherUsesQemuWithoutABinfmtHandler) {
  // A qemu stand-in on PATH, with a name the kernel surely has no binfmt_misc handler for.
  std::filesystem::create_directories(dir_ + "/path");
  write(dir_ + "/path/elfrun-test-qemu", "#!/bin/sh\nloader=$1\nshift\nexec \"$loader\" '[qemu]' \"$@\"\n", 0755);
  LauncherData d = data();
  d.qemu = "elfrun-test-qemu";
  write(dir_ + "/b/bin/prog", bundle::sh_launcher(d), 0755);
  std::string bin = dir_ + "/b/bin/";
  EXPECT_EQ(run("PATH=" + dir_ + "/path:$PATH b/bin/prog x"),
            "[[qemu]][--argv0][b/bin/prog][--library-path][b/bin/../lib/d][--inhibit-cache][b/bin/../libexec/prog][x]\n"
            "unset\n");
  // Without qemu on PATH the loader is exec'd directly.
  EXPECT_EQ(
      run("b/bin/prog x"),
      "[--argv0][b/bin/prog][--library-path][b/bin/../lib/d][--inhibit-cache][b/bin/../libexec/prog][x]\nunset\n");
}

}  // namespace
}  // namespace elfrun::test
