// A program that runs only with a set `elfrun run --fetch` put into the package store (fetch/provision.h): fix makes
// that set permanent. The set is found in the store alone (never apt, never the network): the run plan `run --fetch`
// would make from the store's entries.
//
// System-wide (plan_fetched_fix), nothing may lead into a user's home: what the system executes must belong to root
// and be writable by nobody else (SPEC.md "Trust and safety"), and the store is the user's. So the shared objects of
// the entries the plan uses are copied, as files fix makes and records, into ROOT/usr/local/lib/elfrun/store/ENTRY/
// (the entry's own layout under it): /usr/local is the administrator's (Debian Policy 9.1.2, no package puts files
// there), and the entry's name keeps the version, so two sets never collide. Then, as for a loader found on the
// machine (plan.cc): a symlink at PT_INTERP to the copied loader, and the copied directories in
// /etc/ld.so.conf.d/elfrun-store-TRIPLET.conf and ld.so.cache. When PT_INTERP is taken — the system's own loader,
// a trixie program on bookworm — the system's loader is never replaced: the plan says so and names `fix --user`,
// whose launcher runs the program with the store's set and changes nothing of the system.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "fix/fix.h"
#include "loader/machine_facts.h"
#include "run/plan.h"
#include "util/quote.h"
#include "util/text.h"

namespace elfrun::fix {

namespace {

constexpr const char* kCopies = "/usr/local/lib/elfrun/store";

// lib*.so*, ld*.so*: what a loader opens (as fetch/provision.cc picks the library directories of an entry).
bool is_shared_object_name(const std::string& name) {
  if (name.rfind("lib", 0) != 0 && name.rfind("ld", 0) != 0) return false;
  size_t so = name.find(".so");
  if (so == std::string::npos) return false;
  std::string rest = name.substr(so + 3);
  return rest.empty() || (rest[0] == '.' && rest.find_first_not_of("0123456789.") == std::string::npos);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

// The value after `option` in a plan's argv.
std::optional<std::string> option_value(const std::vector<std::string>& argv, const std::string& option) {
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == option) return argv[i + 1];
  }
  return std::nullopt;
}

}  // namespace

std::optional<run::RunPlan> fetched_run_plan(const std::string& host_program, const std::string& root,
                                             const FixOptions& options) {
  run::RunRequest request;
  request.program = host_program;
  if (root != "/") request.root = root;
  request.discovery = options.discovery;
  request.fetch = true;
  request.fetch_store_only = true;
  run::RunPlan plan = run::plan_run(request);
  if (plan.kind != run::RunPlan::Kind::loader || plan.store_entries.empty()) return std::nullopt;
  return plan;
}

