// The provisioning loop of provision.h: check, name the packages for what is unmet, take them, check again.
#include "fetch/provision.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "fetch/apt.h"
#include "fetch/architecture.h"
#include "fetch/contents.h"
#include "fetch/contents_index.h"
#include "fetch/policy.h"
#include "fetch/store.h"
#include "loader/filesystem.h"
#include "util/cache_file.h"
#include "util/text.h"

namespace elfrun::fetch {

namespace {

// lib*.so, lib*.so.N..., ld*.so.N: what a loader opens (not libstdc++.so.6.0.33-gdb.py).
bool is_shared_object_name(const std::string& name) {
  if (name.rfind("lib", 0) != 0 && name.rfind("ld", 0) != 0) return false;
  size_t so = name.find(".so");
  if (so == std::string::npos) return false;
  std::string rest = name.substr(so + 3);
  return rest.empty() || (rest[0] == '.' && rest.find_first_not_of("0123456789.") == std::string::npos);
}

// The directories of an entry that hold shared objects (regular files or symlinks to them), in a stable order.
std::vector<std::string> library_dirs_of(const std::string& entry) {
  std::set<std::string> dirs;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(entry, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    std::string name = it->path().filename().string();
    if (!is_shared_object_name(name)) continue;
    // Debug files and gconv modules are not what a loader searches for.
    std::string dir = it->path().parent_path().string();
    if (dir.find("/debug") != std::string::npos || dir.find("/gconv") != std::string::npos) continue;
    std::error_code ignored;
    if (it->is_regular_file(ignored) || it->is_symlink(ignored)) dirs.insert(dir);
  }
  return {dirs.begin(), dirs.end()};
}

// The loader named `name` (PT_INTERP's last component) in an entry: a regular file, or a symlink that resolves to
// one inside the entry (libc6-amd64 has lib64/ld-linux-x86-64.so.2 -> ld.so); one that leads out of it (trixie's
// lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/..., meant for the package's installed place) is not it.
std::optional<std::string> loader_in(const std::string& entry, const std::string& name) {
  std::error_code error;
  std::string root = std::filesystem::canonical(entry, error).string();
  if (error) return std::nullopt;
  std::vector<std::string> found;
  for (auto it = std::filesystem::recursive_directory_iterator(entry, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->path().filename() != name) continue;
    std::error_code ignored;
    std::filesystem::path real = std::filesystem::canonical(it->path(), ignored);
    if (ignored || real.string().compare(0, root.size() + 1, root + "/") != 0) continue;
    if (std::filesystem::is_regular_file(real, ignored)) found.push_back(real.string());
  }
  std::sort(found.begin(), found.end());
  if (found.empty()) return std::nullopt;
  return found.front();
}

struct Context {
  const ProvisionRequest& request;
  std::string interp;        // PT_INTERP's last component
  std::string program_arch;  // amd64
  std::string archive_arch;  // amd64, or the machine's own for a biarch program (i386 for libc6-amd64)
  Store store = Store::for_user();
  std::optional<std::string> mirror;
  std::map<std::string, std::unique_ptr<AptState>> states;  // by suite
  std::string download_dir;

  ~Context() {
    if (!download_dir.empty()) {
      std::error_code error;
      std::filesystem::remove_all(download_dir, error);
    }
  }

  void say(const std::string& line) const {
    if (request.progress) request.progress(line);
  }

  // The packages the policy names for one unmet need.
  std::vector<std::string> packages_for(const Unmet& unmet) const {
    if (unmet.soname == interp || is_glibc_soname(unmet.soname)) {
      return packages_for_soname("libc.so.6", program_arch, archive_arch);
    }
    return packages_for_soname(unmet.soname, program_arch, archive_arch);
  }

  Expected<AptState*> state_of(const std::string& suite) {
    if (request.store_only) return Error{"only the store's entries are used (`elfrun run --fetch` fetches)"};
    auto& slot = states[suite];
    if (slot) return slot.get();
    if (!mirror) {
      auto found = machine_mirror();
      if (!found) return found.error();
      mirror = *found;
    }
    auto state = AptState::open(Archive{*mirror, suite, archive_arch});
    if (!state) return state.error();
    slot = std::make_unique<AptState>(std::move(*state));
    if (!slot->has_indexes()) say("reading the package indexes of " + suite + " (" + archive_arch + ")");
    if (auto updated = slot->update(); !updated) {
      slot.reset();
      return updated.error();
    }
    return slot.get();
  }

