// Tests of src/util/access_log.cc: each kind of observation holds while nothing changes and fails once what it
// observed changes (a file rewritten, replaced, made executable or not, created where it was missing; a symlink
// retargeted; a variable set); a path missing because a directory on it is missing is recorded as that directory,
// which still catches the file appearing, through a dangling symlink too; the hooks record only while a log is
// active, and the first answer to a question is kept.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "loader_test_support.h"
#include "util/access_log.h"

namespace elfrun::util {
namespace {

using test::TempDir;
using test::write_file;

TEST(AccessLog, StatHoldsUntilTheFileChanges) {
  TempDir dir;
  std::string file = dir / "lib.so";
  write_file(file, "one");
  Observation seen = observe_stat(file);
  EXPECT_EQ(seen.error, 0);
  EXPECT_TRUE(S_ISREG(seen.mode));
  EXPECT_TRUE(still_holds(seen));
  write_file(file, "two!");  // another size, another mtime
  EXPECT_FALSE(still_holds(seen));
  seen = observe_stat(file);
  std::string replacement = dir / "new.so";
  write_file(replacement, "two!");
  ASSERT_EQ(::rename(replacement.c_str(), file.c_str()), 0);  // replaced: another inode
  EXPECT_FALSE(still_holds(seen));
}

TEST(AccessLog, MissingHoldsUntilTheFileAppears) {
  TempDir dir;
  Observation missing = observe_stat(dir / "libfoo.so.1");
  EXPECT_EQ(missing.error, ENOENT);
  EXPECT_TRUE(still_holds(missing));
  write_file(dir / "libfoo.so.1", "");
  EXPECT_FALSE(still_holds(missing));
}

TEST(AccessLog, AccessFollowsTheMode) {
  TempDir dir;
  std::string file = dir / "prog";
  write_file(file, "#!/bin/sh\n");
  ASSERT_EQ(::chmod(file.c_str(), 0755), 0);
  Observation executable = observe_access(file);
  EXPECT_EQ(executable.error, 0);
  EXPECT_TRUE(still_holds(executable));
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);  // no x bit left: not executable even for root
  EXPECT_FALSE(still_holds(executable));
  Observation not_executable = observe_access(file);
  EXPECT_NE(not_executable.error, 0);
  ASSERT_EQ(::chmod(file.c_str(), 0700), 0);
  EXPECT_FALSE(still_holds(not_executable));
}

TEST(AccessLog, RealPathFollowsSymlinks) {
  TempDir dir;
  write_file(dir / "a/prog", "");
  write_file(dir / "b/prog", "");
  ASSERT_EQ(::symlink((dir / "a").c_str(), (dir / "current").c_str()), 0);
  Observation seen = observe_real_path(dir / "current/prog");
  EXPECT_EQ(seen.value, std::filesystem::canonical(dir / "a/prog").string());
  EXPECT_TRUE(still_holds(seen));
  ASSERT_EQ(::unlink((dir / "current").c_str()), 0);
  ASSERT_EQ(::symlink((dir / "b").c_str(), (dir / "current").c_str()), 0);
  EXPECT_FALSE(still_holds(seen));
}

TEST(AccessLog, EnvironmentSetOrUnset) {
  ::unsetenv("ELFRUN_ACCESS_LOG_TEST");
  Observation unset = observe_environment("ELFRUN_ACCESS_LOG_TEST");
  EXPECT_FALSE(unset.value.has_value());
  EXPECT_TRUE(still_holds(unset));
  ::setenv("ELFRUN_ACCESS_LOG_TEST", "", 1);  // set but empty is not unset
  EXPECT_FALSE(still_holds(unset));
  Observation empty = observe_environment("ELFRUN_ACCESS_LOG_TEST");
  ::setenv("ELFRUN_ACCESS_LOG_TEST", "x", 1);
  EXPECT_FALSE(still_holds(empty));
  ::unsetenv("ELFRUN_ACCESS_LOG_TEST");
}

TEST(AccessLog, HooksRecordOnlyWhileALogIsActive) {
  TempDir dir;
  write_file(dir / "f", "");
  watch_path(dir / "f");
  EXPECT_EQ(watched_getenv("PATH"), std::getenv("PATH"));
  AccessLog log;
  {
    AccessLogScope scope(log);
    EXPECT_EQ(active_access_log(), &log);
    watch_path(dir / "f");
    watch_access(dir / "f");
    watched_getenv("PATH");
    watch_real_path("x", "/y");
  }
  EXPECT_EQ(active_access_log(), nullptr);
  watch_path(dir / "g");
  ASSERT_EQ(log.observations().size(), 4u);
  EXPECT_EQ(log.observations()[0].kind, Observation::Kind::stat);
  EXPECT_EQ(log.observations()[1].kind, Observation::Kind::access);
  EXPECT_EQ(log.observations()[2].kind, Observation::Kind::environment);
  EXPECT_EQ(log.observations()[3].value, "/y");
  EXPECT_TRUE(log.watchable());
  {
    AccessLogScope scope(log);
    watch_unwatchable("binfmt_misc");
    watch_unwatchable("later reason");
  }
  EXPECT_FALSE(log.watchable());
  EXPECT_EQ(log.why_unwatchable(), "binfmt_misc");
}

TEST(AccessLog, FirstAnswerIsKept) {
  TempDir dir;
  write_file(dir / "f", "one");
  AccessLog log;
  AccessLogScope scope(log);
  watch_path(dir / "f");
  Observation first = log.observations()[0];
  write_file(dir / "f", "longer");
  watch_path(dir / "f");
  ASSERT_EQ(log.observations().size(), 1u);
  EXPECT_EQ(log.observations()[0], first);
  EXPECT_FALSE(still_holds(log.observations()[0]));
}

TEST(AccessLog, MissingDirectoryStandsForEverythingUnderIt) {
  TempDir dir;
  AccessLog log;
  AccessLogScope scope(log);
  // The loader's probes of hwcaps subdirectories that do not exist: one observation.
  watch_path(dir / "glibc-hwcaps/x86-64-v4/libc.so.6");
  watch_path(dir / "glibc-hwcaps/x86-64-v3/libc.so.6");
  watch_path(dir / "libc.so.6");
  ASSERT_EQ(log.observations().size(), 2u);
  EXPECT_EQ(log.observations()[0].name, dir / "glibc-hwcaps");
  EXPECT_EQ(log.observations()[0].error, ENOENT);
  EXPECT_EQ(log.observations()[1].name, dir / "libc.so.6");
  EXPECT_TRUE(still_holds(log.observations()[0]));
  // The library appearing under the missing directory makes the directory exist.
  write_file(dir / "glibc-hwcaps/x86-64-v3/libc.so.6", "");
  EXPECT_FALSE(still_holds(log.observations()[0]));
}

TEST(AccessLog, DanglingSymlinkOnTheWayIsCaught) {
  TempDir dir;
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "link").c_str()), 0);
  AccessLog log;
  AccessLogScope scope(log);
  watch_path(dir / "link/lib/libfoo.so");
  ASSERT_EQ(log.observations().size(), 1u);
  const Observation& missing = log.observations()[0];
  EXPECT_EQ(missing.error, ENOENT);
  EXPECT_TRUE(still_holds(missing));
  // The symlink's target appears: the directory itself did not change, yet the file may now be there.
  write_file(dir / "target/lib/libfoo.so", "");
  EXPECT_FALSE(still_holds(missing));
}

}  // namespace
}  // namespace elfrun::util

