// The dynamic symbol table reader, one template over the four layouts (see symbols.h for where the count comes from).
#include "elf/symbols.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "elf/layout.h"

namespace elfrun::elf {

namespace {

// Names are copied within a budget a few times the string table's size, as the reader does (reader.cc): a hostile
// table can point every symbol at the same long string.
constexpr uint64_t kNameCopiesPerTableByte = 8;
constexpr uint64_t kBudgetSlack = 64 * 1024;

std::string hex(uint64_t value) { return fmt::format("{:#x}", value); }

template <typename ELFT>
class SymbolReader {
 public:
  using Sym = typename ELFT::Sym;
  static constexpr std::endian E = ELFT::kOrder;

  SymbolReader(const ByteSource& source, const ElfObject& object) : source_(source), object_(object) {}

  // The tables every reading starts from: DT_SYMTAB (with the count), DT_VERSYM and DT_STRTAB.
  struct Tables {
    ByteView symtab;
    uint64_t count = 0;
    std::optional<ByteView> versym;
    ByteView strtab;
    std::string count_from;
  };

  Expected<Tables> tables() const {
    Tables t;
    const DynamicInfo& dyn = *object_.dynamic;
    if (dyn.syment && *dyn.syment != sizeof(Sym)) {
      return Error{fmt::format("dynamic section: DT_SYMENT {} is not the size of a symbol in this class ({})",
                               *dyn.syment, sizeof(Sym))};
    }
    auto symtab = mapped("DT_SYMTAB", *dyn.symtab);
    if (!symtab) return symtab.error();
    t.symtab = *symtab;
    auto count = symbol_count(t.count_from);
    if (!count) return count.error();
    if (*count > symtab->size() / sizeof(Sym)) {
      return Error{
          fmt::format("dynamic section: {} gives {} symbols, but only {} fit between DT_SYMTAB {} and the end "
                      "of its PT_LOAD segment's file contents",
                      t.count_from, *count, symtab->size() / sizeof(Sym), hex(*dyn.symtab))};
    }
    t.count = *count;
    if (dyn.versym) {
      auto bytes = mapped("DT_VERSYM", *dyn.versym);
      if (!bytes) return bytes.error();
      t.versym = bytes->subspan(0, *count * 2);
      if (!t.versym) {
        return Error{fmt::format("dynamic section: DT_VERSYM {} has room for {} entries, the symbol table has {}",
                                 hex(*dyn.versym), bytes->size() / 2, *count)};
      }
    }
    if (*count > 1) {
      if (!dyn.strtab) return Error{"dynamic section: DT_SYMTAB without DT_STRTAB: the symbols have no names"};
      auto strings = mapped("DT_STRTAB", *dyn.strtab);
      if (!strings) return strings.error();
      t.strtab = *strings;
      if (dyn.strsz) {
        auto sized = t.strtab.subspan(0, *dyn.strsz);
        if (!sized) {
          return Error{
              fmt::format("dynamic section: DT_STRTAB {} + DT_STRSZ {} is past the end of its PT_LOAD "
                          "segment's file contents",
                          hex(*dyn.strtab), hex(*dyn.strsz))};
        }
        t.strtab = *sized;
      }
    }
    return t;
  }

