// fix/journal.cc and the undo checks of fix/apply.cc: the journal's JSON round trip, what parse_journal refuses, the
// journal directory's ownership and mode rules, the dpkg list lookup, and changed_entries on a small root of our own.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fix/fix.h"
#include "util/sha256.h"

namespace {

using elfrun::fix::Change;
using elfrun::fix::Journal;
using elfrun::fix::JournalEntry;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "elfrun-fix-test.XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

Journal sample() {
  Journal journal;
  journal.id = "20261204T120000Z-1";
  journal.created = "2026-12-04T12:00:00Z";
  journal.programs = {"./m64"};
  journal.entries.push_back({Change::Kind::directory, "/lib64", "", ""});
  journal.entries.push_back({Change::Kind::symlink, "/lib64/ld-linux-x86-64.so.2", "/opt/ld.so", ""});
  journal.entries.push_back({Change::Kind::file, "/etc/ld.so.conf.d/elfrun-x.conf", "", elfrun::sha256_hex("/opt\n")});
  journal.ldconfig = true;
  journal.cache_sha256 = "aa";
  return journal;
}

TEST(FixJournal, JsonRoundTrip) {
  Journal journal = sample();
  auto parsed = elfrun::fix::parse_journal(elfrun::fix::journal_json(journal), "j.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->id, journal.id);
  EXPECT_EQ(parsed->programs, journal.programs);
  ASSERT_EQ(parsed->entries.size(), 3u);
  EXPECT_EQ(parsed->entries[1].kind, Change::Kind::symlink);
  EXPECT_EQ(parsed->entries[1].target, "/opt/ld.so");
  EXPECT_EQ(parsed->entries[2].sha256, journal.entries[2].sha256);
  EXPECT_TRUE(parsed->ldconfig);
  EXPECT_EQ(parsed->cache_sha256, "aa");
}

// A binfmt_misc entry (fix on a kernel without IA32 emulation): its host path and the interpreter --undo checks.
TEST(FixJournal, BinfmtEntryRoundTrip) {
  Journal journal = sample();
  journal.entries.push_back(
      {Change::Kind::binfmt, "/proc/sys/fs/binfmt_misc/qemu-i386", "/usr/bin/qemu-i386-static", ""});
  auto parsed = elfrun::fix::parse_journal(elfrun::fix::journal_json(journal), "j.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->entries.size(), 4u);
  EXPECT_EQ(parsed->entries[3].kind, Change::Kind::binfmt);
  EXPECT_EQ(parsed->entries[3].path, "/proc/sys/fs/binfmt_misc/qemu-i386");
  EXPECT_EQ(parsed->entries[3].target, "/usr/bin/qemu-i386-static");
}

TEST(FixJournal, ParseRefusesWhatIsNotAJournal) {
  for (const char* text : {"", "[]", "{\"entries\": []}", "{\"id\": \"x\"}",
                           "{\"id\": \"x\", \"entries\": [{\"kind\": \"file\", \"path\": \"relative\"}]}",
                           "{\"id\": \"x\", \"entries\": [{\"kind\": \"fifo\", \"path\": \"/a\"}]}",
                           "{\"id\": \"x\", \"entries\": [{\"kind\": \"ldconfig\", \"path\": \"/a\"}]}"}) {
    auto parsed = elfrun::fix::parse_journal(text, "bad.json");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().message.find("bad.json: not an elfrun fix journal"), std::string::npos);
  }
}

TEST(FixJournal, DirectoryMustBeOursAndNotWritableByOthers) {
  TempDir temp;
  std::string base = temp.path() + "/state";
  std::string journal_dir = base + "/fixes";
  ASSERT_TRUE(elfrun::fix::check_journal_directory(journal_dir, base));  // nothing there yet: nothing to refuse
  ASSERT_TRUE(elfrun::fix::prepare_journal_directory(journal_dir, base));
  struct stat st {};
  ASSERT_EQ(::stat(journal_dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ::chmod(journal_dir.c_str(), 0777);
  auto refused = elfrun::fix::check_journal_directory(journal_dir, base);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("writable by others"), std::string::npos);
  ::chmod(journal_dir.c_str(), 0755);
  // A symbolic link in place of the directory.
  std::filesystem::remove(journal_dir);
  std::filesystem::create_directory_symlink(temp.path(), journal_dir);
  refused = elfrun::fix::check_journal_directory(journal_dir, base);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("symbolic link"), std::string::npos);
}

TEST(FixJournal, DebianOwnerReadsTheDpkgLists) {
  TempDir root;
  write(root.path() + "/var/lib/dpkg/info/libc6-amd64.list", "/.\n/lib64\n/lib64/ld-linux-x86-64.so.2\n");
  write(root.path() + "/var/lib/dpkg/info/other.md5sums", "/etc/ld.so.conf.d/elfrun-x.conf\n");
  EXPECT_EQ(elfrun::fix::debian_owner(root.path(), "/lib64/ld-linux-x86-64.so.2"), "libc6-amd64");
  EXPECT_EQ(elfrun::fix::debian_owner(root.path(), "/lib64"), "libc6-amd64");
  EXPECT_FALSE(elfrun::fix::debian_owner(root.path(), "/etc/ld.so.conf.d/elfrun-x.conf"));  // not a .list
  EXPECT_FALSE(elfrun::fix::debian_owner(root.path(), "/lib64/ld"));                        // whole lines only
}

TEST(FixJournal, ChangedEntriesSeesEveryChange) {
  TempDir root;
  Journal journal = sample();
  std::filesystem::create_directories(root.path() + "/lib64");
  std::filesystem::create_symlink("/opt/ld.so", root.path() + "/lib64/ld-linux-x86-64.so.2");
  write(root.path() + "/etc/ld.so.conf.d/elfrun-x.conf", "/opt\n");
  EXPECT_TRUE(elfrun::fix::changed_entries(journal, root.path()).empty());

  write(root.path() + "/etc/ld.so.conf.d/elfrun-x.conf", "/opt\n/usr/local/lib\n");
  auto changed = elfrun::fix::changed_entries(journal, root.path());
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_NE(changed[0].find("SHA-256 differs"), std::string::npos);

  std::filesystem::remove(root.path() + "/lib64/ld-linux-x86-64.so.2");
  std::filesystem::create_symlink("/elsewhere", root.path() + "/lib64/ld-linux-x86-64.so.2");
  changed = elfrun::fix::changed_entries(journal, root.path());
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_NE(changed[0].find("now points to /elsewhere"), std::string::npos);
}

}  // namespace
