// CacheBuilder: writes ld.so.cache files in memory the way glibc 2.36's ldconfig (elf/cache.c save_cache) lays
// them out — the new format alone, the old one alone, or both (old first, new at its aligned end) — in either byte
// order, with the glibc-hwcaps extension. BuiltCache then knows where each field is, so that a test can corrupt
// exactly one of them. Entries are sorted as ldconfig sorts them unless the test asks for its own order.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "elf/byte_view.h"
#include "elf/elf_object.h"
#include "loader/ld_so_cache.h"

namespace elfrun::test {

enum class CacheLayout { new_only, old_only, combined };

struct BuilderEntry {
  std::string key;
  std::string value;
  int32_t flags = 3;
  uint64_t legacy_hwcap = 0;          // legacy hwcap bits (tls, x86_64, haswell... subdirectories)
  std::optional<std::string> hwcaps;  // glibc-hwcaps subdirectory
  uint32_t isa_level = 0;             // stored in bits 32..41 of a glibc-hwcaps entry's hwcap
};

struct BuiltCache {
  std::vector<unsigned char> bytes;
  elf::ByteOrder order = elf::ByteOrder::little;
  uint64_t new_header = 0;  // offset of struct cache_file_new (valid when has_new)
  bool has_new = false;
  uint64_t old_entries = 0;  // offset of the old entries (valid when has_old)
  bool has_old = false;
  uint64_t new_entries = 0;           // offset of the new entries
  uint64_t extension = 0;             // offset of the extension directory (0: none)
  uint64_t hwcaps_array = 0;          // offset of the glibc-hwcaps section's data (0: none)
  uint64_t strings = 0;               // where string indices count from
  std::vector<BuilderEntry> entries;  // in file order

  elf::ByteView view() const { return elf::ByteView(bytes.data(), bytes.size()); }
  void put32(uint64_t offset, uint32_t value) {
    for (int i = 0; i < 4; ++i) {
      int shift = order == elf::ByteOrder::little ? 8 * i : 8 * (3 - i);
      bytes.at(offset + i) = static_cast<unsigned char>(value >> shift);
    }
  }
  void put64(uint64_t offset, uint64_t value) {
    for (int i = 0; i < 8; ++i) {
      int shift = order == elf::ByteOrder::little ? 8 * i : 8 * (7 - i);
      bytes.at(offset + i) = static_cast<unsigned char>(value >> shift);
    }
  }
  // Field offsets of new-format entry i: flags +0, key +4, value +8, osversion +12, hwcap +16.
  uint64_t new_entry(size_t i) const { return new_entries + i * 24; }
  uint64_t old_entry(size_t i) const { return old_entries + i * 12; }
};

class CacheBuilder {
 public:
  CacheBuilder& add(std::string key, std::string value, int32_t flags) {
    entries_.push_back({std::move(key), std::move(value), flags, 0, std::nullopt, 0});
    return *this;
  }
  CacheBuilder& add_hwcaps(std::string key, std::string value, int32_t flags, std::string subdir,
                           uint32_t isa_level = 0) {
    entries_.push_back({std::move(key), std::move(value), flags, 0, std::move(subdir), isa_level});
    return *this;
  }
  CacheBuilder& add_legacy(std::string key, std::string value, int32_t flags, uint64_t hwcap) {
    entries_.push_back({std::move(key), std::move(value), flags, hwcap, std::nullopt, 0});
    return *this;
  }
  CacheBuilder& layout(CacheLayout layout) {
    layout_ = layout;
    return *this;
  }
  CacheBuilder& order(elf::ByteOrder order) {
    order_ = order;
    return *this;
  }
  CacheBuilder& alignment(uint32_t alignment) {
    alignment_ = alignment;
    return *this;
  }
  // Keep the entries in the order they were added (to test a cache ldconfig would not write).
  CacheBuilder& unsorted() {
    sort_ = false;
    return *this;
  }
  // The endian byte of the new header (ldconfig writes 2 or 3 for the byte order).
  CacheBuilder& endian_flags(uint8_t flags) {
    endian_flags_ = flags;
    return *this;
  }

