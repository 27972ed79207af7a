// The ELF reader: turns a file's bytes into an ElfObject, for each of the four layouts.
// It reads what the kernel (fs/binfmt_elf.c) and the loader (glibc elf/dl-load.c, elf/get-dynamic-info.h) read, in
// the way they read it: PT_INTERP from the file, the dynamic section through PT_DYNAMIC, the addresses it holds
// mapped through PT_LOAD with p_filesz respected. Section headers are only a fallback (notes of a relocatable file,
// strip state, debuglink) and their problems are warnings. Notes (reader_notes.cc) and the symbol version chains
// (reader_versions.cc) are read by the other parts of the reader, declared in reader_parts.h; the four layouts are
// instantiated here, in parse_elf, and nowhere else.
#include <elf.h>
#include <fmt/format.h>

#include "elf/elf_object.h"
#include "elf/layout.h"
#include "elf/reader_parts.h"

namespace elfrun::elf {

namespace reader {

std::string program_header_label(size_t index, uint32_t type) {
  const char* name = nullptr;
  switch (type) {
    case PT_LOAD: name = "PT_LOAD"; break;
    case PT_DYNAMIC: name = "PT_DYNAMIC"; break;
    case PT_INTERP: name = "PT_INTERP"; break;
    case PT_NOTE: name = "PT_NOTE"; break;
    default: break;
  }
  return name ? fmt::format("program header {} ({})", index, name) : fmt::format("program header {}", index);
}

Expected<ByteView> segment_bytes(const ByteSource& source, const ElfObject& object, size_t index) {
  const ProgramHeader& ph = object.program_headers[index];
  auto bytes = source.bytes(ph.offset, ph.filesz);
  if (!bytes) {
    return Error{fmt::format("{}: its {} bytes at p_offset {} cannot be read", program_header_label(index, ph.type),
                             hex(ph.filesz), hex(ph.offset))};
  }
  return *bytes;
}

}  // namespace reader

namespace {

using reader::DynamicStrings;
using reader::hex;
using reader::kBudgetSlack;
using reader::kStringCopiesPerTableByte;
using reader::program_header_label;
using reader::SourceRange;

// Kernel fs/binfmt_elf.c refuses a PT_INTERP longer than PATH_MAX or shorter than 2 bytes.
constexpr uint64_t kPathMax = 4096;
// How much before the section header table is read with it (see read_section_headers).
constexpr uint64_t kBytesBeforeSectionHeaders = 8192;

template <typename ELFT>
class Reader {
 public:
  using Ehdr = typename ELFT::Ehdr;
  using Phdr = typename ELFT::Phdr;
  using Shdr = typename ELFT::Shdr;
  using Dyn = typename ELFT::Dyn;
  static constexpr std::endian E = ELFT::kOrder;
  static constexpr const char* kClassName = ELFT::kIs64 ? "ELF64" : "ELF32";

  explicit Reader(const ByteSource& source) : source_(source) {}

  Expected<ElfObject> parse() {
    object_.file_size = source_.size();
    if (auto r = read_header(); !r) return r.error();
    if (auto r = read_program_headers(); !r) return r.error();
    read_section_headers();  // before notes: a file without PT_NOTE takes its notes from sections
    if (auto r = read_interpreter(); !r) return r.error();
    if (auto r = read_dynamic(); !r) return r.error();
    if (auto r = reader::read_notes<E>(source_, object_); !r) return r.error();
    return std::move(object_);
  }

 private:
  Expected<void> read_header() {
    auto bytes = source_.bytes(0, sizeof(Ehdr));
    if (!bytes) {
      return Error{fmt::format("ELF header: the file has {} bytes, an {} header needs {}", source_.size(), kClassName,
                               sizeof(Ehdr))};
    }
    Ehdr ehdr = *bytes->template read<Ehdr>(0);
    Ident& ident = object_.ident;
    ident.elf_class = ehdr.e_ident[EI_CLASS];
    ident.data = ehdr.e_ident[EI_DATA];
    ident.version = ehdr.e_ident[EI_VERSION];
    ident.os_abi = ehdr.e_ident[EI_OSABI];
    ident.abi_version = ehdr.e_ident[EI_ABIVERSION];
    Header& header = object_.header;
    header.type = ehdr.e_type;
    header.machine = ehdr.e_machine;
    header.version = ehdr.e_version;
    header.entry = ehdr.e_entry;
    header.phoff = ehdr.e_phoff;
    header.shoff = ehdr.e_shoff;
    header.flags = ehdr.e_flags;
    header.ehsize = ehdr.e_ehsize;
    header.phentsize = ehdr.e_phentsize;
    header.phnum = ehdr.e_phnum;
    header.shentsize = ehdr.e_shentsize;
    header.shnum = ehdr.e_shnum;
    header.shstrndx = ehdr.e_shstrndx;
    return {};
  }

