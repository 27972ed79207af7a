// Tests of the display-name tables (src/elf/machine.cc): machine, OS ABI and type names, e_flags decoded for the
// machines whose loaders look at them (the values are those of real Debian files, e.g. armhf libc.so.6 has
// 0x5000400, riscv64 0x5), dynamic flags, GNU property bits and signal names.
#include "elf/machine.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace elfrun::elf {
namespace {

using Names = std::vector<std::string_view>;
using Strings = std::vector<std::string>;

TEST(MachineNames, CommonMachinesHaveShortNames) {
  EXPECT_EQ(machine_name(EM_X86_64), "x86-64");
  EXPECT_EQ(machine_name(EM_386), "i386");
  EXPECT_EQ(machine_name(EM_AARCH64), "AArch64");
  EXPECT_EQ(machine_name(EM_ARM), "ARM");
  EXPECT_EQ(machine_name(EM_RISCV), "RISC-V");
  EXPECT_EQ(machine_name(EM_S390), "S/390");
  EXPECT_EQ(machine_name(EM_PPC64), "PowerPC64");
  EXPECT_EQ(machine_name(EM_MIPS), "MIPS");
  EXPECT_EQ(machine_name(258), "LoongArch");
}

TEST(MachineNames, UnknownMachineSaysItsNumber) { EXPECT_EQ(machine_name(0x7777), "machine 30583"); }

TEST(MachineNames, OsAbi) {
  EXPECT_EQ(os_abi_name(ELFOSABI_SYSV, EM_X86_64), "SYSV");
  EXPECT_EQ(os_abi_name(ELFOSABI_GNU, EM_X86_64), "GNU/Linux");
  EXPECT_EQ(os_abi_name(ELFOSABI_FREEBSD, EM_X86_64), "FreeBSD");
  EXPECT_EQ(os_abi_name(ELFOSABI_ARM, EM_ARM), "ARM");
  EXPECT_EQ(os_abi_name(ELFOSABI_ARM, EM_X86_64), "OS ABI 97");
  EXPECT_EQ(os_abi_name(200, EM_X86_64), "OS ABI 200");
}

TEST(MachineNames, Types) {
  EXPECT_EQ(type_name(ET_REL), "relocatable");
  EXPECT_EQ(type_name(ET_EXEC), "executable");
  EXPECT_EQ(type_name(ET_DYN), "shared object");
  EXPECT_EQ(type_name(ET_CORE), "core");
  EXPECT_EQ(type_name(0xfe01), "OS-specific 0xfe01");
  EXPECT_EQ(type_name(0xff02), "processor-specific 0xff02");
  EXPECT_EQ(type_name(9), "type 9");
}

TEST(EFlags, ArmHardAndSoftFloat) {
  EXPECT_EQ(decode_e_flags(EM_ARM, ELFCLASS32, 0x05000400), (Names{"EABI5", "hard-float"}));
  EXPECT_EQ(decode_e_flags(EM_ARM, ELFCLASS32, 0x05000200), (Names{"EABI5", "soft-float"}));
  EXPECT_EQ(decode_e_flags(EM_ARM, ELFCLASS32, 0x05000000), (Names{"EABI5"}));
  EXPECT_EQ(decode_e_flags(EM_ARM, ELFCLASS32, 0x04000000 | EF_ARM_BE8), (Names{"EABI4", "BE8"}));
  // Before EABI the same bits meant the legacy soft-float and VFP conventions.
  EXPECT_EQ(decode_e_flags(EM_ARM, ELFCLASS32, 0x00000200),
            (Names{"legacy ABI (no EABI version)", "soft-float (legacy)"}));
}

TEST(EFlags, RiscV) {
  EXPECT_EQ(decode_e_flags(EM_RISCV, ELFCLASS64, 0x5), (Names{"RVC", "double-float ABI"}));
  EXPECT_EQ(decode_e_flags(EM_RISCV, ELFCLASS64, 0x0), (Names{"soft-float ABI"}));
  EXPECT_EQ(decode_e_flags(EM_RISCV, ELFCLASS32, 0x3), (Names{"RVC", "single-float ABI"}));
  EXPECT_EQ(decode_e_flags(EM_RISCV, ELFCLASS64, 0x6), (Names{"quad-float ABI"}));
  EXPECT_EQ(decode_e_flags(EM_RISCV, ELFCLASS32, 0x8), (Names{"soft-float ABI", "RVE"}));
}

TEST(EFlags, Ppc64ElfAbiVersion) {
  EXPECT_EQ(decode_e_flags(EM_PPC64, ELFCLASS64, 1), (Names{"ELFv1"}));
  EXPECT_EQ(decode_e_flags(EM_PPC64, ELFCLASS64, 2), (Names{"ELFv2"}));
  EXPECT_EQ(decode_e_flags(EM_PPC64, ELFCLASS64, 0), (Names{"ABI version unmarked"}));
}

TEST(EFlags, MipsAbiArchAndNan) {
  // o32 either marked (E_MIPS_ABI_O32) or unmarked in ELFCLASS32; n32 is EF_MIPS_ABI2; n64 is ELFCLASS64.
  EXPECT_EQ(decode_e_flags(EM_MIPS, ELFCLASS32, 0x70001007), (Names{"o32", "mips32r2", "pic", "cpic"}));
  EXPECT_EQ(decode_e_flags(EM_MIPS, ELFCLASS32, 0x70000400), (Names{"o32", "mips32r2", "nan2008"}));
  EXPECT_EQ(decode_e_flags(EM_MIPS, ELFCLASS32, 0x80000020), (Names{"n32", "mips64r2"}));
  EXPECT_EQ(decode_e_flags(EM_MIPS, ELFCLASS64, 0xa0000400), (Names{"n64", "mips64r6", "nan2008"}));
}

TEST(EFlags, X32IsX86_64InElfClass32) {
  EXPECT_EQ(decode_e_flags(EM_X86_64, ELFCLASS32, 0), (Names{"x32"}));
  EXPECT_TRUE(decode_e_flags(EM_X86_64, ELFCLASS64, 0).empty());
  EXPECT_TRUE(decode_e_flags(EM_AARCH64, ELFCLASS64, 0).empty());
}

TEST(DynamicFlags, NamesAsReadelfSpellsThem) {
  EXPECT_EQ(dynamic_flag_names(DF_BIND_NOW | DF_ORIGIN), (Strings{"ORIGIN", "BIND_NOW"}));
  EXPECT_EQ(dynamic_flag_1_names(DF_1_NOW | DF_1_PIE), (Strings{"NOW", "PIE"}));
  EXPECT_EQ(dynamic_flag_1_names(DF_1_NODEFLIB), (Strings{"NODEFLIB"}));
  EXPECT_EQ(dynamic_flag_names(0x100), (Strings{"0x100"}));
  EXPECT_EQ(dynamic_flag_1_names(uint64_t{1} << 40), (Strings{"0x10000000000"}));
  EXPECT_TRUE(dynamic_flag_names(0).empty());
}

TEST(GnuProperties, X86IsaLevelsAndFeatures) {
  EXPECT_EQ(x86_isa_names(1), (Strings{"x86-64-baseline"}));
  EXPECT_EQ(x86_isa_names(0xf), (Strings{"x86-64-baseline", "x86-64-v2", "x86-64-v3", "x86-64-v4"}));
  EXPECT_EQ(x86_isa_names(4), (Strings{"x86-64-v3"}));
  EXPECT_EQ(x86_feature_names(3), (Strings{"IBT", "SHSTK"}));
  EXPECT_EQ(aarch64_feature_names(3), (Strings{"BTI", "PAC"}));
  EXPECT_EQ(aarch64_feature_names(0x10), (Strings{"0x10"}));
}

TEST(AbiTag, OsNames) {
  EXPECT_EQ(abi_tag_os_name(ELF_NOTE_OS_LINUX), "Linux");
  EXPECT_EQ(abi_tag_os_name(ELF_NOTE_OS_GNU), "Hurd");
  EXPECT_EQ(abi_tag_os_name(9), "OS 9");
}

TEST(Signals, GenericAndOwnNumberings) {
  EXPECT_EQ(signal_name(EM_X86_64, 11), "SIGSEGV");
  EXPECT_EQ(signal_name(EM_AARCH64, 7), "SIGBUS");
  EXPECT_EQ(signal_name(EM_MIPS, 11), "SIGSEGV");
  EXPECT_EQ(signal_name(EM_MIPS, 7), "");  // SIGEMT on MIPS, not SIGBUS
  EXPECT_EQ(signal_name(EM_SPARCV9, 10), "");
  EXPECT_EQ(signal_name(EM_X86_64, 0), "");
  EXPECT_EQ(signal_name(EM_X86_64, 64), "");
}

}  // namespace
}  // namespace elfrun::elf
