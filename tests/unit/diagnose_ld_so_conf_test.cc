// Tests of src/diagnose/ld_so_conf.cc: ld.so.conf under a root, as ldconfig reads it — several directories per line,
// comments, hwcap lines, includes by absolute and relative globs, and a file that includes itself.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace elfrun::diagnose