  // Section 0 holds the real counts when they do not fit the 16-bit header fields (PN_XNUM, SHN_XINDEX).
  std::optional<Shdr> section_zero() const {
    const Header& h = object_.header;
    if (h.shoff == 0 || h.shentsize != sizeof(Shdr)) return std::nullopt;
    auto bytes = source_.bytes(h.shoff, sizeof(Shdr));
    if (!bytes) return std::nullopt;
    return bytes->template read<Shdr>(0);
  }

  Expected<void> read_program_headers() {
    const Header& h = object_.header;
    uint64_t count = h.phnum;
    if (count == PN_XNUM) {
      auto zero = section_zero();
      if (!zero) {
        return Error{
            fmt::format("ELF header: e_phnum is PN_XNUM (0xffff), so the count is in section header 0, but "
                        "there is no section header 0 to read (e_shoff {}, e_shentsize {}, file size {})",
                        hex(h.shoff), h.shentsize, hex(source_.size()))};
      }
      count = zero->sh_info;
    }
    if (count == 0) return {};
    if (h.phentsize != sizeof(Phdr)) {
      return Error{fmt::format("ELF header: e_phentsize {} is not the size of an {} program header ({})", h.phentsize,
                               kClassName, sizeof(Phdr))};
    }
    // count < 2^32 and sizeof(Phdr) <= 56: the product cannot overflow 64 bits.
    uint64_t table_size = count * sizeof(Phdr);
    auto table = source_.bytes(h.phoff, table_size);
    if (!table) {
      return Error{
          fmt::format("program header table: e_phoff {} + {} entries × {} bytes is past the end of the file "
                      "({})",
                      hex(h.phoff), count, sizeof(Phdr), hex(source_.size()))};
    }
    object_.program_headers.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      Phdr p = *table->template read<Phdr>(i * sizeof(Phdr));
      ProgramHeader ph;
      ph.type = p.p_type;
      ph.flags = p.p_flags;
      ph.offset = p.p_offset;
      ph.vaddr = p.p_vaddr;
      ph.paddr = p.p_paddr;
      ph.filesz = p.p_filesz;
      ph.memsz = p.p_memsz;
      ph.align = p.p_align;
      // The segments the kernel maps and the loader reads must lie in the file. A core file may be truncated:
      // only its notes are read.
      bool checked = ph.type == PT_INTERP || ph.type == PT_DYNAMIC || ph.type == PT_NOTE ||
                     (ph.type == PT_LOAD && h.type != ET_CORE);
      if (checked && !in_file(ph.offset, ph.filesz)) {
        return Error{fmt::format("{}: p_offset {} + p_filesz {} is past the end of the file ({})",
                                 program_header_label(i, ph.type), hex(ph.offset), hex(ph.filesz),
                                 hex(source_.size()))};
      }
      object_.program_headers.push_back(ph);
    }
    return {};
  }

