// The glibc loader model: a faithful model of what ld.so does for `ld.so --list`, read from glibc 2.36:
// elf/rtld.c (the main map, the vdso, preloads, where the loader's own map goes in the list), elf/dl-deps.c
// (breadth-first search list), elf/dl-load.c (_dl_map_object: name and SONAME reuse, the RPATH chain, LD_LIBRARY_PATH,
// RUNPATH, ld.so.cache, system directories, DF_1_NODEFLIB, hwcaps subdirectories, file identity), and
// elf/dl-cache.c (through LdSoCache). musl's loader is modelled in musl_resolver.cc.
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "loader/candidate.h"
#include "loader/hwcaps.h"
#include "loader/kernel_machines.h"
#include "loader/resolver.h"
#include "loader/resolver_internal.h"
#include "loader/search_path.h"

namespace elfrun::loader {

namespace {

// The glibc model's state for one resolution: the loader's list of objects ("the chain") and their libname lists.
class GlibcModel {
 public:
  GlibcModel(ResolverContext& context, Resolution& resolution, const elf::ElfObject& program)
      : context_(context), res_(resolution), program_(program) {
    target_.elf_class = program.ident.elf_class;
    target_.data = program.ident.data;
    target_.machine = program.header.machine;
    target_.flags = program.header.flags;
    facts_ = machine_facts(program);
    dst_lib_ = res_.loader.lib;
    dst_platform_ = !context.platform.empty() ? context.platform
                    : facts_                  ? std::string(facts_->platform)
                                              : std::string();
    build_capability_subdirs();
  }

  void run() {
    Entry& main = entries_.emplace_back();
    main.object_index = 0;
    main.names = {res_.objects[0].name};
    main.origin = context_.program_origin;
    main.elf = res_.objects[0].elf.get();
    main.l_name = res_.objects[0].path;  // __RTLD_OPENEXEC: the program has no file identity to match

    // elf/rtld.c: the loader's own map is on the list from the start, named by the program's PT_INTERP (or the
    // path ld.so was invoked by) and its SONAME; ld.so --list prints it only if a DT_NEEDED asks for it.
    rtld_entry_ = add_loader_entry();
    // setup_vdso: the kernel's vdso follows, named by its SONAME.
    if (context_.options.include_vdso && facts_ && !facts_->vdso.empty() &&
        kernel_runs_natively(program_.header.machine, program_.ident.elf_class)) {
      size_t index = new_object(std::string(facts_->vdso), FoundBy::vdso);
      res_.objects[index].path = std::string(facts_->vdso);
      Entry& vdso = entries_.emplace_back();
      vdso.object_index = index;
      vdso.names = {std::string(facts_->vdso)};
      vdso.l_name = std::string(facts_->vdso);
      vdso_entry_ = entries_.size() - 1;
    }
    init_library_path();

    std::vector<size_t> search_list{0};  // entry indices, breadth-first
    std::set<size_t> reserved{0};
    for (const std::string& preload : context_.options.preload) {
      std::optional<size_t> loaded = map_object(0, preload, /*trace=*/false, FoundBy::preload);
      if (res_.fatal_error) return;
      if (!loaded) continue;
      res_.edges.push_back({0, entries_[*loaded].object_index, preload});
      if (reserved.insert(*loaded).second) search_list.push_back(*loaded);
    }
    for (size_t i = 0; i < search_list.size(); ++i) {
      size_t requester = search_list[i];
      const elf::ElfObject* elf = entries_[requester].elf;
      if (elf == nullptr || !elf->dynamic) continue;
      for (const std::string& needed : elf->dynamic->needed) {
        std::optional<size_t> dep = map_object(requester, needed, /*trace=*/true, FoundBy::search);
        if (res_.fatal_error) return;
        if (!dep) continue;
        res_.edges.push_back({entries_[requester].object_index, entries_[*dep].object_index, needed});
        if (reserved.insert(*dep).second) search_list.push_back(*dep);
      }
    }
    finish(search_list);
  }

 private:
  struct Entry {
    size_t object_index = 0;
    std::vector<std::string> names;  // l_libname list; names[0] is what ld.so --list prints
    std::string l_name;              // the file name the loader opened it by
    bool soname_added = false;
    bool faked = false;
    std::optional<size_t> l_loader;  // the entry whose DT_NEEDED brought it in
    std::string origin;
    const elf::ElfObject* elf = nullptr;
    FileId id;
    bool has_id = false;
    // Search lists, built on first use (cache_rpath).
    std::optional<SharedList> rpath_dirs, runpath_dirs;
  };

