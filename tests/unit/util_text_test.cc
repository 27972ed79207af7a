// util/text: the lines of a text, the directories of $PATH, realpath with a fallback.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "util/text.h"

namespace {

using elfrun::util::path_directories;
using elfrun::util::real_path;
using elfrun::util::base_name;
using elfrun::util::dir_name;
using elfrun::util::hex;
using elfrun::util::split;
using elfrun::util::split_non_empty;
using elfrun::util::split_lines;

// Sets PATH (or unsets it for nullopt) for one test and restores it after.
class ScopedPath {
 public:
  explicit ScopedPath(std::optional<std::string> value) {
    if (const char* old = std::getenv("PATH")) old_ = old;
    if (value) {
      ::setenv("PATH", value->c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }
  ~ScopedPath() {
    if (old_) {
      ::setenv("PATH", old_->c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }

 private:
  std::optional<std::string> old_;
};

TEST(UtilText, SplitLines) {
  EXPECT_TRUE(split_lines("").empty());
  EXPECT_EQ(split_lines("a\nb"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(split_lines("a\n\nb\n"), (std::vector<std::string_view>{"a", "", "b"}));
}

TEST(UtilText, BaseAndDirName) {
  EXPECT_EQ(base_name("/lib64/ld-linux-x86-64.so.2"), "ld-linux-x86-64.so.2");
  EXPECT_EQ(base_name("hello"), "hello");
  EXPECT_EQ(base_name("dir/"), "");
  EXPECT_EQ(dir_name("/lib64/ld-linux-x86-64.so.2"), "/lib64");
  EXPECT_EQ(dir_name("/etc"), "/");
  EXPECT_EQ(dir_name("hello"), ".");
  EXPECT_EQ(dir_name("./m64"), ".");
  EXPECT_EQ(dir_name("a/b/c"), "a/b");
}

TEST(UtilText, Hex) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(hex(bytes), "000fa5ff");
  EXPECT_EQ(hex({}), "");
}

TEST(UtilText, SplitKeepsEmptyPieces) {
  EXPECT_EQ(split("", ':'), (std::vector<std::string_view>{""}));
  EXPECT_EQ(split("a::b", ':'), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(split(":a:", ':'), (std::vector<std::string_view>{"", "a", ""}));
  EXPECT_EQ(split("/usr/lib", '/'), (std::vector<std::string_view>{"", "usr", "lib"}));
}

TEST(UtilText, SplitNonEmptyDropsEmptyPieces) {
  EXPECT_TRUE(split_non_empty("", ':').empty());
  EXPECT_EQ(split_non_empty("::/a::/b:", ':'), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(split_non_empty("//usr/./lib/", '/'), (std::vector<std::string>{"usr", ".", "lib"}));
}

TEST(UtilText, PathDirectoriesKeepEmptyEntries) {
  ScopedPath path(std::string("/usr/bin::/bin:"));
  EXPECT_EQ(path_directories(), (std::vector<std::string>{"/usr/bin", "", "/bin", ""}));
}

TEST(UtilText, PathDirectoriesDefaultWhenUnset) {
  ScopedPath path(std::nullopt);
  EXPECT_EQ(path_directories(), (std::vector<std::string>{"/usr/local/bin", "/usr/bin", "/bin"}));
}

TEST(UtilText, RealPathFallsBackToTheGivenPath) {
  EXPECT_EQ(real_path("/nonexistent/elfrun-test"), "/nonexistent/elfrun-test");
  EXPECT_EQ(real_path("/"), "/");
}

}  // namespace
