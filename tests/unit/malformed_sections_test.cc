// Malformed section headers, over the four layouts. Neither the kernel nor the loader reads them, so their problems
// are warnings: the file is still read, and each case asserts the exact warnings. Notes read from SHT_NOTE sections
// (a file without PT_NOTE) warn the same way. The last case is a regression for names copied over and over.
#include "malformed_fixture.h"

namespace elfrun::test {
namespace {

template <typename ELFT>
class MalformedSections : public MalformedTest<ELFT> {};
TYPED_TEST_SUITE(MalformedSections, Layouts, LayoutNames);

TYPED_TEST(MalformedSections, ShentsizeWrong) {
  auto image = this->dynamic_image();
  image.edit_ehdr([&](auto& e) { e.e_shentsize = this->kShdr + 1; });
  this->expect_warnings(image, {fmt::format("ELF header: e_shentsize {} is not the size of an {} section header ({})",
                                            this->kShdr + 1, this->kClass, this->kShdr)});
}

TYPED_TEST(MalformedSections, ShoffPastEnd) {
  auto image = this->dynamic_image();
  uint16_t count = image.ehdr().e_shnum;
  image.edit_ehdr([&](auto& e) { e.e_shoff = image.size() - this->kShdr; });
  this->expect_warnings(image, {fmt::format("section header table: e_shoff {} + {} entries × {} bytes is past the end "
                                            "of the file ({})",
                                            hex(image.size() - this->kShdr), count, this->kShdr, hex(image.size()))});
}

// e_shnum 0 takes the count from section 0's sh_size, which can be 2^64 - 1 in ELF64: no overflow.
TYPED_TEST(MalformedSections, ShnumFromSectionZeroNearOverflow) {
  auto image = this->dynamic_image();
  image.edit_ehdr([](auto& e) { e.e_shnum = 0; });
  image.edit_shdr(0, [&](auto& s) { s.sh_size = this->kMaxOff; });
  this->expect_warnings(image, {fmt::format("section header table: e_shoff {} + {} entries × {} bytes is past the end "
                                            "of the file ({})",
                                            hex(image.ehdr().e_shoff), this->kMaxOff, this->kShdr, hex(image.size()))});
}

TYPED_TEST(MalformedSections, ShstrndxTooLarge) {
  auto image = this->dynamic_image();
  uint16_t count = image.ehdr().e_shnum;
  image.edit_ehdr([&](auto& e) { e.e_shstrndx = count; });
  this->expect_warnings(image,
                        {fmt::format("ELF header: e_shstrndx {} is not below the section count ({})", count, count)});
}

TYPED_TEST(MalformedSections, SectionNamesPastEnd) {
  auto image = this->dynamic_image();
  size_t names = image.ehdr().e_shstrndx;
  uint64_t size = image.shdr(names).sh_size;
  image.edit_shdr(names, [&](auto& s) { s.sh_offset = image.size(); });
  this->expect_warnings(image, {fmt::format("section header {} (section names): sh_offset {} + sh_size {} is past the "
                                            "end of the file ({})",
                                            names, hex(image.size()), hex(size), hex(image.size()))});
}

TYPED_TEST(MalformedSections, SectionNamesNobits) {
  auto image = this->dynamic_image();
  size_t names = image.ehdr().e_shstrndx;
  image.edit_shdr(names, [](auto& s) { s.sh_type = SHT_NOBITS; });
  this->expect_warnings(image, {fmt::format("section header {} (section names): its type is SHT_NOBITS, it has no "
                                            "contents in the file",
                                            names)});
}

// Two names cannot be read: the first is named, the other counted.
TYPED_TEST(MalformedSections, SectionNamePastNames) {
  auto image = this->dynamic_image();
  size_t names = image.ehdr().e_shstrndx;
  uint64_t size = image.shdr(names).sh_size;
  image.edit_shdr(1, [](auto& s) { s.sh_name = 0x10000; });
  image.edit_shdr(2, [&](auto& s) { s.sh_name = size; });
  this->expect_warnings(image, {fmt::format("section header 1: sh_name 0x10000 is past the end of the section names "
                                            "({} bytes) or has no NUL (and 1 more sections whose names cannot be read)",
                                            hex(size))});
}

TYPED_TEST(MalformedSections, DebuglinkPastEnd) {
  auto image = typename TestFixture::Builder().debuglink("prog.debug").build();
  size_t index = image.section_index(".gnu_debuglink");
  uint64_t offset = image.shdr(index).sh_offset;
  image.edit_shdr(index, [](auto& s) { s.sh_size = 0x100000; });
  this->expect_warnings(image, {fmt::format("section header {} (.gnu_debuglink): sh_offset {} + sh_size 0x100000 is "
                                            "past the end of the file ({})",
                                            index, hex(offset), hex(image.size()))});
}

TYPED_TEST(MalformedSections, DebuglinkWithoutNul) {
  auto image = typename TestFixture::Builder().debuglink("prog.debug").build();
  size_t index = image.section_index(".gnu_debuglink");
  image.edit_shdr(index, [](auto& s) { s.sh_size = 10; });  // "prog.debug" without its NUL
  this->expect_warnings(image, {fmt::format("section header {} (.gnu_debuglink): the debug file name has no NUL "
                                            "within its sh_size 0xa bytes",
                                            index)});
}

// Without program headers, notes come from SHT_NOTE sections, and their problems are warnings too.
TYPED_TEST(MalformedSections, NoteSectionPastEnd) {
  auto image = typename TestFixture::Builder().type(ET_REL).program_headers(false).build_id({1, 2, 3, 4}).build();
  size_t index = image.section_index(".note");
  uint64_t size = image.shdr(index).sh_size;
  image.edit_shdr(index, [&](auto& s) { s.sh_offset = image.size(); });
  this->expect_warnings(image, {fmt::format("section header {} (.note): sh_offset {} + sh_size {} is past the end of "
                                            "the file ({})",
                                            index, hex(image.size()), hex(size), hex(image.size()))});
}

TYPED_TEST(MalformedSections, NoteSectionBadNote) {
  auto image = typename TestFixture::Builder().type(ET_REL).program_headers(false).build_id({1, 2, 3, 4}).build();
  size_t index = image.section_index(".note");
  image.template edit<elf::Nhdr<TestFixture::E>>(image.note_areas[0].first, [](auto& n) { n.n_descsz = 0x100; });
  this->expect_warnings(image,
                        {fmt::format("section header {} (.note): note 0 at offset 0x0: n_namesz 0x4 + n_descsz "
                                     "0x100 is past the end of the notes (8 bytes left after its 12-byte header)",
                                     index)});
}

// Regression (quadratic time and memory): thousands of section headers naming one long name. The names copied are
// budgeted like the dynamic strings; past the budget the rest stay unnamed, with one warning.
TYPED_TEST(MalformedSections, SectionNamesOverAndOver) {
  constexpr size_t kSections = 4096;
  auto image = this->dynamic_image();
  std::vector<unsigned char> names(32 * 1024, 'n');
  names.front() = 0;
  names.back() = 0;
  uint64_t names_offset = image.append(names);
  std::vector<unsigned char> table(kSections * this->kShdr);
  for (size_t i = 1; i < kSections; ++i) {
    typename TestFixture::Shdr s{};
    s.sh_name = 1;
    s.sh_type = i == 1 ? SHT_STRTAB : SHT_PROGBITS;
    s.sh_offset = names_offset;
    s.sh_size = names.size();
    std::memcpy(table.data() + i * this->kShdr, &s, this->kShdr);
  }
  uint64_t table_offset = image.append(table);
  image.edit_ehdr([&](auto& e) {
    e.e_shoff = table_offset;
    e.e_shnum = kSections;
    e.e_shstrndx = 1;
  });
  // Each name costs 0x7fff bytes; the budget is 8 × 0x8000 + 0x10000 = 0x50000: sections 1 to 10 are named.
  this->expect_warnings(image, {"section header 11: its name and those after it are not read: the names read so far "
                                "add up to more than 8 times the section names (0x8000 bytes)"});
  auto object = image.parse();
  ASSERT_TRUE(object);
  EXPECT_EQ(object->sections[10].name.size(), names.size() - 2);
  EXPECT_EQ(object->sections[11].name, "");
}

}  // namespace
}  // namespace elfrun::test
