// The fast path of `elfrun run`: the plan cache (run/plan_cache.h) is consulted and its plan exec'd before main().
//
// Why before main(): by then the C++ runtime of a static elfrun has constructed iostreams and locales and CLI11 its
// validators — 60 % of the instructions and most of the page faults of an elfrun that does nothing, measured with
// callgrind and perf — and `run` must cost next to nothing over the exec of the loader it leads to (issue 4's
// benchmark: at most 1.10x a minimal exec wrapper). A function in .preinit_array runs after the C library is set
// up (malloc, TLS, environ) but before any constructor, in static and dynamic executables alike (glibc
// csu/libc-start.c call_init, elf/dl-init.c _dl_init). So this file and everything it calls use no object that needs a
// static constructor, print nothing, and throw nothing on purpose: on any doubt they return, and main() runs.
#include "cli/run_fast.h"

#include <unistd.h>

#include <cstring>
#include <string>

#include "run/plan_cache.h"
#include "util/given_environment.h"

extern char** environ;

namespace elfrun::cli {

RunCommandLine find_run_command_line(int argc, char** argv) {
  RunCommandLine line;
  int i = 1;
  while (i < argc && argv[i][0] == '-') ++i;  // elfrun's own options (--help, --version)
  if (i >= argc || std::strcmp(argv[i], "run") != 0) return line;
  line.run = i;
  bool cacheable = i == 1;
  static constexpr const char* kWithValue[] = {"--root", "--loader", "--library-path", "--argv0", "--search"};
  // The words that key the plan, gathered as the options are read: -v says how the plan is made, not what it is.
  std::vector<std::string_view> words;
  for (++i; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--") == 0) {
      line.options_end = i;
      words.emplace_back(arg);
      if (i + 1 < argc) {
        line.program = i + 1;
        words.emplace_back(argv[i + 1]);
      }
      break;
    }
    if (arg[0] != '-' || arg[1] == '\0') {
      line.program = line.options_end = i;
      words.emplace_back(arg);
      break;
    }
    if (std::strcmp(arg, "-v") == 0 || std::strcmp(arg, "--verbose") == 0) {
      line.verbose = true;
      continue;
    }
    bool with_value = false;
    for (const char* option : kWithValue) with_value = with_value || std::strcmp(arg, option) == 0;
    words.emplace_back(arg);
    if (with_value) {
      if (++i < argc) words.emplace_back(argv[i]);  // its value
    } else if (std::strcmp(arg, "--allow-setuid") != 0 && std::strcmp(arg, "--fetch") != 0) {
      cacheable = false;
    }
  }
  if (cacheable && line.program > 0) line.cacheable_words = std::move(words);
  return line;
}

void run_cached_plan(int argc, char** argv, char** envp) {
  RunCommandLine line = find_run_command_line(argc, argv);
  if (line.cacheable_words.empty() || line.verbose) return;
  // In a dynamically linked elfrun the C library sets environ only when its own initialiser runs, after this:
  // getenv() needs it now. It gets the same value then.
  if (environ == nullptr) environ = envp;
  run::PlanCache cache = run::PlanCache::for_user();
  if (!cache.enabled()) return;
  auto key = run::plan_cache_key(line.cacheable_words);
  if (!key) return;
  auto plan = cache.load(*key);
  if (!plan) return;
  std::vector<char*> exec_argv;
  exec_argv.reserve(plan->argv.size() + static_cast<size_t>(argc - line.program));
  for (std::string& arg : plan->argv) exec_argv.push_back(arg.data());
  for (int k = line.program + 1; k < argc; ++k) exec_argv.push_back(argv[k]);
  exec_argv.push_back(nullptr);
  ::execve(plan->exec_path.c_str(), exec_argv.data(), util::environment_as_given(envp));
  // The exec failed: main() decides again, and says what is wrong.
}

namespace {

void run_cached_plan_entry(int argc, char** argv, char** envp) { run_cached_plan(argc, argv, envp); }

}  // namespace

}  // namespace elfrun::cli

// glibc calls each .preinit_array entry with (argc, argv, envp) in executables (the array is ignored in shared
// objects, and elfrun is an executable).
__attribute__((section(".preinit_array"),
               used)) static void (*run_cached_plan_at_start)(int, char**, char**) = elfrun::cli::run_cached_plan_entry;
