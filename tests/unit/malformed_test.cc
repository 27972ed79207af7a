// Malformed input for the ELF reader: one case per corrupted field of what the kernel and the loader read (ELF
// identification and header, program headers, PT_INTERP, PT_DYNAMIC and its strings, PT_NOTE), each asserting the
// exact message parse_elf returns, over the four layouts. A valid image is built with ElfBuilder and one field is
// changed. The regressions at the end are hostile files that made the reader use time and memory quadratic in their
// size. DT_VERNEED / DT_VERDEF: malformed_versions_test.cc; section headers: malformed_sections_test.cc.
#include "malformed_fixture.h"

namespace elfrun::test {
namespace {

TYPED_TEST_SUITE(MalformedTest, Layouts, LayoutNames);

// ---- Identification and ELF header

TYPED_TEST(MalformedTest, NotElf) {
  auto image = this->dynamic_image();
  image.bytes[0] = 0x7e;
  this->expect_error(image, "not an ELF file (no \\x7fELF magic number)");
}

TYPED_TEST(MalformedTest, TruncatedIdent) {
  auto image = this->dynamic_image();
  image.truncate(10);
  this->expect_error(image, "ELF identification: the file has 10 bytes, the identification needs 16");
}

TYPED_TEST(MalformedTest, TruncatedHeader) {
  auto image = this->dynamic_image();
  image.truncate(this->kEhdr - 1);
  this->expect_error(image, fmt::format("ELF header: the file has {} bytes, an {} header needs {}", this->kEhdr - 1,
                                        this->kClass, this->kEhdr));
}

TYPED_TEST(MalformedTest, BadClass) {
  auto image = this->dynamic_image();
  image.bytes[EI_CLASS] = 3;
  this->expect_error(image, "ELF identification: EI_CLASS 3 is neither ELFCLASS32 (1) nor ELFCLASS64 (2)");
}

TYPED_TEST(MalformedTest, ClassNone) {
  auto image = this->dynamic_image();
  image.bytes[EI_CLASS] = ELFCLASSNONE;
  this->expect_error(image, "ELF identification: EI_CLASS 0 is neither ELFCLASS32 (1) nor ELFCLASS64 (2)");
}

TYPED_TEST(MalformedTest, BadData) {
  auto image = this->dynamic_image();
  image.bytes[EI_DATA] = 3;
  this->expect_error(image, "ELF identification: EI_DATA 3 is neither ELFDATA2LSB (1) nor ELFDATA2MSB (2)");
}

TYPED_TEST(MalformedTest, BadVersion) {
  auto image = this->dynamic_image();
  image.bytes[EI_VERSION] = 0;
  this->expect_error(image, "ELF identification: EI_VERSION 0 is not EV_CURRENT (1)");
}

// ---- Program header table

TYPED_TEST(MalformedTest, PhentsizeWrong) {
  auto image = this->dynamic_image();
  image.edit_ehdr([&](auto& e) { e.e_phentsize = this->kPhdr - 4; });
  this->expect_error(image, fmt::format("ELF header: e_phentsize {} is not the size of an {} program header ({})",
                                        this->kPhdr - 4, this->kClass, this->kPhdr));
}

TYPED_TEST(MalformedTest, PhoffPastEnd) {
  auto image = this->dynamic_image();
  image.edit_ehdr([&](auto& e) { e.e_phoff = image.size(); });
  this->expect_error(image, fmt::format("program header table: e_phoff {} + 4 entries × {} bytes is past the end of "
                                        "the file ({})",
                                        hex(image.size()), this->kPhdr, hex(image.size())));
}

TYPED_TEST(MalformedTest, PhnumPastEnd) {
  auto image = this->dynamic_image();
  image.edit_ehdr([](auto& e) { e.e_phnum = 0xfffe; });
  this->expect_error(image, fmt::format("program header table: e_phoff {} + 65534 entries × {} bytes is past the end "
                                        "of the file ({})",
                                        hex(image.ehdr().e_phoff), this->kPhdr, hex(image.size())));
}

// e_phoff + the table size wraps around 2^64 (or is just below 2^32 in ELF32): still past the end.
TYPED_TEST(MalformedTest, PhoffNearOverflow) {
  auto image = this->dynamic_image();
  image.edit_ehdr([&](auto& e) { e.e_phoff = this->kMaxOff - 7; });
  this->expect_error(image, fmt::format("program header table: e_phoff {} + 4 entries × {} bytes is past the end of "
                                        "the file ({})",
                                        hex(this->kMaxOff - 7), this->kPhdr, hex(image.size())));
}

// PN_XNUM takes the count from section 0's 32-bit sh_info: 0xffffffff entries must not overflow the size check.
TYPED_TEST(MalformedTest, PhnumFromSectionZeroNearOverflow) {
  auto image = this->dynamic_image();
  image.edit_ehdr([](auto& e) { e.e_phnum = PN_XNUM; });
  image.edit_shdr(0, [](auto& s) { s.sh_info = 0xffffffff; });
  this->expect_error(image, fmt::format("program header table: e_phoff {} + 4294967295 entries × {} bytes is past the "
                                        "end of the file ({})",
                                        hex(image.ehdr().e_phoff), this->kPhdr, hex(image.size())));
}

TYPED_TEST(MalformedTest, PhnumXnumWithoutSectionZero) {
  auto image = typename TestFixture::Builder().interpreter("/lib/ld.so").section_headers(false).build();
  image.edit_ehdr([](auto& e) { e.e_phnum = PN_XNUM; });
  this->expect_error(image, fmt::format("ELF header: e_phnum is PN_XNUM (0xffff), so the count is in section header "
                                        "0, but there is no section header 0 to read (e_shoff 0x0, e_shentsize 0, file "
                                        "size {})",
                                        hex(image.size())));
}

TYPED_TEST(MalformedTest, LoadPastEnd) {
  auto image = this->dynamic_image();
  image.edit_phdr(1, [&](auto& p) { p.p_filesz = image.size() + 1; });
  this->expect_error(image, fmt::format("program header 1 (PT_LOAD): p_offset 0x0 + p_filesz {} is past the end of "
                                        "the file ({})",
                                        hex(image.size() + 1), hex(image.size())));
}

TYPED_TEST(MalformedTest, LoadOffsetNearOverflow) {
  auto image = this->dynamic_image();
  image.edit_phdr(1, [&](auto& p) {
    p.p_offset = this->kMaxOff - 1;
    p.p_filesz = 0x10;
  });
  this->expect_error(image, fmt::format("program header 1 (PT_LOAD): p_offset {} + p_filesz 0x10 is past the end of "
                                        "the file ({})",
                                        hex(this->kMaxOff - 1), hex(image.size())));
}

// ---- PT_INTERP

TYPED_TEST(MalformedTest, InterpTooLong) {
  auto image = this->dynamic_image();
  image.append(std::vector<unsigned char>(8192, 'x'));  // so that 4097 bytes lie inside the file
  image.edit_phdr(0, [](auto& p) { p.p_filesz = 4097; });
  this->expect_error(image,
                     "program header 0 (PT_INTERP): p_filesz 4097 is not a size the kernel accepts for the "
                     "interpreter path (2 to 4096 bytes, with its NUL)");
}

TYPED_TEST(MalformedTest, InterpTooShort) {
  auto image = this->dynamic_image();
  image.edit_phdr(0, [](auto& p) { p.p_filesz = 1; });
  this->expect_error(image,
                     "program header 0 (PT_INTERP): p_filesz 1 is not a size the kernel accepts for the "
                     "interpreter path (2 to 4096 bytes, with its NUL)");
}

TYPED_TEST(MalformedTest, InterpNotNulTerminated) {
  auto image = this->dynamic_image();
  image.edit_phdr(0, [](auto& p) { p.p_filesz = 12; });  // "/lib/ld.so.1" without its NUL
  this->expect_error(image, fmt::format("program header 0 (PT_INTERP): the interpreter path does not end with a NUL "
                                        "byte (its last byte, at offset {}, is 0x31)",
                                        hex(image.interp_offset + 11)));
}

TYPED_TEST(MalformedTest, InterpPastEnd) {
  auto image = this->dynamic_image();
  image.edit_phdr(0, [&](auto& p) { p.p_offset = image.size() - 4; });
  this->expect_error(image, fmt::format("program header 0 (PT_INTERP): p_offset {} + p_filesz 0xd is past the end of "
                                        "the file ({})",
                                        hex(image.size() - 4), hex(image.size())));
}

// ---- PT_DYNAMIC

TYPED_TEST(MalformedTest, DynamicPastEnd) {
  auto image = this->dynamic_image();
  image.edit_phdr(2, [&](auto& p) { p.p_filesz = image.size(); });
  this->expect_error(image, fmt::format("program header 2 (PT_DYNAMIC): p_offset {} + p_filesz {} is past the end of "
                                        "the file ({})",
                                        hex(image.dynamic_offset), hex(image.size()), hex(image.size())));
}

TYPED_TEST(MalformedTest, DynamicNotInAnyLoad) {
  auto image = this->dynamic_image();
  image.edit_phdr(2, [](auto& p) { p.p_vaddr = 0x900000; });
  this->expect_error(image, "program header 2 (PT_DYNAMIC): p_vaddr 0x900000 is not inside any PT_LOAD segment");
}

TYPED_TEST(MalformedTest, DynamicWithoutNull) {
  auto image = this->dynamic_image();
  size_t last = image.dyn_index(DT_NULL);
  image.set_dyn(last, DT_DEBUG, 0);
  this->expect_error(image, fmt::format("program header 2 (PT_DYNAMIC): the dynamic section has no DT_NULL to end it "
                                        "(p_filesz {} holds {} entries, none is DT_NULL, and p_memsz {} adds no zeros "
                                        "after them)",
                                        hex((last + 1) * this->kDyn), last + 1, hex((last + 1) * this->kDyn)));
}

// A dynamic segment too small for one entry holds none, so no DT_NULL either.
TYPED_TEST(MalformedTest, DynamicSmallerThanOneEntry) {
  auto image = this->dynamic_image();
  image.edit_phdr(2, [&](auto& p) {
    p.p_filesz = this->kDyn - 1;
    p.p_memsz = this->kDyn - 1;
  });
  this->expect_error(image, fmt::format("program header 2 (PT_DYNAMIC): the dynamic section has no DT_NULL to end it "
                                        "(p_filesz {} holds 0 entries, none is DT_NULL, and p_memsz {} adds no zeros "
                                        "after them)",
                                        hex(this->kDyn - 1), hex(this->kDyn - 1)));
}

TYPED_TEST(MalformedTest, StrtabMissing) {
  auto image = this->dynamic_image();
  image.set_dyn(image.dyn_index(DT_STRTAB), DT_DEBUG, 0);
  this->expect_error(image, "program header 2 (PT_DYNAMIC): the dynamic section names strings but has no DT_STRTAB");
}

TYPED_TEST(MalformedTest, StrtabNotInAnyLoad) {
  auto image = this->dynamic_image();
  image.set_dyn(image.dyn_index(DT_STRTAB), DT_STRTAB, 0x900000);
  this->expect_error(image,
                     "dynamic section: DT_STRTAB 0x900000 is not inside the file contents of any PT_LOAD "
                     "segment");
}

// Mapped, but in the zero-filled part of the segment past p_filesz: there are no strings in the file there.
TYPED_TEST(MalformedTest, StrtabInZeroFill) {
  auto image = this->dynamic_image();
  image.edit_phdr(1, [](auto& p) { p.p_memsz = p.p_filesz + 0x1000; });
  uint64_t address = image.vaddr(image.size() + 0x10);
  image.set_dyn(image.dyn_index(DT_STRTAB), DT_STRTAB, address);
  this->expect_error(image, fmt::format("dynamic section: DT_STRTAB {} is not inside the file contents of any PT_LOAD "
                                        "segment",
                                        hex(address)));
}

TYPED_TEST(MalformedTest, StrszPastSegment) {
  auto image = this->dynamic_image();
  image.set_dyn(image.dyn_index(DT_STRSZ), DT_STRSZ, image.size());
  this->expect_error(image, fmt::format("dynamic section: DT_STRTAB {} + DT_STRSZ {} is past the end of its PT_LOAD "
                                        "segment's file contents ({} bytes from DT_STRTAB)",
                                        hex(image.vaddr(image.dynstr_offset)), hex(image.size()),
                                        hex(image.size() - image.dynstr_offset)));
}

TYPED_TEST(MalformedTest, StrszNearOverflow) {
  auto image = this->dynamic_image();
  image.set_dyn(image.dyn_index(DT_STRSZ), DT_STRSZ, this->kMaxOff);
  this->expect_error(image, fmt::format("dynamic section: DT_STRTAB {} + DT_STRSZ {} is past the end of its PT_LOAD "
                                        "segment's file contents ({} bytes from DT_STRTAB)",
                                        hex(image.vaddr(image.dynstr_offset)), hex(this->kMaxOff),
                                        hex(image.size() - image.dynstr_offset)));
}

// DT_STRSZ cuts "libm.so.6" (at 0xb) after 4 bytes: the string has no NUL inside the table.
TYPED_TEST(MalformedTest, StringWithoutNul) {
  auto image = this->dynamic_image();
  ASSERT_EQ(image.string_offset("libm.so.6"), 0xbu);
  image.set_dyn(image.dyn_index(DT_STRSZ), DT_STRSZ, 0xf);
  this->expect_error(image,
                     "dynamic section: DT_NEEDED entry 1: the string at offset 0xb has no terminating NUL "
                     "before the end of the string table (DT_STRSZ 0xf)");
}

TYPED_TEST(MalformedTest, NeededPastStrsz) {
  auto image = this->dynamic_image();
  image.set_dyn(image.dyn_index(DT_NEEDED), DT_NEEDED, 0x1000);
  this->expect_error(image, fmt::format("dynamic section: DT_NEEDED entry 0: string offset 0x1000 is past the end of "
                                        "the string table (DT_STRSZ {})",
                                        hex(image.dynstr_size)));
}

// Without DT_STRSZ the table ends with its segment's file contents, and the message says so.
TYPED_TEST(MalformedTest, NeededPastSegmentWithoutStrsz) {
  auto image = this->dynamic_image();
  image.set_dyn(image.dyn_index(DT_STRSZ), DT_DEBUG, 0);
  image.set_dyn(image.dyn_index(DT_NEEDED) + 1, DT_NEEDED, image.size());
  this->expect_error(image, fmt::format("dynamic section: DT_NEEDED entry 1: string offset {} is past the end of the "
                                        "string table (the end of its PT_LOAD segment's file contents, {} bytes from "
                                        "DT_STRTAB)",
                                        hex(image.size()), hex(image.size() - image.dynstr_offset)));
}

TYPED_TEST(MalformedTest, SonamePastStrsz) {
  auto image = this->dynamic_image();
  image.set_dyn(image.dyn_index(DT_SONAME), DT_SONAME, 0xffffffff);
  this->expect_error(image, fmt::format("dynamic section: DT_SONAME: string offset 0xffffffff is past the end of the "
                                        "string table (DT_STRSZ {})",
                                        hex(image.dynstr_size)));
}

TYPED_TEST(MalformedTest, RunpathPastStrsz) {
  auto image = typename TestFixture::Builder().runpath("$ORIGIN").build();
  image.set_dyn(image.dyn_index(DT_RUNPATH), DT_RUNPATH, image.dynstr_size);
  this->expect_error(image, fmt::format("dynamic section: DT_RUNPATH: string offset {} is past the end of the string "
                                        "table (DT_STRSZ {})",
                                        hex(image.dynstr_size), hex(image.dynstr_size)));
}

// ---- PT_NOTE

TYPED_TEST(MalformedTest, NoteDescsizeOverflows) {
  auto image = this->dynamic_image();
  auto [offset, size] = image.note_areas[0];
  image.template edit<elf::Nhdr<TestFixture::E>>(offset, [](auto& n) { n.n_descsz = 0xffffffff; });
  this->expect_error(image, fmt::format("program header 3 (PT_NOTE): note 0 at offset 0x0: n_namesz 0x4 + n_descsz "
                                        "0xffffffff is past the end of the notes ({} bytes left after its 12-byte "
                                        "header)",
                                        size - 12));
}

TYPED_TEST(MalformedTest, NoteNamesizeOverflows) {
  auto image = this->dynamic_image();
  auto [offset, size] = image.note_areas[0];
  image.template edit<elf::Nhdr<TestFixture::E>>(offset, [](auto& n) { n.n_namesz = 0xfffffffd; });
  this->expect_error(image, fmt::format("program header 3 (PT_NOTE): note 0 at offset 0x0: n_namesz 0xfffffffd + "
                                        "n_descsz 0x10 is past the end of the notes ({} bytes left after its 12-byte "
                                        "header)",
                                        size - 12));
}

// The ABI tag note takes 32 bytes; 5 more are not enough for the build-id note's header.
TYPED_TEST(MalformedTest, NoteHeaderTruncated) {
  auto image = this->dynamic_image();
  image.edit_phdr(3, [](auto& p) { p.p_filesz = 32 + 5; });
  this->expect_error(image,
                     "program header 3 (PT_NOTE): note 1 at offset 0x20 has no room for its 12-byte header (5 "
                     "bytes left)");
}

TYPED_TEST(MalformedTest, NotePastEnd) {
  auto image = this->dynamic_image();
  uint64_t size = image.note_areas[0].second;
  image.edit_phdr(3, [&](auto& p) { p.p_offset = image.size() - 8; });
  this->expect_error(image, fmt::format("program header 3 (PT_NOTE): p_offset {} + p_filesz {} is past the end of the "
                                        "file ({})",
                                        hex(image.size() - 8), hex(size), hex(image.size())));
}

// ---- Core files: their PT_LOADs may be cut off, but what is read must still be in the file.

TYPED_TEST(MalformedTest, CoreNotePastEnd) {
  auto image = typename TestFixture::Builder().type(ET_CORE).abi_tag(ELF_NOTE_OS_LINUX, 5, 10, 0).build();
  size_t note = image.phdr_index(PT_NOTE);
  image.edit_phdr(note, [](auto& p) { p.p_filesz = 0x7fffffff; });
  this->expect_error(image, fmt::format("program header {} (PT_NOTE): p_offset {} + p_filesz 0x7fffffff is past the "
                                        "end of the file ({})",
                                        note, hex(image.note_areas[0].first), hex(image.size())));
}

// A core's PT_LOAD is not checked against the file size, so p_offset + (address - p_vaddr) could wrap around to a
// valid offset and read the wrong bytes; the segment is checked before anything inside it is read.
TYPED_TEST(MalformedTest, CoreLoadOffsetWraps) {
  auto image = this->dynamic_image();
  image.edit_ehdr([](auto& e) { e.e_type = ET_CORE; });
  uint64_t wrapping_offset = std::numeric_limits<uint64_t>::max() - image.dynstr_offset + 1;  // + dynstr_offset = 0
  if constexpr (!TypeParam::kIs64) wrapping_offset = 0;  // p_offset is 32-bit: no wrap possible in ELF32
  image.edit_phdr(1, [&](auto& p) { p.p_offset = wrapping_offset; });
  if constexpr (TypeParam::kIs64) {
    this->expect_error(image, fmt::format("dynamic section: DT_STRTAB {} is not inside the file contents of any "
                                          "PT_LOAD segment",
                                          hex(image.vaddr(image.dynstr_offset))));
  } else {
    auto object = image.parse();
    ASSERT_TRUE(object) << object.error().message;
    EXPECT_EQ(object->dynamic->needed, (std::vector<std::string>{"libc.so.6", "libm.so.6"}));
  }
}

// ---- Regressions: strings and notes named over and over

// Regression (memory exhaustion): DT_NEEDED entries at offsets 1, 2, 3... of one 64 KiB string copied it again and
// again: a 400 KB file took 2.4 GB. The copies are budgeted at 8 times the string table (plus 64 KiB).
TYPED_TEST(MalformedTest, StringsNamedOverAndOver) {
  std::string long_name(65536, 'a');
  typename TestFixture::Builder builder;
  builder.needed(long_name);
  for (int i = 1; i < 100; ++i) builder.dynamic_entry(DT_NEEDED, 1 + i);
  auto image = builder.build();
  // The budget rule: each string costs its length + 1; the first that does not fit is refused.
  uint64_t budget = 8 * image.dynstr_size + 64 * 1024;
  size_t failing = 0;
  for (;; ++failing) {
    uint64_t length = long_name.size() - failing;
    if (length >= budget) break;
    budget -= length + 1;
  }
  this->expect_error(image, fmt::format("dynamic section: DT_NEEDED entry {}: the strings read so far add up to more "
                                        "than 8 times the string table (DT_STRSZ {}): its entries name the same bytes "
                                        "over and over",
                                        failing, hex(image.dynstr_size)));
}

// Regression (quadratic time): PT_NOTE segments that all cover the same large note. After the areas read add up to
// twice the file (plus 64 KiB), the rest are skipped with one warning; the notes already read are kept.
TYPED_TEST(MalformedTest, NoteSegmentsOverlapping) {
  auto image = typename TestFixture::Builder().build_id(std::vector<unsigned char>(128 * 1024, 0xab)).build();
  size_t note = image.phdr_index(PT_NOTE);
  typename TestFixture::Phdr copy = image.phdr(note);
  for (int i = 0; i < 4; ++i) image.append_phdr(copy);  // program headers 2 to 5, all over the same note
  this->write_corpus(image);
  auto object = image.parse();
  ASSERT_TRUE(object) << object.error().message;
  EXPECT_EQ(object->warnings, std::vector<std::string>{"program header 3 (PT_NOTE) and the notes after it are not "
                                                       "read: the note areas before it already cover the file 2 "
                                                       "times over (they overlap)"});
  ASSERT_TRUE(object->notes.build_id);
  EXPECT_EQ(object->notes.build_id->size(), 128u * 1024);
}

}  // namespace
}  // namespace elfrun::test
