// Whether a file the search found can be loaded by a given loader: glibc's open_verify (elf/dl-load.c) — a wrong
// class or machine skips the candidate and the search goes on; bad magic, the wrong byte order and the other header
// faults stop the loader with its own message.
#pragma once

#include <cstdint>
#include <string>

#include "elf/byte_source.h"

namespace elfrun::loader {

// What the loader expects of every object it loads: the program's class, byte order, machine and ABI flags.
struct LoadTarget {
  uint8_t elf_class = 0;
  uint8_t data = 0;
  uint16_t machine = 0;
  uint32_t flags = 0;  // e_flags of the program, for the ABI checks some machines make
};

enum class Verdict : uint8_t { accept, skip, fatal };

struct CandidateCheck {
  Verdict verdict = Verdict::accept;
  std::string reason;  // why it was skipped, or the loader's fatal message ("invalid ELF header")
};

// Checks the header of a candidate the way glibc's open_verify does, in its order.
CandidateCheck check_candidate(const elf::ByteSource& bytes, const LoadTarget& target);

}  // namespace elfrun::loader