  Expected<DynamicSymbolTable> read() {
    DynamicSymbolTable table;
    auto t = tables();
    if (!t) return t.error();
    table.count_from = t->count_from;
    table.has_versym = t->versym.has_value();
    const std::optional<ByteView>& versym = t->versym;
    const ByteView& strtab = t->strtab;
    const std::optional<ByteView> symtab = t->symtab;
    const std::optional<uint64_t> count = t->count;
    uint64_t budget = kNameCopiesPerTableByte * strtab.size() + kBudgetSlack;
    table.symbols.reserve(*count);
    for (uint64_t i = 0; i < *count; ++i) {
      Sym raw = *symtab->template read<Sym>(i * sizeof(Sym));
      DynamicSymbol symbol;
      symbol.value = raw.st_value;
      symbol.size = raw.st_size;
      symbol.type = raw.st_info & 0xf;
      symbol.binding = raw.st_info >> 4;
      symbol.visibility = raw.st_other & 0x3;
      symbol.section = raw.st_shndx;
      if (versym) {
        uint16_t entry = *versym->template read<U16<E>>(i * 2);
        symbol.version_index = entry & 0x7fff;
        symbol.version_hidden = (entry & 0x8000) != 0;
      }
      uint32_t name = raw.st_name;
      if (name != 0) {
        auto text = strtab.c_string(name);
        if (!text) {
          return Error{
              fmt::format("dynamic symbol {}: st_name {} is past the end of the string table ({} bytes) or "
                          "has no NUL",
                          i, hex(name), hex(strtab.size()))};
        }
        if (text->size() >= budget) {
          return Error{
              fmt::format("dynamic symbol {}: the names read so far add up to more than {} times the string "
                          "table ({} bytes): its symbols name the same bytes over and over",
                          i, kNameCopiesPerTableByte, hex(strtab.size()))};
        }
        budget -= text->size() + 1;
        symbol.name = std::string(*text);
      }
      table.symbols.push_back(std::move(symbol));
    }
    return table;
  }

  // The file bytes behind a virtual address, to the end of its PT_LOAD segment's file contents (as reader.cc maps).
  Expected<ByteView> mapped(const char* tag, uint64_t address) const {
    for (const ProgramHeader& ph : object_.program_headers) {
      if (ph.type != PT_LOAD || address < ph.vaddr || address - ph.vaddr >= ph.filesz) continue;
      auto segment = source_.bytes(ph.offset, ph.filesz);
      if (!segment) break;
      return *segment->tail(address - ph.vaddr);
    }
    return Error{fmt::format("dynamic section: {} {} is not inside the file contents of any PT_LOAD segment", tag,
                             hex(address))};
  }

  // DT_HASH words are 32-bit except on 64-bit s390 and Alpha (glibc's Elf_Symndx is 64-bit there).
  bool wide_hash_words() const {
    return ELFT::kIs64 && (object_.header.machine == EM_S390 || object_.header.machine == EM_ALPHA);
  }

  Expected<uint64_t> symbol_count(std::string& from) const {
    const DynamicInfo& dyn = *object_.dynamic;
    if (dyn.hash) {
      from = "DT_HASH";
      auto table = mapped("DT_HASH", *dyn.hash);
      if (!table) return table.error();
      std::optional<uint64_t> nchain;
      if (wide_hash_words()) {
        auto value = table->template read<U64<E>>(8);
        if (value) nchain = uint64_t{*value};
      } else {
        auto value = table->template read<U32<E>>(4);
        if (value) nchain = uint64_t{*value};
      }
      if (!nchain) return Error{fmt::format("dynamic section: DT_HASH {}: no room for its header", hex(*dyn.hash))};
      return *nchain;
    }
    if (dyn.gnu_hash) {
      from = "DT_GNU_HASH";
      return gnu_hash_count(*dyn.gnu_hash);
    }
    for (size_t i = 0; i < object_.sections.size(); ++i) {
      const SectionHeader& s = object_.sections[i];
      if (s.type == SHT_DYNSYM && s.addr == *dyn.symtab && s.entsize == sizeof(Sym)) {
        from = fmt::format("section header {} (.dynsym)", i);
        return s.size / sizeof(Sym);
      }
    }
    return Error{
        "dynamic section: neither DT_HASH nor DT_GNU_HASH (nor a .dynsym section header) says how many "
        "dynamic symbols there are"};
  }

