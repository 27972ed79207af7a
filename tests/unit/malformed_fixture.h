// The fixture of the malformed-input tests (malformed_test.cc, malformed_versions_test.cc,
// malformed_sections_test.cc): valid images from ElfBuilder, expect_error / expect_warnings asserting the exact text,
// and the corpus writer.
//
// With ELFRUN_WRITE_CORPUS=DIR set, every case also writes its bytes to DIR/malformed-<Case>-<Layout>, which is how
// fuzz/corpus got its malformed seeds.
#pragma once

#include <elf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "elf/elf_object.h"
#include "elf_builder.h"

namespace elfrun::test {

inline std::string hex(uint64_t value) { return fmt::format("{:#x}", value); }

template <typename ELFT>
class MalformedTest : public ::testing::Test {
 protected:
  using Image = ElfImage<ELFT>;
  using Builder = ElfBuilder<ELFT>;
  using Phdr = typename ELFT::Phdr;
  using Shdr = typename ELFT::Shdr;
  using Dyn = typename ELFT::Dyn;
  using Version = typename Builder::Version;
  static constexpr std::endian E = ELFT::kOrder;
  static constexpr uint64_t kEhdr = sizeof(typename ELFT::Ehdr);
  static constexpr uint64_t kPhdr = sizeof(Phdr);
  static constexpr uint64_t kShdr = sizeof(Shdr);
  static constexpr uint64_t kDyn = sizeof(Dyn);
  static constexpr uint64_t kMaxOff = ELFT::kIs64 ? std::numeric_limits<uint64_t>::max() : 0xffffffffu;
  static constexpr const char* kClass = ELFT::kIs64 ? "ELF64" : "ELF32";

  // Program headers 0 PT_INTERP, 1 PT_LOAD, 2 PT_DYNAMIC, 3 PT_NOTE. Strings: libc.so.6 at 1, libm.so.6 at 0xb.
  static Image dynamic_image() {
    return Builder()
        .interpreter("/lib/ld.so.1")
        .needed("libc.so.6")
        .needed("libm.so.6")
        .soname("libx.so.1")
        .abi_tag(ELF_NOTE_OS_LINUX, 3, 2, 0)
        .build_id({1, 2, 3, 4, 5, 6, 7, 8})
        .build();
  }
  // DT_VERNEED: libc.so.6 with two versions (records at 0x0, 0x10, 0x20), then libm.so.6 with one (0x30, 0x40).
  static Image verneed_image() {
    return Builder()
        .needed("libc.so.6")
        .needed("libm.so.6")
        .version_need("libc.so.6", {Version{"GLIBC_2.34", 0x069691b4, 0, 3}, Version{"GLIBC_2.2.5", 0x09691a75, 0, 2}})
        .version_need("libm.so.6", {Version{"GLIBC_2.29", 0x069691b9, 0, 4}})
        .build();
  }
  // DT_VERDEF: the file's own name (0x0, aux 0x14), VERS_1 (0x1c, 0x30) and VERS_2 with parent VERS_1 (0x38, 0x4c,
  // 0x54).
  static Image verdef_image() {
    return Builder()
        .soname("libv.so.1")
        .version_definition(1, VER_FLG_BASE, {"libv.so.1"})
        .version_definition(2, 0, {"VERS_1"})
        .version_definition(3, 0, {"VERS_2", "VERS_1"})
        .build();
  }

  static std::string case_name() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    return name.substr(0, name.find('/'));
  }

  // Writes the case to $ELFRUN_WRITE_CORPUS (large ones for one layout only: the corpus stays small).
  static void write_corpus(const Image& image) {
    const char* dir = std::getenv("ELFRUN_WRITE_CORPUS");
    if (dir == nullptr) return;
    if (image.size() > 64 * 1024 && !std::is_same_v<ELFT, Elf64LE>) return;
    std::filesystem::path path = std::filesystem::path(dir) / ("malformed-" + case_name() + "-" + layout_name<ELFT>());
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(image.bytes.data()), static_cast<std::streamsize>(image.size()));
  }

  static void expect_error(const Image& image, const std::string& message) {
    write_corpus(image);
    auto object = image.parse();
    ASSERT_FALSE(object) << "parsed without error; expected: " << message;
    EXPECT_EQ(object.error().message, message);
  }

  // Section header problems are warnings: the file is read, and the warnings are exactly these.
  static void expect_warnings(const Image& image, const std::vector<std::string>& warnings) {
    write_corpus(image);
    auto object = image.parse();
    ASSERT_TRUE(object) << "unexpected error: " << object.error().message;
    EXPECT_EQ(object->warnings, warnings);
  }
};

struct LayoutNames {
  template <typename ELFT>
  static std::string GetName(int) {
    return layout_name<ELFT>();
  }
};

using Layouts = ::testing::Types<Elf32LE, Elf32BE, Elf64LE, Elf64BE>;

}  // namespace elfrun::test
