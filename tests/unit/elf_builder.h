// ElfBuilder: writes small, valid ELF images in memory for any of the four layouts (Elf32LE, Elf32BE, Elf64LE,
// Elf64BE), so that tests build their input instead of shipping binaries. An image has what the loader reads —
// ELF header, program headers, PT_INTERP, one PT_LOAD mapping the whole file, PT_DYNAMIC (DT_NEEDED, SONAME, RPATH,
// RUNPATH, FLAGS, FLAGS_1, VERNEED, VERDEF, any raw entry), PT_NOTE (ABI tag, build-id, GNU properties) — and section
// headers naming each part. ElfImage then tells where every part is and edits fields in place (in the file's byte
// order), which is how the malformed-input tests corrupt exactly one field.
//
//   auto image = ElfBuilder<Elf64BE>().interpreter("/lib/ld.so.1").needed("libc.so.6").build();
//   image.edit_phdr(image.phdr_index(PT_DYNAMIC), [](auto& p) { p.p_vaddr = 0x999999; });
//   auto object = image.parse();
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "elf/layout.h"

namespace elfrun::test {

using elf::Elf32BE;
using elf::Elf32LE;
using elf::Elf64BE;
using elf::Elf64LE;

// "Elf64BE" and friends: names for typed tests and for files written from them.
template <typename ELFT>
constexpr const char* layout_name() {
  if constexpr (ELFT::kIs64) return ELFT::kOrder == std::endian::little ? "Elf64LE" : "Elf64BE";
  return ELFT::kOrder == std::endian::little ? "Elf32LE" : "Elf32BE";
}

// A built file: its bytes, where each part landed, and in-place editors. Virtual address = kBase + file offset.
template <typename ELFT>
class ElfImage {
 public:
  using Ehdr = typename ELFT::Ehdr;
  using Phdr = typename ELFT::Phdr;
  using Shdr = typename ELFT::Shdr;
  using Dyn = typename ELFT::Dyn;
  static constexpr std::endian E = ELFT::kOrder;
  static constexpr uint64_t kBase = 0x10000;

  std::vector<unsigned char> bytes;

  // File offsets of the parts (0 when absent) and the index of each program header and section by type / name.
  uint64_t interp_offset = 0;
  uint64_t dynamic_offset = 0;
  uint64_t dynstr_offset = 0;
  uint64_t dynstr_size = 0;
  uint64_t verneed_offset = 0;
  uint64_t verdef_offset = 0;
  std::vector<std::pair<uint64_t, uint64_t>> note_areas;  // (offset, size) of each PT_NOTE
  std::map<uint32_t, size_t> phdr_indexes;                // first program header of each p_type
  std::map<std::string, size_t> section_indexes;          // by section name
  std::map<std::string, uint64_t> string_offsets;         // offset of each string in .dynstr

  uint64_t size() const { return bytes.size(); }
  static uint64_t vaddr(uint64_t offset) { return kBase + offset; }

  size_t phdr_index(uint32_t type) const { return phdr_indexes.at(type); }
  size_t section_index(const std::string& name) const { return section_indexes.at(name); }
  uint64_t string_offset(const std::string& text) const { return string_offsets.at(text); }

  // Any on-disk structure at a file offset; fields are endian-aware, so `edit` reads, lets the caller change
  // fields naturally, and writes back in the file's byte order.
  template <typename T>
  T get(uint64_t offset) const {
    if (offset > bytes.size() || sizeof(T) > bytes.size() - offset) throw std::out_of_range("ElfImage::get");
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
  }
  template <typename T>
  void put(uint64_t offset, const T& value) {
    if (offset > bytes.size() || sizeof(T) > bytes.size() - offset) throw std::out_of_range("ElfImage::put");
    std::memcpy(bytes.data() + offset, &value, sizeof(T));
  }
  template <typename T, typename F>
  void edit(uint64_t offset, F&& change) {
    T value = get<T>(offset);
    change(value);
    put(offset, value);
  }

