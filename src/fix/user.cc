// plan_user_fix(): `elfrun fix --user`, for a user without root. Nothing of the system changes: a launcher named
// after the program goes into the user's bin directory (~/.local/bin), so that `m64` on PATH runs it. The launcher is
// the bundle's freestanding one (src/bundle/launcher/launcher.c: raw system calls, no shell, no libc), patched with
// absolute paths, which it takes as they are: it execs the loader, library directories and program of the working
// `elfrun run` the diagnosis found and checked (diagnose/remedies.cc find_run_fix), with the user's argv[0] passed
// on through --argv0 where the loader takes it. Its exit status and signals are the program's own (exec, no parent).
// A foreign program's launcher execs qemu-user as `elfrun run` does: qemu-ARCH -L ROOT -0 NAME PROGRAM, ROOT being
// the root with the program's loader at its PT_INTERP path (the launcher's flag "q", bundle/launcher_data.h).
#include <elf.h>
#include <sys/stat.h>

#include "bundle/launcher_data.h"
#include "diagnose/findings.h"
#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "fix/fix.h"
#include "loader/kernel_machines.h"
#include "loader/machine_facts.h"
#include "run/plan.h"
#include "util/quote.h"
#include "util/text.h"

namespace elfrun::fix {

FixPlan plan_user_fix(const std::string& program, const std::string& bin_dir, const FixOptions& options) {
  FixPlan plan;
  auto diagnosed = diagnosis_to_plan(program, options, plan);
  if (!diagnosed) return plan;
  const diagnose::Diagnosis& diagnosis = *diagnosed;
  const diagnose::Finding* blocking = diagnosis.first_blocking();
  std::string finding = blocking ? blocking->verdict : diagnosis.summary;
  std::string program_path = util::real_path(program);
  // A program that runs only with a set `run --fetch` put into the store: the launcher runs it with that set, in
  // the user's own store (the user's trust; fix/fetched.cc copies it for a system-wide fix instead).
  std::optional<run::RunPlan> fetched;
  if (!diagnosis.run_command_expanded || (!diagnosis.run_qemu && diagnosis.run_loader.empty())) {
    fetched = fetched_run_plan(program_path, options.root, options);
    if (!fetched) {
      plan.problems.push_back(finding);
      bool fetchable = diagnosis.run_command && diagnosis.run_command->find(" --fetch ") != std::string::npos;
      plan.problems.push_back(fetchable ? "no loader on this machine runs it and the package store has no set that "
                                          "does: `" +
                                              *diagnosis.run_command + "` fetches one first"
                                        : "no loader on this machine runs it: no launcher can be made");
      return plan;
    }
  }
  auto bytes = elf::ByteSource::open(program_path);
  auto object = bytes ? elf::parse_elf(**bytes) : Expected<elf::ElfObject>(Error{"cannot open " + program_path});
  if (!object) {
    plan.input_error = true;
    plan.problems.push_back(object.error().message);
    return plan;
  }
  // The launcher runs on this machine's kernel: the one built for the loader's machine (for qemu-user, this
  // machine's own).
  uint16_t launcher_machine = object->header.machine;
  if (diagnosis.run_qemu) launcher_machine = loader::kernel_machine() == "x86_64" ? EM_X86_64 : EM_386;
  std::string_view launcher = bundle::embedded_launcher(launcher_machine);
  if (launcher.empty()) {
    plan.problems.push_back(finding);
    plan.problems.push_back("elfrun has no freestanding launcher for this program's machine");
    return plan;
  }
  // What the checked run passes to the loader (elfrun run --print), so that the launcher runs it the same way.
  const std::string expanded = fetched ? util::shell_command(fetched->argv) : *diagnosis.run_command_expanded;
  bundle::LauncherData data;
  data.program = program_path;
  data.loader = diagnosis.run_loader;
  data.library_dirs = diagnosis.run_library_dirs;
  if (fetched) {
    data.loader = fetched->exec_path;
    data.library_dirs.clear();
    for (size_t i = 0; i + 1 < fetched->argv.size(); ++i) {
      if (fetched->argv[i] == "--library-path") data.library_dirs = util::split_non_empty(fetched->argv[i + 1], ':');
    }
  }
  data.pass_argv0 = expanded.find(" --argv0 ") != std::string::npos;
  data.inhibit_cache = expanded.find(" --inhibit-cache") != std::string::npos;
  if (diagnosis.run_qemu) {
    // A foreign program: the launcher execs qemu-ARCH -L ROOT -0 NAME PROGRAM, as `elfrun run` does, with the root
    // that has the program's loader at its PT_INTERP path (run_loader is ROOT + PT_INTERP).
    const loader::MachineFacts* facts = loader::machine_facts(*object);
    auto qemu = facts ? run::find_in_path(std::string(facts->qemu)) : std::nullopt;
    if (!qemu) {
      plan.problems.push_back(finding);
      plan.problems.push_back("qemu-user for this machine is not on PATH: install the qemu-user package");
      return plan;
    }
    data = bundle::LauncherData();
    data.program = program_path;
    data.loader = util::real_path(*qemu);
    data.qemu_user = true;
    const std::string& loader = diagnosis.run_loader;
    const std::string interpreter = object->interpreter.value_or("");
    if (!interpreter.empty() && loader.size() > interpreter.size() &&
        loader.compare(loader.size() - interpreter.size(), interpreter.size(), interpreter) == 0) {
      data.library_dirs = {loader.substr(0, loader.size() - interpreter.size())};
    }
  }
  auto patched = bundle::patch_launcher(launcher, data);
  if (!patched) {
    plan.problems.push_back(finding);
    plan.problems.push_back(patched.error().message);
    return plan;
  }
  std::string path = bin_dir + "/" + std::string(util::base_name(program_path));
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    plan.problems.push_back(finding);
    plan.problems.push_back(path + " exists: fix never replaces a file it did not create");
    return plan;
  }
  // The bin directory and its missing parents, outermost first: created, recorded, and removed again by --undo.
  std::vector<std::string> parents;
  for (std::string dir = bin_dir; dir.size() > 1 && ::lstat(dir.c_str(), &st) != 0;
       dir = std::string(util::dir_name(dir))) {
    parents.insert(parents.begin(), dir);
  }
  for (const std::string& dir : parents) {
    plan.changes.push_back(
        {Change::Kind::directory, dir, "", "(where the launcher goes)", util::shell_command({"mkdir", dir})});
  }
  std::vector<std::string> words{data.loader};
  std::string dirs;
  for (const std::string& dir : data.library_dirs) dirs += (dirs.empty() ? "" : ":") + dir;
  if (data.qemu_user) {
    if (!dirs.empty()) words.insert(words.end(), {"-L", dirs});
    words.insert(words.end(), {"-0", "NAME"});
  } else {
    if (data.pass_argv0) words.insert(words.end(), {"--argv0", "NAME"});
    if (!dirs.empty()) words.insert(words.end(), {"--library-path", dirs});
    if (data.inhibit_cache) words.push_back("--inhibit-cache");
  }
  words.push_back(data.program);
  Change change;
  change.kind = Change::Kind::file;
  change.path = path;
  change.content = std::move(*patched);
  change.mode = 0755;
  change.removes = finding + " (for you: " + std::string(util::base_name(path)) + " on PATH)";
  change.command = "# " + util::shell_command({path}) + ": elfrun's launcher, which execs " +
                   util::shell_command(words) + " ARGS...";
  plan.changes.push_back(std::move(change));
  return plan;
}

}  // namespace elfrun::fix
