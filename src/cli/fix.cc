// `elfrun fix [--apply] [--root DIR] PROGRAM...`, `elfrun fix --list`, `elfrun fix --undo [ID]`: make PROGRAM run as
// itself, system-wide and reversibly (src/fix/fix.h). Without --apply it prints the plan: each change as the shell
// command that makes it and the finding it removes; nothing is changed.
// Exit status: 0 done (or the plan printed, or nothing to do); 1 no fix can be made, a safety rule refused it, or
// the fix did not work and was rolled back; 2 usage error, an unreadable program, or --apply without root.
#include "fix/fix.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "loader/config.h"
#include "util/text.h"

namespace elfrun::cli {

namespace {

struct FixCommandOptions {
  std::string root = "/";
  bool user = false;
  std::string bin_dir;
  bool apply = false;
  bool list = false;
  bool undo = false;
  std::string undo_id;
  std::vector<std::string> programs;
};

std::string trimmed(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

std::string home() {
  const char* value = std::getenv("HOME");
  return value && value[0] == '/' ? trimmed(value) : "";
}

// --user: the journal in the user's state directory, checked from $HOME (or $XDG_STATE_HOME) on; nothing of the
// system checked or rebuilt, and $HOME itself never removed.
fix::ApplyOptions apply_options(const std::string& root, bool user) {
  fix::ApplyOptions options;
  options.root = root;
  options.journal_dir = fix::journal_directory(root, user);
  options.trusted_base = (root == "/" ? std::string() : root) + "/var/lib/elfrun";
  if (user) {
    const char* state = std::getenv("XDG_STATE_HOME");
    options.trusted_base = state && state[0] == '/' ? trimmed(state) : home();
    options.check_system = false;
    options.check_programs = false;
    options.remove_base = false;
  }
  return options;
}

// The journals of OPTIONS' journal directory, once the directory passed the trust rule; nullopt (the reason
// printed) otherwise.
std::optional<std::vector<fix::Journal>> trusted_journals(const fix::ApplyOptions& options) {
  auto trusted = fix::check_journal_directory(options.journal_dir, options.trusted_base);
  if (!trusted) {
    print_error(trusted.error().message);
    return std::nullopt;
  }
  auto journals = fix::read_journals(options.journal_dir);
  if (!journals) {
    print_error(journals.error().message);
    return std::nullopt;
  }
  return std::move(*journals);
}

int list_fixes(const std::string& root, bool user) {
  fix::ApplyOptions options = apply_options(root, user);
  auto journals = trusted_journals(options);
  if (!journals) return 1;
  if (journals->empty()) out("no fix applied (" + options.journal_dir + " lists none)\n");
  for (const fix::Journal& journal : *journals) {
    std::string programs;
    for (const std::string& program : journal.programs) programs += " " + program;
    out(fmt::format("{}  {} {}\n", journal.id, journal.created, printable(programs)));
    for (const fix::JournalEntry& entry : journal.entries) {
      std::string what = entry.kind == fix::Change::Kind::binfmt    ? " (interpreter " + entry.target + ")"
                         : entry.kind == fix::Change::Kind::symlink ? " -> " + entry.target
                         : entry.kind == fix::Change::Kind::file    ? " sha256 " + entry.sha256
                                                                    : "";
      out(fmt::format("    {} {}{}\n", fix::kind_name(entry.kind), printable(entry.path), printable(what)));
    }
    if (journal.ldconfig) out("    ldconfig (run after these, and again by --undo)\n");
    for (const std::string& change : fix::changed_entries(journal, root)) {
      out("    " + styled("changed since: " + printable(change), Style::yellow) + "\n");
    }
  }
  return 0;
}

int undo_fix(const std::string& root, const std::string& id, bool user) {
  fix::ApplyOptions options = apply_options(root, user);
  auto journals = trusted_journals(options);
  if (!journals) return 1;
  if (journals->empty()) {
    print_error("fix --undo: no fix applied (" + options.journal_dir + " lists none)");
    return 1;
  }
  const fix::Journal* chosen = &journals->back();  // the newest
  if (!id.empty()) {
    chosen = nullptr;
    for (const fix::Journal& journal : *journals) {
      if (journal.id == id) chosen = &journal;
    }
    if (!chosen) {
      print_error("fix --undo: no fix " + id + " (elfrun fix --list shows them)");
      return 2;
    }
  }
  auto done = fix::undo_journal(*chosen, options);
  if (!done) {
    print_error(done.error().message);
    return 1;
  }
  for (const std::string& line : *done) out(printable(line) + "\n");
  out("fix " + chosen->id + " undone\n");
  return 0;
}

int run_fix(const FixCommandOptions& options) {
  std::string root = trimmed(options.root);
  if (options.list + options.undo + !options.programs.empty() != 1) {
    print_error("fix: give PROGRAM..., or --list, or --undo [ID] (elfrun fix --help)");
    return 2;
  }
  if (options.user && root != "/") {
    print_error("fix: --user makes a launcher for you on this system; it does not go with --root");
    return 2;
  }
  if (options.user && home().empty()) {
    print_error("fix --user: $HOME is not set to an absolute directory");
    return 2;
  }
  prepare_stdout();
  bool privileged = ::geteuid() == 0;
  if ((options.apply || options.undo) && !privileged && !options.user) {
    print_error(std::string("fix: ") + (options.undo ? "--undo" : "--apply") +
                " changes the system and needs root (run it with sudo, or use --user for a launcher of your own); "
                "nothing was changed");
    return 2;
  }
  if (options.list) return list_fixes(root, options.user);
  if (options.undo) return undo_fix(root, options.undo_id, options.user);

  fix::FixOptions fix_options;
  fix_options.root = root;
  auto config = loader::read_configuration();
  if (!config) {
    print_error(config.error().message);
    return 2;
  }
  fix_options.discovery = std::move(*config);
  // Under --root the loader must be one of the root's (a symlink inside it cannot point out of it): its lib and usr
  // trees are where discovery looks (two levels deep: ROOT/usr/x86_64-pc-linux-gnu/lib).
  if (root != "/") {
    for (const char* tree : {"/lib", "/lib64", "/usr", "/opt"})
      fix_options.discovery.search_dirs.push_back(root + tree);
  }
  std::string bin_dir = options.bin_dir.empty() ? home() + "/.local/bin" : trimmed(util::real_path(options.bin_dir));
  std::vector<fix::FixPlan> plans;
  int status = 0;
  for (const std::string& program : options.programs) {
    fix::FixPlan plan =
        options.user ? fix::plan_user_fix(program, bin_dir, fix_options) : fix::plan_fix(program, fix_options);
    if (plan.input_error) {
      for (const std::string& problem : plan.problems) print_error(program, problem);
      return 2;
    }
    if (plan.runs_already) {
      out(printable(program) + " runs as itself already: nothing to fix\n");
      continue;
    }
    if (!plan.problems.empty()) {
      out(styled(printable(program) + ": no fix", Style::red) + "\n");
      for (const std::string& problem : plan.problems) out("  " + printable(problem) + "\n");
      status = 1;
      continue;
    }
    out(styled(fmt::format("fix for {}:", printable(program)), Style::bold) +
        (options.apply ? "\n" : " (the plan: nothing is changed without --apply)\n"));
    for (const fix::Change& change : plan.changes) {
      out("  " + styled(printable(change.command), Style::cyan) + "\n");
      out(styled("      # removes: " + printable(change.removes), Style::dim) + "\n");
    }
    plans.push_back(std::move(plan));
  }
  if (status != 0 || !options.apply || plans.empty()) return status;
  fix::ApplyOptions apply = apply_options(root, options.user);
  apply.fix = fix_options;
  auto result = fix::apply_plans(plans, apply);
  if (!result) {
    print_error("fix --apply: " + result.error().message);
    return 1;
  }
  for (const std::string& line : result->messages) out(printable(line) + "\n");
  out(fmt::format("applied as fix {} (elfrun fix {}--undo {} removes it)\n", result->journal.id,
                  options.user ? "--user " : "", result->journal.id));
  return 0;
}

}  // namespace

Runner add_fix_command(CLI::App& app) {
  auto options = std::make_shared<FixCommandOptions>();
  CLI::App* command =
      app.add_subcommand("fix", "Make a program run as itself (./PROGRAM), system-wide and reversibly.");
  command->add_option("--root", options->root, "Fix the system whose / is DIR");
  command->add_flag("--apply", options->apply, "Make the changes (without it: print them, change nothing)");
  command->add_flag("--user", options->user,
                    "No root: a launcher named after the program in ~/.local/bin (or --bin), journal in "
                    "~/.local/state/elfrun/fixes");
  command->add_option("--bin", options->bin_dir, "With --user: where the launcher goes (default ~/.local/bin)");
  command->add_flag("--list", options->list, "List the fixes applied, with what each created");
  command->add_option("--undo", options->undo_id, "Remove what fix ID created (default: the newest fix)")
      ->expected(0, 1)
      ->each([options](const std::string&) { options->undo = true; });
  command->add_option("programs", options->programs, "The programs to make run as themselves");
  command->footer(
      "Exit status: 0 done (or the plan printed), 1 no fix can be made, refused for safety, or rolled back, "
      "2 usage error, an unreadable program, or a change asked for without root.");
  return [options, command]() {
    if (command->count("--undo") > 0) options->undo = true;
    return run_fix(*options);
  };
}

}  // namespace elfrun::cli