  Ehdr ehdr() const { return get<Ehdr>(0); }
  uint64_t phdr_offset(size_t index) const { return ehdr().e_phoff + index * sizeof(Phdr); }
  uint64_t shdr_offset(size_t index) const { return ehdr().e_shoff + index * sizeof(Shdr); }
  uint64_t dyn_offset(size_t index) const { return dynamic_offset + index * sizeof(Dyn); }
  Phdr phdr(size_t index) const { return get<Phdr>(phdr_offset(index)); }
  Shdr shdr(size_t index) const { return get<Shdr>(shdr_offset(index)); }
  Dyn dyn(size_t index) const { return get<Dyn>(dyn_offset(index)); }

  template <typename F>
  void edit_ehdr(F&& change) {
    edit<Ehdr>(0, change);
  }
  template <typename F>
  void edit_phdr(size_t index, F&& change) {
    edit<Phdr>(phdr_offset(index), change);
  }
  template <typename F>
  void edit_shdr(size_t index, F&& change) {
    edit<Shdr>(shdr_offset(index), change);
  }
  template <typename F>
  void edit_dyn(size_t index, F&& change) {
    edit<Dyn>(dyn_offset(index), change);
  }

  // The index of the first dynamic entry with `tag` (DT_NULL included).
  size_t dyn_index(int64_t tag) const {
    for (size_t i = 0;; ++i) {
      Dyn d = dyn(i);
      if (static_cast<int64_t>(d.d_tag) == tag) return i;
      if (static_cast<int64_t>(d.d_tag) == DT_NULL) throw std::out_of_range("ElfImage::dyn_index: no such tag");
    }
  }
  void set_dyn(size_t index, int64_t tag, uint64_t value) {
    edit_dyn(index, [&](Dyn& d) {
      d.d_tag = static_cast<decltype(+d.d_tag)>(tag);
      d.d_val = static_cast<decltype(+d.d_val)>(value);
    });
  }

  void truncate(uint64_t size) { bytes.resize(size); }

  // Appends bytes at the end of the file (aligned to `align`) and grows the PT_LOAD to map them. Returns their
  // file offset; their address is vaddr(offset).
  uint64_t append(const std::vector<unsigned char>& data, uint64_t align = 8) {
    uint64_t offset = (bytes.size() + align - 1) / align * align;
    bytes.resize(offset);
    bytes.insert(bytes.end(), data.begin(), data.end());
    if (auto load = phdr_indexes.find(PT_LOAD); load != phdr_indexes.end()) {
      edit_phdr(load->second, [&](Phdr& p) {
        p.p_filesz = bytes.size();
        p.p_memsz = bytes.size();
      });
    }
    return offset;
  }

  // Adds a program header: the table is rewritten at the end of the file with one more entry (e_phoff and e_phnum
  // follow), inside the PT_LOAD. Returns the index of the new header.
  size_t append_phdr(const Phdr& added) {
    std::vector<Phdr> table;
    for (size_t i = 0; i < ehdr().e_phnum; ++i) table.push_back(phdr(i));
    table.push_back(added);
    std::vector<unsigned char> data(table.size() * sizeof(Phdr));
    std::memcpy(data.data(), table.data(), data.size());
    uint64_t offset = append(data);
    edit_ehdr([&](Ehdr& e) {
      e.e_phoff = offset;
      e.e_phnum = static_cast<uint16_t>(table.size());
    });
    if (auto load = phdr_indexes.find(PT_LOAD); load != phdr_indexes.end()) {
      edit_phdr(load->second, [&](Phdr& p) {
        p.p_filesz = bytes.size();
        p.p_memsz = bytes.size();
      });
    }
    return table.size() - 1;
  }

  std::unique_ptr<elf::ByteSource> source() const { return elf::ByteSource::from_memory(bytes.data(), bytes.size()); }
  Expected<elf::ElfObject> parse() const { return elf::parse_elf(*source()); }
};

template <typename ELFT>
class ElfBuilder {
 public:
  using Image = ElfImage<ELFT>;
  using Ehdr = typename ELFT::Ehdr;
  using Phdr = typename ELFT::Phdr;
  using Shdr = typename ELFT::Shdr;
  using Dyn = typename ELFT::Dyn;
  static constexpr std::endian E = ELFT::kOrder;
  static constexpr bool kIs64 = ELFT::kIs64;