  size_t new_object(std::string name, FoundBy how) {
    LoadedObject object;
    object.name = std::move(name);
    object.found_by = how;
    res_.objects.push_back(std::move(object));
    return res_.objects.size() - 1;
  }

  size_t add_loader_entry() {
    size_t index = new_object(res_.loader_path, FoundBy::loader);
    LoadedObject& object = res_.objects[index];
    Entry& entry = entries_.emplace_back();
    entry.object_index = index;
    // The name ld.so is invoked by is the loader path; a program's PT_INTERP names it too.
    entry.l_name = res_.loader_path;
    entry.names = {program_.interpreter ? *program_.interpreter : res_.loader_path};
    object.name = entry.names[0];
    object.path = entry.l_name;
    object.host_path = context_.fs.host_path(entry.l_name);
    if (context_.loader_elf) {
      object.elf = context_.loader_elf;
      object.soname = context_.loader_elf->dynamic ? context_.loader_elf->dynamic->soname : std::nullopt;
      entry.elf = context_.loader_elf.get();
      if (object.soname && *object.soname != entry.names[0]) entry.names.push_back(*object.soname);
      entry.soname_added = true;
      entry.id = context_.loader_id;
      entry.has_id = true;
      object.file_id = context_.loader_id;
    }
    return entries_.size() - 1;
  }

  // _dl_important_hwcaps: the glibc-hwcaps subdirectories in use, best first, then (glibc < 2.37) the legacy
  // power set of hwcap names, the platform and "tls", then the directory itself.
  void build_capability_subdirs() {
    std::vector<std::string> subdirs;
    for (const std::string& name : context_.active_hwcaps) subdirs.push_back("glibc-hwcaps/" + name + "/");
    if (res_.loader.has_legacy_hwcaps && facts_) {
      std::vector<std::string> names = context_.legacy_hwcap_names;  // dl_hwcap & hwcap_mask, lowest bit first
      if (!dst_platform_.empty()) names.push_back(dst_platform_);
      names.push_back("tls");
      size_t count = names.size();
      // The path lists the names from the last to the first; the subsets go from all names down to none, with
      // the last name as the most significant bit (verified against LD_DEBUG=libs "search path=" lines).
      for (uint32_t mask = (1u << count) - 1; mask > 0; --mask) {
        std::string subdir;
        for (size_t k = count; k-- > 0;) {
          if (mask & (1u << k)) subdir += names[k] + "/";
        }
        subdirs.push_back(std::move(subdir));
      }
    }
    subdirs.push_back("");
    capability_subdirs_ = std::make_shared<const std::vector<std::string>>(std::move(subdirs));
  }

  DstValues dst_for(const Entry& entry) const { return DstValues{entry.origin, dst_lib_, dst_platform_}; }

  void init_library_path() {
    // elf/dl-load.c _dl_init_paths: an empty LD_LIBRARY_PATH is no list; $ORIGIN in it is the program's.
    const auto& path = context_.options.library_path;
    if (path && !path->empty()) {
      library_path_dirs_ =
          std::make_shared<const std::vector<std::string>>(split_search_path(*path, ":;", dst_for(entries_[0])));
    }
    std::vector<std::string> system;
    for (const std::string& dir : res_.loader.system_dirs) system.push_back(dir.back() == '/' ? dir : dir + "/");
    system_dirs_ = std::make_shared<const std::vector<std::string>>(std::move(system));
  }

  const SharedList& rpath_of(Entry& entry) {
    if (!entry.rpath_dirs) {
      std::vector<std::string> dirs;
      const auto& dyn = entry.elf ? entry.elf->dynamic : std::nullopt;
      // elf/get-dynamic-info.h: DT_RPATH is ignored when DT_RUNPATH is present.
      if (dyn && dyn->rpath && !dyn->runpath) dirs = split_search_path(*dyn->rpath, ":", dst_for(entry));
      entry.rpath_dirs = std::make_shared<const std::vector<std::string>>(std::move(dirs));
    }
    return *entry.rpath_dirs;
  }