  // The highest symbol index any bucket starts a chain at, then that chain to its end (the entry with bit 0 set).
  Expected<uint64_t> gnu_hash_count(uint64_t address) const {
    auto table = mapped("DT_GNU_HASH", address);
    if (!table) return table.error();
    auto word = [&](uint64_t offset) -> std::optional<uint32_t> {
      auto value = table->template read<U32<E>>(offset);
      if (!value) return std::nullopt;
      return uint32_t{*value};
    };
    auto nbuckets = word(0), symoffset = word(4), bloom_size = word(8);
    if (!nbuckets || !symoffset || !bloom_size || !word(12)) {
      return Error{fmt::format("dynamic section: DT_GNU_HASH {}: no room for its 16-byte header", hex(address))};
    }
    uint64_t buckets = 16 + uint64_t{*bloom_size} * (ELFT::kIs64 ? 8 : 4);
    if (!table->contains(buckets, uint64_t{*nbuckets} * 4)) {
      return Error{
          fmt::format("dynamic section: DT_GNU_HASH {}: {} bloom words and {} buckets run past the end of its "
                      "PT_LOAD segment's file contents",
                      hex(address), *bloom_size, *nbuckets)};
    }
    uint32_t last = 0;
    for (uint32_t i = 0; i < *nbuckets; ++i) last = std::max(last, *word(buckets + uint64_t{i} * 4));
    if (last == 0) return uint64_t{*symoffset};
    if (last < *symoffset) {
      return Error{fmt::format("dynamic section: DT_GNU_HASH {}: a bucket starts at symbol {}, below symoffset {}",
                               hex(address), last, *symoffset)};
    }
    uint64_t chains = buckets + uint64_t{*nbuckets} * 4;
    for (uint64_t index = last;; ++index) {
      auto entry = word(chains + (index - *symoffset) * 4);
      if (!entry) {
        return Error{
            fmt::format("dynamic section: DT_GNU_HASH {}: the chain from symbol {} runs past the end of its "
                        "PT_LOAD segment's file contents without an end marker",
                        hex(address), last)};
      }
      if (*entry & 1) return index + 1;
    }
  }

 private:
  const ByteSource& source_;
  const ElfObject& object_;
};

// The lookup of symbols.h over one layout: raw symbols decoded one at a time, names compared in place.
template <typename ELFT>
class LayoutLookup final : public SymbolLookup {
 public:
  using Sym = typename ELFT::Sym;
  using Addr = typename ELFT::Addr;
  static constexpr std::endian E = ELFT::kOrder;

  static Expected<std::unique_ptr<SymbolLookup>> open(const ByteSource& source, const ElfObject& object) {
    auto lookup = std::make_unique<LayoutLookup>();
    if (!object.dynamic || !object.dynamic->symtab) return std::unique_ptr<SymbolLookup>(std::move(lookup));
    SymbolReader<ELFT> reader(source, object);
    auto tables = reader.tables();
    if (!tables) return tables.error();
    lookup->t_ = std::move(*tables);
    const DynamicInfo& dyn = *object.dynamic;
    if (dyn.gnu_hash) {
      auto table = reader.mapped("DT_GNU_HASH", *dyn.gnu_hash);
      if (!table) return table.error();
      lookup->gnu_ = *table;
    } else if (dyn.hash) {
      auto table = reader.mapped("DT_HASH", *dyn.hash);
      if (!table) return table.error();
      lookup->sysv_ = *table;
      lookup->wide_ = reader.wide_hash_words();
    }
    return std::unique_ptr<SymbolLookup>(std::move(lookup));
  }

  uint64_t count() const override { return t_.count; }
  bool has_versym() const override { return t_.versym.has_value(); }

  std::optional<SymbolEntry> entry(uint64_t index) const override {
    if (index >= t_.count) return std::nullopt;
    Sym raw = *t_.symtab.template read<Sym>(index * sizeof(Sym));
    SymbolEntry symbol;
    symbol.value = raw.st_value;
    symbol.type = raw.st_info & 0xf;
    symbol.binding = raw.st_info >> 4;
    symbol.section = raw.st_shndx;
    if (t_.versym) {
      uint16_t word = *t_.versym->template read<U16<E>>(index * 2);
      symbol.version_index = word & 0x7fff;
      symbol.version_hidden = (word & 0x8000) != 0;
    }
    if (raw.st_name != 0) {
      auto text = t_.strtab.c_string(raw.st_name);
      if (!text) return std::nullopt;
      symbol.name = *text;
    }
    return symbol;
  }