  struct Version {  // one Vernaux of a DT_VERNEED entry
    std::string name;
    uint32_t hash = 0;
    uint16_t flags = 0;
    uint16_t index = 0;
  };
  struct Note {
    std::string name;  // written with its NUL
    uint32_t type = 0;
    std::vector<unsigned char> desc;
  };

  ElfBuilder& type(uint16_t value) {
    type_ = value;
    return *this;
  }
  ElfBuilder& machine(uint16_t value) {
    machine_ = value;
    return *this;
  }
  ElfBuilder& flags(uint32_t value) {
    flags_ = value;
    return *this;
  }
  ElfBuilder& entry(uint64_t value) {
    entry_ = value;
    return *this;
  }
  ElfBuilder& os_abi(uint8_t value) {
    os_abi_ = value;
    return *this;
  }

  ElfBuilder& interpreter(std::string path) {
    interpreter_ = std::move(path);
    return *this;
  }

  // A PT_DYNAMIC is written when any of these is used (or dynamic() asks for an empty one).
  ElfBuilder& dynamic() {
    dynamic_ = true;
    return *this;
  }
  ElfBuilder& needed(std::string name) {
    needed_.push_back(std::move(name));
    return dynamic();
  }
  ElfBuilder& soname(std::string name) {
    soname_ = std::move(name);
    return dynamic();
  }
  ElfBuilder& rpath(std::string path) {
    rpath_ = std::move(path);
    return dynamic();
  }
  ElfBuilder& runpath(std::string path) {
    runpath_ = std::move(path);
    return dynamic();
  }
  ElfBuilder& dt_flags(uint64_t value) { return dynamic_entry(DT_FLAGS, value); }
  ElfBuilder& dt_flags_1(uint64_t value) { return dynamic_entry(DT_FLAGS_1, value); }
  // Written after the entries above and before DT_NULL, in order.
  ElfBuilder& dynamic_entry(int64_t tag, uint64_t value) {
    extra_dynamic_.emplace_back(tag, value);
    return dynamic();
  }
  ElfBuilder& version_need(std::string file, std::vector<Version> versions) {
    version_needs_.emplace_back(std::move(file), std::move(versions));
    return dynamic();
  }
  // names[0] is the version defined, the rest its parents.
  ElfBuilder& version_definition(uint16_t index, uint16_t flags, std::vector<std::string> names) {
    version_definitions_.push_back({index, flags, std::move(names)});
    return dynamic();
  }

  ElfBuilder& note(std::string name, uint32_t type, std::vector<unsigned char> desc) {
    notes_.push_back({std::move(name), type, std::move(desc)});
    return *this;
  }
  ElfBuilder& abi_tag(uint32_t os, uint32_t major, uint32_t minor, uint32_t patch) {
    return note("GNU", NT_GNU_ABI_TAG, words({os, major, minor, patch}));
  }
  ElfBuilder& build_id(std::vector<unsigned char> id) { return note("GNU", NT_GNU_BUILD_ID, std::move(id)); }
  // One 4-byte GNU property; all of them go into one NT_GNU_PROPERTY_TYPE_0 note of their own PT_NOTE, aligned to
  // 8 bytes in ELF64 as linkers write it.
  ElfBuilder& gnu_property(uint32_t type, uint32_t value) {
    properties_.emplace_back(type, value);
    return *this;
  }

  ElfBuilder& section_headers(bool present) {
    section_headers_ = present;
    return *this;
  }
  // Without program headers (a relocatable file): e_phoff and e_phnum are 0; notes are found through sections.
  ElfBuilder& program_headers(bool present) {
    program_headers_ = present;
    return *this;
  }
  ElfBuilder& symtab() {
    symtab_ = true;
    return *this;
  }
  ElfBuilder& debuglink(std::string file) {
    debuglink_ = std::move(file);
    return *this;
  }

