// Names for display: e_machine, OS ABI and e_type names, e_flags decoded per machine (ARM EABI and float ABI,
// RISC-V float ABI and RVC/RVE, ppc64 ELFv1/v2, MIPS ABI, arch level and NaN encoding), dynamic-section flag names
// (DF_*, DF_1_*), GNU property bits (x86 ISA level and features, AArch64 BTI/PAC) and core-file signal names.
// Everything here is a data table keyed by number; nothing reads a file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace elfrun::elf {

// Short, human name of an e_machine value: "x86-64", "i386", "AArch64", "ARM", "RISC-V", "S/390", "PowerPC64".
// Unknown values give "machine <number>".
std::string machine_name(uint16_t machine);

// The OS ABI byte of e_ident: "SYSV", "GNU/Linux", "FreeBSD"... ("OS ABI <number>" when unknown). Values 64 and up
// are machine-specific ("ARM EABI" on ARM).
std::string os_abi_name(uint8_t os_abi, uint16_t machine);

// e_type: "none", "relocatable", "executable", "shared object", "core", or "OS-specific 0xfe01"...
std::string type_name(uint16_t type);

// e_flags decoded for the machine and class, in a fixed order: {"EABI5", "hard-float"}, {"RVC", "double-float ABI"},
// {"ELFv2"}, {"n32", "mips64r2", "nan2008"}, {"x32"} (EM_X86_64 in ELFCLASS32). Empty for machines whose flags
// carry nothing the loader looks at.
std::vector<std::string_view> decode_e_flags(uint16_t machine, uint8_t elf_class, uint32_t flags);

// DT_FLAGS and DT_FLAGS_1 bit names, as readelf spells them ("BIND_NOW", "NOW", "PIE"); an unnamed bit gives
// "0x<bit>".
std::vector<std::string> dynamic_flag_names(uint64_t flags);
std::vector<std::string> dynamic_flag_1_names(uint64_t flags_1);

// GNU property bits. ISA levels: "x86-64-baseline", "x86-64-v2", "x86-64-v3", "x86-64-v4". x86 features: "IBT",
// "SHSTK", "LAM_U48", "LAM_U57". AArch64 features: "BTI", "PAC", "GCS". Unnamed bits give "0x<bit>".
std::vector<std::string> x86_isa_names(uint32_t bits);
std::vector<std::string> x86_feature_names(uint32_t bits);
std::vector<std::string> aarch64_feature_names(uint32_t bits);

// The OS of an NT_GNU_ABI_TAG note: "Linux", "Hurd", "Solaris", "FreeBSD" ("OS <number>" when unknown).
std::string abi_tag_os_name(uint32_t os);

// A signal number as the kernel of that machine numbers it ("SIGSEGV"); empty when unknown. MIPS, SPARC, Alpha and
// PA-RISC number several signals differently from the generic table: their differing numbers give empty.
std::string_view signal_name(uint16_t machine, uint32_t signal);

}  // namespace elfrun::elf
