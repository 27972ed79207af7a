// The subcommands of the elfrun command line. Each lives in its own file, adds its options to the app, and returns
// the function that runs it and yields the exit status. Only src/cli prints.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace elfrun::cli {

using Runner = std::function<int()>;

Runner add_info_command(CLI::App& app);
Runner add_deps_command(CLI::App& app);

}  // namespace elfrun::cli
