// fetch/contents.h: Contents index lines (well-formed and hostile), the streaming search, and where the loader would
// look for a library.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "elf_builder.h"
#include "fetch/apt.h"
#include "fetch/contents.h"
#include "fetch/contents_index.h"

namespace elfrun::fetch {
namespace {

using Names = std::vector<std::string>;

Names packages_of(std::string_view line) {
  auto parsed = parse_contents_line(line);
  if (!parsed) return {"(malformed)"};
  Names out;
  for (std::string_view p : parsed->packages) out.emplace_back(p);
  return out;
}

TEST(FetchContents, WellFormedLines) {
  auto parsed = parse_contents_line("usr/lib/x86_64-linux-gnu/libapt-private.so.0.0          admin/apt");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->path, "usr/lib/x86_64-linux-gnu/libapt-private.so.0.0");
  EXPECT_EQ(packages_of("usr/lib/x86_64-linux-gnu/libapt-private.so.0.0\tadmin/apt"), Names{"apt"});
  // Several packages, an area before the section, a tab, a carriage return, trailing blanks.
  EXPECT_EQ(packages_of("boot/System.map  kernel/linux-image-6.1.0-1-amd64,kernel/linux-image-6.1.0-1-amd64-unsigned"),
            (Names{"linux-image-6.1.0-1-amd64", "linux-image-6.1.0-1-amd64-unsigned"}));
  EXPECT_EQ(packages_of("usr/lib/foo.so.1 non-free/libs/libfoo1\r"), Names{"libfoo1"});
  EXPECT_EQ(packages_of("usr/lib/foo.so.1 \t libs/libfoo1+x.y  "), Names{"libfoo1+x.y"});
  // A path with blanks in it: the locations are the last word.
  parsed = parse_contents_line("usr/share/doc/a b c/README      doc/some-package");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->path, "usr/share/doc/a b c/README");
  // Bytes outside ASCII in a path are kept as they are.
  parsed = parse_contents_line("usr/share/caf\xc3\xa9/x  misc/pkg");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->path, "usr/share/caf\xc3\xa9/x");
}

TEST(FetchContents, MalformedLinesAreRejected) {
  for (std::string_view line : {
           "",                                                   // empty
           "   ",                                                // blanks only
           "usr/lib/libfoo.so.1",                                // no location
           "   libs/libfoo1",                                    // no path
           "usr/lib/libfoo.so.1 libfoo1",                        // a location without a section
           "usr/lib/libfoo.so.1 /libfoo1",                       // an empty section
           "usr/lib/libfoo.so.1 libs/",                          // an empty package
           "usr/lib/libfoo.so.1 a/b/c/libfoo1",                  // too many parts
           "usr/lib/libfoo.so.1 libs/LibFoo1",                   // not a package name (upper case)
           "usr/lib/libfoo.so.1 libs/x",                         // a one-character name
           "usr/lib/libfoo.so.1 libs/-foo",                      // starts with '-'
           "usr/lib/libfoo.so.1 libs/foo_bar",                   // '_'
           "usr/lib/libfoo.so.1 libs/libfoo1,",                  // an empty location after a comma
           "usr/lib/libfoo.so.1 libs/libfoo1,,libs/x1",          // an empty location between two
           "/usr/lib/libfoo.so.1 libs/libfoo1",                  // absolute
           "usr/lib/../../etc/passwd libs/libfoo1",              // ".."
           "usr//lib/libfoo.so.1 libs/libfoo1",                  // an empty component
           "usr/lib/\x01x.so libs/libfoo1",                      // a control byte
           "FILE                                     LOCATION",  // the old header
       }) {
    EXPECT_FALSE(parse_contents_line(line)) << "accepted: " << line;
  }
  EXPECT_FALSE(parse_contents_line(std::string_view("usr/lib/a\0b.so libs/libfoo1", 27)));  // a NUL
}

