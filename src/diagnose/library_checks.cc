// The libraries of a program, from the resolver's answer (loader/resolver.h): each one not found, with every path
// the loader would try in its order and why each candidate it saw was rejected; a library that sits in an
// ld.so.conf directory but is missing from /etc/ld.so.cache (ldconfig was not run after it was installed); copies
// under other loaders' directories (then `elfrun run` works); and the loader's fatal errors (a garbage file on the
// search path stops glibc's loader, elf/dl-load.c open_verify).
#include <dirent.h>
#include <elf.h>

#include <algorithm>
#include <map>
#include <unordered_set>

#include "diagnose/ld_so_conf.h"
#include "diagnose/walk.h"
#include "loader/candidate.h"

namespace elfrun::diagnose {

namespace {

constexpr size_t kEvidencePaths = 12;  // paths tried shown without -v; all of them with -v
// Missing libraries reported one by one; the rest in one finding. A real program misses a handful; a made one
// (issue 13, finding 10) 10,000, whose findings alone took 180 MB and 12 s against the loader's 16 MB and 2.4 s.
constexpr size_t kMissingReported = 100;
// Paths tried listed for one missing library, -v included: 10,000 DT_RPATH entries make 110,000 (19 MB of evidence).
constexpr size_t kListedPaths = 1000;

// The names in each directory a missing library is looked for in (ld.so.conf's, other loaders'), read once: each
// candidate is opened only when its directory has the name, not once per library and directory (10,000 missing
// libraries made 3 million opens and 400,000 readlinks).
class DirectoryNames {
 public:
  explicit DirectoryNames(Walk& walk) : walk_(walk) {}

  // False when the directory was read and has no entry of that name; true otherwise (then open it to know).
  bool may_have(const std::string& dir, const std::string& name) {
    if (name.find('/') != std::string::npos) return true;
    auto [entry, added] = names_.try_emplace(dir);
    if (added) entry->second = read(dir);
    return !entry->second || entry->second->count(name) != 0;
  }

 private:
  std::optional<std::unordered_set<std::string>> read(const std::string& dir) {
    auto real = walk_.real_host_path(dir);
    if (!real) return std::unordered_set<std::string>{};  // no such directory: nothing is in it
    DIR* handle = ::opendir(real->c_str());
    if (handle == nullptr) return std::nullopt;  // unreadable: open each candidate, as before
    std::unordered_set<std::string> names;
    while (const dirent* entry = ::readdir(handle)) names.insert(entry->d_name);
    ::closedir(handle);
    return names;
  }

