// The resolver: which files a dynamic loader would load for a program, in which order, and why, computed from the
// files alone — nothing is executed. glibc's algorithm (elf/rtld.c, dl-deps.c, dl-load.c, dl-cache.c) or musl's
// (ldso/dynlink.c), chosen by the program's loader.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elf/elf_object.h"
#include "loader/filesystem.h"
#include "loader/ld_so_cache.h"
#include "loader/loader_identity.h"
#include "loader/machine_facts.h"
#include "loader/tried_paths.h"
#include "util/expected.h"

namespace elfrun::loader {

// Where a search list came from, in glibc's order.
enum class SearchSource : uint8_t {
  rpath,            // DT_RPATH of an object in the requester's loader chain (or of the executable)
  ld_library_path,  // LD_LIBRARY_PATH or --library-path
  runpath,          // DT_RUNPATH of the requester
  cache,            // /etc/ld.so.cache
  system_dirs,      // the loader's built-in directories
  musl_path,        // musl: /etc/ld-musl-ARCH.path or its built-in default
};

// How an object came to be in the list.
enum class FoundBy : uint8_t {
  main_program,
  preload,
  vdso,    // the kernel's vdso, which ld.so --list shows
  loader,  // the dynamic loader itself (matched by its PT_INTERP name or SONAME)
  path,    // a name with a '/', opened as it is
  search,  // found in a search list (see search_source)
  not_found,
};

// One candidate file the search looked at and did not take.
struct RejectedCandidate {
  std::string path;    // inside the root
  std::string reason;  // "wrong ELF class: ELFCLASS32", "wrong machine: AArch64", "not ELF"...
};

// Where a program's loader will look for files: the plain file system (native), a root seen as after chroot
// (`--root` for a program the kernel runs itself), or qemu-user's -L ROOT, under the root first and then on the host
// (qemu util/path.c): what `run` executes for a program the kernel does not run itself.
enum class LookupModel : uint8_t { native, chroot, qemu_prefix };

std::string_view lookup_model_name(LookupModel model);

// The model for a program resolved against a root ("/" or empty: native).
LookupModel lookup_model(const elf::ElfObject& program, const std::string& root);

struct LoadedObject {
  std::string name;       // the name it was first asked for (DT_NEEDED string, preload, program path)
  std::string path;       // the file, as the loader names it (inside the root); empty when not found
  std::string host_path;  // the same file on this machine
  std::optional<std::string> soname;
  FoundBy found_by = FoundBy::not_found;
  std::optional<SearchSource> search_source;
  std::string search_directory;        // the search-list directory it was found in (without hwcaps subdirectory)
  std::string hwcaps_subdir;           // "glibc-hwcaps/x86-64-v3", "tls/x86_64" or empty
  std::optional<size_t> rpath_owner;   // for SearchSource::rpath: the object whose DT_RPATH it was
  std::optional<size_t> requested_by;  // the object whose DT_NEEDED first asked for it (the loader chain)
  TriedPaths tried;                    // every path tried, in order (for a missing library: all of them)
  std::vector<RejectedCandidate> rejected;
  std::shared_ptr<const elf::ElfObject> elf;  // null for the vdso and for missing objects
  FileId file_id;
};

struct DependencyEdge {
  size_t from = 0;
  size_t to = 0;
  std::string needed;  // the DT_NEEDED string
};

struct Resolution {
  // objects[0] is the program. The rest in the order the loader's list has them (what ld.so --list prints).
  std::vector<LoadedObject> objects;
  std::vector<size_t> search_order;  // the program's search list (breadth-first, l_searchlist)
  std::vector<DependencyEdge> edges;
  LoaderIdentity loader;
  std::string loader_path;  // the loader, inside the root (PT_INTERP or the machine's usual one)
  bool loader_found = false;
  // A fatal error that stops the loader (a garbage or byte-swapped file on the path): its own words.
  std::optional<std::string> fatal_error;
  // Facts the user should know: "libfoo.so.1 is in /opt/foo/lib, listed in /etc/ld.so.conf.d/foo.conf but missing
  // from /etc/ld.so.cache: run ldconfig".
  std::vector<std::string> notes;
  bool is_static = false;  // no PT_DYNAMIC at all
  LookupModel model = LookupModel::native;
  std::vector<std::string> host_directories;  // ResolveOptions::host_directories, for whoever opens its files again
  bool has_missing() const;
};

struct ResolveOptions {
  std::string root = "/";
  std::optional<std::string> library_path;  // as LD_LIBRARY_PATH or --library-path (raw, ':' and ';' separated)
  std::vector<std::string> preload;         // LD_PRELOAD / --preload entries, in order
  bool inhibit_cache = false;
  std::optional<std::vector<std::string>> hwcaps;  // glibc-hwcaps subdirectories to search, best first
  bool include_vdso = true;                        // show the vdso line when the kernel runs the machine natively
  // $ORIGIN of the program: the directory of the path as given (what ld.so --list does), or of its real path (what
  // the kernel gives a program that is run directly).
  bool program_origin_real_path = false;
  std::optional<std::string> loader_path;  // use this loader (inside the root) instead of the program's PT_INTERP
  // What that loader is, when the caller has already read it from its bytes (`run`, from discovery): spares reading
  // its strings a second time.
  std::optional<LoaderIdentity> loader_identity;
  // How files are looked up; by default lookup_model() of the program.
  std::optional<LookupModel> model;
  // Under a root: host directories opened on the host as they are (RootedFs::set_host_directories).
  std::vector<std::string> host_directories;
};

class Resolver {
 public:
  explicit Resolver(ResolveOptions options);
  ~Resolver();

  // Resolves one program or library (a path as the user gave it, on the host; under --root, a host path inside the
  // root or an inside path). Errors are for a FILE that cannot be read or parsed.
  Expected<Resolution> resolve(const std::string& path);

  RootedFs& filesystem() { return fs_; }

 private:
  struct Impl;
  ResolveOptions options_;
  RootedFs fs_;
  std::unique_ptr<Impl> impl_;
};

std::string_view search_source_name(SearchSource source);

}  // namespace elfrun::loader
