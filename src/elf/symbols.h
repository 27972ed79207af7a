// The dynamic symbol table of an ELF object, read as the loader finds it: DT_SYMTAB, DT_STRTAB (bounded by DT_STRSZ),
// DT_VERSYM, and the symbol count, which the dynamic section does not state: glibc and musl never need it, they reach
// symbols through the hash tables. The count comes from DT_HASH (nchain) or, without it, from walking DT_GNU_HASH to
// the end of its last chain (what glibc's dl-addr.c and readelf --use-dynamic do), and only as a last resort from a
// SHT_DYNSYM section header. Every table is reached through PT_LOAD and the checked ByteView.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

// The symbol indices of the copy relocations of an object (R_X86_64_COPY, R_386_COPY, R_AARCH64_COPY...) in its
// DT_RELA or DT_REL table: data a program uses from a library, copied into the program at start. The loader looks
// such a symbol up in every object but the program itself (glibc ELF_RTYPE_CLASS_COPY), so it is a reference even
// though the program's symbol table defines it. Empty for machines without a known copy relocation type.
Expected<std::vector<uint32_t>> read_copy_relocations(const ByteSource& source, const ElfObject& object);

// The name a version index has in an object: its DT_VERDEF entry (names[0]) or the DT_VERNEED version whose
// vna_other is that index; nullopt for 0 and 1 and unknown indices. `file` receives the library of a needed version.
std::optional<std::string> version_name(const ElfObject& object, uint16_t index, std::string* file = nullptr);

}  // namespace elfrun::elf
