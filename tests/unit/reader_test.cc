// Tests of the ELF reader (src/elf/reader.cc) on well-formed files: every test runs over the four layouts, with
// files written by ElfBuilder, and a few read the real fixture binaries of fuzz/corpus.
#include <elf.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "elf/elf_object.h"
#include "elf_builder.h"

namespace elfrun::test {
namespace {

using elf::ElfObject;

template <typename ELFT>
class ReaderTest : public ::testing::Test {
 protected:
  // Parses the image and fails the test (with the reader's message) when it is not accepted.
  static ElfObject parse_ok(const ElfImage<ELFT>& image) {
    auto object = image.parse();
    if (!object) {
      ADD_FAILURE() << "parse_elf failed: " << object.error().message;
      return ElfObject{};
    }
    return std::move(*object);
  }
};

struct LayoutNames {
  template <typename ELFT>
  static std::string GetName(int) {
    return layout_name<ELFT>();
  }
};

using Layouts = ::testing::Types<Elf32LE, Elf32BE, Elf64LE, Elf64BE>;
TYPED_TEST_SUITE(ReaderTest, Layouts, LayoutNames);

TYPED_TEST(ReaderTest, IdentAndHeader) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().type(ET_EXEC).machine(EM_S390).flags(0x12345678).entry(0x10400).os_abi(ELFOSABI_GNU).build();
  ElfObject object = this->parse_ok(image);
  EXPECT_EQ(object.ident.elf_class, TypeParam::kIs64 ? ELFCLASS64 : ELFCLASS32);
  EXPECT_EQ(object.is_64(), TypeParam::kIs64);
  EXPECT_EQ(object.byte_order(), TypeParam::kOrder == std::endian::big ? elf::ByteOrder::big : elf::ByteOrder::little);
  EXPECT_EQ(object.ident.version, EV_CURRENT);
  EXPECT_EQ(object.ident.os_abi, ELFOSABI_GNU);
  EXPECT_EQ(object.header.type, ET_EXEC);
  EXPECT_EQ(object.header.machine, EM_S390);
  EXPECT_EQ(object.header.version, EV_CURRENT);
  EXPECT_EQ(object.header.flags, 0x12345678u);
  EXPECT_EQ(object.header.entry, 0x10400u);
  EXPECT_EQ(object.header.ehsize, sizeof(typename TypeParam::Ehdr));
  EXPECT_EQ(object.file_size, image.size());
  EXPECT_FALSE(object.interpreter);
  EXPECT_FALSE(object.dynamic);
  EXPECT_FALSE(object.has_symtab);
  EXPECT_FALSE(object.debuglink);
  EXPECT_TRUE(object.warnings.empty());
}

TYPED_TEST(ReaderTest, ProgramHeaders) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().interpreter("/lib/ld.so.1").needed("libc.so.6").abi_tag(0, 3, 2, 0).build();
  ElfObject object = this->parse_ok(image);
  ASSERT_EQ(object.program_headers.size(), 4u);
  EXPECT_EQ(object.program_headers[0].type, uint32_t{PT_INTERP});
  EXPECT_EQ(object.program_headers[1].type, uint32_t{PT_LOAD});
  EXPECT_EQ(object.program_headers[2].type, uint32_t{PT_DYNAMIC});
  EXPECT_EQ(object.program_headers[3].type, uint32_t{PT_NOTE});
  const elf::ProgramHeader& load = object.program_headers[1];
  EXPECT_EQ(load.offset, 0u);
  EXPECT_EQ(load.vaddr, ElfImage<TypeParam>::kBase);
  EXPECT_EQ(load.paddr, ElfImage<TypeParam>::kBase);
  EXPECT_EQ(load.filesz, image.size());
  EXPECT_EQ(load.memsz, image.size());
  EXPECT_EQ(load.flags, uint32_t{PF_R | PF_X});
  EXPECT_EQ(load.align, 0x1000u);
  EXPECT_EQ(object.find_segment(PT_DYNAMIC), &object.program_headers[2]);
  EXPECT_EQ(object.find_segment(PT_TLS), nullptr);
  EXPECT_EQ(object.program_headers[2].offset, image.dynamic_offset);
}

