// The glibc-hwcaps subdirectories this CPU supports, by glibc's own definitions (sysdeps/x86/get-isa-level.h and
// the x86-64-vN levels; power and z levels where elfrun runs there), and the x86 ISA level bits of a GNU property.
#pragma once

#include <cstdint>
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

}  // namespace elfrun::loader
