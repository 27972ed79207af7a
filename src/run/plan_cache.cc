// run's plan cache: see plan_cache.h. An entry is line-based text in the format of util/cache_file.h:
//   elfrun-run-plan 1
//   tool =BUILD_ID                                          the elfrun binary (or =" DEV INO SIZE MTIME..." when
//                                                           it has no build ID)
//   machine =SYSNAME =NODENAME =RELEASE =VERSION =MACHINE HWCAP HWCAP2 =PLATFORM CPUID...
//                                                           the kernel (uname, as this process sees it) and the CPU
//   user UID EUID GID EGID GROUP...
//   cwd =DIRECTORY
//   word =WORD                                              (each word from the first option to PROGRAM)
//   key-end
//   exec =PATH
//   arg =ARG                                                (argv, argv[0] first)
//   stat =PATH error ERRNO  |  stat =PATH MODE DEV INO SIZE MTIME_S MTIME_NS CTIME_S CTIME_NS
//   access =PATH ERRNO
//   realpath =PATH =RESULT
//   env =NAME =VALUE  |  env =NAME unset
//   end
#include "run/plan_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>

#include "util/cache_file.h"
#include "util/text.h"

#if defined(__x86_64__) || defined(__i386__)
#if defined(__clang__)
// glibc's header writes its inline helpers with C's _Bool, which clang++ refuses (g++ takes it as an extension).
#define _Bool bool
#include <sys/platform/x86.h>
#undef _Bool
#else
#include <sys/platform/x86.h>
#endif
#endif