TYPED_TEST(ReaderTest, Interpreter) {
  using Builder = ElfBuilder<TypeParam>;
  ElfObject object = this->parse_ok(Builder().interpreter("/lib64/ld-linux-x86-64.so.2").build());
  EXPECT_EQ(object.interpreter, "/lib64/ld-linux-x86-64.so.2");
}

// The kernel (fs/binfmt_elf.c) uses the path up to the first NUL; the segment only has to end with one.
TYPED_TEST(ReaderTest, InterpreterStopsAtTheFirstNul) {
  using Builder = ElfBuilder<TypeParam>;
  ElfObject object = this->parse_ok(Builder().interpreter(std::string("/lib/ld.so\0junk", 15)).build());
  EXPECT_EQ(object.interpreter, "/lib/ld.so");
}

TYPED_TEST(ReaderTest, DynamicStrings) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder()
                   .needed("libm.so.6")
                   .needed("libc.so.6")
                   .soname("libthing.so.1")
                   .rpath("/opt/a:/opt/b")
                   .runpath("$ORIGIN/../lib")
                   .dynamic_entry(DT_AUDIT, 0)  // offset 0: the empty string
                   .dt_flags(DF_BIND_NOW | DF_ORIGIN)
                   .dt_flags_1(DF_1_NODEFLIB | DF_1_PIE)
                   .build();
  ElfObject object = this->parse_ok(image);
  ASSERT_TRUE(object.dynamic);
  const elf::DynamicInfo& dynamic = *object.dynamic;
  EXPECT_EQ(dynamic.needed, (std::vector<std::string>{"libm.so.6", "libc.so.6"}));
  EXPECT_EQ(dynamic.soname, "libthing.so.1");
  EXPECT_EQ(dynamic.rpath, "/opt/a:/opt/b");
  EXPECT_EQ(dynamic.runpath, "$ORIGIN/../lib");
  EXPECT_EQ(dynamic.audit, "");
  EXPECT_FALSE(dynamic.depaudit);
  EXPECT_EQ(dynamic.flags, uint64_t{DF_BIND_NOW | DF_ORIGIN});
  EXPECT_EQ(dynamic.flags_1, uint64_t{DF_1_NODEFLIB | DF_1_PIE});
  EXPECT_TRUE(dynamic.bind_now());
  EXPECT_EQ(dynamic.strtab, image.vaddr(image.dynstr_offset));
  EXPECT_EQ(dynamic.strsz, image.dynstr_size);
  EXPECT_FALSE(dynamic.verneed);
  // Every entry before DT_NULL, in order: 2 NEEDED, SONAME, RPATH, RUNPATH, STRTAB, STRSZ, AUDIT, FLAGS, FLAGS_1.
  ASSERT_EQ(dynamic.entries.size(), 10u);
  EXPECT_EQ(dynamic.entries[0].tag, DT_NEEDED);
  EXPECT_EQ(dynamic.entries[0].value, image.string_offset("libm.so.6"));
  EXPECT_EQ(dynamic.entries[9].tag, DT_FLAGS_1);
}

TYPED_TEST(ReaderTest, BindNowFromFlags1Alone) {
  using Builder = ElfBuilder<TypeParam>;
  ElfObject object = this->parse_ok(Builder().dt_flags_1(DF_1_NOW).build());
  ASSERT_TRUE(object.dynamic);
  EXPECT_TRUE(object.dynamic->bind_now());
  ElfObject lazy = this->parse_ok(Builder().dt_flags(DF_ORIGIN).build());
  EXPECT_FALSE(lazy.dynamic->bind_now());
}

// A static-pie has a dynamic section with no strings at all: no DT_STRTAB is needed then.
TYPED_TEST(ReaderTest, DynamicWithoutStrings) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().dynamic_entry(DT_DEBUG, 0).build();
  // Remove DT_STRTAB and DT_STRSZ (the builder always writes them) by turning them into DT_DEBUG.
  image.set_dyn(image.dyn_index(DT_STRTAB), DT_DEBUG, 0);
  image.set_dyn(image.dyn_index(DT_STRSZ), DT_DEBUG, 0);
  ElfObject object = this->parse_ok(image);
  ASSERT_TRUE(object.dynamic);
  EXPECT_TRUE(object.dynamic->needed.empty());
  EXPECT_FALSE(object.dynamic->strtab);
  EXPECT_EQ(object.dynamic->entries.size(), 3u);
}