  const SharedList& runpath_of(Entry& entry) {
    if (!entry.runpath_dirs) {
      std::vector<std::string> dirs;
      const auto& dyn = entry.elf ? entry.elf->dynamic : std::nullopt;
      if (dyn && dyn->runpath) dirs = split_search_path(*dyn->runpath, ":", dst_for(entry));
      entry.runpath_dirs = std::make_shared<const std::vector<std::string>>(std::move(dirs));
    }
    return *entry.runpath_dirs;
  }

  bool has_runpath(const Entry& entry) const {
    return entry.elf && entry.elf->dynamic && entry.elf->dynamic->runpath.has_value();
  }
  bool nodeflib(const Entry& entry) const {
    return entry.elf && entry.elf->dynamic && (entry.elf->dynamic->flags_1 & DF_1_NODEFLIB) != 0;
  }

  // One search attempt's outcome, shared by every list.
  struct Found {
    std::string path;
    const OpenedFile* file = nullptr;
    std::shared_ptr<const elf::ElfObject> elf;
    std::string directory, subdir;
  };

  // open_verify plus parsing: accept, skip (recorded), or a fatal error (recorded in res_).
  std::optional<Found> try_file(const std::string& path, LoadedObject& record) {
    record.tried.add(path);
    return check_file(path, record);
  }

  // try_file for a path already recorded in record.tried.
  std::optional<Found> check_file(const std::string& path, LoadedObject& record) {
    const OpenedFile& file = context_.fs.open(path);
    if (file.error != 0) return std::nullopt;
    if (file.is_directory) {
      // open() succeeds, read() fails with EISDIR; the loader's own __strerror_r (elf/dl-minimal.c) knows only six
      // errno values and prints the others as "Error N" (EISDIR is 21 on every Linux machine).
      res_.fatal_error = path + ": cannot read file data: Error 21";
      return std::nullopt;
    }
    CandidateCheck check = check_candidate(*file.bytes, target_);
    if (check.verdict == Verdict::skip) {
      record.rejected.push_back({path, check.reason});
      return std::nullopt;
    }
    if (check.verdict == Verdict::fatal) {
      res_.fatal_error = path + ": " + check.reason;
      return std::nullopt;
    }
    auto elf = context_.parse(file);
    if (!elf) {
      res_.fatal_error = path + ": " + elf.error().message;
      return std::nullopt;
    }
    Found found;
    found.path = path;
    found.file = &file;
    found.elf = *elf;
    return found;
  }

  // open_path: every directory of a list, each with its hwcaps subdirectories first.
  std::optional<Found> open_path(const std::string& name, const SharedList& dirs, LoadedObject& record) {
    std::string path;
    for (size_t d = 0; d < dirs->size(); ++d) {
      const std::string& dir = (*dirs)[d];
      for (size_t s = 0; s < capability_subdirs_->size(); ++s) {
        const std::string& subdir = (*capability_subdirs_)[s];
        path.assign(dir).append(subdir).append(name);
        record.tried.add_from(dirs, d, capability_subdirs_, s, name);
        auto found = check_file(path, record);
        if (res_.fatal_error) return std::nullopt;
        if (found) {
          found->directory = dir;
          found->subdir = subdir;
          return found;
        }
      }
    }
    return std::nullopt;
  }

  std::optional<size_t> find_loaded(const std::string& name) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      Entry& entry = entries_[i];
      if (entry.faked) continue;
      if (entry.l_name == name || std::find(entry.names.begin(), entry.names.end(), name) != entry.names.end()) {
        return i;
      }
      if (entry.soname_added || entry.elf == nullptr || !entry.elf->dynamic || !entry.elf->dynamic->soname) continue;
      if (*entry.elf->dynamic->soname != name) continue;
      entry.names.push_back(name);  // a match on a new name: remember it
      entry.soname_added = true;
      return i;
    }
    return std::nullopt;
  }

