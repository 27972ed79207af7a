// The subcommands of the elfrun command line. Each lives in its own file, adds its options to the app, and returns
// the function that runs it and yields the exit status. Only src/cli prints.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace elfrun::cli {

using Runner = std::function<int()>;

Runner add_info_command(CLI::App& app);
Runner add_deps_command(CLI::App& app);
Runner add_run_command(CLI::App& app);
// Splits `elfrun run ... PROGRAM ARGS...` before parsing: returns how many leading arguments CLI11 should parse; the
// program and its arguments are kept for the run command.
int split_run_arguments(int argc, char** argv);
Runner add_loaders_command(CLI::App& app);
Runner add_why_command(CLI::App& app);
Runner add_bundle_command(CLI::App& app);
Runner add_fix_command(CLI::App& app);
Runner add_store_command(CLI::App& app);
// Splits `elfrun bundle ... -- ARGS...`: returns how many leading arguments CLI11 should parse; ARGS are kept for
// the --trace run.
int split_bundle_arguments(int argc, char** argv);
// Hidden: `elfrun completion bash|zsh|fish` prints a completion script made from the commands added before it.
Runner add_completion_command(CLI::App& app);

}  // namespace elfrun::cli