namespace elfrun::run {

namespace {

using util::Observation;
using util::entry_text::append_number;
using util::entry_text::append_stamp;
using util::entry_text::append_string;
using util::entry_text::number;
using util::entry_text::stamp_field;
using util::entry_text::string_field;

constexpr std::string_view kMagic = "elfrun-run-plan 1\n";
constexpr std::string_view kKeyMachine = "\nmachine ";
constexpr std::string_view kKeyEnd = "key-end\n";
constexpr size_t kMaximumEntries = 512;

// The kernel and the CPU as this process sees them: the kernel decides which machines run directly (uname -m, which
// setarch changes too), the CPU which glibc-hwcaps subdirectories a loader searches. Read without a system call
// beyond uname: the CPU as the kernel reports it in the auxiliary vector, and on x86 the cpuid features glibc judged
// usable when this process started (<sys/platform/x86.h>), which is what a loader's hwcaps choice is made of.
std::string kernel_and_cpu(const struct utsname& names) {
  std::string out;
  for (const char* field : {names.sysname, names.nodename, names.release, names.version, names.machine}) {
    append_string(out, field);
  }
  append_number(out, static_cast<int64_t>(::getauxval(AT_HWCAP)));
  append_number(out, static_cast<int64_t>(::getauxval(AT_HWCAP2)));
  const auto* platform = reinterpret_cast<const char*>(::getauxval(AT_PLATFORM));
  append_string(out, platform != nullptr ? platform : "");
#if defined(__x86_64__) || defined(__i386__)
  for (unsigned leaf = CPUID_INDEX_1; leaf <= CPUID_INDEX_14_ECX_0; ++leaf) {
    const struct cpuid_feature* feature = __x86_get_cpuid_feature_leaf(leaf);
    if (feature == nullptr) continue;
    // Only what glibc judged usable: the raw leaves also hold the APIC ID of whichever CPU this process started on.
    for (unsigned word : feature->active_array) append_number(out, word);
  }
#endif
  return out;
}

// The name of the key's entry: FNV-1a (64 bits) of the key but its kernel and CPU line, so that an entry a reboot
// into another kernel made stale is overwritten rather than left behind, while two elfrun builds used in turn keep
// one entry each. The entry repeats its key in full: a collision costs a miss, never a wrong plan.
std::string entry_name(std::string_view key) {
  size_t machine = key.find(kKeyMachine);
  size_t machine_end = machine == std::string_view::npos ? machine : key.find('\n', machine + 1);
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < key.size(); ++i) {
    if (i == machine && machine_end != std::string_view::npos) i = machine_end;
    hash ^= static_cast<unsigned char>(key[i]);
    hash *= 0x100000001b3ULL;
  }
  uint8_t bytes[8];
  for (int i = 7; i >= 0; --i, hash >>= 8) bytes[i] = static_cast<uint8_t>(hash);
  return util::hex(bytes);
}

// Whether `name` is one the cache writes (entry_name's 16 lower-case hex digits): nothing else in the directory is
// ever removed, whoever put it there.
bool is_entry_name(const char* name) {
  size_t length = 0;
  for (; name[length] != '\0'; ++length) {
    char c = name[length];
    if (length == 16 || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return length == 16;
}

// Keeps the cache small: past kMaximumEntries entries, the least recently written go (only when a plan is stored,
// which is the slow path anyway). Only the cache's own entries count and go: regular files named as entry_name names
// them and owned by this user, removed through the directory's fd (a directory swapped in meanwhile is not touched).
void prune(int directory_fd) {
  int list_fd = ::openat(directory_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (list_fd < 0) return;
  DIR* dir = ::fdopendir(list_fd);
  if (dir == nullptr) {
    ::close(list_fd);
    return;
  }
  std::vector<std::pair<int64_t, std::string>> entries;
  while (dirent* entry = ::readdir(dir)) {
    struct stat st {};
    if (!is_entry_name(entry->d_name) || ::fstatat(directory_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
      continue;
    }
    entries.emplace_back(static_cast<int64_t>(st.st_mtim.tv_sec), entry->d_name);
  }
  ::closedir(dir);
  if (entries.size() > kMaximumEntries) {
    std::sort(entries.begin(), entries.end());
    for (size_t i = 0; i + kMaximumEntries * 3 / 4 < entries.size(); ++i) {
      ::unlinkat(directory_fd, entries[i].second.c_str(), 0);
    }
  }
}

void append_observation(std::string& out, const Observation& observation) {
  switch (observation.kind) {
    case Observation::Kind::stat:
      out += "stat";
      append_string(out, observation.name);
      if (observation.error != 0) {
        out += " error";
        append_number(out, observation.error);
      } else {
        append_number(out, observation.mode);
        append_stamp(out, observation.stamp);
      }
      break;
    case Observation::Kind::access:
      out += "access";
      append_string(out, observation.name);
      append_number(out, observation.error);
      break;
    case Observation::Kind::real_path:
      out += "realpath";
      append_string(out, observation.name);
      append_string(out, observation.value.value_or(""));
      break;
    case Observation::Kind::environment:
      out += "env";
      append_string(out, observation.name);
      if (observation.value) {
        append_string(out, *observation.value);
      } else {
        out += " unset";
      }
      break;
  }
  out += '\n';
}

// The words of one line without allocating (the fast path reads ~30 lines before every exec): at most 12, which is
// more than any line has; a longer line counts as 13 words and matches nothing.
struct LineWords {
  std::string_view word[12];
  size_t count = 0;
  explicit LineWords(std::string_view line) {
    size_t start = 0;
    while (start <= line.size()) {
      size_t end = line.find(' ', start);
      if (end == std::string_view::npos) end = line.size();
      if (count == 12) {
        ++count;
        return;
      }
      word[count++] = line.substr(start, end - start);
      start = end + 1;
    }
  }
  size_t size() const { return count; }
  std::string_view operator[](size_t i) const { return word[i]; }
};

std::optional<Observation> parse_observation(const LineWords& words) {
  Observation observation;
  if (words.size() < 3) return std::nullopt;
  auto name = string_field(words[1]);
  if (!name) return std::nullopt;
  observation.name = std::move(*name);
  if (words[0] == "stat") {
    observation.kind = Observation::Kind::stat;
    if (words[2] == "error" && words.size() == 4) {
      auto error = number(words[3]);
      if (!error || *error <= 0 || *error > INT_MAX) return std::nullopt;
      observation.error = static_cast<int>(*error);
      return observation;
    }
    auto mode = number(words[2]);
    auto stamp = stamp_field(std::span(words.word, std::min(words.count, std::size(words.word))), 3);
    if (words.size() != 10 || !mode || *mode < 0 || *mode > UINT32_MAX || !stamp) return std::nullopt;
    observation.mode = static_cast<uint32_t>(*mode);
    observation.stamp = *stamp;
    return observation;
  }
  if (words.size() != 3) return std::nullopt;
  if (words[0] == "access") {
    observation.kind = Observation::Kind::access;
    auto error = number(words[2]);
    if (!error || *error < 0 || *error > INT_MAX) return std::nullopt;
    observation.error = static_cast<int>(*error);
    return observation;
  }
  if (words[0] == "realpath" || words[0] == "env") {
    observation.kind = words[0] == "env" ? Observation::Kind::environment : Observation::Kind::real_path;
    if (observation.kind == Observation::Kind::environment && words[2] == "unset") return observation;
    auto value = string_field(words[2]);
    if (!value) return std::nullopt;
    observation.value = std::move(*value);
    return observation;
  }
  return std::nullopt;
}

// Reads an entry for `key` into `plan` (its exec path and argv), handing each observation to `take` as it is read,
// which returns false to stop; false unless the entry is complete and every observation was taken.
bool walk_plan_entry(std::string_view text, std::string_view key, CachedPlan& plan,
                     const std::function<bool(Observation&&)>& take) {
  if (key.empty() || text.substr(0, key.size()) != key) return false;
  text.remove_prefix(key.size());
  bool observed = false, ended = false;
  for (size_t index = 0; !text.empty(); ++index) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos || ended) return false;  // every line ends with '\n'; nothing after "end"
    LineWords words(text.substr(0, end));
    text.remove_prefix(end + 1);
    if (index == 0) {
      auto exec_path = words.size() == 2 && words[0] == "exec" ? string_field(words[1]) : std::nullopt;
      if (!exec_path || exec_path->empty()) return false;
      plan.exec_path = std::move(*exec_path);
    } else if (words.size() == 1 && words[0] == "end") {
      ended = true;
    } else if (words[0] == "arg" && !observed) {
      auto arg = words.size() == 2 ? string_field(words[1]) : std::nullopt;
      if (!arg) return false;
      plan.argv.push_back(std::move(*arg));
    } else {
      auto observation = parse_observation(words);
      if (!observation) return false;
      observed = true;
      if (!take(std::move(*observation))) return false;
    }
  }
  return ended && !plan.argv.empty();
}

}  // namespace

std::optional<std::string> plan_cache_key(const std::vector<std::string_view>& words) {
  // The elfrun that decides: by its build ID (no system call), else by its file's stamp.
  std::string tool = util::running_binary_build_id();
  if (tool.empty()) {
    auto stamp = util::running_binary_stamp();
    if (!stamp) return std::nullopt;
    append_stamp(tool, *stamp);
  }
  struct utsname names {};
  char cwd[PATH_MAX];
  if (::uname(&names) != 0 || ::getcwd(cwd, sizeof cwd) == nullptr) return std::nullopt;
  gid_t groups[256];
  int group_count = ::getgroups(256, groups);
  if (group_count < 0) return std::nullopt;  // more than 256 groups: not worth a cache
  std::string key(kMagic);
  key += "tool";
  append_string(key, tool);
  key += "\nmachine";
  key += kernel_and_cpu(names);
  key += '\n';
  key += "user";
  for (auto id : {::getuid(), ::geteuid(), ::getgid(), ::getegid()}) append_number(key, id);
  for (int i = 0; i < group_count; ++i) append_number(key, groups[i]);
  key += "\ncwd";
  append_string(key, cwd);
  key += '\n';
  for (std::string_view word : words) {
    key += "word";
    append_string(key, word);
    key += '\n';
  }
  key += kKeyEnd;
  return key;
}

std::string format_plan_entry(std::string_view key, const CachedPlan& plan) {
  std::string out(key);
  out += "exec";
  append_string(out, plan.exec_path);
  out += '\n';
  for (const std::string& arg : plan.argv) {
    out += "arg";
    append_string(out, arg);
    out += '\n';
  }
  for (const Observation& observation : plan.observations) append_observation(out, observation);
  out += "end\n";
  return out;
}

std::optional<CachedPlan> parse_plan_entry(std::string_view text, std::string_view key) {
  CachedPlan plan;
  auto keep = [&](Observation&& observation) {
    plan.observations.push_back(std::move(observation));
    return true;
  };
  if (!walk_plan_entry(text, key, plan, keep)) return std::nullopt;
  return plan;
}

PlanCache PlanCache::for_user() { return PlanCache(util::user_cache_directory("plans")); }

std::optional<CachedPlan> PlanCache::load(std::string_view key) const {
  if (!enabled()) return std::nullopt;
  auto text = util::read_own_file(directory_, entry_name(key));
  if (!text) return std::nullopt;
  // Each observation is checked as it is read, and the first that no longer holds ends it.
  CachedPlan plan;
  if (!walk_plan_entry(*text, key, plan, [](Observation&& observation) { return util::still_holds(observation); })) {
    return std::nullopt;
  }
  return plan;
}

bool PlanCache::store(std::string_view key, const CachedPlan& plan) const {
  if (!enabled()) return false;
  for (const Observation& observation : plan.observations) {
    if (observation.kind == Observation::Kind::stat && observation.error == 0 && !util::settled(observation.stamp)) {
      return false;
    }
  }
  int directory_fd = util::open_cache_directory(directory_, true);
  if (directory_fd < 0) return false;
  bool written = util::write_file_atomically(directory_fd, entry_name(key), format_plan_entry(key, plan));
  if (written) prune(directory_fd);
  ::close(directory_fd);
  return written;
}

std::vector<CachedPlan> PlanCache::all_plans() const {
  std::vector<CachedPlan> plans;
  if (!enabled()) return plans;
  int directory_fd = util::open_cache_directory(directory_, false);
  if (directory_fd < 0) return plans;
  DIR* dir = ::fdopendir(directory_fd);
  if (dir == nullptr) {
    ::close(directory_fd);
    return plans;
  }
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    auto text = util::read_own_file(::dirfd(dir), entry->d_name);
    auto lines = text ? util::entry_text::lines_of(*text) : std::nullopt;
    if (!lines) continue;
    CachedPlan plan;
    for (std::string_view line : *lines) {
      auto words = util::entry_text::words_of(line);
      if (words.size() != 2 || (words[0] != "exec" && words[0] != "arg")) continue;
      auto value = util::entry_text::string_field(words[1]);
      if (!value) continue;
      (words[0] == "exec" ? plan.exec_path : plan.argv.emplace_back()) = *value;
    }
    if (!plan.exec_path.empty()) plans.push_back(std::move(plan));
  }
  ::closedir(dir);
  return plans;
}

}  // namespace elfrun::run