// glibc elf/get-dynamic-info.h keeps the last of repeated single-valued tags.
TYPED_TEST(ReaderTest, RepeatedSonameKeepsTheLast) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().soname("first.so").rpath("second.so").build();  // DT_RPATH comes after DT_SONAME
  image.set_dyn(image.dyn_index(DT_RPATH), DT_SONAME, image.string_offset("second.so"));
  ElfObject object = this->parse_ok(image);
  EXPECT_EQ(object.dynamic->soname, "second.so");
  EXPECT_FALSE(object.dynamic->rpath);
}

// Without DT_STRSZ the string table runs to the end of its PT_LOAD segment's file contents.
TYPED_TEST(ReaderTest, StringTableWithoutStrsz) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().needed("libz.so.1").build();
  image.set_dyn(image.dyn_index(DT_STRSZ), DT_DEBUG, 0);
  ElfObject object = this->parse_ok(image);
  EXPECT_EQ(object.dynamic->needed, std::vector<std::string>{"libz.so.1"});
  EXPECT_FALSE(object.dynamic->strsz);
}

TYPED_TEST(ReaderTest, VersionNeeds) {
  using Builder = ElfBuilder<TypeParam>;
  using Version = typename Builder::Version;
  auto image = Builder()
                   .needed("libc.so.6")
                   .needed("libm.so.6")
                   .version_need("libc.so.6", {Version{"GLIBC_2.34", 0x069691b4, 0, 3},
                                               Version{"GLIBC_2.2.5", 0x09691a75, VER_FLG_WEAK, 2}})
                   .version_need("libm.so.6", {Version{"GLIBC_2.29", 0x069691b9, 0, 4}})
                   .build();
  ElfObject object = this->parse_ok(image);
  ASSERT_TRUE(object.dynamic);
  EXPECT_EQ(object.dynamic->verneed, image.vaddr(image.verneed_offset));
  const auto& needs = object.dynamic->version_needs;
  ASSERT_EQ(needs.size(), 2u);
  EXPECT_EQ(needs[0].file, "libc.so.6");
  ASSERT_EQ(needs[0].versions.size(), 2u);
  EXPECT_EQ(needs[0].versions[0].name, "GLIBC_2.34");
  EXPECT_EQ(needs[0].versions[0].hash, 0x069691b4u);
  EXPECT_EQ(needs[0].versions[0].flags, 0);
  EXPECT_EQ(needs[0].versions[0].index, 3);
  EXPECT_EQ(needs[0].versions[1].name, "GLIBC_2.2.5");
  EXPECT_EQ(needs[0].versions[1].flags, VER_FLG_WEAK);
  EXPECT_EQ(needs[0].versions[1].index, 2);
  EXPECT_EQ(needs[1].file, "libm.so.6");
  ASSERT_EQ(needs[1].versions.size(), 1u);
  EXPECT_EQ(needs[1].versions[0].name, "GLIBC_2.29");
  EXPECT_EQ(needs[1].versions[0].index, 4);
}

TYPED_TEST(ReaderTest, VersionDefinitions) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder()
                   .soname("libv.so.2")
                   .version_definition(1, VER_FLG_BASE, {"libv.so.2"})
                   .version_definition(2, 0, {"VERS_1"})
                   .version_definition(3, 0, {"VERS_2", "VERS_1"})
                   .build();
  ElfObject object = this->parse_ok(image);
  ASSERT_TRUE(object.dynamic);
  const auto& definitions = object.dynamic->version_definitions;
  ASSERT_EQ(definitions.size(), 3u);
  EXPECT_EQ(definitions[0].index, 1);
  EXPECT_EQ(definitions[0].flags, VER_FLG_BASE);
  EXPECT_EQ(definitions[0].names, std::vector<std::string>{"libv.so.2"});
  EXPECT_EQ(definitions[1].names, std::vector<std::string>{"VERS_1"});
  EXPECT_EQ(definitions[2].index, 3);
  EXPECT_EQ(definitions[2].names, (std::vector<std::string>{"VERS_2", "VERS_1"}));
}

