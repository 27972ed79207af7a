// Tests of src/loader/identity_cache.cc: an entry survives the round trip whatever bytes its strings hold; an entry
// is served only for exactly the file stamp and elfrun binary that wrote it, and anything damaged is ignored; the
// host's loader identified through the cache is what identify_loader says from its bytes, the second time from the
// cache; a file changed within the last two seconds is not cached.
#include "loader/identity_cache.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "elf/byte_source.h"
#include "loader_test_support.h"

namespace elfrun::loader {
namespace {

using test::TempDir;
using test::write_file;

FileStamp sample_stamp() { return FileStamp{65024, 332383, 215000, 1777320873, 5, 1795767003, 592611459}; }
FileStamp tool_stamp() { return FileStamp{65024, 5383591, 66026448, 1795779372, 272852685, 1795779372, 276799010}; }

LoaderFileFacts sample_facts() {
  LoaderFileFacts facts;
  facts.machine = EM_X86_64;
  facts.elf_class = ELFCLASS64;
  facts.data = ELFDATA2LSB;
  facts.flags = 0x80000005;
  facts.self_contained = true;
  facts.libc = "glibc";
  LoaderIdentity id;
  id.flavour = Flavour::glibc;
  id.version = "2.36";
  id.system_dirs = {"/lib/x86_64-linux-gnu", "/opt/with space/lib", "/odd%dir\nnewline", ""};
  id.lib = "lib/x86_64-linux-gnu";
  id.hwcaps_subdirs = {"x86-64-v4", "x86-64-v3", "x86-64-v2"};
  id.has_argv0 = true;
  id.has_library_path = true;
  id.has_inhibit_cache = true;
  id.version_is_lower_bound = true;
  id.musl_path_file = "";
  id.machine = EM_X86_64;
  id.elf_class = ELFCLASS64;
  facts.identity = id;
  return facts;
}

void expect_same(const LoaderFileFacts& a, const LoaderFileFacts& b) {
  EXPECT_EQ(a.machine, b.machine);
  EXPECT_EQ(a.elf_class, b.elf_class);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.self_contained, b.self_contained);
  EXPECT_EQ(a.libc, b.libc);
  ASSERT_EQ(a.identity.has_value(), b.identity.has_value());
  if (!a.identity) return;
  const LoaderIdentity &x = *a.identity, &y = *b.identity;
  EXPECT_EQ(x.flavour, y.flavour);
  EXPECT_EQ(x.version, y.version);
  EXPECT_EQ(x.system_dirs, y.system_dirs);
  EXPECT_EQ(x.lib, y.lib);
  EXPECT_EQ(x.hwcaps_subdirs, y.hwcaps_subdirs);
  EXPECT_EQ(x.has_argv0, y.has_argv0);
  EXPECT_EQ(x.has_library_path, y.has_library_path);
  EXPECT_EQ(x.has_inhibit_cache, y.has_inhibit_cache);
  EXPECT_EQ(x.has_legacy_hwcaps, y.has_legacy_hwcaps);
  EXPECT_EQ(x.from_fallback_table, y.from_fallback_table);
  EXPECT_EQ(x.version_is_lower_bound, y.version_is_lower_bound);
  EXPECT_EQ(x.musl_arch, y.musl_arch);
  EXPECT_EQ(x.musl_path_file, y.musl_path_file);
  EXPECT_EQ(x.machine, y.machine);
  EXPECT_EQ(x.elf_class, y.elf_class);
}

TEST(IdentityCacheFormat, RoundTripsEveryField) {
  std::string text = format_loader_facts(sample_stamp(), tool_stamp(), sample_facts());
  auto parsed = parse_loader_facts(text, sample_stamp(), tool_stamp());
  ASSERT_TRUE(parsed) << text;
  expect_same(*parsed, sample_facts());
  // A header-only entry (a file with a loader's name that was not identified) too.
  LoaderFileFacts header = sample_facts();
  header.identity.reset();
  header.libc = "";
  auto parsed_header =
      parse_loader_facts(format_loader_facts(sample_stamp(), tool_stamp(), header), sample_stamp(), tool_stamp());
  ASSERT_TRUE(parsed_header);
  expect_same(*parsed_header, header);
}

TEST(IdentityCacheFormat, ServesOnlyTheExactFileAndTool) {
  std::string text = format_loader_facts(sample_stamp(), tool_stamp(), sample_facts());
  FileStamp other = sample_stamp();
  other.ctime_nsec += 1;  // the file was written to since
  EXPECT_FALSE(parse_loader_facts(text, other, tool_stamp()));
  other = sample_stamp();
  other.inode += 1;  // another file
  EXPECT_FALSE(parse_loader_facts(text, other, tool_stamp()));
  other = sample_stamp();
  other.size -= 1;
  EXPECT_FALSE(parse_loader_facts(text, other, tool_stamp()));
  FileStamp rebuilt = tool_stamp();
  rebuilt.mtime_sec += 1;  // another elfrun build
  EXPECT_FALSE(parse_loader_facts(text, sample_stamp(), rebuilt));
}

TEST(IdentityCacheFormat, DamageIsIgnored) {
  std::string text = format_loader_facts(sample_stamp(), tool_stamp(), sample_facts());
  auto parses = [&](const std::string& damaged) {
    return parse_loader_facts(damaged, sample_stamp(), tool_stamp()).has_value();
  };
  ASSERT_TRUE(parses(text));
  EXPECT_FALSE(parses(text.substr(0, text.size() - 1)));      // no final newline
  EXPECT_FALSE(parses(text.substr(0, text.rfind("end\n"))));  // truncated: no end line
  EXPECT_FALSE(parses(text.substr(0, text.size() / 2)));
  EXPECT_FALSE(parses(""));
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string damaged = text;
    size_t at = damaged.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return damaged.replace(at, from.size(), to);
  };
  EXPECT_FALSE(parses(replaced("elfrun-loader-facts 1", "elfrun-loader-facts 2")));  // another format
  EXPECT_FALSE(parses(replaced("identity glibc", "identity uclibc")));
  EXPECT_FALSE(parses(replaced(" 1 1 1 0 0 1\n", " 1 1 1 0 0 2\n")));  // a flag that is not 0 or 1
  EXPECT_FALSE(parses(replaced("header 62", "header 99999999")));      // e_machine out of range
  EXPECT_FALSE(parses(replaced("=2.36", "2.36")));                     // a string without its '='
  EXPECT_FALSE(parses(replaced("%20", "%2")));                         // a cut escape
  EXPECT_FALSE(parses(replaced("%20", "%zz")));
  EXPECT_FALSE(parses(replaced("hwcaps =x86-64-v4\n", "hwcaps =x86-64-v4\nsurprise\n")));  // an unknown line
  EXPECT_FALSE(parses(replaced("header 62 2 1", "header 62  2 1")));                       // a doubled blank
}

