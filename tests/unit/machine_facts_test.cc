// Tests of the machine facts table: every row reachable from its own e_flags, the ABI distinctions the loaders make
// (x32, armhf/armel, ppc64 ELFv1/ELFv2, RISC-V float ABI, MIPS n32/o32/2008-NaN), and the columns checked against
// this machine: PT_INTERP of each installed libc (host, multilib and cross roots), the vdso line ld.so --list prints,
// the cache flags ldconfig wrote, Debian's triplets (dpkg-architecture) and the installed qemu-user binaries.
#include "loader/machine_facts.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "elf/byte_source.h"
#include "loader/ld_so_cache.h"
#include "loader_test_support.h"

namespace elfrun::loader {
namespace {

namespace fs = std::filesystem;
using elf::ByteOrder;

const MachineFacts& facts_for(uint16_t machine, uint8_t elf_class, ByteOrder order, uint32_t flags) {
  const MachineFacts* facts = machine_facts(machine, elf_class, order, flags);
  EXPECT_NE(facts, nullptr) << "machine " << machine << " class " << int(elf_class) << " flags " << flags;
  static const MachineFacts empty;
  return facts ? *facts : empty;
}

TEST(MachineFacts, EveryRowIsReachableAndDescribed) {
  std::set<std::string_view> abis;
  for (const auto& row : all_machine_facts()) {
    SCOPED_TRACE(std::string(row.abi));
    // A row matched by its own selecting flags is itself: no earlier row shadows it (sparc has two e_machines).
    EXPECT_EQ(machine_facts(row.machine, row.elf_class, row.byte_order, row.e_flags_value), &row);
    EXPECT_TRUE(abis.insert(row.abi).second || row.abi == "sparc") << "duplicate abi";
    EXPECT_FALSE(row.glibc_loader.empty());
    EXPECT_EQ(row.glibc_loader.front(), '/');
    EXPECT_EQ(row.cache_flags & 0xff, 3);  // FLAG_ELF_LIBC6 in every default ID
    ASSERT_FALSE(row.cache_accepted_flags.empty());
    EXPECT_TRUE(cache_flags_accepted(row, row.cache_flags));
    EXPECT_FALSE(row.debian_triplet.empty());
  }
  EXPECT_EQ(machine_facts(EM_NONE, ELFCLASS64, ByteOrder::little, 0), nullptr);
  EXPECT_EQ(machine_facts(EM_X86_64, ELFCLASS64, ByteOrder::big, 0), nullptr);
  EXPECT_EQ(machine_facts_by_abi("x86-64"), &facts_for(EM_X86_64, ELFCLASS64, ByteOrder::little, 0));
  EXPECT_EQ(machine_facts_by_abi("no such abi"), nullptr);
}

TEST(MachineFacts, TellsTheAbisApartAsTheLoadersDo) {
  const auto& x86_64 = facts_for(EM_X86_64, ELFCLASS64, ByteOrder::little, 0);
  EXPECT_EQ(x86_64.glibc_loader, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(x86_64.cache_flags, 0x303);
  EXPECT_EQ(x86_64.vdso, "linux-vdso.so.1");
  EXPECT_EQ(x86_64.hwcaps_subdirs, (std::vector<std::string_view>{"x86-64-v4", "x86-64-v3", "x86-64-v2"}));
  const auto& x32 = facts_for(EM_X86_64, ELFCLASS32, ByteOrder::little, 0);
  EXPECT_EQ(x32.abi, "x32");
  EXPECT_EQ(x32.glibc_loader, "/libx32/ld-linux-x32.so.2");
  EXPECT_EQ(x32.cache_flags, 0x803);
  const auto& i386 = facts_for(EM_386, ELFCLASS32, ByteOrder::little, 0);
  EXPECT_EQ(i386.glibc_loader, "/lib/ld-linux.so.2");
  EXPECT_EQ(i386.vdso, "linux-gate.so.1");
  EXPECT_EQ(i386.cache_accepted_flags, (std::vector<int32_t>{1, 3}));
  EXPECT_TRUE(i386.hwcaps_subdirs.empty());

  // ARM EABI5: EF_ARM_ABI_FLOAT_HARD (0x400) makes armhf; soft-float (0x200) or unmarked objects are armel.
  EXPECT_EQ(facts_for(EM_ARM, ELFCLASS32, ByteOrder::little, 0x05000400).abi, "armhf");
  EXPECT_EQ(facts_for(EM_ARM, ELFCLASS32, ByteOrder::little, 0x05000400).glibc_loader, "/lib/ld-linux-armhf.so.3");
  EXPECT_EQ(facts_for(EM_ARM, ELFCLASS32, ByteOrder::little, 0x05000200).abi, "armel");
  EXPECT_EQ(facts_for(EM_ARM, ELFCLASS32, ByteOrder::little, 0x05000000).glibc_loader, "/lib/ld-linux.so.3");
  EXPECT_EQ(facts_for(EM_ARM, ELFCLASS32, ByteOrder::little, 0x04000400).abi, "armel");  // not EABI5: no hf
  EXPECT_EQ(facts_for(EM_ARM, ELFCLASS32, ByteOrder::little, 0x05000400).cache_accepted_flags,
            (std::vector<int32_t>{0x903, 3}));

  // ppc64: ELFv1 (e_flags & 3 == 0 or 1) big-endian, ELFv2 little-endian and (musl) big-endian.
  const auto& ppc64 = facts_for(EM_PPC64, ELFCLASS64, ByteOrder::big, 1);
  EXPECT_EQ(ppc64.abi, "ppc64");
  EXPECT_EQ(ppc64.glibc_loader, "/lib64/ld64.so.1");
  EXPECT_EQ(ppc64.vdso, "linux-vdso64.so.1");
  EXPECT_EQ(facts_for(EM_PPC64, ELFCLASS64, ByteOrder::big, 0).abi, "ppc64");
  EXPECT_EQ(facts_for(EM_PPC64, ELFCLASS64, ByteOrder::big, 2).abi, "ppc64-elfv2");
  EXPECT_EQ(facts_for(EM_PPC64, ELFCLASS64, ByteOrder::big, 2).musl_arch, "powerpc64");
  const auto& ppc64le = facts_for(EM_PPC64, ELFCLASS64, ByteOrder::little, 2);
  EXPECT_EQ(ppc64le.glibc_loader, "/lib64/ld64.so.2");
  EXPECT_EQ(ppc64le.hwcaps_subdirs, (std::vector<std::string_view>{"power10", "power9"}));
  EXPECT_EQ(ppc64le.debian_arch, "ppc64el");

  // RISC-V: the float ABI bits (e_flags & 6) choose the loader and the cache flags.
  EXPECT_EQ(facts_for(EM_RISCV, ELFCLASS64, ByteOrder::little, 0x5).glibc_loader,
            "/lib/ld-linux-riscv64-lp64d.so.1");  // RVC | double
  EXPECT_EQ(facts_for(EM_RISCV, ELFCLASS64, ByteOrder::little, 0x5).cache_flags, 0x1003);
  EXPECT_EQ(facts_for(EM_RISCV, ELFCLASS64, ByteOrder::little, 0x1).glibc_loader, "/lib/ld-linux-riscv64-lp64.so.1");
  EXPECT_EQ(facts_for(EM_RISCV, ELFCLASS64, ByteOrder::little, 0x1).cache_flags, 0xf03);
  EXPECT_EQ(machine_facts(EM_RISCV, ELFCLASS64, ByteOrder::little, 0x2), nullptr);  // lp64f: no glibc port

  // s390: ld64.so.1 in /lib for 64-bit, ld.so.1 for 31-bit.
  const auto& s390x = facts_for(EM_S390, ELFCLASS64, ByteOrder::big, 0);
  EXPECT_EQ(s390x.glibc_loader, "/lib/ld64.so.1");
  EXPECT_EQ(s390x.cache_flags, 0x403);
  EXPECT_EQ(s390x.hwcaps_subdirs, (std::vector<std::string_view>{"z16", "z15", "z14", "z13"}));
  EXPECT_EQ(facts_for(EM_S390, ELFCLASS32, ByteOrder::big, 0).glibc_loader, "/lib/ld.so.1");

  // MIPS: n32 by EF_MIPS_ABI2, 2008-NaN by EF_MIPS_NAN2008.
  EXPECT_EQ(facts_for(EM_MIPS, ELFCLASS32, ByteOrder::little, 0x20).abi, "mipsn32el");
  EXPECT_EQ(facts_for(EM_MIPS, ELFCLASS32, ByteOrder::little, 0x20).cache_flags, 0x603);
  EXPECT_EQ(facts_for(EM_MIPS, ELFCLASS32, ByteOrder::little, 0x1000).abi, "mipsel");  // o32
  EXPECT_EQ(facts_for(EM_MIPS, ELFCLASS32, ByteOrder::little, 0x400).glibc_loader, "/lib/ld-linux-mipsn8.so.1");
  EXPECT_EQ(facts_for(EM_MIPS, ELFCLASS64, ByteOrder::little, 0).glibc_loader, "/lib64/ld.so.1");
  EXPECT_EQ(facts_for(EM_MIPS, ELFCLASS64, ByteOrder::little, 0).cache_flags, 0x703);

  EXPECT_EQ(facts_for(EM_LOONGARCH, ELFCLASS64, ByteOrder::little, 0x43).glibc_loader,
            "/lib64/ld-linux-loongarch-lp64d.so.1");
  EXPECT_EQ(facts_for(EM_SPARCV9, ELFCLASS64, ByteOrder::big, 0).glibc_loader, "/lib64/ld-linux.so.2");
  EXPECT_EQ(facts_for(EM_SPARCV9, ELFCLASS64, ByteOrder::big, 0).cache_flags, 0x103);
  EXPECT_EQ(facts_for(EM_ALPHA, ELFCLASS64, ByteOrder::little, 0).glibc_loader, "/lib/ld-linux.so.2");
  EXPECT_EQ(facts_for(EM_68K, ELFCLASS32, ByteOrder::big, 0).glibc_loader, "/lib/ld.so.1");
  EXPECT_EQ(facts_for(EM_SH, ELFCLASS32, ByteOrder::little, 0).glibc_loader, "/lib/ld-linux.so.2");
  EXPECT_EQ(facts_for(EM_PARISC, ELFCLASS32, ByteOrder::big, 0).glibc_loader, "/lib/ld.so.1");
  EXPECT_EQ(facts_for(EM_AARCH64, ELFCLASS64, ByteOrder::little, 0).cache_accepted_flags,
            (std::vector<int32_t>{0xa03}));
}

// Every libc on this machine names its loader in PT_INTERP: the table must give the same for its ABI.
TEST(MachineFacts, LoaderNamesMatchThePtInterpOfEveryInstalledLibc) {
  std::vector<std::string> libcs = {"/lib32/libc.so.6", "/libx32/libc.so.6"};
  if (auto cache = test::read_file("/etc/ld.so.cache"); !cache.empty()) {
    auto parsed = LdSoCache::parse(elf::ByteView(cache.data(), cache.size()));
    if (parsed) {
      CacheQuery query;
      query.flags = 0x303;
      if (auto path = parsed->lookup("libc.so.6", query)) libcs.push_back(*path);
    }
  }
  for (const auto& entry : fs::directory_iterator("/usr")) {
    if (entry.path().filename().string().find("-linux-") != std::string::npos) {
      libcs.push_back(entry.path().string() + "/lib/libc.so.6");
    }
  }
  size_t checked = 0;
  for (const auto& path : libcs) {
    if (!fs::exists(path)) continue;
    SCOPED_TRACE(path);
    auto source = elf::ByteSource::open(path);
    ASSERT_TRUE(source);
    auto object = elf::parse_elf(**source);
    ASSERT_TRUE(object) << object.error().message;
    ASSERT_TRUE(object->interpreter);
    const MachineFacts* facts = machine_facts(*object);
    ASSERT_NE(facts, nullptr);
    EXPECT_EQ(facts->glibc_loader, *object->interpreter);
    // A cross root is named after its Debian triplet.
    if (path.rfind("/usr/", 0) == 0) {
      EXPECT_EQ("/usr/" + std::string(facts->debian_triplet) + "/lib/libc.so.6", path);
    }
    ++checked;
  }
  std::cout << "[ facts ] " << checked << " installed libc.so.6 files name the table's loader in PT_INTERP\n";
  if (checked < 2) ELFRUN_SKIP_OR_FAIL("fewer than two libc.so.6 on this machine");
}

// The first line of ld.so --list is the vdso the kernel maps for that ABI.
TEST(MachineFacts, VdsoNamesMatchTheHostLoaders) {
  struct Case {
    std::string loader, object;
    const char* abi;
  };
  size_t checked = 0;
  for (const Case& c : {Case{"/lib64/ld-linux-x86-64.so.2", "/bin/true", "x86-64"},
                        Case{"/lib/ld-linux.so.2", "/lib32/libm.so.6", "i386"}}) {
    if (!test::is_executable(c.loader) || !fs::exists(c.object)) continue;
    auto result = test::run_command({c.loader, "--list", c.object});
    ASSERT_EQ(result.status, 0) << c.loader << " --list " << c.object;
    std::string first = test::split_lines(result.out).at(0);
    first = first.substr(1, first.find(' ') - 1);  // "\tlinux-vdso.so.1 (0x...)"
    EXPECT_EQ(machine_facts_by_abi(c.abi)->vdso, first);
    ++checked;
  }
  if (checked == 0) ELFRUN_SKIP_OR_FAIL("no host loader to ask for its vdso");
}

// ldconfig flags each entry by the ABI of the file it found: the table's ABI must accept those flags (a loader
// itself, needing no libc, is flagged plain ELF: 1).
TEST(MachineFacts, CacheFlagsMatchWhatLdconfigWroteForEachAbi) {
  auto bytes = test::read_file("/etc/ld.so.cache");
  if (bytes.empty()) ELFRUN_SKIP_OR_FAIL("no /etc/ld.so.cache");
  auto cache = LdSoCache::parse(elf::ByteView(bytes.data(), bytes.size()));
  ASSERT_TRUE(cache);
  size_t checked = 0;
  for (const auto& entry : cache->entries()) {
    if (!fs::exists(entry.value)) continue;
    auto source = elf::ByteSource::open(entry.value);
    if (!source) continue;
    auto object = elf::parse_elf(**source);
    if (!object) continue;
    const MachineFacts* facts = machine_facts(*object);
    ASSERT_NE(facts, nullptr) << entry.value;
    EXPECT_TRUE(cache_flags_accepted(*facts, entry.flags)) << entry.value << " " << describe_cache_flags(entry.flags);
    if (entry.flags != 1) {
      EXPECT_EQ(facts->cache_flags, entry.flags) << entry.value;
    }
    ++checked;
  }
  std::cout << "[ facts ] " << checked << " cache entries carry the flags the table gives their ABI\n";
  EXPECT_GT(checked, 0u);
}

TEST(MachineFacts, DebianTripletsMatchDpkgArchitecture) {
  std::string dpkg = test::find_tool("dpkg-architecture");
  if (dpkg.empty()) ELFRUN_SKIP_OR_FAIL("no dpkg-architecture");
  size_t checked = 0;
  for (const auto& row : all_machine_facts()) {
    if (row.debian_arch.empty()) continue;
    auto result = test::run_command({dpkg, "-a", std::string(row.debian_arch), "-qDEB_HOST_MULTIARCH"});
    EXPECT_EQ(result.out, std::string(row.debian_triplet) + "\n") << row.abi;
    ++checked;
  }
  EXPECT_GT(checked, 20u);
}

TEST(MachineFacts, QemuNamesAreInstalledQemuUserBinaries) {
  size_t found = 0;
  for (const auto& row : all_machine_facts()) {
    if (row.qemu.empty()) continue;
    if (!test::find_tool(std::string(row.qemu)).empty()) ++found;
  }
  if (test::find_tool("qemu-aarch64").empty()) ELFRUN_SKIP_OR_FAIL("qemu-user is not installed");
  // Debian's qemu-user ships every name the table uses.
  size_t named = 0;
  for (const auto& row : all_machine_facts()) named += !row.qemu.empty();
  EXPECT_EQ(found, named);
}

TEST(MachineFacts, MuslArchMatchesTheInstalledMuslLoader) {
  const auto& x86_64 = *machine_facts_by_abi("x86-64");
  std::string musl = "/lib/ld-musl-" + std::string(x86_64.musl_arch) + ".so.1";
  if (!fs::exists(musl)) ELFRUN_SKIP_OR_FAIL("musl is not installed");
  auto result = test::run_command({musl}, "", true);  // prints "musl libc (ARCH)" and its usage
  EXPECT_NE(result.out.find("musl libc (" + std::string(x86_64.musl_arch) + ")"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace elfrun::loader