TYPED_TEST(ReaderTest, AbiTagAndBuildId) {
  using Builder = ElfBuilder<TypeParam>;
  std::vector<unsigned char> id = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
                                   0xcd, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  ElfObject object = this->parse_ok(Builder().abi_tag(ELF_NOTE_OS_LINUX, 3, 2, 0).build_id(id).build());
  ASSERT_TRUE(object.notes.abi_tag);
  EXPECT_EQ(object.notes.abi_tag->os, uint32_t{ELF_NOTE_OS_LINUX});
  EXPECT_EQ(object.notes.abi_tag->major, 3u);
  EXPECT_EQ(object.notes.abi_tag->minor, 2u);
  EXPECT_EQ(object.notes.abi_tag->patch, 0u);
  EXPECT_EQ(object.notes.build_id, id);
}

// Odd-sized names and descriptors are padded to 4 bytes; the notes after them must still be found.
TYPED_TEST(ReaderTest, NotesAfterOddSizes) {
  using Builder = ElfBuilder<TypeParam>;
  std::vector<unsigned char> id = {1, 2, 3, 4, 5};
  std::string gold = "gold 1.16";
  ElfObject object = this->parse_ok(Builder()
                                        .note("Go", 4, {'a', 'b', 'c', '/', 'd', 0})
                                        .note("XYZ", 1, {9, 9, 9})
                                        .build_id(id)
                                        .note("GNU", NT_GNU_GOLD_VERSION, {gold.begin(), gold.end()})
                                        .abi_tag(ELF_NOTE_OS_LINUX, 4, 4, 0)
                                        .build());
  EXPECT_EQ(object.notes.go_build_id, "abc/d");
  EXPECT_EQ(object.notes.build_id, id);
  EXPECT_EQ(object.notes.gnu_gold_version, gold);
  ASSERT_TRUE(object.notes.abi_tag);
  EXPECT_EQ(object.notes.abi_tag->major, 4u);
}

// x86 ISA level and CET bits come from NT_GNU_PROPERTY_TYPE_0, in a PT_NOTE aligned to 8 bytes in ELF64.
TYPED_TEST(ReaderTest, X86GnuProperties) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder()
                   .machine(TypeParam::kIs64 ? EM_X86_64 : EM_386)
                   .gnu_property(GNU_PROPERTY_X86_FEATURE_1_AND, GNU_PROPERTY_X86_FEATURE_1_IBT)
                   .gnu_property(GNU_PROPERTY_X86_ISA_1_NEEDED, GNU_PROPERTY_X86_ISA_1_V2)
                   .gnu_property(0xc0010002 /* GNU_PROPERTY_X86_ISA_1_USED */, GNU_PROPERTY_X86_ISA_1_V3)
                   .abi_tag(ELF_NOTE_OS_LINUX, 3, 2, 0)
                   .build();
  ElfObject object = this->parse_ok(image);
  EXPECT_EQ(object.notes.x86_features, uint32_t{GNU_PROPERTY_X86_FEATURE_1_IBT});
  EXPECT_EQ(object.notes.x86_isa_needed, uint32_t{GNU_PROPERTY_X86_ISA_1_V2});
  EXPECT_EQ(object.notes.x86_isa_used, uint32_t{GNU_PROPERTY_X86_ISA_1_V3});
  EXPECT_FALSE(object.notes.aarch64_features);
  ASSERT_TRUE(object.notes.abi_tag);  // the second PT_NOTE is read too
  EXPECT_EQ(object.notes.abi_tag->major, 3u);
}

TYPED_TEST(ReaderTest, Aarch64GnuProperties) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder()
                   .machine(EM_AARCH64)
                   .gnu_property(GNU_PROPERTY_AARCH64_FEATURE_1_AND,
                                 GNU_PROPERTY_AARCH64_FEATURE_1_BTI | GNU_PROPERTY_AARCH64_FEATURE_1_PAC)
                   .build();
  ElfObject object = this->parse_ok(image);
  EXPECT_EQ(object.notes.aarch64_features,
            uint32_t{GNU_PROPERTY_AARCH64_FEATURE_1_BTI | GNU_PROPERTY_AARCH64_FEATURE_1_PAC});
  EXPECT_FALSE(object.notes.x86_features);
}

