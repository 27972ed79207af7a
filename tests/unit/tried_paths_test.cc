// TriedPaths (loader/tried_paths.h): runs of directory × subdirectory × name read back as the paths themselves, in
// order, mixed with single paths; and RootedFs's memory of missing directories (loader/filesystem.h).
#include "loader/tried_paths.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>

#include "loader/filesystem.h"

namespace elfrun::test {
namespace {

using loader::SharedList;
using loader::TriedPaths;

SharedList list(std::vector<std::string> items) {
  return std::make_shared<const std::vector<std::string>>(std::move(items));
}

TEST(TriedPaths, RunsAndSinglePathsReadBackInOrder) {
  SharedList dirs = list({"/a/", "/b/", "/c/"});
  SharedList subdirs = list({"glibc-hwcaps/x86-64-v3/", "tls/", ""});
  TriedPaths tried;
  EXPECT_TRUE(tried.empty());
  std::vector<std::string> expected;
  // A search that stops in the middle of /b/ (found there), then the cache's answer, then the system directories.
  for (size_t d = 0; d < 3; ++d) {
    for (size_t s = 0; s < 3; ++s) {
      if (d == 1 && s == 2) break;
      tried.add_from(dirs, d, subdirs, s, "libx.so.1");
      expected.push_back((*dirs)[d] + (*subdirs)[s] + "libx.so.1");
    }
    if (d == 1) break;
  }
  tried.add("/cache/libx.so.1");
  expected.push_back("/cache/libx.so.1");
  SharedList system = list({"/lib/", "/usr/lib/"});
  for (size_t d = 0; d < 2; ++d) {
    for (size_t s = 0; s < 3; ++s) {
      tried.add_from(system, d, subdirs, s, "libx.so.1");
      expected.push_back((*system)[d] + (*subdirs)[s] + "libx.so.1");
    }
  }
  ASSERT_EQ(tried.size(), expected.size());
  std::vector<std::string> got(tried.begin(), tried.end());
  EXPECT_EQ(got, expected);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(tried[i], expected[i]) << i;
  for (const std::string& path : expected) EXPECT_TRUE(tried.contains(path)) << path;
  EXPECT_FALSE(tried.contains("/b/libx.so.1"));  // the search stopped before it
  EXPECT_FALSE(tried.contains("/a/liby.so.1"));
  EXPECT_FALSE(tried.contains("/a/tls/libx.so"));
}

TEST(RootedFsMissingDirectories, AFileUnderAMissingDirectoryIsNotFound) {
  char pattern[] = "/tmp/elfrun-tried-test.XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  std::string dir = pattern;
  std::filesystem::create_directories(dir + "/here");
  {
    std::FILE* f = std::fopen((dir + "/here/file").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
  }
  loader::RootedFs fs("/");
  EXPECT_EQ(fs.open(dir + "/gone/deeper/x").error, ENOENT);
  EXPECT_EQ(fs.open(dir + "/gone/deeper/y").error, ENOENT);  // answered from the memory of dir/gone
  EXPECT_EQ(fs.open(dir + "/gone/z").error, ENOENT);
  EXPECT_EQ(fs.open(dir + "/here/nothing").error, ENOENT);
  EXPECT_EQ(fs.open(dir + "/here/file").error, 0);  // a directory that exists is still searched
  EXPECT_EQ(fs.open(dir + "/here/file/x").error, ENOTDIR);
  EXPECT_EQ(fs.open(dir + "/here/file/y").error, ENOTDIR);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace elfrun::test
