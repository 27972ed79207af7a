// Malformed DT_VERNEED and DT_VERDEF chains: one case per corrupted link or name, each asserting the exact message
// parse_elf returns, over the four layouts; links that would loop a 32-bit loader; and the regressions for chains
// whose records overlap, which made the walk quadratic.
#include "malformed_fixture.h"

namespace elfrun::test {
namespace {

template <typename ELFT>
class MalformedVersions : public MalformedTest<ELFT> {};
TYPED_TEST_SUITE(MalformedVersions, Layouts, LayoutNames);

// ---- DT_VERNEED: records at 0x0 (libc.so.6), 0x10 and 0x20 (its versions), 0x30 (libm.so.6), 0x40 (its version)

TYPED_TEST(MalformedVersions, VerneedNotInAnyLoad) {
  auto image = this->verneed_image();
  image.set_dyn(image.dyn_index(DT_VERNEED), DT_VERNEED, 0x900000);
  this->expect_error(image,
                     "dynamic section: DT_VERNEED 0x900000 is not inside the file contents of any PT_LOAD segment");
}

TYPED_TEST(MalformedVersions, VerneedNextLeavesSegment) {
  auto image = this->verneed_image();
  image.template edit<elf::Verneed<TestFixture::E>>(image.verneed_offset, [](auto& v) { v.vn_next = 0x100000; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERNEED entry 0: vn_next 0x100000 from offset 0x0 leads "
                                        "past the end of its PT_LOAD segment's file contents ({} bytes from "
                                        "DT_VERNEED)",
                                        hex(image.size() - image.verneed_offset)));
}

// vn_next lands 8 bytes before the end of the segment: no room for the 16-byte entry there.
TYPED_TEST(MalformedVersions, VerneedEntryPastEnd) {
  auto image = this->verneed_image();
  uint64_t table_size = image.size() - image.verneed_offset;
  image.template edit<elf::Verneed<TestFixture::E>>(image.verneed_offset, [&](auto& v) { v.vn_next = table_size - 8; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERNEED entry 1 at offset {} is past the end of its "
                                        "PT_LOAD segment's file contents ({} bytes from DT_VERNEED)",
                                        hex(table_size - 8), hex(table_size)));
}

TYPED_TEST(MalformedVersions, VerneedAuxLeavesSegment) {
  auto image = this->verneed_image();
  image.template edit<elf::Verneed<TestFixture::E>>(image.verneed_offset, [](auto& v) { v.vn_aux = 0xfffffff0; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERNEED entry 0 version 0: vn_aux 0xfffffff0 from offset "
                                        "0x0 leads past the end of its PT_LOAD segment's file contents ({} bytes from "
                                        "DT_VERNEED)",
                                        hex(image.size() - image.verneed_offset)));
}

TYPED_TEST(MalformedVersions, VernauxNextLeavesSegment) {
  auto image = this->verneed_image();
  image.template edit<elf::Vernaux<TestFixture::E>>(image.verneed_offset + 0x10,
                                                    [](auto& v) { v.vna_next = 0x7fffffff; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERNEED entry 0 version 1: vna_next 0x7fffffff from "
                                        "offset 0x10 leads past the end of its PT_LOAD segment's file contents ({} "
                                        "bytes from DT_VERNEED)",
                                        hex(image.size() - image.verneed_offset)));
}

TYPED_TEST(MalformedVersions, VerneedFilePastStrsz) {
  auto image = this->verneed_image();
  image.template edit<elf::Verneed<TestFixture::E>>(image.verneed_offset + 0x30, [](auto& v) { v.vn_file = 0x400; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERNEED entry 1 vn_file: string offset 0x400 is past the "
                                        "end of the string table (DT_STRSZ {})",
                                        hex(image.dynstr_size)));
}

TYPED_TEST(MalformedVersions, VernauxNamePastStrsz) {
  auto image = this->verneed_image();
  image.template edit<elf::Vernaux<TestFixture::E>>(image.verneed_offset + 0x20,
                                                    [&](auto& v) { v.vna_name = image.dynstr_size; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERNEED entry 0 version 1 vna_name: string offset {} is "
                                        "past the end of the string table (DT_STRSZ {})",
                                        hex(image.dynstr_size), hex(image.dynstr_size)));
}

// vn_next 0xffffffd0 added to entry 1 (at 0x30) by a 32-bit loader wraps to 0x0: entry 0, and round again. The
// links are unsigned offsets here, so the walk stops at the end of the segment instead of looping.
TYPED_TEST(MalformedVersions, VerneedLoopAttempt) {
  auto image = this->verneed_image();
  image.template edit<elf::Verneed<TestFixture::E>>(image.verneed_offset + 0x30,
                                                    [](auto& v) { v.vn_next = 0xffffffd0; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERNEED entry 1: vn_next 0xffffffd0 from offset 0x30 "
                                        "leads past the end of its PT_LOAD segment's file contents ({} bytes from "
                                        "DT_VERNEED)",
                                        hex(image.size() - image.verneed_offset)));
}

// Regression (hang and memory exhaustion): 16384 identical 16-byte records, each both a Verneed with vn_cnt 0xffff
// and a Vernaux, all linked by 16. Every entry walked every record after it: 134 million versions, 52 s and 5 GB
// for a 266 KB file. Records that overlap are refused now.
TYPED_TEST(MalformedVersions, VerneedOverlappingRecords) {
  constexpr size_t kRecords = 16384;
  auto image = this->verneed_image();
  std::vector<unsigned char> records(kRecords * 16);
  for (size_t i = 0; i < kRecords; ++i) {
    elf::Verneed<TestFixture::E> record{1, 0xffff, 0, 0, i + 1 == kRecords ? 0u : 16u};
    std::memcpy(records.data() + i * 16, &record, 16);
  }
  uint64_t offset = image.append(records);
  image.set_dyn(image.dyn_index(DT_VERNEED), DT_VERNEED, image.vaddr(offset));
  this->expect_error(image, fmt::format("dynamic section: DT_VERNEED entry 0 version {}: the chain holds more records "
                                        "than fit before the end of its PT_LOAD segment's file contents ({} bytes from "
                                        "DT_VERNEED): its records overlap",
                                        kRecords - 1, hex(kRecords * 16)));
}

// ---- DT_VERDEF: records at 0x0 (the file's own name, aux 0x14), 0x1c (VERS_1, aux 0x30), 0x38 (VERS_2, aux 0x4c,
// then its parent VERS_1 at 0x54)

TYPED_TEST(MalformedVersions, VerdefNotInAnyLoad) {
  auto image = this->verdef_image();
  image.set_dyn(image.dyn_index(DT_VERDEF), DT_VERDEF, 0x900000);
  this->expect_error(image,
                     "dynamic section: DT_VERDEF 0x900000 is not inside the file contents of any PT_LOAD segment");
}

TYPED_TEST(MalformedVersions, VerdefNextLeavesSegment) {
  auto image = this->verdef_image();
  image.template edit<elf::Verdef<TestFixture::E>>(image.verdef_offset + 0x1c, [](auto& v) { v.vd_next = 0x200000; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERDEF entry 1: vd_next 0x200000 from offset 0x1c leads "
                                        "past the end of its PT_LOAD segment's file contents ({} bytes from "
                                        "DT_VERDEF)",
                                        hex(image.size() - image.verdef_offset)));
}

TYPED_TEST(MalformedVersions, VerdefEntryPastEnd) {
  auto image = this->verdef_image();
  uint64_t table_size = image.size() - image.verdef_offset;
  image.template edit<elf::Verdef<TestFixture::E>>(image.verdef_offset, [&](auto& v) { v.vd_next = table_size - 4; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERDEF entry 1 at offset {} is past the end of its "
                                        "PT_LOAD segment's file contents ({} bytes from DT_VERDEF)",
                                        hex(table_size - 4), hex(table_size)));
}

TYPED_TEST(MalformedVersions, VerdefAuxLeavesSegment) {
  auto image = this->verdef_image();
  image.template edit<elf::Verdef<TestFixture::E>>(image.verdef_offset, [](auto& v) { v.vd_aux = 0xffffffff; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERDEF entry 0 name 0: vd_aux 0xffffffff from offset 0x0 "
                                        "leads past the end of its PT_LOAD segment's file contents ({} bytes from "
                                        "DT_VERDEF)",
                                        hex(image.size() - image.verdef_offset)));
}

TYPED_TEST(MalformedVersions, VerdauxNextLeavesSegment) {
  auto image = this->verdef_image();
  image.template edit<elf::Verdaux<TestFixture::E>>(image.verdef_offset + 0x4c,
                                                    [](auto& v) { v.vda_next = 0x10000000; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERDEF entry 2 name 1: vda_next 0x10000000 from offset "
                                        "0x4c leads past the end of its PT_LOAD segment's file contents ({} bytes "
                                        "from DT_VERDEF)",
                                        hex(image.size() - image.verdef_offset)));
}

TYPED_TEST(MalformedVersions, VerdauxNamePastStrsz) {
  auto image = this->verdef_image();
  image.template edit<elf::Verdaux<TestFixture::E>>(image.verdef_offset + 0x54, [](auto& v) { v.vda_name = 0x5000; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERDEF entry 2 name 1 vda_name: string offset 0x5000 is "
                                        "past the end of the string table (DT_STRSZ {})",
                                        hex(image.dynstr_size)));
}

// vd_next 0xffffffc8 from the last entry (at 0x38) would wrap a 32-bit pointer back to entry 0.
TYPED_TEST(MalformedVersions, VerdefLoopAttempt) {
  auto image = this->verdef_image();
  image.template edit<elf::Verdef<TestFixture::E>>(image.verdef_offset + 0x38, [](auto& v) { v.vd_next = 0xffffffc8; });
  this->expect_error(image, fmt::format("dynamic section: DT_VERDEF entry 2: vd_next 0xffffffc8 from offset 0x38 "
                                        "leads past the end of its PT_LOAD segment's file contents ({} bytes from "
                                        "DT_VERDEF)",
                                        hex(image.size() - image.verdef_offset)));
}

// Regression, as VerneedOverlappingRecords: 2048 definitions whose vd_aux all lead to one shared chain of 2048
// names. Every definition walked the whole chain (4 million names for a 57 KB file; 30000 of each take minutes
// and gigabytes). The records walked are counted against what the table can hold.
TYPED_TEST(MalformedVersions, VerdefSharedNameChain) {
  constexpr uint64_t kDefinitions = 2048;
  constexpr uint64_t kNames = 2048;
  constexpr uint64_t kVerdef = sizeof(elf::Verdef<TestFixture::E>);
  constexpr uint64_t kVerdaux = sizeof(elf::Verdaux<TestFixture::E>);
  auto image = this->verdef_image();
  uint64_t chain = kDefinitions * kVerdef;
  std::vector<unsigned char> records(chain + kNames * kVerdaux);
  for (uint64_t i = 0; i < kDefinitions; ++i) {
    elf::Verdef<TestFixture::E> definition{1,
                                           0,
                                           static_cast<uint16_t>(i + 2),
                                           0xffff,
                                           0,
                                           static_cast<uint32_t>(chain - i * kVerdef),
                                           i + 1 == kDefinitions ? 0u : static_cast<uint32_t>(kVerdef)};
    std::memcpy(records.data() + i * kVerdef, &definition, kVerdef);
  }
  for (uint64_t j = 0; j < kNames; ++j) {
    elf::Verdaux<TestFixture::E> name{0, j + 1 == kNames ? 0u : static_cast<uint32_t>(kVerdaux)};
    std::memcpy(records.data() + chain + j * kVerdaux, &name, kVerdaux);
  }
  uint64_t offset = image.append(records);
  image.set_dyn(image.dyn_index(DT_VERDEF), DT_VERDEF, image.vaddr(offset));
  // The table holds at most size / 8 records; find the definition and name where the walk passes that.
  uint64_t left = records.size() / kVerdaux;
  uint64_t entry = 0;
  while (left - 1 >= kNames) {
    left -= 1 + kNames;
    ++entry;
  }
  this->expect_error(image, fmt::format("dynamic section: DT_VERDEF entry {} name {}: the chain holds more records "
                                        "than fit before the end of its PT_LOAD segment's file contents ({} bytes from "
                                        "DT_VERDEF): its records overlap",
                                        entry, left - 1, hex(records.size())));
}

}  // namespace
}  // namespace elfrun::test
