// `elfrun why [--root DIR] [--json] [-v] [--fast] PROGRAM [ARGS...]`: why PROGRAM won't run here, and what will
// run it. The library (diagnose/findings.h) walks execve and the loader without executing anything; this file prints
// the answer: the verdict first, then the fix (commands that work when pasted), then the evidence (more with -v).
// Exit status: 0 it would run as it is, 1 it would not, 2 usage error or a program that cannot be read or parsed.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "diagnose/findings.h"
#include "fix/fix.h"
#include "loader/config.h"
#include "run/plan.h"
#include "util/quote.h"

namespace elfrun::cli {

namespace {

using Json = nlohmann::ordered_json;
using diagnose::Diagnosis;
using diagnose::Finding;
using diagnose::Severity;

struct WhyOptions {
  std::string root = "/";
  bool json = false;
  bool verbose = false;
  bool fast = false;     // --fast: undefined symbols are not looked up
  bool symbols = false;  // --symbols: the default since the check became fast, still accepted
  std::optional<std::string> loader;
  std::vector<std::string> search;
};

Json finding_json(const Finding& finding) {
  Json object;
  object["code"] = finding.code;
  object["severity"] = std::string(diagnose::severity_name(finding.severity));
  object["subject"] = finding.subject;
  object["verdict"] = finding.verdict;
  object["evidence"] = finding.evidence;
  object["details"] = finding.details;
  object["fixes"] = finding.fixes;
  object["cause"] = finding.cause.empty() ? Json(nullptr) : Json(finding.cause);
  return object;
}

// The hand-written system-wide lines of diagnose/loader_checks.cc add_system_wide_fix, by their comments: what
// `elfrun fix --apply` does, shown under -v only once that command is offered.
bool hand_written_system_fix(const std::string& fix) {
  return fix.find("   # system-wide: ") != std::string::npos ||
         fix.find("   # and its library path, for the loader's cache") != std::string::npos;
}

// `elfrun fix --apply PROGRAM` when fix has a plan for it (the same decision `elfrun fix` prints), else "".
std::string fix_command(const Diagnosis& diagnosis, const diagnose::DiagnoseOptions& options,
                        const std::string& program) {
  // A program `run --fetch` runs: fix can make a set already in the store permanent (fix/fetched.cc).
  bool fetch = diagnosis.run_command && diagnosis.run_command->find(" --fetch ") != std::string::npos;
  if (diagnosis.runs || diagnosis.input_error || (!diagnosis.run_qemu && diagnosis.run_loader.empty() && !fetch))
    return "";
  fix::FixOptions fix_options;
  fix_options.root = options.root;
  fix_options.discovery = options.discovery;
  fix::FixPlan plan = fix::plan_fix(program, fix_options);
  if (plan.changes.empty() || !plan.problems.empty()) return "";
  std::vector<std::string> words{"elfrun", "fix", "--apply"};
  if (options.root != "/" && !options.root.empty()) {
    words.push_back("--root");
    words.push_back(options.root);
  }
  words.push_back(program);
  return util::shell_command(words);
}

void print_json(const Diagnosis& diagnosis, const std::string& fix) {
  Json object;
  object["program"] = diagnosis.program;
  object["runs"] = diagnosis.runs;
  object["summary"] = diagnosis.summary;
  object["run_command"] = diagnosis.run_command ? Json(*diagnosis.run_command) : Json(nullptr);
  object["run_command_expanded"] =
      diagnosis.run_command_expanded ? Json(*diagnosis.run_command_expanded) : Json(nullptr);
  object["fix_command"] = fix.empty() ? Json(nullptr) : Json(fix);
  object["error"] = diagnosis.input_error ? Json(*diagnosis.input_error) : Json(nullptr);
  object["findings"] = Json::array();
  for (const Finding& finding : diagnosis.findings) object["findings"].push_back(finding_json(finding));
  // Strings from files may hold any byte: escaped losslessly by the one JSON writer.
  out(json_text(object, 2) + "\n");
}

void print_lines(const std::vector<std::string>& lines, std::string_view indent) {
  for (const std::string& line : lines) out(fmt::format("{}{}\n", indent, printable(line)));
}

void print_human(const Diagnosis& diagnosis, const std::string& fix, bool verbose) {
  const Finding* first = diagnosis.first_blocking();
  bool blocked = first != nullptr || diagnosis.input_error;
  out(styled(printable(diagnosis.summary), blocked ? Style::red : Style::green) + "\n");

  // The fix: the run command that works, then the first finding's own fixes.
  std::vector<std::string> fixes;
  if (diagnosis.run_command) fixes.push_back(*diagnosis.run_command);
  if (!fix.empty()) {
    fixes.push_back(fix + "   # system-wide, reversibly (elfrun fix --undo)" +
                    (verbose ? ": it makes the system-wide changes below" : "; -v shows what it changes"));
  }
  if (first) {
    for (const std::string& line : first->fixes) {
      if (!fix.empty() && !verbose && hand_written_system_fix(line)) continue;
      fixes.push_back(line);
    }
  }
  if (!fixes.empty()) {
    out("\n" + styled("fix:", Style::bold) + "\n");
    for (size_t i = 0; i < fixes.size(); ++i) {
      out("  " + styled(printable_command(fixes[i]), Style::cyan) + "\n");
      if (i == 0 && diagnosis.run_command && diagnosis.run_command_expanded) {
        out(styled("      # it runs: " + printable(*diagnosis.run_command_expanded), Style::dim) + "\n");
      }
    }
  }
  if (first && (!first->evidence.empty() || (verbose && !first->details.empty()))) {
    out("\n" + styled("why:", Style::bold) + "\n");
    print_lines(first->evidence, "  ");
    if (verbose) print_lines(first->details, "  ");
  }
  // Everything else: the other blocking findings in full, then warnings and facts.
  bool header = false;
  for (const Finding& finding : diagnosis.findings) {
    if (&finding == first) continue;
    if (finding.severity == Severity::info && !verbose && finding.code != "static-program" &&
        finding.code != "static-pie" && finding.code != "setuid" && finding.code != "binfmt-misc") {
      continue;
    }
    if (!header) {
      out("\n" + styled("also:", Style::bold) + "\n");
      header = true;
    }
    std::string label = finding.severity == Severity::blocking  ? styled("blocking:", Style::red)
                        : finding.severity == Severity::warning ? styled("warning:", Style::yellow)
                                                                : styled("note:", Style::blue);
    out(fmt::format("  {} {}\n", label, printable(finding.verdict)));
    if (finding.severity == Severity::blocking || verbose) {
      for (const std::string& line : finding.fixes) out("      " + styled(printable_command(line), Style::cyan) + "\n");
      print_lines(finding.evidence, "      ");
    }
    if (verbose) print_lines(finding.details, "      ");
  }
  if (verbose && !diagnosis.runs) {
    out("\n" + styled("codes:", Style::bold) + "\n");
    for (const Finding& finding : diagnosis.findings) {
      out(fmt::format("  {} ({})\n", finding.code, diagnose::severity_name(finding.severity)));
    }
  }
}

int run_why(const WhyOptions& options, const std::vector<std::string>& command) {
  if (command.empty()) {
    print_error("why: a PROGRAM is required (elfrun why [OPTIONS] PROGRAM [ARGS...])");
    return 2;
  }
  // Options come before PROGRAM: what looks like one here was not recognised (a program called "-x" is "./-x").
  if (command[0].size() > 1 && command[0][0] == '-') {
    print_error("why: unknown option " + command[0] + " (elfrun why --help lists them)");
    return 2;
  }
  prepare_stdout();
  diagnose::DiagnoseOptions diagnose_options;
  diagnose_options.root = options.root;
  diagnose_options.symbols = !options.fast;
  diagnose_options.loader = options.loader;
  diagnose_options.args.assign(command.begin() + 1, command.end());
  auto config = loader::read_configuration();
  if (!config) {
    print_error(config.error().message);
    return 2;
  }
  diagnose_options.discovery = std::move(*config);
  diagnose_options.discovery.search_dirs = options.search;
  Diagnosis diagnosis = diagnose::diagnose(command[0], diagnose_options);
  std::string fix = fix_command(diagnosis, diagnose_options, command[0]);
  if (options.json) {
    print_json(diagnosis, fix);
  } else {
    print_human(diagnosis, fix, options.verbose);
  }
  std::fflush(stdout);
  if (diagnosis.input_error) {
    if (!options.json) print_error(command[0], "the diagnosis is incomplete: the file cannot be read or parsed");
    return 2;
  }
  return diagnosis.runs ? 0 : 1;
}

}  // namespace

Runner add_why_command(CLI::App& app) {
  auto options = std::make_shared<WhyOptions>();
  CLI::App* command = app.add_subcommand(
      "why", "Explain why a program won't run here, show the evidence, and give the command that runs it.");
  command->add_option("--root", options->root, "Examine the program as if DIR were / (chroot semantics)");
  command->add_flag("--json", options->json, "Print the findings as JSON");
  command->add_flag("-v,--verbose", options->verbose, "Show every finding with all its evidence");
  command->add_flag("--fast", options->fast,
                    "Skip the undefined-symbol check (the versions and libraries are still checked); the verdict "
                    "says symbols were not checked");
  command->add_flag("--symbols", options->symbols,
                    "Look for undefined symbols no loaded object defines (ldd -r, without running): the default; "
                    "accepted for compatibility");
  command->add_option("--loader", options->loader,
                      "Judge the libraries as this loader (a path inside the root) would resolve them, instead of "
                      "the program's PT_INTERP");
  command->add_option("--search", options->search, "Also look for loaders under DIR");
  // Everything from PROGRAM on belongs to the program, whatever it looks like.
  command->prefix_command();
  command->footer(
      "Usage: elfrun why [OPTIONS] PROGRAM [ARGS...]\nNothing is executed: not the program, not its "
      "libraries, not its loader.\nExit status: 0 it runs as it is, 1 it does not, 2 usage error or an "
      "unreadable file.");
  return [options, command]() { return run_why(*options, command->remaining()); };
}

}  // namespace elfrun::cli
