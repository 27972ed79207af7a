// The dynamic symbol table of an ELF object, read as the loader finds it: DT_SYMTAB, DT_STRTAB (bounded by DT_STRSZ),
// DT_VERSYM, and the symbol count, which the dynamic section does not state: glibc and musl never need it, they reach
// symbols through the hash tables. The count comes from DT_HASH (nchain) or, without it, from walking DT_GNU_HASH to
// the end of its last chain (what glibc's dl-addr.c and readelf --use-dynamic do), and only as a last resort from a
// SHT_DYNSYM section header. Every table is reached through PT_LOAD and the checked ByteView.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "util/expected.h"

namespace elfrun::elf {

struct DynamicSymbol {
  std::string name;
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type = 0;        // STT_*
  uint8_t binding = 0;     // STB_*
  uint8_t visibility = 0;  // STV_*
  uint16_t section = 0;    // st_shndx: SHN_UNDEF for a reference to another object
  // DT_VERSYM: the version index (bit 15 cleared) and the hidden bit; index 1 (VER_NDX_GLOBAL) without DT_VERSYM.
  uint16_t version_index = 1;
  bool version_hidden = false;
  bool defined() const { return section != 0; }
};

struct DynamicSymbolTable {
  std::vector<DynamicSymbol> symbols;  // symbols[0] is the null symbol
  bool has_versym = false;
  std::string count_from;  // "DT_HASH", "DT_GNU_HASH" or "section header N (.dynsym)"
};

// Reads the dynamic symbols of `object` from its bytes. An object without DT_SYMTAB has none (an empty table, not
// an error). Errors name the table and the values that are wrong.
Expected<DynamicSymbolTable> read_dynamic_symbols(const ByteSource& source, const ElfObject& object);

// One dynamic symbol as the file holds it, its name a view into the file's bytes (valid while the ByteSource lives).
struct SymbolEntry {
  std::string_view name;
  uint64_t value = 0;
  uint8_t type = 0;     // STT_*
  uint8_t binding = 0;  // STB_*
  uint16_t section = 0;
  uint16_t version_index = 1;  // DT_VERSYM, bit 15 cleared; 1 without DT_VERSYM
  bool version_hidden = false;
  bool defined() const { return section != 0; }
};

// An object's dynamic symbols, read in place (nothing is copied), and looked up by name the way ld.so looks them up
// (glibc elf/dl-lookup.c do_lookup_x): through DT_GNU_HASH (bloom filter, bucket, chain; hashes compared before
// names), else DT_HASH (bucket, chain). An object with neither has no symbol ld.so can find (_dl_setup_hash leaves
// l_nbuckets 0 and do_lookup_x skips it), whatever its symbol table holds.
class SymbolLookup {
 public:
  virtual ~SymbolLookup() = default;
  // The number of symbols (as read_dynamic_symbols counts them), symbol 0 being the null symbol.
  virtual uint64_t count() const = 0;
  virtual bool has_versym() const = 0;
  // Symbol `index` (< count()); nullopt when its name is not a NUL-terminated string of the string table.
  virtual std::optional<SymbolEntry> entry(uint64_t index) const = 0;
  // Appends to `found` the indices of the symbols named `name` that the hash table leads to, in chain order.
  virtual void find(std::string_view name, std::vector<uint32_t>& found) const = 0;
};

// Opens the lookup over `object`'s bytes (which must outlive it). Errors as read_dynamic_symbols gives them; an
// object without DT_SYMTAB has an empty lookup.
Expected<std::unique_ptr<SymbolLookup>> open_symbol_lookup(const ByteSource& source, const ElfObject& object);

// The hashes of the two tables: glibc's dl_new_hash (DT_GNU_HASH, h * 33 + c from 5381) and _dl_elf_hash (DT_HASH,
// the System V ABI's ELF hash).
uint32_t gnu_hash(std::string_view name);
uint32_t sysv_hash(std::string_view name);

// The symbol indices of the copy relocations of an object (R_X86_64_COPY, R_386_COPY, R_AARCH64_COPY...) in its
// DT_RELA or DT_REL table: data a program uses from a library, copied into the program at start. The loader looks
// such a symbol up in every object but the program itself (glibc ELF_RTYPE_CLASS_COPY), so it is a reference even
// though the program's symbol table defines it. Empty for machines without a known copy relocation type.
Expected<std::vector<uint32_t>> read_copy_relocations(const ByteSource& source, const ElfObject& object);

// The symbols an object's relocations name (DT_RELA, DT_REL and DT_JMPREL; R_*_NONE aside): what the loader looks
// up when it relocates everything (LD_BIND_NOW, ldd -r). An undefined symbol no relocation names is never looked
// up: GCC 13's <iostream> references _ZSt21ios_base_library_initv only to record the GLIBCXX_3.4.32 dependency.
struct RelocatedSymbols {
  std::vector<uint32_t> referenced;  // symbol indices, sorted, each once
  std::vector<uint32_t> copies;      // those of copy relocations (as read_copy_relocations)
  bool every_symbol = false;         // MIPS: its GOT's global entries are resolved from the symbol table itself
};
Expected<RelocatedSymbols> read_relocated_symbols(const ByteSource& source, const ElfObject& object);

// The name a version index has in an object: its DT_VERDEF entry (names[0]) or the DT_VERNEED version whose
// vna_other is that index; nullopt for 0 and 1 and unknown indices. `file` receives the library of a needed version.
std::optional<std::string> version_name(const ElfObject& object, uint16_t index, std::string* file = nullptr);

}  // namespace elfrun::elf
