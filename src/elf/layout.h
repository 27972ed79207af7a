// The on-disk ELF structures for the four layouts, ELF32LE, ELF32BE, ELF64LE and ELF64BE, as one template
// (after LLVM's ELFType<E, Is64>). Fields are endian-aware integers (integers.h), so the structures can be read
// from any offset with ByteView::read and every field access swaps as needed.
#pragma once

#include <bit>
#include <cstdint>

#include "elf/integers.h"

namespace elfrun::elf {

template <std::endian E, bool Is64>
struct Layout;

template <std::endian E>
struct Layout<E, false> {
  static constexpr std::endian kOrder = E;
  static constexpr bool kIs64 = false;
  using Half = U16<E>;
  using Word = U32<E>;
  using Sword = I32<E>;
  using Addr = U32<E>;
  using Off = U32<E>;
  using Xword = U32<E>;  // d_val and friends are 32-bit in ELF32
  using Sxword = I32<E>;

  struct Ehdr {
    unsigned char e_ident[16];
    Half e_type, e_machine;
    Word e_version;
    Addr e_entry;
    Off e_phoff, e_shoff;
    Word e_flags;
    Half e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
  };
  struct Phdr {
    Word p_type;
    Off p_offset;
    Addr p_vaddr, p_paddr;
    Word p_filesz, p_memsz, p_flags, p_align;
  };
  struct Shdr {
    Word sh_name, sh_type, sh_flags;
    Addr sh_addr;
    Off sh_offset;
    Word sh_size, sh_link, sh_info, sh_addralign, sh_entsize;
  };
  struct Dyn {
    Sword d_tag;
    Word d_val;
  };
  struct Sym {
    Word st_name;
    Addr st_value;
    Word st_size;
    unsigned char st_info, st_other;
    Half st_shndx;
  };
};

template <std::endian E>
struct Layout<E, true> {
  static constexpr std::endian kOrder = E;
  static constexpr bool kIs64 = true;
  using Half = U16<E>;
  using Word = U32<E>;
  using Sword = I32<E>;
  using Addr = U64<E>;
  using Off = U64<E>;
  using Xword = U64<E>;
  using Sxword = I64<E>;

  struct Ehdr {
    unsigned char e_ident[16];
    Half e_type, e_machine;
    Word e_version;
    Addr e_entry;
    Off e_phoff, e_shoff;
    Word e_flags;
    Half e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
  };
  struct Phdr {
    Word p_type, p_flags;
    Off p_offset;
    Addr p_vaddr, p_paddr;
    Xword p_filesz, p_memsz, p_align;
  };
  struct Shdr {
    Word sh_name, sh_type;
    Xword sh_flags;
    Addr sh_addr;
    Off sh_offset;
    Xword sh_size;
    Word sh_link, sh_info;
    Xword sh_addralign, sh_entsize;
  };
  struct Dyn {
    Sxword d_tag;
    Xword d_val;
  };
  struct Sym {
    Word st_name;
    unsigned char st_info, st_other;
    Half st_shndx;
    Addr st_value;
    Xword st_size;
  };
};

// Structures whose layout is the same in both classes.
template <std::endian E>
struct Nhdr {
  U32<E> n_namesz, n_descsz, n_type;
};
template <std::endian E>
struct Verneed {
  U16<E> vn_version, vn_cnt;
  U32<E> vn_file, vn_aux, vn_next;
};
template <std::endian E>
struct Vernaux {
  U32<E> vna_hash;
  U16<E> vna_flags, vna_other;
  U32<E> vna_name, vna_next;
};
template <std::endian E>
struct Verdef {
  U16<E> vd_version, vd_flags, vd_ndx, vd_cnt;
  U32<E> vd_hash, vd_aux, vd_next;
};
template <std::endian E>
struct Verdaux {
  U32<E> vda_name, vda_next;
};

using Elf32LE = Layout<std::endian::little, false>;
using Elf32BE = Layout<std::endian::big, false>;
using Elf64LE = Layout<std::endian::little, true>;
using Elf64BE = Layout<std::endian::big, true>;

static_assert(sizeof(Elf32LE::Ehdr) == 52 && sizeof(Elf64BE::Ehdr) == 64);
static_assert(sizeof(Elf32LE::Phdr) == 32 && sizeof(Elf64LE::Phdr) == 56);
static_assert(sizeof(Elf32BE::Shdr) == 40 && sizeof(Elf64BE::Shdr) == 64);
static_assert(sizeof(Elf32LE::Dyn) == 8 && sizeof(Elf64LE::Dyn) == 16);
static_assert(sizeof(Elf32LE::Sym) == 16 && sizeof(Elf64LE::Sym) == 24);
static_assert(sizeof(Verneed<std::endian::big>) == 16 && sizeof(Vernaux<std::endian::big>) == 16);
static_assert(sizeof(Verdef<std::endian::big>) == 20 && sizeof(Verdaux<std::endian::big>) == 8);

}  // namespace elfrun::elf
