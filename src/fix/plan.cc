// plan_fix(): the changes that make a program run as itself, decided from its diagnosis. The diagnosis already
// found, and checked by resolving the program under it, a loader and library directories that run the program
// (diagnose/remedies.cc find_run_fix); fix makes that choice permanent where the kernel and the loader look:
//   - the interpreter is missing: a symlink at the PT_INTERP path to that loader (the kernel's execve opens
//     PT_INTERP, fs/binfmt_elf.c load_elf_binary);
//   - that loader, started by the kernel, would not find the libraries in its cache or system directories: a file
//     in /etc/ld.so.conf.d naming the directories, then ldconfig, so that /etc/ld.so.cache lists them (glibc
//     elf/dl-cache.c _dl_load_cache_lookup, filtered by the ABI flags of the program's class).
// A program the run plan gives to qemu-user is planned by foreign.cc (the root made known to the registered qemu
// binfmt_misc handler); one with no working run gets no plan.
#include "run/plan.h"

#include <sys/stat.h>

#include "diagnose/findings.h"
#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "fix/fix.h"
#include "loader/discovery.h"
#include "loader/machine_facts.h"
#include "loader/resolver.h"
#include "util/quote.h"
#include "util/text.h"

namespace elfrun::fix {

namespace {

std::string trimmed_root(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

// The program as a host path: a path under the root as is, an absolute path inside the root, a relative one as is.
std::string program_host_path(const std::string& root, const std::string& program) {
  if (root == "/" || program.empty() || program[0] != '/') return program;
  if (program.compare(0, root.size() + 1, root + "/") == 0) return program;
  return root + program;
}

diagnose::Diagnosis diagnosis_of(const std::string& program, const FixOptions& options) {
  diagnose::DiagnoseOptions diagnose_options;
  diagnose_options.root = options.root;
  diagnose_options.discovery = options.discovery;
  return diagnose::diagnose(program, diagnose_options);
}

// A loader inside the root that resolves PROGRAM with its own library directories (host paths), as
// diagnose/remedies.cc find_run_fix tries the compatible loaders, limited to those under the root.
std::optional<std::pair<std::string, std::vector<std::string>>> loader_inside_root(const std::string& program,
                                                                                   const std::string& root,
                                                                                   const FixOptions& options) {
  std::string host_program = program_host_path(root, program);
  auto bytes = elf::ByteSource::open(host_program);
  if (!bytes) return std::nullopt;
  auto object = elf::parse_elf(**bytes);
  if (!object) return std::nullopt;
  for (const loader::DiscoveredLoader& candidate : loader::discover_loaders(options.discovery)) {
    if (candidate.machine != object->header.machine || candidate.elf_class != object->ident.elf_class ||
        candidate.data != object->ident.data) {
      continue;
    }
    if (candidate.path.compare(0, root.size() + 1, root + "/") != 0) continue;
    std::string path;
    for (const std::string& dir : candidate.library_dirs) {
      if (dir.compare(0, root.size() + 1, root + "/") != 0) continue;
      path += (path.empty() ? "" : ":") + dir.substr(root.size());
    }
    loader::ResolveOptions resolve;
    resolve.root = root;
    resolve.loader_path = candidate.path.substr(root.size());
    if (!path.empty()) resolve.library_path = path;
    resolve.include_vdso = false;
    resolve.program_origin_real_path = true;
    loader::Resolver resolver(resolve);
    auto resolution = resolver.resolve(host_program);
    if (!resolution || resolution->has_missing() || resolution->fatal_error || !resolution->loader_found) continue;
    std::vector<std::string> dirs;
    for (const std::string& dir : candidate.library_dirs) {
      if (dir.compare(0, root.size() + 1, root + "/") == 0) dirs.push_back(dir);
    }
    return std::pair{candidate.path, dirs};
  }
  return std::nullopt;
}

// A path a Debian package owns is the package's to change (dpkg -S reads the same lists): false, the plan's changes
// dropped and the reason given, when one of them is.
bool check_debian_owners(FixPlan& plan, const std::string& root, const std::string& finding) {
  for (const Change& change : plan.changes) {
    if (change.path.empty() || change.kind == Change::Kind::binfmt) continue;
    if (auto owner = debian_owner(root, change.path)) {
      std::string refusal = host_of(root, change.path) + " belongs to the Debian package " + *owner +
                            " (dpkg -S): fix refuses to change a path a package owns";
      plan.changes.clear();  // `change` is gone from here on
      plan.problems.push_back(finding);
      plan.problems.push_back(refusal);
      return false;
    }
  }
  return true;
}

}  // namespace

std::string host_of(const std::string& root, const std::string& inside) { return root == "/" ? inside : root + inside; }

bool exists_no_follow(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

void add_interpreter_link(FixPlan& plan, const std::string& root, const std::string& interpreter,
                          const std::string& target, const std::string& finding) {
  std::vector<std::string> parents;
  for (std::string dir(util::dir_name(interpreter)); dir.size() > 1 && !exists_no_follow(host_of(root, dir));
       dir = std::string(util::dir_name(dir))) {
    parents.insert(parents.begin(), dir);
  }
  for (const std::string& dir : parents) {
    plan.changes.push_back({Change::Kind::directory, dir, "", "(the parent of the symlink below)",
                            util::shell_command({"mkdir", host_of(root, dir)})});
  }
  plan.changes.push_back({Change::Kind::symlink, interpreter, target, finding,
                          util::shell_command({"ln", "-s", target, host_of(root, interpreter)})});
}

bool runs_as_itself(const std::string& program, const FixOptions& options, std::string& verdict) {
  diagnose::Diagnosis diagnosis = diagnosis_of(program, options);
  verdict = diagnosis.summary;
  return diagnosis.runs;
}

std::optional<diagnose::Diagnosis> diagnosis_to_plan(const std::string& program, const FixOptions& options,
                                                     FixPlan& plan) {
  plan.program = program;
  diagnose::Diagnosis diagnosis = diagnosis_of(program, options);
  if (diagnosis.input_error) {
    plan.input_error = true;
    plan.problems.push_back(*diagnosis.input_error);
    return std::nullopt;
  }
  if (diagnosis.runs) {
    plan.runs_already = true;
    return std::nullopt;
  }
  return diagnosis;
}

FixPlan plan_fix(const std::string& program, const FixOptions& options) {
  FixPlan plan;
  std::string root = trimmed_root(options.root);
  auto diagnosed = diagnosis_to_plan(program, options, plan);
  if (!diagnosed) return plan;
  const diagnose::Diagnosis& diagnosis = *diagnosed;
  const diagnose::Finding* blocking = diagnosis.first_blocking();
  std::string finding = blocking ? blocking->verdict : diagnosis.summary;
  if (blocking && blocking->code == "ia32-disabled") {
    plan_ia32_binfmt_fix(plan, root, options, finding);
    check_debian_owners(plan, root, finding);
    return plan;
  }
  if (diagnosis.run_qemu) {
    plan_foreign_fix(plan, diagnosis, root, program_host_path(root, program), options, finding);
    check_debian_owners(plan, root, finding);
    return plan;
  }
  if (diagnosis.run_loader.empty()) {
    // A set `elfrun run --fetch` put into the store (fetched.cc).
    if (plan_fetched_fix(plan, program, program_host_path(root, program), root, options, finding)) {
      check_debian_owners(plan, root, finding);
      return plan;
    }
    plan.problems.push_back(finding);
    bool fetchable = diagnosis.run_command && diagnosis.run_command->find(" --fetch ") != std::string::npos;
    plan.problems.push_back(fetchable
                                ? "no loader on this machine runs it and the package store has no set that does: `" +
                                      *diagnosis.run_command + "` fetches one, which fix can then make permanent"
                                : "no loader on this machine runs it: fix has nothing to make permanent");
    return plan;
  }
  // Paths as the system inside the root sees them.
  auto inside = [&](const std::string& host) -> std::optional<std::string> {
    if (root == "/") return host;
    if (host.compare(0, root.size() + 1, root + "/") != 0) return std::nullopt;
    return host.substr(root.size());
  };
  auto loader = inside(diagnosis.run_loader);
  std::vector<std::string> run_dirs = diagnosis.run_library_dirs;
  if (!loader) {
    // Under --root the working run may use one of this machine's loaders; a symlink inside the root needs one of
    // the root's own.
    if (auto found = loader_inside_root(program, root, options)) {
      loader = inside(found->first);
      run_dirs = found->second;
    }
  }
  if (!loader) {
    plan.problems.push_back(finding);
    plan.problems.push_back("the loader that runs it, " + diagnosis.run_loader + ", is outside the root " + root +
                            ", and no loader inside the root resolves it");
    return plan;
  }
  std::vector<std::string> dirs;
  for (const std::string& dir : run_dirs) {
    auto dir_inside = inside(dir);
    if (!dir_inside) {
      plan.problems.push_back("its library directory " + dir + " is outside the root " + root);
      return plan;
    }
    dirs.push_back(*dir_inside);
  }

  std::string host_program = program_host_path(root, program);
  auto bytes = elf::ByteSource::open(host_program);
  if (!bytes) {
    plan.input_error = true;
    plan.problems.push_back(bytes.error().message);
    return plan;
  }
  auto object = elf::parse_elf(**bytes);
  if (!object) {
    plan.input_error = true;
    plan.problems.push_back(object.error().message);
    return plan;
  }
  if (!object->interpreter || object->interpreter->empty() || (*object->interpreter)[0] != '/') {
    plan.problems.push_back(finding);
    plan.problems.push_back(
        "it names no absolute interpreter (PT_INTERP): fix makes only interpreter and library "
        "changes");
    return plan;
  }
  const std::string& interpreter = *object->interpreter;

  // (a) The interpreter: the kernel opens PT_INTERP as it is (no search); a symlink there to the working loader.
  std::string interpreter_real = util::real_path(host_of(root, interpreter));
  bool interpreter_is_loader = !interpreter_real.empty() && interpreter_real == util::real_path(diagnosis.run_loader);
  if (!interpreter_is_loader) {
    if (exists_no_follow(host_of(root, interpreter))) {
      plan.problems.push_back(finding);
      plan.problems.push_back(interpreter + " exists and is not the loader that runs the program (" + *loader +
                              "): fix never replaces a file it did not create");
      return plan;
    }
    add_interpreter_link(plan, root, interpreter, *loader, finding);
  }

  // (b) The libraries: would the loader, started by the kernel at PT_INTERP, find them from its cache and its
  // system directories? If not, the directories go into ld.so.conf.d and the cache.
  loader::ResolveOptions resolve;
  resolve.root = options.root;
  resolve.loader_path = *loader;
  resolve.include_vdso = false;
  resolve.program_origin_real_path = true;
  loader::Resolver resolver(resolve);
  auto resolution = resolver.resolve(host_program);
  if (!resolution || resolution->has_missing()) {
    if (dirs.empty()) {
      plan.changes.clear();
      plan.problems.push_back(finding);
      plan.problems.push_back("its libraries are not found and the working run names no library directory");
      return plan;
    }
    const loader::MachineFacts* facts = loader::machine_facts(*object);
    std::string name = facts && !facts->debian_triplet.empty() ? std::string(facts->debian_triplet)
                       : facts                                 ? std::string(facts->abi)
                                                               : std::string("lib");
    std::string conf = "/etc/ld.so.conf.d/elfrun-" + name + ".conf";
    std::string text;
    for (const std::string& dir : dirs) text += dir + "\n";
    std::vector<std::string> words{"printf", "%s\\n"};
    words.insert(words.end(), dirs.begin(), dirs.end());
    std::string missing = "its libraries are not in the loader's cache or system directories";
    if (resolution) {
      for (const loader::LoadedObject& object_entry : resolution->objects) {
        if (object_entry.path.empty()) {
          missing = object_entry.name + " is not found by " + interpreter + " from its default places";
          break;
        }
      }
    }
    plan.changes.push_back({Change::Kind::file, conf, text, missing,
                            util::shell_command(words) + " > " + util::shell_command({host_of(root, conf)})});
    plan.changes.push_back({Change::Kind::ldconfig, "", "", missing,
                            root == "/" ? "ldconfig" : util::shell_command({"chroot", root, "/sbin/ldconfig"})});
    plan.host_program = host_program;
    plan.interpreter = interpreter;
    plan.library_dirs = dirs;
  }
  if (!check_debian_owners(plan, root, finding)) return plan;
  if (plan.changes.empty()) {
    plan.problems.push_back(finding);
    plan.problems.push_back("the loader at its PT_INTERP path finds everything: fix has no change to make");
  }
  return plan;
}

std::string kind_name(Change::Kind kind) {
  switch (kind) {
    case Change::Kind::directory: return "directory";
    case Change::Kind::symlink: return "symlink";
    case Change::Kind::file: return "file";
    case Change::Kind::ldconfig: return "ldconfig";
    case Change::Kind::binfmt: return "binfmt";
  }
  return "file";
}

}  // namespace elfrun::fix
