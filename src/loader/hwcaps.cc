// The host CPU as glibc 2.36's x86 loaders see it: which x86-64 ISA levels are "usable" (sysdeps/x86/cpu-features.c
// update_active, sysdeps/x86/get-isa-level.h), hence which glibc-hwcaps subdirectories an x86-64 loader searches
// (sysdeps/x86_64/dl-hwcaps-subdirs.c), and the legacy dl_hwcap / dl_platform values the cache lookup filters on.
// Only cpuid and xgetbv are used; both exist in the i386 build too. GLIBC_TUNABLES (glibc.cpu.hwcaps masks) are not
// read: the answer is the loader's default.
#include "loader/hwcaps.h"

#include <elf.h>
#include <fmt/format.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define ELFRUN_HAVE_CPUID 1
#else
#define ELFRUN_HAVE_CPUID 0
#endif

namespace elfrun::loader {

namespace {

// GNU_PROPERTY_X86_ISA_1_* bits, as get_isa_level returns them.
constexpr uint32_t kIsaBaseline = 1;
constexpr uint32_t kIsaV2 = 2;
constexpr uint32_t kIsaV3 = 4;
constexpr uint32_t kIsaV4 = 8;

// sysdeps/x86/dl-hwcap.h
constexpr uint64_t kHwcapSse2 = 1 << 0;
constexpr uint64_t kHwcapX8664 = 1 << 1;
constexpr uint64_t kHwcapAvx5121 = 1 << 2;
// sysdeps/x86/dl-procinfo.h: platforms start at bit 48; "i586", "i686", "haswell", "xeon_phi".
constexpr int kFirstPlatform = 48;

[[maybe_unused]] bool bit(uint32_t word, int n) { return (word >> n) & 1; }

#if ELFRUN_HAVE_CPUID
struct CpuidLeaves {
  uint32_t max_leaf = 0;
  uint32_t vendor_ebx = 0, vendor_ecx = 0, vendor_edx = 0;
  uint32_t l1_eax = 0, l1_ecx = 0, l1_edx = 0;
  uint32_t l7_ebx = 0;
  uint32_t ext_ecx = 0;  // 0x80000001
  bool has_ext = false;
  uint64_t xcr0 = 0;
};

uint64_t read_xcr0() {
  uint32_t low, high;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (uint64_t{high} << 32) | low;
}
#endif

}  // namespace

namespace {
X86CpuFacts read_x86_cpu_facts();
}  // namespace

// cpuid traps to the hypervisor in a virtual machine (about 100 µs a call here): the answer cannot change while the
// process runs, so it is read once (added by deps-tests: it was half of `elfrun deps` over a whole system).
X86CpuFacts host_x86_cpu_facts() {
  static const X86CpuFacts facts = read_x86_cpu_facts();
  return facts;
}

namespace {
X86CpuFacts read_x86_cpu_facts() {
  X86CpuFacts facts;
#if ELFRUN_HAVE_CPUID
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) == 0) return facts;  // a CPU without cpuid: glibc's arch_kind_other, nothing usable
  facts.is_x86 = true;
  __cpuid(0, a, b, c, d);
  const uint32_t max_leaf = a;
  const bool intel = b == 0x756e6547 && c == 0x6c65746e && d == 0x49656e69;        // GenuineIntel
  const bool amd = (b == 0x68747541 && c == 0x444d4163 && d == 0x69746e65) ||      // AuthenticAMD
                   (b == 0x6f677948 && c == 0x656e6975 && d == 0x6e65476e);        // HygonGenuine
  const bool zhaoxin = (b == 0x746e6543 && c == 0x736c7561 && d == 0x48727561) ||  // CentaurHauls
                       (b == 0x68532020 && c == 0x20206961 && d == 0x68676e61);    // "  Shanghai  "
  facts.intel = intel;

