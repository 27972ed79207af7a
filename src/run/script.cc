// `elfrun run` of a #! script (issue 4): follows the script's #! interpreters as the kernel would (Linux
// fs/binfmt_script.c and fs/exec.c), plans the program that finally runs with plan.cc's decision, and either hands
// the script to the kernel unchanged (that program runs as it is) or runs that program itself, through a loader or
// qemu-user, with the argv the kernel would have built.
#include "run/script.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "elf/byte_source.h"
#include "elf/identify.h"
#include "util/access_log.h"
#include "util/text.h"

namespace elfrun::run {

namespace {

bool starts_with_shebang(std::string_view head) { return head.size() >= 2 && head[0] == '#' && head[1] == '!'; }

elf::ByteView view_of(const std::string& bytes) {
  return elf::ByteView(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// What the kernel's open_exec of a #! interpreter would fail with (fs/exec.c do_open_execat: the path resolved from
// the working directory, a regular file with execute permission, else EACCES), or 0 when it opens.
// The answers are reported to the access log, so that a cached plan (run/plan_cache.h) is made again when they change.
int interpreter_open_error(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int error = errno;
    util::watch_stat(path, nullptr, error);
    return error;
  }
  util::watch_stat(path, &st, 0);
  if (!S_ISREG(st.st_mode)) return EACCES;
  util::watch_access(path);
  if (::access(path.c_str(), X_OK) != 0) return EACCES;
  return 0;
}

// The first bytes of the file the kernel would look at next; empty when it cannot be read (an execute-only file:
// the kernel reads it anyway, elfrun cannot, and treats it as no script).
std::string head_of(const std::string& path) {
  util::watch_path(path);
  auto source = elf::ByteSource::open(path);
  if (!source) return {};
  auto head = (*source)->bytes_up_to(0, kShebangBufferSize);
  if (!head) return {};
  return std::string(head->as_string_view());
}

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

// "#!/usr/bin/env NAME": the program env would execvp, as execvp finds it (glibc posix/execvpe.c: a name with '/' is
// used as it is, else each PATH directory in turn; run::find_in_path). nullopt when there is none.
std::optional<std::string> env_lookup(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return interpreter_open_error(name) == 0 ? std::optional(name) : std::nullopt;
  }
  return find_in_path(name);
}

}  // namespace

Expected<Shebang> parse_shebang(elf::ByteView head) {
  // One splitter of #! lines in the library: elf/identify.cc reproduces load_script step by step for `info`.
  elf::ScriptInfo info = elf::parse_script_line(head);
  if (!info.error.empty()) return Error{info.error};
  return Shebang{std::move(info.interpreter), std::move(info.argument)};
}

std::optional<std::string> env_command(const Shebang& shebang) {
  if (util::base_name(shebang.interpreter) != "env" || !shebang.argument) return std::nullopt;
  const std::string& word = *shebang.argument;
  // The kernel passes the whole rest of the line as one argument: with a blank inside, env looks for a program whose
  // name contains that blank, and options (-S, -i...) or assignments change what env does. Those are not followed.
  if (word.empty() || word[0] == '-' || word.find_first_of(" \t=") != std::string::npos) return std::nullopt;
  return word;
}

RunPlan plan_script(const RunRequest& request, const std::string& script, elf::ByteView head, int env_hops) {
  RunPlan plan;
  // The kernel drops a script's argv[0] (fs/binfmt_script.c: remove_arg_zero) and passes the script's path in its
  // place, so --argv0 has nothing to keep for a script: it is ignored (and --print shows the plain command).
  auto hand_to_kernel = [&](const std::string& why) {
    plan.kind = RunPlan::Kind::direct;
    plan.exec_path = script;
    plan.argv = {request.program};
    plan.argv.insert(plan.argv.end(), request.args.begin(), request.args.end());
    plan.reasons.push_back(why);
    return plan;
  };
  auto refuse = [&](int status, const std::string& message) {
    plan.kind = RunPlan::Kind::refused;
    plan.refusal_status = status;
    plan.refusal = message;
    if (plan.refusal.find("`elfrun why ") == std::string::npos) {
      plan.refusal += "; `elfrun why " + request.program + "` explains";
    }
    return plan;
  };

  // The reasons of the plan made for another file, each naming that file (they say "its interpreter" of its ELF
  // PT_INTERP), except those of a script, which name theirs.
  auto add_reasons_of = [&](const std::string& file, const RunPlan& other) {
    for (const std::string& reason : other.reasons) {
      plan.reasons.push_back(reason.rfind("a #! script", 0) == 0 ? reason : file + ": " + reason);
    }
  };

  // Follows the chain: the script, its interpreter when that is a script too, and so on (fs/exec.c exec_binprm
  // loops over the handlers, each #! handler naming the next file). Each level puts [ARG?, ITS SCRIPT] in front of
  // the arguments; the script's path is the one the kernel was given: `script` here, then each #! line's text.
  std::vector<std::string> args = request.args;
  std::string current = script;
  std::string current_head(head.as_string_view().substr(0, kShebangBufferSize));
  std::vector<std::string> chain;  // the scripts followed after the first, for messages
  Shebang shebang;
  for (int level = 0;; ++level) {
    auto parsed = parse_shebang(view_of(current_head));
    if (!parsed) {
      // ENOEXEC for the whole execve: the kernel reports it ("Exec format error"), as it would without elfrun.
      return hand_to_kernel("a #! script, " + current + ", whose #! line the kernel refuses (" +
                            parsed.error().message + "): handed to the kernel as it is");
    }
    shebang = std::move(*parsed);
    const std::string& interpreter = shebang.interpreter;
    plan.reasons.push_back("a #! script: " + current + "'s interpreter is " + interpreter +
                           (shebang.argument ? " with the argument " + quoted(*shebang.argument) : std::string()));
    if (int error = interpreter_open_error(interpreter)) {
      // bash execute_cmd.c words it "SCRIPT: INTERP: bad interpreter: REASON"; the script that names the missing
      // interpreter is added when it is not the one that was run.
      std::string named_by = chain.empty() ? std::string() : " (named by the #! line of " + current + ")";
      return refuse(error == ENOENT || error == ENOTDIR ? 127 : 126,
                    script + ": " + interpreter + ": bad interpreter: " + std::strerror(error) + named_by);
    }
    if (level >= kMaxScriptLevels) {  // the next file would be the kernel's seventh handler
      std::string all = script;
      for (const std::string& link : chain) all += " -> " + link;
      return refuse(126, script + ": " + std::to_string(kMaxScriptLevels + 1) +
                             " #! scripts in a row, more than the kernel follows (" + std::to_string(kMaxScriptLevels) +
                             "): " + all + " -> " + interpreter + ": Too many levels of symbolic links (ELOOP)");
    }
    // The interpreter's argv (fs/binfmt_script.c): [INTERP, ARG (if any), SCRIPT, the script's arguments].
    args.insert(args.begin(), current);
    if (shebang.argument) args.insert(args.begin(), *shebang.argument);
    std::string next_head = head_of(interpreter);
    if (!starts_with_shebang(next_head)) break;
    chain.push_back(interpreter);
    current = interpreter;
    current_head = std::move(next_head);
  }

  const std::string& interpreter = shebang.interpreter;
  RunRequest for_interpreter = request;
  // The kernel opens a #! interpreter by the path written on the line: a name without '/' is relative to the working
  // directory, never looked up in PATH. Its argv[0] is that text (--argv0 when it goes through a loader).
  for_interpreter.program = interpreter.find('/') == std::string::npos ? "./" + interpreter : interpreter;
  for_interpreter.argv0 = interpreter;
  for_interpreter.args = args;
  RunPlan interpreter_plan = plan_run_after_env_hops(for_interpreter, env_hops);
  add_reasons_of(interpreter, interpreter_plan);

  if (interpreter_plan.kind == RunPlan::Kind::refused) {
    return refuse(interpreter_plan.refusal_status,
                  script + ": its #! interpreter " + interpreter + " cannot run: " + interpreter_plan.refusal);
  }
  if (interpreter_plan.kind != RunPlan::Kind::direct) {
    plan.kind = interpreter_plan.kind;
    plan.exec_path = std::move(interpreter_plan.exec_path);
    plan.argv = std::move(interpreter_plan.argv);
    plan.reasons.push_back("a #! script: its interpreter " + interpreter +
                           " does not run as it is: elfrun runs it as shown, with the argv the kernel would give it");
    return plan;
  }

  // env runs as it is; the program it would execvp may not (fs/binfmt_script.c gave env [env, NAME, SCRIPT, ...];
  // env then gives NAME [NAME, SCRIPT, ...], a new execve whose #! count starts again).
  if (auto name = env_command(shebang)) {
    auto found = env_lookup(*name);
    if (!found) {
      return hand_to_kernel("a #! script: " + interpreter + " finds no " + *name +
                            " to run: handed to the kernel as it is (env reports it)");
    }
    if (env_hops + 1 > kMaxEnvHops) {
      return refuse(126, script + ": #!" + interpreter + " lines lead from one to the next more than " +
                             std::to_string(kMaxEnvHops) + " times (the last runs " + *found +
                             "): a loop that env would follow forever");
    }
    RunRequest for_command = request;
    for_command.program = *found;
    for_command.argv0 = *name;  // execvp keeps the name as given
    for_command.args.assign(args.begin() + 1, args.end());
    RunPlan command_plan = plan_run_after_env_hops(for_command, env_hops + 1);
    plan.reasons.push_back("a #! script: " + interpreter + " runs as it is and would run " + *name + ", found at " +
                           *found);
    add_reasons_of(*found, command_plan);
    if (command_plan.kind == RunPlan::Kind::refused) {
      // Said once, by the first script: the scripts env leads to in turn have said what went wrong.
      if (env_hops > 0) return refuse(command_plan.refusal_status, command_plan.refusal);
      return refuse(command_plan.refusal_status, script + ": " + *name + ", which its #!" + interpreter +
                                                     " line runs, cannot run: " + command_plan.refusal);
    }
    if (command_plan.kind != RunPlan::Kind::direct) {
      plan.kind = command_plan.kind;
      plan.exec_path = std::move(command_plan.exec_path);
      plan.argv = std::move(command_plan.argv);
      plan.reasons.push_back("a #! script: " + *found + " does not run as it is: elfrun runs it in env's place, " +
                             "with the argv env would give it");
      return plan;
    }
    return hand_to_kernel("a #! script: " + *found + " runs as it is too: the script is handed to the kernel as it is");
  }
  return hand_to_kernel("a #! script: its interpreter " + interpreter +
                        " runs as it is: the script is handed to the kernel as it is");
}

}  // namespace elfrun::run