  // Whether the archive's Contents index may name a package for `need`: not glibc's loader and libraries, nor the
  // C++ runtime (the policy names theirs, in every suite), nor a multilib package of the other class.
  bool contents_may_name(const Unmet& need) const {
    return program_arch == archive_arch && need.soname != interp && !is_runtime_soname(need.soname) &&
           need.soname != "(unknown)";
  }

  // By suite: the libraries a package the policy names is in the suite for. Then the Contents index is not read
  // for them when they are there but too old (trixie's curl on bookworm: bookworm's libcurl4 lacks its symbols),
  // only when they are still missing: it is large, and the policy's guess did not fail.
  std::map<std::string, std::set<std::string>> policy_named;
  bool contents_wanted(const std::string& suite, const Unmet& need) const {
    if (!contents_may_name(need)) return false;
    auto named = policy_named.find(suite);
    return named == policy_named.end() || named->second.count(need.soname) == 0 || need.what == "missing";
  }

  std::map<std::string, ContentsAnswers> contents;      // by suite: what its Contents index says of the paths asked
  std::map<std::string, std::string> contents_failure;  // by suite: why its Contents index could not be read

  // The packages of `suite` that ship the library `need` names, from its Contents index, in the loader's order of
  // the paths it would find the library at (contents.h). One read answers every need of `unmet` at once.
  std::vector<std::string> shipping(const std::string& suite, const Unmet& need, const std::vector<Unmet>& unmet) {
    if (!contents_wanted(suite, need) || contents_failure.count(suite) != 0) return {};
    ContentsAnswers& known = contents[suite];
    std::vector<std::string> paths;
    for (const Unmet& other : unmet) {
      if (!contents_wanted(suite, other)) continue;
      for (const std::string& path : library_candidate_paths(other.soname, *request.object)) {
        if (known.count(path) == 0 && std::find(paths.begin(), paths.end(), path) == paths.end()) {
          paths.push_back(path);
        }
      }
    }
    if (!paths.empty()) {
      auto state = state_of(suite);
      if (!state) return {};
      auto answers = look_up_contents(**state, paths, [this](const std::string& line) { say(line); });
      if (!answers) {
        contents_failure[suite] = answers.error().message;
        say(suite + ": " + answers.error().message);
        return {};
      }
      known.insert(answers->begin(), answers->end());
    }
    std::vector<std::string> own = library_candidate_paths(need.soname, *request.object);
    std::vector<std::string> packages = packages_in_order(own, known);
    if (!packages.empty() && !paths.empty()) {
      std::string list;
      for (const std::string& package : packages) list += (list.empty() ? "" : ", ") + package;
      say(need.soname + " is in " + list + " (" + suite + "'s Contents index)");
    }
    return packages;
  }

  // For a suite's failure line: what its Contents index said of the libraries it was asked about.
  std::string contents_note(const std::string& suite, const std::vector<Unmet>& unmet) const {
    if (auto failed = contents_failure.find(suite); failed != contents_failure.end()) {
      return " (its Contents index, which names the package of a library Debian's policy does not, could not be "
             "read: " +
             failed->second + ")";
    }
    auto known = contents.find(suite);
    if (known == contents.end()) return {};
    std::string absent;
    std::set<std::string> listed;
    for (const Unmet& need : unmet) {
      if (!contents_may_name(need)) continue;
      std::vector<std::string> paths = library_candidate_paths(need.soname, *request.object);
      bool asked = !paths.empty() && std::all_of(paths.begin(), paths.end(), [&](const std::string& path) {
        return known->second.count(path) != 0;
      });
      if (asked && packages_in_order(paths, known->second).empty() && listed.insert(need.soname).second) {
        absent += (absent.empty() ? "" : ", ") + need.soname;
      }
    }
    return absent.empty() ? std::string() : " (no package of " + suite + " ships " + absent + ": its Contents index)";
  }

