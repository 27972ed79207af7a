// What an answer was made of: see access_log.h.
#include "util/access_log.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "util/text.h"

namespace elfrun::util {

namespace {

// Constant-initialised: valid before any static constructor has run.
thread_local AccessLog* active_log = nullptr;

Observation stat_observation(const std::string& path, const struct stat* st, int error) {
  Observation observation;
  observation.kind = Observation::Kind::stat;
  observation.name = path;
  if (st == nullptr) {
    observation.error = error != 0 ? error : EIO;
  } else {
    observation.stamp = stamp_of(*st);
    observation.mode = st->st_mode;
  }
  return observation;
}

Observation real_path_observation(const std::string& path, const std::string& result) {
  Observation observation;
  observation.kind = Observation::Kind::real_path;
  observation.name = path;
  observation.value = result;
  return observation;
}

Observation environment_observation(const char* name, const char* value) {
  Observation observation;
  observation.kind = Observation::Kind::environment;
  observation.name = name;
  if (value != nullptr) observation.value = value;
  return observation;
}

}  // namespace

Observation observe_stat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return stat_observation(path, nullptr, errno);
  return stat_observation(path, &st, 0);
}

Observation observe_access(const std::string& path) {
  Observation observation;
  observation.kind = Observation::Kind::access;
  observation.name = path;
  observation.error = ::access(path.c_str(), X_OK) == 0 ? 0 : errno;
  return observation;
}

Observation observe_real_path(const std::string& path) { return real_path_observation(path, real_path(path)); }

Observation observe_environment(const std::string& name) {
  return environment_observation(name.c_str(), std::getenv(name.c_str()));
}

bool still_holds(const Observation& observation) {
  // Asked again without building a second observation: this runs before every cached exec.
  const char* name = observation.name.c_str();
  switch (observation.kind) {
    case Observation::Kind::stat: {
      struct stat st {};
      if (::stat(name, &st) != 0) return observation.error == errno;
      return observation.error == 0 && observation.mode == st.st_mode && observation.stamp == stamp_of(st);
    }
    case Observation::Kind::access: return observation.error == (::access(name, X_OK) == 0 ? 0 : errno);
    case Observation::Kind::real_path: return observation.value == real_path(observation.name);
    case Observation::Kind::environment: {
      const char* value = std::getenv(name);
      return value == nullptr ? !observation.value : observation.value && *observation.value == value;
    }
  }
  return false;
}

void AccessLog::record(Observation observation) {
  // A path that is missing because a directory on it is missing is recorded as that directory missing, which
  // implies it: the loader's probes of glibc-hwcaps/x86-64-v4/, tls/, x86_64/... subdirectories that do not exist
  // come to one check each instead of one per library (stat follows symlinks, so a dangling symlink on the way counts
  // as missing, and its target appearing fails the check as it should).
  if (observation.kind == Observation::Kind::stat && observation.error == ENOENT && observation.name.size() > 1 &&
      observation.name[0] == '/') {
    for (;;) {
      std::string parent(dir_name(observation.name));
      if (parent == "/") break;
      struct stat st {};
      if (::stat(parent.c_str(), &st) == 0 || errno != ENOENT) break;
      observation.name = std::move(parent);
    }
  }
  bool known = std::any_of(observations_.begin(), observations_.end(), [&](const Observation& earlier) {
    return earlier.kind == observation.kind && earlier.name == observation.name;
  });
  if (!known) observations_.push_back(std::move(observation));
}

void AccessLog::mark_unwatchable(std::string why) {
  if (why_unwatchable_.empty()) why_unwatchable_ = std::move(why);
}

void AccessLog::fold_missing_into_directories(int64_t started) {
  auto parent_of = [](const Observation& observation) -> std::string {
    if (observation.kind != Observation::Kind::stat || observation.error != ENOENT || observation.name.empty() ||
        observation.name[0] != '/') {
      return {};
    }
    return std::string(dir_name(observation.name));
  };
  auto unchanged_before_start = [&](const Observation& directory) {
    return directory.kind == Observation::Kind::stat && directory.error == 0 && S_ISDIR(directory.mode) &&
           std::max(directory.stamp.mtime_sec, directory.stamp.ctime_sec) + 2 <= started;
  };
  std::vector<std::string> parents;
  for (const Observation& observation : observations_) {
    std::string parent = parent_of(observation);
    if (!parent.empty() && std::find(parents.begin(), parents.end(), parent) == parents.end()) {
      parents.push_back(std::move(parent));
    }
  }
  for (const std::string& parent : parents) {
    auto observed = std::find_if(observations_.begin(), observations_.end(), [&](const Observation& o) {
      return o.kind == Observation::Kind::stat && o.name == parent;
    });
    size_t missing = std::count_if(observations_.begin(), observations_.end(),
                                   [&](const Observation& o) { return parent_of(o) == parent; });
    Observation directory;
    if (observed != observations_.end()) {
      directory = *observed;
    } else if (missing >= 2) {
      directory = observe_stat(parent);
    } else {
      continue;
    }
    if (!unchanged_before_start(directory)) continue;
    // The directory's observation takes the place of the first missing name; the others go.
    bool placed = observed != observations_.end();
    std::vector<Observation> kept;
    kept.reserve(observations_.size());
    for (Observation& observation : observations_) {
      if (parent_of(observation) != parent) {
        kept.push_back(std::move(observation));
      } else if (!placed) {
        kept.push_back(directory);
        placed = true;
      }
    }
    observations_ = std::move(kept);
  }
}

AccessLogScope::AccessLogScope(AccessLog& log) : previous_(active_log) { active_log = &log; }
AccessLogScope::~AccessLogScope() { active_log = previous_; }

AccessLog* active_access_log() { return active_log; }

void watch_path(const std::string& path) {
  if (active_log != nullptr) active_log->record(observe_stat(path));
}

void watch_stat(const std::string& path, const struct stat* st, int error) {
  if (active_log != nullptr) active_log->record(stat_observation(path, st, error));
}

void watch_access(const std::string& path) {
  if (active_log != nullptr) active_log->record(observe_access(path));
}

void watch_real_path(const std::string& path, const std::string& result) {
  if (active_log != nullptr) active_log->record(real_path_observation(path, result));
}

const char* watched_getenv(const char* name) {
  const char* value = std::getenv(name);
  if (active_log != nullptr) active_log->record(environment_observation(name, value));
  return value;
}

void watch_unwatchable(const char* why) {
  if (active_log != nullptr) active_log->mark_unwatchable(why);
}

}  // namespace elfrun::util
