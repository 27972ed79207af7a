// The machine facts table: one row per Linux ABI, with what glibc, musl, the kernel, Debian and qemu-user call it.
// Sources of each column (glibc 2.36 unless said otherwise):
//   glibc_loader   shlib-versions (ld=...) and sysdeps/unix/sysv/linux/*/ldconfig.h (SYSDEP_KNOWN_INTERPRETER_NAMES),
//                  with the directory GCC's GLIBC_DYNAMIC_LINKER puts in PT_INTERP (/lib64 for x86-64, ppc64, ...).
//   cache_flags    _DL_CACHE_DEFAULT_ID of sysdeps/unix/sysv/linux/*/dl-cache.h, FLAG_* of sysdeps/generic/ldconfig.h;
//                  cache_accepted_flags is what that arch's _dl_cache_check_flags lets through.
//   hwcaps_subdirs _dl_hwcaps_subdirs of sysdeps/{x86_64,powerpc/powerpc64/le,s390/s390-64}/dl-hwcaps-subdirs.c.
//   musl_arch      LDSO_ARCH of musl's arch/*/reloc.h.
//   vdso           the SONAME the kernel links its vdso with (arch/*/vdso*/ linker flags), as ld.so --list prints it.
#include "loader/machine_facts.h"

#include <elf.h>