TEST(FetchContents, SearchFindsOnlyThePathsAskedFor) {
  ContentsSearch search({"usr/lib/x86_64-linux-gnu/libapt-private.so.0.0", "lib/x86_64-linux-gnu/libapt-private.so.0.0",
                         "usr/lib/x86_64-linux-gnu/libLLVM-14.so.1"});
  std::string index =
      "bin                                                     admin/base-files\n"
      "usr/lib/llvm-14/lib/libLLVM-14.so.1                     devel/llvm-14-dev\n"
      "usr/lib/x86_64-linux-gnu/libLLVM-14.so.1                libs/libllvm14\n"
      "usr/lib/x86_64-linux-gnu/libapt-private.so.0.0          admin/apt\n"
      "usr/lib/x86_64-linux-gnu/libapt-private.so.0.0.0        admin/apt\n"
      // The same path again (a second component's line): merged, sorted, without duplicates.
      "usr/lib/x86_64-linux-gnu/libLLVM-14.so.1                libs/libllvm14,devel/aaa-fork\n"
      // A hostile line for a path asked for: ignored, counted.
      "usr/lib/x86_64-linux-gnu/libapt-private.so.0.0          admin/EVIL;rm\n";
  // Fed one byte at a time: lines split anywhere are joined.
  for (char c : index) search.feed(std::string_view(&c, 1));
  search.finish();
  const auto& found = search.found();
  EXPECT_EQ(found.at("usr/lib/x86_64-linux-gnu/libapt-private.so.0.0"), Names{"apt"});
  EXPECT_EQ(found.at("lib/x86_64-linux-gnu/libapt-private.so.0.0"), Names{});
  EXPECT_EQ(found.at("usr/lib/x86_64-linux-gnu/libLLVM-14.so.1"), (Names{"aaa-fork", "libllvm14"}));
  EXPECT_EQ(search.lines(), 7u);
  EXPECT_EQ(search.malformed(), 1u);
}

TEST(FetchContents, SearchSkipsOverlongLinesWithoutKeepingThem) {
  ContentsSearch search({"usr/lib/libfoo.so.1"});
  std::string huge(ContentsSearch::kMaxLine * 4, 'a');
  search.feed("usr/lib/libfoo.so.1" + huge + " libs/wrong\n");  // one line, far too long
  search.feed(huge);                                            // another, split across feeds...
  search.feed(huge + " libs/wrong2");
  search.feed("\nusr/lib/libfoo.so.1 libs/libfoo1\n");  // ...then a good line
  search.feed("usr/lib/libfoo.so.1 libs/libfoo-last");  // the last line without a newline
  search.finish();
  EXPECT_EQ(search.found().at("usr/lib/libfoo.so.1"), (Names{"libfoo-last", "libfoo1"}));
  EXPECT_EQ(search.malformed(), 2u);
  // Binary garbage: no crash, nothing found.
  ContentsSearch garbage({"usr/lib/libfoo.so.1"});
  std::string bytes;
  for (int i = 0; i < 100000; ++i) bytes += static_cast<char>((i * 131) & 0xff);
  garbage.feed(bytes);
  garbage.finish();
  EXPECT_EQ(garbage.found().at("usr/lib/libfoo.so.1"), Names{});
}

TEST(FetchContents, PackagesInTheLoadersOrder) {
  Names paths = {"usr/lib/foo/libx.so.1", "lib/x86_64-linux-gnu/libx.so.1", "usr/lib/x86_64-linux-gnu/libx.so.1"};
  std::map<std::string, std::vector<std::string>> found = {
      {"usr/lib/x86_64-linux-gnu/libx.so.1", {"libx1", "libx1-extra"}},
      {"lib/x86_64-linux-gnu/libx.so.1", {"libx1"}},
      {"usr/lib/foo/libx.so.1", {}},
  };
  EXPECT_EQ(packages_in_order(paths, found), (Names{"libx1", "libx1-extra"}));
  EXPECT_EQ(packages_in_order(paths, {}), Names{});
}