  void read_section_headers() {
    const Header& h = object_.header;
    if (h.shoff == 0) return;
    // First one read of the table with the bytes before it, where linkers put .gnu_debuglink and .shstrtab: a
    // source that reads the file lazily then serves the table, the names and the debug link from that one read. The
    // view itself is not used; every range below is asked for (and checked) on its own.
    if (h.shentsize == sizeof(Shdr) && h.shnum != 0) {
      uint64_t before = std::min<uint64_t>(h.shoff, kBytesBeforeSectionHeaders);
      source_.bytes(h.shoff - before, before + uint64_t{h.shnum} * sizeof(Shdr));
    }
    uint64_t count = h.shnum;
    auto zero = section_zero();
    if (count == 0 && zero) count = zero->sh_size;  // more than SHN_LORESERVE sections
    if (count == 0) return;
    if (h.shentsize != sizeof(Shdr)) {
      object_.warnings.push_back(fmt::format("ELF header: e_shentsize {} is not the size of an {} section header ({})",
                                             h.shentsize, kClassName, sizeof(Shdr)));
      return;
    }
    // The first test keeps count × sizeof(Shdr) from overflowing (count may come from section 0's 64-bit sh_size).
    std::optional<ByteView> table;
    if (count <= source_.size() / sizeof(Shdr)) table = source_.bytes(h.shoff, count * sizeof(Shdr));
    if (!table) {
      object_.warnings.push_back(
          fmt::format("section header table: e_shoff {} + {} entries × {} bytes is past the end of the file ({})",
                      hex(h.shoff), count, sizeof(Shdr), hex(source_.size())));
      return;
    }
    uint64_t names_index = h.shstrndx;
    if (names_index == SHN_XINDEX && zero) names_index = zero->sh_link;
    std::optional<ByteView> names;
    if (names_index != SHN_UNDEF && names_index < count) {
      Shdr s = *table->template read<Shdr>(names_index * sizeof(Shdr));
      if (s.sh_type == SHT_NOBITS) {
        object_.warnings.push_back(fmt::format(
            "section header {} (section names): its type is SHT_NOBITS, it has no contents in the file", names_index));
      } else {
        names = source_.bytes(s.sh_offset, s.sh_size);
        if (!names) {
          object_.warnings.push_back(fmt::format(
              "section header {} (section names): sh_offset {} + sh_size {} is past the end of the file ({})",
              names_index, hex(s.sh_offset), hex(s.sh_size), hex(source_.size())));
        }
      }
    } else if (names_index != SHN_UNDEF) {
      object_.warnings.push_back(
          fmt::format("ELF header: e_shstrndx {} is not below the section count ({})", names_index, count));
    }
    // One copy of the names section, shared by every copy of the object: the sections' names point into it.
    if (names) {
      auto copy = std::make_shared<const std::string>(names->as_string_view());
      names = ByteView(reinterpret_cast<const unsigned char*>(copy->data()), copy->size());
      object_.section_names = std::move(copy);
    }
    // Names are read out of the names section within a budget (see kStringCopiesPerTableByte), and a name that
    // cannot be read is reported once, with the count of the others.
    uint64_t name_budget = names ? kStringCopiesPerTableByte * names->size() + kBudgetSlack : 0;
    std::string bad_name;
    uint64_t bad_names = 0;
    object_.sections.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      Shdr s = *table->template read<Shdr>(i * sizeof(Shdr));
      SectionHeader section;
      section.type = s.sh_type;
      section.flags = s.sh_flags;
      section.addr = s.sh_addr;
      section.offset = s.sh_offset;
      section.size = s.sh_size;
      section.link = s.sh_link;
      section.info = s.sh_info;
      section.addralign = s.sh_addralign;
      section.entsize = s.sh_entsize;
      if (names && name_budget > 0) {
        // What reading the name costs: its length, or the bytes searched in vain for its NUL.
        auto name = names->c_string(s.sh_name);
        uint64_t scanned = name ? name->size() + 1 : s.sh_name < names->size() ? names->size() - s.sh_name : 0;
        if (scanned > name_budget) {
          object_.warnings.push_back(
              fmt::format("section header {}: its name and those after it are not read: the "
                          "names read so far add up to more than {} times the section names "
                          "({} bytes)",
                          i, kStringCopiesPerTableByte, hex(names->size())));
          name_budget = 0;
        } else {
          name_budget -= scanned;
          if (name) {
            section.name = *name;
          } else if (bad_names++ == 0) {
            bad_name = fmt::format(
                "section header {}: sh_name {} is past the end of the section names ({} bytes) or "
                "has no NUL",
                i, hex(uint32_t{s.sh_name}), hex(names->size()));
          }
        }
      }
      if (section.type == SHT_SYMTAB) object_.has_symtab = true;
      if (section.name == ".debug_info" || section.name == ".zdebug_info") object_.has_debug_info = true;
      object_.sections.push_back(std::move(section));
    }
    if (bad_names > 1) bad_name += fmt::format(" (and {} more sections whose names cannot be read)", bad_names - 1);
    if (bad_names > 0) object_.warnings.push_back(std::move(bad_name));
    if (const SectionHeader* link = object_.find_section(".gnu_debuglink"); link && link->type != SHT_NOBITS) {
      size_t index = static_cast<size_t>(link - object_.sections.data());
      auto bytes = source_.bytes(link->offset, link->size);
      auto name = bytes ? bytes->c_string(0) : std::nullopt;
      if (name) {
        object_.debuglink = std::string(*name);
      } else if (!bytes) {
        object_.warnings.push_back(fmt::format(
            "section header {} (.gnu_debuglink): sh_offset {} + sh_size {} is past the end of the file ({})", index,
            hex(link->offset), hex(link->size), hex(source_.size())));
      } else {
        object_.warnings.push_back(fmt::format(
            "section header {} (.gnu_debuglink): the debug file name has no NUL within its sh_size {} bytes", index,
            hex(link->size)));
      }
    }
  }

