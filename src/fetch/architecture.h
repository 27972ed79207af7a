// Which Debian architecture's packages a program needs: the program's machine, class, byte order and ABI bits of
// e_flags, looked up in the one machine table (loader/machine_facts.h: its debian_arch column), and kept only when
// the architecture is one of Debian's own archive (not debian-ports: ppc64, x32, sparc64... have no suite there
// that apt could be pointed at with the machine's mirror and keyring).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "elf/elf_object.h"

namespace elfrun::fetch {

// "amd64" for an x86-64 program, "arm64", "armhf" (EABI hard-float) or "armel" (soft-float), "s390x", "ppc64el"
// (little-endian only: big-endian ppc64 is a ports architecture), "riscv64" (lp64d only), "mips64el", "loong64"...;
// nullopt when Debian's archive has none for it.
std::optional<std::string> debian_architecture(uint16_t machine, uint8_t elf_class, elf::ByteOrder order,
                                               uint32_t e_flags);
std::optional<std::string> debian_architecture(const elf::ElfObject& object);

// Whether `arch` is an architecture of Debian's own archive (one of some suite elfrun knows).
bool is_archive_architecture(const std::string& arch);

// Whether a suite's Release (or InRelease) text lists `arch` in its Architectures field; true when it has no such
// field (nothing known against it). bookworm's lists no riscv64: apt-get update then succeeds and fetches no
// Packages index for it, and the suite simply has no candidate.
bool release_has_architecture(std::string_view release, std::string_view arch);

}  // namespace elfrun::fetch
