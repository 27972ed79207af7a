// Tests of src/diagnose/ld_so_conf.cc: ld.so.conf under a root, as ldconfig reads it — several directories per line,
// comments, hwcap lines, includes by absolute and relative globs, and a file that includes itself.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "diagnose/ld_so_conf.h"
#include "loader_test_support.h"

namespace elfrun::diagnose {
namespace {

using test::TempDir;
using test::write_file;

std::vector<std::string> directories(const std::vector<ConfDirectory>& list) {
  std::vector<std::string> names;
  for (const ConfDirectory& entry : list) names.push_back(entry.directory);
  return names;
}

TEST(LdSoConf, DirectoriesIncludesAndComments) {
  TempDir root;
  write_file(root / "etc/ld.so.conf",
             "# the system's\n"
             "include /etc/ld.so.conf.d/*.conf\n"
             "/opt/a:/opt/b, /opt/c   # three on a line\n"
             "hwcap 0 nosegneg\n"
             "\t/opt/d/\n"
             "include local/*.conf\n"
             "include /etc/ld.so.conf\n");  // itself: read once
  write_file(root / "etc/ld.so.conf.d/x86_64-linux-gnu.conf", "/usr/local/lib/x86_64-linux-gnu\n/opt/a\n");
  write_file(root / "etc/ld.so.conf.d/libc.conf", "/usr/local/lib\n");
  write_file(root / "etc/ld.so.conf.d/README", "/not/a/conf\n");
  write_file(root / "etc/local/extra.conf", "/srv/lib\n");
  auto list = read_ld_so_conf(root.path());
  EXPECT_EQ(directories(list), (std::vector<std::string>{"/usr/local/lib", "/usr/local/lib/x86_64-linux-gnu", "/opt/a",
                                                         "/opt/b", "/opt/c", "/opt/d", "/srv/lib"}));
  EXPECT_EQ(list[0].file, "/etc/ld.so.conf.d/libc.conf");
  EXPECT_EQ(list[2].file, "/etc/ld.so.conf.d/x86_64-linux-gnu.conf");  // the first file that lists it
  EXPECT_EQ(list[3].file, "/etc/ld.so.conf");
  EXPECT_EQ(list[6].file, "/etc/local/extra.conf");
}

TEST(LdSoConf, NoFileNoDirectories) {
  TempDir root;
  EXPECT_TRUE(read_ld_so_conf(root.path()).empty());
}

// Issue 13, finding 3: the files are read through RootedFs. An absolute symlink in the root points inside it, as
// after chroot(2); it used to be followed on the host (a host directory reported as the root's).
TEST(LdSoConf, AbsoluteSymlinksResolveInsideTheRoot) {
  TempDir host;  // stands for a host file the symlink would reach when followed outside the root
  write_file(host / "etc/host.conf", "/host/only\n");
  TempDir root;
  write_file(root / (host.path() + "/etc/host.conf"), "/inside/root\n");
  std::string link = root.path() + "/etc/ld.so.conf";
  write_file(root / "etc/ld.so.conf.d/.keep", "");
  ASSERT_EQ(::symlink((host.path() + "/etc/host.conf").c_str(), link.c_str()), 0);
  EXPECT_EQ(directories(read_ld_so_conf(root.path())), (std::vector<std::string>{"/inside/root"}));
  // An include glob whose directory is an absolute symlink: listed inside the root too.
  ASSERT_EQ(::unlink(link.c_str()), 0);
  write_file(root / "etc/ld.so.conf", "include /etc/conf.d/*.conf\n");
  write_file(host / "etc/conf.d/a.conf", "/host/included\n");
  write_file(root / (host.path() + "/etc/conf.d/a.conf"), "/root/included\n");
  ASSERT_EQ(::symlink((host.path() + "/etc/conf.d").c_str(), (root.path() + "/etc/conf.d").c_str()), 0);
  EXPECT_EQ(directories(read_ld_so_conf(root.path())), (std::vector<std::string>{"/root/included"}));
}

// A FIFO where ld.so.conf or an included file should be is skipped at once, never read (it would block forever).
TEST(LdSoConf, FifoDoesNotBlock) {
  TempDir root;
  write_file(root / "etc/ld.so.conf.d/b.conf", "/opt/b\n");
  ASSERT_EQ(::mkfifo((root.path() + "/etc/ld.so.conf.d/a.conf").c_str(), 0644), 0);
  write_file(root / "etc/main.conf", "include /etc/ld.so.conf.d/*.conf\n");
  ASSERT_EQ(::mkfifo((root.path() + "/etc/ld.so.conf").c_str(), 0644), 0);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(read_ld_so_conf(root.path()).empty());
  ASSERT_EQ(::unlink((root.path() + "/etc/ld.so.conf").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/main.conf", (root.path() + "/etc/ld.so.conf").c_str()), 0);
  EXPECT_EQ(directories(read_ld_so_conf(root.path())), (std::vector<std::string>{"/opt/b"}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace elfrun::diagnose