  Expected<void> read_interpreter() {
    const auto& phdrs = object_.program_headers;
    for (size_t i = 0; i < phdrs.size(); ++i) {
      const ProgramHeader& ph = phdrs[i];
      if (ph.type != PT_INTERP) continue;
      // A separate debug-info file (objcopy --only-keep-debug) keeps the program headers but not the contents:
      // the file has an interpreter, whose name is not in it. `file` says "interpreter *empty*".
      if (ph.filesz == 0) {
        object_.warnings.push_back(
            fmt::format("{}: p_filesz is 0: the interpreter path is not in the file (as in a "
                        "separate debug-info file)",
                        program_header_label(i, ph.type)));
        object_.interpreter = std::string();
        return {};
      }
      // Kernel fs/binfmt_elf.c: PATH_MAX at most, at least 2 bytes, and NUL-terminated in its last byte.
      if (ph.filesz > kPathMax || ph.filesz < 2) {
        return Error{
            fmt::format("{}: p_filesz {} is not a size the kernel accepts for the interpreter path (2 to {} "
                        "bytes, with its NUL)",
                        program_header_label(i, ph.type), ph.filesz, kPathMax)};
      }
      auto segment = reader::segment_bytes(source_, object_, i);
      if (!segment) return segment.error();
      ByteView bytes = *segment;
      if (bytes.data()[bytes.size() - 1] != 0) {
        return Error{fmt::format(
            "{}: the interpreter path does not end with a NUL byte (its last byte, at offset {}, "
            "is {})",
            program_header_label(i, ph.type), hex(ph.offset + ph.filesz - 1), hex(bytes.data()[bytes.size() - 1]))};
      }
      // As the kernel does, the path is what precedes the first NUL.
      object_.interpreter = std::string(*bytes.c_string(0));
      return {};  // the kernel takes the first PT_INTERP
    }
    return {};
  }

  // The file contents behind a virtual address, up to the end of the file contents of its PT_LOAD segment: a range
  // of the file, read only where it is walked.
  std::optional<SourceRange> map_address(uint64_t address) const {
    for (const ProgramHeader& ph : object_.program_headers) {
      if (ph.type != PT_LOAD) continue;
      if (address < ph.vaddr || address - ph.vaddr >= ph.filesz) continue;
      // The segment first, then the offset inside it: in a core file (whose PT_LOADs are not checked) p_offset +
      // delta could wrap around to a wrong but valid offset.
      if (!in_file(ph.offset, ph.filesz)) return std::nullopt;
      uint64_t delta = address - ph.vaddr;
      return SourceRange(source_, ph.offset + delta, ph.filesz - delta);
    }
    return std::nullopt;
  }

  bool address_is_mapped(uint64_t address) const {
    for (const ProgramHeader& ph : object_.program_headers) {
      if (ph.type == PT_LOAD && address >= ph.vaddr && address - ph.vaddr < ph.memsz) return true;
    }
    return false;
  }

  Expected<SourceRange> mapped_table(const char* tag_name, uint64_t address) const {
    auto range = map_address(address);
    if (!range) {
      return Error{fmt::format("dynamic section: {} {} is not inside the file contents of any PT_LOAD segment",
                               tag_name, hex(address))};
    }
    return *range;
  }

