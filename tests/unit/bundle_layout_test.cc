// Tests of src/bundle/layout.cc, the bundle planner: one stored file per distinct content with relative symlinks for
// the other paths, the holder chosen by sorted path whatever the order of adding, directories listed, modes, the
// clash errors, and relative_link.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bundle/layout.h"

namespace elfrun::test {
namespace {

using bundle::ArchiveEntry;
using bundle::Layout;

std::string describe(const std::vector<ArchiveEntry>& entries) {
  std::string text;
  for (const ArchiveEntry& e : entries) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%o", e.mode);
    switch (e.kind) {
      case ArchiveEntry::Kind::directory: text += e.path + "/ " + mode + "\n"; break;
      case ArchiveEntry::Kind::file: text += e.path + " " + mode + " " + e.content + "\n"; break;
      case ArchiveEntry::Kind::symlink: text += e.path + " -> " + e.link_target + "\n"; break;
    }
  }
  return text;
}

TEST(LayoutTest, SameContentIsOneFilePlusSymlinks) {
  Layout layout;
  ASSERT_TRUE(layout.add_file("lib/x86-64-glibc/libz.so.1", "ZLIB", 0644, "/usr/lib/libz.so.1"));
  ASSERT_TRUE(layout.add_file("lib/x86-64-glibc/libz.so", "ZLIB", 0644, "/usr/lib/libz.so.1"));
  ASSERT_TRUE(layout.add_file("libexec/busybox", "BUSYBOX", 0755, "/bin/busybox"));
  ASSERT_TRUE(layout.add_file("libexec/sh", "BUSYBOX", 0755, "/bin/sh"));
  ASSERT_TRUE(layout.add_file("lib/i386-glibc/libz.so.1", "ZLIB", 0644, "/usr/lib32/libz.so.1"));
  EXPECT_EQ(describe(layout.entries()),
            "lib/ 755\n"
            "lib/i386-glibc/ 755\n"
            "lib/i386-glibc/libz.so.1 644 ZLIB\n"
            "lib/x86-64-glibc/ 755\n"
            "lib/x86-64-glibc/libz.so -> ../i386-glibc/libz.so.1\n"
            "lib/x86-64-glibc/libz.so.1 -> ../i386-glibc/libz.so.1\n"
            "libexec/ 755\n"
            "libexec/busybox 755 BUSYBOX\n"
            "libexec/sh -> busybox\n");
  EXPECT_EQ(layout.stored_bytes(), 4u + 7u);
  EXPECT_EQ(layout.logical_bytes(), 3 * 4u + 2 * 7u);
}

TEST(LayoutTest, OrderOfAddingDoesNotMatter) {
  std::vector<std::pair<std::string, std::string>> files = {
      {"bin/b", "1"}, {"bin/a", "1"}, {"lib/x/libc.so.6", "2"}, {"data/etc/x", "3"}, {"lib/x/libm.so.6", "3"}};
  Layout forward, backward;
  for (const auto& [path, content] : files) ASSERT_TRUE(forward.add_file(path, content, 0644, path));
  for (auto it = files.rbegin(); it != files.rend(); ++it)
    ASSERT_TRUE(backward.add_file(it->first, it->second, 0644, it->first));
  EXPECT_EQ(describe(forward.entries()), describe(backward.entries()));
  EXPECT_EQ(describe(forward.entries()),
            "bin/ 755\nbin/a 644 1\nbin/b -> a\ndata/ 755\ndata/etc/ 755\ndata/etc/x 644 3\nlib/ 755\nlib/x/ 755\n"
            "lib/x/libc.so.6 644 2\nlib/x/libm.so.6 -> ../../data/etc/x\n");
}

TEST(LayoutTest, ExecutableIfAnyCopyIs) {
  Layout layout;
  ASSERT_TRUE(layout.add_file("a/lib", "X", 0644, "lib"));
  ASSERT_TRUE(layout.add_file("b/prog", "X", 0755, "prog"));
  EXPECT_EQ(describe(layout.entries()), "a/ 755\na/lib 755 X\nb/ 755\nb/prog -> ../a/lib\n");
}

TEST(LayoutTest, Clashes) {
  Layout layout;
  ASSERT_TRUE(layout.add_file("lib/x/libfoo.so.1", "ONE", 0644, "/opt/a/libfoo.so.1"));
  EXPECT_TRUE(layout.add_file("lib/x/libfoo.so.1", "ONE", 0644, "/opt/a/libfoo.so.1")) << "the same file twice is fine";
  auto clash = layout.add_file("lib/x/libfoo.so.1", "TWO", 0644, "/opt/b/libfoo.so.1");
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().message,
            "two different files would be lib/x/libfoo.so.1 in the bundle: /opt/a/libfoo.so.1 and /opt/b/libfoo.so.1");
  auto under_file = layout.add_file("lib/x/libfoo.so.1/y", "Y", 0644, "y");
  ASSERT_FALSE(under_file);
  EXPECT_EQ(under_file.error().message,
            "bundle path lib/x/libfoo.so.1/y (for y) clashes with lib/x/libfoo.so.1 (for /opt/a/libfoo.so.1)");
  for (const char* bad : {"/abs", "a/../b", "..", "a//b", "dir/", ""}) {
    auto result = layout.add_file(bad, "Z", 0644, "z");
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error().message, "bundle path \"" + std::string(bad) + "\" (for z) is not a plain relative path");
  }
}

TEST(LayoutTest, RelativeLink) {
  EXPECT_EQ(bundle::relative_link("lib/a/libz.so", "lib/a/libz.so.1"), "libz.so.1");
  EXPECT_EQ(bundle::relative_link("bin/x", "libexec/x"), "../libexec/x");
  EXPECT_EQ(bundle::relative_link("lib/b/c/d", "lib/a"), "../../a");
  EXPECT_EQ(bundle::relative_link("top", "lib/a/b"), "lib/a/b");
  EXPECT_EQ(bundle::relative_link("a/b", "c"), "../c");
}

}  // namespace
}  // namespace elfrun::test
