// fetch/policy.h: package naming (Debian Policy 8.1 and the multilib packages), suites, apt sources, store names.
#include <gtest/gtest.h>

#include "fetch/policy.h"

namespace elfrun::fetch {
namespace {

using Names = std::vector<std::string>;

TEST(FetchPolicy, GlibcLibrariesComeFromLibc6) {
  EXPECT_EQ(packages_for_soname("libc.so.6", "amd64", "amd64"), Names{"libc6"});
  EXPECT_EQ(packages_for_soname("libm.so.6", "arm64", "arm64"), Names{"libc6"});
  EXPECT_EQ(packages_for_soname("ld-linux-x86-64.so.2", "amd64", "amd64"), Names{"libc6"});
  EXPECT_TRUE(is_glibc_soname("ld-linux-aarch64.so.1"));
  EXPECT_TRUE(is_glibc_soname("libpthread.so.0"));
  EXPECT_FALSE(is_glibc_soname("libcurl.so.4"));
}

TEST(FetchPolicy, BiarchUsesTheMultilibPackages) {
  // The seed's case: a 64-bit program on an i386 system.
  EXPECT_EQ(archive_architecture("amd64", "i386"), "i386");
  EXPECT_EQ(packages_for_soname("libc.so.6", "amd64", "i386"), Names{"libc6-amd64"});
  EXPECT_EQ(packages_for_soname("libstdc++.so.6", "amd64", "i386"), Names{"lib64stdc++6"});
  // And the other way round.
  EXPECT_EQ(archive_architecture("i386", "amd64"), "amd64");
  EXPECT_EQ(packages_for_soname("libc.so.6", "i386", "amd64"), Names{"libc6-i386"});
  EXPECT_EQ(packages_for_soname("libgcc_s.so.1", "i386", "amd64"), Names{"lib32gcc-s1"});
  // Nothing else of the other class is named by rule.
  EXPECT_EQ(packages_for_soname("libcurl.so.4", "i386", "amd64"), Names{});
  // A foreign machine is fetched in its own architecture.
  EXPECT_EQ(archive_architecture("arm64", "amd64"), "arm64");
}

TEST(FetchPolicy, GccRuntimeAndTheGeneralRule) {
  EXPECT_EQ(packages_for_soname("libstdc++.so.6", "amd64", "amd64"), Names{"libstdc++6"});
  EXPECT_EQ(packages_for_soname("libgcc_s.so.1", "amd64", "amd64"), Names{"libgcc-s1"});
  EXPECT_EQ(packages_for_soname("libz.so.1", "amd64", "amd64"), Names{"zlib1g"});
  EXPECT_EQ(packages_for_soname("libcurl.so.4", "amd64", "amd64"), (Names{"libcurl4", "libcurl4t64"}));
  // A name ending in a digit takes a hyphen; upper case is lowered; '_' becomes '-'.
  EXPECT_EQ(packages_for_soname("libnghttp2.so.14", "amd64", "amd64"), (Names{"libnghttp2-14", "libnghttp2-14t64"}));
  EXPECT_EQ(packages_for_soname("libGL.so.1", "amd64", "amd64"), (Names{"libgl1", "libgl1t64"}));
  EXPECT_EQ(packages_for_soname("libapt-pkg.so.7.0", "amd64", "amd64"), (Names{"libapt-pkg7.0", "libapt-pkg7.0t64"}));
  EXPECT_EQ(packages_for_soname("notalib.so.1", "amd64", "amd64"), Names{});
  EXPECT_EQ(packages_for_soname("libfoo.so", "amd64", "amd64"), Names{});
}

TEST(FetchPolicy, SuitesOldestFirstFromTheMachinesOwn) {
  EXPECT_EQ(suites_to_try("bookworm"), (Names{"bookworm", "trixie", "forky", "sid"}));
  EXPECT_EQ(suites_to_try("bullseye").front(), "bullseye");
  EXPECT_EQ(suites_to_try("sid"), Names{"sid"});
  EXPECT_EQ(suites_to_try(""), (Names{"trixie", "forky", "sid"}));
  EXPECT_EQ(suites_to_try("hirsute"), (Names{"trixie", "forky", "sid"}));
}

TEST(FetchPolicy, OsReleaseCodename) {
  EXPECT_EQ(os_release_codename("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n"),
            "bookworm");
  EXPECT_EQ(os_release_codename("VERSION_CODENAME=\"trixie\"\n"), "trixie");
  EXPECT_EQ(os_release_codename("ID=debian\n"), "");
}

TEST(FetchPolicy, Deb822Sources) {
  const char* text =
      "Types: deb\n"
      "# a comment\n"
      "URIs: http://security.example/debian-security\n"
      "Suites: bookworm-security\n"
      "Components: main\n"
      "\n"
      "Types: deb-src deb\n"
      "URIs: http://mirror.example/debian\n"
      "Suites: bookworm bookworm-updates\n"
      "Components: main\n";
  EXPECT_EQ(mirror_of_deb822(text), "http://mirror.example/debian");
  EXPECT_EQ(mirror_of_deb822("Types: deb\nURIs: http://a.example/debian\nSuites: bookworm\nEnabled: no\n"),
            std::nullopt);
  EXPECT_EQ(mirror_of_deb822("Types: deb-src\nURIs: http://a.example/debian\nSuites: bookworm\n"), std::nullopt);
  EXPECT_EQ(mirror_of_deb822("Types: deb\nURIs: https://b.example/debian\nSuites: trixie\n"),
            "https://b.example/debian");
}

TEST(FetchPolicy, OneLineSources) {
  EXPECT_EQ(mirror_of_one_line("# deb http://old.example/debian bookworm main\n"
                               "deb http://security.example/debian-security bookworm-security main\n"
                               "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n"),
            "http://mirror.example/debian");
  EXPECT_EQ(mirror_of_one_line("deb [ trusted=yes ] http://m.example/debian sid main\n"), "http://m.example/debian");
  EXPECT_EQ(mirror_of_one_line("deb-src http://m.example/debian bookworm main\n"), std::nullopt);
}

TEST(FetchPolicy, StoreNames) {
  EXPECT_EQ(store_entry_name("libc6-amd64", "2.36-9+deb12u13", "i386"), "libc6-amd64_2.36-9+deb12u13_i386");
  EXPECT_EQ(store_entry_name("libfoo1", "1:2.0-1", "amd64"), "libfoo1_1%3a2.0-1_amd64");
  EXPECT_EQ(store_entry_name("../x", "1", "amd64"), std::nullopt);
  EXPECT_EQ(store_entry_name("a", "1/2", "amd64"), std::nullopt);
  EXPECT_EQ(store_entry_name("", "1", "amd64"), std::nullopt);
  EXPECT_EQ(store_entry_name("a", "..", "amd64"), std::nullopt);
  auto parsed = parse_store_entry_name("libfoo1_1%3a2.0-1_amd64");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->package, "libfoo1");
  EXPECT_EQ(parsed->version, "1:2.0-1");
  EXPECT_EQ(parsed->arch, "amd64");
  EXPECT_EQ(parse_store_entry_name("a_b"), std::nullopt);
  EXPECT_EQ(parse_store_entry_name(".tmp-1-a_1_amd64"), std::nullopt);
  auto deb = parse_deb_file_name("libc6_2.41-12+deb13u5_amd64.deb");
  ASSERT_TRUE(deb);
  EXPECT_EQ(deb->version, "2.41-12+deb13u5");
  EXPECT_EQ(parse_deb_file_name("libc6_2.41_amd64.tar"), std::nullopt);
}

}  // namespace
}  // namespace elfrun::fetch