  BuiltCache build() const {
    BuiltCache out;
    out.order = order_;
    std::vector<BuilderEntry> entries = entries_;
    if (sort_)
      std::stable_sort(entries.begin(), entries.end(),
                       [](const auto& a, const auto& b) { return ldconfig_compare(a, b) < 0; });
    out.entries = entries;

    // glibc-hwcaps names get indices in strcmp order (assign_glibc_hwcaps_indices).
    std::vector<std::string> hwcaps_names;
    for (const auto& e : entries) {
      if (e.hwcaps && std::find(hwcaps_names.begin(), hwcaps_names.end(), *e.hwcaps) == hwcaps_names.end()) {
        hwcaps_names.push_back(*e.hwcaps);
      }
    }
    std::sort(hwcaps_names.begin(), hwcaps_names.end());

    // The string table (deduplicated).
    std::string strings;
    std::map<std::string, uint32_t> string_offset;
    auto intern = [&](const std::string& s) {
      auto it = string_offset.find(s);
      if (it != string_offset.end()) return it->second;
      uint32_t offset = static_cast<uint32_t>(strings.size());
      strings += s;
      strings += '\0';
      string_offset[s] = offset;
      return offset;
    };
    for (const auto& e : entries) {
      intern(e.key);
      intern(e.value);
    }
    for (const auto& name : hwcaps_names) intern(name);

    const bool with_old = layout_ != CacheLayout::new_only;
    const bool with_new = layout_ != CacheLayout::old_only;
    std::vector<const BuilderEntry*> old_list;
    for (const auto& e : entries) {
      if (!e.hwcaps && e.legacy_hwcap == 0) old_list.push_back(&e);
    }
    size_t old_count = old_list.size();
    if (with_old && with_new && !old_list.empty() && old_count % 2 == 1) ++old_count;  // ldconfig's duplicate
    const uint64_t old_size = with_old ? 16 + old_count * 12 : 0;
    const uint64_t pad = with_old && with_new ? (old_size + alignment_ - 1) / alignment_ * alignment_ - old_size : 0;
    const uint64_t new_size = with_new ? 48 + entries.size() * 24 : 0;
    const uint32_t str_offset = with_new ? static_cast<uint32_t>(new_size) : 0;

    out.bytes.resize(old_size + pad + new_size, 0);
    uint64_t new_header = old_size + pad;
    uint64_t strings_at = old_size + pad + new_size;
    out.strings = with_new ? new_header : strings_at;
    out.bytes.insert(out.bytes.end(), strings.begin(), strings.end());

    if (with_old) {
      out.has_old = true;
      out.old_entries = 16;
      std::copy_n("ld.so-1.7.0", 11, out.bytes.begin());
      out.put32(12, static_cast<uint32_t>(old_count));
      for (size_t i = 0; i < old_count; ++i) {
        const BuilderEntry& e = *old_list[std::min(i, old_list.size() - 1)];
        out.put32(out.old_entry(i), static_cast<uint32_t>(e.flags));
        out.put32(out.old_entry(i) + 4, str_offset + string_offset[e.key]);
        out.put32(out.old_entry(i) + 8, str_offset + string_offset[e.value]);
      }
    }
    if (with_new) {
      out.has_new = true;
      out.new_header = new_header;
      out.new_entries = new_header + 48;
      std::copy_n("glibc-ld.so.cache1.1", 20, out.bytes.begin() + static_cast<long>(new_header));
      out.put32(new_header + 20, static_cast<uint32_t>(entries.size()));
      out.put32(new_header + 24, static_cast<uint32_t>(strings.size()));
      out.bytes[new_header + 28] = endian_flags_.value_or(order_ == elf::ByteOrder::little ? uint8_t{2} : uint8_t{3});
      for (size_t i = 0; i < entries.size(); ++i) {
        const BuilderEntry& e = entries[i];
        uint64_t hwcap = e.legacy_hwcap;
        if (e.hwcaps) {
          uint64_t index = static_cast<uint64_t>(std::find(hwcaps_names.begin(), hwcaps_names.end(), *e.hwcaps) -
                                                 hwcaps_names.begin());
          hwcap = (uint64_t{1} << 62) | (uint64_t{e.isa_level} << 32) | index;
        }
        out.put32(out.new_entry(i), static_cast<uint32_t>(e.flags));
        out.put32(out.new_entry(i) + 4, str_offset + string_offset[e.key]);
        out.put32(out.new_entry(i) + 8, str_offset + string_offset[e.value]);
        out.put64(out.new_entry(i) + 16, hwcap);
      }
      // The extension directory after the strings, 4-aligned: a generator section, then the glibc-hwcaps array
      // of string indices (counted, as ldconfig writes them, from the new header).
      uint64_t ext = (out.bytes.size() + 3) / 4 * 4;
      const std::string generator = "elfrun test cache builder";
      uint32_t sections = hwcaps_names.empty() ? 1 : 2;
      out.bytes.resize(ext + 8 + sections * 16, 0);
      out.extension = ext;
      out.put32(new_header + 32, static_cast<uint32_t>(ext));
      out.put32(ext, static_cast<uint32_t>(-358342284));
      out.put32(ext + 4, sections);
      uint64_t data = ext + 8 + sections * 16;
      if (!hwcaps_names.empty()) {
        out.hwcaps_array = data;
        out.put32(ext + 8 + 16, 1);
        out.put32(ext + 8 + 16 + 8, static_cast<uint32_t>(data));
        out.put32(ext + 8 + 16 + 12, static_cast<uint32_t>(hwcaps_names.size() * 4));
        out.bytes.resize(data + hwcaps_names.size() * 4, 0);
        for (size_t i = 0; i < hwcaps_names.size(); ++i) {
          out.put32(data + i * 4, str_offset + string_offset[hwcaps_names[i]]);
        }
        data += hwcaps_names.size() * 4;
      }
      out.put32(ext + 8, 0);
      out.put32(ext + 8 + 8, static_cast<uint32_t>(data));
      out.put32(ext + 8 + 12, static_cast<uint32_t>(generator.size()));
      out.bytes.insert(out.bytes.end(), generator.begin(), generator.end());
    }
    return out;
  }

