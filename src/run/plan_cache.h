// run's plan cache: what `elfrun run` decided for a program, kept with everything the decision was made of, so that
// the next run of the same command execs at once instead of deciding again (issue 4: run's start-up must cost next to
// nothing, and a cache must never serve a stale answer).
//
// An entry is found by its key — the facts a stat cannot check: the elfrun binary, the kernel (uname, whose machine
// setarch changes too) and the CPU (glibc-hwcaps levels), the user and groups (execute permission), the working
// directory and the words of the command up to PROGRAM — and holds the plan (the file to exec and its argv without
// the program's arguments) and the observations it was made of (util/access_log.h): every file read and every path
// looked for along the way, each with its stamp or errno, the paths resolved and the environment variables read. It is
// served only when every observation still holds, which is what `run` would find if it decided again: the same
// bytes in every file it would read, the same answers for every path it would try. Files changed in the last two
// seconds are not trusted to that yet (util::settled), so a plan made of them is not stored.
//
// Entries live in ${XDG_CACHE_HOME:-$HOME/.cache}/elfrun/plans/, one per key, written atomically; one that cannot be
// read, is not ours or does not parse is ignored, never trusted. ELFRUN_NO_CACHE=1 turns the cache off.
//
// Nothing here needs a static constructor: the cache is read before main() (cli/run_fast.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/access_log.h"

namespace elfrun::run {

struct CachedPlan {
  std::string exec_path;
  std::vector<std::string> argv;  // argv[0] first, without the program's own arguments (they are appended)
  std::vector<util::Observation> observations;
};

// The key of `elfrun run WORDS... [ARGS...]` in this process (WORDS: the options and PROGRAM); nullopt when a fact
// of it cannot be read (no /proc).
std::optional<std::string> plan_cache_key(const std::vector<std::string_view>& words);

// An entry's text, and back: nullopt unless `text` is a complete entry for exactly `key`.
std::string format_plan_entry(std::string_view key, const CachedPlan& plan);
std::optional<CachedPlan> parse_plan_entry(std::string_view text, std::string_view key);

class PlanCache {
 public:
  // The user's cache; disabled as util::user_cache_directory says.
  static PlanCache for_user();
  // A cache in `directory` (created on the first store); "" disables it.
  explicit PlanCache(std::string directory) : directory_(std::move(directory)) {}

  bool enabled() const { return !directory_.empty(); }
  const std::string& directory() const { return directory_; }

  // The plan stored under `key`, when there is one and every observation in it still holds.
  std::optional<CachedPlan> load(std::string_view key) const;
  // Stores the plan; false (and nothing written) when a file it observed has not settled or the entry cannot be
  // written.
  bool store(std::string_view key, const CachedPlan& plan) const;
  // Every stored plan's exec path and argv (observations not read, nothing checked): what `elfrun store --gc` keeps.
  std::vector<CachedPlan> all_plans() const;

 private:
  std::string directory_;
};

}  // namespace elfrun::run
