// Machine facts: what a Linux loader and kernel do per machine and ABI, as one data table keyed by e_machine, class
// and the ABI bits of e_flags. Loader names, ld.so.cache flags, glibc-hwcaps subdirectories, vdso names and qemu-user
// names live here and nowhere else.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "elf/elf_object.h"

namespace elfrun::loader {

struct MachineFacts {
  uint16_t machine = 0;           // e_machine
  uint8_t elf_class = 0;          // ELFCLASS32 / ELFCLASS64
  elf::ByteOrder byte_order = elf::ByteOrder::little;
  std::string_view abi;            // short ABI name: "x86-64", "x32", "i386", "aarch64", "armhf", "armel", "riscv64",
                                   // "s390x", "ppc64" (ELFv1), "ppc64le", "mips64el-n64"...
  std::string_view glibc_loader;   // canonical PT_INTERP of glibc programs: "/lib64/ld-linux-x86-64.so.2"
  std::string_view musl_arch;      // musl's loader is /lib/ld-musl-<musl_arch>.so.1: "x86_64", "aarch64", "armhf"
  std::string_view debian_triplet; // "x86_64-linux-gnu", "aarch64-linux-gnu", "arm-linux-gnueabihf"...
  std::string_view debian_arch;    // "amd64", "arm64", "armhf", "i386"...: libc6-<arch>-cross, --arch
  int32_t cache_flags = 0;         // glibc's _DL_CACHE_DEFAULT_ID for this ABI (FLAG_ELF_LIBC6 | FLAG_X8664_LIB64...)
  std::string_view vdso;           // the vdso line ld.so --list prints natively: "linux-vdso.so.1", "linux-gate.so.1",
                                   // "linux-vdso64.so.1"; empty when the kernel maps none
  std::string_view qemu;           // qemu-user binary: "qemu-aarch64"
  std::string_view platform;       // the usual AT_PLATFORM: "x86_64", "i686", "aarch64", "v7l"...
  std::vector<std::string_view> hwcaps_subdirs;  // glibc-hwcaps names, best first: "x86-64-v4", ..., "power10", ...
  // Added by loader-facts: which objects the row describes, and the whole _dl_cache_check_flags rule.
  uint32_t e_flags_mask = 0;  // the row matches when (e_flags & e_flags_mask) == e_flags_value
  uint32_t e_flags_value = 0;
  // Every cache entry flags value this ABI's loader accepts (_dl_cache_check_flags): {0x303} for x86-64,
  // {1, 3} for i386 (generic), {0x903, 3} for armhf (cache_flags alone cannot tell armhf from i386 or armel).
  std::vector<int32_t> cache_accepted_flags;
};

// The facts for an ELF object (by machine, class, byte order and e_flags ABI bits); nullptr when unknown.
const MachineFacts* machine_facts(const elf::ElfObject& object);
const MachineFacts* machine_facts(uint16_t machine, uint8_t elf_class, elf::ByteOrder order, uint32_t e_flags);

// Every entry of the table (for loader discovery and tests).
const std::vector<MachineFacts>& all_machine_facts();

// The first row whose abi is `abi` ("x86-64", "armhf"...); nullptr when none.
const MachineFacts* machine_facts_by_abi(std::string_view abi);

// True when the loader of this ABI accepts a cache entry with these flags (glibc's _dl_cache_check_flags).
bool cache_flags_accepted(const MachineFacts& facts, int32_t flags);

}  // namespace elfrun::loader