  // _dl_map_object. Returns the entry, or nullopt for a preload that failed (and for a fatal error).
  std::optional<size_t> map_object(size_t loader_index, const std::string& name, bool trace, FoundBy how) {
    if (auto loaded = find_loaded(name)) return loaded;
    LoadedObject record;
    record.name = name;
    std::optional<Found> found;
    std::optional<SearchSource> source;
    std::optional<size_t> rpath_owner;
    Entry* loader = &entries_[loader_index];
    if (name.find('/') == std::string::npos) {
      if (!has_runpath(*loader)) {
        bool did_main = false;
        for (std::optional<size_t> l = loader_index; l && !found; l = entries_[*l].l_loader) {
          const auto& dirs = rpath_of(entries_[*l]);
          if (dirs->empty()) continue;
          found = open_path(name, dirs, record);
          if (res_.fatal_error) return std::nullopt;
          if (found) {
            source = SearchSource::rpath;
            rpath_owner = entries_[*l].object_index;
          }
          did_main |= *l == 0;
        }
        if (!found && !did_main && !rpath_of(entries_[0])->empty()) {
          found = open_path(name, rpath_of(entries_[0]), record);
          if (res_.fatal_error) return std::nullopt;
          if (found) {
            source = SearchSource::rpath;
            rpath_owner = 0;
          }
        }
      }
      loader = &entries_[loader_index];  // entries_ did not grow, but keep the reference obviously fresh
      if (!found && library_path_dirs_ && !library_path_dirs_->empty()) {
        found = open_path(name, library_path_dirs_, record);
        if (res_.fatal_error) return std::nullopt;
        if (found) source = SearchSource::ld_library_path;
      }
      if (!found && has_runpath(*loader) && !runpath_of(*loader)->empty()) {
        found = open_path(name, runpath_of(*loader), record);
        if (res_.fatal_error) return std::nullopt;
        if (found) source = SearchSource::runpath;
      }
      if (!found && context_.cache && !context_.options.inhibit_cache) {
        std::optional<std::string> cached = context_.cache->lookup(name, context_.cache_query);
        if (cached && nodeflib(*loader)) {
          // A DF_1_NODEFLIB requester takes no cache entry from the system directories.
          for (const std::string& dir : *system_dirs_) {
            if (cached->compare(0, dir.size(), dir) == 0) {
              cached.reset();
              break;
            }
          }
        }
        if (cached) {
          found = try_file(*cached, record);
          if (res_.fatal_error) return std::nullopt;
          if (found) source = SearchSource::cache;
        }
      }
      if (!found && !nodeflib(*loader)) {
        found = open_path(name, system_dirs_, record);
        if (res_.fatal_error) return std::nullopt;
        if (found) source = SearchSource::system_dirs;
      }
    } else {
      std::string realname = expand_dst(name, dst_for(*loader));
      if (!realname.empty()) {
        found = try_file(realname, record);
        if (res_.fatal_error) return std::nullopt;
      }
      how = how == FoundBy::preload ? how : FoundBy::path;
    }

    if (!found) {
      if (!trace) {
        // A preload that cannot be loaded is reported and ignored (rtld.c do_preload).
        res_.notes.push_back("preload " + name + " cannot be loaded: not found; ignored");
        return std::nullopt;
      }
      size_t index = new_object(name, FoundBy::not_found);
      res_.objects[index].tried = std::move(record.tried);
      res_.objects[index].rejected = std::move(record.rejected);
      res_.objects[index].requested_by = entries_[loader_index].object_index;
      Entry& entry = entries_.emplace_back();
      entry.object_index = index;
      entry.names = {name};
      entry.l_name = name;
      entry.faked = true;
      entry.l_loader = loader_index;
      return entries_.size() - 1;
    }

    // _dl_map_object_from_fd: the same file already loaded under another name is that object.
    for (size_t i = 0; i < entries_.size(); ++i) {
      Entry& entry = entries_[i];
      if (!entry.faked && entry.has_id && entry.id == found->file->id) {
        if (std::find(entry.names.begin(), entry.names.end(), name) == entry.names.end()) entry.names.push_back(name);
        return i;
      }
    }
    size_t index = new_object(name, how);
    LoadedObject& object = res_.objects[index];
    object.path = found->path;
    object.host_path = context_.fs.host_path(found->path);
    object.elf = found->elf;
    object.soname = found->elf->dynamic ? found->elf->dynamic->soname : std::nullopt;
    object.search_source = source;
    object.search_directory = found->directory;
    if (!object.search_directory.empty() && object.search_directory.size() > 1 &&
        object.search_directory.back() == '/') {
      object.search_directory.pop_back();
    }
    object.hwcaps_subdir = found->subdir;
    if (!object.hwcaps_subdir.empty()) object.hwcaps_subdir.pop_back();
    object.rpath_owner = rpath_owner;
    object.requested_by = entries_[loader_index].object_index;
    object.tried = std::move(record.tried);
    object.rejected = std::move(record.rejected);
    object.file_id = found->file->id;
    Entry& entry = entries_.emplace_back();
    entry.object_index = index;
    entry.names = {name};
    entry.l_name = found->path;
    entry.l_loader = loader_index;
    entry.origin = origin_of(found->path, context_.fs.cwd());
    entry.elf = found->elf.get();
    entry.id = found->file->id;
    entry.has_id = true;
    return entries_.size() - 1;
  }

