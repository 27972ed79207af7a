// `run --root DIR --fetch`: DIR's suite and architecture (fetch/provision.h machine_of_root), read inside DIR, and
// the host directories a rooted file system sees on the host (loader/filesystem.h set_host_directories): the
// store's entries, while everything else stays inside DIR.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "elf/byte_source.h"
#include "fetch/architecture.h"
#include "fetch/policy.h"
#include "fetch/provision.h"
#include "gtest/gtest.h"
#include "loader/filesystem.h"
#include "loader_test_support.h"

namespace elfrun::fetch {
namespace {

TEST(FetchRoot, SuiteAndArchitectureOfTheRoot) {
  test::TempDir dir;
  std::string root = dir / "root";
  test::write_file(root + "/usr/lib/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12\"\nVERSION_CODENAME=bookworm\n");
  // /etc/os-release -> ../usr/lib/os-release, as Debian has it; an absolute link must be followed inside the root.
  std::filesystem::create_directories(root + "/etc");
  ASSERT_EQ(::symlink("/usr/lib/os-release", (root + "/etc/os-release").c_str()), 0);
  test::write_file(root + "/var/lib/dpkg/arch", "i386\namd64\n");
  MachineOf machine = machine_of_root(root, "amd64");
  EXPECT_EQ(machine.suite, "bookworm");
  EXPECT_EQ(machine.arch, "i386");  // dpkg's native architecture: the first line
}

TEST(FetchRoot, ArchitectureFallsBackToTheProgramsAndSuiteToNone) {
  test::TempDir dir;
  std::string root = dir / "root";
  std::filesystem::create_directories(root + "/etc");
  MachineOf machine = machine_of_root(root, "arm64");
  EXPECT_EQ(machine.suite, "");  // suites_to_try then starts at the current stable
  EXPECT_EQ(machine.arch, "arm64");
  // A garbage arch file is not taken.
  test::write_file(root + "/var/lib/dpkg/arch", "../../x\n");
  EXPECT_EQ(machine_of_root(root, "arm64").arch, "arm64");
}

TEST(FetchRoot, ArchitectureOfTheRootsDpkg) {
  // No /var/lib/dpkg/arch (debootstrap makes none): the machine of the root's dpkg, here this test's own machine.
  test::TempDir dir;
  std::string root = dir / "root";
  std::filesystem::create_directories(root + "/usr/bin");
  std::filesystem::copy_file("/proc/self/exe", root + "/usr/bin/dpkg");
  // Whatever runs this test (an x86-64 build, an i386 one, under qemu-i386): the architecture of that ELF file.
  auto bytes = elf::ByteSource::open(root + "/usr/bin/dpkg");
  ASSERT_TRUE(bytes);
  auto object = elf::parse_elf(**bytes);
  ASSERT_TRUE(object);
  auto expected = debian_architecture(*object);
  ASSERT_TRUE(expected);
  EXPECT_NE(*expected, "arm64");
  EXPECT_EQ(machine_of_root(root, "arm64").arch, *expected);
}

TEST(FetchRoot, HostDirectoriesAreOpenedOnTheHostTheRestInsideTheRoot) {
  test::TempDir dir;
  std::string root = dir / "root";
  std::string store = dir / "store/libfoo1_1_amd64/usr/lib";
  test::write_file(root + store + "/libfoo.so.1", "inside");  // the same path inside the root
  test::write_file(store + "/libfoo.so.1", "host");
  test::write_file(root + "/lib/libbar.so.1", "root's");
  loader::RootedFs fs(root);
  auto text = [&](const std::string& path) {
    auto bytes = fs.read_file(path);
    auto view = bytes ? bytes->whole() : std::nullopt;
    return view ? std::string(view->as_string_view()) : std::string("(none)");
  };
  EXPECT_EQ(text(store + "/libfoo.so.1"), "inside");
  loader::RootedFs with_store(root);
  with_store.set_host_directories({dir / "store/libfoo1_1_amd64"});
  auto text_with = [&](const std::string& path) {
    auto bytes = with_store.read_file(path);
    auto view = bytes ? bytes->whole() : std::nullopt;
    return view ? std::string(view->as_string_view()) : std::string("(none)");
  };
  EXPECT_EQ(text_with(store + "/libfoo.so.1"), "host");
  EXPECT_EQ(with_store.host_path(store + "/libfoo.so.1"), store + "/libfoo.so.1");
  EXPECT_TRUE(with_store.is_directory(store));
  EXPECT_EQ(with_store.list_directory(store), std::vector<std::string>{"libfoo.so.1"});
  EXPECT_EQ(text_with("/lib/libbar.so.1"), "root's");
  EXPECT_EQ(with_store.host_path("/lib/libbar.so.1"), root + "/lib/libbar.so.1");
  // A prefix of a name is not its directory.
  EXPECT_FALSE(with_store.on_host(dir / "store/libfoo1_1_amd64x/lib"));
}

}  // namespace
}  // namespace elfrun::fetch