  __cpuid(1, a, b, c, d);
  const uint32_t l1_eax = a, l1_ecx = c, l1_edx = d;
  uint32_t l7_ebx = 0;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    l7_ebx = b;
  }
  // get_extended_indices runs only for Intel, AMD/Hygon and Zhaoxin; other vendors never see leaf 0x80000001, so
  // LAHF64_SAHF64 and LZCNT stay unusable for glibc there.
  uint32_t ext_ecx = 0;
  if (intel || amd || zhaoxin) {
    __cpuid(0x80000000, a, b, c, d);
    if (a >= 0x80000001) {
      __cpuid(0x80000001, a, b, c, d);
      ext_ecx = c;
    }
  }

  // update_active: features usable without OS support are usable when cpuid has them.
  const bool fpu = bit(l1_edx, 0), cx8 = bit(l1_edx, 8), cmov = bit(l1_edx, 15), mmx = bit(l1_edx, 23),
             fxsr = bit(l1_edx, 24), sse = bit(l1_edx, 25), sse2 = bit(l1_edx, 26);
  const bool sse3 = bit(l1_ecx, 0), ssse3 = bit(l1_ecx, 9), cmpxchg16b = bit(l1_ecx, 13), sse4_1 = bit(l1_ecx, 19),
             sse4_2 = bit(l1_ecx, 20), movbe = bit(l1_ecx, 22), popcnt = bit(l1_ecx, 23), osxsave = bit(l1_ecx, 27);
  const bool lahf = bit(ext_ecx, 0), lzcnt = bit(ext_ecx, 5);
  const bool bmi1 = bit(l7_ebx, 3), bmi2 = bit(l7_ebx, 8);

  // AVX and its dependants need the OS to save YMM (and XMM) state; AVX-512 needs the opmask and both ZMM states.
  bool avx = false, avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512cd = false, avx512er = false, avx512pf = false, avx512vl = false, avx512dq = false,
       avx512bw = false;
  if (osxsave) {
    const uint64_t xcr0 = read_xcr0();
    if ((xcr0 & 0x6) == 0x6) {  // bit_XMM_state | bit_YMM_state
      if (bit(l1_ecx, 28)) {
        avx = true;
        avx2 = bit(l7_ebx, 5);
        fma = bit(l1_ecx, 12);
        f16c = bit(l1_ecx, 29);
      }
      if ((xcr0 & 0xe0) == 0xe0 && bit(l7_ebx, 16)) {  // Opmask, ZMM0_15, ZMM16_31 state
        avx512f = true;
        avx512cd = bit(l7_ebx, 28);
        avx512er = bit(l7_ebx, 27);
        avx512pf = bit(l7_ebx, 26);
        avx512vl = bit(l7_ebx, 31);
        avx512dq = bit(l7_ebx, 17);
        avx512bw = bit(l7_ebx, 30);
      }
    }
  }
  // Zhaoxin models where glibc turns AVX and AVX2 off (init_cpu_features).
  if (zhaoxin) {
    uint32_t family = (l1_eax >> 8) & 0x0f;
    uint32_t model = ((l1_eax >> 4) & 0x0f) + ((l1_eax >> 12) & 0xf0);
    if ((family == 6 && (model == 0xf || model == 0x19)) || (family == 7 && (model == 0x1b || model == 0x3b))) {
      avx = avx2 = false;
    }
  }

  // get_isa_level.
  uint32_t levels = 0;
  if (cmov && cx8 && fpu && fxsr && mmx && sse && sse2) {
    levels |= kIsaBaseline;
    if (cmpxchg16b && lahf && popcnt && sse3 && ssse3 && sse4_1 && sse4_2) {
      levels |= kIsaV2;
      if (avx && avx2 && f16c && fma && lzcnt && movbe) {
        levels |= kIsaV3;
        if (avx512f && avx512bw && avx512cd && avx512dq && avx512vl) levels |= kIsaV4;
      }
    }
  }
  facts.isa_levels = levels;

  // dl_hwcap and dl_platform of an x86-64 loader: avx512_1 and the haswell / xeon_phi platforms only on Intel.
  facts.x86_64_hwcap = kHwcapX8664;
  if (intel) {
    if (avx512cd) {
      if (avx512er) {
        if (avx512pf) facts.x86_64_platform = "xeon_phi";
      } else if (avx512bw && avx512dq && avx512vl) {
        facts.x86_64_hwcap |= kHwcapAvx5121;
      }
    }
    if (facts.x86_64_platform == nullptr && avx2 && fma && bmi1 && bmi2 && lzcnt && movbe && popcnt) {
      facts.x86_64_platform = "haswell";
    }
  }
  // An i386 loader: HWCAP_X86_SSE2, and the platform i686 (CMOV) or i586 (CX8).
  facts.sse2 = sse2;
  facts.i686 = cmov;
  facts.i586 = cx8;