// The same property number means something else on another machine: it is not decoded as x86.
TYPED_TEST(ReaderTest, X86PropertiesIgnoredOnOtherMachines) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().machine(EM_PPC64).gnu_property(GNU_PROPERTY_X86_ISA_1_NEEDED, 1).build();
  ElfObject object = this->parse_ok(image);
  EXPECT_FALSE(object.notes.x86_isa_needed);
}

TYPED_TEST(ReaderTest, Sections) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().interpreter("/lib/ld.so").needed("libc.so.6").symtab().debuglink("prog.debug").build();
  ElfObject object = this->parse_ok(image);
  EXPECT_TRUE(object.warnings.empty());
  ASSERT_EQ(object.sections.size(), image.ehdr().e_shnum);
  EXPECT_EQ(object.sections[0].type, uint32_t{SHT_NULL});
  const elf::SectionHeader* dynstr = object.find_section(".dynstr");
  ASSERT_NE(dynstr, nullptr);
  EXPECT_EQ(dynstr->type, uint32_t{SHT_STRTAB});
  EXPECT_EQ(dynstr->offset, image.dynstr_offset);
  EXPECT_EQ(dynstr->size, image.dynstr_size);
  EXPECT_EQ(dynstr->addr, image.vaddr(image.dynstr_offset));
  const elf::SectionHeader* dynamic = object.find_section(".dynamic");
  ASSERT_NE(dynamic, nullptr);
  EXPECT_EQ(dynamic->entsize, sizeof(typename TypeParam::Dyn));
  EXPECT_EQ(dynamic->link, image.section_index(".dynstr"));
  EXPECT_NE(object.find_section(".interp"), nullptr);
  EXPECT_NE(object.find_section(".shstrtab"), nullptr);
  EXPECT_EQ(object.find_section(".text"), nullptr);
  EXPECT_TRUE(object.has_symtab);
  EXPECT_FALSE(object.has_debug_info);
  EXPECT_EQ(object.debuglink, "prog.debug");
}

TYPED_TEST(ReaderTest, NoSectionHeaders) {
  using Builder = ElfBuilder<TypeParam>;
  ElfObject object = this->parse_ok(Builder().needed("libc.so.6").section_headers(false).build());
  EXPECT_TRUE(object.sections.empty());
  EXPECT_FALSE(object.has_symtab);
  EXPECT_EQ(object.dynamic->needed, std::vector<std::string>{"libc.so.6"});
  EXPECT_TRUE(object.warnings.empty());
}

// A relocatable file has no program headers: its notes are read from SHT_NOTE sections.
TYPED_TEST(ReaderTest, RelocatableNotesFromSections) {
  using Builder = ElfBuilder<TypeParam>;
  std::vector<unsigned char> id = {0xab, 0xcd};
  auto image = Builder().type(ET_REL).program_headers(false).build_id(id).abi_tag(ELF_NOTE_OS_LINUX, 2, 6, 32).build();
  ElfObject object = this->parse_ok(image);
  EXPECT_EQ(object.header.type, ET_REL);
  EXPECT_TRUE(object.program_headers.empty());
  EXPECT_EQ(object.notes.build_id, id);
  ASSERT_TRUE(object.notes.abi_tag);
  EXPECT_EQ(object.notes.abi_tag->minor, 6u);
  EXPECT_EQ(object.notes.abi_tag->patch, 32u);
}

// More than 0xfffe program headers: e_phnum is PN_XNUM and section 0's sh_info holds the count.
TYPED_TEST(ReaderTest, ProgramHeaderCountInSectionZero) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().interpreter("/lib/ld.so").build();
  uint16_t count = image.ehdr().e_phnum;
  image.edit_ehdr([](auto& e) { e.e_phnum = PN_XNUM; });
  image.edit_shdr(0, [&](auto& s) { s.sh_info = count; });
  ElfObject object = this->parse_ok(image);
  EXPECT_EQ(object.program_headers.size(), count);
  EXPECT_EQ(object.interpreter, "/lib/ld.so");
}

