// `elfrun bundle`: copies programs with their loader and the libraries it loads into a relocatable bundle (a
// directory, a .tar.gz, or one self-extracting sh file) that runs on any Linux with the kernel, from anywhere.
#include "bundle/bundle.h"

#include <fmt/format.h>

#include <cstring>

#include "cli/commands.h"
#include "cli/output.h"
#include "loader/config.h"

namespace elfrun::cli {

namespace {

struct BundleOptions {
  std::string output;
  std::string format;
  std::vector<std::string> add;
  bool trace = false;
  std::vector<std::string> programs;
};

// The trace run's arguments: everything after `--` (see split_bundle_arguments).
std::vector<std::string>& trace_arguments() {
  static std::vector<std::string> arguments;
  return arguments;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int run_bundle(const BundleOptions& options) {
  bundle::Format format = bundle::Format::dir;
  std::string format_name = options.format;
  if (format_name.empty()) {
    // Unsaid, the output's name says it: .tar.gz/.tgz a tar bundle, .sh a sh bundle, anything else a directory.
    format_name = ends_with(options.output, ".tar.gz") || ends_with(options.output, ".tgz") ? "tar"
                  : ends_with(options.output, ".sh")                                        ? "sh"
                                                                                            : "dir";
  }
  if (format_name == "tar") {
    format = bundle::Format::tar;
  } else if (format_name == "sh") {
    format = bundle::Format::sh;
  } else if (format_name != "dir") {
    print_error(fmt::format("--format {}: expected dir, tar or sh", format_name));
    return 2;
  }
  if (!trace_arguments().empty() && !options.trace) {
    print_error("arguments after -- are for the --trace run: add --trace");
    return 2;
  }
  auto config = loader::read_configuration();
  if (!config) {
    print_error(config.error().message);
    return 2;
  }
  bundle::CollectOptions collect;
  collect.discovery = std::move(*config);
  collect.trace = options.trace;
  collect.trace_args = trace_arguments();
  std::vector<bundle::CollectedProgram> programs;
  for (const std::string& program : options.programs) {
    auto collected = bundle::collect_program(program, collect);
    if (!collected) {
      print_error(collected.error().message);
      return 2;
    }
    programs.push_back(std::move(*collected));
  }
  auto layout = bundle::plan_bundle(programs, options.add);
  if (!layout) {
    print_error(layout.error().message);
    return 2;
  }
  auto written = bundle::write_bundle(*layout, format, options.output, programs.front().name);
  if (!written) {
    print_error(written.error().message);
    return 2;
  }
  for (const auto& program : programs) {
    for (const std::string& note : program.notes) std::fprintf(stderr, "elfrun: note: %s\n", printable(note).c_str());
  }
  prepare_stdout();
  std::string names;
  for (const auto& program : programs) names += (names.empty() ? "" : ", ") + program.name;
  out(fmt::format("{}: {} bundle of {} ({} bytes; {} bytes of files, {} without deduplication)\n",
                  printable(options.output), format_name, printable(names), written->output_bytes,
                  layout->stored_bytes(), layout->logical_bytes()));
  std::fflush(stdout);
  return 0;
}

}  // namespace

int split_bundle_arguments(int argc, char** argv) {
  // elfrun [options] bundle ... --trace PROGRAM -- ARGS...: what follows `--` is the traced run's, byte for byte.
  int i = 1;
  while (i < argc && argv[i][0] == '-') ++i;
  if (i >= argc || std::strcmp(argv[i], "bundle") != 0) return argc;
  for (int j = i + 1; j < argc; ++j) {
    if (std::strcmp(argv[j], "--") == 0) {
      for (int k = j + 1; k < argc; ++k) trace_arguments().emplace_back(argv[k]);
      return j;
    }
  }
  return argc;
}

Runner add_bundle_command(CLI::App& app) {
  auto options = std::make_shared<BundleOptions>();
  CLI::App* command = app.add_subcommand(
      "bundle", "Copy programs with their loader and libraries into a bundle that runs on any Linux with the kernel.");
  command->add_option("-o,--output", options->output, "The bundle: a directory, a .tar.gz or a .sh file")->required();
  command->add_option("--format", options->format,
                      "dir, tar (gzip-compressed) or sh (self-extracting); default: from OUT's name (.tar.gz/.tgz: "
                      "tar, .sh: sh, else dir)");
  command->add_option("--add", options->add, "Also bundle this data file or directory, at data/<its absolute path>");
  command->add_flag("--trace", options->trace,
                    "Run each program once (with the arguments after --) under glibc's LD_DEBUG=files and bundle the "
                    "libraries it dlopen()s");
  command->add_option("PROGRAM", options->programs, "The programs (each gets bin/NAME)")->required();
  command->footer(
      "Usage: elfrun bundle -o OUT [--format dir|tar|sh] [--add FILE]... [--trace] PROGRAM... "
      "[-- TRACE-ARGS...]");
  return [options]() { return run_bundle(*options); };
}

}  // namespace elfrun::cli