#endif
  return facts;
}
}  // namespace

uint32_t host_x86_isa_levels() { return host_x86_cpu_facts().isa_levels; }

std::vector<std::string> host_hwcaps_subdirs(uint16_t machine, uint8_t elf_class) {
  std::vector<std::string> subdirs;
  // x86-64 and x32 loaders share sysdeps/x86_64/dl-hwcaps-subdirs.c; each level needs the ones below it.
  if (machine != EM_X86_64 || (elf_class != ELFCLASS64 && elf_class != ELFCLASS32)) return subdirs;
  X86CpuFacts cpu = host_x86_cpu_facts();
  if (!cpu.is_x86) return subdirs;
  if (!(cpu.isa_levels & kIsaV2)) return subdirs;
  if (cpu.isa_levels & kIsaV3) {
    if (cpu.isa_levels & kIsaV4) subdirs.emplace_back("x86-64-v4");
    subdirs.emplace_back("x86-64-v3");
  }
  subdirs.emplace_back("x86-64-v2");
  return subdirs;
}

std::string x86_isa_level_name(int bit_number) {
  switch (bit_number) {
    case 0: return "x86-64-baseline";
    case 1: return "x86-64-v2";
    case 2: return "x86-64-v3";
    case 3: return "x86-64-v4";
    default: return fmt::format("x86 ISA level bit {}", bit_number);
  }
}

std::optional<LegacyHwcapFilter> host_legacy_hwcap_filter(uint16_t machine, uint8_t elf_class) {
  X86CpuFacts cpu = host_x86_cpu_facts();
  if (!cpu.is_x86) return std::nullopt;
  LegacyHwcapFilter filter;
  if (machine == EM_X86_64) {
    // x86-64 (and x32, built with __x86_64__): HWCAP_IMPORTANT is X86_64 | AVX512_1, platforms haswell and
    // xeon_phi (indices 2 and 3); AT_PLATFORM "x86_64" is neither, so the platform bit is all ones then.
    filter.hwcap = cpu.x86_64_hwcap & (kHwcapX8664 | kHwcapAvx5121);
    filter.platform_mask = uint64_t{0xf} << kFirstPlatform;
    if (cpu.x86_64_platform != nullptr) {
      int index = std::string_view(cpu.x86_64_platform) == "haswell" ? 2 : 3;
      filter.platform = uint64_t{1} << (kFirstPlatform + index);
    }
    return filter;
  }
  if (machine == EM_386 && elf_class == ELFCLASS32) {
    // i386: HWCAP_IMPORTANT is SSE2, platforms i586 and i686 (indices 0 and 1). Without CMOV or CX8 the kernel's
    // AT_PLATFORM stays; for a 32-bit process on an x86-64 kernel that is "i686".
    filter.hwcap = cpu.sse2 ? kHwcapSse2 : 0;
    filter.platform_mask = uint64_t{0x3} << kFirstPlatform;
    int index = cpu.i686 || !cpu.i586 ? 1 : 0;
    filter.platform = uint64_t{1} << (kFirstPlatform + index);
    return filter;
  }
  return std::nullopt;
}

}  // namespace elfrun::loader
