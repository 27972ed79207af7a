// What `ldd -r` reports, without running anything: each undefined dynamic symbol that a relocation of a loaded object
// names is looked up in the global scope (the program's breadth-first search list) the way glibc's elf/dl-lookup.c
// check_match accepts a definition: a defined symbol of a code or data type with a value; for a versioned reference
// the same version name, or an unnamed (base) version that is not hidden; for an unversioned one a definition of
// version index 0 to 2, or the only non-hidden one of a higher index. Weak references may stay undefined. One home
// for these rules: why's symbol check (diagnose/symbol_checks.cc) and run --fetch's (fetch/needs.cc) both ask here.
#include "loader/symbol_scope.h"

#include <elf.h>

#include <algorithm>
#include <unordered_map>

#include "elf/symbols.h"
#include "loader/filesystem.h"

namespace elfrun::loader {

namespace {

// The names of undefined references are copied within a budget, as the symbol reader copies names (symbols.cc).
constexpr uint64_t kReferenceNameBudget = 64 * 1024 * 1024;

bool allowed_type(uint8_t type) {
  return type == STT_NOTYPE || type == STT_OBJECT || type == STT_FUNC || type == STT_COMMON || type == STT_TLS ||
         type == STT_GNU_IFUNC;
}

// check_match's tests on the definition itself (an undefined symbol is never one here: the only undefined symbols
// with a value are a non-PIE program's canonical PLT entries, which a PLT relocation never binds to).
bool usable_definition(const elf::SymbolEntry& symbol) {
  if (!symbol.defined()) return false;
  if (symbol.value == 0 && symbol.section != SHN_ABS && symbol.type != STT_TLS) return false;
  if (!allowed_type(symbol.type)) return false;
  // do_lookup_x: a local symbol (which a dynamic symbol table should not hold) ends the search in that object.
  return symbol.binding == STB_GLOBAL || symbol.binding == STB_WEAK || symbol.binding == STB_GNU_UNIQUE;
}

// One entry of a map's l_versions array (elf/dl-version.c _dl_check_map_versions): the versions the object needs
// (DT_VERNEED, hidden when vna_other has bit 15) and those it defines (DT_VERDEF, all but the base entry, whose name
// "should not be available for matching a versioned symbol"). `named` is glibc's hash != 0.
struct VersionSlot {
  std::string_view name;
  bool named = false;
  bool hidden = false;
};

struct ObjectSymbols {
  const elf::ElfObject* elf = nullptr;
  std::shared_ptr<elf::ByteSource> bytes;  // the lookup reads it in place
  std::unique_ptr<elf::SymbolLookup> lookup;
  std::vector<VersionSlot> versions;
  elf::RelocatedSymbols relocated;  // the symbols its relocations name: what the loader looks up
  const VersionSlot& slot(uint16_t index) const {
    static const VersionSlot none;
    return index < versions.size() ? versions[index] : none;
  }
};

std::vector<VersionSlot> version_slots(const elf::ElfObject& object) {
  std::vector<VersionSlot> slots;
  if (!object.dynamic) return slots;
  auto put = [&](uint16_t raw, std::string_view name, bool hidden) {
    uint16_t index = raw & 0x7fff;
    if (index >= slots.size()) slots.resize(index + 1);
    slots[index] = {name, true, hidden};
  };
  for (const elf::VersionNeed& need : object.dynamic->version_needs) {
    for (const elf::VersionNeeded& version : need.versions) put(version.index, version.name, version.index & 0x8000);
  }
  for (const elf::VersionDefinition& definition : object.dynamic->version_definitions) {
    if (!(definition.flags & VER_FLG_BASE) && !definition.names.empty())
      put(definition.index, definition.names[0], false);
  }
  return slots;
}

// A reference as the relocation code passes it to _dl_lookup_symbol_x: with the version of the referencing object's
// l_versions entry for the symbol's DT_VERSYM index, or none when that entry is empty (hash 0: indices 0 and 1, the
// base definition), as dl-reloc.c RESOLVE_MAP decides.
struct Reference {
  UndefinedSymbol symbol;
  bool version_hidden = false;
};

// Whether object `definer` satisfies a reference: dl-lookup.c do_lookup_x walks the hash chain of the name and
// check_match accepts a definition (a value, a code or data type; for a versioned reference the same version, or
// a definition whose version entry is empty and which neither side hides; for an unversioned reference a
// definition of index 0 to 2, else the only non-hidden one of a higher index: the num_versions rule).
bool defines(const ObjectSymbols& definer, const Reference& reference, std::vector<uint32_t>& scratch) {
  scratch.clear();
  definer.lookup->find(reference.symbol.name, scratch);
  int unversioned_candidates = 0;
  for (uint32_t index : scratch) {
    auto symbol = definer.lookup->entry(index);
    if (!symbol || !usable_definition(*symbol)) continue;
    if (!definer.lookup->has_versym()) return true;
    uint16_t ndx = symbol->version_index;
    if (!reference.symbol.version.empty()) {
      const VersionSlot& slot = definer.slot(ndx);
      if (slot.named && slot.name == reference.symbol.version) return true;
      if (reference.version_hidden || slot.named || symbol->version_hidden) continue;
      return true;
    }
    if (ndx < 3) return true;
    if (!symbol->version_hidden) ++unversioned_candidates;
  }
  return unversioned_candidates == 1;
}

// The symbols of each object of the scope, read once.
std::vector<std::optional<ObjectSymbols>> read_scope(const std::vector<SymbolScopeObject>& objects,
                                                     std::vector<std::string>& problems) {
  std::vector<std::optional<ObjectSymbols>> read(objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    const SymbolScopeObject& object = objects[i];
    if (!object.elf || !object.bytes) continue;
    auto lookup = elf::open_symbol_lookup(*object.bytes, *object.elf);
    if (!lookup) {
      problems.push_back("the dynamic symbols of " + object.file + " cannot be read: " + lookup.error().message);
      continue;
    }
    auto relocated = elf::read_relocated_symbols(*object.bytes, *object.elf);
    if (!relocated) {
      problems.push_back("the relocations of " + object.file + " cannot be read: " + relocated.error().message);
      continue;
    }
    read[i] =
        ObjectSymbols{object.elf, object.bytes, std::move(*lookup), version_slots(*object.elf), std::move(*relocated)};
  }
  return read;
}

// The first object of the scope that defines the reference (do_lookup_x's walk over the search list).
std::optional<size_t> first_definer(const std::vector<std::optional<ObjectSymbols>>& objects,
                                    const std::vector<size_t>& scope, const Reference& reference,
                                    std::vector<uint32_t>& scratch) {
  for (size_t definer : scope) {
    if (reference.symbol.copy && definer == 0) continue;  // ELF_RTYPE_CLASS_COPY skips the executable
    if (definer < objects.size() && objects[definer] && defines(*objects[definer], reference, scratch)) {
      return definer;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<size_t> find_definer(const std::vector<SymbolScopeObject>& objects, const std::vector<size_t>& scope,
                                   const std::string& name, const std::string& version,
                                   std::vector<std::string>& problems) {
  auto read = read_scope(objects, problems);
  std::vector<uint32_t> scratch;
  return first_definer(read, scope, Reference{{name, version, STT_FUNC, false}}, scratch);
}

std::vector<UndefinedReferences> find_undefined_symbols(const Resolution& resolution, const std::string& root,
                                                        const std::string& program_host_path,
                                                        std::vector<std::string>& problems) {
  std::vector<SymbolScopeObject> opened(resolution.objects.size());
  RootedFs fs(root);
  fs.set_host_directories(resolution.host_directories);
  for (size_t i = 0; i < resolution.objects.size(); ++i) {
    const LoadedObject& object = resolution.objects[i];
    if (!object.elf || object.found_by == FoundBy::not_found || object.found_by == FoundBy::vdso) {
      continue;
    }
    // The libraries are opened by their path inside the root, through RootedFs (openat2 RESOLVE_IN_ROOT,
    // O_NONBLOCK) as the resolver found them: a symlink in the root never leads to a host file.
    std::shared_ptr<elf::ByteSource> bytes;
    if (i == 0) {
      auto program = elf::ByteSource::open(program_host_path);
      if (program) bytes = std::move(*program);
    } else {
      // The loader's object is named by PT_INTERP, which need not be the file that runs (--loader, a run fix's
      // loader): its bytes are those of the loader the resolution used.
      bool the_loader = object.found_by == FoundBy::loader && !resolution.loader_path.empty();
      const OpenedFile& file = fs.open(the_loader ? resolution.loader_path : object.path);
      if (file.error == 0) bytes = file.bytes;
    }
    opened[i] = SymbolScopeObject{object.elf.get(), std::move(bytes), i == 0 ? program_host_path : object.path};
  }
  std::vector<size_t> scope = resolution.search_order;
  if (scope.empty()) {
    for (size_t i = 0; i < resolution.objects.size(); ++i) scope.push_back(i);
  }
  return find_undefined_in(opened, scope, problems);
}

std::vector<UndefinedReferences> find_undefined_in(const std::vector<SymbolScopeObject>& scope_objects,
                                                   const std::vector<size_t>& scope,
                                                   std::vector<std::string>& problems) {
  std::vector<std::optional<ObjectSymbols>> objects = read_scope(scope_objects, problems);
  std::vector<uint32_t> copied =
      objects.empty() || !objects[0] ? std::vector<uint32_t>{} : objects[0]->relocated.copies;
  auto reference_of = [](const ObjectSymbols& own, const elf::SymbolEntry& symbol) {
    Reference reference{{std::string(symbol.name), "", symbol.type, false}};
    if (own.lookup->has_versym()) {
      const VersionSlot& slot = own.slot(symbol.version_index);
      if (slot.named) {
        reference.symbol.version = slot.name;
        reference.version_hidden = slot.hidden;
      }
    }
    return reference;
  };
  // The same reference from several objects (malloc, from most of them) is looked up once: the global scope is the
  // same for all of them, but for copy relocations, which skip the program (do_lookup_x: ELF_RTYPE_CLASS_COPY
  // and lt_executable).
  std::unordered_map<std::string, bool> answers;
  std::vector<uint32_t> scratch;
  auto defined_in_scope = [&](const Reference& reference) {
    std::string key = reference.symbol.name;
    key += '\0';
    key += reference.symbol.version;
    key += reference.version_hidden ? 'h' : '-';
    key += reference.symbol.copy ? 'c' : '-';
    auto known = answers.find(key);
    if (known != answers.end()) return known->second;
    bool found = first_definer(objects, scope, reference, scratch).has_value();
    answers.emplace(std::move(key), found);
    return found;
  };
  std::vector<UndefinedReferences> found;
  uint64_t budget = kReferenceNameBudget;
  for (size_t i = 0; i < objects.size(); ++i) {
    const ObjectSymbols* own = objects[i] ? &*objects[i] : nullptr;
    if (!own) continue;
    UndefinedReferences missing;
    missing.object = i;
    missing.bind_now = own->elf->dynamic && own->elf->dynamic->bind_now();
    const std::string& file = scope_objects[i].file;
    // Every undefined, non-weak dynamic symbol a relocation names (elf_machine_rela's RESOLVE_MAP; a weak one may
    // stay undefined: _dl_lookup_symbol_x reports only strong references).
    auto check = [&](uint64_t index) {
      auto symbol = own->lookup->entry(index);
      if (!symbol) {
        problems.push_back("dynamic symbol " + std::to_string(index) + " of " + file +
                           ": its name is not a string of the string table");
        return false;
      }
      if (symbol->defined() || symbol->name.empty() || symbol->binding != STB_GLOBAL) return true;
      if (symbol->name.size() >= budget) {
        problems.push_back("the undefined symbols of " + file + " have names longer than " +
                           std::to_string(kReferenceNameBudget) + " bytes in all");
        return false;
      }
      budget -= symbol->name.size();
      Reference reference = reference_of(*own, *symbol);
      if (!defined_in_scope(reference)) missing.symbols.push_back(std::move(reference.symbol));
      return true;
    };
    if (own->relocated.every_symbol) {
      for (uint64_t index = 1; index < own->lookup->count(); ++index) {
        if (!check(index)) break;
      }
    } else {
      for (uint32_t index : own->relocated.referenced) {
        if (index >= own->lookup->count()) continue;
        if (!check(index)) break;
      }
    }
    // Copy relocations of the program: looked up everywhere but in the program (ELF_RTYPE_CLASS_COPY).
    if (i == 0) {
      for (uint32_t index : copied) {
        auto symbol = own->lookup->entry(index);
        // The program's own symbol is the reference: a weak one may find nothing.
        if (index == 0 || !symbol || symbol->binding == STB_WEAK) continue;
        Reference reference = reference_of(*own, *symbol);
        reference.symbol.copy = true;
        if (!defined_in_scope(reference)) missing.symbols.push_back(std::move(reference.symbol));
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

}  // namespace elfrun::loader
