// --symbols: what `ldd -r` reports, without running anything. Each undefined dynamic symbol of every loaded object
// is looked up in the global scope (the program's breadth-first search list) the way glibc's elf/dl-lookup.c
// check_match accepts a definition: a defined symbol of a code or data type with a value; for a versioned reference
// the same version name, or an unnamed (base) version that is not hidden; for an unversioned one a definition of
// version index 0 to 2, or the only non-hidden one of a higher index. Weak references may stay undefined.
#include <elf.h>

#include <algorithm>
#include <unordered_map>

#include "diagnose/walk.h"
#include "elf/symbols.h"
#include "loader/filesystem.h"

namespace elfrun::diagnose {

namespace {

constexpr size_t kEvidenceSymbols = 20;

bool allowed_type(uint8_t type) {
  return type == STT_NOTYPE || type == STT_OBJECT || type == STT_FUNC || type == STT_COMMON || type == STT_TLS ||
         type == STT_GNU_IFUNC;
}

// check_match's tests on the definition itself.
bool usable_definition(const elf::DynamicSymbol& symbol) {
  if (!symbol.defined() || symbol.name.empty()) return false;
  if (symbol.value == 0 && symbol.section != SHN_ABS && symbol.type != STT_TLS) return false;
  if (!allowed_type(symbol.type)) return false;
  return symbol.binding == STB_GLOBAL || symbol.binding == STB_WEAK || symbol.binding == STB_GNU_UNIQUE;
}

struct ObjectSymbols {
  const elf::ElfObject* elf = nullptr;
  elf::DynamicSymbolTable table;
  std::unordered_map<std::string, std::vector<size_t>> definitions;  // name -> symbol indices
};

// Whether object `definer` satisfies a reference (dl-lookup.c check_match and the num_versions rule of do_lookup_x).
bool defines(const ObjectSymbols& definer, const UndefinedSymbol& reference) {
  auto found = definer.definitions.find(reference.name);
  if (found == definer.definitions.end()) return false;
  int unversioned_candidates = 0;
  for (size_t index : found->second) {
    const elf::DynamicSymbol& symbol = definer.table.symbols[index];
    if (!definer.table.has_versym) return true;
    uint16_t ndx = symbol.version_index;
    if (!reference.version.empty()) {
      auto name = elf::version_name(*definer.elf, ndx);
      bool named = false;  // l_versions[ndx].hash != 0: a version the object defines (not its base name)
      for (const elf::VersionDefinition& d : definer.elf->dynamic->version_definitions) {
        if ((d.index & 0x7fff) == ndx && !(d.flags & VER_FLG_BASE)) named = true;
      }
      if (name == reference.version || (!named && !symbol.version_hidden)) return true;
      continue;
    }
    if (ndx < 3) return true;
    if (!symbol.version_hidden) ++unversioned_candidates;
  }
  return unversioned_candidates == 1;
}

std::string shown_name(const loader::Resolution& resolution, size_t index, const ExecTarget& target) {
  if (index == 0) return target.shown;
  const loader::LoadedObject& object = resolution.objects[index];
  return object.path.empty() ? object.name : object.path;
}

}  // namespace

std::vector<UndefinedReferences> find_undefined_symbols(const loader::Resolution& resolution, const std::string& root,
                                                        const std::string& program_host_path,
                                                        std::vector<std::string>& problems) {
  std::vector<std::optional<ObjectSymbols>> objects(resolution.objects.size());
  loader::RootedFs fs(root);
  std::vector<uint32_t> copied;  // the program's copy-relocated symbols
  for (size_t i = 0; i < resolution.objects.size(); ++i) {
    const loader::LoadedObject& object = resolution.objects[i];
    if (!object.elf || object.found_by == loader::FoundBy::not_found || object.found_by == loader::FoundBy::vdso) {
      continue;
    }
    // The libraries are opened by their path inside the root, through RootedFs (openat2 RESOLVE_IN_ROOT,
    // O_NONBLOCK) as the resolver found them: a symlink in the root never leads to a host file.
    std::shared_ptr<elf::ByteSource> bytes;
    if (i == 0) {
      auto opened = elf::ByteSource::open(program_host_path);
      if (opened) bytes = std::move(*opened);
    } else {
      const loader::OpenedFile& opened = fs.open(object.path);
      if (opened.error == 0) bytes = opened.bytes;
    }
    if (!bytes) continue;
    auto table = elf::read_dynamic_symbols(*bytes, *object.elf);
    if (!table) {
      problems.push_back("the dynamic symbols of " + (i == 0 ? program_host_path : object.path) +
                         " cannot be read: " + table.error().message);
      continue;
    }
    if (i == 0) {
      auto copies = elf::read_copy_relocations(*bytes, *object.elf);
      if (copies) {
        copied = std::move(*copies);
      } else {
        problems.push_back("the relocations of " + program_host_path + " cannot be read: " + copies.error().message);
      }
    }
    ObjectSymbols symbols;
    symbols.elf = object.elf.get();
    symbols.table = std::move(*table);
    for (size_t j = 1; j < symbols.table.symbols.size(); ++j) {
      if (usable_definition(symbols.table.symbols[j])) symbols.definitions[symbols.table.symbols[j].name].push_back(j);
    }
    objects[i] = std::move(symbols);
  }
  std::vector<size_t> scope = resolution.search_order;
  if (scope.empty()) {
    for (size_t i = 0; i < resolution.objects.size(); ++i) scope.push_back(i);
  }
  auto reference_of = [](const ObjectSymbols& own, const elf::DynamicSymbol& symbol) {
    UndefinedSymbol reference{symbol.name, "", symbol.type, false};
    if (own.table.has_versym && symbol.version_index >= 2) {
      reference.version = elf::version_name(*own.elf, symbol.version_index).value_or("");
    }
    return reference;
  };
  auto defined_in_scope = [&](const UndefinedSymbol& reference, bool skip_program) {
    return std::any_of(scope.begin(), scope.end(), [&](size_t definer) {
      if (skip_program && definer == 0) return false;
      return definer < objects.size() && objects[definer] && defines(*objects[definer], reference);
    });
  };
  std::vector<UndefinedReferences> found;
  for (size_t i = 0; i < resolution.objects.size(); ++i) {
    const ObjectSymbols* own = objects[i] ? &*objects[i] : nullptr;
    if (!own) continue;
    UndefinedReferences missing;
    missing.object = i;
    missing.bind_now = own->elf->dynamic && own->elf->dynamic->bind_now();
    for (const elf::DynamicSymbol& symbol : own->table.symbols) {
      if (symbol.defined() || symbol.name.empty() || symbol.binding != STB_GLOBAL) continue;
      UndefinedSymbol reference = reference_of(*own, symbol);
      if (!defined_in_scope(reference, false)) missing.symbols.push_back(std::move(reference));
    }
    // Copy relocations of the program: looked up everywhere but in the program (ELF_RTYPE_CLASS_COPY).
    if (i == 0) {
      for (uint32_t index : copied) {
        if (index == 0 || index >= own->table.symbols.size()) continue;
        UndefinedSymbol reference = reference_of(*own, own->table.symbols[index]);
        reference.copy = true;
        if (!defined_in_scope(reference, true)) missing.symbols.push_back(std::move(reference));
      }
    }
    if (!missing.symbols.empty()) found.push_back(std::move(missing));
  }
  return found;
}

bool UndefinedReferences::blocking() const {
  return bind_now || std::any_of(symbols.begin(), symbols.end(), [](const UndefinedSymbol& r) {
           return r.copy || r.type == STT_OBJECT || r.type == STT_TLS || r.type == STT_COMMON;
         });
}

void check_symbols(Walk& walk, const ExecTarget& target, const loader::Resolution& resolution) {
  std::vector<std::string> problems;
  auto found = find_undefined_symbols(resolution, walk.options().root, target.host_path, problems);
  for (const std::string& problem : problems) walk.add("symbols-unreadable", Severity::warning, target.shown, problem);
  std::vector<std::string> scope_names;
  for (size_t s : resolution.search_order) scope_names.push_back(shown_name(resolution, s, target));
  for (const UndefinedReferences& missing : found) {
    std::string who = shown_name(resolution, missing.object, target);
    auto describe = [](const UndefinedSymbol& r) {
      return r.name + (r.version.empty() ? "" : ", version " + r.version);
    };
    std::string first = describe(missing.symbols.front());
    std::string more =
        missing.symbols.size() > 1 ? " (and " + std::to_string(missing.symbols.size() - 1) + " more)" : "";
    Severity severity = missing.blocking() ? Severity::blocking : Severity::warning;
    std::string verdict =
        severity == Severity::blocking
            ? target.shown + " will not run: " + who + ": undefined symbol: " + first + more +
                  " — no loaded object defines it, the loader stops with \"symbol lookup error\""
            : who + ": undefined symbol: " + first + more +
                  " — no loaded object defines it: the program starts, and stops with \"symbol lookup error\" when "
                  "it first calls it";
    Finding& finding = walk.add("symbol-undefined", severity, target.shown, verdict);
    // As ldd -r prints them (with a blank where it has a tab).
    for (size_t k = 0; k < missing.symbols.size(); ++k) {
      (k < kEvidenceSymbols ? finding.evidence : finding.details)
          .push_back("undefined symbol: " + describe(missing.symbols[k]) + " (" + who + ")");
    }
    if (missing.symbols.size() > kEvidenceSymbols) {
      finding.evidence.push_back("... and " + std::to_string(missing.symbols.size() - kEvidenceSymbols) +
                                 " more (-v shows them)");
    }
    finding.evidence.push_back(std::string(missing.bind_now ? "bound at start (DF_BIND_NOW)" : "lazily bound") +
                               "; looked up in: " + join(scope_names, ", "));
  }
}

}  // namespace elfrun::diagnose
