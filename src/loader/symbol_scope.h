// The global symbol scope of a resolution, as glibc's elf/dl-lookup.c searches it: which undefined references of the
// loaded objects no object defines (what `ldd -r` reports). Used by why (diagnose/symbol_checks.cc), run --fetch
// (fetch/needs.cc) and the run fixes' check (diagnose/remedies.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "loader/resolver.h"

namespace elfrun::loader {

// Undefined symbols no object in the global scope defines, respecting versions.
struct UndefinedSymbol {
  std::string name;
  std::string version;  // empty: an unversioned reference
  uint8_t type = 0;     // STT_*
  bool copy = false;    // a copy relocation of the program
};
struct UndefinedReferences {
  size_t object = 0;  // the referencing object, an index into the resolution
  std::vector<UndefinedSymbol> symbols;
  bool bind_now = false;
  // Resolved before the program starts (bind now, data, copy relocations), rather than at the first call.
  bool blocking() const;
};
// root: the --root the resolution was made under ("/" for the host); the libraries are opened inside it.
std::vector<UndefinedReferences> find_undefined_symbols(const Resolution& resolution, const std::string& root,
                                                        const std::string& program_host_path,
                                                        std::vector<std::string>& problems);
// The same over objects already opened: objects[i] with its headers, bytes and name in messages (objects[0] the
// program, whose copy relocations skip it; an entry without elf or bytes is not loaded), `scope` the search list.
struct SymbolScopeObject {
  const elf::ElfObject* elf = nullptr;
  std::shared_ptr<elf::ByteSource> bytes;
  std::string file;
};
std::vector<UndefinedReferences> find_undefined_in(const std::vector<SymbolScopeObject>& objects,
                                                   const std::vector<size_t>& scope,
                                                   std::vector<std::string>& problems);
// The first object of `scope` whose definition of NAME satisfies a reference to it (VERSION empty: unversioned).
std::optional<size_t> find_definer(const std::vector<SymbolScopeObject>& objects, const std::vector<size_t>& scope,
                                   const std::string& name, const std::string& version,
                                   std::vector<std::string>& problems);

}  // namespace elfrun::loader
