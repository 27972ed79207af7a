// elfrun's entry point: parses the command line and runs one subcommand.
#include <cstdio>
#include <vector>

#include "build_info.h"  // generated: ELFRUN_VERSION_LINE (cmake/build_info.cmake)
#include "cli/commands.h"
#include "cli/output.h"

int main(int argc, char** argv) {
  CLI::App app{
      "elfrun: runs any Linux ELF program whatever its class, machine or C library, and explains why one "
      "won't run."};
  elfrun::cli::install_untrusted_reporter();
  app.set_version_flag("--version", ELFRUN_VERSION_LINE);
  app.require_subcommand(1);
  app.fallthrough(false);

  std::vector<std::pair<CLI::App*, elfrun::cli::Runner>> commands;
  auto add = [&](auto add_command) {
    size_t before = app.get_subcommands({}).size();
    elfrun::cli::Runner runner = add_command(app);
    commands.emplace_back(app.get_subcommands({})[before], std::move(runner));
  };
  add(elfrun::cli::add_info_command);
  add(elfrun::cli::add_deps_command);
  add(elfrun::cli::add_run_command);
  add(elfrun::cli::add_loaders_command);
  add(elfrun::cli::add_why_command);
  add(elfrun::cli::add_bundle_command);
  add(elfrun::cli::add_fix_command);
  add(elfrun::cli::add_store_command);
  add(elfrun::cli::add_completion_command);  // hidden; last, so that it sees every command above

  try {
    app.parse(elfrun::cli::split_bundle_arguments(elfrun::cli::split_run_arguments(argc, argv), argv), argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2 (SPEC.md); --help and --version exit 0.
    int status = app.exit(e);
    return status == 0 ? 0 : 2;
  }
  for (auto& [command, runner] : commands) {
    if (command->parsed()) return runner();
  }
  return 2;
}
