// The glibc-hwcaps subdirectories this CPU supports, by glibc's own definitions (sysdeps/x86/get-isa-level.h and
// the x86-64-vN levels; power and z levels where elfrun runs there), and the x86 ISA level bits of a GNU property.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace elfrun::loader {

// The x86-64 ISA levels this CPU and OS support (cpuid + xgetbv, "usable" as glibc defines it): a bit mask with
// bit 0 = baseline, 1 = v2, 2 = v3, 3 = v4, the same bits as GNU_PROPERTY_X86_ISA_1_NEEDED.
uint32_t host_x86_isa_levels();

// The glibc-hwcaps subdirectories the host's loader of a given machine would search, best first
// (e.g. {"x86-64-v3", "x86-64-v2"} on a v3 CPU for an x86-64 program; empty for i386 or a foreign machine).
std::vector<std::string> host_hwcaps_subdirs(uint16_t machine, uint8_t elf_class);

// "x86-64-v2" for bit 1 and so on; the names a user reads.
std::string x86_isa_level_name(int bit);

// Added by loader-facts. What a glibc < 2.37 loader knows of legacy hwcaps, as elf/dl-cache.c search_cache uses it
// to filter cache entries whose hwcap field has legacy bits (libraries ldconfig found in tls/, x86_64/, haswell/,
// i686/, sse2/... subdirectories): GLRO(dl_hwcap) & hwcap_mask, _DL_HWCAP_PLATFORM, and the bit of the platform.
struct LegacyHwcapFilter {
  uint64_t hwcap = 0;          // GLRO(dl_hwcap) & GET_HWCAP_MASK()
  uint64_t platform_mask = 0;  // _DL_HWCAP_PLATFORM; 0 when the machine has no platform bits (_DL_PLATFORMS_COUNT 0)
  uint64_t platform = ~uint64_t{0};  // 1 << _dl_string_platform(GLRO(dl_platform)); all ones when not a known one
};

// The filter of the host's loader for programs of this machine and class: x86-64 and i386 on an x86 CPU (from
// cpuid, as sysdeps/x86/cpu-features.c sets dl_hwcap and dl_platform); nullopt for anything else, whose legacy
// hwcap entries the cache lookup then skips.
std::optional<LegacyHwcapFilter> host_legacy_hwcap_filter(uint16_t machine, uint8_t elf_class);

// The raw CPU facts host_x86_isa_levels and host_legacy_hwcap_filter are computed from, for tests and `-v`.
struct X86CpuFacts {
  bool is_x86 = false;        // false when not built for x86 (no cpuid)
  bool intel = false;         // "GenuineIntel": glibc sets the haswell / xeon_phi platforms and avx512_1 only there
  uint32_t isa_levels = 0;    // get_isa_level() bits: 1 baseline, 2 v2, 4 v3, 8 v4
  uint64_t x86_64_hwcap = 0;  // dl_hwcap & mask of an x86-64 loader (HWCAP_X86_64 | HWCAP_X86_AVX512_1)
  const char* x86_64_platform = nullptr;  // "haswell", "xeon_phi" or nullptr (AT_PLATFORM "x86_64" stays)
  bool sse2 = false;                      // i386: HWCAP_X86_SSE2
  bool i686 = false;                      // i386 platform "i686" (CMOV) else "i586" (CX8)
  bool i586 = false;
};
X86CpuFacts host_x86_cpu_facts();

}  // namespace elfrun::loader
