// Tests of src/run/plan_cache.cc: an entry survives the round trip whatever bytes its paths and arguments hold; it is
// served only for exactly its key (another working directory, word, binary, kernel or CPU is a miss) and only while
// every observation in it holds; anything damaged or truncated is ignored; a plan made of files changed in the last two
// seconds is not stored; the cache stays bounded.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "loader_test_support.h"
#include "run/plan_cache.h"

namespace elfrun::run {
namespace {

using test::TempDir;
using test::write_file;
using util::Observation;

CachedPlan sample_plan(const std::string& dir) {
  CachedPlan plan;
  plan.exec_path = "/usr/x86_64-pc-linux-gnu/lib/ld-linux-x86-64.so.2";
  plan.argv = {plan.exec_path, "--argv0", "./m 64\n%", "--library-path", "/opt/with space/lib:/lib", "/tmp/m64"};
  plan.observations.push_back(util::observe_stat(dir));
  plan.observations.push_back(util::observe_stat(dir + "/missing file"));
  plan.observations.push_back(util::observe_access(dir));
  Observation real;
  real.kind = Observation::Kind::real_path;
  real.name = "./m64";
  real.value = "/tmp/\xff\x01";
  plan.observations.push_back(real);
  Observation unset;
  unset.kind = Observation::Kind::environment;
  unset.name = "XDG_CONFIG_HOME";
  plan.observations.push_back(unset);
  Observation set = unset;
  set.name = "PATH";
  set.value = "";
  plan.observations.push_back(set);
  return plan;
}

std::string sample_key() {
  auto key = plan_cache_key({"--library-path", "/opt/lib", "./m64"});
  EXPECT_TRUE(key.has_value());
  return key.value_or("");
}

TEST(PlanCache, RoundTrip) {
  TempDir dir;
  CachedPlan plan = sample_plan(dir.path());
  std::string key = sample_key();
  auto back = parse_plan_entry(format_plan_entry(key, plan), key);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->exec_path, plan.exec_path);
  EXPECT_EQ(back->argv, plan.argv);
  EXPECT_EQ(back->observations, plan.observations);
}

TEST(PlanCache, KeySaysWhoAskedWhatWhere) {
  std::string key = sample_key();
  EXPECT_NE(key.find("\ncwd =" + std::filesystem::current_path().string() + "\n"), std::string::npos);
  EXPECT_NE(key.find("\nword =--library-path\nword =/opt/lib\nword =./m64\n"), std::string::npos);
  EXPECT_NE(key.find("\ntool "), std::string::npos);
  struct utsname names {};
  ASSERT_EQ(::uname(&names), 0);
  EXPECT_NE(key.find(std::string("\nmachine =Linux =") + names.nodename + " ="), std::string::npos);
  EXPECT_NE(key.find(std::string(" =") + names.machine + " "), std::string::npos);
  EXPECT_EQ(plan_cache_key({"--library-path", "/opt/lib", "./m64"}), key);
  EXPECT_NE(plan_cache_key({"--library-path", "/opt/lib", "./m6"}), key);
  EXPECT_NE(plan_cache_key({"./m64"}), key);
}

TEST(PlanCache, OnlyForItsKey) {
  TempDir dir;
  std::string key = sample_key();
  std::string text = format_plan_entry(key, sample_plan(dir.path()));
  auto other = plan_cache_key({"--library-path", "/opt/lib", "./other"});
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(parse_plan_entry(text, *other).has_value());
  std::string moved_key = key;
  moved_key.replace(moved_key.find("\ncwd =") + 6, 1, "/elsewhere/");
  EXPECT_FALSE(parse_plan_entry(text, moved_key).has_value());
  EXPECT_FALSE(parse_plan_entry(text, "").has_value());
}

TEST(PlanCache, DamagedEntriesAreIgnored) {
  TempDir dir;
  std::string key = sample_key();
  std::string text = format_plan_entry(key, sample_plan(dir.path()));
  // Every truncation: none parses (the last line must be "end").
  for (size_t cut = 0; cut < text.size(); ++cut) {
    EXPECT_FALSE(parse_plan_entry(text.substr(0, cut), key).has_value()) << "cut at " << cut;
  }
  // One line of the body replaced by garbage, each in turn.
  size_t body = key.size();
  for (size_t start = body; start < text.size();) {
    size_t end = text.find('\n', start);
    std::string damaged = text.substr(0, start) + "stat =/x 12" + text.substr(end);
    if (text.compare(start, end - start, "end") != 0) {
      EXPECT_FALSE(parse_plan_entry(damaged, key).has_value()) << text.substr(start, end - start);
    }
    start = end + 1;
  }
  for (std::string bad : {"exec\n", "exec =\n", "exec =/x\nend\n", "exec =/x\narg %zz\nend\n",
                          "exec =/x\narg =a\nstat =/x error 0\nend\n", "exec =/x\narg =a\naccess =/x -1\nend\n",
                          "exec =/x\narg =a\nstat =/x 1 2 3\nend\n", "exec =/x\narg =a\nenv =X\nend\n",
                          "exec =/x\narg =a\nstat =/y error 2\narg =b\nend\n", "exec =/x\narg =a\nwhat =/x 1\nend\n",
                          "exec =/x\narg =a\nend\nend\n"}) {
    EXPECT_FALSE(parse_plan_entry(key + bad, key).has_value()) << bad;
  }
  EXPECT_TRUE(parse_plan_entry(key + "exec =/x\narg =a\nstat =/y error 2\nend\n", key).has_value());
}

TEST(PlanCache, ServedWhileEveryObservationHolds) {
  TempDir home;
  std::string lib = home / "lib/libgreet.so.1";
  write_file(lib, "one");
  CachedPlan plan;
  plan.exec_path = "/lib64/ld-linux-x86-64.so.2";
  plan.argv = {plan.exec_path, "./m64"};
  plan.observations = {util::observe_stat(lib), util::observe_stat(home / "first/libgreet.so.1")};
  PlanCache cache(home / "cache/plans");
  std::string key = sample_key();
  // Just written: not settled, not stored.
  EXPECT_FALSE(cache.store(key, plan));
  EXPECT_FALSE(std::filesystem::exists(home / "cache/plans"));
  ::sleep(2);
  plan.observations[0] = util::observe_stat(lib);
  ASSERT_TRUE(cache.store(key, plan));
  auto served = cache.load(key);
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->argv, plan.argv);
  // A library appears in a directory searched first: the plan is no longer what run would decide.
  write_file(home / "first/libgreet.so.1", "");
  EXPECT_FALSE(cache.load(key).has_value());
  std::filesystem::remove_all(home / "first");
  EXPECT_TRUE(cache.load(key).has_value());
  // The library changes.
  write_file(lib, "two");
  EXPECT_FALSE(cache.load(key).has_value());
  // A disabled cache stores and serves nothing.
  PlanCache off("");
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.store(key, plan));
  EXPECT_FALSE(off.load(key).has_value());
}