  Expected<void> read_dynamic() {
    const auto& phdrs = object_.program_headers;
    size_t index = phdrs.size();
    for (size_t i = 0; i < phdrs.size(); ++i) {
      if (phdrs[i].type == PT_DYNAMIC) {
        index = i;
        break;
      }
    }
    if (index == phdrs.size()) return {};
    const ProgramHeader& ph = phdrs[index];
    std::string label = program_header_label(index, ph.type);
    // glibc reads the dynamic section at l_addr + p_vaddr: it must be mapped by a PT_LOAD.
    if (object_.header.type != ET_CORE && !address_is_mapped(ph.vaddr)) {
      return Error{fmt::format("{}: p_vaddr {} is not inside any PT_LOAD segment", label, hex(ph.vaddr))};
    }
    auto segment = reader::segment_bytes(source_, object_, index);
    if (!segment) return segment.error();
    ByteView bytes = *segment;
    DynamicInfo info;
    uint64_t count = bytes.size() / sizeof(Dyn);
    bool terminated = false;
    for (uint64_t i = 0; i < count; ++i) {
      Dyn dyn = *bytes.template read<Dyn>(i * sizeof(Dyn));
      DynamicEntry entry{static_cast<int64_t>(dyn.d_tag), static_cast<uint64_t>(dyn.d_val)};
      if (entry.tag == DT_NULL) {
        terminated = true;
        break;
      }
      info.entries.push_back(entry);
    }
    // Past p_filesz the loader sees the zero fill of p_memsz, which reads as DT_NULL: that is how a separate
    // debug-info file (p_filesz 0) has an empty dynamic section.
    if (!terminated && ph.memsz > ph.filesz) terminated = true;
    if (!terminated) {
      return Error{
          fmt::format("{}: the dynamic section has no DT_NULL to end it (p_filesz {} holds {} entries, none "
                      "is DT_NULL, and p_memsz {} adds no zeros after them)",
                      label, hex(ph.filesz), count, hex(ph.memsz))};
    }
    std::vector<std::pair<int64_t, uint64_t>> string_entries;  // (tag, offset), in order
    for (const DynamicEntry& e : info.entries) {
      switch (e.tag) {
        case DT_NEEDED:
        case DT_SONAME:
        case DT_RPATH:
        case DT_RUNPATH:
        case DT_AUDIT:
        case DT_DEPAUDIT:
        case DT_FILTER:
        case DT_AUXILIARY: string_entries.emplace_back(e.tag, e.value); break;
        case DT_FLAGS: info.flags = e.value; break;
        case DT_FLAGS_1: info.flags_1 = e.value; break;
        case DT_SYMTAB: info.symtab = e.value; break;
        case DT_STRTAB: info.strtab = e.value; break;
        case DT_STRSZ: info.strsz = e.value; break;
        case DT_SYMENT: info.syment = e.value; break;
        case DT_VERSYM: info.versym = e.value; break;
        case DT_VERNEED: info.verneed = e.value; break;
        case DT_VERDEF: info.verdef = e.value; break;
        case DT_HASH: info.hash = e.value; break;
        case DT_GNU_HASH: info.gnu_hash = e.value; break;
        default: break;
      }
    }
    DynamicStrings strings;
    bool needs_strings = !string_entries.empty() || info.verneed || info.verdef;
    if (needs_strings) {
      if (!info.strtab) return Error{fmt::format("{}: the dynamic section names strings but has no DT_STRTAB", label)};
      auto table = mapped_table("DT_STRTAB", *info.strtab);
      if (!table) return table.error();
      SourceRange strtab = *table;
      if (info.strsz) {
        if (*info.strsz > strtab.size()) {
          return Error{
              fmt::format("dynamic section: DT_STRTAB {} + DT_STRSZ {} is past the end of its PT_LOAD "
                          "segment's file contents ({} bytes from DT_STRTAB)",
                          hex(*info.strtab), hex(*info.strsz), hex(strtab.size()))};
        }
        strtab = strtab.prefix(*info.strsz);
      }
      strings = DynamicStrings(strtab, info.strsz.has_value());
    }
    size_t needed_index = 0;
    for (auto [tag, offset] : string_entries) {
      // Named only for a message: "DT_NEEDED entry 2".
      auto describe = [tag = tag, needed_index]() -> std::string {
        switch (tag) {
          case DT_NEEDED: return fmt::format("DT_NEEDED entry {}", needed_index);
          case DT_SONAME: return "DT_SONAME";
          case DT_RPATH: return "DT_RPATH";
          case DT_RUNPATH: return "DT_RUNPATH";
          case DT_AUDIT: return "DT_AUDIT";
          case DT_DEPAUDIT: return "DT_DEPAUDIT";
          case DT_FILTER: return "DT_FILTER";
          default: return "DT_AUXILIARY";
        }
      };
      if (tag == DT_NEEDED) ++needed_index;
      auto text = strings.string_at(offset, describe);
      if (!text) return text.error();
      switch (tag) {
        case DT_NEEDED: info.needed.push_back(std::move(*text)); break;
        // glibc elf/get-dynamic-info.h keeps the last of repeated single-valued tags.
        case DT_SONAME: info.soname = std::move(*text); break;
        case DT_RPATH: info.rpath = std::move(*text); break;
        case DT_RUNPATH: info.runpath = std::move(*text); break;
        case DT_AUDIT: info.audit = std::move(*text); break;
        case DT_DEPAUDIT: info.depaudit = std::move(*text); break;
        case DT_FILTER: info.filters.push_back(std::move(*text)); break;
        default: info.auxiliaries.push_back(std::move(*text)); break;
      }
    }
    if (info.verneed) {
      auto table = mapped_table("DT_VERNEED", *info.verneed);
      if (!table) return table.error();
      auto needs = reader::read_version_needs<E>(*table, strings);
      if (!needs) return needs.error();
      info.version_needs = std::move(*needs);
    }
    if (info.verdef) {
      auto table = mapped_table("DT_VERDEF", *info.verdef);
      if (!table) return table.error();
      auto definitions = reader::read_version_definitions<E>(*table, strings);
      if (!definitions) return definitions.error();
      info.version_definitions = std::move(*definitions);
    }
    object_.dynamic = std::move(info);
    return {};
  }

