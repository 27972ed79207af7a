// Loader discovery: a bounded scan of the places loaders live (never a walk of the whole file system).
#include "loader/discovery.h"

#include <dirent.h>
#include <elf.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "elf/elf_object.h"
#include "loader/machine_facts.h"
#include "util/access_log.h"
#include "util/text.h"

namespace elfrun::loader {

namespace {

std::vector<std::string> list_directory(const std::string& dir) {
  std::vector<std::string> names;
  util::watch_path(dir);  // a directory's mtime and ctime move when an entry is added, removed or renamed
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  bool found = ::stat(path.c_str(), &st) == 0;
  util::watch_stat(path, found ? &st : nullptr, errno);
  return found && S_ISDIR(st.st_mode);
}

std::string base_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The directories the standard places consist of, in the order they are searched: first the fixed ones, then
// (listed only when the search gets that far) the multiarch and cross-toolchain ones.
std::vector<std::string> fixed_standard_directories() {
  return {"/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32"};
}

std::vector<std::string> listed_standard_directories() {
  std::vector<std::string> dirs;
  // Multiarch directories: /lib/<triplet>, /usr/lib/<triplet>.
  for (const char* base : {"/lib", "/usr/lib"}) {
    for (const std::string& name : list_directory(base)) {
      if (name.find("-linux-") != std::string::npos) dirs.push_back(std::string(base) + "/" + name);
    }
  }
  // Cross-toolchain roots: Debian's /usr/<triplet>/lib*, Gentoo's /usr/<arch>-<vendor>-linux-<abi>/lib*.
  for (const std::string& name : list_directory("/usr")) {
    if (name.find("-linux") == std::string::npos) continue;
    std::string root = "/usr/" + name;
    for (const char* lib : {"lib", "lib64", "lib32", "libx32"}) dirs.push_back(root + "/" + lib);
  }
  return dirs;
}

// A loader in <root>/lib*/ sits in a root layout: its libraries are in that root's system directories too.
std::string root_of(const std::string& loader_path) {
  std::string dir(util::dir_name(loader_path));
  std::string base = base_of(dir);
  if (base.rfind("lib", 0) == 0) {
    std::string root(util::dir_name(dir));
    if (root == "/usr") return "/";  // /usr/lib/ld-... belongs to the host root
    return root;
  }
  return "";
}

}  // namespace

bool looks_like_loader_name(const std::string& name) {
  for (const char* pattern : {"ld-linux*.so.*", "ld64.so.*", "ld.so.1", "ld-musl-*.so.1", "ld-*.so", "ld-linux*.so"}) {
    if (::fnmatch(pattern, name.c_str(), 0) == 0) return true;
  }
  return false;
}

namespace {

// The search behind discover_loaders and visit_loaders: `visit` sees each new loader; true stops the search.
std::vector<DiscoveredLoader> search_loaders(const DiscoveryOptions& options,
                                             const std::function<bool(const DiscoveredLoader&)>& visit) {
  static const IdentityCache kNoCache("");
  const IdentityCache& cache = options.cache ? *options.cache : kNoCache;
  std::vector<DiscoveredLoader> loaders;
  std::map<FileId, size_t> by_id;
  bool stopped = false;
  auto consider = [&](const std::string& path, const std::string& source, const std::vector<std::string>& dirs) {
    if (stopped) return;
    auto file = LoaderFile::open(path, cache);
    if (!file) return;
    FileId id{file->stamp().device, file->stamp().inode};
    if (auto found = by_id.find(id); found != by_id.end()) {
      DiscoveredLoader& known = loaders[found->second];
      if (known.path != path && std::find(known.aliases.begin(), known.aliases.end(), path) == known.aliases.end()) {
        known.aliases.push_back(path);
      }
      return;
    }
    const LoaderFileFacts* facts = file->facts();
    // A loader is a self-relocating shared object: no PT_INTERP, no DT_NEEDED.
    if (facts == nullptr || !facts->self_contained) return;
    if (options.prefilter) {
      // elf::libc_of with the path: a loader without a SONAME (musl's) is known by its name.
      std::string_view libc = facts->libc;
      std::string name = base_of(path);
      if (libc.empty() && (name.rfind("ld-musl-", 0) == 0 || name.rfind("libc.musl-", 0) == 0)) libc = "musl";
      LoaderCandidate candidate{path, facts->machine, facts->elf_class, facts->data, facts->flags, libc};
      if (!options.prefilter(candidate)) return;
    }
    const LoaderIdentity* identity = file->identity();
    if (identity == nullptr || identity->flavour == Flavour::unknown) return;
    DiscoveredLoader loader;
    loader.path = path;
    loader.identity = *identity;
    loader.identity_from_cache = file->identity_from_cache();
    loader.machine = facts->machine;
    loader.elf_class = facts->elf_class;
    loader.data = facts->data;
    loader.flags = facts->flags;
    auto order = facts->data == ELFDATA2MSB ? elf::ByteOrder::big : elf::ByteOrder::little;
    if (const MachineFacts* machine = machine_facts(facts->machine, facts->elf_class, order, facts->flags)) {
      loader.abi = std::string(machine->abi);
    }
    loader.root = root_of(path);
    loader.source = source;
    loader.id = id;
    // Its libraries: what the configuration says, else its own directory and, in a root layout other than the
    // host's, the root's counterparts of the loader's system directories.
    if (!dirs.empty()) {
      loader.library_dirs = dirs;
    } else {
      loader.library_dirs.emplace_back(util::dir_name(path));
      if (!loader.root.empty() && loader.root != "/") {
        for (const std::string& system_dir : loader.identity.system_dirs) {
          std::string dir = loader.root + system_dir;
          if (is_directory(dir) &&
              std::find(loader.library_dirs.begin(), loader.library_dirs.end(), dir) == loader.library_dirs.end()) {
            loader.library_dirs.push_back(dir);
          }
        }
      }
    }
    by_id.emplace(id, loaders.size());
    loaders.push_back(std::move(loader));
    stopped = visit(loaders.back());
  };
  auto scan = [&](const std::string& dir, const std::string& source) {
    if (stopped) return;
    if (!options.only_name.empty()) {
      // One name asked for: a lookup of it, not a listing of the directory (the same files, in the same order).
      if (looks_like_loader_name(options.only_name)) consider(dir + "/" + options.only_name, source, {});
      return;
    }
    for (const std::string& name : list_directory(dir)) {
      if (looks_like_loader_name(name)) consider(dir + "/" + name, source, {});
    }
  };
  for (const auto& configured : options.configured)
    consider(configured.path, configured.source, configured.library_dirs);
  for (const auto& [root, source] : options.configured_roots) {
    for (const char* lib : {"/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64"}) scan(root + lib, source);
  }
  for (const std::string& dir : fixed_standard_directories()) scan(dir, "standard place");
  if (stopped) return loaders;
  for (const std::string& dir : listed_standard_directories()) scan(dir, "standard place");
  for (const std::string& dir : options.search_dirs) {
    if (stopped) break;
    std::string source = "--search " + dir;
    scan(dir, source);
    for (const std::string& name : list_directory(dir)) {
      std::string sub = dir + "/" + name;
      if (!is_directory(sub)) continue;
      scan(sub, source);
      for (const std::string& inner : list_directory(sub)) {
        if (is_directory(sub + "/" + inner)) scan(sub + "/" + inner, source);
      }
    }
  }
  return loaders;
}

}  // namespace

std::vector<DiscoveredLoader> discover_loaders(const DiscoveryOptions& options) {
  return search_loaders(options, [](const DiscoveredLoader&) { return false; });
}

void visit_loaders(const DiscoveryOptions& options, const std::function<bool(const DiscoveredLoader&)>& visit) {
  search_loaders(options, visit);
}

}  // namespace elfrun::loader