  Image build() const {
    Image image;
    Writer w{image.bytes};
    w.put(Ehdr{});

    // Program headers: INTERP, LOAD, DYNAMIC, NOTE (properties), NOTE (the rest), as linkers order them.
    std::vector<uint32_t> segment_types;
    if (interpreter_) segment_types.push_back(PT_INTERP);
    segment_types.push_back(PT_LOAD);
    if (dynamic_) segment_types.push_back(PT_DYNAMIC);
    if (!properties_.empty()) segment_types.push_back(PT_NOTE);
    if (!notes_.empty()) segment_types.push_back(PT_NOTE);
    uint64_t phoff = w.align(sizeof(typename ELFT::Addr));
    std::vector<Phdr> phdrs(segment_types.size());
    for (size_t i = 0; i < segment_types.size(); ++i) {
      phdrs[i].p_type = segment_types[i];
      image.phdr_indexes.emplace(segment_types[i], i);
    }
    w.skip(phdrs.size() * sizeof(Phdr));
    auto segment = [&](uint32_t type, size_t nth) -> Phdr& {
      size_t seen = 0;
      for (size_t i = 0; i < phdrs.size(); ++i) {
        if (segment_types[i] == type && seen++ == nth) return phdrs[i];
      }
      throw std::logic_error("ElfBuilder: no such segment");
    };
    auto place = [&](Phdr& p, uint64_t offset, uint64_t size, uint64_t align, uint32_t flags) {
      p.p_offset = offset;
      p.p_vaddr = Image::vaddr(offset);
      p.p_paddr = Image::vaddr(offset);
      p.p_filesz = size;
      p.p_memsz = size;
      p.p_align = align;
      p.p_flags = flags;
    };

    Sections sections;
    if (interpreter_) {
      image.interp_offset = w.offset();
      w.bytes(interpreter_->data(), interpreter_->size());
      w.byte(0);
      place(segment(PT_INTERP, 0), image.interp_offset, interpreter_->size() + 1, 1, PF_R);
      sections.add(".interp", SHT_PROGBITS, SHF_ALLOC, image.interp_offset, interpreter_->size() + 1, 1);
    }

    size_t note_segment = 0;
    if (!properties_.empty()) {
      uint64_t align = kIs64 ? 8 : 4;
      std::vector<unsigned char> desc;
      for (auto [type, value] : properties_) {
        append(desc, words({type, 4, value}));
        if (kIs64) append(desc, words({0}));  // pr_data padded to 8 bytes
      }
      uint64_t offset = w.align(align);
      write_note(w, {"GNU", NT_GNU_PROPERTY_TYPE_0, desc}, align);
      place(segment(PT_NOTE, note_segment++), offset, w.offset() - offset, align, PF_R);
      image.note_areas.emplace_back(offset, w.offset() - offset);
      sections.add(".note.gnu.property", SHT_NOTE, SHF_ALLOC, offset, w.offset() - offset, align);
    }
    if (!notes_.empty()) {
      uint64_t offset = w.align(4);
      for (const Note& n : notes_) write_note(w, n, 4);
      place(segment(PT_NOTE, note_segment++), offset, w.offset() - offset, 4, PF_R);
      image.note_areas.emplace_back(offset, w.offset() - offset);
      sections.add(".note", SHT_NOTE, SHF_ALLOC, offset, w.offset() - offset, 4);
    }

    if (dynamic_) write_dynamic(w, image, sections, segment(PT_DYNAMIC, 0), place);

    if (symtab_) {
      uint64_t strtab = w.offset();
      w.byte(0);
      sections.add(".strtab", SHT_STRTAB, 0, strtab, 1, 1);
      uint64_t offset = w.align(8);
      w.put(typename ELFT::Sym{});
      sections.add(".symtab", SHT_SYMTAB, 0, offset, sizeof(typename ELFT::Sym), 8, sections.index(".strtab"), 1,
                   sizeof(typename ELFT::Sym));
    }
    if (debuglink_) {
      uint64_t offset = w.offset();
      w.bytes(debuglink_->data(), debuglink_->size());
      w.byte(0);
      w.align(4);
      w.put(typename ELFT::Word(0x12345678));  // the CRC
      sections.add(".gnu_debuglink", SHT_PROGBITS, 0, offset, w.offset() - offset, 4);
    }

    Ehdr ehdr{};
    const unsigned char ident[EI_NIDENT] = {
        ELFMAG0,
        ELFMAG1,
        ELFMAG2,
        ELFMAG3,
        static_cast<unsigned char>(kIs64 ? ELFCLASS64 : ELFCLASS32),
        static_cast<unsigned char>(E == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB),
        EV_CURRENT,
        os_abi_};
    std::memcpy(ehdr.e_ident, ident, EI_NIDENT);
    ehdr.e_type = type_;
    ehdr.e_machine = machine_ ? machine_ : (kIs64 ? EM_X86_64 : EM_386);
    ehdr.e_version = EV_CURRENT;
    ehdr.e_entry = entry_ ? entry_ : Image::kBase;
    ehdr.e_phoff = phoff;
    ehdr.e_flags = flags_;
    ehdr.e_ehsize = sizeof(Ehdr);
    ehdr.e_phentsize = sizeof(Phdr);
    ehdr.e_phnum = static_cast<uint16_t>(phdrs.size());
    if (section_headers_) {
      uint64_t shstrtab = w.offset();
      sections.add(".shstrtab", SHT_STRTAB, 0, shstrtab, 0, 1);  // its size includes its own name: set below
      std::string names = sections.names();
      w.bytes(names.data(), names.size());
      sections.headers.back().sh_size = names.size();
      uint64_t shoff = w.align(sizeof(typename ELFT::Addr));
      for (const Shdr& s : sections.headers) w.put(s);
      ehdr.e_shoff = shoff;
      ehdr.e_shentsize = sizeof(Shdr);
      ehdr.e_shnum = static_cast<uint16_t>(sections.headers.size());
      ehdr.e_shstrndx = static_cast<uint16_t>(sections.headers.size() - 1);
      for (size_t i = 1; i < sections.headers.size(); ++i) image.section_indexes.emplace(sections.list[i], i);
    }
    place(segment(PT_LOAD, 0), 0, w.offset(), 0x1000, PF_R | PF_X);
    if (program_headers_) {
      for (size_t i = 0; i < phdrs.size(); ++i) image.put(phoff + i * sizeof(Phdr), phdrs[i]);
    } else {
      ehdr.e_phoff = 0;
      ehdr.e_phnum = 0;
      ehdr.e_phentsize = 0;
      image.phdr_indexes.clear();
    }
    image.put(0, ehdr);
    return image;
  }