// A core file's PT_LOAD segments may be cut off (a truncated dump): only its notes are read.
TYPED_TEST(ReaderTest, CoreWithTruncatedLoadSegment) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().type(ET_CORE).abi_tag(ELF_NOTE_OS_LINUX, 5, 10, 0).build();
  image.edit_phdr(image.phdr_index(PT_LOAD), [](auto& p) { p.p_filesz = 0x10000000; });
  ElfObject object = this->parse_ok(image);
  EXPECT_EQ(object.header.type, ET_CORE);
  ASSERT_TRUE(object.notes.abi_tag);
  EXPECT_EQ(object.notes.abi_tag->major, 5u);
}

// The program-header table may also be empty with e_phentsize left 0 (relocatable files written by some tools).
TYPED_TEST(ReaderTest, NoProgramHeadersWithZeroEntrySize) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().type(ET_REL).program_headers(false).build();
  ElfObject object = this->parse_ok(image);
  EXPECT_TRUE(object.program_headers.empty());
  EXPECT_FALSE(object.dynamic);
}

// The loader reads the dynamic section in memory, where p_memsz past p_filesz is zero: that zero is a DT_NULL.
TYPED_TEST(ReaderTest, DynamicEndsInZeroFill) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().needed("libc.so.6").build();
  size_t dynamic = image.phdr_index(PT_DYNAMIC);
  image.set_dyn(image.dyn_index(DT_NULL), DT_DEBUG, 0);
  image.edit_phdr(dynamic, [](auto& p) { p.p_memsz = p.p_memsz + sizeof(typename TypeParam::Dyn); });
  ElfObject object = this->parse_ok(image);
  ASSERT_TRUE(object.dynamic);
  EXPECT_EQ(object.dynamic->needed, std::vector<std::string>{"libc.so.6"});
  EXPECT_EQ(object.dynamic->entries.back().tag, DT_DEBUG);
}

// A separate debug-info file (objcopy --only-keep-debug, /usr/lib/debug/.build-id/...) keeps the program headers
// with p_filesz 0: the interpreter's name and the dynamic section are not in the file. It is read, not refused.
TYPED_TEST(ReaderTest, SeparateDebugInfoFile) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().interpreter("/lib/ld.so.1").needed("libc.so.6").build_id({7, 7, 7, 7}).build();
  for (uint32_t type : {PT_INTERP, PT_DYNAMIC}) {
    image.edit_phdr(image.phdr_index(type), [](auto& p) { p.p_filesz = 0; });
  }
  ElfObject object = this->parse_ok(image);
  EXPECT_EQ(object.interpreter, "");
  ASSERT_TRUE(object.dynamic);
  EXPECT_TRUE(object.dynamic->entries.empty());
  EXPECT_TRUE(object.dynamic->needed.empty());
  EXPECT_EQ(object.notes.build_id, (std::vector<uint8_t>{7, 7, 7, 7}));
  EXPECT_EQ(object.warnings, std::vector<std::string>{"program header 0 (PT_INTERP): p_filesz is 0: the interpreter "
                                                      "path is not in the file (as in a separate debug-info file)"});
}

// The real fixture binaries of fuzz/corpus, built by tests/fixtures/build-fixtures.sh and stripped.
std::filesystem::path corpus_file(const std::string& name) {
  return std::filesystem::path(ELFRUN_SOURCE_DIR) / "fuzz" / "corpus" / name;
}

ElfObject parse_fixture(const std::string& name) {
  auto source = elf::ByteSource::open(corpus_file(name).string());
  if (!source) {
    ADD_FAILURE() << source.error().message;
    return ElfObject{};
  }
  auto object = elf::parse_elf(**source);
  if (!object) {
    ADD_FAILURE() << name << ": " << object.error().message;
    return ElfObject{};
  }
  return std::move(*object);
}

