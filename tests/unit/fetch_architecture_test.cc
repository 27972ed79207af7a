// fetch/architecture.h: the Debian architecture of a program, from the machine table (machine, class, byte order,
// ABI bits of e_flags), only for architectures of Debian's own archive.
#include <elf.h>
#include <gtest/gtest.h>

#include "fetch/architecture.h"
#include "loader/machine_facts.h"

namespace elfrun::fetch {
namespace {

using elf::ByteOrder;

constexpr uint32_t kArmHardFloat = EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_HARD;

TEST(FetchArchitecture, MachinesOfDebiansArchive) {
  EXPECT_EQ(debian_architecture(EM_X86_64, ELFCLASS64, ByteOrder::little, 0), "amd64");
  EXPECT_EQ(debian_architecture(EM_386, ELFCLASS32, ByteOrder::little, 0), "i386");
  EXPECT_EQ(debian_architecture(EM_AARCH64, ELFCLASS64, ByteOrder::little, 0), "arm64");
  EXPECT_EQ(debian_architecture(EM_S390, ELFCLASS64, ByteOrder::big, 0), "s390x");
  EXPECT_EQ(debian_architecture(EM_PPC64, ELFCLASS64, ByteOrder::little, 2), "ppc64el");
  EXPECT_EQ(debian_architecture(EM_RISCV, ELFCLASS64, ByteOrder::little, EF_RISCV_FLOAT_ABI_DOUBLE), "riscv64");
  EXPECT_EQ(debian_architecture(EM_MIPS, ELFCLASS64, ByteOrder::little, 0), "mips64el");
}

TEST(FetchArchitecture, TheAbiBitsDecideBetweenArchitecturesOfOneMachine) {
  // 32-bit ARM: EABI5 hard-float is armhf, soft-float armel (dpkg's cputable and abitable).
  EXPECT_EQ(debian_architecture(EM_ARM, ELFCLASS32, ByteOrder::little, kArmHardFloat), "armhf");
  EXPECT_EQ(debian_architecture(EM_ARM, ELFCLASS32, ByteOrder::little, EF_ARM_EABI_VER5), "armel");
}

TEST(FetchArchitecture, PortsAndUnknownMachinesHaveNone) {
  // Big-endian ppc64, x32, riscv64 soft-float, big-endian ARM: no suite of Debian's archive has them.
  EXPECT_EQ(debian_architecture(EM_PPC64, ELFCLASS64, ByteOrder::big, 0), std::nullopt);
  EXPECT_EQ(debian_architecture(EM_X86_64, ELFCLASS32, ByteOrder::little, 0), std::nullopt);
  EXPECT_EQ(debian_architecture(EM_RISCV, ELFCLASS64, ByteOrder::little, 0), std::nullopt);
  EXPECT_EQ(debian_architecture(EM_ARM, ELFCLASS32, ByteOrder::big, kArmHardFloat), std::nullopt);
  // The byte order is part of the key: a little-endian s390x does not exist.
  EXPECT_EQ(debian_architecture(EM_S390, ELFCLASS64, ByteOrder::little, 0), std::nullopt);
  EXPECT_EQ(debian_architecture(EM_AARCH64, ELFCLASS32, ByteOrder::little, 0), std::nullopt);
  EXPECT_EQ(debian_architecture(0x4242, ELFCLASS64, ByteOrder::little, 0), std::nullopt);
}

TEST(FetchArchitecture, EveryArchiveArchitectureIsInTheMachineTable) {
  // The list of the archive's architectures names nothing the machine table cannot produce.
  for (const char* arch : {"amd64", "arm64", "armel", "armhf", "i386", "mips64el", "ppc64el", "riscv64", "s390x"}) {
    EXPECT_TRUE(is_archive_architecture(arch)) << arch;
    bool found = false;
    for (const loader::MachineFacts& facts : loader::all_machine_facts()) found = found || facts.debian_arch == arch;
    EXPECT_TRUE(found) << arch;
  }
  EXPECT_FALSE(is_archive_architecture("ppc64"));
  EXPECT_FALSE(is_archive_architecture("x32"));
  EXPECT_FALSE(is_archive_architecture(""));
}

TEST(FetchArchitecture, ReleaseArchitectures) {
  // An InRelease as apt keeps it: clearsigned, the field among others.
  const char* bookworm =
      "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Debian\nSuite: stable\nCodename: bookworm\n"
      "Architectures: all amd64 arm64 armel armhf i386 mips64el mipsel ppc64el s390x\nComponents: main\n";
  EXPECT_TRUE(release_has_architecture(bookworm, "arm64"));
  EXPECT_TRUE(release_has_architecture(bookworm, "s390x"));  // the last word
  EXPECT_FALSE(release_has_architecture(bookworm, "riscv64"));
  EXPECT_FALSE(release_has_architecture(bookworm, "arm"));  // a prefix of a word is not the word
  EXPECT_TRUE(release_has_architecture("Architectures: amd64 riscv64\r\n", "riscv64"));
  EXPECT_TRUE(release_has_architecture("Origin: Debian\n", "riscv64"));  // no field: nothing known against it
}

}  // namespace
}  // namespace elfrun::fetch
