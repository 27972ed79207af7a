// util/trust: the trust rule for caches, configuration and loaders — a symbolic link where a directory is expected,
// a group- or other-writable directory, another owner, a missing level (created 0700 with `create`), the sticky /tmp
// exception, and files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "util/trust.h"

namespace {

using elfrun::util::open_trusted_directory;
using elfrun::util::TrustFailure;
using elfrun::util::untrusted_directory_reason;
using elfrun::util::untrusted_file_reason;
using elfrun::util::untrusted_path_reason;

class TrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/elfrun-trust-test.XXXXXX";  // /tmp: root's and sticky, which the rule accepts above us
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
  }
  void TearDown() override { std::system(("rm -rf '" + base_ + "'").c_str()); }

  void make_directory(const std::string& name, mode_t mode = 0700) {
    ASSERT_EQ(::mkdir((base_ + "/" + name).c_str(), mode), 0) << name;
    ASSERT_EQ(::chmod((base_ + "/" + name).c_str(), mode), 0);  // umask aside
  }
  void make_file(const std::string& name, mode_t mode = 0644) {
    int fd = ::open((base_ + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    ASSERT_GE(fd, 0) << name;
    ::close(fd);
    ASSERT_EQ(::chmod((base_ + "/" + name).c_str(), mode), 0);
  }
  // Opens base/name through the rule; the reason and the failing component ("" and "" when it opened).
  std::pair<std::string, std::string> open(const std::string& name, bool create = false) {
    std::string path = base_ + "/" + name;
    TrustFailure failure;
    int fd = open_trusted_directory(path, create, failure);
    if (fd >= 0) {
      ::close(fd);
      return {"", ""};
    }
    return {failure.reason ? failure.reason : (failure.error == ENOENT ? "missing" : "?"),
            path.substr(0, failure.component_length)};
  }
  std::string base_;
};

TEST_F(TrustTest, PrivateChainOpens) {
  make_directory("a");
  make_directory("a/b");
  EXPECT_EQ(open("a/b"), std::make_pair(std::string(), std::string()));
}

TEST_F(TrustTest, SymlinkedComponentIsRefused) {
  make_directory("real");
  make_directory("real/inner");
  ASSERT_EQ(::symlink((base_ + "/real").c_str(), (base_ + "/link").c_str()), 0);
  auto [reason, component] = open("link/inner");
  EXPECT_EQ(reason, "is a symbolic link where a directory is expected");
  EXPECT_EQ(component, base_ + "/link");
  // The last level too.
  ASSERT_EQ(::symlink((base_ + "/real/inner").c_str(), (base_ + "/real/last").c_str()), 0);
  EXPECT_EQ(open("real/last").first, "is a symbolic link where a directory is expected");
  // And nothing is created through it.
  EXPECT_EQ(open("link/new", true).first, "is a symbolic link where a directory is expected");
  struct stat st {};
  EXPECT_NE(::stat((base_ + "/real/new").c_str(), &st), 0);
}

TEST_F(TrustTest, GroupOrOtherWritableDirectoryIsRefused) {
  make_directory("shared", 0775);
  make_directory("shared/mine");
  auto [reason, component] = open("shared/mine");
  EXPECT_EQ(reason, "is writable by group or others");
  EXPECT_EQ(component, base_ + "/shared");
  make_directory("open", 0707);
  EXPECT_EQ(open("open").first, "is writable by group or others");
}

TEST_F(TrustTest, StickyRootDirectoryOnlyAboveTheLastLevel) {
  if (::geteuid() != 0) GTEST_SKIP() << "a root-owned sticky directory needs root to make";
  make_directory("sticky", 01777);
  make_directory("sticky/mine");
  EXPECT_EQ(open("sticky/mine").first, "");
  EXPECT_EQ(open("sticky").first, "is writable by group or others");
}

TEST_F(TrustTest, OtherOwnerIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a directory away needs root";
  make_directory("theirs", 0755);
  make_directory("theirs/cache");
  ASSERT_EQ(::chown((base_ + "/theirs").c_str(), 65534, 65534), 0);
  auto [reason, component] = open("theirs/cache");
  EXPECT_EQ(reason, "is owned by another user");
  EXPECT_EQ(component, base_ + "/theirs");
}

TEST_F(TrustTest, MissingLevelsAreCreatedPrivate) {
  auto [reason, component] = open("x/y/z");
  EXPECT_EQ(reason, "missing");
  EXPECT_EQ(component, base_ + "/x");
  EXPECT_EQ(open("x/y/z", true).first, "");
  struct stat st {};
  ASSERT_EQ(::stat((base_ + "/x/y").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, ::geteuid());
}

TEST_F(TrustTest, NotADirectoryAndRelativePaths) {
  make_file("file");
  EXPECT_EQ(open("file/below").first, "is not a directory");
  TrustFailure failure;
  EXPECT_LT(open_trusted_directory("relative/dir", false, failure), 0);
  EXPECT_STREQ(failure.reason, "is not an absolute path");
}

TEST_F(TrustTest, Files) {
  make_directory("d");
  make_file("d/good", 0755);
  make_file("d/group-writable", 0775);
  EXPECT_EQ(untrusted_path_reason(base_ + "/d/good"), "");
  EXPECT_EQ(untrusted_path_reason(base_ + "/d/group-writable"),
            base_ + "/d/group-writable is writable by group or others");
  // A symbolic link to a trusted file, in a trusted directory (as /lib64/ld-linux-x86-64.so.2 is), passes.
  ASSERT_EQ(::symlink("good", (base_ + "/d/link").c_str()), 0);
  EXPECT_EQ(untrusted_path_reason(base_ + "/d/link"), "");
  // One in a group-writable directory does not: whoever may write there may retarget it.
  make_directory("shared", 0775);
  ASSERT_EQ(::symlink((base_ + "/d/good").c_str(), (base_ + "/shared/link").c_str()), 0);
  EXPECT_EQ(untrusted_path_reason(base_ + "/shared/link"), base_ + "/shared is writable by group or others");
  EXPECT_NE(untrusted_path_reason(base_ + "/d/missing"), "");
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown((base_ + "/d/good").c_str(), 65534, 65534), 0);
    EXPECT_EQ(untrusted_path_reason(base_ + "/d/good"), base_ + "/d/good is owned by another user");
  }
}

TEST(TrustReasons, FromStat) {
  struct stat st {};
  st.st_mode = S_IFDIR | 0755;
  st.st_uid = 0;
  EXPECT_EQ(untrusted_directory_reason(st, true), nullptr);
  st.st_mode = S_IFDIR | 01777;
  EXPECT_EQ(untrusted_directory_reason(st, false), nullptr);
  EXPECT_STREQ(untrusted_directory_reason(st, true), "is writable by group or others");
  st.st_uid = ::geteuid() == 12345 ? 12346 : 12345;
  EXPECT_STREQ(untrusted_directory_reason(st, false), "is owned by another user");
  st.st_mode = S_IFREG | 0644;
  EXPECT_STREQ(untrusted_directory_reason(st, false), "is not a directory");
  EXPECT_STREQ(untrusted_file_reason(st), "is owned by another user");
  st.st_uid = ::geteuid();
  EXPECT_EQ(untrusted_file_reason(st), nullptr);
  st.st_mode = S_IFREG | 0664;
  EXPECT_STREQ(untrusted_file_reason(st), "is writable by group or others");
  st.st_mode = S_IFIFO | 0644;
  EXPECT_STREQ(untrusted_file_reason(st), "is not a regular file");
}

}  // namespace
