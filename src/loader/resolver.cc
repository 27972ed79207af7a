// Resolver: the entry point of library resolution. It reads the program, finds and identifies its loader, reads the
// root's ld.so.cache, works out the hwcaps in use, and hands over to the glibc or musl model. Parsed files, loader
// identities and the cache are kept across calls, so resolving a whole directory parses each library once.
#include "loader/resolver.h"

#include <elf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>

#include "elf/identify.h"
#include "loader/hwcaps.h"
#include "loader/kernel_machines.h"
#include "loader/musl_resolver.h"
#include "loader/resolver_internal.h"
#include "loader/search_path.h"
#include "util/text.h"

namespace elfrun::loader {

std::string_view search_source_name(SearchSource source) {
  switch (source) {
    case SearchSource::rpath: return "rpath";
    case SearchSource::ld_library_path: return "LD_LIBRARY_PATH";
    case SearchSource::runpath: return "runpath";
    case SearchSource::cache: return "ld.so.cache";
    case SearchSource::system_dirs: return "system dir";
    case SearchSource::musl_path: return "musl path";
  }
  return "?";
}

std::string_view lookup_model_name(LookupModel model) {
  switch (model) {
    case LookupModel::native: return "native: files as this machine has them";
    case LookupModel::chroot: return "--root: files inside the root, as after chroot";
    case LookupModel::qemu_prefix: return "qemu -L: files under the root first, then on the host (qemu util/path.c)";
  }
  return "?";
}

LookupModel lookup_model(const elf::ElfObject& program, const std::string& root) {
  if (root.empty() || root == "/") return LookupModel::native;
  // The one answer to "does this kernel run it" (kernel_machines.h): an i386 program on a kernel without IA32
  // emulation goes through qemu -L like any foreign one.
  return kernel_runs_natively(program.header.machine, program.ident.elf_class) ? LookupModel::chroot
                                                                               : LookupModel::qemu_prefix;
}

bool Resolution::has_missing() const {
  return fatal_error.has_value() || std::any_of(objects.begin(), objects.end(),
                                                [](const LoadedObject& o) { return o.found_by == FoundBy::not_found; });
}

struct Resolver::Impl {
  std::map<FileId, std::shared_ptr<const elf::ElfObject>> parsed;
  std::map<FileId, Error> parse_errors;
  bool cache_loaded = false;
  std::optional<LdSoCache> cache;
  std::optional<std::string> cache_problem;
  std::map<std::string, std::optional<LoaderIdentity>> identities;  // by loader path inside the root