TEST(ReaderFixtures, X86_64Glibc) {
  ElfObject object = parse_fixture("seed-hello-x86_64");
  EXPECT_TRUE(object.is_64());
  EXPECT_EQ(object.header.machine, EM_X86_64);
  EXPECT_EQ(object.header.type, ET_DYN);
  EXPECT_EQ(object.interpreter, "/lib64/ld-linux-x86-64.so.2");
  ASSERT_TRUE(object.dynamic);
  EXPECT_EQ(object.dynamic->needed, std::vector<std::string>{"libc.so.6"});
  ASSERT_FALSE(object.dynamic->version_needs.empty());
  EXPECT_EQ(object.dynamic->version_needs[0].file, "libc.so.6");
  ASSERT_TRUE(object.notes.abi_tag);
  EXPECT_EQ(object.notes.abi_tag->major, 3u);
  EXPECT_EQ(object.notes.abi_tag->minor, 2u);
  ASSERT_TRUE(object.notes.build_id);
  EXPECT_EQ(object.notes.build_id->size(), 20u);
  // Debian 12's gcc marks every x86-64 program as needing the baseline ISA (readelf -n: "x86 ISA needed:
  // x86-64-baseline"); the property lives in an 8-byte-aligned note whose descriptor starts at offset 16.
  EXPECT_EQ(object.notes.x86_isa_needed, uint32_t{GNU_PROPERTY_X86_ISA_1_BASELINE});
  EXPECT_FALSE(object.has_symtab);
}

TEST(ReaderFixtures, I386) {
  ElfObject object = parse_fixture("seed-hello-i386");
  EXPECT_FALSE(object.is_64());
  EXPECT_EQ(object.header.machine, EM_386);
  EXPECT_EQ(object.interpreter, "/lib/ld-linux.so.2");
  EXPECT_EQ(object.dynamic->needed, std::vector<std::string>{"libc.so.6"});
}

TEST(ReaderFixtures, BigEndian) {
  ElfObject s390x = parse_fixture("seed-hello-s390x");
  EXPECT_EQ(s390x.byte_order(), elf::ByteOrder::big);
  EXPECT_EQ(s390x.header.machine, EM_S390);
  EXPECT_EQ(s390x.interpreter, "/lib/ld64.so.1");
  EXPECT_EQ(s390x.dynamic->needed, std::vector<std::string>{"libc.so.6"});
  ElfObject ppc64 = parse_fixture("seed-hello-ppc64");
  EXPECT_EQ(ppc64.byte_order(), elf::ByteOrder::big);
  EXPECT_EQ(ppc64.header.machine, EM_PPC64);
  EXPECT_EQ(ppc64.interpreter, "/lib64/ld64.so.1");
}

TEST(ReaderFixtures, SharedLibraryWithVersions) {
  ElfObject object = parse_fixture("seed-libversioned.so.2");
  ASSERT_TRUE(object.dynamic);
  EXPECT_FALSE(object.interpreter);
  EXPECT_EQ(object.dynamic->soname, "libversioned.so.2");
  EXPECT_EQ(object.dynamic->runpath, "/opt/x");
  EXPECT_TRUE(object.dynamic->bind_now());
  const auto& definitions = object.dynamic->version_definitions;
  ASSERT_EQ(definitions.size(), 3u);
  EXPECT_EQ(definitions[0].flags, VER_FLG_BASE);
  EXPECT_EQ(definitions[0].names, std::vector<std::string>{"libversioned.so.2"});
  EXPECT_EQ(definitions[1].names, std::vector<std::string>{"VERS_1"});
  EXPECT_EQ(definitions[2].names, (std::vector<std::string>{"VERS_2", "VERS_1"}));
}

TEST(ReaderFixtures, StaticMusl) {
  ElfObject object = parse_fixture("seed-hello-musl-static");
  EXPECT_FALSE(object.interpreter);
  EXPECT_FALSE(object.dynamic);
  EXPECT_EQ(object.header.type, ET_EXEC);
}

TEST(ReaderFixtures, RelocatableObject) {
  ElfObject object = parse_fixture("seed-hello-x86_64.o");
  EXPECT_EQ(object.header.type, ET_REL);
  EXPECT_TRUE(object.program_headers.empty());
  EXPECT_TRUE(object.has_symtab);
  EXPECT_NE(object.find_section(".text"), nullptr);
  EXPECT_FALSE(object.notes.build_id);  // gcc -c writes no notes; the linker adds the build-id
}

}  // namespace
}  // namespace elfrun::test
