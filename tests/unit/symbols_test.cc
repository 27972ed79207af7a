// Tests of the dynamic symbol reader (src/elf/symbols.cc) over the four layouts: names, types, bindings and versions
// through DT_VERSYM; the count from DT_HASH (32-bit words, and 64-bit ones on s390x) and from a DT_GNU_HASH walk; and
// one case per corrupted field, each with its exact message. The tables are appended to an ElfBuilder image and the
// dynamic entries pointed at them.
#include "elf/symbols.h"

#include <elf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "elf_builder.h"

namespace elfrun::test {
namespace {

struct SymbolSpec {
  std::string name;
  uint16_t section = SHN_UNDEF;
  uint8_t type = STT_FUNC;
  uint8_t binding = STB_GLOBAL;
  uint64_t value = 0;
  uint16_t versym = 1;
};

enum class CountBy { hash, gnu_hash, none };

template <typename ELFT>
struct SymbolImage {
  ElfImage<ELFT> image;
  uint64_t symtab_offset = 0, strtab_offset = 0, hash_offset = 0, versym_offset = 0;
  std::vector<uint64_t> name_offsets;  // of each symbol's name in the new string table
};

template <typename ELFT>
std::vector<unsigned char> to_bytes(const void* data, size_t size) {
  auto* p = static_cast<const unsigned char*>(data);
  return std::vector<unsigned char>(p, p + size);
}

// An image needing libc.so.6 (GLIBC_2.34 at version index 2), defining X_1.0 (index 3), with the symbols given
// (a null symbol is added first), counted the way asked.
template <typename ELFT>
SymbolImage<ELFT> build(const std::vector<SymbolSpec>& specs, CountBy count_by, bool versym = true,
                        uint16_t machine = 0) {
  using Sym = typename ELFT::Sym;
  using Addr = typename ELFT::Addr;
  constexpr std::endian E = ELFT::kOrder;
  ElfBuilder<ELFT> builder;
  builder.needed("libc.so.6")
      .soname("libx.so.1")
      .version_need("libc.so.6", {{"GLIBC_2.34", 0x069691b4, 0, 2}})
      .version_definition(1, VER_FLG_BASE, {"libx.so.1"})
      .version_definition(3, 0, {"X_1.0"})
      .dynamic_entry(DT_SYMTAB, 0)
      .dynamic_entry(DT_SYMENT, sizeof(Sym));
  if (machine != 0) builder.machine(machine);
  if (count_by == CountBy::hash) builder.dynamic_entry(DT_HASH, 0);
  if (count_by == CountBy::gnu_hash) builder.dynamic_entry(DT_GNU_HASH, 0);
  if (versym) builder.dynamic_entry(DT_VERSYM, 0);
  SymbolImage<ELFT> out{builder.build()};
  auto& image = out.image;

  // A new string table: the old one (its offsets stay valid), then the symbol names.
  std::vector<unsigned char> strings(image.bytes.begin() + image.dynstr_offset,
                                     image.bytes.begin() + image.dynstr_offset + image.dynstr_size);
  for (const SymbolSpec& spec : specs) {
    out.name_offsets.push_back(strings.size());
    strings.insert(strings.end(), spec.name.begin(), spec.name.end());
    strings.push_back(0);
  }
  out.strtab_offset = image.append(strings, 1);
  image.set_dyn(image.dyn_index(DT_STRTAB), DT_STRTAB, image.vaddr(out.strtab_offset));
  image.set_dyn(image.dyn_index(DT_STRSZ), DT_STRSZ, strings.size());

  std::vector<Sym> symbols(1 + specs.size());
  std::memset(static_cast<void*>(symbols.data()), 0, symbols.size() * sizeof(Sym));
  for (size_t i = 0; i < specs.size(); ++i) {
    Sym& s = symbols[i + 1];
    s.st_name = static_cast<uint32_t>(out.name_offsets[i]);
    s.st_value = static_cast<decltype(+s.st_value)>(specs[i].value);
    s.st_size = 8;
    s.st_info = static_cast<unsigned char>(specs[i].binding << 4 | specs[i].type);
    s.st_other = STV_DEFAULT;
    s.st_shndx = specs[i].section;
  }
  out.symtab_offset = image.append(to_bytes<ELFT>(symbols.data(), symbols.size() * sizeof(Sym)), 8);
  image.set_dyn(image.dyn_index(DT_SYMTAB), DT_SYMTAB, image.vaddr(out.symtab_offset));

  if (versym) {
    std::vector<elf::U16<E>> entries(symbols.size());
    entries[0] = 0;
    for (size_t i = 0; i < specs.size(); ++i) entries[i + 1] = specs[i].versym;
    out.versym_offset = image.append(to_bytes<ELFT>(entries.data(), entries.size() * 2), 2);
    image.set_dyn(image.dyn_index(DT_VERSYM), DT_VERSYM, image.vaddr(out.versym_offset));
  }

  const uint32_t count = static_cast<uint32_t>(symbols.size());
  if (count_by == CountBy::hash) {
    bool wide = ELFT::kIs64 && machine == EM_S390;
    std::vector<unsigned char> table;
    auto put = [&](uint64_t value) {
      if (wide) {
        elf::U64<E> word(value);
        auto bytes = to_bytes<ELFT>(&word, 8);
        table.insert(table.end(), bytes.begin(), bytes.end());
      } else {
        elf::U32<E> word(static_cast<uint32_t>(value));
        auto bytes = to_bytes<ELFT>(&word, 4);
        table.insert(table.end(), bytes.begin(), bytes.end());
      }
    };
    put(1);                          // nbucket
    put(count);                      // nchain
    put(count > 1 ? count - 1 : 0);  // bucket 0: the last symbol, chained down to 1
    for (uint32_t i = 0; i < count; ++i) put(i == 0 ? 0 : i - 1);
    out.hash_offset = image.append(table, 8);
    image.set_dyn(image.dyn_index(DT_HASH), DT_HASH, image.vaddr(out.hash_offset));
  } else if (count_by == CountBy::gnu_hash) {
    // Two buckets: symbols 1..split-1 in bucket 0, split..count-1 in bucket 1 (or none when count is small).
    uint32_t split = count > 2 ? count / 2 + 1 : count;
    std::vector<unsigned char> table;
    auto put32 = [&](uint32_t value) {
      elf::U32<E> word(value);
      auto bytes = to_bytes<ELFT>(&word, 4);
      table.insert(table.end(), bytes.begin(), bytes.end());
    };
    put32(2);  // nbuckets
    put32(1);  // symoffset
    put32(1);  // bloom_size
    put32(6);  // bloom_shift
    Addr bloom = static_cast<decltype(+Addr())>(~0ull);
    auto bloom_bytes = to_bytes<ELFT>(&bloom, sizeof(Addr));
    table.insert(table.end(), bloom_bytes.begin(), bloom_bytes.end());
    put32(count > 1 ? 1 : 0);
    put32(split < count ? split : 0);
    for (uint32_t i = 1; i < count; ++i) {
      bool last_of_chain = i + 1 == split || i + 1 == count;
      put32(0x1000u * i | (last_of_chain ? 1 : 0));
    }
    out.hash_offset = image.append(table, 8);
    image.set_dyn(image.dyn_index(DT_GNU_HASH), DT_GNU_HASH, image.vaddr(out.hash_offset));
  }
  return out;
}

template <typename ELFT>
class SymbolsTest : public ::testing::Test {
 protected:
  static elf::DynamicSymbolTable read_ok(const ElfImage<ELFT>& image) {
    auto object = image.parse();
    if (!object) {
      ADD_FAILURE() << "parse_elf: " << object.error().message;
      return {};
    }
    auto table = elf::read_dynamic_symbols(*image.source(), *object);
    if (!table) {
      ADD_FAILURE() << "read_dynamic_symbols: " << table.error().message;
      return {};
    }
    return std::move(*table);
  }
  static std::string read_error(const ElfImage<ELFT>& image) {
    auto object = image.parse();
    if (!object) return "parse_elf: " + object.error().message;
    auto table = elf::read_dynamic_symbols(*image.source(), *object);
    return table ? std::string("no error") : table.error().message;
  }
};

struct LayoutNames {
  template <typename ELFT>
  static std::string GetName(int) {
    return layout_name<ELFT>();
  }
};

using Layouts = ::testing::Types<Elf32LE, Elf32BE, Elf64LE, Elf64BE>;
TYPED_TEST_SUITE(SymbolsTest, Layouts, LayoutNames);

const std::vector<SymbolSpec> kThree = {
    {"puts", SHN_UNDEF, STT_FUNC, STB_GLOBAL, 0, 2},              // needs GLIBC_2.34 of libc.so.6
    {"x_function", 7, STT_FUNC, STB_GLOBAL, 0x1234, 3},           // defines X_1.0
    {"x_old_data", 8, STT_OBJECT, STB_WEAK, 0x2000, 0x8000 | 3},  // hidden X_1.0
};

TYPED_TEST(SymbolsTest, NamesTypesBindingsAndVersionsThroughDtHash) {
  auto built = build<TypeParam>(kThree, CountBy::hash);
  auto table = this->read_ok(built.image);
  EXPECT_EQ(table.count_from, "DT_HASH");
  EXPECT_TRUE(table.has_versym);
  ASSERT_EQ(table.symbols.size(), 4u);
  EXPECT_EQ(table.symbols[0].name, "");
  EXPECT_FALSE(table.symbols[0].defined());

  const auto& puts = table.symbols[1];
  EXPECT_EQ(puts.name, "puts");
  EXPECT_FALSE(puts.defined());
  EXPECT_EQ(puts.type, STT_FUNC);
  EXPECT_EQ(puts.binding, STB_GLOBAL);
  EXPECT_EQ(puts.version_index, 2);
  EXPECT_FALSE(puts.version_hidden);

  const auto& function = table.symbols[2];
  EXPECT_EQ(function.name, "x_function");
  EXPECT_TRUE(function.defined());
  EXPECT_EQ(function.section, 7);
  EXPECT_EQ(function.value, 0x1234u);
  EXPECT_EQ(function.size, 8u);
  EXPECT_EQ(function.version_index, 3);

  const auto& data = table.symbols[3];
  EXPECT_EQ(data.name, "x_old_data");
  EXPECT_EQ(data.type, STT_OBJECT);
  EXPECT_EQ(data.binding, STB_WEAK);
  EXPECT_EQ(data.version_index, 3);
  EXPECT_TRUE(data.version_hidden);

  auto object = built.image.parse();
  ASSERT_TRUE(object);
  std::string file;
  EXPECT_EQ(elf::version_name(*object, 2, &file), "GLIBC_2.34");
  EXPECT_EQ(file, "libc.so.6");
  EXPECT_EQ(elf::version_name(*object, 3, &file), "X_1.0");
  EXPECT_EQ(file, "");
  EXPECT_EQ(elf::version_name(*object, 1), std::nullopt);
  EXPECT_EQ(elf::version_name(*object, 9), std::nullopt);
}

TYPED_TEST(SymbolsTest, CountFromGnuHashWalksTheLastChain) {
  std::vector<SymbolSpec> specs;
  for (int i = 0; i < 7; ++i) specs.push_back({fmt::format("symbol_{}", i), 5, STT_FUNC, STB_GLOBAL, 0x100u + i, 1});
  auto built = build<TypeParam>(specs, CountBy::gnu_hash);
  auto table = this->read_ok(built.image);
  EXPECT_EQ(table.count_from, "DT_GNU_HASH");
  ASSERT_EQ(table.symbols.size(), 8u);
  EXPECT_EQ(table.symbols[7].name, "symbol_6");
  EXPECT_EQ(table.symbols[7].value, 0x106u);
}

TYPED_TEST(SymbolsTest, GnuHashWithOnlyTheNullSymbolCountsSymoffset) {
  auto built = build<TypeParam>({}, CountBy::gnu_hash);
  auto table = this->read_ok(built.image);
  EXPECT_EQ(table.symbols.size(), 1u);
}

TYPED_TEST(SymbolsTest, WithoutVersymEverySymbolIsGlobal) {
  auto built = build<TypeParam>(kThree, CountBy::hash, /*versym=*/false);
  auto table = this->read_ok(built.image);
  EXPECT_FALSE(table.has_versym);
  ASSERT_EQ(table.symbols.size(), 4u);
  for (const auto& symbol : table.symbols) EXPECT_EQ(symbol.version_index, 1);
}

TYPED_TEST(SymbolsTest, NoSymtabIsAnEmptyTable) {
  auto image = ElfBuilder<TypeParam>().needed("libc.so.6").build();
  auto table = this->read_ok(image);
  EXPECT_TRUE(table.symbols.empty());
}

TYPED_TEST(SymbolsTest, S390xHashWordsAreSixtyFourBit) {
  auto built = build<TypeParam>(kThree, CountBy::hash, true, EM_S390);
  auto table = this->read_ok(built.image);
  ASSERT_EQ(table.symbols.size(), 4u);  // with 32-bit words the 64-bit nchain would read as 0 (BE) or 1 (LE)
  EXPECT_EQ(table.symbols[3].name, "x_old_data");
}

// A relocation table at the end of the file: (symbol, type) pairs as DT_RELA (three words each) or DT_REL (two).
template <typename ELFT>
void add_relocations(ElfImage<ELFT>& image, const std::vector<std::pair<uint32_t, uint32_t>>& relocations,
                     bool with_addend) {
  using Word = typename ELFT::Xword;
  std::vector<Word> words;
  for (auto [symbol, type] : relocations) {
    uint64_t info = ELFT::kIs64 ? (uint64_t{symbol} << 32 | type) : (uint64_t{symbol} << 8 | (type & 0xff));
    words.push_back(static_cast<decltype(+Word())>(0x2000));
    words.push_back(static_cast<decltype(+Word())>(info));
    if (with_addend) words.push_back(static_cast<decltype(+Word())>(0));
  }
  uint64_t offset = image.append(to_bytes<ELFT>(words.data(), words.size() * sizeof(Word)), 8);
  image.set_dyn(image.dyn_index(with_addend ? DT_RELA : DT_REL), with_addend ? DT_RELA : DT_REL, image.vaddr(offset));
  image.set_dyn(image.dyn_index(with_addend ? DT_RELASZ : DT_RELSZ), with_addend ? DT_RELASZ : DT_RELSZ,
                words.size() * sizeof(Word));
}

TYPED_TEST(SymbolsTest, CopyRelocationsFromRelaAndRel) {
  for (bool with_addend : {true, false}) {
    ElfBuilder<TypeParam> builder;
    builder.needed("libc.so.6");
    builder.dynamic_entry(with_addend ? DT_RELA : DT_REL, 0).dynamic_entry(with_addend ? DT_RELASZ : DT_RELSZ, 0);
    auto image = builder.build();
    // R_X86_64_COPY and R_386_COPY are both 5; R_X86_64_GLOB_DAT and R_386_GLOB_DAT both 6.
    add_relocations(image, {{2, 5}, {3, 6}, {7, 5}}, with_addend);
    auto object = image.parse();
    ASSERT_TRUE(object) << object.error().message;
    auto copies = elf::read_copy_relocations(*image.source(), *object);
    ASSERT_TRUE(copies) << copies.error().message;
    EXPECT_EQ(*copies, (std::vector<uint32_t>{2, 7}));
  }
}

TYPED_TEST(SymbolsTest, CopyRelocationsPastTheEnd) {
  ElfBuilder<TypeParam> builder;
  builder.needed("libc.so.6").dynamic_entry(DT_RELA, 0).dynamic_entry(DT_RELASZ, 0);
  auto image = builder.build();
  add_relocations(image, {{2, 5}}, true);
  image.set_dyn(image.dyn_index(DT_RELASZ), DT_RELASZ, 0x100000);
  auto object = image.parse();
  ASSERT_TRUE(object);
  auto copies = elf::read_copy_relocations(*image.source(), *object);
  ASSERT_FALSE(copies);
  EXPECT_EQ(copies.error().message,
            fmt::format("dynamic section: DT_RELA {:#x} with 0x100000 bytes is not inside the file contents of a "
                        "PT_LOAD segment",
                        image.dyn(image.dyn_index(DT_RELA)).d_val + 0));
}

// ---- one corrupted field each ----

TYPED_TEST(SymbolsTest, WrongSyment) {
  auto built = build<TypeParam>(kThree, CountBy::hash);
  built.image.set_dyn(built.image.dyn_index(DT_SYMENT), DT_SYMENT, 12);
  EXPECT_EQ(this->read_error(built.image),
            fmt::format("dynamic section: DT_SYMENT 12 is not the size of a symbol in this class ({})",
                        sizeof(typename TypeParam::Sym)));
}

TYPED_TEST(SymbolsTest, SymtabOutsideEveryLoadSegment) {
  auto built = build<TypeParam>(kThree, CountBy::hash);
  built.image.set_dyn(built.image.dyn_index(DT_SYMTAB), DT_SYMTAB, 0x900000);
  EXPECT_EQ(this->read_error(built.image),
            "dynamic section: DT_SYMTAB 0x900000 is not inside the file contents of any PT_LOAD segment");
}

TYPED_TEST(SymbolsTest, HashNchainPastTheEnd) {
  auto built = build<TypeParam>(kThree, CountBy::hash);
  built.image.template put<elf::U32<TypeParam::kOrder>>(built.hash_offset + 4, 100000);
  uint64_t room = (built.image.size() - built.symtab_offset) / sizeof(typename TypeParam::Sym);
  EXPECT_EQ(this->read_error(built.image),
            fmt::format("dynamic section: DT_HASH gives 100000 symbols, but only {} fit between DT_SYMTAB {:#x} and "
                        "the end of its PT_LOAD segment's file contents",
                        room, built.image.vaddr(built.symtab_offset)));
}

TYPED_TEST(SymbolsTest, NameOffsetPastTheStringTable) {
  using Sym = typename TypeParam::Sym;
  auto built = build<TypeParam>(kThree, CountBy::hash);
  built.image.template edit<Sym>(built.symtab_offset + 2 * sizeof(Sym), [](Sym& s) { s.st_name = 0x7777; });
  // The string table is the appended one, bounded by DT_STRSZ.
  auto object = built.image.parse();
  ASSERT_TRUE(object);
  uint64_t strsz = *object->dynamic->strsz;
  EXPECT_EQ(this->read_error(built.image),
            fmt::format("dynamic symbol 2: st_name 0x7777 is past the end of the string table ({:#x} bytes) or has "
                        "no NUL",
                        strsz));
}

TYPED_TEST(SymbolsTest, VersymTooShort) {
  auto built = build<TypeParam>(kThree, CountBy::hash);
  // DT_VERSYM at the last byte of the file: room for no entry.
  uint64_t last = built.image.size() - 1;
  built.image.set_dyn(built.image.dyn_index(DT_VERSYM), DT_VERSYM, built.image.vaddr(last));
  EXPECT_EQ(this->read_error(built.image),
            fmt::format("dynamic section: DT_VERSYM {:#x} has room for 0 entries, the symbol table has 4",
                        built.image.vaddr(last)));
}

TYPED_TEST(SymbolsTest, GnuHashChainWithoutEndMarker) {
  std::vector<SymbolSpec> specs = {{"a", 5}, {"b", 5}, {"c", 5}};
  auto built = build<TypeParam>(specs, CountBy::gnu_hash);
  // Buckets start at symbols 1 and 3 (the last chain is symbol 3 alone): clear the end bit of its entry and cut the
  // file right after it.
  uint64_t bloom = TypeParam::kIs64 ? 8 : 4;
  uint64_t chains = built.hash_offset + 16 + bloom + 2 * 4;
  uint64_t last_entry = chains + 2 * 4;  // symbols 1, 2, 3 -> entries 0, 1, 2
  built.image.template edit<elf::U32<TypeParam::kOrder>>(last_entry, [](auto& w) { w = uint32_t{w} & ~1u; });
  built.image.truncate(last_entry + 4);
  built.image.edit_phdr(built.image.phdr_index(PT_LOAD), [&](auto& p) {
    p.p_filesz = last_entry + 4;
    p.p_memsz = last_entry + 4;
  });
  std::string error = this->read_error(built.image);
  EXPECT_EQ(error, fmt::format("dynamic section: DT_GNU_HASH {:#x}: the chain from symbol 3 runs past the end of its "
                               "PT_LOAD segment's file contents without an end marker",
                               built.image.vaddr(built.hash_offset)));
}

TYPED_TEST(SymbolsTest, GnuHashBucketsPastTheEnd) {
  auto built = build<TypeParam>(kThree, CountBy::gnu_hash);
  built.image.template put<elf::U32<TypeParam::kOrder>>(built.hash_offset, 0x40000000);  // nbuckets
  EXPECT_EQ(this->read_error(built.image),
            fmt::format("dynamic section: DT_GNU_HASH {:#x}: 1 bloom words and 1073741824 buckets run past the end of "
                        "its PT_LOAD segment's file contents",
                        built.image.vaddr(built.hash_offset)));
}

TYPED_TEST(SymbolsTest, GnuHashBucketBelowSymoffset) {
  auto built = build<TypeParam>(kThree, CountBy::gnu_hash);
  built.image.template put<elf::U32<TypeParam::kOrder>>(built.hash_offset + 4, 3);  // symoffset 3 > bucket 0's 1
  // Bucket 1 starts at symbol 3 (count 4: split 3), which is not below 3; make it 2.
  uint64_t bloom = TypeParam::kIs64 ? 8 : 4;
  built.image.template put<elf::U32<TypeParam::kOrder>>(built.hash_offset + 16 + bloom + 4, 2);
  EXPECT_EQ(this->read_error(built.image),
            fmt::format("dynamic section: DT_GNU_HASH {:#x}: a bucket starts at symbol 2, below symoffset 3",
                        built.image.vaddr(built.hash_offset)));
}

TYPED_TEST(SymbolsTest, NoHashTableAtAll) {
  auto built = build<TypeParam>(kThree, CountBy::none);
  EXPECT_EQ(this->read_error(built.image),
            "dynamic section: neither DT_HASH nor DT_GNU_HASH (nor a .dynsym section header) says how many dynamic "
            "symbols there are");
}

}  // namespace
}  // namespace elfrun::test