 private:
  // Appends to the image's bytes; align() pads with zeros.
  struct Writer {
    std::vector<unsigned char>& out;
    uint64_t offset() const { return out.size(); }
    void byte(unsigned char b) { out.push_back(b); }
    void bytes(const void* data, size_t size) {
      auto* p = static_cast<const unsigned char*>(data);
      out.insert(out.end(), p, p + size);
    }
    void skip(size_t size) { out.resize(out.size() + size); }
    uint64_t align(uint64_t alignment) {
      out.resize((out.size() + alignment - 1) / alignment * alignment);
      return out.size();
    }
    template <typename T>
    void put(const T& value) {
      bytes(&value, sizeof(T));
    }
  };

  // Section headers in the order their parts are written; names go to .shstrtab.
  struct Sections {
    std::vector<Shdr> headers = std::vector<Shdr>(1);
    std::vector<std::string> list = {""};
    void add(const std::string& name, uint32_t type, uint64_t flags, uint64_t offset, uint64_t size, uint64_t align,
             uint32_t link = 0, uint32_t info = 0, uint64_t entsize = 0) {
      Shdr s{};
      s.sh_name = static_cast<uint32_t>(names().size());
      s.sh_type = type;
      s.sh_flags = flags;
      s.sh_addr = (flags & SHF_ALLOC) ? Image::vaddr(offset) : 0;
      s.sh_offset = offset;
      s.sh_size = size;
      s.sh_link = link;
      s.sh_info = info;
      s.sh_addralign = align;
      s.sh_entsize = entsize;
      headers.push_back(s);
      list.push_back(name);
    }
    // "\0" then each name with its NUL, in order: sh_name of section i is the length of the names before it.
    std::string names() const {
      std::string all(1, '\0');
      for (size_t i = 1; i < list.size(); ++i) all += list[i] + '\0';
      return all;
    }
    uint32_t index(const std::string& name) const {
      for (size_t i = 0; i < list.size(); ++i) {
        if (list[i] == name) return static_cast<uint32_t>(i);
      }
      throw std::logic_error("ElfBuilder: no section " + name);
    }
  };