  void find(std::string_view name, std::vector<uint32_t>& found) const override {
    if (gnu_) {
      find_gnu(name, found);
    } else if (sysv_) {
      find_sysv(name, found);
    }
  }

 private:
  // Whether symbol `index` is named `name`: its name's bytes and the NUL after them, read in place.
  bool named(uint64_t index, std::string_view name) const {
    uint32_t offset = *t_.symtab.template read<U32<E>>(index * sizeof(Sym));  // st_name comes first in both classes
    auto bytes = t_.strtab.subspan(offset, name.size() + 1);
    return bytes && bytes->data()[name.size()] == 0 && std::memcmp(bytes->data(), name.data(), name.size()) == 0;
  }

  // do_lookup_x with l_gnu_bitmask: the bloom word, both bits, then the bucket's chain up to the entry with bit 0
  // set, comparing the hash (bit 0 aside) before the name.
  void find_gnu(std::string_view name, std::vector<uint32_t>& found) const {
    auto word = [&](uint64_t offset) { return gnu_->template read<U32<E>>(offset); };
    auto nbuckets = word(0), symoffset = word(4), bloom_size = word(8), shift = word(12);
    if (!nbuckets || !symoffset || !bloom_size || !shift || *nbuckets == 0 || *bloom_size == 0) return;
    uint32_t hash = gnu_hash(name);
    constexpr uint32_t kBits = sizeof(Addr) * 8;
    uint64_t bloom_index = (hash / kBits) & (uint32_t{*bloom_size} - 1);  // l_gnu_bitmask_idxbits
    auto bloom = gnu_->template read<typename ELFT::Xword>(16 + bloom_index * sizeof(Addr));
    if (!bloom) return;
    uint64_t mask = *bloom;
    // A shift of 32 or more (no linker writes one: a hostile file) would be undefined behaviour here, and what the
    // loader does with it depends on its machine's shift instruction: the filter then rules nothing out, and the
    // chain decides alone.
    if (*shift < 32 && ((mask >> (hash % kBits)) & (mask >> ((hash >> *shift) % kBits)) & 1) == 0) return;
    uint64_t buckets = 16 + uint64_t{*bloom_size} * sizeof(Addr);
    auto bucket = word(buckets + uint64_t{hash % *nbuckets} * 4);
    if (!bucket || *bucket == 0 || *bucket < *symoffset) return;
    uint64_t chains = buckets + uint64_t{*nbuckets} * 4;
    for (uint64_t index = *bucket; index < t_.count; ++index) {
      auto entry = word(chains + (index - *symoffset) * 4);
      if (!entry) return;
      if (((*entry ^ hash) >> 1) == 0 && named(index, name)) found.push_back(static_cast<uint32_t>(index));
      if (*entry & 1) return;
    }
  }

  // do_lookup_x with l_buckets/l_chain: the bucket of the ELF hash, then the chain to STN_UNDEF (at most nchain
  // steps: a chain that loops ends there).
  void find_sysv(std::string_view name, std::vector<uint32_t>& found) const {
    auto word = [&](uint64_t index) -> std::optional<uint64_t> {
      if (wide_) {
        auto value = sysv_->template read<U64<E>>(index * 8);
        return value ? std::optional<uint64_t>(*value) : std::nullopt;
      }
      auto value = sysv_->template read<U32<E>>(index * 4);
      return value ? std::optional<uint64_t>(*value) : std::nullopt;
    };
    auto nbucket = word(0), nchain = word(1);
    if (!nbucket || !nchain || *nbucket == 0) return;
    auto index = word(2 + sysv_hash(name) % *nbucket);
    for (uint64_t steps = 0; index && *index != 0 && steps < *nchain; ++steps) {
      if (*index < t_.count && named(*index, name)) found.push_back(static_cast<uint32_t>(*index));
      if (*index >= *nchain) return;
      index = word(2 + *nbucket + *index);
    }
  }

