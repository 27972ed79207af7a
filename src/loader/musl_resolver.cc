// musl ldso/dynlink.c, as a model: which files musl's loader opens for a program, in its order.
#include "loader/musl_resolver.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "loader/candidate.h"

namespace elfrun::loader {

namespace {

// musl load_library: "libc.", "libpthread.", "librt.", "libm.", "libdl.", "libutil.", "libxnet." are the loader.
bool is_reserved_libc_name(const std::string& name, size_t* kind) {
  static const char* const kReserved[] = {"c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."};
  if (name.compare(0, 3, "lib") != 0) return false;
  for (size_t i = 0; i < std::size(kReserved); ++i) {
    if (name.compare(3, std::strlen(kReserved[i]), kReserved[i]) == 0) {
      *kind = i;
      return true;
    }
  }
  return false;
}

// musl fixup_rpath: only $ORIGIN and ${ORIGIN} are known; any other '$' makes the whole list unusable.
std::string musl_expand_origin(const std::string& rpath, const std::string& origin_dir) {
  std::string result;
  size_t i = 0;
  while (i < rpath.size()) {
    if (rpath[i] != '$') {
      result.push_back(rpath[i++]);
      continue;
    }
    if (rpath.compare(i, 7, "$ORIGIN") == 0) {
      result += origin_dir;
      i += 7;
    } else if (rpath.compare(i, 9, "${ORIGIN}") == 0) {
      result += origin_dir;
      i += 9;
    } else {
      return std::string();
    }
  }
  return result;
}

class MuslModel {
 public:
  MuslModel(ResolverContext& context, Resolution& res, const elf::ElfObject& program)
      : context_(context), res_(res), program_(program) {
    target_ = LoadTarget{program.ident.elf_class, program.ident.data, program.header.machine, program.header.flags};
  }

  void run() {
    // The loader's line comes first in musl's --list output: its PT_INTERP name.
    ldso_name_ = program_.interpreter ? *program_.interpreter : res_.loader_path;
    LoadedObject ldso;
    ldso.name = ldso_name_;
    ldso.path = ldso_name_;
    ldso.host_path = context_.fs.host_path(res_.loader_path);
    ldso.found_by = FoundBy::loader;
    ldso.elf = context_.loader_elf;
    ldso.file_id = context_.loader_id;
    res_.objects.push_back(std::move(ldso));
    dsos_.push_back(Dso{});
    // fixup_rpath: the program the kernel mapped has its origin from /proc/self/exe (the real path); one the loader
    // was asked to load (`ld-musl --list PROG`) from its name as given, "." when that has no '/'.
    dsos_[0].origin = context_.program_origin;
    if (!context_.options.program_origin_real_path) {
      const std::string& given = res_.objects[0].name;
      size_t slash = given.rfind('/');
      dsos_[0].origin = slash == std::string::npos ? "." : given.substr(0, slash);
    }
    init_system_path();
    for (const std::string& preload : context_.options.preload) {
      if (std::optional<size_t> loaded = load_library(preload, 0, FoundBy::preload)) {
        res_.edges.push_back({0, *loaded, preload});
      }
    }
    for (size_t i = 0; i < dsos_.size(); ++i) {
      size_t object = dsos_[i].object;
      const elf::ElfObject* elf = res_.objects[object].elf.get();
      if (object == 1 || elf == nullptr || !elf->dynamic) continue;
      for (const std::string& needed : elf->dynamic->needed) {
        std::optional<size_t> dep = load_library(needed, i, FoundBy::search);
        if (dep) res_.edges.push_back({object, *dep, needed});
      }
    }
    res_.search_order = chain_;
  }

 private:
  struct Dso {
    size_t object = 0;
    std::string shortname;  // the basename it can be found by, when it was found by a search
    std::string origin;
    std::optional<size_t> needed_by;  // index in dsos_
  };

  void init_system_path() {
    // The path file sits under the loader's prefix: /lib/ld-musl-x86_64.so.1 reads /etc/ld-musl-x86_64.path.
    const MachineFacts* facts = machine_facts(program_);
    std::string prefix;
    const std::string& name = ldso_name_;
    if (!name.empty() && name[0] == '/') {
      size_t last = name.rfind('/');
      size_t before = last == 0 ? std::string::npos : name.rfind('/', last - 1);
      if (before != std::string::npos) prefix = name.substr(0, before);
    }
    system_path_ = "/lib:/usr/local/lib:/usr/lib";
    if (facts && !facts->musl_arch.empty()) {
      std::string file = prefix + "/etc/ld-musl-" + std::string(facts->musl_arch) + ".path";
      if (auto bytes = context_.fs.read_file(file)) {
        auto view = bytes->whole();
        system_path_ = view ? std::string(view->as_string_view()) : std::string();
        path_file_ = file;
      }
    }
  }

  // path_open: empty elements skipped, "dir/name", the first file that opens is taken.
  std::optional<std::string> path_open(const std::string& name, const std::string& list, LoadedObject& record) {
    size_t i = 0;
    while (i < list.size()) {
      i = list.find_first_not_of(":\n", i);
      if (i == std::string::npos) break;
      size_t end = list.find_first_of(":\n", i);
      std::string dir = list.substr(i, end == std::string::npos ? std::string::npos : end - i);
      std::string path = dir + "/" + name;
      record.tried.add(path);
      const OpenedFile& file = context_.fs.open(path);
      if (file.error == 0) return path;
      if (file.error != ENOENT && file.error != ENOTDIR && file.error != EACCES && file.error != ENAMETOOLONG) {
        return std::nullopt;
      }
      if (end == std::string::npos) break;
      i = end;
    }
    return std::nullopt;
  }

