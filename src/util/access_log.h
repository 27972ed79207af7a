// What an answer was made of: the files and directories it read or looked for, the paths it resolved and the
// environment variables it read, each with what it gave. `run` records this while it makes its plan
// (run/plan_cache.h), so that the plan can be served again later after a few stat calls instead of being made again,
// and never once any of it has changed.
//
// The code that reads the file system on `run`'s path (loader discovery, the resolver, the configuration, the plan)
// reports each access through the watch_* hooks below; they do nothing unless a log is active. Whatever cannot be
// checked that way (another root's files, binfmt_misc, qemu) marks the log unwatchable, and nothing is cached.
//
// Nothing here needs a static constructor: the plan cache checks observations before main() (cli/run_fast.cc).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/cache_file.h"

namespace elfrun::util {

// One question asked of the system, and its answer.
struct Observation {
  enum class Kind : uint8_t {
    stat,         // stat(2) of `name` (symlinks followed): errno, or the file's stamp and mode
    access,       // access(`name`, X_OK): errno or 0
    real_path,    // util::real_path(`name`): `value`
    environment,  // getenv(`name`): `value`, nullopt when unset
  };
  Kind kind = Kind::stat;
  std::string name;
  int error = 0;
  FileStamp stamp;
  uint32_t mode = 0;
  std::optional<std::string> value;
  bool operator==(const Observation&) const = default;
};

// The same questions, asked now.
Observation observe_stat(const std::string& path);
Observation observe_access(const std::string& path);
Observation observe_real_path(const std::string& path);
Observation observe_environment(const std::string& name);
// True when asking the question of `observation` again gives the same answer.
bool still_holds(const Observation& observation);

class AccessLog {
 public:
  // Keeps the first answer to each question: a later one comes from the same reading or a changed file, and a
  // changed file fails the check anyway.
  void record(Observation observation);
  // The answer depends on something a stat cannot check; `why` says what (for -v).
  void mark_unwatchable(std::string why);

  // Folds the paths found missing in one directory into that directory's stamp, when the directory had not changed
  // for two seconds before `started` (CLOCK_REALTIME seconds, taken before the first access): then nothing was
  // added to it or removed from it since before the first probe, and while its stamp stays the same nothing will
  // be, so one stat of it says all its missing names are still missing. Done where it saves checks: a directory
  // already observed, or two or more names missing in it.
  void fold_missing_into_directories(int64_t started);

  bool watchable() const { return why_unwatchable_.empty(); }
  const std::string& why_unwatchable() const { return why_unwatchable_; }
  const std::vector<Observation>& observations() const { return observations_; }

 private:
  std::vector<Observation> observations_;
  std::string why_unwatchable_;
};

// Makes `log` the active log of this thread for the scope's lifetime.
class AccessLogScope {
 public:
  explicit AccessLogScope(AccessLog& log);
  ~AccessLogScope();
  AccessLogScope(const AccessLogScope&) = delete;
  AccessLogScope& operator=(const AccessLogScope&) = delete;

 private:
  AccessLog* previous_;
};

AccessLog* active_access_log();

// The hooks. Call watch_path before reading what a path names (a change after the stat then fails the check later;
// a stat after the read could pin bytes the reader never saw).
void watch_path(const std::string& path);
void watch_stat(const std::string& path, const struct stat* st, int error);  // what a stat or fstat of it gave
void watch_access(const std::string& path);
void watch_real_path(const std::string& path, const std::string& result);
const char* watched_getenv(const char* name);
void watch_unwatchable(const char* why);

}  // namespace elfrun::util