TEST(PlanCache, EntryNotOursIsIgnored) {
  TempDir home;
  PlanCache cache(home / "plans");
  std::string key = sample_key();
  CachedPlan plan;
  plan.exec_path = "/bin/true";
  plan.argv = {"true"};
  ASSERT_TRUE(cache.store(key, plan));
  ASSERT_TRUE(cache.load(key).has_value());
  // Replaced by a symlink to an entry elsewhere: not followed.
  for (const auto& entry : std::filesystem::directory_iterator(home / "plans")) {
    std::string path = entry.path().string();
    std::filesystem::rename(path, home / "elsewhere");
    ASSERT_EQ(::symlink((home / "elsewhere").c_str(), path.c_str()), 0);
  }
  EXPECT_FALSE(cache.load(key).has_value());
}

TEST(PlanCache, StaysBounded) {
  TempDir home;
  PlanCache cache(home / "plans");
  CachedPlan plan;
  plan.exec_path = "/bin/true";
  plan.argv = {"true"};
  for (int i = 0; i < 600; ++i) {
    auto key = plan_cache_key({"./program" + std::to_string(i)});
    ASSERT_TRUE(key && cache.store(*key, plan));
  }
  size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(home / "plans")) entries += entry.is_regular_file();
  EXPECT_LE(entries, 512u);
  EXPECT_GE(entries, 300u);
  auto last = plan_cache_key({"./program599"});
  EXPECT_TRUE(cache.load(*last).has_value());
}

}  // namespace
}  // namespace elfrun::run
