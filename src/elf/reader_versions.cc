// The symbol version chains of the dynamic section: DT_VERNEED (the versions a file needs from each library) and
// DT_VERDEF (the versions it defines), walked as glibc elf/dl-version.c walks them. Part of the reader
// (reader_parts.h); the tables are read piece by piece, so a chain costs the pages it lies on.
#include <fmt/format.h>

#include "elf/layout.h"
#include "elf/reader_parts.h"

namespace elfrun::elf::reader {

namespace {

// "the end of its PT_LOAD segment's file contents (0x2c bytes from DT_VERNEED)"
std::string segment_end(uint64_t size, const char* tag) {
  return fmt::format("the end of its PT_LOAD segment's file contents ({} bytes from {})", hex(size), tag);
}

Error overlapping(const std::string& what, uint64_t size, const char* tag) {
  return Error{fmt::format("dynamic section: {}: the chain holds more records than fit before {}: its records overlap",
                           what, segment_end(size, tag))};
}

}  // namespace

// glibc elf/dl-version.c walks vn_next / vna_next until a zero link; DT_VERNEEDNUM only bounds it. Links are
// unsigned and checked against the end of the segment, so a hostile chain cannot loop (a 32-bit loader adding
// 0xfffffff0 would step back; here it is past the end). Records do not overlap in a real file: a chain with more
// records than its bytes can hold is refused, which keeps the walk linear.
template <std::endian E>
Expected<std::vector<VersionNeed>> read_version_needs(const SourceRange& table, DynamicStrings& strings) {
  constexpr const char* kTag = "DT_VERNEED";
  const uint64_t size = table.size();
  std::vector<VersionNeed> needs;
  uint64_t records_left = size / sizeof(Verneed<E>);  // a Vernaux has the same 16 bytes
  uint64_t offset = 0;
  for (size_t i = 0;; ++i) {
    auto need = table.template read<Verneed<E>>(offset);
    if (!need) {
      return Error{fmt::format("dynamic section: DT_VERNEED entry {} at offset {} is past {}", i, hex(offset),
                               segment_end(size, kTag))};
    }
    if (records_left-- == 0) return overlapping(fmt::format("DT_VERNEED entry {}", i), size, kTag);
    VersionNeed version_need;
    auto file = strings.string_at(need->vn_file, [&] { return fmt::format("DT_VERNEED entry {} vn_file", i); });
    if (!file) return file.error();
    version_need.file = std::move(*file);
    uint64_t aux_offset = offset;
    uint32_t aux_step = need->vn_aux;
    for (uint32_t j = 0; j < need->vn_cnt; ++j) {
      if (aux_step > size - aux_offset) {
        return Error{fmt::format("dynamic section: DT_VERNEED entry {} version {}: {} {} from offset {} leads past {}",
                                 i, j, j == 0 ? "vn_aux" : "vna_next", hex(aux_step), hex(aux_offset),
                                 segment_end(size, kTag))};
      }
      aux_offset += aux_step;
      auto aux = table.template read<Vernaux<E>>(aux_offset);
      if (!aux) {
        return Error{fmt::format("dynamic section: DT_VERNEED entry {} version {} at offset {} is past {}", i, j,
                                 hex(aux_offset), segment_end(size, kTag))};
      }
      if (records_left-- == 0) return overlapping(fmt::format("DT_VERNEED entry {} version {}", i, j), size, kTag);
      auto name = strings.string_at(aux->vna_name,
                                    [&] { return fmt::format("DT_VERNEED entry {} version {} vna_name", i, j); });
      if (!name) return name.error();
      version_need.versions.push_back({std::move(*name), aux->vna_hash, aux->vna_flags, aux->vna_other});
      if (aux->vna_next == 0) break;
      aux_step = aux->vna_next;
    }
    needs.push_back(std::move(version_need));
    if (need->vn_next == 0) break;
    if (need->vn_next > size - offset) {
      return Error{fmt::format("dynamic section: DT_VERNEED entry {}: vn_next {} from offset {} leads past {}", i,
                               hex(need->vn_next), hex(offset), segment_end(size, kTag))};
    }
    offset += need->vn_next;
  }
  return needs;
}

// The same walk over vd_next / vda_next (glibc elf/dl-version.c _dl_check_map_versions).
template <std::endian E>
Expected<std::vector<VersionDefinition>> read_version_definitions(const SourceRange& table, DynamicStrings& strings) {
  constexpr const char* kTag = "DT_VERDEF";
  const uint64_t size = table.size();
  std::vector<VersionDefinition> definitions;
  uint64_t records_left = size / sizeof(Verdaux<E>);  // the smaller record: 8 bytes, a Verdef has 20
  uint64_t offset = 0;
  for (size_t i = 0;; ++i) {
    auto def = table.template read<Verdef<E>>(offset);
    if (!def) {
      return Error{fmt::format("dynamic section: DT_VERDEF entry {} at offset {} is past {}", i, hex(offset),
                               segment_end(size, kTag))};
    }
    if (records_left-- == 0) return overlapping(fmt::format("DT_VERDEF entry {}", i), size, kTag);
    VersionDefinition definition;
    definition.index = def->vd_ndx;
    definition.flags = def->vd_flags;
    definition.hash = def->vd_hash;
    uint64_t aux_offset = offset;
    uint32_t aux_step = def->vd_aux;
    for (uint32_t j = 0; j < def->vd_cnt; ++j) {
      if (aux_step > size - aux_offset) {
        return Error{fmt::format("dynamic section: DT_VERDEF entry {} name {}: {} {} from offset {} leads past {}", i,
                                 j, j == 0 ? "vd_aux" : "vda_next", hex(aux_step), hex(aux_offset),
                                 segment_end(size, kTag))};
      }
      aux_offset += aux_step;
      auto aux = table.template read<Verdaux<E>>(aux_offset);
      if (!aux) {
        return Error{fmt::format("dynamic section: DT_VERDEF entry {} name {} at offset {} is past {}", i, j,
                                 hex(aux_offset), segment_end(size, kTag))};
      }
      if (records_left-- == 0) return overlapping(fmt::format("DT_VERDEF entry {} name {}", i, j), size, kTag);
      auto name =
          strings.string_at(aux->vda_name, [&] { return fmt::format("DT_VERDEF entry {} name {} vda_name", i, j); });
      if (!name) return name.error();
      definition.names.push_back(std::move(*name));
      if (aux->vda_next == 0) break;
      aux_step = aux->vda_next;
    }
    definitions.push_back(std::move(definition));
    if (def->vd_next == 0) break;
    if (def->vd_next > size - offset) {
      return Error{fmt::format("dynamic section: DT_VERDEF entry {}: vd_next {} from offset {} leads past {}", i,
                               hex(def->vd_next), hex(offset), segment_end(size, kTag))};
    }
    offset += def->vd_next;
  }
  return definitions;
}

template Expected<std::vector<VersionNeed>> read_version_needs<std::endian::little>(const SourceRange&,
                                                                                    DynamicStrings&);
template Expected<std::vector<VersionNeed>> read_version_needs<std::endian::big>(const SourceRange&, DynamicStrings&);
template Expected<std::vector<VersionDefinition>> read_version_definitions<std::endian::little>(const SourceRange&,
                                                                                                DynamicStrings&);
template Expected<std::vector<VersionDefinition>> read_version_definitions<std::endian::big>(const SourceRange&,
                                                                                             DynamicStrings&);

}  // namespace elfrun::elf::reader
