// `elfrun run`: runs a program through whatever it needs — itself, a loader found on the machine, or qemu-user —
// replacing elfrun with it (exec, no fork, no shell), with the environment untouched.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/commands.h"
#include "cli/output.h"
#include "loader/config.h"
#include "loader/identity_cache.h"
#include "run/plan.h"

extern char** environ;

namespace elfrun::cli {

namespace {

struct RunOptions {
  std::optional<std::string> root, loader, library_path, argv0;
  std::vector<std::string> search;
  bool print = false;
  bool verbose = false;
  bool allow_setuid = false;
  std::vector<std::string> command;  // PROGRAM ARGS...
};

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
  auto config = loader::read_configuration();
  if (!config) {
    print_error(config.error().message);
    return 2;
  }
  request.discovery = std::move(*config);
  request.discovery.search_dirs = options.search;
  request.discovery.cache = std::make_shared<loader::IdentityCache>(loader::IdentityCache::for_user());
  run::RunPlan plan = run::plan_run(request);
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
      out(run::shell_quote(words) + "\n");
      std::fflush(stdout);
      return 0;
    }
    out(run::shell_quote(plan.argv) + "\n");
    std::fflush(stdout);
    return 0;
  }
  std::vector<char*> argv;
  for (const std::string& arg : plan.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);
  ::execve(plan.exec_path.c_str(), argv.data(), environ);
  int error = errno;
  print_error(plan.exec_path,
              std::strerror(error) + std::string("; `elfrun why ") + request.program + "` explains what is wrong");
  return error == ENOENT ? 127 : 126;
}

// The program and its arguments, split off argv before CLI11 sees it (see split_run_arguments).
std::vector<std::string>& program_arguments() {
  static std::vector<std::string> arguments;
  return arguments;
}

}  // namespace

int split_run_arguments(int argc, char** argv) {
  // elfrun [--help|--version] run [OPTIONS] [--] PROGRAM [ARGS...]: everything from PROGRAM on is the program's,
  // byte for byte, whatever it looks like ("--print", "--", "-v"...).
  int i = 1;
  while (i < argc && argv[i][0] == '-') ++i;
  if (i >= argc || std::strcmp(argv[i], "run") != 0) return argc;
  static const char* const kWithValue[] = {"--root", "--loader", "--library-path", "--argv0", "--search"};
  for (++i; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--") == 0) {
      for (int j = i + 1; j < argc; ++j) program_arguments().emplace_back(argv[j]);
      return i;
    }
    if (arg[0] != '-' || arg[1] == '\0') {
      for (int j = i; j < argc; ++j) program_arguments().emplace_back(argv[j]);
      return i;
    }
    for (const char* option : kWithValue) {
      if (std::strcmp(arg, option) == 0) {
        ++i;  // its value
        break;
      }
    }
  }
  return argc;
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
  command->add_flag("--allow-setuid", options->allow_setuid, "Run a setuid/setgid program without its privileges");
  command->footer("Usage: elfrun run [OPTIONS] [--] PROGRAM [ARGS...]\nEverything from PROGRAM on is passed to it.");
  return [options]() {
    options->command = program_arguments();
    return run_run(*options);
  };
}

}  // namespace elfrun::cli