  typename SymbolReader<ELFT>::Tables t_;
  std::optional<ByteView> gnu_, sysv_;
  bool wide_ = false;
};

// The copy relocation type of each machine (elf.h R_*_COPY), 0 when it has none we know.
uint32_t copy_relocation_type(uint16_t machine) {
  switch (machine) {
    case EM_X86_64: return R_X86_64_COPY;
    case EM_386: return R_386_COPY;
    case EM_AARCH64: return R_AARCH64_COPY;
    case EM_ARM: return R_ARM_COPY;
    case EM_RISCV: return R_RISCV_COPY;
    case EM_S390: return R_390_COPY;
    case EM_PPC64: return R_PPC64_COPY;
    case EM_PPC: return R_PPC_COPY;
    case EM_MIPS: return R_MIPS_COPY;
    case EM_SPARC:
    case EM_SPARC32PLUS:
    case EM_SPARCV9: return R_SPARC_COPY;
    default: return 0;
  }
}

// The relocation tables the loader processes (elf/dynamic-link.h _ELF_DYNAMIC_DO_RELOC: DT_REL or DT_RELA, then
// DT_JMPREL, whose entries are of the DT_PLTREL kind), and the symbol each entry names.
template <typename ELFT>
Expected<RelocatedSymbols> relocated_symbols(const ByteSource& source, const ElfObject& object) {
  using Word = typename ELFT::Xword;
  RelocatedSymbols out;
  // MIPS resolves the global part of its GOT from the symbol table (DT_MIPS_GOTSYM on), with no relocation.
  out.every_symbol = object.header.machine == EM_MIPS || object.header.machine == EM_MIPS_RS3_LE;
  uint32_t copy = copy_relocation_type(object.header.machine);
  std::optional<uint64_t> rela, relasz, rel, relsz, jmprel, pltrelsz, pltrel;
  for (const DynamicEntry& entry : object.dynamic->entries) {
    if (entry.tag == DT_RELA) rela = entry.value;
    if (entry.tag == DT_RELASZ) relasz = entry.value;
    if (entry.tag == DT_REL) rel = entry.value;
    if (entry.tag == DT_RELSZ) relsz = entry.value;
    if (entry.tag == DT_JMPREL) jmprel = entry.value;
    if (entry.tag == DT_PLTRELSZ) pltrelsz = entry.value;
    if (entry.tag == DT_PLTREL) pltrel = entry.value;
  }
  // r_offset, r_info (and r_addend): words of the class; r_info holds the symbol index above the type.
  auto scan = [&](const char* tag, uint64_t address, uint64_t size, uint64_t entry_size) -> Expected<void> {
    std::optional<ByteView> table;
    for (const ProgramHeader& ph : object.program_headers) {
      if (ph.type != PT_LOAD || address < ph.vaddr || address - ph.vaddr >= ph.filesz) continue;
      auto segment = source.bytes(ph.offset, ph.filesz);
      if (segment) table = segment->tail(address - ph.vaddr);
      break;
    }
    if (!table || !table->contains(0, size)) {
      return Error{
          fmt::format("dynamic section: {} {} with {} bytes is not inside the file contents of a PT_LOAD "
                      "segment",
                      tag, hex(address), hex(size))};
    }
    for (uint64_t offset = 0; size - offset >= entry_size; offset += entry_size) {
      uint64_t info = *table->template read<Word>(offset + sizeof(Word));
      uint32_t type = ELFT::kIs64 ? static_cast<uint32_t>(info & 0xffffffff) : static_cast<uint32_t>(info & 0xff);
      uint32_t symbol = ELFT::kIs64 ? static_cast<uint32_t>(info >> 32) : static_cast<uint32_t>(info >> 8);
      if (copy != 0 && type == copy) out.copies.push_back(symbol);
      // R_*_NONE (0 on every machine) is skipped before any lookup (elf_machine_rela); symbol 0 is no lookup.
      if (type != 0 && symbol != 0) out.referenced.push_back(symbol);
    }
    return {};
  };
  if (rela && relasz) {
    if (auto r = scan("DT_RELA", *rela, *relasz, 3 * sizeof(Word)); !r) return r.error();
  }
  if (rel && relsz) {
    if (auto r = scan("DT_REL", *rel, *relsz, 2 * sizeof(Word)); !r) return r.error();
  }
  if (jmprel && pltrelsz) {
    uint64_t entry_size = pltrel && *pltrel == DT_REL ? 2 * sizeof(Word) : 3 * sizeof(Word);
    if (auto r = scan("DT_JMPREL", *jmprel, *pltrelsz, entry_size); !r) return r.error();
  }
  std::sort(out.referenced.begin(), out.referenced.end());
  out.referenced.erase(std::unique(out.referenced.begin(), out.referenced.end()), out.referenced.end());
  return out;
}

}  // namespace

Expected<RelocatedSymbols> read_relocated_symbols(const ByteSource& source, const ElfObject& object) {
  if (!object.dynamic) return RelocatedSymbols{};
  bool big = object.byte_order() == ByteOrder::big;
  if (object.is_64())
    return big ? relocated_symbols<Elf64BE>(source, object) : relocated_symbols<Elf64LE>(source, object);
  return big ? relocated_symbols<Elf32BE>(source, object) : relocated_symbols<Elf32LE>(source, object);
}

Expected<std::vector<uint32_t>> read_copy_relocations(const ByteSource& source, const ElfObject& object) {
  auto relocated = read_relocated_symbols(source, object);
  if (!relocated) return relocated.error();
  return std::move(relocated->copies);
}

Expected<DynamicSymbolTable> read_dynamic_symbols(const ByteSource& source, const ElfObject& object) {
  if (!object.dynamic || !object.dynamic->symtab) return DynamicSymbolTable{};
  bool big = object.byte_order() == ByteOrder::big;
  if (object.is_64()) {
    return big ? SymbolReader<Elf64BE>(source, object).read() : SymbolReader<Elf64LE>(source, object).read();
  }
  return big ? SymbolReader<Elf32BE>(source, object).read() : SymbolReader<Elf32LE>(source, object).read();
}

Expected<std::unique_ptr<SymbolLookup>> open_symbol_lookup(const ByteSource& source, const ElfObject& object) {
  bool big = object.byte_order() == ByteOrder::big;
  if (object.is_64()) {
    return big ? LayoutLookup<Elf64BE>::open(source, object) : LayoutLookup<Elf64LE>::open(source, object);
  }
  return big ? LayoutLookup<Elf32BE>::open(source, object) : LayoutLookup<Elf32LE>::open(source, object);
}

uint32_t gnu_hash(std::string_view name) {
  uint32_t hash = 5381;
  for (char c : name) hash = hash * 33 + static_cast<unsigned char>(c);
  return hash;
}

uint32_t sysv_hash(std::string_view name) {
  uint32_t hash = 0;
  for (char c : name) {
    hash = (hash << 4) + static_cast<unsigned char>(c);
    uint32_t high = hash & 0xf0000000;
    hash ^= high >> 24;
    hash &= ~high;
  }
  return hash;
}

std::optional<std::string> version_name(const ElfObject& object, uint16_t index, std::string* file) {
  if (index <= 1 || !object.dynamic) return std::nullopt;
  for (const VersionDefinition& definition : object.dynamic->version_definitions) {
    if ((definition.index & 0x7fff) == index && !definition.names.empty()) {
      if (file) file->clear();
      return definition.names[0];
    }
  }
  for (const VersionNeed& need : object.dynamic->version_needs) {
    for (const VersionNeeded& version : need.versions) {
      if ((version.index & 0x7fff) == index) {
        if (file) *file = need.file;
        return version.name;
      }
    }
  }
  return std::nullopt;
}

}  // namespace elfrun::elf
