// Tests of the host CPU facts against what the host loaders say about themselves in --help: the glibc-hwcaps
// subdirectories "(supported, searched)" by the x86-64 loader, and the legacy hwcap and AT_PLATFORM lines of the
// x86-64 and i386 loaders (dl_hwcap & hwcap_mask, dl_platform), which the cache lookup filters with.
#include "loader/hwcaps.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "loader_test_support.h"

namespace elfrun::loader {
namespace {

struct HelpFacts {
  std::vector<std::string> hwcaps_supported;  // glibc-hwcaps names marked supported, in priority order
  std::string platform;                       // the AT_PLATFORM line's name
  std::vector<std::string> legacy_searched;   // legacy hwcap names marked searched
};

// Reads the "Subdirectories of glibc-hwcaps directories" and "Legacy HWCAP subdirectories" blocks of ld.so --help.
HelpFacts loader_help(const std::string& loader) {
  HelpFacts facts;
  enum { none, hwcaps, legacy } block = none;
  for (const auto& line : test::split_lines(test::run_command({loader, "--help"}).out)) {
    if (line.rfind("Subdirectories of glibc-hwcaps", 0) == 0) {
      block = hwcaps;
    } else if (line.rfind("Legacy HWCAP subdirectories", 0) == 0) {
      block = legacy;
    } else if (line.rfind("  ", 0) != 0) {
      block = none;
    } else {
      std::string name = line.substr(2, line.find(' ', 2) - 2);
      if (block == hwcaps && line.find("(supported, searched)") != std::string::npos) {
        facts.hwcaps_supported.push_back(name);
      } else if (block == legacy && line.find("AT_PLATFORM") != std::string::npos) {
        facts.platform = name;
      } else if (block == legacy && name != "tls" && line.find("searched") != std::string::npos) {
        facts.legacy_searched.push_back(name);
      }
    }
  }
  return facts;
}

bool host_is_x86() { return host_x86_cpu_facts().is_x86; }

TEST(Hwcaps, HostSubdirectoriesAreThoseTheX86_64LoaderSearches) {
  const std::string loader = "/lib64/ld-linux-x86-64.so.2";
  if (!host_is_x86() || !test::is_executable(loader)) ELFRUN_SKIP_OR_FAIL("needs an x86 host with " + loader);
  HelpFacts help = loader_help(loader);
  if (test::cpu_is_emulated()) {
    // Under qemu-i386 this test sees qemu's CPU model, the native loader the host's: qemu's can only have fewer
    // levels, and the ones it has are the loader's last ones (x86-64-v2 up to qemu's highest).
    auto emulated = host_hwcaps_subdirs(EM_X86_64, ELFCLASS64);
    ASSERT_LE(emulated.size(), help.hwcaps_supported.size());
    EXPECT_TRUE(std::equal(emulated.rbegin(), emulated.rend(), help.hwcaps_supported.rbegin()));
    std::cout << "[ hwcaps ] under qemu-i386: its CPU gives " << emulated.size() << " of the host's "
              << help.hwcaps_supported.size() << " levels\n";
    return;
  }
  EXPECT_EQ(host_hwcaps_subdirs(EM_X86_64, ELFCLASS64), help.hwcaps_supported);
  // x32 shares sysdeps/x86_64/dl-hwcaps-subdirs.c.
  EXPECT_EQ(host_hwcaps_subdirs(EM_X86_64, ELFCLASS32), help.hwcaps_supported);
  std::cout << "[ hwcaps ] supported and searched here:";
  for (const auto& name : help.hwcaps_supported) std::cout << " " << name;
  std::cout << "\n";
}

TEST(Hwcaps, IsaLevelsAreCumulativeAndAgreeWithTheSubdirectories) {
  if (!host_is_x86()) ELFRUN_SKIP_OR_FAIL("not an x86 host");
  uint32_t levels = host_x86_isa_levels();
  EXPECT_TRUE(levels & 1) << "every x86-64 CPU has the baseline";
  for (int bit = 1; bit < 4; ++bit) {
    if (levels & (1u << bit)) {
      EXPECT_TRUE(levels & (1u << (bit - 1))) << "level " << bit << " without the one below";
    }
  }
  auto subdirs = host_hwcaps_subdirs(EM_X86_64, ELFCLASS64);
  for (int bit = 1; bit < 4; ++bit) {
    bool listed = std::find(subdirs.begin(), subdirs.end(), x86_isa_level_name(bit)) != subdirs.end();
    EXPECT_EQ(listed, (levels & (1u << bit)) != 0) << x86_isa_level_name(bit);
  }
}

TEST(Hwcaps, OtherMachinesHaveNoHostSubdirectories) {
  EXPECT_TRUE(host_hwcaps_subdirs(EM_386, ELFCLASS32).empty());
  EXPECT_TRUE(host_hwcaps_subdirs(EM_AARCH64, ELFCLASS64).empty());
  EXPECT_TRUE(host_hwcaps_subdirs(EM_S390, ELFCLASS64).empty());
  EXPECT_EQ(host_legacy_hwcap_filter(EM_AARCH64, ELFCLASS64), std::nullopt);
}

TEST(Hwcaps, LevelNames) {
  EXPECT_EQ(x86_isa_level_name(0), "x86-64-baseline");
  EXPECT_EQ(x86_isa_level_name(1), "x86-64-v2");
  EXPECT_EQ(x86_isa_level_name(2), "x86-64-v3");
  EXPECT_EQ(x86_isa_level_name(3), "x86-64-v4");
  EXPECT_EQ(x86_isa_level_name(7), "x86 ISA level bit 7");
}

// The legacy filter must say what the loaders print: the AT_PLATFORM line names dl_platform (its bit when glibc
// knows it), and the searched hwcap lines are dl_hwcap & hwcap_mask.
TEST(Hwcaps, LegacyFilterMatchesTheHostLoadersHelp) {
  if (!host_is_x86()) ELFRUN_SKIP_OR_FAIL("not an x86 host");
  struct Case {
    std::string loader;
    uint16_t machine;
    uint8_t elf_class;
    std::vector<std::pair<std::string, uint64_t>> hwcaps;  // sysdeps/x86/dl-hwcap.h names and bits
    std::vector<std::pair<std::string, int>> platforms;    // dl-procinfo.c platform names and indices
    uint64_t platform_mask;
  };
  std::vector<Case> cases = {
      {"/lib64/ld-linux-x86-64.so.2",
       EM_X86_64,
       ELFCLASS64,
       {{"x86_64", 2}, {"avx512_1", 4}},
       {{"haswell", 2}, {"xeon_phi", 3}},
       uint64_t{0xf} << 48},
      {"/lib/ld-linux.so.2", EM_386, ELFCLASS32, {{"sse2", 1}}, {{"i586", 0}, {"i686", 1}}, uint64_t{0x3} << 48},
  };
  size_t checked = 0;
  for (const auto& c : cases) {
    if (!test::is_executable(c.loader)) continue;
    SCOPED_TRACE(c.loader);
    HelpFacts help = loader_help(c.loader);
    auto filter = host_legacy_hwcap_filter(c.machine, c.elf_class);
    ASSERT_TRUE(filter);
    uint64_t searched = 0;
    for (const auto& name : help.legacy_searched) {
      for (const auto& [known, bit] : c.hwcaps) {
        if (known == name) searched |= bit;
      }
    }
    EXPECT_EQ(filter->hwcap, searched);
    EXPECT_EQ(filter->platform_mask, c.platform_mask);
    uint64_t platform = ~uint64_t{0};
    for (const auto& [known, index] : c.platforms) {
      if (known == help.platform) platform = uint64_t{1} << (48 + index);
    }
    EXPECT_EQ(filter->platform, platform) << "AT_PLATFORM " << help.platform;
    ++checked;
  }
  if (checked == 0) ELFRUN_SKIP_OR_FAIL("no x86 host loader");
}

}  // namespace
}  // namespace elfrun::loader
