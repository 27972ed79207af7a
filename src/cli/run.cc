// `elfrun run`: runs a program through whatever it needs — itself, a loader found on the machine, or qemu-user —
// replacing elfrun with it (exec, no fork, no shell), with the environment untouched.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/run_fast.h"
#include "loader/config.h"
#include "loader/identity_cache.h"
#include "run/plan.h"
#include "run/plan_cache.h"
#include "util/access_log.h"
#include "util/given_environment.h"
#include "util/quote.h"

extern char** environ;

namespace elfrun::cli {

namespace {

struct RunOptions {
  std::optional<std::string> root, loader, library_path, argv0;
  std::vector<std::string> search;
  bool print = false;
  bool verbose = false;
  bool allow_setuid = false;
  bool fetch = false;
  std::vector<std::string> command;  // PROGRAM ARGS...
};

// The program and its arguments, split off argv before CLI11 sees it (see split_run_arguments).
std::vector<std::string>& program_arguments() {
  static std::vector<std::string> arguments;
  return arguments;
}

// The words the plan cache keys this command by (cli/run_fast.h), empty when it must not serve it.
std::vector<std::string>& cacheable_words() {
  static std::vector<std::string> words;
  return words;
}

// Stores the plan in the cache when it may be served again; says what became of it (for -v).
std::string remember_plan(const run::PlanCache& cache, const run::RunPlan& plan, const std::vector<std::string>& args,
                          const util::AccessLog& log) {
  if (plan.kind == run::RunPlan::Kind::refused) return {};
  // A qemu plan is watchable only when made of files alone (run --fetch's, with -L /: run/plan.cc).
  if (!log.watchable()) return "plan cache: not cached (" + log.why_unwatchable() + ")";
  auto key = run::plan_cache_key(std::vector<std::string_view>(cacheable_words().begin(), cacheable_words().end()));
  if (!key || plan.argv.size() <= args.size() ||
      !std::equal(args.begin(), args.end(), plan.argv.end() - static_cast<std::ptrdiff_t>(args.size()))) {
    return "plan cache: not cached";
  }
  run::CachedPlan cached;
  cached.exec_path = plan.exec_path;
  cached.argv.assign(plan.argv.begin(), plan.argv.end() - static_cast<std::ptrdiff_t>(args.size()));
  cached.observations = log.observations();
  bool stored = cache.store(*key, cached);
  // Files unpacked into the store a moment ago have not settled (util::settled): after a fetch, which took seconds
  // anyway, wait until they have, so that the next run is served from the cache at once.
  if (!stored && plan.fetched) {
    ::sleep(2);
    stored = cache.store(*key, cached);
  }
  if (!stored) {
    return "plan cache: not cached (a file it depends on changed in the last two seconds, or " + cache.directory() +
           " cannot be written)";
  }
  return "plan cache: stored in " + cache.directory() + " with " + std::to_string(cached.observations.size()) +
         " checks";
}

int run_run(const RunOptions& options) {
  if (options.command.empty()) {
    print_error("run: a PROGRAM is required");
    return 2;
  }
  if (options.root && options.loader) {
    print_error("run: --root and --loader cannot be used together");
    return 2;
  }
  run::RunRequest request;
  request.program = options.command[0];
  request.args.assign(options.command.begin() + 1, options.command.end());
  request.root = options.root;
  request.loader = options.loader;
  request.library_path = options.library_path;
  request.argv0 = options.argv0;
  request.allow_setuid = options.allow_setuid;
  // The plan cache (run/plan_cache.h): what the plan is made of is recorded while it is made, and the plan stored
  // with it when all of that can be checked, so that the next run of this command execs before main().
  run::PlanCache plan_cache = cacheable_words().empty() ? run::PlanCache("") : run::PlanCache::for_user();
  util::AccessLog access_log;
  std::optional<util::AccessLogScope> recording;
  struct timespec started {};
  if (plan_cache.enabled()) {
    ::clock_gettime(CLOCK_REALTIME, &started);
    recording.emplace(access_log);
  }
  auto config = loader::read_configuration();
  if (!config) {
    print_error(config.error().message);
    return 2;
  }
  request.discovery = std::move(*config);
  request.discovery.search_dirs = options.search;
  request.discovery.cache = std::make_shared<loader::IdentityCache>(loader::IdentityCache::for_user());
  request.fetch = options.fetch || request.discovery.fetch;
  request.fetch_progress = [](const std::string& line) {
    std::fprintf(stderr, "elfrun: %s\n", printable(line).c_str());
  };
  run::RunPlan plan = run::plan_run(request);
  recording.reset();
  if (plan_cache.enabled()) {
    access_log.fold_missing_into_directories(started.tv_sec);
    std::string remembered = remember_plan(plan_cache, plan, request.args, access_log);
    if (!remembered.empty()) plan.reasons.push_back(std::move(remembered));
  }
  if (options.verbose) {
    for (const std::string& reason : plan.reasons) std::fprintf(stderr, "elfrun: %s\n", printable(reason).c_str());
  }
  if (plan.kind == run::RunPlan::Kind::refused) {
    print_error(plan.refusal);
    return plan.refusal_status;
  }
  if (options.print) {
    // A direct exec with an argv[0] other than the file's own path: a POSIX shell cannot say that except through
    // `exec -a` (bash, ksh, zsh, busybox sh).
    if (plan.kind == run::RunPlan::Kind::direct && plan.argv[0] != request.program) {
      std::vector<std::string> words = {"exec", "-a", plan.argv[0], plan.exec_path};
      words.insert(words.end(), plan.argv.begin() + 1, plan.argv.end());
      out(printable_command(util::shell_command(words)) + "\n");
      std::fflush(stdout);
      return 0;
    }
    out(printable_command(util::shell_command(plan.argv)) + "\n");
    std::fflush(stdout);
    return 0;
  }
  std::vector<char*> argv;
  for (const std::string& arg : plan.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);
  // Under qemu-i386 (an i386 elfrun where the kernel has no IA32 emulation) the order qemu scrambled is put back.
  ::execve(plan.exec_path.c_str(), argv.data(), util::environment_as_given(environ));
  int error = errno;
  print_error(plan.exec_path,
              std::strerror(error) + std::string("; `elfrun why ") + request.program + "` explains what is wrong");
  return error == ENOENT ? 127 : 126;
}

}  // namespace

int split_run_arguments(int argc, char** argv) {
  RunCommandLine line = find_run_command_line(argc, argv);
  if (line.program < 0) return argc;
  for (int j = line.program; j < argc; ++j) program_arguments().emplace_back(argv[j]);
  cacheable_words().assign(line.cacheable_words.begin(), line.cacheable_words.end());
  return line.options_end;  // CLI11 parses the options, not the "--" or PROGRAM after them
}

Runner add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand(
      "run", "Run a program through its own loader, another one that fits, or qemu-user, with no set-up.");
  command->add_option("--root", options->root, "Run the program with the loader and libraries of root DIR");
  command->add_option("--loader", options->loader, "Use this loader");
  command->add_option("--library-path", options->library_path, "Directories to search first (':'-separated)");
  command->add_option("--argv0", options->argv0, "The program's argv[0] (default: PROGRAM as typed)");
  command->add_option("--search", options->search, "Also look for loaders under DIR");
  command->add_flag("--print", options->print, "Print the command, shell-quoted, instead of running it");
  command->add_flag("-v,--verbose", options->verbose, "Say which loaders were considered and why this one");
  command->add_flag("--fetch", options->fetch,
                    "When the machine lacks the loader or libraries it needs, or has them too old: fetch the "
                    "packages that have them from the distribution's archive into the store (elfrun store)");
  command->add_flag("--allow-setuid", options->allow_setuid, "Run a setuid/setgid program without its privileges");
  command->footer("Usage: elfrun run [OPTIONS] [--] PROGRAM [ARGS...]\nEverything from PROGRAM on is passed to it.");
  return [options]() {
    options->command = program_arguments();
    return run_run(*options);
  };
}

}  // namespace elfrun::cli