  // rtld.c after _dl_map_object_deps: the list in load order, with the loader's own map moved to just after its
  // predecessor in the search list (trace mode), or left out when nothing needs it.
  void finish(const std::vector<size_t>& search_list) {
    std::vector<size_t> chain;  // entry indices in load order, without the loader's map
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i != rtld_entry_) chain.push_back(i);
    }
    // dl-deps.c leaves the faked maps of missing libraries (trace mode) out of l_searchlist: the predecessor is
    // the nearest object before the loader that was found. A library missing twice thus has its second "not
    // found" after the loader's line.
    std::vector<size_t> found_list;
    for (size_t entry_index : search_list) {
      if (!entries_[entry_index].faked) found_list.push_back(entry_index);
    }
    auto rtld_position = std::find(found_list.begin(), found_list.end(), rtld_entry_);
    if (rtld_position != found_list.end() && rtld_position != found_list.begin()) {
      size_t predecessor = *(rtld_position - 1);
      auto at = std::find(chain.begin(), chain.end(), predecessor);
      chain.insert(at + 1, rtld_entry_);
    } else if (rtld_position == found_list.end() && !found_list.empty() && glibc_at_least(res_.loader, 2, 39)) {
      // Newer rtld.c no longer removes its own map when nothing needs it (the "rtld_multiple_ref" special case is
      // gone): the map goes after the last object of the search list. A program that needs no libc (-nostdlib)
      // thus lists the loader under trixie's 2.41 and not under bookworm's 2.36 (both checked with --list in
      // tests/cases/deps_vs_ldso_glibc_versions.sh). The boundary, 2.39, is the upstream change's release as
      // recalled, not measured: no 2.37-2.40 loader is checked here.
      auto at = std::find(chain.begin(), chain.end(), found_list.back());
      chain.insert(at + 1, rtld_entry_);
    }
    // Renumber the objects into chain order.
    std::vector<size_t> new_index(res_.objects.size(), SIZE_MAX);
    std::vector<LoadedObject> ordered;
    ordered.reserve(chain.size());  // exactly: 10,000 missing libraries grew it to 16,384 objects, twice
    for (size_t entry_index : chain) {
      size_t old = entries_[entry_index].object_index;
      new_index[old] = ordered.size();
      ordered.push_back(std::move(res_.objects[old]));
    }
    auto remap = [&new_index](std::optional<size_t>& index) {
      if (index) index = new_index[*index] == SIZE_MAX ? std::nullopt : std::optional<size_t>(new_index[*index]);
    };
    for (LoadedObject& object : ordered) {
      remap(object.requested_by);
      remap(object.rpath_owner);
    }
    std::vector<DependencyEdge> edges;
    for (DependencyEdge edge : res_.edges) {
      if (new_index[edge.from] == SIZE_MAX || new_index[edge.to] == SIZE_MAX) continue;
      edge.from = new_index[edge.from];
      edge.to = new_index[edge.to];
      edges.push_back(std::move(edge));
    }
    res_.edges = std::move(edges);
    res_.search_order.clear();
    for (size_t entry_index : search_list) res_.search_order.push_back(new_index[entries_[entry_index].object_index]);
    res_.objects = std::move(ordered);
  }

  ResolverContext& context_;
  Resolution& res_;
  const elf::ElfObject& program_;
  const MachineFacts* facts_ = nullptr;
  LoadTarget target_;
  std::string dst_lib_, dst_platform_;
  SharedList capability_subdirs_;  // glibc-hwcaps and legacy subdirectories, best first, then ""
  SharedList library_path_dirs_;
  SharedList system_dirs_;
  std::vector<Entry> entries_;
  size_t rtld_entry_ = SIZE_MAX;
  std::optional<size_t> vdso_entry_;
};

}  // namespace

void run_glibc_model(ResolverContext& context, Resolution& resolution, const elf::ElfObject& program) {
  GlibcModel model(context, resolution, program);
  model.run();
}

}  // namespace elfrun::loader
