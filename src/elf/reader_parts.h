// What the parts of the ELF reader share: reader.cc (headers, PT_INTERP, the dynamic section, section headers, and
// the one dispatch on the four layouts), reader_notes.cc (notes and GNU properties) and reader_versions.cc (the
// DT_VERNEED / DT_VERDEF chains). Internal to src/elf: nothing else includes it.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "util/expected.h"

namespace elfrun::elf::reader {

// Work and memory stay linear in the file size, whatever a hostile file says. Entries may name the same bytes of a
// table over and over (a thousand DT_NEEDED at offsets 0, 1, 2... of one long string, a thousand PT_NOTE over the
// whole file, version records that overlap): every string copied and every note area scanned is charged to a budget
// a few times the size of what it is read from. A real file names each string a few times at most (a library in
// DT_NEEDED and in DT_VERNEED, a version under each library that defines it), and its version records and note
// segments do not overlap.
constexpr uint64_t kStringCopiesPerTableByte = 8;
constexpr uint64_t kNoteScansPerFileByte = 2;
constexpr uint64_t kBudgetSlack = 64 * 1024;

inline std::string hex(uint64_t value) { return fmt::format("{:#x}", value); }

// "program header 3 (PT_NOTE)", "program header 7".
std::string program_header_label(size_t index, uint32_t type);

// The file contents of a program header that the reader checked against the file size. Only a file that is read
// rather than mapped can fail here (an I/O error, or a segment too large to read into memory at once).
Expected<ByteView> segment_bytes(const ByteSource& source, const ElfObject& object, size_t index);

// A range of the file that may be large (a table from its address to the end of its PT_LOAD segment), read piece by
// piece through the source as it is walked: a string or a record costs the pages it lies on, not the whole range.
// Every access is checked against the range, then read through ByteSource::bytes (a checked ByteView).
class SourceRange {
 public:
  SourceRange() = default;
  // [offset, offset + size) must lie inside the source: the caller checked it.
  SourceRange(const ByteSource& source, uint64_t offset, uint64_t size)
      : source_(&source), offset_(offset), size_(size) {}

  uint64_t size() const { return size_; }
  // The first `size` bytes (size <= this->size()).
  SourceRange prefix(uint64_t size) const { return SourceRange(*source_, offset_, std::min(size, size_)); }

  std::optional<ByteView> bytes(uint64_t offset, uint64_t length) const {
    if (source_ == nullptr || offset > size_ || length > size_ - offset) return std::nullopt;
    return source_->bytes(offset_ + offset, length);
  }

  template <typename T>
  std::optional<T> read(uint64_t offset) const {
    auto view = bytes(offset, sizeof(T));
    if (!view) return std::nullopt;
    return view->template read<T>(0);
  }

  // The NUL-terminated string at offset, within the range: read in growing pieces until its NUL is found.
  std::optional<std::string_view> c_string(uint64_t offset) const {
    if (source_ == nullptr || offset >= size_) return std::nullopt;
    uint64_t left = size_ - offset;
    uint64_t piece = std::min<uint64_t>(left, 256);
    while (true) {
      auto view = source_->bytes(offset_ + offset, piece);
      if (!view) return std::nullopt;
      if (auto text = view->c_string(0)) return text;
      if (piece == left) return std::nullopt;
      piece = left / 16 < piece ? left : piece * 16;
    }
  }

 private:
  const ByteSource* source_ = nullptr;
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
};

// The dynamic string table (DT_STRTAB, bounded by DT_STRSZ or else by the end of its PT_LOAD segment's file
// contents), with the budget of bytes its entries may copy out of it.
class DynamicStrings {
 public:
  DynamicStrings() = default;
  DynamicStrings(SourceRange table, bool sized)
      : table_(table), sized_(sized), budget_(kStringCopiesPerTableByte * table.size() + kBudgetSlack) {}

  // The string at `offset`. `describe()` names the entry ("DT_NEEDED entry 2") and is only called for a message.
  template <typename Describe>
  Expected<std::string> string_at(uint64_t offset, const Describe& describe) {
    if (offset >= table_.size()) {
      return Error{fmt::format("dynamic section: {}: string offset {} is past the end of the string table ({})",
                               describe(), hex(offset), end_text())};
    }
    auto text = table_.c_string(offset);
    if (!text) {
      return Error{
          fmt::format("dynamic section: {}: the string at offset {} has no terminating NUL before the end of "
                      "the string table ({})",
                      describe(), hex(offset), end_text())};
    }
    if (text->size() >= budget_) {
      return Error{
          fmt::format("dynamic section: {}: the strings read so far add up to more than {} times the string "
                      "table ({}): its entries name the same bytes over and over",
                      describe(), kStringCopiesPerTableByte, end_text())};
    }
    budget_ -= text->size() + 1;
    return std::string(*text);
  }

 private:
  // "DT_STRSZ 0x1b", or what bounds the string table when the file has no DT_STRSZ.
  std::string end_text() const {
    if (sized_) return fmt::format("DT_STRSZ {}", hex(table_.size()));
    return fmt::format("the end of its PT_LOAD segment's file contents, {} bytes from DT_STRTAB", hex(table_.size()));
  }

  SourceRange table_;
  bool sized_ = false;  // DT_STRSZ bounds the table (else the end of its PT_LOAD segment does)
  uint64_t budget_ = 0;
};

// The DT_VERNEED and DT_VERDEF chains (reader_versions.cc), from the table at the tag's address to the end of its
// PT_LOAD segment's file contents. Instantiated for both byte orders.
template <std::endian E>
Expected<std::vector<VersionNeed>> read_version_needs(const SourceRange& table, DynamicStrings& strings);
template <std::endian E>
Expected<std::vector<VersionDefinition>> read_version_definitions(const SourceRange& table, DynamicStrings& strings);

// The notes of PT_NOTE segments, or of SHT_NOTE sections for what the segments lack (reader_notes.cc), into
// object.notes; problems in sections become warnings. Instantiated for both byte orders.
template <std::endian E>
Expected<void> read_notes(const ByteSource& source, ElfObject& object);

}  // namespace elfrun::elf::reader