// The host's own loader through LoaderFile: the identity identify_loader reads from its bytes, the second time from
// the cache (the loader is older than two seconds), and the entry sits in the cache directory under its device and
// inode.
TEST(IdentityCache, ServesTheHostLoaderAsItsBytesSay) {
  const std::string loader = "/lib64/ld-linux-x86-64.so.2";
  if (::access(loader.c_str(), R_OK) != 0) GTEST_SKIP() << "no " << loader << " on this host";
  auto bytes = elf::ByteSource::open(loader);
  ASSERT_TRUE(bytes);
  auto object = elf::parse_elf(**bytes);
  ASSERT_TRUE(object);
  auto truth = identify_loader(**bytes, *object);
  ASSERT_TRUE(truth);
  LoaderFileFacts expected = header_facts(*object);
  expected.identity = *truth;

  TempDir dir;
  IdentityCache cache(dir / "cache/elfrun/loaders");
  ASSERT_TRUE(cache.enabled());
  {
    auto file = LoaderFile::open(loader, cache);
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->identity());
    EXPECT_FALSE(file->identity_from_cache());
  }
  struct stat st {};
  ASSERT_EQ(::stat(loader.c_str(), &st), 0);
  std::string entry = cache.directory() + "/" + std::to_string(st.st_dev) + "-" + std::to_string(st.st_ino);
  ASSERT_TRUE(std::filesystem::exists(entry)) << entry;
  EXPECT_EQ(std::filesystem::status(cache.directory()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  auto file = LoaderFile::open(loader, cache);
  ASSERT_TRUE(file);
  const LoaderIdentity* cached = file->identity();
  ASSERT_TRUE(cached);
  EXPECT_TRUE(file->identity_from_cache());
  LoaderFileFacts served = *file->facts();
  expect_same(served, expected);
  EXPECT_EQ(identify_loader_file(loader, cache)->version, truth->version);

  // An entry for another state of the file (here: another ctime) is not served: the loader is read again, and the
  // entry rewritten.
  write_file(entry, format_loader_facts(FileStamp{}, FileStamp{}, LoaderFileFacts{}));
  auto again = LoaderFile::open(loader, cache);
  ASSERT_TRUE(again->identity());
  EXPECT_FALSE(again->identity_from_cache());
  EXPECT_EQ(again->identity()->version, truth->version);
  // Garbage in the entry: likewise.
  write_file(entry, "elfrun-loader-facts 1\n\xff\xfe garbage");
  auto garbage = LoaderFile::open(loader, cache);
  ASSERT_TRUE(garbage->identity());
  EXPECT_FALSE(garbage->identity_from_cache());
}

TEST(IdentityCache, AFileJustWrittenIsNotCached) {
  const std::string loader = "/lib64/ld-linux-x86-64.so.2";
  if (::access(loader.c_str(), R_OK) != 0) GTEST_SKIP() << "no " << loader << " on this host";
  TempDir dir;
  std::filesystem::copy_file(loader, dir / "ld-linux-x86-64.so.2");
  IdentityCache cache(dir / "cache");
  {
    auto file = LoaderFile::open(dir / "ld-linux-x86-64.so.2", cache);
    ASSERT_TRUE(file && file->identity());
    EXPECT_EQ(file->identity()->flavour, Flavour::glibc);
  }
  // Its timestamps are this second's: another write within the file system's timestamp tick would not change them.
  EXPECT_FALSE(std::filesystem::exists(dir / "cache"));
}

TEST(IdentityCache, NotAFileOrNotElf) {
  TempDir dir;
  IdentityCache cache(dir / "cache");
  EXPECT_FALSE(LoaderFile::open(dir.path(), cache));  // a directory
  EXPECT_FALSE(LoaderFile::open(dir / "missing", cache));
  write_file(dir / "ld-linux.so.2", "not an ELF file\n");
  auto file = LoaderFile::open(dir / "ld-linux.so.2", cache);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->facts(), nullptr);
  EXPECT_EQ(file->identity(), nullptr);
  EXPECT_FALSE(identify_loader_file(dir / "ld-linux.so.2", cache));
}

TEST(IdentityCache, DisabledWithoutADirectory) {
  IdentityCache cache("");
  EXPECT_FALSE(cache.enabled());
  EXPECT_FALSE(cache.load(sample_stamp()));
  cache.store(sample_stamp(), sample_facts());  // nothing happens, nothing breaks
}

}  // namespace
}  // namespace elfrun::loader
