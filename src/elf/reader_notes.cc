// The notes of an ELF file: the ABI tag (the oldest kernel a program supports), the build-id, GNU properties (x86
// ISA level and features, AArch64 BTI/PAC), gold's version and Go's build-id. Read from the PT_NOTE segments as the
// kernel and glibc elf/dl-load.c do, and from SHT_NOTE sections for what the segments lack. Part of the reader
// (reader_parts.h).
#include <elf.h>
#include <fmt/format.h>

#include "elf/layout.h"
#include "elf/reader_parts.h"

namespace elfrun::elf::reader {

namespace {

// Where a note area comes from, for messages: formatted only when a message needs it.
struct AreaLabel {
  const ElfObject& object;
  size_t index;
  bool section;
  std::string text() const {
    if (!section) return program_header_label(index, PT_NOTE);
    return fmt::format("section header {} ({})", index, object.sections[index].name);
  }
};

template <std::endian E>
class NoteReader {
 public:
  NoteReader(const ByteSource& source, ElfObject& object)
      : source_(source), object_(object), budget_(kNoteScansPerFileByte * source.size() + kBudgetSlack) {}

  Expected<void> read() {
    const auto& phdrs = object_.program_headers;
    bool any_segment = false;
    for (size_t i = 0; i < phdrs.size(); ++i) {
      if (phdrs[i].type != PT_NOTE) continue;
      any_segment = true;
      AreaLabel label{object_, i, false};
      if (!take_budget(phdrs[i].filesz, label)) break;
      auto bytes = segment_bytes(source_, object_, i);
      if (!bytes) return bytes.error();
      if (auto r = read_area(*bytes, phdrs[i].align, label); !r) return r.error();
    }
    // Notes the segments lack may still be in SHT_NOTE sections: a Go program's PT_NOTE covers only the Go note,
    // while its GNU build-id sits in .note.gnu.build-id (readelf and file read it there). Segment values win.
    if (any_segment && object_.notes.build_id) return {};
    for (size_t i = 0; i < object_.sections.size(); ++i) {
      const SectionHeader& s = object_.sections[i];
      if (s.type != SHT_NOTE) continue;
      AreaLabel label{object_, i, true};
      auto bytes = source_.bytes(s.offset, s.size);
      if (!bytes) {
        object_.warnings.push_back(fmt::format("{}: sh_offset {} + sh_size {} is past the end of the file ({})",
                                               label.text(), hex(s.offset), hex(s.size), hex(source_.size())));
        continue;
      }
      if (!take_budget(s.size, label)) break;
      if (auto r = read_area(*bytes, s.addralign, label); !r) object_.warnings.push_back(r.error().message);
    }
    return {};
  }

 private:
  // Charges a note area to the budget. When the areas scanned so far cover the file more than twice over, this one
  // and the rest are skipped, with one warning.
  bool take_budget(uint64_t size, const AreaLabel& label) {
    if (size > budget_) {
      object_.warnings.push_back(
          fmt::format("{} and the notes after it are not read: the note areas before it "
                      "already cover the file {} times over (they overlap)",
                      label.text(), kNoteScansPerFileByte));
      return false;
    }
    budget_ -= size;
    return true;
  }

  // glibc elf/dl-load.c and the kernel align the name and descriptor to 8 bytes in an 8-aligned note segment
  // (GNU properties in ELF64), and to 4 bytes otherwise.
  Expected<void> read_area(ByteView area, uint64_t align, const AreaLabel& label) {
    uint64_t alignment = align == 8 ? 8 : 4;
    auto pad = [alignment](uint64_t n) { return (n + alignment - 1) & ~(alignment - 1); };
    uint64_t offset = 0;
    for (size_t i = 0; offset < area.size(); ++i) {
      auto header = area.template read<Nhdr<E>>(offset);
      if (!header) {
        return Error{fmt::format("{}: note {} at offset {} has no room for its 12-byte header ({} bytes left)",
                                 label.text(), i, hex(offset), area.size() - offset)};
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
                          label.text(), i, hex(offset), hex(name_size), hex(desc_size), left)};
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

  static uint32_t read_u32(ByteView bytes, uint64_t offset) { return *bytes.template read<U32<E>>(offset); }

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
    const uint64_t alignment = object_.is_64() ? 8 : 4;
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

  const ByteSource& source_;
  ElfObject& object_;
  uint64_t budget_;  // bytes of note areas that may still be scanned
};

}  // namespace

template <std::endian E>
Expected<void> read_notes(const ByteSource& source, ElfObject& object) {
  return NoteReader<E>(source, object).read();
}

template Expected<void> read_notes<std::endian::little>(const ByteSource&, ElfObject&);
template Expected<void> read_notes<std::endian::big>(const ByteSource&, ElfObject&);

}  // namespace elfrun::elf::reader
