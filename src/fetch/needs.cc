// The checks of needs.h, on the resolver's graph.
#include "fetch/needs.h"

#include <elf.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "elf/byte_source.h"
#include "elf/symbols.h"
#include "loader/resolver.h"
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

bool fits(const std::string& loader, const elf::ElfObject& program) {
  auto source = elf::ByteSource::open(loader);
  if (!source) return false;
  auto object = elf::parse_elf(**source);
  return object && object->header.machine == program.header.machine &&
         object->ident.elf_class == program.ident.elf_class;
}

// Defined symbols of one object by name and version name, read once.
struct Definitions {
  std::set<std::pair<std::string, std::string>> versioned;  // (name, version)
};

}  // namespace

std::vector<Unmet> unmet_needs(const std::string& program, const elf::ElfObject& object,
                               const Configuration& configuration) {
  std::vector<Unmet> unmet;
  std::string interp = object.interpreter ? std::string(util::base_name(*object.interpreter)) : std::string();
  if (!fits(configuration.loader, object)) {
    unmet.push_back({interp, "loader " + configuration.loader + " missing or not of the program's machine"});
    return unmet;
  }
  loader::ResolveOptions options;
  options.loader_path = configuration.loader;
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
          unmet.push_back({soname_of(*provider), "version " + version.name + " (required by " +
                                                     (loaded.host_path.empty() ? loaded.path : loaded.host_path) +
                                                     ")"});
        }
      }
    }
  }
  if (!unmet.empty()) return unmet;

  // Symbols (dl-lookup.c check_match): a versioned reference needs a definition of that name under that version in
  // the library the version belongs to. Unversioned and weak references are left to the other checks (why --symbols).
  std::unordered_map<std::string, std::unique_ptr<Definitions>> tables;
  auto definitions_of = [&](const loader::LoadedObject& provider) -> const Definitions* {
    std::string path = provider.host_path.empty() ? provider.path : provider.host_path;
    auto& slot = tables[path];
    if (slot) return slot.get();
    slot = std::make_unique<Definitions>();
    auto source = elf::ByteSource::open(path);
    if (!source) return slot.get();
    auto table = elf::read_dynamic_symbols(**source, *provider.elf);
    if (!table) return slot.get();
    for (const elf::DynamicSymbol& symbol : table->symbols) {
      if (!symbol.defined() || symbol.name.empty()) continue;
      if (auto version = elf::version_name(*provider.elf, symbol.version_index)) {
        slot->versioned.insert({symbol.name, *version});
      }
    }
    return slot.get();
  };
  for (const loader::LoadedObject& loaded : resolution->objects) {
    if (!loaded.elf || !loaded.elf->dynamic || loaded.elf->dynamic->version_needs.empty()) continue;
    std::string path = loaded.host_path.empty() ? loaded.path : loaded.host_path;
    auto source = elf::ByteSource::open(path);
    if (!source) continue;
    auto table = elf::read_dynamic_symbols(**source, *loaded.elf);
    if (!table || !table->has_versym) continue;
    for (const elf::DynamicSymbol& symbol : table->symbols) {
      if (symbol.defined() || symbol.name.empty() || symbol.binding == STB_WEAK || symbol.version_index <= 1) {
        continue;
      }
      std::string file;
      auto version = elf::version_name(*loaded.elf, symbol.version_index, &file);
      if (!version || file.empty()) continue;
      const loader::LoadedObject* provider = provider_of(*resolution, file);
      if (provider == nullptr || !provider->elf->dynamic || provider->elf->dynamic->version_definitions.empty()) {
        continue;
      }
      const Definitions* definitions = definitions_of(*provider);
      if (definitions->versioned.count({symbol.name, *version}) == 0 &&
          reported.insert({soname_of(*provider), symbol.name + "@" + *version}).second) {
        unmet.push_back(
            {soname_of(*provider), "symbol " + symbol.name + "@" + *version + " (required by " + path + ")"});
      }
    }
  }
  if (!unmet.empty()) return unmet;

  // The program's unversioned references (dl-lookup.c: any definition in the global scope that is not hidden will
  // do), at fault the first library it needs that has no symbol versions (one that has them would have versioned the
  // reference). What a missing one costs is a "symbol lookup error" at the first call, after the program started.
  const loader::LoadedObject& main = resolution->objects.front();
  if (!main.elf || !main.elf->dynamic) return unmet;
  auto source = elf::ByteSource::open(main.host_path.empty() ? program : main.host_path);
  auto table = source ? elf::read_dynamic_symbols(**source, *main.elf) : Expected<elf::DynamicSymbolTable>(Error{""});
  if (!table) return unmet;
  std::set<std::string> wanted;
  for (const elf::DynamicSymbol& symbol : table->symbols) {
    if (!symbol.defined() && !symbol.name.empty() && symbol.binding != STB_WEAK && symbol.version_index <= 1) {
      wanted.insert(symbol.name);
    }
  }
  if (wanted.empty()) return unmet;
  for (size_t i = 1; i < resolution->objects.size() && !wanted.empty(); ++i) {
    const loader::LoadedObject& loaded = resolution->objects[i];
    if (!loaded.elf) continue;
    auto bytes = elf::ByteSource::open(loaded.host_path.empty() ? loaded.path : loaded.host_path);
    if (!bytes) continue;
    auto symbols = elf::read_dynamic_symbols(**bytes, *loaded.elf);
    if (!symbols) continue;
    for (const elf::DynamicSymbol& symbol : symbols->symbols) {
      if (symbol.defined() && !symbol.version_hidden) wanted.erase(symbol.name);
    }
  }
  if (wanted.empty()) return unmet;
  std::string at_fault;
  for (const std::string& needed : main.elf->dynamic->needed) {
    const loader::LoadedObject* provider = provider_of(*resolution, needed);
    if (provider && provider->elf->dynamic && provider->elf->dynamic->version_definitions.empty()) {
      at_fault = soname_of(*provider);
      break;
    }
  }
  unmet.push_back({at_fault.empty() ? std::string("(unknown)") : at_fault,
                   "symbol " + *wanted.begin() +
                       (wanted.size() > 1 ? " and " + std::to_string(wanted.size() - 1) + " more" : "") +
                       " (required by " + program + ") defined nowhere"});
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