  Walk& walk_;
  std::map<std::string, std::optional<std::unordered_set<std::string>>> names_;
};

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Whether the file at a path inside the root is a library the program's loader would take.
bool fits(Walk& walk, const std::string& inside_path, const elf::ElfObject& program) {
  auto real = walk.real_host_path(inside_path);
  if (!real) return false;
  auto bytes = elf::ByteSource::open(*real);
  if (!bytes) return false;
  loader::LoadTarget target{program.ident.elf_class, program.ident.data, program.header.machine, program.header.flags};
  return loader::check_candidate(**bytes, target).verdict == loader::Verdict::accept;
}

std::string requester_name(const loader::Resolution& resolution, const loader::LoadedObject& object,
                           const ExecTarget& target) {
  if (!object.requested_by || *object.requested_by >= resolution.objects.size()) return target.shown;
  size_t index = *object.requested_by;
  if (index == 0) return target.shown;
  const loader::LoadedObject& requester = resolution.objects[index];
  return requester.path.empty() ? requester.name : requester.path;
}

void missing_library(Walk& walk, const ExecTarget& target, const loader::Resolution& resolution,
                     const loader::LoadedObject& object, const std::vector<ConfDirectory>& conf,
                     DirectoryNames& names) {
  const elf::ElfObject& program = *resolution.objects[0].elf;
  std::string requester = requester_name(resolution, object, target);
  bool musl = resolution.loader.flavour == loader::Flavour::musl;
  // glibc elf/dl-load.c _dl_map_object: when a candidate of the other class was skipped on the way, the loader
  // says so instead of "cannot open shared object file".
  bool other_class =
      std::any_of(object.rejected.begin(), object.rejected.end(),
                  [](const loader::RejectedCandidate& r) { return r.reason.rfind("wrong ELF class", 0) == 0; });
  std::string glibc_reason = other_class
                                 ? std::string("wrong ELF class: ") + (program.is_64() ? "ELFCLASS32" : "ELFCLASS64")
                                 : "cannot open shared object file: No such file or directory";
  std::string message = musl ? "Error loading shared library " + object.name +
                                   ": No such file or directory (needed "
                                   "by " +
                                   requester + ")"
                             : "error while loading shared libraries: " + object.name + ": " + glibc_reason;

  // An ld.so.conf directory has it, but the cache does not (the search did not find it).
  std::optional<ConfDirectory> stale;
  if (!musl) {
    for (const ConfDirectory& entry : conf) {
      std::string candidate = entry.directory + "/" + object.name;
      bool tried = object.tried.contains(candidate);
      if (!tried && names.may_have(entry.directory, object.name) && fits(walk, candidate, program)) {
        stale = entry;
        break;
      }
    }
  }
  Finding& finding =
      walk.add(stale ? "library-not-in-cache" : "library-missing", Severity::blocking, target.shown,
               stale ? target.shown + " will not run: " + object.name + " (needed by " + requester + ") is in " +
                           stale->directory + ", which " + stale->file +
                           " lists, but /etc/ld.so.cache does not have it: ldconfig was not run since it was installed"
                     : target.shown + " will not run: " + object.name + " (needed by " + requester +
                           ") is not found — the "
                           "loader would stop with \"" +
                           message + "\"");
  if (stale) {
    finding.fixes.push_back(std::string("ldconfig") + (walk.host_root() ? "" : " -r " + quote(walk.options().root)) +
                            "   # as root: rebuild the cache from ld.so.conf");
  }
  if (object.tried.empty()) {
    finding.evidence.push_back("no directory was searched (the search list is empty)");
  } else {
    finding.evidence.push_back("searched, in the loader's order (" + std::to_string(object.tried.size()) + " paths):");
    size_t listed = std::min(object.tried.size(), kListedPaths);
    for (size_t i = 0; i < listed; ++i) {
      (i < kEvidencePaths ? finding.evidence : finding.details).push_back("  " + object.tried[i]);
    }
    if (object.tried.size() > kEvidencePaths) {
      finding.evidence.push_back("  ... and " + std::to_string(object.tried.size() - kEvidencePaths) +
                                 (object.tried.size() > listed
                                      ? " more (-v shows " + std::to_string(listed - kEvidencePaths) + " of them)"
                                      : std::string(" more (-v shows them)")));
    }
    if (object.tried.size() > listed) {
      finding.details.push_back("  ... and " + std::to_string(object.tried.size() - listed) +
                                " more: too many paths to list (deps --format json has them all)");
    }
  }
  for (const loader::RejectedCandidate& rejected : object.rejected) {
    finding.evidence.push_back("rejected " + rejected.path + ": " + rejected.reason);
  }
  // Copies under other loaders' directories: what `elfrun run` can use.
  for (const loader::DiscoveredLoader* found : compatible_loaders(walk, program)) {
    for (const std::string& dir : found->library_dirs) {
      std::string candidate = dir + "/" + object.name;
      if (object.tried.contains(candidate)) continue;
      if (walk.host_root() && names.may_have(dir, object.name) && fits(walk, candidate, program)) {
        finding.evidence.push_back("a copy is in " + dir + ", among the libraries of the loader " + found->path);
      }
    }
  }
}

}  // namespace

void check_libraries(Walk& walk, const ExecTarget& target, const loader::Resolution& resolution) {
  std::vector<ConfDirectory> conf;
  bool conf_read = false;
  DirectoryNames names(walk);
  size_t missing = 0;
  for (const loader::LoadedObject& object : resolution.objects) {
    if (object.found_by != loader::FoundBy::not_found) continue;
    if (++missing > kMissingReported) continue;
    if (!conf_read) {
      conf = read_ld_so_conf(walk.options().root);
      conf_read = true;
    }
    missing_library(walk, target, resolution, object, conf, names);
  }
  if (missing > kMissingReported) {
    // A code of its own, which no run fix solves: finding one would resolve the program again for each loader
    // that could run it (half a second each for 10,000 missing libraries).
    Finding& finding =
        walk.add("library-missing-too-many", Severity::blocking, target.shown,
                 target.shown + " will not run: too many missing libraries: " + std::to_string(missing) +
                     " are not found, the first " + std::to_string(kMissingReported) + " are reported above");
    finding.evidence.push_back("no real program misses that many; the loader stops at the first one");
  }
  if (resolution.fatal_error) {
    Finding& finding =
        walk.add("library-fatal", Severity::blocking, target.shown,
                 target.shown + " will not run: its loader stops at a file it cannot load: " + *resolution.fatal_error);
    finding.evidence.push_back(
        "glibc's loader takes a file of the wrong class or machine as a miss and searches on, "
        "but stops at one that is not ELF or has the wrong byte order (elf/dl-load.c "
        "open_verify)");
    std::string path = resolution.fatal_error->substr(0, resolution.fatal_error->find(": "));
    finding.fixes.push_back("# move " + path + " out of " + parent_of(path) + ", or put the right library before it");
  }
  for (const std::string& note : resolution.notes) {
    walk.add("loader-note", Severity::info, target.shown, note);
  }
}

}  // namespace elfrun::diagnose