  static std::vector<unsigned char> words(std::initializer_list<uint32_t> values) {
    std::vector<unsigned char> out;
    for (uint32_t v : values) {
      elf::U32<E> word(v);
      auto* p = reinterpret_cast<const unsigned char*>(&word);
      out.insert(out.end(), p, p + 4);
    }
    return out;
  }
  static void append(std::vector<unsigned char>& to, const std::vector<unsigned char>& more) {
    to.insert(to.end(), more.begin(), more.end());
  }

  // The layout glibc reads (elf/dl-prop.h, ELF_NOTE_DESC_OFFSET): the descriptor starts at the header plus the name
  // rounded up to the alignment, and the next note at the descriptor's end rounded up likewise.
  static void write_note(Writer& w, const Note& n, uint64_t align) {
    uint64_t start = w.offset();
    w.put(elf::Nhdr<E>{static_cast<uint32_t>(n.name.size() + 1), static_cast<uint32_t>(n.desc.size()), n.type});
    w.bytes(n.name.c_str(), n.name.size() + 1);
    w.out.resize(start + (w.offset() - start + align - 1) / align * align);
    w.bytes(n.desc.data(), n.desc.size());
    w.out.resize(start + (w.offset() - start + align - 1) / align * align);
  }

  template <typename Place>
  void write_dynamic(Writer& w, Image& image, Sections& sections, Phdr& dynamic_segment, Place&& place) const {
    // .dynstr: "\0" then each distinct string once, as linkers share a DT_NEEDED name with its vn_file.
    std::string dynstr(1, '\0');
    auto intern = [&](const std::string& s) -> uint64_t {
      auto it = image.string_offsets.find(s);
      if (it != image.string_offsets.end()) return it->second;
      uint64_t offset = dynstr.size();
      dynstr += s + '\0';
      image.string_offsets.emplace(s, offset);
      return offset;
    };
    std::vector<std::pair<int64_t, uint64_t>> entries;
    for (const std::string& name : needed_) entries.emplace_back(DT_NEEDED, intern(name));
    if (soname_) entries.emplace_back(DT_SONAME, intern(*soname_));
    if (rpath_) entries.emplace_back(DT_RPATH, intern(*rpath_));
    if (runpath_) entries.emplace_back(DT_RUNPATH, intern(*runpath_));
    for (const auto& [file, versions] : version_needs_) {
      intern(file);
      for (const Version& v : versions) intern(v.name);
    }
    for (const auto& definition : version_definitions_) {
      for (const std::string& name : definition.names) intern(name);
    }
    image.dynstr_offset = w.offset();
    image.dynstr_size = dynstr.size();
    w.bytes(dynstr.data(), dynstr.size());
    sections.add(".dynstr", SHT_STRTAB, SHF_ALLOC, image.dynstr_offset, dynstr.size(), 1);

    if (!version_needs_.empty()) {
      image.verneed_offset = w.align(4);
      for (size_t i = 0; i < version_needs_.size(); ++i) {
        const auto& [file, versions] = version_needs_[i];
        bool last = i + 1 == version_needs_.size();
        uint32_t size = static_cast<uint32_t>(sizeof(elf::Verneed<E>) + versions.size() * sizeof(elf::Vernaux<E>));
        w.put(elf::Verneed<E>{1, static_cast<uint16_t>(versions.size()), static_cast<uint32_t>(intern(file)),
                              versions.empty() ? 0u : static_cast<uint32_t>(sizeof(elf::Verneed<E>)),
                              last ? 0u : size});
        for (size_t j = 0; j < versions.size(); ++j) {
          const Version& v = versions[j];
          w.put(elf::Vernaux<E>{v.hash, v.flags, v.index, static_cast<uint32_t>(intern(v.name)),
                                j + 1 == versions.size() ? 0u : static_cast<uint32_t>(sizeof(elf::Vernaux<E>))});
        }
      }
      sections.add(".gnu.version_r", SHT_GNU_verneed, SHF_ALLOC, image.verneed_offset,
                   w.offset() - image.verneed_offset, 4, sections.index(".dynstr"),
                   static_cast<uint32_t>(version_needs_.size()));
      entries.emplace_back(DT_VERNEED, Image::vaddr(image.verneed_offset));
      entries.emplace_back(DT_VERNEEDNUM, version_needs_.size());
    }
    if (!version_definitions_.empty()) {
      image.verdef_offset = w.align(4);
      for (size_t i = 0; i < version_definitions_.size(); ++i) {
        const auto& d = version_definitions_[i];
        bool last = i + 1 == version_definitions_.size();
        uint32_t size = static_cast<uint32_t>(sizeof(elf::Verdef<E>) + d.names.size() * sizeof(elf::Verdaux<E>));
        w.put(elf::Verdef<E>{1, d.flags, d.index, static_cast<uint16_t>(d.names.size()), 0,
                             d.names.empty() ? 0u : static_cast<uint32_t>(sizeof(elf::Verdef<E>)), last ? 0u : size});
        for (size_t j = 0; j < d.names.size(); ++j) {
          w.put(elf::Verdaux<E>{static_cast<uint32_t>(intern(d.names[j])),
                                j + 1 == d.names.size() ? 0u : static_cast<uint32_t>(sizeof(elf::Verdaux<E>))});
        }
      }
      sections.add(".gnu.version_d", SHT_GNU_verdef, SHF_ALLOC, image.verdef_offset, w.offset() - image.verdef_offset,
                   4, sections.index(".dynstr"), static_cast<uint32_t>(version_definitions_.size()));
      entries.emplace_back(DT_VERDEF, Image::vaddr(image.verdef_offset));
      entries.emplace_back(DT_VERDEFNUM, version_definitions_.size());
    }
    entries.emplace_back(DT_STRTAB, Image::vaddr(image.dynstr_offset));
    entries.emplace_back(DT_STRSZ, dynstr.size());
    for (const auto& entry : extra_dynamic_) entries.push_back(entry);
    entries.emplace_back(DT_NULL, 0);

    image.dynamic_offset = w.align(sizeof(typename ELFT::Addr));
    for (auto [tag, value] : entries) {
      Dyn d;
      d.d_tag = static_cast<decltype(+d.d_tag)>(tag);
      d.d_val = static_cast<decltype(+d.d_val)>(value);
      w.put(d);
    }
    uint64_t size = w.offset() - image.dynamic_offset;
    place(dynamic_segment, image.dynamic_offset, size, sizeof(typename ELFT::Addr), PF_R | PF_W);
    sections.add(".dynamic", SHT_DYNAMIC, SHF_ALLOC | SHF_WRITE, image.dynamic_offset, size,
                 sizeof(typename ELFT::Addr), sections.index(".dynstr"), 0, sizeof(Dyn));
  }

  struct Definition {
    uint16_t index;
    uint16_t flags;
    std::vector<std::string> names;
  };

  uint16_t type_ = ET_DYN;
  uint16_t machine_ = 0;  // 0: EM_X86_64 for ELF64, EM_386 for ELF32
  uint32_t flags_ = 0;
  uint64_t entry_ = 0;
  uint8_t os_abi_ = ELFOSABI_SYSV;
  std::optional<std::string> interpreter_;
  bool dynamic_ = false;
  std::vector<std::string> needed_;
  std::optional<std::string> soname_, rpath_, runpath_;
  std::vector<std::pair<int64_t, uint64_t>> extra_dynamic_;
  std::vector<std::pair<std::string, std::vector<Version>>> version_needs_;
  std::vector<Definition> version_definitions_;
  std::vector<Note> notes_;
  std::vector<std::pair<uint32_t, uint32_t>> properties_;
  bool section_headers_ = true;
  bool program_headers_ = true;
  bool symtab_ = false;
  std::optional<std::string> debuglink_;
};

}  // namespace elfrun::test