namespace elfrun::loader {

namespace {

// sysdeps/generic/ldconfig.h
constexpr int32_t kFlagElf = 0x0001;
constexpr int32_t kFlagElfLibc6 = 0x0003;
constexpr int32_t kFlagSparcLib64 = 0x0100;
constexpr int32_t kFlagIa64Lib64 = 0x0200;
constexpr int32_t kFlagX8664Lib64 = 0x0300;
constexpr int32_t kFlagS390Lib64 = 0x0400;
constexpr int32_t kFlagPowerpcLib64 = 0x0500;
constexpr int32_t kFlagMips64LibN32 = 0x0600;
constexpr int32_t kFlagMips64LibN64 = 0x0700;
constexpr int32_t kFlagX8664LibX32 = 0x0800;
constexpr int32_t kFlagArmLibHf = 0x0900;
constexpr int32_t kFlagAarch64Lib64 = 0x0a00;
constexpr int32_t kFlagArmLibSf = 0x0b00;
constexpr int32_t kFlagMipsLib32Nan2008 = 0x0c00;
constexpr int32_t kFlagMips64LibN64Nan2008 = 0x0e00;
constexpr int32_t kFlagRiscvFloatAbiSoft = 0x0f00;
constexpr int32_t kFlagRiscvFloatAbiDouble = 0x1000;
constexpr int32_t kFlagLarchFloatAbiDouble = 0x1200;  // glibc 2.38 (LoongArch ldconfig support)

constexpr uint32_t kArmEabiHard = EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_HARD;
constexpr uint32_t kArmEabiHardMask = EF_ARM_EABIMASK | EF_ARM_ABI_FLOAT_HARD;

using elf::ByteOrder;

// One row. Rows are matched in order, so a row selected by e_flags bits comes before the catch-all of its machine.
MachineFacts row(uint16_t machine, uint8_t elf_class, ByteOrder order, uint32_t flags_mask, uint32_t flags_value,
                 std::string_view abi, std::string_view glibc_loader, std::string_view musl_arch,
                 std::string_view triplet, std::string_view debian_arch, int32_t cache_flags,
                 std::vector<int32_t> accepted, std::string_view vdso, std::string_view qemu, std::string_view platform,
                 std::vector<std::string_view> hwcaps = {}) {
  MachineFacts f;
  f.machine = machine;
  f.elf_class = elf_class;
  f.byte_order = order;
  f.e_flags_mask = flags_mask;
  f.e_flags_value = flags_value;
  f.abi = abi;
  f.glibc_loader = glibc_loader;
  f.musl_arch = musl_arch;
  f.debian_triplet = triplet;
  f.debian_arch = debian_arch;
  f.cache_flags = cache_flags;
  f.cache_accepted_flags = accepted.empty() ? std::vector<int32_t>{cache_flags} : std::move(accepted);
  f.vdso = vdso;
  f.qemu = qemu;
  f.platform = platform;
  f.hwcaps_subdirs = std::move(hwcaps);
  return f;
}

std::vector<MachineFacts> build_table() {
  constexpr uint8_t kC32 = ELFCLASS32;
  constexpr uint8_t kC64 = ELFCLASS64;
  constexpr auto kLe = ByteOrder::little;
  constexpr auto kBe = ByteOrder::big;
  // The generic _dl_cache_check_flags of sysdeps/generic/dl-cache.h: FLAG_ELF (libc5-era "ELF") or FLAG_ELF_LIBC6.
  const std::vector<int32_t> generic_accepted = {kFlagElf, kFlagElfLibc6};
  const std::vector<std::string_view> x86_levels = {"x86-64-v4", "x86-64-v3", "x86-64-v2"};
  std::vector<MachineFacts> t;
  // x86. x32 shares sysdeps/x86_64 and so its glibc-hwcaps levels; the kernel maps the 32-bit vdso for i386 as
  // linux-gate.so.1 (arch/x86/entry/vdso/vdso32), the 64-bit and x32 ones as linux-vdso.so.1.
  t.push_back(row(EM_X86_64, kC64, kLe, 0, 0, "x86-64", "/lib64/ld-linux-x86-64.so.2", "x86_64", "x86_64-linux-gnu",
                  "amd64", kFlagX8664Lib64 | kFlagElfLibc6, {}, "linux-vdso.so.1", "qemu-x86_64", "x86_64",
                  x86_levels));
  t.push_back(row(EM_X86_64, kC32, kLe, 0, 0, "x32", "/libx32/ld-linux-x32.so.2", "x32", "x86_64-linux-gnux32", "x32",
                  kFlagX8664LibX32 | kFlagElfLibc6, {}, "linux-vdso.so.1", "", "x86_64", x86_levels));
  t.push_back(row(EM_386, kC32, kLe, 0, 0, "i386", "/lib/ld-linux.so.2", "i386", "i386-linux-gnu", "i386",
                  kFlagElfLibc6, generic_accepted, "linux-gate.so.1", "qemu-i386", "i686"));
  // AArch64: the only accepted flags are its own (aarch64/dl-cache.h).
  t.push_back(row(EM_AARCH64, kC64, kLe, 0, 0, "aarch64", "/lib/ld-linux-aarch64.so.1", "aarch64", "aarch64-linux-gnu",
                  "arm64", kFlagAarch64Lib64 | kFlagElfLibc6, {}, "linux-vdso.so.1", "qemu-aarch64", "aarch64"));
  t.push_back(row(EM_AARCH64, kC64, kBe, 0, 0, "aarch64_be", "/lib/ld-linux-aarch64_be.so.1", "aarch64_be",
                  "aarch64_be-linux-gnu", "", kFlagAarch64Lib64 | kFlagElfLibc6, {}, "linux-vdso.so.1",
                  "qemu-aarch64_be", "aarch64_be"));
  // 32-bit ARM, EABI5: hard-float when EF_ARM_ABI_FLOAT_HARD is set, soft-float (armel) otherwise, as ldconfig's
  // arm/readelflib.c classifies. The default ID stays the generic FLAG_ELF_LIBC6 and unmarked entries are accepted
  // by both (arm/dl-cache.h).
  t.push_back(row(EM_ARM, kC32, kLe, kArmEabiHardMask, kArmEabiHard, "armhf", "/lib/ld-linux-armhf.so.3", "armhf",
                  "arm-linux-gnueabihf", "armhf", kFlagElfLibc6, {kFlagArmLibHf | kFlagElfLibc6, kFlagElfLibc6},
                  "linux-vdso.so.1", "qemu-arm", "v7l"));
  t.push_back(row(EM_ARM, kC32, kLe, 0, 0, "armel", "/lib/ld-linux.so.3", "arm", "arm-linux-gnueabi", "armel",
                  kFlagElfLibc6, {kFlagArmLibSf | kFlagElfLibc6, kFlagElfLibc6}, "linux-vdso.so.1", "qemu-arm", "v5l"));
  t.push_back(row(EM_ARM, kC32, kBe, kArmEabiHardMask, kArmEabiHard, "armebhf", "/lib/ld-linux-armhf.so.3", "armebhf",
                  "armeb-linux-gnueabihf", "", kFlagElfLibc6, {kFlagArmLibHf | kFlagElfLibc6, kFlagElfLibc6},
                  "linux-vdso.so.1", "qemu-armeb", ""));
  t.push_back(row(EM_ARM, kC32, kBe, 0, 0, "armeb", "/lib/ld-linux.so.3", "armeb", "armeb-linux-gnueabi", "",
                  kFlagElfLibc6, {kFlagArmLibSf | kFlagElfLibc6, kFlagElfLibc6}, "linux-vdso.so.1", "qemu-armeb", ""));
  // RISC-V: the float ABI (e_flags & EF_RISCV_FLOAT_ABI) picks the loader and the cache flags (riscv/dl-cache.h).
  t.push_back(row(EM_RISCV, kC64, kLe, EF_RISCV_FLOAT_ABI, EF_RISCV_FLOAT_ABI_DOUBLE, "riscv64",
                  "/lib/ld-linux-riscv64-lp64d.so.1", "riscv64", "riscv64-linux-gnu", "riscv64",
                  kFlagRiscvFloatAbiDouble | kFlagElfLibc6, {}, "linux-vdso.so.1", "qemu-riscv64", ""));
  t.push_back(row(EM_RISCV, kC64, kLe, EF_RISCV_FLOAT_ABI, 0, "riscv64-lp64", "/lib/ld-linux-riscv64-lp64.so.1",
                  "riscv64-sf", "riscv64-linux-gnu", "", kFlagRiscvFloatAbiSoft | kFlagElfLibc6, {}, "linux-vdso.so.1",
                  "qemu-riscv64", ""));
  t.push_back(row(EM_RISCV, kC32, kLe, EF_RISCV_FLOAT_ABI, EF_RISCV_FLOAT_ABI_DOUBLE, "riscv32",
                  "/lib/ld-linux-riscv32-ilp32d.so.1", "riscv32", "riscv32-linux-gnu", "",
                  kFlagRiscvFloatAbiDouble | kFlagElfLibc6, {}, "linux-vdso.so.1", "qemu-riscv32", ""));
  // s390: the 64-bit loader is /lib/ld64.so.1 (s390/ldconfig.h); s390-64/dl-cache.h accepts only its own flags.
  t.push_back(row(EM_S390, kC64, kBe, 0, 0, "s390x", "/lib/ld64.so.1", "s390x", "s390x-linux-gnu", "s390x",
                  kFlagS390Lib64 | kFlagElfLibc6, {}, "linux-vdso64.so.1", "qemu-s390x", "",
                  {"z16", "z15", "z14", "z13"}));
  t.push_back(row(EM_S390, kC32, kBe, 0, 0, "s390", "/lib/ld.so.1", "", "s390-linux-gnu", "s390", kFlagElfLibc6,
                  generic_accepted, "linux-vdso32.so.1", "", ""));
  // PowerPC. ppc64 big-endian is ELFv1 unless e_flags says ELFv2 (2); ELFv2 BE is what musl uses, and a glibc
  // built for ELFv2 calls its loader ld64.so.2 whatever the byte order (powerpc64/shlib-versions). Both 64-bit
  // ABIs share FLAG_POWERPC_LIB64 (powerpc64/dl-cache.h). Only little-endian glibc has glibc-hwcaps levels.
  t.push_back(row(EM_PPC64, kC64, kBe, EF_PPC64_ABI, 2, "ppc64-elfv2", "/lib64/ld64.so.2", "powerpc64",
                  "powerpc64-linux-gnu", "ppc64", kFlagPowerpcLib64 | kFlagElfLibc6, {}, "linux-vdso64.so.1",
                  "qemu-ppc64", ""));
  t.push_back(row(EM_PPC64, kC64, kBe, 0, 0, "ppc64", "/lib64/ld64.so.1", "", "powerpc64-linux-gnu", "ppc64",
                  kFlagPowerpcLib64 | kFlagElfLibc6, {}, "linux-vdso64.so.1", "qemu-ppc64", ""));
  t.push_back(row(EM_PPC64, kC64, kLe, 0, 0, "ppc64le", "/lib64/ld64.so.2", "powerpc64le", "powerpc64le-linux-gnu",
                  "ppc64el", kFlagPowerpcLib64 | kFlagElfLibc6, {}, "linux-vdso64.so.1", "qemu-ppc64le", "",
                  {"power10", "power9"}));
  t.push_back(row(EM_PPC, kC32, kBe, 0, 0, "ppc", "/lib/ld.so.1", "powerpc", "powerpc-linux-gnu", "powerpc",
                  kFlagElfLibc6, generic_accepted, "linux-vdso32.so.1", "qemu-ppc", ""));
  // MIPS: n32 is ELFCLASS32 with EF_MIPS_ABI2; 2008-NaN objects (EF_MIPS_NAN2008) have their own loader name and
  // cache flags (mips/dl-cache.h, mips/shlib-versions); legacy-NaN o32 keeps the generic check. The 2008-NaN rows
  // carry the names of the MIPS release 6 ports (Debian mipsr6el, musl mipsr6el), the users of that encoding.
  constexpr uint32_t kMipsMask = EF_MIPS_ABI2 | EF_MIPS_NAN2008;
  t.push_back(row(EM_MIPS, kC32, kBe, kMipsMask, EF_MIPS_ABI2, "mipsn32", "/lib32/ld.so.1", "mipsn32",
                  "mips64-linux-gnuabin32", "mipsn32", kFlagMips64LibN32 | kFlagElfLibc6, {}, "linux-vdso.so.1",
                  "qemu-mipsn32", ""));
  t.push_back(row(EM_MIPS, kC32, kLe, kMipsMask, EF_MIPS_ABI2, "mipsn32el", "/lib32/ld.so.1", "mipsn32el",
                  "mips64el-linux-gnuabin32", "mipsn32el", kFlagMips64LibN32 | kFlagElfLibc6, {}, "linux-vdso.so.1",
                  "qemu-mipsn32el", ""));
  t.push_back(row(EM_MIPS, kC32, kBe, kMipsMask, 0, "mips", "/lib/ld.so.1", "mips", "mips-linux-gnu", "mips",
                  kFlagElfLibc6, generic_accepted, "linux-vdso.so.1", "qemu-mips", ""));
  t.push_back(row(EM_MIPS, kC32, kLe, kMipsMask, 0, "mipsel", "/lib/ld.so.1", "mipsel", "mipsel-linux-gnu", "mipsel",
                  kFlagElfLibc6, generic_accepted, "linux-vdso.so.1", "qemu-mipsel", ""));
  t.push_back(row(EM_MIPS, kC32, kLe, kMipsMask, EF_MIPS_NAN2008, "mipsel-nan2008", "/lib/ld-linux-mipsn8.so.1",
                  "mipsr6el", "mipsisa32r6el-linux-gnu", "mipsr6el", kFlagMipsLib32Nan2008 | kFlagElfLibc6, {},
                  "linux-vdso.so.1", "qemu-mipsel", ""));
  t.push_back(row(EM_MIPS, kC64, kBe, EF_MIPS_NAN2008, 0, "mips64-n64", "/lib64/ld.so.1", "mips64",
                  "mips64-linux-gnuabi64", "mips64", kFlagMips64LibN64 | kFlagElfLibc6, {}, "linux-vdso.so.1",
                  "qemu-mips64", ""));
  t.push_back(row(EM_MIPS, kC64, kLe, EF_MIPS_NAN2008, 0, "mips64el-n64", "/lib64/ld.so.1", "mips64el",
                  "mips64el-linux-gnuabi64", "mips64el", kFlagMips64LibN64 | kFlagElfLibc6, {}, "linux-vdso.so.1",
                  "qemu-mips64el", ""));
  t.push_back(row(EM_MIPS, kC64, kLe, EF_MIPS_NAN2008, EF_MIPS_NAN2008, "mips64el-n64-nan2008",
                  "/lib64/ld-linux-mipsn8.so.1", "mips64r6el", "mipsisa64r6el-linux-gnuabi64", "mips64r6el",
                  kFlagMips64LibN64Nan2008 | kFlagElfLibc6, {}, "linux-vdso.so.1", "qemu-mips64el", ""));
  // LoongArch: lp64d. glibc 2.36 used the generic cache flags; every LoongArch userland in use has glibc >= 2.38,
  // whose ldconfig writes FLAG_LARCH_FLOAT_ABI_DOUBLE and whose loader accepts only that (loongarch/dl-cache.h).
  t.push_back(row(EM_LOONGARCH, kC64, kLe, EF_LARCH_ABI_MODIFIER_MASK, EF_LARCH_ABI_DOUBLE_FLOAT, "loongarch64",
                  "/lib64/ld-linux-loongarch-lp64d.so.1", "loongarch64", "loongarch64-linux-gnu", "loong64",
                  kFlagLarchFloatAbiDouble | kFlagElfLibc6, {}, "linux-vdso.so.1", "qemu-loongarch64", ""));
  // SPARC: sparc64/dl-cache.h accepts only FLAG_SPARC_LIB64; 32-bit SPARC keeps the generic check.
  t.push_back(row(EM_SPARCV9, kC64, kBe, 0, 0, "sparc64", "/lib64/ld-linux.so.2", "", "sparc64-linux-gnu", "sparc64",
                  kFlagSparcLib64 | kFlagElfLibc6, {}, "linux-vdso.so.1", "qemu-sparc64", ""));
  t.push_back(row(EM_SPARC32PLUS, kC32, kBe, 0, 0, "sparc", "/lib/ld-linux.so.2", "", "sparc-linux-gnu", "sparc",
                  kFlagElfLibc6, generic_accepted, "linux-vdso.so.1", "qemu-sparc32plus", ""));
  t.push_back(row(EM_SPARC, kC32, kBe, 0, 0, "sparc", "/lib/ld-linux.so.2", "", "sparc-linux-gnu", "sparc",
                  kFlagElfLibc6, generic_accepted, "linux-vdso.so.1", "qemu-sparc", ""));
  // Machines without a dl-cache.h of their own: the generic flags. No vdso on alpha and m68k; SH maps a
  // linux-gate.so.1 vsyscall page, PA-RISC a linux-vdso32.so.1 (Linux 6.x).
  t.push_back(row(EM_ALPHA, kC64, kLe, 0, 0, "alpha", "/lib/ld-linux.so.2", "", "alpha-linux-gnu", "alpha",
                  kFlagElfLibc6, generic_accepted, "", "qemu-alpha", ""));
  t.push_back(row(EM_68K, kC32, kBe, 0, 0, "m68k", "/lib/ld.so.1", "m68k", "m68k-linux-gnu", "m68k", kFlagElfLibc6,
                  generic_accepted, "", "qemu-m68k", ""));
  t.push_back(row(EM_SH, kC32, kLe, 0, 0, "sh4", "/lib/ld-linux.so.2", "sh", "sh4-linux-gnu", "sh4", kFlagElfLibc6,
                  generic_accepted, "linux-gate.so.1", "qemu-sh4", "sh4"));
  t.push_back(row(EM_SH, kC32, kBe, 0, 0, "sh4eb", "/lib/ld-linux.so.2", "sheb", "sh4eb-linux-gnu", "", kFlagElfLibc6,
                  generic_accepted, "linux-gate.so.1", "qemu-sh4eb", "sh4"));
  t.push_back(row(EM_PARISC, kC32, kBe, 0, 0, "hppa", "/lib/ld.so.1", "", "hppa-linux-gnu", "hppa", kFlagElfLibc6,
                  generic_accepted, "linux-vdso32.so.1", "qemu-hppa", "PARISC"));
  // IA-64: ia64/dl-cache.h (0x203 only).
  t.push_back(row(EM_IA_64, kC64, kLe, 0, 0, "ia64", "/lib/ld-linux-ia64.so.2", "", "ia64-linux-gnu", "ia64",
                  kFlagIa64Lib64 | kFlagElfLibc6, {}, "linux-gate.so.1", "", ""));
  return t;
}

}  // namespace

const std::vector<MachineFacts>& all_machine_facts() {
  static const std::vector<MachineFacts> table = build_table();
  return table;
}

const MachineFacts* machine_facts(uint16_t machine, uint8_t elf_class, elf::ByteOrder order, uint32_t e_flags) {
  for (const MachineFacts& facts : all_machine_facts()) {
    if (facts.machine == machine && facts.elf_class == elf_class && facts.byte_order == order &&
        (e_flags & facts.e_flags_mask) == facts.e_flags_value) {
      return &facts;
    }
  }
  return nullptr;
}

const MachineFacts* machine_facts(const elf::ElfObject& object) {
  return machine_facts(object.header.machine, object.ident.elf_class, object.byte_order(), object.header.flags);
}

const MachineFacts* machine_facts_by_abi(std::string_view abi) {
  for (const MachineFacts& facts : all_machine_facts()) {
    if (facts.abi == abi) return &facts;
  }
  return nullptr;
}

bool cache_flags_accepted(const MachineFacts& facts, int32_t flags) {
  for (int32_t accepted : facts.cache_accepted_flags) {
    if (accepted == flags) return true;
  }
  return false;
}

}  // namespace elfrun::loader