bool plan_fetched_fix(FixPlan& plan, const std::string& program, const std::string& host_program,
                      const std::string& root, const FixOptions& options, const std::string& finding) {
  auto run_plan = fetched_run_plan(host_program, root, options);
  if (!run_plan) return false;
  auto bytes = elf::ByteSource::open(host_program);
  auto object = bytes ? elf::parse_elf(**bytes) : Expected<elf::ElfObject>(Error{""});
  if (!object || !object->interpreter || object->interpreter->empty() || (*object->interpreter)[0] != '/') {
    return false;
  }
  const std::string& interpreter = *object->interpreter;
  // A store path -> its copy inside the root.
  auto copy_of = [&](const std::string& path) -> std::optional<std::string> {
    for (const std::string& entry : run_plan->store_entries) {
      if (path.compare(0, entry.size() + 1, entry + "/") == 0) {
        return std::string(kCopies) + "/" + std::string(util::base_name(entry)) + path.substr(entry.size());
      }
    }
    return std::nullopt;
  };
  const std::string& loader = run_plan->exec_path;
  auto loader_copy = copy_of(loader);
  if (loader_copy && exists_no_follow(host_of(root, interpreter))) {
    plan.problems.push_back(finding);
    plan.problems.push_back(
        "it runs with the loader of a set in the store (" + loader + "), and " + interpreter +
        " is this system's own loader: fix never replaces it (every program of the system starts through it), so "
        "`./" +
        std::string(util::base_name(program)) + "` cannot run as itself system-wide; `elfrun fix --user " + program +
        "` makes a launcher that runs it with the store's set, and `elfrun run --fetch " + program + "` runs it");
    return true;
  }

  // The files: every shared object of the store directories the plan searches, and the loader.
  std::vector<std::string> store_dirs, copied_dirs;
  for (const std::string& dir :
       util::split_non_empty(option_value(run_plan->argv, "--library-path").value_or(""), ':')) {
    auto copied = copy_of(dir);
    if (!copied) continue;
    store_dirs.push_back(dir);
    copied_dirs.push_back(*copied);
  }
  std::set<std::string> directories;
  std::vector<Change> files;
  std::set<std::string> planned;
  auto add_file = [&](const std::string& source, const std::string& target) -> bool {
    if (!planned.insert(target).second) return true;
    struct stat st {};
    if (::lstat(source.c_str(), &st) != 0) return false;
    auto note_parents = [&] {
      for (std::string dir(util::dir_name(target)); dir.size() > 1; dir = std::string(util::dir_name(dir))) {
        directories.insert(dir);
      }
    };
    if (S_ISLNK(st.st_mode)) {
      // A link to a sibling stays one; any other is copied as the file it leads to.
      char buffer[4096];
      ssize_t length = ::readlink(source.c_str(), buffer, sizeof buffer - 1);
      std::string link = length > 0 ? std::string(buffer, static_cast<size_t>(length)) : std::string();
      if (!link.empty() && link.find('/') == std::string::npos) {
        std::string sibling = std::string(util::dir_name(source)) + "/" + link;
        struct stat target_st {};
        if (::lstat(sibling.c_str(), &target_st) == 0 && S_ISREG(target_st.st_mode)) {
          note_parents();
          files.push_back({Change::Kind::symlink, target, link, "(the fetched set, copied)",
                           util::shell_command({"ln", "-s", link, host_of(root, target)})});
          return true;
        }
      }
      // Only a file of the entry itself: trixie's usr/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/...
      // names the package's installed place, which on this machine is the system's own file, not the set's.
      std::string real = util::real_path(source);
      bool in_entry =
          std::any_of(run_plan->store_entries.begin(), run_plan->store_entries.end(), [&](const std::string& entry) {
            std::string base = util::real_path(entry);
            return !base.empty() && real.compare(0, base.size() + 1, base + "/") == 0;
          });
      if (!in_entry) {
        planned.erase(target);
        return true;  // left out
      }
      if (::stat(source.c_str(), &st) != 0) return false;
    }
    if (!S_ISREG(st.st_mode)) return false;
    auto content = read_file(source);
    if (!content) return false;
    Change change{Change::Kind::file, target, std::move(*content), "(the fetched set, copied)",
                  util::shell_command({"cp", source, host_of(root, target)})};
    change.mode = st.st_mode & 0755;
    note_parents();
    files.push_back(std::move(change));
    return true;
  };
  for (size_t i = 0; i < store_dirs.size(); ++i) {
    DIR* dir = ::opendir(store_dirs[i].c_str());
    if (dir == nullptr) continue;
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir)) {
      if (is_shared_object_name(entry->d_name)) names.emplace_back(entry->d_name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      if (!add_file(store_dirs[i] + "/" + name, copied_dirs[i] + "/" + name)) {
        plan.problems.push_back(finding);
        plan.problems.push_back("cannot read " + store_dirs[i] + "/" + name + " of the store");
        return true;
      }
    }
  }
  if (loader_copy && !add_file(loader, *loader_copy)) {
    plan.problems.push_back(finding);
    plan.problems.push_back("cannot read the store's loader " + loader);
    return true;
  }

  // The directories to make, outermost first; then the copies.
  for (const std::string& dir : directories) {
    if (!exists_no_follow(host_of(root, dir))) {
      plan.changes.push_back({Change::Kind::directory, dir, "", "(where the copies of the fetched set go)",
                              util::shell_command({"mkdir", host_of(root, dir)})});
    }
  }
  for (Change& change : files) {
    if (exists_no_follow(host_of(root, change.path))) {
      plan.changes.clear();
      plan.problems.push_back(finding);
      plan.problems.push_back(host_of(root, change.path) + " exists: fix never replaces a file it did not create");
      return true;
    }
    plan.changes.push_back(std::move(change));
  }
  // The kernel opens PT_INTERP: a symlink there to the copied loader, and its missing parents.
  if (loader_copy) add_interpreter_link(plan, root, interpreter, *loader_copy, finding);
  // The copied directories in the loader's cache: it is started by the kernel with no --library-path.
  if (!copied_dirs.empty()) {
    const loader::MachineFacts* facts = loader::machine_facts(*object);
    std::string name = facts && !facts->debian_triplet.empty() ? std::string(facts->debian_triplet)
                       : facts                                 ? std::string(facts->abi)
                                                               : std::string("lib");
    std::string conf = "/etc/ld.so.conf.d/elfrun-store-" + name + ".conf";
    std::string text;
    for (const std::string& dir : copied_dirs) text += dir + "\n";
    std::vector<std::string> words{"printf", "%s\\n"};
    words.insert(words.end(), copied_dirs.begin(), copied_dirs.end());
    std::string why = "the fetched set's libraries are in no directory its loader searches by itself";
    if (exists_no_follow(host_of(root, conf))) {
      plan.changes.clear();
      plan.problems.push_back(finding);
      plan.problems.push_back(host_of(root, conf) + " exists: fix never replaces a file it did not create");
      return true;
    }
    plan.changes.push_back({Change::Kind::file, conf, text, why,
                            util::shell_command(words) + " > " + util::shell_command({host_of(root, conf)})});
    plan.changes.push_back({Change::Kind::ldconfig, "", "", why,
                            root == "/" ? "ldconfig" : util::shell_command({"chroot", root, "/sbin/ldconfig"})});
    plan.host_program = host_program;
    plan.interpreter = interpreter;
    plan.library_dirs = copied_dirs;
  }
  return true;
}

}  // namespace elfrun::fix