  Expected<std::string> download(const AptState& state, const std::string& package, const std::string& version) {
    if (download_dir.empty()) {
      std::string base = util::user_cache_directory("downloads");
      if (base.empty()) return Error{"no cache directory to download into"};
      int fd = util::open_cache_directory(base, true);
      if (fd < 0) return Error{base + ": cannot be used to download into"};
      ::close(fd);
      std::string temporary = base + "/XXXXXX";
      if (::mkdtemp(temporary.data()) == nullptr) return Error{base + ": cannot make a temporary directory"};
      download_dir = temporary;
    }
    return state.download(package, version, download_dir);
  }
};

// The glibc version nodes the unmet needs ask for ("GLIBC_2.38").
std::vector<std::string> glibc_nodes(const std::vector<Unmet>& unmet) {
  std::vector<std::string> nodes;
  for (const Unmet& need : unmet) {
    if (!is_glibc_soname(need.soname) || need.what.rfind("version GLIBC_", 0) != 0) continue;
    std::string node = need.what.substr(8, need.what.find(' ', 8) - 8);
    nodes.push_back(node);
  }
  return nodes;
}

bool covers_all(const std::string& package_version, const std::vector<std::string>& nodes) {
  return std::all_of(nodes.begin(), nodes.end(),
                     [&](const std::string& node) { return glibc_package_covers(package_version, node); });
}

// The names of `packages` joined for a message: "libc6-amd64:i386, lib64stdc++6:i386".
std::string package_list(const std::vector<std::string>& packages, const std::string& arch) {
  std::string text;
  for (const std::string& name : packages) text += (text.empty() ? "" : ", ") + name + ":" + arch;
  return text;
}

// The machine's own configuration: its loader at PT_INTERP, on the host or inside the root.
Configuration machine_configuration(const elf::ElfObject& object, const std::string& root) {
  Configuration host;
  host.loader = root.empty() ? *object.interpreter : root + *object.interpreter;
  host.root = root;
  // Under a root, the loader runs on this machine with --inhibit-cache (`run --root`): DIR's ld.so.cache is not
  // what it would read.
  host.inhibit_cache = !root.empty();
  return host;
}

}  // namespace

MachineOf machine_of_root(const std::string& root, const std::string& fallback_arch) {
  if (root.empty() || root == "/") return {machine_suite(), machine_architecture()};
  MachineOf machine;
  loader::RootedFs fs(root);
  auto text_of = [&](const std::string& path) {
    auto bytes = fs.read_file(path);
    auto view = bytes ? bytes->whole() : std::nullopt;
    return view ? std::string(view->as_string_view()) : std::string();
  };
  machine.suite = os_release_codename(text_of("/etc/os-release"));
  if (machine.suite.empty()) machine.suite = os_release_codename(text_of("/usr/lib/os-release"));
  std::string arch = text_of("/var/lib/dpkg/arch");
  arch = arch.substr(0, arch.find('\n'));
  if (!arch.empty() && arch.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos) {
    machine.arch = arch;
  }
  // Without that file (no --add-architecture ever: debootstrap's roots), dpkg's own: the machine of DIR's dpkg.
  if (machine.arch.empty()) {
    const loader::OpenedFile& dpkg = fs.open("/usr/bin/dpkg");
    auto object = dpkg.error == 0 && dpkg.bytes ? elf::parse_elf(*dpkg.bytes) : Expected<elf::ElfObject>(Error{""});
    if (object) {
      if (auto dpkg_arch = debian_architecture(*object)) machine.arch = *dpkg_arch;
    }
  }
  if (machine.arch.empty()) machine.arch = fallback_arch;
  return machine;
}

bool Provision::fetched_any() const {
  return std::any_of(packages.begin(), packages.end(), [](const Package& p) { return p.downloaded; });
}

Expected<std::optional<Provision>> provision(const ProvisionRequest& request) {
  const elf::ElfObject& object = *request.object;
  if (!object.interpreter) return std::optional<Provision>();  // static: nothing a package could give it
  Configuration host = machine_configuration(object, request.root);
  std::vector<Unmet> unmet = unmet_needs(request.program, object, host);
  if (unmet.empty()) return std::optional<Provision>();

  Context context{request};
  context.interp = std::string(util::base_name(*object.interpreter));
  auto program_arch = debian_architecture(object);
  if (!program_arch) {
    return Error{request.program + ": elfrun knows no Debian architecture for its machine: " + describe_unmet(unmet)};
  }
  context.program_arch = *program_arch;
  MachineOf machine = machine_of_root(request.root, *program_arch);
  context.archive_arch = archive_architecture(*program_arch, machine.arch);
  // From the store alone (fix, why) nothing is written: no store made, no leftovers removed.
  if (!context.store.usable(!request.store_only)) {
    return Error{"the package store " + context.store.directory() + " cannot be used: " + describe_unmet(unmet)};
  }
  if (!request.store_only) context.store.remove_leftovers();

  std::vector<std::string> failures;
  bool apt_worked = false;  // some suite's indexes could be read
  for (const std::string& suite : suites_to_try(machine.suite)) {
    Configuration configuration = host;
    std::string apt_failure;
    std::vector<Package> taken;
    std::set<std::string> tried;
    for (int round = 0; round < 24; ++round) {
      unmet = unmet_needs(request.program, object, configuration);
      if (unmet.empty()) return std::optional<Provision>(Provision{configuration, taken});
      // The first unmet need whose packages are not all tried yet.
      std::vector<std::string> names;
      std::string soname;
      for (const Unmet& need : unmet) {
        for (const std::string& name : context.packages_for(need)) {
          if (tried.count(name) == 0) names.push_back(name);
        }
        soname = need.soname;
        if (!names.empty()) break;
      }
      bool from_policy = !names.empty();
      if (names.empty()) {
        // The policy's names are all tried (or it has none): which package ships the library, from the suite's
        // Contents index (libapt-private.so.0.0 is in apt).
        for (const Unmet& need : unmet) {
          for (const std::string& name : context.shipping(suite, need, unmet)) {
            if (tried.count(name) == 0) names.push_back(name);
          }
          soname = need.soname;
          if (!names.empty()) break;
        }
      }
      if (names.empty()) break;
      for (const std::string& name : names) tried.insert(name);
      // The suite's candidates, from its indexes; without apt (no cache directory, apt missing, offline with no
      // indexes yet) the store's entries of those packages, each taken only when it verifiably helps.
      auto state = context.state_of(suite);
      apt_worked = apt_worked || static_cast<bool>(state);
      std::vector<Package> candidates;
      if (state) {
        for (const std::string& name : names) {
          auto version = (*state)->candidate(name);
          // A glibc older than a version node the program needs is not worth downloading.
          bool glibc = name == context.packages_for(Unmet{"libc.so.6", ""}).front();
          if (version && (!glibc || covers_all(*version, glibc_nodes(unmet)))) {
            candidates.push_back({name, *version, context.archive_arch, suite, {}, false});
          }
        }
        if (from_policy && !candidates.empty()) context.policy_named[suite].insert(soname);
      } else {
        for (const std::string& name : names) {
          auto entries = context.store.entries(name, context.archive_arch);
          // Oldest first, as the suites are tried (the entries come sorted by name).
          for (const StoreEntry& entry : entries) {
            candidates.push_back({name, entry.name.version, entry.name.arch, {}, entry.path, false});
          }
        }
        if (candidates.empty()) {
          std::string message = "cannot fetch " + package_list(names, context.archive_arch) + " for " +
                                request.program + " (" + describe_unmet(unmet, 2) + "): " + state.error().message;
          // Offline, or apt unusable: the first suite says so. A later suite that cannot be read (an expired
          // Release file) is one more that does not satisfy it.
          if (!apt_worked) return Error{message};
          apt_failure = state.error().message;
          break;
        }
      }
      for (Package& package : candidates) {
        if (package.entry.empty()) {
          if (auto existing = context.store.find(package.name, package.version, package.arch)) {
            package.entry = existing->path;
          } else {
            context.say("fetching " + package.name + " " + package.version + " (" + suite + ", " + package.arch + ")");
            auto deb = context.download(**state, package.name, package.version);
            if (!deb) {
              return Error{"cannot fetch " + package.name + ":" + package.arch + "=" + package.version + " (" + suite +
                           ") for " + request.program + ": " + deb.error().message};
            }
            auto entry = context.store.add(*deb, StoreEntryName{package.name, package.version, package.arch});
            ::unlink(deb->c_str());
            if (!entry)
              return Error{"cannot store " + package.name + " " + package.version + ": " + entry.error().message};
            package.entry = entry->path;
            package.downloaded = true;
          }
        }
        Configuration with = configuration;
        // glibc: its loader and its libc.so.6 come from this one package.
        if (package.name == context.packages_for(Unmet{"libc.so.6", ""}).front()) {
          auto loader = loader_in(package.entry, context.interp);
          if (!loader) {
            failures.push_back(suite + ": " + package.name + " " + package.version + " has no " + context.interp);
            continue;
          }
          with.loader = *loader;
          with.inhibit_cache = true;
        }
        for (const std::string& dir : library_dirs_of(package.entry)) {
          if (std::find(with.library_dirs.begin(), with.library_dirs.end(), dir) == with.library_dirs.end()) {
            with.library_dirs.push_back(dir);
          }
        }
        if (!state) {
          auto after = unmet_needs(request.program, object, with);
          if (std::any_of(after.begin(), after.end(), [&](const Unmet& u) { return u.soname == soname; })) continue;
        }
        configuration = std::move(with);
        taken.push_back(std::move(package));
        break;
      }
      if (!state && (taken.empty() || taken.back().name.empty() ||
                     std::find(names.begin(), names.end(), taken.back().name) == names.end())) {
        std::string message = "cannot fetch " + package_list(names, context.archive_arch) + " for " + request.program +
                              " (" + describe_unmet(unmet, 2) + "): " + state.error().message;
        if (!apt_worked) return Error{message};
        apt_failure = state.error().message;
        break;
      }
    }
    if (!apt_failure.empty()) {
      failures.push_back(suite + ": " + apt_failure);
      context.say(suite + ": " + apt_failure);
      continue;
    }
    std::string note = context.contents_note(suite, unmet);
    failures.push_back(suite + ": " + describe_unmet(unmet, 2) + note);
    context.say(suite + "'s packages do not satisfy it: " + describe_unmet(unmet, 2) + note);
  }
  std::string text = request.program + ": no Debian suite's packages satisfy it";
  for (const std::string& failure : failures) text += "; " + failure;
  return Error{text};
}

Suggestion suggest(const std::string& program, const elf::ElfObject& object, const std::string& root) {
  Suggestion suggestion;
  if (!object.interpreter) return suggestion;
  Configuration host = machine_configuration(object, root == "/" ? std::string() : root);
  suggestion.unmet = unmet_needs(program, object, host);
  if (suggestion.unmet.empty()) return suggestion;
  auto program_arch = debian_architecture(object);
  if (!program_arch) return suggestion;
  MachineOf machine = machine_of_root(host.root, *program_arch);
  std::string archive_arch = archive_architecture(*program_arch, machine.arch);
  std::string interp(util::base_name(*object.interpreter));
  suggestion.suites = suites_to_try(machine.suite);
  // A library outside the runtime: the package a Contents index run --fetch read names (never read here: only
  // what it remembered), in the suites' order.
  std::map<std::string, std::string> contents_named;  // soname -> package
  std::optional<std::string> contents_mirror;
  auto from_contents = [&](const Unmet& need) -> std::optional<std::string> {
    if (*program_arch != archive_arch || need.soname == interp || is_runtime_soname(need.soname)) return std::nullopt;
    if (auto known = contents_named.find(need.soname); known != contents_named.end()) return known->second;
    if (!contents_mirror) {
      auto mirror = machine_mirror();
      contents_mirror = mirror ? *mirror : std::string();
    }
    if (contents_mirror->empty()) return std::nullopt;
    std::vector<std::string> paths = library_candidate_paths(need.soname, object);
    for (const std::string& suite : suggestion.suites) {
      auto state = AptState::existing(Archive{*contents_mirror, suite, archive_arch});
      if (!state) continue;
      auto answers = remembered_contents(*state, paths);
      if (!answers) continue;
      auto packages = packages_in_order(paths, *answers);
      if (packages.empty()) continue;
      suggestion.located.push_back(need.soname + " is in " + packages.front() + " (" + suite +
                                   "'s Contents index, as `elfrun run --fetch` last read it)");
      contents_named[need.soname] = packages.front();
      return packages.front();
    }
    return std::nullopt;
  };
  // Only what the distribution ships: its runtime, a library of its own directories that is too old, or one a
  // Contents index names. A library of the program's own (found through its RUNPATH, or missing and named by no
  // index read) is not known to be the archive's to give: why says so, and names no package for it.
  bool all_named = true;
  std::map<std::string, std::string> indexed_named;  // soname -> the policy's name found in an index read
  for (const Unmet& need : suggestion.unmet) {
    // Under a root, the file's path inside it.
    std::string path = need.path;
    if (!host.root.empty() && path.compare(0, host.root.size() + 1, host.root + "/") == 0) {
      path = path.substr(host.root.size());
    }
    if (need.soname == interp || is_runtime_soname(need.soname) || in_system_library_directory(path)) continue;
    if (from_contents(need)) continue;
    // A missing library whose policy name is a package of a suite whose indexes run --fetch read (apt-cache, no
    // network): libapt-pkg.so.7.0 is libapt-pkg7.0, in trixie.
    if (need.what == "missing" && contents_mirror && !contents_mirror->empty()) {
      for (const std::string& name : packages_for_soname(need.soname, *program_arch, archive_arch)) {
        for (const std::string& suite : suggestion.suites) {
          auto state = AptState::existing(Archive{*contents_mirror, suite, archive_arch});
          if (state && state->candidate(name)) {
            indexed_named[need.soname] = name;
            break;
          }
        }
        if (indexed_named.count(need.soname) != 0) break;
      }
      if (indexed_named.count(need.soname) != 0) continue;
    }
    all_named = false;
    // Said only of a library that is missing: one of the program's own that is there, too old (found through its
    // RUNPATH), is not the archive's to give.
    if (*program_arch != archive_arch || need.what != "missing") continue;
    auto guess = packages_for_soname(need.soname, *program_arch, archive_arch);
    std::string line =
        need.soname + ": no package is known to ship it: no Contents index `elfrun run --fetch` read lists it" +
        (guess.empty()
             ? std::string(", and Debian's naming policy names no package after it")
             : " (Debian's naming policy would call its package " + guess.front() + ", if the archive has one)") +
        "; `elfrun run --fetch` looks it up in the suites' Contents indexes";
    if (std::find(suggestion.unnamed.begin(), suggestion.unnamed.end(), line) == suggestion.unnamed.end()) {
      suggestion.unnamed.push_back(line);
    }
  }
  if (!all_named) return suggestion;  // packages still empty
  for (const Unmet& need : suggestion.unmet) {
    std::string soname = need.soname == interp ? "libc.so.6" : need.soname;
    std::vector<std::string> names;
    if (auto contents_package = from_contents(need)) {
      names = {*contents_package};
    } else if (auto indexed = indexed_named.find(need.soname); indexed != indexed_named.end()) {
      names = {indexed->second};
    } else {
      names = packages_for_soname(soname, *program_arch, archive_arch);
    }
    if (names.empty()) continue;
    std::string name = names.front() + ":" + archive_arch;
    if (std::find(suggestion.packages.begin(), suggestion.packages.end(), name) == suggestion.packages.end()) {
      suggestion.packages.push_back(name);
    }
  }
  // No loader at all (another machine's program, the seed's case): nothing was resolved, so the runtime libraries
  // it names (libstdc++.so.6...) are unmet too, and their packages are named with glibc's.
  bool no_loader = std::any_of(suggestion.unmet.begin(), suggestion.unmet.end(),
                               [&](const Unmet& need) { return need.soname == interp; });
  if (no_loader && object.dynamic) {
    for (const std::string& needed : object.dynamic->needed) {
      auto names = is_runtime_soname(needed) ? packages_for_soname(needed, *program_arch, archive_arch)
                                             : std::vector<std::string>();
      std::string name = names.empty() ? std::string() : names.front() + ":" + archive_arch;
      if (!name.empty() &&
          std::find(suggestion.packages.begin(), suggestion.packages.end(), name) == suggestion.packages.end()) {
        suggestion.packages.push_back(name);
      }
    }
  }
  // When only glibc is too old and run --fetch has read the suites' indexes before, the first suite whose glibc
  // is new enough, from those indexes (no network).
  std::vector<std::string> nodes = glibc_nodes(suggestion.unmet);
  bool only_glibc_versions = !nodes.empty() && nodes.size() == suggestion.unmet.size();
  auto mirror = only_glibc_versions ? machine_mirror() : Expected<std::string>(Error{""});
  for (const std::string& suite : suggestion.suites) {
    if (!mirror) break;
    auto state = AptState::existing(Archive{*mirror, suite, archive_arch});
    if (!state) break;
    auto version = state->candidate(packages_for_soname("libc.so.6", *program_arch, archive_arch).front());
    if (version && covers_all(*version, nodes)) {
      suggestion.known_suite = suite + " (" + *version + ")";
      break;
    }
  }
  return suggestion;
}

}  // namespace elfrun::fetch
