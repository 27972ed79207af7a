// #! scripts as Linux fs/binfmt_script.c runs them: the line is split into the interpreter and one optional argument
// (blanks and tabs trimmed, nothing else: a CR stays), the interpreter is opened like any program (a script may name
// a script), and fs/exec.c stops a chain deeper than five rewrites with ELOOP. "#!/usr/bin/env NAME" is followed to
// NAME in PATH, which is where env would find it.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>

#include "diagnose/walk.h"
#include "elf/identify.h"
#include "run/plan.h"
#include "util/quote.h"
#include "util/text.h"

namespace elfrun::diagnose {

namespace {

// fs/exec.c exec_binprm: "if (depth > 5) return -ELOOP" — the sixth #! (or binfmt_misc) rewrite fails.
constexpr int kMaxRewrites = 5;

// Debian packages of common script interpreters, by program name.
const std::map<std::string, std::string>& interpreter_packages() {
  static const std::map<std::string, std::string> packages = {
      {"python3", "python3"},
      {"python", "python-is-python3"},
      {"perl", "perl"},
      {"bash", "bash"},
      {"ruby", "ruby"},
      {"node", "nodejs"},
      {"nodejs", "nodejs"},
      {"php", "php-cli"},
      {"tclsh", "tcl"},
      {"wish", "tk"},
      {"lua", "lua5.4"},
      {"zsh", "zsh"},
      {"ksh", "ksh"},
      {"fish", "fish"},
      {"gawk", "gawk"},
      {"expect", "expect"},
      {"Rscript", "r-base-core"},
      {"pwsh", "powershell"},
      {"guile", "guile-3.0"},
      {"runghc", "ghc"},
  };
  return packages;
}

bool on_debian(Walk& walk) { return walk.real_host_path("/etc/debian_version").has_value(); }

// The same program name somewhere in PATH (inside the root), for "#!/usr/local/bin/python3" when only
// /usr/bin/python3 exists.
std::optional<std::string> same_name_in_path(Walk& walk, const std::string& name) {
  for (const std::string& dir : util::path_directories()) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (auto real = walk.real_host_path(candidate); real && ::access(real->c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

void add_install_fix(Walk& walk, Finding& finding, const std::string& program_name) {
  auto package = interpreter_packages().find(program_name);
  if (package != interpreter_packages().end() && on_debian(walk)) {
    finding.fixes.push_back("apt install " + package->second + "   # Debian's package with " + program_name);
  }
}

// Runs the interpreter chain further down and, when it blocks, says so first for the script.
void examine_interpreter(Walk& walk, const ExecTarget& script, const std::string& interpreter,
                         std::vector<std::string> args, const std::string& how) {
  size_t before = walk.findings.size();
  examine_file(walk, interpreter, std::move(args), script.depth + 1);
  for (size_t i = before; i < walk.findings.size(); ++i) {
    if (walk.findings[i].severity != Severity::blocking) continue;
    // The first problem of the interpreter becomes the script's, said from the script's side.
    Finding inner = std::move(walk.findings[i]);
    walk.findings.erase(walk.findings.begin() + static_cast<std::ptrdiff_t>(i));
    Finding wrapper;
    wrapper.code = "script-interpreter-fails";
    wrapper.severity = Severity::blocking;
    wrapper.subject = script.shown;
    wrapper.evidence.push_back("the #! line of " + script.shown + " names " + interpreter + how);
    std::string reason = inner.verdict;
    if (inner.code == "script-interpreter-fails") {
      // A chain: say what fails at its end, once, and list the links.
      reason = reason.substr(reason.find(", which will not run: ") + std::string(", which will not run: ").size());
      wrapper.cause = inner.cause;
      wrapper.evidence.insert(wrapper.evidence.end(), inner.evidence.begin(), inner.evidence.end());
    } else {
      std::string prefix = interpreter + " will not run: ";
      if (reason.compare(0, prefix.size(), prefix) == 0) reason = reason.substr(prefix.size());
      wrapper.cause = inner.code;
      wrapper.evidence.push_back("what fails there (" + inner.code + "):");
      for (const std::string& line : inner.evidence) wrapper.evidence.push_back("  " + line);
    }
    wrapper.verdict = script.shown + " is a script for " + interpreter + how + ", which will not run: " + reason;
    wrapper.details = std::move(inner.details);
    wrapper.fixes = std::move(inner.fixes);
    walk.findings.insert(walk.findings.begin() + static_cast<std::ptrdiff_t>(before), std::move(wrapper));
    return;
  }
  walk.summary_runs = "it is a script for " + interpreter + how + ", which runs";
}

}  // namespace

void examine_script(Walk& walk, const ExecTarget& target) {
  elf::ByteView head = target.bytes->bytes_up_to(0, 256).value_or(elf::ByteView());
  elf::ScriptInfo script = elf::parse_script_line(head);
  const std::string& shown = target.shown;
  if (!script.error.empty()) {
    Finding& finding = walk.add("script-bad-line", Severity::blocking, shown,
                                "the kernel refuses the #! line of " + shown + ": " + script.error +
                                    " — execve fails with \"Exec format error\"");
    finding.evidence.push_back("first line: " +
                               std::string(head.as_string_view().substr(0, head.as_string_view().find('\n'))));
    return;
  }
  if (target.depth >= kMaxRewrites) {
    walk.add("script-too-deep", Severity::blocking, shown,
             shown + " is the " + std::to_string(target.depth + 1) +
                 "th script in a chain of #! interpreters: Linux follows at most " + std::to_string(kMaxRewrites) +
                 " — execve fails with \"Too many levels of symbolic links\" (ELOOP)");
    return;
  }
  // The interpreter reads the script itself: execute permission is not enough.
  if (::access(target.host_path.c_str(), R_OK) != 0) {
    Finding& finding = walk.add("script-unreadable", Severity::blocking, shown,
                                shown +
                                    " is a script you may not read: its interpreter has to read it, so it fails "
                                    "with \"Permission denied\"");
    finding.fixes.push_back("chmod +r " + quote(shown));
  }

  std::string interpreter = script.interpreter;
  std::optional<std::string> argument = script.argument;
  if (script.crlf) {
    bool in_interpreter = !interpreter.empty() && interpreter.back() == '\r';
    std::string line = interpreter + (argument ? " " + *argument : std::string());
    std::string cleaned_interpreter = in_interpreter ? interpreter.substr(0, interpreter.size() - 1) : interpreter;
    Finding& finding = walk.add(
        "script-crlf", Severity::blocking, shown,
        in_interpreter ? shown + " was saved with Windows line ends (CRLF): the kernel looks for the interpreter \"" +
                             cleaned_interpreter +
                             "\\r\", with a carriage return at its end, which does not exist — that is what "
                             "\"cannot execute: required file not found\" and \"bad interpreter\" mean here"
                       : shown + " was saved with Windows line ends (CRLF): its #! line passes \"" +
                             argument->substr(0, argument->size() - 1) +
                             "\\r\", with a carriage return at its end, to " + interpreter +
                             ", which finds no program of that name — that is what \"No such file or "
                             "directory\" means here");
    finding.evidence.push_back("the #! line ends with \\r\\n: \"#!" + std::string(line.begin(), line.end() - 1) +
                               "\\r\"");
    if (in_interpreter && walk.real_host_path(cleaned_interpreter)) {
      finding.evidence.push_back(cleaned_interpreter + " itself exists");
    }
    finding.fixes.push_back("sed -i 's/\\r$//' " + quote(shown) +
                            "   # remove the carriage returns (dos2unix does it too)");
    // Go on with the line as it was meant, for the problems a fixed script would still have.
    interpreter = cleaned_interpreter;
    if (!in_interpreter && argument) argument->pop_back();
    if (in_interpreter) argument.reset();
  }

  std::vector<std::string> args;
  if (argument) args.push_back(*argument);
  args.push_back(shown);
  args.insert(args.end(), target.args.begin(), target.args.end());
  // In a printed command the script is an argument of its interpreter: "-x" would be read as an option there.
  std::vector<std::string> printed_args = args;
  if (!shown.empty() && shown[0] == '-') printed_args[argument ? 1 : 0] = "./" + shown;
  // A script that is fine but cannot be executed itself (noexec mount, no x bit) runs when its interpreter is run.
  for (Finding& finding : walk.findings) {
    if (finding.subject == shown && (finding.code == "noexec-mount" || finding.code == "not-executable")) {
      std::vector<std::string> command{interpreter};
      command.insert(command.end(), printed_args.begin(), printed_args.end());
      finding.fixes.insert(finding.fixes.begin(),
                           util::shell_command(command) + "   # its interpreter runs it as it is");
    }
  }

  auto real = walk.real_host_path(interpreter);
  if (!real) {
    Finding& finding = walk.add("script-interpreter-missing", Severity::blocking, shown,
                                shown + " is a script for " + interpreter +
                                    ", which does not exist: " + walk.explain_missing(interpreter) +
                                    " — that is what \"bad interpreter: No such file or directory\" means");
    finding.evidence.push_back("the #! line of " + shown + " names " + interpreter);
    std::string name(util::base_name(interpreter));
    if (auto elsewhere = same_name_in_path(walk, name); elsewhere && *elsewhere != interpreter) {
      std::vector<std::string> command{*elsewhere};
      command.insert(command.end(), printed_args.begin(), printed_args.end());
      finding.fixes.push_back(util::shell_command(command) + "   # " + *elsewhere + " is there");
      // The interpreter is the first word after "#!" (Linux fs/binfmt_script.c: blanks before it are skipped, a
      // blank or the line's end ends it), so the sed expression matches it by shape and never holds its bytes.
      std::string expression = "1s|^#![[:blank:]]*[^[:blank:]]*|#!" + util::sed_replacement(*elsewhere) + "|";
      finding.fixes.push_back("sed -i " + util::shell_quote(expression) + " " + quote(shown) +
                              "   # or make the #! line name it");
    }
    add_install_fix(walk, finding, name);
    return;
  }
  examine_interpreter(walk, target, interpreter, args, "");

  // #!/usr/bin/env NAME: env looks NAME up in PATH when the script runs.
  if (util::base_name(interpreter) == "env" && argument && !argument->empty() && (*argument)[0] != '-') {
    std::string name = argument->substr(0, argument->find_first_of(" \t"));
    if (name.find('=') != std::string::npos) return;  // env NAME=VALUE: an assignment, not a program
    auto found = same_name_in_path(walk, name);
    if (name.find('/') != std::string::npos) found = walk.real_host_path(name) ? std::optional(name) : std::nullopt;
    if (!found) {
      Finding& finding = walk.add("script-env-program-missing", Severity::blocking, shown,
                                  shown + " runs " + name + " through " + interpreter +
                                      ", and no directory of PATH "
                                      "has a program called " +
                                      name + " — env says \"No such file or directory\"");
      finding.evidence.push_back("PATH=" + std::string(std::getenv("PATH") ? std::getenv("PATH") : ""));
      add_install_fix(walk, finding, name);
      return;
    }
    std::vector<std::string> env_args(args.begin() + 1, args.end());
    examine_interpreter(walk, target, *found, env_args, " (through " + interpreter + ")");
  }
}

}  // namespace elfrun::diagnose