  std::optional<size_t> load_library(const std::string& name, size_t needed_by, FoundBy how) {
    size_t kind = 0;
    if (is_reserved_libc_name(name, &kind) || name == ldso_name_) {
      // ldso/dynlink.c load_library: the loader joins the chain of loaded objects (the global namespace, searched
      // for symbols) at its tail the first time a libc name is asked for.
      if (std::find(chain_.begin(), chain_.end(), size_t{1}) == chain_.end()) chain_.push_back(1);
      // The loader is libc: every libc name is the loader itself, and --list shows each kind once.
      if (reported_reserved_.insert(kind).second || name == ldso_name_) {
        LoadedObject line;
        line.name = name;
        line.path = ldso_name_;
        line.host_path = context_.fs.host_path(res_.loader_path);
        line.found_by = FoundBy::loader;
        line.elf = context_.loader_elf;
        line.requested_by = dsos_[needed_by].object;
        res_.objects.push_back(std::move(line));
      }
      return 1;
    }
    LoadedObject record;
    record.name = name;
    std::optional<std::string> path;
    std::optional<SearchSource> source;
    if (name.find('/') != std::string::npos) {
      path = name;
      record.tried.add(name);
      how = how == FoundBy::preload ? how : FoundBy::path;
    } else {
      for (const Dso& dso : dsos_) {
        if (!dso.shortname.empty() && dso.shortname == name) return dso.object;
      }
      const auto& library_path = context_.options.library_path;
      if (library_path && (path = path_open(name, *library_path, record))) source = SearchSource::ld_library_path;
      for (std::optional<size_t> p = needed_by; !path && p; p = dsos_[*p].needed_by) {
        const elf::ElfObject* elf = res_.objects[dsos_[*p].object].elf.get();
        if (!elf || !elf->dynamic) continue;
        // decode_dyn: DT_RUNPATH, when present, replaces DT_RPATH.
        const auto& list = elf->dynamic->runpath ? elf->dynamic->runpath : elf->dynamic->rpath;
        if (!list) continue;
        std::string expanded = musl_expand_origin(*list, dsos_[*p].origin);
        if (!expanded.empty() && (path = path_open(name, expanded, record))) {
          source = elf->dynamic->runpath ? SearchSource::runpath : SearchSource::rpath;
        }
      }
      if (!path && (path = path_open(name, system_path_, record))) source = SearchSource::musl_path;
    }
    const OpenedFile* file = path ? &context_.fs.open(*path) : nullptr;
    if (!file || file->error != 0 || file->is_directory) {
      record.found_by = FoundBy::not_found;
      record.requested_by = dsos_[needed_by].object;
      res_.objects.push_back(std::move(record));
      return std::nullopt;
    }
    for (const Dso& dso : dsos_) {
      if (res_.objects[dso.object].file_id == file->id && dso.object != 0) return dso.object;
    }
    CandidateCheck check = check_candidate(*file->bytes, target_);
    auto elf = check.verdict == Verdict::accept ? context_.parse(*file) : Error{check.reason};
    if (!elf) {
      // musl takes the first file that opens: a wrong one ends the search for this name.
      record.found_by = FoundBy::not_found;
      record.rejected.push_back({*path, elf.error().message});
      record.requested_by = dsos_[needed_by].object;
      res_.objects.push_back(std::move(record));
      return std::nullopt;
    }
    record.found_by = how;
    record.path = *path;
    record.host_path = context_.fs.host_path(*path);
    record.elf = *elf;
    record.soname = (*elf)->dynamic ? (*elf)->dynamic->soname : std::nullopt;
    record.search_source = source;
    record.file_id = file->id;
    record.requested_by = dsos_[needed_by].object;
    if (source) {
      size_t slash = path->rfind('/');
      record.search_directory = path->substr(0, slash);
    }
    res_.objects.push_back(std::move(record));
    Dso dso;
    dso.object = res_.objects.size() - 1;
    if (name.find('/') == std::string::npos) dso.shortname = path->substr(path->rfind('/') + 1);
    size_t slash = path->rfind('/');
    dso.origin = slash == std::string::npos ? "." : path->substr(0, slash);
    dso.needed_by = needed_by;
    dsos_.push_back(std::move(dso));
    chain_.push_back(dsos_.back().object);
    return dsos_.back().object;
  }

  ResolverContext& context_;
  Resolution& res_;
  const elf::ElfObject& program_;
  LoadTarget target_;
  std::string ldso_name_;
  std::string system_path_;
  std::string path_file_;
  std::vector<Dso> dsos_;
  std::vector<size_t> chain_{0};  // the objects in musl's dso chain order: the program first (search_order)
  std::set<size_t> reported_reserved_;
};

}  // namespace

void run_musl_model(ResolverContext& context, Resolution& resolution, const elf::ElfObject& program) {
  MuslModel model(context, resolution, program);
  model.run();
}

}  // namespace elfrun::loader
