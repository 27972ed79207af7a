// Display names as data tables: e_machine, OS ABI, e_type, e_flags per machine, DT_FLAGS/DT_FLAGS_1, GNU property
// bits, ABI-tag OS and signal numbers. The bit meanings follow <elf.h>, binutils' readelf and the kernel's
// arch/*/include/uapi/asm/signal.h; names are ours, kept short.
#include "elf/machine.h"

#include <elf.h>
#include <fmt/format.h>

#include <array>

namespace elfrun::elf {

namespace {

struct Named {
  uint32_t value;
  std::string_view name;
};

// Values not in every <elf.h>.
constexpr uint16_t kEmLoongArch = 258;
constexpr uint16_t kEmAlphaUnofficial = 0x9026;

constexpr Named kMachines[] = {
    {EM_NONE, "none"},
    {EM_M32, "WE32100"},
    {EM_SPARC, "SPARC"},
    {EM_386, "i386"},
    {EM_68K, "m68k"},
    {EM_88K, "m88k"},
    {EM_IAMCU, "Intel MCU"},
    {EM_860, "i860"},
    {EM_MIPS, "MIPS"},
    {EM_S370, "System/370"},
    {EM_MIPS_RS3_LE, "MIPS R3000 LE"},
    {EM_PARISC, "PA-RISC"},
    {EM_SPARC32PLUS, "SPARC32+"},
    {EM_960, "i960"},
    {EM_PPC, "PowerPC"},
    {EM_PPC64, "PowerPC64"},
    {EM_S390, "S/390"},
    {EM_SPU, "Cell SPU"},
    {EM_V800, "V800"},
    {EM_FR20, "FR20"},
    {EM_RH32, "RH32"},
    {EM_RCE, "RCE"},
    {EM_ARM, "ARM"},
    {EM_FAKE_ALPHA, "Alpha"},
    {EM_SH, "SuperH"},
    {EM_SPARCV9, "SPARC V9"},
    {EM_TRICORE, "TriCore"},
    {EM_ARC, "ARC"},
    {EM_H8_300, "H8/300"},
    {EM_IA_64, "IA-64"},
    {EM_COLDFIRE, "ColdFire"},
    {EM_68HC12, "68HC12"},
    {EM_X86_64, "x86-64"},
    {EM_PDP11, "PDP-11"},
    {EM_VAX, "VAX"},
    {EM_CRIS, "CRIS"},
    {EM_MMIX, "MMIX"},
    {EM_AVR, "AVR"},
    {EM_V850, "V850"},
    {EM_M32R, "M32R"},
    {EM_MN10300, "MN10300"},
    {EM_OPENRISC, "OpenRISC"},
    {EM_ARC_COMPACT, "ARCompact"},
    {EM_XTENSA, "Xtensa"},
    {EM_MSP430, "MSP430"},
    {EM_BLACKFIN, "Blackfin"},
    {EM_ALTERA_NIOS2, "Nios II"},
    {EM_TI_C6000, "TI C6000"},
    {EM_QDSP6, "Hexagon"},
    {EM_AARCH64, "AArch64"},
    {EM_TILEPRO, "TILEPro"},
    {EM_MICROBLAZE, "MicroBlaze"},
    {EM_CUDA, "CUDA"},
    {EM_TILEGX, "TILE-Gx"},
    {EM_ARCV2, "ARCv2"},
    {EM_AMDGPU, "AMDGPU"},
    {EM_RISCV, "RISC-V"},
    {EM_BPF, "BPF"},
    {EM_CSKY, "C-SKY"},
    {kEmLoongArch, "LoongArch"},
    {kEmAlphaUnofficial, "Alpha"},
};

constexpr Named kOsAbis[] = {
    {ELFOSABI_SYSV, "SYSV"},
    {ELFOSABI_HPUX, "HP-UX"},
    {ELFOSABI_NETBSD, "NetBSD"},
    {ELFOSABI_GNU, "GNU/Linux"},
    {ELFOSABI_SOLARIS, "Solaris"},
    {ELFOSABI_AIX, "AIX"},
    {ELFOSABI_IRIX, "IRIX"},
    {ELFOSABI_FREEBSD, "FreeBSD"},
    {ELFOSABI_TRU64, "Tru64"},
    {ELFOSABI_MODESTO, "Modesto"},
    {ELFOSABI_OPENBSD, "OpenBSD"},
    {13, "OpenVMS"},
    {14, "HP NSK"},
    {15, "AROS"},
    {16, "FenixOS"},
    {17, "CloudABI"},
    {18, "OpenVOS"},
    {ELFOSABI_STANDALONE, "standalone"},
};

constexpr Named kTypes[] = {
    {ET_NONE, "none"}, {ET_REL, "relocatable"}, {ET_EXEC, "executable"}, {ET_DYN, "shared object"}, {ET_CORE, "core"},
};

// One meaning of e_flags: it applies when the machine matches, the class matches (0: either class) and
// (flags & mask) == value. Rows of one machine are listed in display order.
struct FlagRule {
  uint16_t machine;
  uint8_t elf_class;
  uint32_t mask;
  uint32_t value;
  std::string_view name;
};

constexpr uint32_t kArmEabi = EF_ARM_EABIMASK;
constexpr uint32_t kMipsAbi = 0x0000f000;  // EF_MIPS_ABI: o32, o64, eabi32, eabi64
constexpr uint32_t kMipsArch = EF_MIPS_ARCH;

constexpr FlagRule kFlagRules[] = {
    // ARM: the EABI version lives in the top byte; the float-ABI bits mean hard/soft only from EABI5 on, and the
    // legacy (pre-EABI) soft-float / VFP bits otherwise (binutils include/elf/arm.h).
    {EM_ARM, 0, kArmEabi, 0, "legacy ABI (no EABI version)"},
    {EM_ARM, 0, kArmEabi, EF_ARM_EABI_VER1, "EABI1"},
    {EM_ARM, 0, kArmEabi, EF_ARM_EABI_VER2, "EABI2"},
    {EM_ARM, 0, kArmEabi, EF_ARM_EABI_VER3, "EABI3"},
    {EM_ARM, 0, kArmEabi, EF_ARM_EABI_VER4, "EABI4"},
    {EM_ARM, 0, kArmEabi, EF_ARM_EABI_VER5, "EABI5"},
    {EM_ARM, 0, kArmEabi | EF_ARM_ABI_FLOAT_HARD, EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_HARD, "hard-float"},
    {EM_ARM, 0, kArmEabi | EF_ARM_ABI_FLOAT_SOFT, EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_SOFT, "soft-float"},
    {EM_ARM, 0, kArmEabi | EF_ARM_SOFT_FLOAT, EF_ARM_SOFT_FLOAT, "soft-float (legacy)"},
    {EM_ARM, 0, kArmEabi | EF_ARM_VFP_FLOAT, EF_ARM_VFP_FLOAT, "VFP float (legacy)"},
    {EM_ARM, 0, EF_ARM_BE8, EF_ARM_BE8, "BE8"},
    // RISC-V: compressed instructions, the float ABI (ld-linux-riscv64-lp64d's "d"), the embedded register set.
    {EM_RISCV, 0, EF_RISCV_RVC, EF_RISCV_RVC, "RVC"},
    {EM_RISCV, 0, EF_RISCV_FLOAT_ABI, EF_RISCV_FLOAT_ABI_SOFT, "soft-float ABI"},
    {EM_RISCV, 0, EF_RISCV_FLOAT_ABI, EF_RISCV_FLOAT_ABI_SINGLE, "single-float ABI"},
    {EM_RISCV, 0, EF_RISCV_FLOAT_ABI, EF_RISCV_FLOAT_ABI_DOUBLE, "double-float ABI"},
    {EM_RISCV, 0, EF_RISCV_FLOAT_ABI, EF_RISCV_FLOAT_ABI_QUAD, "quad-float ABI"},
    {EM_RISCV, 0, EF_RISCV_RVE, EF_RISCV_RVE, "RVE"},
    {EM_RISCV, 0, EF_RISCV_TSO, EF_RISCV_TSO, "TSO"},
    // ppc64: e_flags & 3 is the ELF ABI version; glibc's loader accepts 0 as "unmarked" (sysdeps/powerpc/
    // powerpc64/dl-machine.h), which in practice is ELFv1 on big-endian systems.
    {EM_PPC64, 0, EF_PPC64_ABI, 0, "ABI version unmarked"},
    {EM_PPC64, 0, EF_PPC64_ABI, 1, "ELFv1"},
    {EM_PPC64, 0, EF_PPC64_ABI, 2, "ELFv2"},
    {EM_PPC64, 0, EF_PPC64_ABI, 3, "ABI version 3 (invalid)"},
    // x86-64 code in a 32-bit ELF file is the x32 ABI.
    {EM_X86_64, ELFCLASS32, 0, 0, "x32"},
    // MIPS: the ABI (n64 is simply ELFCLASS64; n32 is EF_MIPS_ABI2 in ELFCLASS32; o32 is marked or left unmarked),
    // then the architecture level, then the bits glibc's loader checks (NaN encoding, FP64).
    {EM_MIPS, ELFCLASS64, kMipsAbi, 0, "n64"},
    {EM_MIPS, ELFCLASS32, kMipsAbi | EF_MIPS_ABI2, EF_MIPS_ABI2, "n32"},
    {EM_MIPS, ELFCLASS32, kMipsAbi | EF_MIPS_ABI2, 0, "o32"},
    {EM_MIPS, 0, kMipsAbi, 0x1000, "o32"},
    {EM_MIPS, 0, kMipsAbi, 0x2000, "o64"},
    {EM_MIPS, 0, kMipsAbi, 0x3000, "EABI32"},
    {EM_MIPS, 0, kMipsAbi, 0x4000, "EABI64"},
    {EM_MIPS, 0, kMipsArch, 0x00000000, "mips1"},
    {EM_MIPS, 0, kMipsArch, 0x10000000, "mips2"},
    {EM_MIPS, 0, kMipsArch, 0x20000000, "mips3"},
    {EM_MIPS, 0, kMipsArch, 0x30000000, "mips4"},
    {EM_MIPS, 0, kMipsArch, 0x40000000, "mips5"},
    {EM_MIPS, 0, kMipsArch, 0x50000000, "mips32"},
    {EM_MIPS, 0, kMipsArch, 0x60000000, "mips64"},
    {EM_MIPS, 0, kMipsArch, 0x70000000, "mips32r2"},
    {EM_MIPS, 0, kMipsArch, 0x80000000, "mips64r2"},
    {EM_MIPS, 0, kMipsArch, 0x90000000, "mips32r6"},
    {EM_MIPS, 0, kMipsArch, 0xa0000000, "mips64r6"},
    {EM_MIPS, 0, EF_MIPS_NAN2008, EF_MIPS_NAN2008, "nan2008"},
    {EM_MIPS, 0, EF_MIPS_FP64, EF_MIPS_FP64, "fp64"},
    {EM_MIPS, 0, EF_MIPS_PIC, EF_MIPS_PIC, "pic"},
    {EM_MIPS, 0, EF_MIPS_CPIC, EF_MIPS_CPIC, "cpic"},
};

constexpr Named kDynamicFlags[] = {
    {DF_ORIGIN, "ORIGIN"},     {DF_SYMBOLIC, "SYMBOLIC"},     {DF_TEXTREL, "TEXTREL"},
    {DF_BIND_NOW, "BIND_NOW"}, {DF_STATIC_TLS, "STATIC_TLS"},
};

constexpr Named kDynamicFlags1[] = {
    {DF_1_NOW, "NOW"},
    {DF_1_GLOBAL, "GLOBAL"},
    {DF_1_GROUP, "GROUP"},
    {DF_1_NODELETE, "NODELETE"},
    {DF_1_LOADFLTR, "LOADFLTR"},
    {DF_1_INITFIRST, "INITFIRST"},
    {DF_1_NOOPEN, "NOOPEN"},
    {DF_1_ORIGIN, "ORIGIN"},
    {DF_1_DIRECT, "DIRECT"},
    {DF_1_TRANS, "TRANS"},
    {DF_1_INTERPOSE, "INTERPOSE"},
    {DF_1_NODEFLIB, "NODEFLIB"},
    {DF_1_NODUMP, "NODUMP"},
    {DF_1_CONFALT, "CONFALT"},
    {DF_1_ENDFILTEE, "ENDFILTEE"},
    {DF_1_DISPRELDNE, "DISPRELDNE"},
    {DF_1_DISPRELPND, "DISPRELPND"},
    {DF_1_NODIRECT, "NODIRECT"},
    {DF_1_IGNMULDEF, "IGNMULDEF"},
    {DF_1_NOKSYMS, "NOKSYMS"},
    {DF_1_NOHDR, "NOHDR"},
    {DF_1_EDITED, "EDITED"},
    {DF_1_NORELOC, "NORELOC"},
    {DF_1_SYMINTPOSE, "SYMINTPOSE"},
    {DF_1_GLOBAUDIT, "GLOBAUDIT"},
    {DF_1_SINGLETON, "SINGLETON"},
    {DF_1_STUB, "STUB"},
    {DF_1_PIE, "PIE"},
    {0x10000000, "KMOD"},
    {0x20000000, "WEAKFILTER"},
    {0x40000000, "NOCOMMON"},
};

// GNU_PROPERTY_X86_ISA_1_* (binutils include/elf/common.h; glibc sysdeps/x86/dl-prop.h).
constexpr Named kX86Isa[] = {
    {1, "x86-64-baseline"},
    {2, "x86-64-v2"},
    {4, "x86-64-v3"},
    {8, "x86-64-v4"},
};
constexpr Named kX86Features[] = {{1, "IBT"}, {2, "SHSTK"}, {4, "LAM_U48"}, {8, "LAM_U57"}};
constexpr Named kAarch64Features[] = {{1, "BTI"}, {2, "PAC"}, {4, "GCS"}};

constexpr Named kAbiTagOses[] = {
    {ELF_NOTE_OS_LINUX, "Linux"},
    {ELF_NOTE_OS_GNU, "Hurd"},
    {ELF_NOTE_OS_SOLARIS2, "Solaris"},
    {ELF_NOTE_OS_FREEBSD, "FreeBSD"},
};

// asm-generic numbering, which x86, ARM, AArch64, RISC-V, s390, PowerPC and LoongArch share.
constexpr std::array<std::string_view, 32> kGenericSignals = {
    "",          "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS",
};

template <size_t N>
std::string_view find_name(const Named (&table)[N], uint32_t value) {
  for (const Named& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

template <size_t N>
std::vector<std::string> bit_names(const Named (&table)[N], uint64_t bits) {
  std::vector<std::string> names;
  for (unsigned bit = 0; bit < 64; ++bit) {
    uint64_t mask = uint64_t{1} << bit;
    if ((bits & mask) == 0) continue;
    std::string_view name = mask <= 0xffffffffu ? find_name(table, static_cast<uint32_t>(mask)) : std::string_view{};
    names.push_back(name.empty() ? fmt::format("{:#x}", mask) : std::string(name));
  }
  return names;
}

}  // namespace

std::string machine_name(uint16_t machine) {
  std::string_view name = find_name(kMachines, machine);
  return name.empty() ? fmt::format("machine {}", machine) : std::string(name);
}

std::string os_abi_name(uint8_t os_abi, uint16_t machine) {
  if (os_abi == ELFOSABI_ARM_AEABI && machine == EM_ARM) return "ARM EABI";
  if (os_abi == ELFOSABI_ARM && machine == EM_ARM) return "ARM";
  std::string_view name = find_name(kOsAbis, os_abi);
  return name.empty() ? fmt::format("OS ABI {}", os_abi) : std::string(name);
}

std::string type_name(uint16_t type) {
  std::string_view name = find_name(kTypes, type);
  if (!name.empty()) return std::string(name);
  if (type >= ET_LOOS && type <= ET_HIOS) return fmt::format("OS-specific {:#x}", type);
  if (type >= ET_LOPROC) return fmt::format("processor-specific {:#x}", type);
  return fmt::format("type {}", type);
}

std::vector<std::string_view> decode_e_flags(uint16_t machine, uint8_t elf_class, uint32_t flags) {
  std::vector<std::string_view> names;
  for (const FlagRule& rule : kFlagRules) {
    if (rule.machine != machine) continue;
    if (rule.elf_class != 0 && rule.elf_class != elf_class) continue;
    if ((flags & rule.mask) == rule.value) names.push_back(rule.name);
  }
  return names;
}

std::vector<std::string> dynamic_flag_names(uint64_t flags) { return bit_names(kDynamicFlags, flags); }
std::vector<std::string> dynamic_flag_1_names(uint64_t flags_1) { return bit_names(kDynamicFlags1, flags_1); }
std::vector<std::string> x86_isa_names(uint32_t bits) { return bit_names(kX86Isa, bits); }
std::vector<std::string> x86_feature_names(uint32_t bits) { return bit_names(kX86Features, bits); }
std::vector<std::string> aarch64_feature_names(uint32_t bits) { return bit_names(kAarch64Features, bits); }

std::string abi_tag_os_name(uint32_t os) {
  std::string_view name = find_name(kAbiTagOses, os);
  return name.empty() ? fmt::format("OS {}", os) : std::string(name);
}

std::string_view signal_name(uint16_t machine, uint32_t signal) {
  if (signal >= kGenericSignals.size()) return {};
  // These number SIGBUS, SIGUSR1/2 and everything from 16 up differently (arch/{mips,sparc,alpha,parisc}).
  bool own_numbering = machine == EM_MIPS || machine == EM_MIPS_RS3_LE || machine == EM_SPARC ||
                       machine == EM_SPARC32PLUS || machine == EM_SPARCV9 || machine == EM_FAKE_ALPHA ||
                       machine == kEmAlphaUnofficial || machine == EM_PARISC;
  if (own_numbering && (signal == 7 || signal == 10 || signal == 12 || signal >= 16)) return {};
  return kGenericSignals[signal];
}

}  // namespace elfrun::elf
