// The ELF reader: turns a file's bytes into an ElfObject, for each of the four layouts.
// It reads what the kernel (fs/binfmt_elf.c) and the loader (glibc elf/dl-load.c, elf/get-dynamic-info.h) read, in
// the way they read it: PT_INTERP from the file, the dynamic section through PT_DYNAMIC, the addresses it holds
// mapped through PT_LOAD with p_filesz respected. Section headers are only a fallback (notes of a relocatable file,
// strip state, debuglink) and their problems are warnings.
#include <elf.h>
#include <fmt/format.h>

#include "elf/elf_object.h"
#include "elf/layout.h"

namespace elfrun::elf {

namespace {

// Kernel fs/binfmt_elf.c refuses a PT_INTERP longer than PATH_MAX or shorter than 2 bytes.
constexpr uint64_t kPathMax = 4096;

// Work and memory stay linear in the file size, whatever a hostile file says. Entries may name the same bytes of a
// table over and over (a thousand DT_NEEDED at offsets 0, 1, 2... of one long string, a thousand PT_NOTE over the
// whole file, version records that overlap): every string copied and every note area scanned is charged to a budget
// a few times the size of what it is read from. A real file names each string a few times at most (a library in
// DT_NEEDED and in DT_VERNEED, a version under each library that defines it), and its version records and note
// segments do not overlap.
constexpr uint64_t kStringCopiesPerTableByte = 8;
constexpr uint64_t kNoteScansPerFileByte = 2;
constexpr uint64_t kBudgetSlack = 64 * 1024;

std::string hex(uint64_t value) { return fmt::format("{:#x}", value); }

const char* segment_name(uint32_t type) {
  switch (type) {
    case PT_LOAD: return "PT_LOAD";
    case PT_DYNAMIC: return "PT_DYNAMIC";
    case PT_INTERP: return "PT_INTERP";
    case PT_NOTE: return "PT_NOTE";
    default: return nullptr;
  }
}

std::string program_header_label(size_t index, uint32_t type) {
  const char* name = segment_name(type);
  return name ? fmt::format("program header {} ({})", index, name) : fmt::format("program header {}", index);
}

template <typename ELFT>
class Reader {
 public:
  using Ehdr = typename ELFT::Ehdr;
  using Phdr = typename ELFT::Phdr;
  using Shdr = typename ELFT::Shdr;
  using Dyn = typename ELFT::Dyn;
  static constexpr std::endian E = ELFT::kOrder;
  static constexpr const char* kClassName = ELFT::kIs64 ? "ELF64" : "ELF32";

  explicit Reader(const ByteSource& source)
      : source_(source), note_budget_(kNoteScansPerFileByte * source.size() + kBudgetSlack) {}