TEST(FetchContents, CandidatePathsFollowTheLoader) {
  auto image = test::ElfBuilder<test::Elf64LE>()
                   .machine(EM_X86_64)
                   .interpreter("/lib64/ld-linux-x86-64.so.2")
                   .needed("libapt-private.so.0.0")
                   .runpath("$ORIGIN/../lib:/opt/x//lib/:relative:/usr/lib/x86_64-linux-gnu/apt")
                   .build();
  auto object = image.parse();
  ASSERT_TRUE(object);
  EXPECT_EQ(library_candidate_paths("libapt-private.so.0.0", *object),
            (Names{"opt/x/lib/libapt-private.so.0.0", "usr/lib/x86_64-linux-gnu/apt/libapt-private.so.0.0",
                   "lib/x86_64-linux-gnu/libapt-private.so.0.0", "usr/lib/x86_64-linux-gnu/libapt-private.so.0.0",
                   "lib/libapt-private.so.0.0", "usr/lib/libapt-private.so.0.0"}));
  // A name with a slash is that path; one that climbs out is none.
  EXPECT_EQ(library_candidate_paths("/usr/lib/libz.so.1", *object), Names{"usr/lib/libz.so.1"});
  EXPECT_EQ(library_candidate_paths("../libz.so.1", *object), Names{});
  EXPECT_EQ(library_candidate_paths("", *object), Names{});
  auto arm = test::ElfBuilder<test::Elf64LE>().machine(EM_AARCH64).needed("libfoo.so.1").build().parse();
  ASSERT_TRUE(arm);
  EXPECT_EQ(library_candidate_paths("libfoo.so.1", *arm),
            (Names{"lib/aarch64-linux-gnu/libfoo.so.1", "usr/lib/aarch64-linux-gnu/libfoo.so.1", "lib/libfoo.so.1",
                   "usr/lib/libfoo.so.1"}));
}

// What run --fetch remembered of a Contents index (STATE/contents/answers), as why reads it: only paths it answered
// all of, and never a malformed line.
TEST(FetchContents, RememberedAnswers) {
  char base[] = "/tmp/elfrun-contents-test.XXXXXX";
  ASSERT_NE(::mkdtemp(base), nullptr);
  ::chmod(base, 0700);
  const char* old_cache = std::getenv("XDG_CACHE_HOME");
  std::string saved = old_cache ? old_cache : "";
  ::setenv("XDG_CACHE_HOME", base, 1);
  ::unsetenv("ELFRUN_NO_CACHE");
  auto state = AptState::open(Archive{"http://mirror.invalid/debian", "bookworm", "amd64"});
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_FALSE(remembered_contents(*state, {"usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1"}));  // nothing read yet
  ::mkdir((state->directory() + "/contents").c_str(), 0700);
  {
    std::ofstream answers(state->directory() + "/contents/answers");
    answers << "usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1 libruby3.1\n"
               "lib/x86_64-linux-gnu/libruby-3.1.so.3.1 -\n"
               "usr/lib/x86_64-linux-gnu/libx.so.1 libx1,libx1-extra\n"
               "three words here\n"
               "usr/lib/bad\x01path libbad1\n"
               "\n"
               "lonely\n";
  }
  auto found = remembered_contents(
      *state, {"usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1", "lib/x86_64-linux-gnu/libruby-3.1.so.3.1"});
  ASSERT_TRUE(found);
  EXPECT_EQ(found->at("usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1"), Names{"libruby3.1"});
  EXPECT_EQ(found->at("lib/x86_64-linux-gnu/libruby-3.1.so.3.1"), Names{});
  EXPECT_EQ(
      remembered_contents(*state, {"usr/lib/x86_64-linux-gnu/libx.so.1"})->at("usr/lib/x86_64-linux-gnu/libx.so.1"),
      (Names{"libx1", "libx1-extra"}));
  // One path it never answered: nothing (why then says no package is known to ship the library).
  EXPECT_FALSE(remembered_contents(*state, {"usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1", "usr/lib/libruby.so"}));
  EXPECT_FALSE(remembered_contents(*state, {"usr/lib/bad\x01path"}));
  EXPECT_FALSE(remembered_contents(*state, {"three"}));
  std::error_code ignored;
  std::filesystem::remove_all(base, ignored);
  if (old_cache) {
    ::setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("XDG_CACHE_HOME");
  }
}

}  // namespace
}  // namespace elfrun::fetch