  // True when [offset, offset + length) lies in the file. Checks without reading: in the pread fallback,
  // source_.bytes() would read (and keep) the whole range.
  bool in_file(uint64_t offset, uint64_t length) const {
    return offset <= source_.size() && length <= source_.size() - offset;
  }

  const ByteSource& source_;
  ElfObject object_;
};

}  // namespace

bool DynamicInfo::bind_now() const { return (flags & DF_BIND_NOW) != 0 || (flags_1 & DF_1_NOW) != 0; }

const ProgramHeader* ElfObject::find_segment(uint32_t type) const {
  for (const ProgramHeader& ph : program_headers) {
    if (ph.type == type) return &ph;
  }
  return nullptr;
}

const SectionHeader* ElfObject::find_section(std::string_view name) const {
  for (const SectionHeader& s : sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool has_elf_magic(ByteView bytes) {
  return bytes.size() >= 4 && bytes.data()[0] == 0x7f && bytes.data()[1] == 'E' && bytes.data()[2] == 'L' &&
         bytes.data()[3] == 'F';
}

// The one dispatch on the layout: the identification bytes choose one of the four instantiations.
Expected<ElfObject> parse_elf(const ByteSource& source) {
  auto ident = source.bytes_up_to(0, EI_NIDENT);
  if (!ident || !has_elf_magic(*ident)) return Error{"not an ELF file (no \\x7fELF magic number)"};
  if (ident->size() < EI_NIDENT) {
    return Error{fmt::format("ELF identification: the file has {} bytes, the identification needs {}", ident->size(),
                             EI_NIDENT)};
  }
  uint8_t elf_class = ident->data()[EI_CLASS];
  uint8_t data = ident->data()[EI_DATA];
  uint8_t version = ident->data()[EI_VERSION];
  if (elf_class != ELFCLASS32 && elf_class != ELFCLASS64) {
    return Error{
        fmt::format("ELF identification: EI_CLASS {} is neither ELFCLASS32 (1) nor ELFCLASS64 (2)", elf_class)};
  }
  if (data != ELFDATA2LSB && data != ELFDATA2MSB) {
    return Error{fmt::format("ELF identification: EI_DATA {} is neither ELFDATA2LSB (1) nor ELFDATA2MSB (2)", data)};
  }
  if (version != EV_CURRENT) {
    return Error{fmt::format("ELF identification: EI_VERSION {} is not EV_CURRENT (1)", version)};
  }
  bool big = data == ELFDATA2MSB;
  if (elf_class == ELFCLASS32) {
    return big ? Reader<Elf32BE>(source).parse() : Reader<Elf32LE>(source).parse();
  }
  return big ? Reader<Elf64BE>(source).parse() : Reader<Elf64LE>(source).parse();
}

}  // namespace elfrun::elf