  Expected<ElfObject> parse() {
    object_.file_size = source_.size();
    if (auto r = read_header(); !r) return r.error();
    if (auto r = read_program_headers(); !r) return r.error();
    read_section_headers();  // before notes: a file without PT_NOTE takes its notes from sections
    if (auto r = read_interpreter(); !r) return r.error();
    if (auto r = read_dynamic(); !r) return r.error();
    if (auto r = read_notes(); !r) return r.error();
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
    // Names are copied out of the names section within a budget (see kStringCopiesPerTableByte), and a name that
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
            section.name = std::string(*name);
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
      auto segment = segment_bytes(i);
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

  // The file bytes behind a virtual address, up to the end of the file contents of its PT_LOAD segment.
  std::optional<ByteView> map_address(uint64_t address) const {
    for (const ProgramHeader& ph : object_.program_headers) {
      if (ph.type != PT_LOAD) continue;
      if (address < ph.vaddr || address - ph.vaddr >= ph.filesz) continue;
      // The segment first, then the offset inside it: in a core file (whose PT_LOADs are not checked) p_offset +
      // delta could wrap around to a wrong but valid offset.
      auto segment = source_.bytes(ph.offset, ph.filesz);
      if (!segment) return std::nullopt;
      return segment->tail(address - ph.vaddr);
    }
    return std::nullopt;
  }

  bool address_is_mapped(uint64_t address) const {
    for (const ProgramHeader& ph : object_.program_headers) {
      if (ph.type == PT_LOAD && address >= ph.vaddr && address - ph.vaddr < ph.memsz) return true;
    }
    return false;
  }

  Expected<ByteView> mapped_table(const char* tag_name, uint64_t address) const {
    auto bytes = map_address(address);
    if (!bytes) {
      return Error{fmt::format("dynamic section: {} {} is not inside the file contents of any PT_LOAD segment",
                               tag_name, hex(address))};
    }
    return *bytes;
  }

  // "DT_STRSZ 0x1b", or what bounds the string table when the file has no DT_STRSZ.
  std::string strtab_end(ByteView strtab) const {
    if (strtab_sized_) return fmt::format("DT_STRSZ {}", hex(strtab.size()));
    return fmt::format("the end of its PT_LOAD segment's file contents, {} bytes from DT_STRTAB", hex(strtab.size()));
  }

  Expected<std::string> dynamic_string(ByteView strtab, const std::string& what, uint64_t offset) {
    if (offset >= strtab.size()) {
      return Error{fmt::format("dynamic section: {}: string offset {} is past the end of the string table ({})", what,
                               hex(offset), strtab_end(strtab))};
    }
    auto text = strtab.c_string(offset);
    if (!text) {
      return Error{
          fmt::format("dynamic section: {}: the string at offset {} has no terminating NUL before the end of "
                      "the string table ({})",
                      what, hex(offset), strtab_end(strtab))};
    }
    if (text->size() >= string_budget_) {
      return Error{
          fmt::format("dynamic section: {}: the strings read so far add up to more than {} times the string "
                      "table ({}): its entries name the same bytes over and over",
                      what, kStringCopiesPerTableByte, strtab_end(strtab))};
    }
    string_budget_ -= text->size() + 1;
    return std::string(*text);
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
    auto segment = segment_bytes(index);
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
    ByteView strtab;
    bool needs_strings = !string_entries.empty() || info.verneed || info.verdef;
    if (needs_strings) {
      if (!info.strtab) return Error{fmt::format("{}: the dynamic section names strings but has no DT_STRTAB", label)};
      auto table = mapped_table("DT_STRTAB", *info.strtab);
      if (!table) return table.error();
      strtab = *table;
      if (info.strsz) {
        auto sized = strtab.subspan(0, *info.strsz);
        if (!sized) {
          return Error{
              fmt::format("dynamic section: DT_STRTAB {} + DT_STRSZ {} is past the end of its PT_LOAD "
                          "segment's file contents ({} bytes from DT_STRTAB)",
                          hex(*info.strtab), hex(*info.strsz), hex(strtab.size()))};
        }
        strtab = *sized;
        strtab_sized_ = true;
      }
      string_budget_ = kStringCopiesPerTableByte * strtab.size() + kBudgetSlack;
    }
    size_t needed_index = 0;
    for (auto [tag, offset] : string_entries) {
      std::string what;
      switch (tag) {
        case DT_NEEDED: what = fmt::format("DT_NEEDED entry {}", needed_index++); break;
        case DT_SONAME: what = "DT_SONAME"; break;
        case DT_RPATH: what = "DT_RPATH"; break;
        case DT_RUNPATH: what = "DT_RUNPATH"; break;
        case DT_AUDIT: what = "DT_AUDIT"; break;
        case DT_DEPAUDIT: what = "DT_DEPAUDIT"; break;
        case DT_FILTER: what = "DT_FILTER"; break;
        default: what = "DT_AUXILIARY"; break;
      }
      auto text = dynamic_string(strtab, what.c_str(), offset);
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
      if (auto r = read_version_needs(info, strtab); !r) return r.error();
    }
    if (info.verdef) {
      if (auto r = read_version_definitions(info, strtab); !r) return r.error();
    }
    object_.dynamic = std::move(info);
    return {};
  }

  // glibc elf/dl-version.c walks vn_next / vna_next until a zero link; DT_VERNEEDNUM only bounds it. Links are
  // unsigned and checked against the end of the segment, so a hostile chain cannot loop (a 32-bit loader adding
  // 0xfffffff0 would step back; here it is past the end). Records do not overlap in a real file: a chain with more
  // records than its bytes can hold is refused, which keeps the walk linear.
  Expected<void> read_version_needs(DynamicInfo& info, ByteView strtab) {
    auto table = mapped_table("DT_VERNEED", *info.verneed);
    if (!table) return table.error();
    const std::string end = segment_end(table->size(), "DT_VERNEED");
    uint64_t records_left = table->size() / sizeof(Verneed<E>);  // a Vernaux has the same 16 bytes
    auto overlapping = [&](std::string what) {
      return Error{
          fmt::format("dynamic section: {}: the chain holds more records than fit before {}: its records "
                      "overlap",
                      what, end)};
    };
    uint64_t offset = 0;
    for (size_t i = 0;; ++i) {
      auto need = table->template read<Verneed<E>>(offset);
      if (!need) {
        return Error{fmt::format("dynamic section: DT_VERNEED entry {} at offset {} is past {}", i, hex(offset), end)};
      }
      if (records_left-- == 0) return overlapping(fmt::format("DT_VERNEED entry {}", i));
      VersionNeed version_need;
      auto file = dynamic_string(strtab, fmt::format("DT_VERNEED entry {} vn_file", i), need->vn_file);
      if (!file) return file.error();
      version_need.file = std::move(*file);
      uint64_t aux_offset = offset;
      uint32_t aux_step = need->vn_aux;
      for (uint32_t j = 0; j < need->vn_cnt; ++j) {
        if (aux_step > table->size() - aux_offset) {
          return Error{
              fmt::format("dynamic section: DT_VERNEED entry {} version {}: {} {} from offset {} leads past {}", i, j,
                          j == 0 ? "vn_aux" : "vna_next", hex(aux_step), hex(aux_offset), end)};
        }
        aux_offset += aux_step;
        auto aux = table->template read<Vernaux<E>>(aux_offset);
        if (!aux) {
          return Error{fmt::format("dynamic section: DT_VERNEED entry {} version {} at offset {} is past {}", i, j,
                                   hex(aux_offset), end)};
        }
        if (records_left-- == 0) return overlapping(fmt::format("DT_VERNEED entry {} version {}", i, j));
        auto name = dynamic_string(strtab, fmt::format("DT_VERNEED entry {} version {} vna_name", i, j), aux->vna_name);
        if (!name) return name.error();
        version_need.versions.push_back({std::move(*name), aux->vna_hash, aux->vna_flags, aux->vna_other});
        if (aux->vna_next == 0) break;
        aux_step = aux->vna_next;
      }
      info.version_needs.push_back(std::move(version_need));
      if (need->vn_next == 0) break;
      if (need->vn_next > table->size() - offset) {
        return Error{fmt::format("dynamic section: DT_VERNEED entry {}: vn_next {} from offset {} leads past {}", i,
                                 hex(need->vn_next), hex(offset), end)};
      }
      offset += need->vn_next;
    }
    return {};
  }

  // The same walk over vd_next / vda_next (glibc elf/dl-version.c _dl_check_map_versions).
  Expected<void> read_version_definitions(DynamicInfo& info, ByteView strtab) {
    auto table = mapped_table("DT_VERDEF", *info.verdef);
    if (!table) return table.error();
    const std::string end = segment_end(table->size(), "DT_VERDEF");
    uint64_t records_left = table->size() / sizeof(Verdaux<E>);  // the smaller record: 8 bytes, a Verdef has 20
    auto overlapping = [&](std::string what) {
      return Error{
          fmt::format("dynamic section: {}: the chain holds more records than fit before {}: its records "
                      "overlap",
                      what, end)};
    };
    uint64_t offset = 0;
    for (size_t i = 0;; ++i) {
      auto def = table->template read<Verdef<E>>(offset);
      if (!def) {
        return Error{fmt::format("dynamic section: DT_VERDEF entry {} at offset {} is past {}", i, hex(offset), end)};
      }
      if (records_left-- == 0) return overlapping(fmt::format("DT_VERDEF entry {}", i));
      VersionDefinition definition;
      definition.index = def->vd_ndx;
      definition.flags = def->vd_flags;
      definition.hash = def->vd_hash;
      uint64_t aux_offset = offset;
      uint32_t aux_step = def->vd_aux;
      for (uint32_t j = 0; j < def->vd_cnt; ++j) {
        if (aux_step > table->size() - aux_offset) {
          return Error{fmt::format("dynamic section: DT_VERDEF entry {} name {}: {} {} from offset {} leads past {}", i,
                                   j, j == 0 ? "vd_aux" : "vda_next", hex(aux_step), hex(aux_offset), end)};
        }
        aux_offset += aux_step;
        auto aux = table->template read<Verdaux<E>>(aux_offset);
        if (!aux) {
          return Error{fmt::format("dynamic section: DT_VERDEF entry {} name {} at offset {} is past {}", i, j,
                                   hex(aux_offset), end)};
        }
        if (records_left-- == 0) return overlapping(fmt::format("DT_VERDEF entry {} name {}", i, j));
        auto name = dynamic_string(strtab, fmt::format("DT_VERDEF entry {} name {} vda_name", i, j), aux->vda_name);
        if (!name) return name.error();
        definition.names.push_back(std::move(*name));
        if (aux->vda_next == 0) break;
        aux_step = aux->vda_next;
      }
      info.version_definitions.push_back(std::move(definition));
      if (def->vd_next == 0) break;
      if (def->vd_next > table->size() - offset) {
        return Error{fmt::format("dynamic section: DT_VERDEF entry {}: vd_next {} from offset {} leads past {}", i,
                                 hex(def->vd_next), hex(offset), end)};
      }
      offset += def->vd_next;
    }
    return {};
  }

  // "the end of its PT_LOAD segment's file contents (0x2c bytes from DT_VERNEED)"
  static std::string segment_end(uint64_t size, const char* tag) {
    return fmt::format("the end of its PT_LOAD segment's file contents ({} bytes from {})", hex(size), tag);
  }

  Expected<void> read_notes() {
    const auto& phdrs = object_.program_headers;
    bool any_segment = false;
    for (size_t i = 0; i < phdrs.size(); ++i) {
      if (phdrs[i].type != PT_NOTE) continue;
      any_segment = true;
      std::string label = program_header_label(i, PT_NOTE);
      if (!take_note_budget(phdrs[i].filesz, label)) break;
      auto bytes = segment_bytes(i);
      if (!bytes) return bytes.error();
      if (auto r = read_note_area(*bytes, phdrs[i].align, label); !r) return r.error();
    }
    // Notes the segments lack may still be in SHT_NOTE sections: a Go program's PT_NOTE covers only the Go note,
    // while its GNU build-id sits in .note.gnu.build-id (readelf and file read it there). Segment values win.
    if (any_segment && object_.notes.build_id) return {};
    for (size_t i = 0; i < object_.sections.size(); ++i) {
      const SectionHeader& s = object_.sections[i];
      if (s.type != SHT_NOTE) continue;
      auto bytes = source_.bytes(s.offset, s.size);
      std::string label = fmt::format("section header {} ({})", i, s.name);
      if (!bytes) {
        object_.warnings.push_back(fmt::format("{}: sh_offset {} + sh_size {} is past the end of the file ({})", label,
                                               hex(s.offset), hex(s.size), hex(source_.size())));
        continue;
      }
      if (!take_note_budget(s.size, label)) break;
      if (auto r = read_note_area(*bytes, s.addralign, label); !r) object_.warnings.push_back(r.error().message);
    }
    return {};
  }

  // Charges a note area to the budget. When the areas scanned so far cover the file more than twice over, this one
  // and the rest are skipped, with one warning.
  bool take_note_budget(uint64_t size, const std::string& label) {
    if (size > note_budget_) {
      object_.warnings.push_back(
          fmt::format("{} and the notes after it are not read: the note areas before it "
                      "already cover the file {} times over (they overlap)",
                      label, kNoteScansPerFileByte));
      return false;
    }
    note_budget_ -= size;
    return true;
  }

  // glibc elf/dl-load.c and the kernel align the name and descriptor to 8 bytes in an 8-aligned note segment
  // (GNU properties in ELF64), and to 4 bytes otherwise.
  Expected<void> read_note_area(ByteView area, uint64_t align, const std::string& label) {
    uint64_t alignment = align == 8 ? 8 : 4;
    auto pad = [alignment](uint64_t n) { return (n + alignment - 1) & ~(alignment - 1); };
    uint64_t offset = 0;
    for (size_t i = 0; offset < area.size(); ++i) {
      auto header = area.template read<Nhdr<E>>(offset);
      if (!header) {
        return Error{fmt::format("{}: note {} at offset {} has no room for its 12-byte header ({} bytes left)", label,
                                 i, hex(offset), area.size() - offset)};
      }
      uint64_t name_size = header->n_namesz;
      uint64_t desc_size = header->n_descsz;
      uint64_t name_offset = offset + sizeof(Nhdr<E>);
      uint64_t left = area.size() - name_offset;
      // The descriptor starts at the note's start + 12 + n_namesz rounded up to the alignment (glibc
      // include/elf.h ELF_NOTE_DESC_OFFSET): with 8-byte alignment "GNU\0" needs no padding after the 12-byte header.
      uint64_t name_padded = pad(sizeof(Nhdr<E>) + name_size) - sizeof(Nhdr<E>);  // n_namesz < 2^32: no overflow
      if (name_padded > left || pad(desc_size) > left - name_padded) {
        // The last note of an area may be unpadded: accept exactly-sized data.
        if (!(name_padded <= left && desc_size <= left - name_padded)) {
          return Error{
              fmt::format("{}: note {} at offset {}: n_namesz {} + n_descsz {} is past the end of the notes "
                          "({} bytes left after its 12-byte header)",
                          label, i, hex(offset), hex(name_size), hex(desc_size), left)};
        }
      }
      ByteView name = *area.subspan(name_offset, name_size);
      ByteView desc = *area.subspan(name_offset + name_padded, desc_size);
      decode_note(name, header->n_type, desc);
      uint64_t step = sizeof(Nhdr<E>) + name_padded + pad(desc_size);
      if (step > area.size() - offset) break;
      offset += step;
    }
    return {};
  }

  uint32_t read_u32(ByteView bytes, uint64_t offset) const { return *bytes.template read<U32<E>>(offset); }

  void decode_note(ByteView name_bytes, uint32_t type, ByteView desc) {
    std::string_view name = name_bytes.as_string_view();
    if (!name.empty() && name.back() == '\0') name.remove_suffix(1);
    Notes& notes = object_.notes;
    if (name == "GNU") {
      if (type == NT_GNU_ABI_TAG && desc.size() >= 16) {
        if (!notes.abi_tag)
          notes.abi_tag = Notes::AbiTag{read_u32(desc, 0), read_u32(desc, 4), read_u32(desc, 8), read_u32(desc, 12)};
      } else if (type == NT_GNU_BUILD_ID) {
        if (!notes.build_id) notes.build_id = std::vector<uint8_t>(desc.data(), desc.data() + desc.size());
      } else if (type == NT_GNU_GOLD_VERSION) {
        notes.gnu_gold_version = std::string(desc.as_string_view().substr(0, desc.as_string_view().find('\0')));
      } else if (type == NT_GNU_PROPERTY_TYPE_0) {
        decode_gnu_properties(desc);
      }
    } else if (name == "Go" && type == 4) {
      notes.go_build_id = std::string(desc.as_string_view().substr(0, desc.as_string_view().find('\0')));
    }
  }

  // GNU property arrays: pr_type, pr_datasz, then the data padded to 8 bytes in ELF64 and 4 in ELF32.
  void decode_gnu_properties(ByteView desc) {
    constexpr uint32_t kX86IsaUsed = 0xc0010002;
    constexpr uint32_t kX86IsaNeeded = 0xc0008002;
    constexpr uint32_t kX86Feature1And = 0xc0000002;
    constexpr uint32_t kAarch64Feature1And = 0xc0000000;
    const uint64_t alignment = ELFT::kIs64 ? 8 : 4;
    uint16_t machine = object_.header.machine;
    bool x86 = machine == EM_X86_64 || machine == EM_386;
    uint64_t offset = 0;
    while (desc.contains(offset, 8)) {
      uint32_t pr_type = read_u32(desc, offset);
      uint32_t pr_datasz = read_u32(desc, offset + 4);
      offset += 8;
      if (!desc.contains(offset, pr_datasz)) break;
      if (pr_datasz == 4) {
        uint32_t value = read_u32(desc, offset);
        Notes& notes = object_.notes;
        if (x86 && pr_type == kX86IsaNeeded) notes.x86_isa_needed = value;
        if (x86 && pr_type == kX86IsaUsed) notes.x86_isa_used = value;
        if (x86 && pr_type == kX86Feature1And) notes.x86_features = value;
        if (machine == EM_AARCH64 && pr_type == kAarch64Feature1And) notes.aarch64_features = value;
      }
      uint64_t padded = (uint64_t{pr_datasz} + alignment - 1) & ~(alignment - 1);
      if (padded > desc.size() - offset) break;
      offset += padded;
    }
  }

  // True when [offset, offset + length) lies in the file. Checks without reading: in the pread fallback,
  // source_.bytes() would read (and keep) the whole range.
  bool in_file(uint64_t offset, uint64_t length) const {
    return offset <= source_.size() && length <= source_.size() - offset;
  }

  // The file contents of a program header that read_program_headers checked against the file size. Only the pread
  // fallback can fail here (an I/O error, or a segment too large to read into memory at once).
  Expected<ByteView> segment_bytes(size_t index) const {
    const ProgramHeader& ph = object_.program_headers[index];
    auto bytes = source_.bytes(ph.offset, ph.filesz);
    if (!bytes) {
      return Error{fmt::format("{}: its {} bytes at p_offset {} cannot be read", program_header_label(index, ph.type),
                               hex(ph.filesz), hex(ph.offset))};
    }
    return *bytes;
  }

  const ByteSource& source_;
  ElfObject object_;
  uint64_t string_budget_ = 0;  // bytes the dynamic section's strings may still copy
  uint64_t note_budget_;        // bytes of note areas that may still be scanned
  bool strtab_sized_ = false;   // DT_STRSZ bounds the string table (else the end of its PT_LOAD segment does)
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