  Expected<std::shared_ptr<const elf::ElfObject>> parse(const OpenedFile& file) {
    if (auto found = parsed.find(file.id); found != parsed.end()) return found->second;
    if (auto failed = parse_errors.find(file.id); failed != parse_errors.end()) return failed->second;
    auto object = elf::parse_elf(*file.bytes);
    // What the resolver needs is now in the ElfObject (and later only the header, for the candidate check): give
    // the pages back, so that resolving every library of a system does not keep them all resident.
    file.bytes->release_resident_pages();
    if (!object) {
      parse_errors.emplace(file.id, object.error());
      return object.error();
    }
    auto shared = std::make_shared<const elf::ElfObject>(std::move(*object));
    parsed.emplace(file.id, shared);
    return shared;
  }
};

Resolver::Resolver(ResolveOptions options)
    : options_(std::move(options)), fs_(options_.root), impl_(std::make_unique<Impl>()) {
  fs_.set_host_directories(options_.host_directories);
}

Resolver::~Resolver() = default;

namespace {

bool host_is_x86() {
  struct utsname names {};
  return ::uname(&names) == 0 && std::strcmp(names.machine, "x86_64") == 0;
}

}  // namespace

Expected<Resolution> Resolver::resolve(const std::string& path) {
  // The program's path inside the root: a host path under the root, or else a path inside it.
  // A program outside the root (a cross-compiled binary checked against /usr/aarch64-linux-gnu) is read from where
  // it is, as `qemu-ARCH -L ROOT PROGRAM` reads it; everything it loads is looked up inside the root.
  std::string inside = path;
  bool outside_root = false;
  if (!fs_.is_host()) {
    std::string host = path;
    if (host.empty() || host[0] != '/') {
      char cwd[PATH_MAX];
      if (::getcwd(cwd, sizeof cwd) != nullptr) host = std::string(cwd) + "/" + path;
    }
    if (auto under_root = fs_.inside_path(host)) {
      inside = *under_root;
    } else if (fs_.open(inside).error == ENOENT) {
      outside_root = true;
      inside = host;
    }
  }
  fs_.set_host_fallback(false);
  const OpenedFile& file = outside_root ? fs_.open_host(inside) : fs_.open(inside);
  if (file.error != 0) return Error{path + ": " + std::strerror(file.error)};
  if (file.is_directory) return Error{path + ": is a directory"};
  auto program = impl_->parse(file);
  if (!program) return Error{path + ": " + program.error().message};
  const LookupModel model = options_.model ? *options_.model : lookup_model(**program, fs_.root());
  fs_.set_host_fallback(model == LookupModel::qemu_prefix);

  Resolution res;
  res.model = model;
  res.host_directories = options_.host_directories;
  LoadedObject main;
  main.name = inside;
  main.path = inside;
  main.host_path = outside_root ? inside : fs_.host_path(inside);
  main.found_by = FoundBy::main_program;
  main.elf = *program;
  main.file_id = file.id;
  main.soname = (*program)->dynamic ? (*program)->dynamic->soname : std::nullopt;
  res.objects.push_back(std::move(main));
  const elf::ElfObject& elf = **program;
  if (!elf.dynamic) {
    res.is_static = true;
    return res;
  }

  // The loader: the one asked for, else the program's PT_INTERP, else the usual one for its machine.
  const MachineFacts* facts = machine_facts(elf);
  if (options_.loader_path) {
    res.loader_path = *options_.loader_path;
  } else if (elf.interpreter) {
    res.loader_path = *elf.interpreter;
  } else if (facts) {
    // No PT_INTERP (a shared library, a .node module): the file's own libc decides, as `info` judges it. A musl
    // library needs libc.so (or libc.musl-ARCH.so.1), which is musl's loader itself: /lib/ld-musl-ARCH.so.1.
    res.loader_path = elf::libc_of(elf) == "musl" && !facts->musl_arch.empty()
                          ? "/lib/ld-musl-" + std::string(facts->musl_arch) + ".so.1"
                          : std::string(facts->glibc_loader);
  }
  ResolverContext context{options_, fs_, {}, {}, {}, nullptr, {}, {}, {}, {}, {}};
  context.parse = [this](const OpenedFile& f) { return impl_->parse(f); };
  if (!res.loader_path.empty()) {
    const OpenedFile& loader_file = fs_.open(res.loader_path);
    if (loader_file.error == 0 && !loader_file.is_directory) {
      auto loader_elf = impl_->parse(loader_file);
      if (loader_elf) {
        auto& identity = impl_->identities[res.loader_path];
        if (!identity && options_.loader_path && options_.loader_identity) identity = *options_.loader_identity;
        if (!identity) {
          auto identified = identify_loader(*loader_file.bytes, **loader_elf);
          if (identified && identified->flavour != Flavour::unknown) identity = std::move(*identified);
        }
        if (identity) {
          res.loader = *identity;
          res.loader_found = true;
          context.loader_elf = *loader_elf;
          context.loader_id = loader_file.id;
        }
      }
    }
  }
  if (!res.loader_found) {
    res.loader = fallback_identity(elf, res.loader_path);
    res.notes.push_back(res.loader_path.empty()
                            ? "no loader is known for this machine; glibc's usual facts assumed"
                            : "the loader " + res.loader_path +
                                  " was not found or not recognised; glibc's usual facts for this machine assumed");
  }

  // $ORIGIN of the program.
  context.program_origin = origin_of(inside, fs_.cwd());
  if (outside_root && elf.dynamic) {
    auto uses_origin = [](const std::optional<std::string>& list) {
      return list && list->find("ORIGIN") != std::string::npos;
    };
    if (uses_origin(elf.dynamic->rpath) || uses_origin(elf.dynamic->runpath)) {
      res.notes.push_back(path + " is outside the root " + fs_.root() + ": its $ORIGIN, " + context.program_origin +
                          (model == LookupModel::qemu_prefix
                               ? ", is looked up under the root first, then on the host, as qemu -L does"
                               : ", is looked up inside the root, as after chroot"));
    }
  }
  if (options_.program_origin_real_path && fs_.is_host()) {
    std::string real = util::real_path(inside);
    if (real != inside || real.rfind('/', 0) == 0) context.program_origin = origin_of(real, "/");
  }

  if (res.loader.flavour == Flavour::musl) {
    run_musl_model(context, res, elf);
    return res;
  }

  // glibc: the cache of the root, the hwcaps in use.
  if (!impl_->cache_loaded) {
    impl_->cache_loaded = true;
    if (auto bytes = fs_.read_file("/etc/ld.so.cache")) {
      auto view = bytes->whole();
      // The cache's integers are in the byte order of the machine it was made for; the new format follows the
      // old at the alignment of struct cache_file_new, 4 on i386 and 8 elsewhere.
      CacheFormat format;
      format.byte_order = elf.byte_order();
      format.new_format_alignment = elf.header.machine == EM_386 ? 4 : 8;
      auto parsed = view ? LdSoCache::parse(*view, format) : Expected<LdSoCache>(Error{"cannot be mapped"});
      if (parsed) {
        impl_->cache = std::move(*parsed);
      } else {
        impl_->cache_problem = "/etc/ld.so.cache: " + parsed.error().message;
      }
    }
  }
  if (impl_->cache_problem) res.notes.push_back(*impl_->cache_problem + " (the loader ignores it)");
  context.cache = impl_->cache ? &*impl_->cache : nullptr;
  context.cache_query.flags = facts ? facts->cache_flags : 0;
  if (facts) context.cache_query.accepted_flags = facts->cache_accepted_flags;
  const bool native_x86 = host_is_x86() && (elf.header.machine == EM_X86_64 || elf.header.machine == EM_386);
  if (native_x86) context.cache_query.x86_isa_levels = host_x86_isa_levels();
  if (native_x86 && res.loader.has_legacy_hwcaps) {
    context.cache_query.legacy_hwcaps = host_legacy_hwcap_filter(elf.header.machine, elf.ident.elf_class);
  }
  if (options_.hwcaps) {
    context.active_hwcaps = *options_.hwcaps;
  } else if (host_is_x86() && elf.header.machine == EM_X86_64 && elf.is_64() &&
             !(res.loader.flavour == Flavour::glibc && res.loader.version_is_lower_bound)) {
    // The glibc-hwcaps subdirectories the loader knows and this CPU supports, best first. glibc 2.33 brought both
    // them (elf/dl-hwcaps.c) and the --version banner: a loader without the banner (Debian bullseye's 2.31)
    // searches only the legacy subdirectories, and ignores the cache's glibc-hwcaps entries.
    for (const std::string& name : host_hwcaps_subdirs(elf.header.machine, elf.ident.elf_class)) {
      const auto& known = res.loader.hwcaps_subdirs;
      if (known.empty() || std::find(known.begin(), known.end(), name) != known.end()) {
        context.active_hwcaps.push_back(name);
      }
    }
  }
  context.cache_query.active_hwcaps = context.active_hwcaps;
  if (native_x86) {
    // glibc 2.36 sysdeps/x86/cpu-features.c init_cpu_features sets dl_platform ($PLATFORM, the legacy platform
    // subdirectory) to "haswell" or "xeon_phi" on Intel CPUs only, "i686" / "i586" for i386; else AT_PLATFORM stays.
    X86CpuFacts cpu = host_x86_cpu_facts();
    if (elf.header.machine == EM_X86_64 && cpu.x86_64_platform != nullptr) context.platform = cpu.x86_64_platform;
    if (elf.header.machine == EM_386 && (cpu.i686 || cpu.i586)) context.platform = cpu.i686 ? "i686" : "i586";
    if (res.loader.has_legacy_hwcaps) {
      // glibc < 2.37 sysdeps/x86/dl-hwcap.h: HWCAP_X86_SSE2 (i386), HWCAP_X86_64, HWCAP_X86_AVX512_1 (x86-64);
      // the same file's init_cpu_features sets HWCAP_X86_AVX512_1 on Intel CPUs only (not from the ISA level).
      if (elf.header.machine == EM_386) {
        if (cpu.sse2) context.legacy_hwcap_names = {"sse2"};
      } else if (elf.header.machine == EM_X86_64 && elf.is_64()) {
        context.legacy_hwcap_names = {"x86_64"};
        if (cpu.x86_64_hwcap & 4) context.legacy_hwcap_names.push_back("avx512_1");  // HWCAP_X86_AVX512_1
      }
    }
  }
  run_glibc_model(context, res, elf);
  return res;
}

}  // namespace elfrun::loader
