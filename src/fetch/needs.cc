// The checks of needs.h, on the resolver's graph.
#include "fetch/needs.h"

#include <elf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "elf/byte_source.h"
#include "fetch/policy.h"
#include "loader/filesystem.h"
#include "loader/resolver.h"
#include "loader/symbol_scope.h"
#include "util/text.h"

namespace elfrun::fetch {

namespace {

// The loaded object a DT_VERNEED entry names (glibc dl-version.c find_needed: by name or SONAME).
const loader::LoadedObject* provider_of(const loader::Resolution& resolution, const std::string& file) {
  for (const loader::LoadedObject& object : resolution.objects) {
    if (!object.elf) continue;
    if (object.name == file || (object.soname && *object.soname == file)) return &object;
  }
  return nullptr;
}

std::string soname_of(const loader::LoadedObject& object) {
  return object.soname ? *object.soname : std::string(util::base_name(object.name));
}

std::string file_of(const loader::LoadedObject& object) {
  return object.host_path.empty() ? object.path : object.host_path;
}

// The configuration's loader as the resolver names it: inside the root when it is the root's, else its host path
// (then its directory is one the root sees on the host).
std::string loader_as_resolved(const Configuration& configuration, std::vector<std::string>& host_dirs) {
  if (configuration.root.empty()) return configuration.loader;
  loader::RootedFs fs(configuration.root);
  if (auto inside = fs.inside_path(configuration.loader)) return *inside;
  host_dirs.emplace_back(util::dir_name(configuration.loader));
  return configuration.loader;
}

bool fits(const std::string& loader, const elf::ElfObject& program, const Configuration& configuration,
          const std::vector<std::string>& host_dirs) {
  // Under a root its loader is read inside it: DIR/lib64/ld-linux-x86-64.so.2 -> /lib/... is DIR's file, not ours.
  loader::RootedFs fs(configuration.root.empty() ? std::string("/") : configuration.root);
  fs.set_host_directories(host_dirs);
  const loader::OpenedFile& file = fs.open(loader);
  if (file.error != 0 || !file.bytes) return false;
  auto object = elf::parse_elf(*file.bytes);
  return object && object->header.machine == program.header.machine &&
         object->ident.elf_class == program.ident.elf_class;
}

}  // namespace

std::vector<Unmet> unmet_needs(const std::string& program, const elf::ElfObject& object,
                               const Configuration& configuration) {
  std::vector<Unmet> unmet;
  std::string interp = object.interpreter ? std::string(util::base_name(*object.interpreter)) : std::string();
  std::vector<std::string> host_dirs = configuration.library_dirs;
  std::string loader = loader_as_resolved(configuration, host_dirs);
  if (!fits(loader, object, configuration, host_dirs)) {
    unmet.push_back({interp, "loader " + configuration.loader + " missing or not of the program's machine"});
    return unmet;
  }
  loader::ResolveOptions options;
  if (!configuration.root.empty()) {
    options.root = configuration.root;
    options.host_directories = host_dirs;
  }
  options.loader_path = loader;
  std::string joined;
  for (const std::string& dir : configuration.library_dirs) joined += (joined.empty() ? "" : ":") + dir;
  if (!joined.empty()) options.library_path = joined;
  options.inhibit_cache = configuration.inhibit_cache;
  options.program_origin_real_path = true;
  options.include_vdso = false;
  loader::Resolver resolver(options);
  auto resolution = resolver.resolve(program);
  if (!resolution) {
    unmet.push_back({interp, resolution.error().message});
    return unmet;
  }
  for (const loader::LoadedObject& loaded : resolution->objects) {
    if (loaded.found_by == loader::FoundBy::not_found) unmet.push_back({loaded.name, "missing"});
  }
  if (resolution->fatal_error) unmet.push_back({interp, *resolution->fatal_error});

  // Versions (dl-version.c): each DT_VERNEED version must be in the provider's DT_VERDEF, unless weak.
  std::set<std::pair<std::string, std::string>> reported;
  for (const loader::LoadedObject& loaded : resolution->objects) {
    if (!loaded.elf || !loaded.elf->dynamic) continue;
    for (const elf::VersionNeed& need : loaded.elf->dynamic->version_needs) {
      const loader::LoadedObject* provider = provider_of(*resolution, need.file);
      if (provider == nullptr || !provider->elf->dynamic || provider->elf->dynamic->version_definitions.empty()) {
        continue;
      }
      const auto& definitions = provider->elf->dynamic->version_definitions;
      for (const elf::VersionNeeded& version : need.versions) {
        if (version.flags & VER_FLG_WEAK) continue;
        bool defined = std::any_of(definitions.begin(), definitions.end(), [&](const elf::VersionDefinition& d) {
          return !d.names.empty() && d.names[0] == version.name;
        });
        if (!defined && reported.insert({soname_of(*provider), version.name}).second) {
          unmet.push_back({soname_of(*provider),
                           "version " + version.name + " (required by " +
                               (loaded.host_path.empty() ? loaded.path : loaded.host_path) + ")",
                           file_of(*provider)});
        }
      }
    }
  }
  if (!unmet.empty()) return unmet;

  // Symbols: what the loader would look up and not find (loader/symbol_scope.h, after glibc's elf/dl-lookup.c) — a
  // versioned reference needs that name under that version in whichever object (glibc 2.34 moved dlopen@GLIBC_2.2.5
  // from libdl.so.2 into libc.so.6), an unversioned one any visible definition. At fault for a versioned one, the
  // library the version belongs to (the referrer's DT_VERNEED entry names it); for an unversioned one, a library the
  // referrer needs that has no symbol versions (one that has them would have versioned the reference). A missing
  // symbol is a "symbol lookup error", at start or at the first call.
  std::vector<std::string> problems;  // unreadable symbol tables: the loader would fail on them too, but not here
  auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  for (const loader::UndefinedReferences& missing :
       loader::find_undefined_symbols(*resolution, options.root, program, problems)) {
    const loader::LoadedObject& referrer = resolution->objects[missing.object];
    if (!referrer.elf || !referrer.elf->dynamic) continue;  // undefined references come with a dynamic section
    std::string path = missing.object == 0 ? program : file_of(referrer);
    std::vector<std::string> unversioned_missing;
    for (const loader::UndefinedSymbol& symbol : missing.symbols) {
      if (symbol.version.empty()) {
        unversioned_missing.push_back(symbol.name);
        continue;
      }
      const loader::LoadedObject* provider = nullptr;
      for (const elf::VersionNeed& need : referrer.elf->dynamic->version_needs) {
        for (const elf::VersionNeeded& version : need.versions) {
          if (version.name == symbol.version) provider = provider_of(*resolution, need.file);
        }
      }
      if (provider == nullptr) continue;
      if (reported.insert({soname_of(*provider), symbol.name + "@" + symbol.version}).second) {
        unmet.push_back({soname_of(*provider),
                         "symbol " + symbol.name + "@" + symbol.version + " (required by " + path + ")",
                         file_of(*provider)});
      }
    }
    if (unversioned_missing.empty()) continue;
    // The one whose name starts the symbol's (libssh2.so.1 for libssh2_session_callback_set2) when there is one,
    // else each of them in turn.
    std::vector<std::pair<std::string, std::string>> at_fault;  // soname, file
    std::string first = unversioned_missing.front();
    for (const std::string& needed : referrer.elf->dynamic->needed) {
      const loader::LoadedObject* provider = provider_of(*resolution, needed);
      if (!provider || !provider->elf->dynamic || !provider->elf->dynamic->version_definitions.empty()) continue;
      std::string soname = soname_of(*provider);
      std::string stem = lower(soname.substr(0, soname.find(".so")));
      std::string bare = stem.rfind("lib", 0) == 0 ? stem.substr(3) : stem;
      std::string symbol = lower(first);
      if (!bare.empty() && (symbol.rfind(stem, 0) == 0 || symbol.rfind(bare, 0) == 0)) {
        at_fault = {{soname, file_of(*provider)}};
        break;
      }
      at_fault.emplace_back(soname, file_of(*provider));
    }
    // None without symbol versions: the library the program was linked against may have had none where the
    // machine's has some (trixie's libapt-private.so.0.0 defines no version, bookworm's does), and an unversioned
    // reference binds to a versioned definition too. Then each library it needs outside the C and C++ runtime
    // (whose packages the policy names and whose symbols are all versioned).
    if (at_fault.empty()) {
      for (const std::string& needed : referrer.elf->dynamic->needed) {
        const loader::LoadedObject* provider = provider_of(*resolution, needed);
        if (provider != nullptr && !is_runtime_soname(soname_of(*provider))) {
          at_fault.emplace_back(soname_of(*provider), file_of(*provider));
        }
      }
    }
    if (at_fault.empty()) at_fault.emplace_back("(unknown)", "");
    std::string what =
        "symbol " + first +
        (unversioned_missing.size() > 1 ? " and " + std::to_string(unversioned_missing.size() - 1) + " more" : "") +
        " (required by " + path + ") defined nowhere";
    for (const auto& [soname, file] : at_fault) unmet.push_back({soname, what, file});
  }
  return unmet;
}

std::string describe_unmet(const std::vector<Unmet>& unmet, size_t limit) {
  std::string text;
  for (size_t i = 0; i < unmet.size() && i < limit; ++i) {
    text += (text.empty() ? "" : "; ") + unmet[i].soname + ": " + unmet[i].what;
  }
  if (unmet.size() > limit) text += "; and " + std::to_string(unmet.size() - limit) + " more";
  return text;
}

}  // namespace elfrun::fetch
