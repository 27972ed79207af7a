// glibc elf/dl-load.c open_verify, with the per-machine elf_machine_matches_host checks of sysdeps/*/dl-machine.h.
#include "loader/candidate.h"

#include <elf.h>

#include <fmt/format.h>

#include <algorithm>

namespace elfrun::loader {

namespace {

// sysdeps/generic/libc-abis: DEFAULT, UNIQUE, IFUNC, ABSOLUTE, then LIBC_ABI_MAX.
constexpr uint8_t kLibcAbiMax = 4;

uint16_t read16(const unsigned char* p, bool big) {
  return big ? static_cast<uint16_t>(p[0] << 8 | p[1]) : static_cast<uint16_t>(p[1] << 8 | p[0]);
}
uint32_t read32(const unsigned char* p, bool big) {
  return big ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
             : (uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0]);
}

// elf_machine_matches_host of the target's machine.
bool machine_matches(uint16_t machine, uint32_t flags, const LoadTarget& target) {
  switch (target.machine) {
    case EM_S390:
      return machine == EM_S390 || machine == 0xa390;  // EM_S390_OLD
    case EM_PPC64: {
      // sysdeps/powerpc/powerpc64/dl-machine.h: an object that states an ABI version must have the loader's.
      uint32_t expected = (target.flags & 3) != 0 ? (target.flags & 3) : (target.data == ELFDATA2MSB ? 1 : 2);
      return machine == EM_PPC64 && ((flags & 3) == 0 || (flags & 3) == expected);
    }
    case EM_RISCV:
      // sysdeps/riscv/dl-machine.h: the float ABI must be the loader's.
      return machine == EM_RISCV && (flags & 0x6) == (target.flags & 0x6);
    default:
      return machine == target.machine;
  }
}

}  // namespace

CandidateCheck check_candidate(const elf::ByteSource& bytes, const LoadTarget& target) {
  const bool is64 = target.elf_class == ELFCLASS64;
  const uint64_t ehdr_size = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
  auto header = bytes.bytes(0, ehdr_size);
  if (!header) return {Verdict::fatal, "file too short"};
  const unsigned char* e = header->data();
  bool magic = e[EI_MAG0] == ELFMAG0 && e[EI_MAG1] == ELFMAG1 && e[EI_MAG2] == ELFMAG2 && e[EI_MAG3] == ELFMAG3;
  if (!magic) return {Verdict::fatal, "invalid ELF header"};
  if (e[EI_CLASS] != target.elf_class) {
    return {Verdict::skip, e[EI_CLASS] == ELFCLASS64   ? "wrong ELF class: ELFCLASS64"
                           : e[EI_CLASS] == ELFCLASS32 ? "wrong ELF class: ELFCLASS32"
                                                       : fmt::format("wrong ELF class: {}", e[EI_CLASS])};
  }
  const bool big = target.data == ELFDATA2MSB;
  // Debian 12's ld.so (glibc 2.36-9+deb12u14; seen in its machine code and by experiment, not in upstream's
  // elf/dl-load.c) checks e_machine, read in its own byte order, right after the class when e_ident is not what it
  // expects: a big-endian s390x or ppc64 library on an x86-64 search path is skipped like a wrong machine, and only a
  // file whose e_machine still matches stops the loader with the byte-order (or OS ABI, padding...) message.
  const bool ident_ok = e[EI_DATA] == target.data && e[EI_VERSION] == EV_CURRENT &&
                        (e[EI_OSABI] == ELFOSABI_SYSV || e[EI_OSABI] == ELFOSABI_GNU) &&
                        (e[EI_ABIVERSION] == 0 || (e[EI_OSABI] == ELFOSABI_GNU && e[EI_ABIVERSION] < kLibcAbiMax)) &&
                        std::all_of(e + EI_PAD, e + EI_NIDENT, [](unsigned char c) { return c == 0; });
  if (!ident_ok && !machine_matches(read16(e + 18, big), read32(e + (is64 ? 48 : 36), big), target)) {
    return {Verdict::skip, e[EI_DATA] != target.data
                               ? fmt::format("wrong byte order and machine: {}-endian, e_machine {:#x} as read",
                                             e[EI_DATA] == ELFDATA2MSB ? "big" : "little", read16(e + 18, big))
                               : fmt::format("wrong machine: e_machine {}", read16(e + 18, big))};
  }
  if (e[EI_DATA] != target.data) {
    return {Verdict::fatal, target.data == ELFDATA2MSB ? "ELF file data encoding not big-endian"
                                                        : "ELF file data encoding not little-endian"};
  }
  if (e[EI_VERSION] != EV_CURRENT) return {Verdict::fatal, "ELF file version ident does not match current one"};
  uint8_t os_abi = e[EI_OSABI];
  if (os_abi != ELFOSABI_SYSV && os_abi != ELFOSABI_GNU) return {Verdict::fatal, "ELF file OS ABI invalid"};
  uint8_t abi_version = e[EI_ABIVERSION];
  if (!(abi_version == 0 || (os_abi == ELFOSABI_GNU && abi_version < kLibcAbiMax))) {
    return {Verdict::fatal, "ELF file ABI version invalid"};
  }
  for (int i = EI_PAD; i < EI_NIDENT; ++i) {
    if (e[i] != 0) return {Verdict::fatal, "nonzero padding in e_ident"};
  }
  // e_type at 16, e_machine at 18, e_version at 20 in both classes; e_flags and e_phentsize depend on the class.
  uint16_t type = read16(e + 16, big);
  uint16_t machine = read16(e + 18, big);
  uint32_t version = read32(e + 20, big);
  uint32_t flags = read32(e + (is64 ? 48 : 36), big);
  uint16_t phentsize = read16(e + (is64 ? 54 : 42), big);
  if (version != EV_CURRENT) return {Verdict::fatal, "ELF file version does not match current one"};
  if (!machine_matches(machine, flags, target)) {
    return {Verdict::skip, fmt::format("wrong machine: e_machine {}", machine)};
  }
  if (type != ET_DYN && type != ET_EXEC) return {Verdict::fatal, "only ET_DYN and ET_EXEC can be loaded"};
  if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr))) {
    return {Verdict::fatal, "ELF file's phentsize not the expected size"};
  }
  return {Verdict::accept, {}};
}

}  // namespace elfrun::loader