namespace elfrun::fetch {
namespace {

TEST(FetchPolicy, GlibcPackageCoversVersionNodes) {
  EXPECT_FALSE(glibc_package_covers("2.36-9+deb12u14", "GLIBC_2.38"));
  EXPECT_TRUE(glibc_package_covers("2.41-12+deb13u5", "GLIBC_2.38"));
  EXPECT_TRUE(glibc_package_covers("2.41-12", "GLIBC_2.41"));
  EXPECT_TRUE(glibc_package_covers("2.36-9", "GLIBC_2.2.5"));
  EXPECT_FALSE(glibc_package_covers("1:2.36-9", "GLIBC_2.39"));
  EXPECT_TRUE(glibc_package_covers("2.36-9", "GLIBC_PRIVATE"));  // nothing known against it
  EXPECT_TRUE(glibc_package_covers("2.36-9", "GLIBCXX_3.4.32"));
}

}  // namespace
}  // namespace elfrun::fetch

namespace elfrun::fetch {
namespace {

TEST(FetchPolicy, RuntimeAndSystemDirectories) {
  EXPECT_TRUE(is_runtime_soname("libc.so.6"));
  EXPECT_TRUE(is_runtime_soname("libstdc++.so.6"));
  EXPECT_FALSE(is_runtime_soname("libcurl.so.4"));
  EXPECT_TRUE(in_system_library_directory("/lib/x86_64-linux-gnu/libcurl.so.4"));
  EXPECT_TRUE(in_system_library_directory("/usr/lib64/libfoo.so.1"));
  EXPECT_FALSE(in_system_library_directory("/opt/foo/lib/libfoo.so.1"));
  EXPECT_FALSE(in_system_library_directory("/usr/lib/../../tmp/libfoo.so.1"));
  EXPECT_FALSE(in_system_library_directory(""));
}

}  // namespace
}  // namespace elfrun::fetch