namespace elfrun::util {
namespace {

int64_t now_seconds() { return static_cast<int64_t>(std::time(nullptr)); }

TEST(AccessLog, MissingNamesFoldIntoTheirSettledDirectory) {
  TempDir dir;
  write_file(dir / "lib/libc.so.6", "");
  std::string lib = dir / "lib";
  AccessLog log;
  {
    AccessLogScope scope(log);
    watch_path(lib + "/glibc-hwcaps/x86-64-v3/libc.so.6");
    watch_path(lib + "/tls/libc.so.6");
    watch_path(dir / "elsewhere.conf");  // alone in its directory: stays as it is
    watch_path(lib + "/libc.so.6");
  }
  ASSERT_EQ(log.observations().size(), 4u);
  // The directory changed a moment ago: nothing can be said from its stamp yet.
  log.fold_missing_into_directories(now_seconds());
  ASSERT_EQ(log.observations().size(), 4u);
  // Had it been unchanged for two seconds when the run started, one stat of it says both names are missing.
  log.fold_missing_into_directories(now_seconds() + 10);
  ASSERT_EQ(log.observations().size(), 3u);
  EXPECT_EQ(log.observations()[0].name, lib);
  EXPECT_EQ(log.observations()[0].error, 0);
  EXPECT_EQ(log.observations()[1].name, dir / "elsewhere.conf");
  EXPECT_EQ(log.observations()[2].name, lib + "/libc.so.6");
  for (const Observation& observation : log.observations()) EXPECT_TRUE(still_holds(observation));
  // A name appearing in the directory changes its stamp.
  write_file(lib + "/tls", "");
  EXPECT_FALSE(still_holds(log.observations()[0]));
}

TEST(AccessLog, AnObservedDirectoryTakesInItsMissingNames) {
  TempDir dir;
  std::string lib = dir / "lib";
  std::filesystem::create_directories(lib);
  AccessLog log;
  {
    AccessLogScope scope(log);
    watch_path(lib);  // listed, as discovery lists a directory
    watch_path(lib + "/ld-linux-x86-64.so.2");
  }
  ASSERT_EQ(log.observations().size(), 2u);
  log.fold_missing_into_directories(now_seconds() + 10);
  ASSERT_EQ(log.observations().size(), 1u);
  EXPECT_EQ(log.observations()[0].name, lib);
}

}  // namespace
}  // namespace elfrun::util