  // elf/cache.c compare: keys in descending _dl_cache_libcmp order, then flags descending, glibc-hwcaps entries
  // first (by name), then the more specific legacy hwcap first.
  static int ldconfig_compare(const BuilderEntry& a, const BuilderEntry& b) {
    int res = loader::cache_name_compare(b.key, a.key);
    if (res != 0) return res;
    if (a.flags != b.flags) return a.flags < b.flags ? 1 : -1;
    if (a.hwcaps && !b.hwcaps) return -1;
    if (!a.hwcaps && b.hwcaps) return 1;
    if (a.hwcaps && b.hwcaps && *a.hwcaps != *b.hwcaps) return *a.hwcaps < *b.hwcaps ? -1 : 1;
    int bits_a = std::popcount(a.legacy_hwcap), bits_b = std::popcount(b.legacy_hwcap);
    if (bits_a != bits_b) return bits_b > bits_a ? 1 : -1;
    if (a.legacy_hwcap != b.legacy_hwcap) return b.legacy_hwcap > a.legacy_hwcap ? 1 : -1;
    return 0;
  }

 private:
  std::vector<BuilderEntry> entries_;
  CacheLayout layout_ = CacheLayout::new_only;
  elf::ByteOrder order_ = elf::ByteOrder::little;
  uint32_t alignment_ = 8;
  bool sort_ = true;
  std::optional<uint8_t> endian_flags_;
};

}  // namespace elfrun::test
