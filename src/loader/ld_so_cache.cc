// Reading /etc/ld.so.cache and looking a SONAME up in it as glibc 2.36's loader does.
// The file layouts and the acceptance rules are those of elf/dl-cache.c _dl_load_cache_lookup and
// sysdeps/generic/dl-cache.h (cache_file, cache_file_new, cache_extension_load); the search is search_cache with
// _dl_cache_libcmp; the glibc-hwcaps priorities are glibc_hwcaps_priorities_init's merge. Where glibc would read
// outside the file (string indices checked only against the whole file size), this reader treats the index as bad.
#include "loader/ld_so_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace elfrun::loader {

namespace {

using elf::ByteOrder;
using elf::ByteView;

constexpr std::string_view kOldMagic = "ld.so-1.7.0";                    // CACHEMAGIC
constexpr std::string_view kNewMagic = "glibc-ld.so.cache1.1";           // CACHEMAGIC_VERSION_NEW
constexpr uint64_t kOldHeaderSize = 16;                                  // sizeof (struct cache_file)
constexpr uint64_t kOldEntrySize = 12;                                   // sizeof (struct file_entry)
constexpr uint64_t kNewHeaderSize = 48;                                  // sizeof (struct cache_file_new)
constexpr uint64_t kNewEntrySize = 24;                                   // sizeof (struct file_entry_new)
constexpr uint32_t kExtensionMagic = static_cast<uint32_t>(-358342284);  // cache_extension_magic
constexpr uint32_t kExtensionTagGlibcHwcaps = 1;
constexpr uint32_t kExtensionTagCount = 2;
constexpr uint64_t kHwcapExtension = uint64_t{1} << 62;  // DL_CACHE_HWCAP_EXTENSION
constexpr uint64_t kIsaLevelMask = (1u << 10) - 1;       // DL_CACHE_HWCAP_ISA_LEVEL_MASK
constexpr uint64_t kHwcapTlsMask = uint64_t{1} << 63;    // _DL_HWCAP_TLS_MASK
constexpr int32_t kFlagElf = 1;
constexpr int32_t kFlagElfLibc6 = 3;

std::string hex(uint64_t value) { return fmt::format("{:#x}", value); }

uint32_t read_u32(ByteView bytes, uint64_t offset, ByteOrder order) {
  uint32_t value = *bytes.read<uint32_t>(offset);  // callers have checked the range
  bool native_little = std::endian::native == std::endian::little;
  return (order == ByteOrder::little) == native_little ? value : __builtin_bswap32(value);
}

uint64_t read_u64(ByteView bytes, uint64_t offset, ByteOrder order) {
  uint64_t value = *bytes.read<uint64_t>(offset);
  bool native_little = std::endian::native == std::endian::little;
  return (order == ByteOrder::little) == native_little ? value : __builtin_bswap64(value);
}

bool starts_with(ByteView bytes, uint64_t offset, std::string_view magic) {
  auto view = bytes.subspan(offset, magic.size());
  return view && view->as_string_view() == magic;
}

// dl_cache_hwcap_extension: only DL_CACHE_HWCAP_EXTENSION set in the upper half, apart from the ISA level bits.
bool is_hwcap_extension(uint64_t hwcap) { return ((hwcap >> 32) & ~kIsaLevelMask) == (kHwcapExtension >> 32); }

const char* order_name(ByteOrder order) { return order == ByteOrder::little ? "little-endian" : "big-endian"; }

// The byte order to read a file in when the caller does not know the loader's: the new format's endian flag, else
// the order in which the entry count fits the file.
ByteOrder guess_order(ByteView bytes, uint64_t header, uint64_t count_offset, uint64_t entry_size) {
  if (header + kNewHeaderSize <= bytes.size() && starts_with(bytes, header, kNewMagic)) {
    uint8_t flags = *bytes.read<uint8_t>(header + 28);
    if ((flags & 3) == 3) return ByteOrder::big;
    if ((flags & 3) == 2) return ByteOrder::little;
  }
  if (count_offset + 4 > bytes.size()) return ByteOrder::little;
  uint64_t room = (bytes.size() - header) / entry_size;
  if (read_u32(bytes, count_offset, ByteOrder::little) <= room) return ByteOrder::little;
  if (read_u32(bytes, count_offset, ByteOrder::big) <= room) return ByteOrder::big;
  return ByteOrder::little;
}

}  // namespace

// glibc elf/dl-cache.c _dl_cache_libcmp: runs of digits compare as numbers, everything else byte by byte as the
// (signed, on x86) char values. The end of a view counts as the terminating NUL; int overflow wraps as in glibc.
int cache_name_compare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) -> int { return k < s.size() ? static_cast<signed char>(s[k]) : 0; };
  auto is_digit = [](int c) { return c >= '0' && c <= '9'; };
  while (at(a, i) != 0) {
    if (is_digit(at(a, i))) {
      if (!is_digit(at(b, j))) return 1;
      uint32_t value_a = static_cast<uint32_t>(at(a, i++) - '0');
      uint32_t value_b = static_cast<uint32_t>(at(b, j++) - '0');
      while (is_digit(at(a, i))) value_a = value_a * 10 + static_cast<uint32_t>(at(a, i++) - '0');
      while (is_digit(at(b, j))) value_b = value_b * 10 + static_cast<uint32_t>(at(b, j++) - '0');
      if (value_a != value_b) return static_cast<int32_t>(value_a - value_b);
    } else if (is_digit(at(b, j))) {
      return -1;
    } else if (at(a, i) != at(b, j)) {
      return at(a, i) - at(b, j);
    } else {
      ++i;
      ++j;
    }
  }
  return at(a, i) - at(b, j);
}

Expected<LdSoCache> LdSoCache::parse(ByteView bytes, const CacheFormat& format) {
  LdSoCache cache;
  const uint64_t size = bytes.size();
  uint64_t new_header = 0;  // file offset of struct cache_file_new, when there is one
  uint64_t entries_at = 0, entry_size = 0, count = 0;
  ByteView strings;  // what the entries' string indices are relative to

  // glibc tries the new format alone first: a file longer than its 48-byte header, the magic, and nlibs entries
  // inside the file. Then the old format, possibly with the new one at its aligned end.
  if (starts_with(bytes, 0, kNewMagic)) {
    if (size <= kNewHeaderSize) {
      return Error{fmt::format("new-format header: the file is {} bytes long, not more than the {}-byte header", size,
                               kNewHeaderSize)};
    }
    ByteOrder order = format.byte_order.value_or(guess_order(bytes, 0, 20, kNewEntrySize));
    uint32_t nlibs = read_u32(bytes, 20, order);
    if ((size - kNewHeaderSize) / kNewEntrySize < nlibs) {
      return Error{fmt::format("new-format header: nlibs {} × {} bytes is past the end of the file ({})", nlibs,
                               kNewEntrySize, hex(size))};
    }
    cache.new_format_ = true;
    cache.byte_order_ = order;
    count = nlibs;
  } else if (starts_with(bytes, 0, kOldMagic)) {
    if (size <= kOldHeaderSize) {
      return Error{fmt::format("old-format header: the file is {} bytes long, not more than the {}-byte header", size,
                               kOldHeaderSize)};
    }
    ByteOrder order = format.byte_order.value_or(guess_order(bytes, 0, 12, kOldEntrySize));
    uint32_t nlibs = read_u32(bytes, 12, order);
    if ((size - kOldHeaderSize) / kOldEntrySize < nlibs) {
      return Error{fmt::format("old-format header: nlibs {} × {} bytes is past the end of the file ({})", nlibs,
                               kOldEntrySize, hex(size))};
    }
    cache.old_format_ = true;
    cache.byte_order_ = order;
    uint64_t old_end = kOldHeaderSize + uint64_t{nlibs} * kOldEntrySize;
    uint64_t align = std::max<uint32_t>(format.new_format_alignment, 1);
    uint64_t offset = (old_end + align - 1) / align * align;  // ALIGN_CACHE
    if (offset <= size && size - offset >= kNewHeaderSize && starts_with(bytes, offset, kNewMagic)) {
      // The combined layout. glibc does not check the new part's nlibs against the file; an entry table that runs
      // past the end would be read out of bounds there, and is an error here.
      if (!format.byte_order) order = guess_order(bytes, offset, offset + 20, kNewEntrySize);
      cache.new_format_ = true;
      cache.byte_order_ = order;
      new_header = offset;
      count = read_u32(bytes, offset + 20, order);
      if ((size - offset - kNewHeaderSize) / kNewEntrySize < count) {
        return Error{fmt::format("new-format header at {}: nlibs {} × {} bytes is past the end of the file ({})",
                                 hex(offset), count, kNewEntrySize, hex(size))};
      }
    } else {
      entries_at = kOldHeaderSize;
      entry_size = kOldEntrySize;
      count = nlibs;
      strings = *bytes.tail(old_end);
    }
  } else {
    return Error{
        fmt::format("not a ld.so.cache: the file starts with neither \"{}\" nor \"{}\"", kNewMagic, kOldMagic)};
  }

  if (cache.new_format_) {
    // cache_file_new_matches_endian: a zero flags byte (an old ldconfig) says nothing; otherwise its endian bits must
    // be the loader's byte order, or the loader ignores the whole cache.
    uint8_t flags = *bytes.read<uint8_t>(new_header + 28);
    if (flags != 0) {
      uint8_t endian = flags & 3;
      ByteOrder want = cache.byte_order_;
      if (endian == 0 || endian == 1) {
        return Error{fmt::format("new-format header: flags {} mark the cache as {}; the loader ignores it", hex(flags),
                                 endian == 1 ? "invalid" : "of unknown byte order")};
      }
      ByteOrder declared = endian == 3 ? ByteOrder::big : ByteOrder::little;
      if (declared != want) {
        return Error{fmt::format("new-format header: the cache is {}, the loader reads it as {}", order_name(declared),
                                 order_name(want))};
      }
    }
    entries_at = new_header + kNewHeaderSize;
    entry_size = kNewEntrySize;
    strings = *bytes.tail(new_header);
  }

  const ByteOrder order = cache.byte_order_;
  cache.entries_.reserve(count);
  cache.raw_.reserve(count);
  // Entries are copied out with their strings. ldconfig shares a string between a few entries at most; a file whose
  // entries all point at its longest string would take memory quadratic in its size, so that is refused.
  const uint64_t string_budget = 16 * size + (uint64_t{1} << 20);
  uint64_t string_bytes = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t at = entries_at + i * entry_size;
    CacheEntry entry;
    RawEntry raw;
    entry.flags = static_cast<int32_t>(read_u32(bytes, at, order));
    uint32_t key = read_u32(bytes, at + 4, order);
    uint32_t value = read_u32(bytes, at + 8, order);
    if (entry_size == kNewEntrySize) {
      entry.os_version = read_u32(bytes, at + 12, order);
      entry.hwcap = read_u64(bytes, at + 16, order);
    }
    // _dl_cache_verify_ptr, plus the terminating NUL glibc takes for granted.
    if (auto s = strings.c_string(key)) {
      entry.key = std::string(*s);
      raw.key_ok = true;
    } else {
      cache.warnings_.push_back(fmt::format("entry {}: key index {} is outside the string table ({}) or unterminated",
                                            i, hex(key), hex(strings.size())));
    }
    if (auto s = strings.c_string(value)) {
      entry.value = std::string(*s);
      raw.value_ok = true;
    } else {
      cache.warnings_.push_back(fmt::format("entry {}: value index {} is outside the string table ({}) or unterminated",
                                            i, hex(value), hex(strings.size())));
    }
    string_bytes += entry.key.size() + entry.value.size();
    if (string_bytes > string_budget) {
      return Error{
          fmt::format("entry {}: the entries' strings add up to more than 16 times the file size ({}); "
                      "ldconfig never writes such a cache",
                      i, hex(size))};
    }
    cache.entries_.push_back(std::move(entry));
    cache.raw_.push_back(raw);
  }

  if (cache.new_format_) {
    // cache_extension_load: offsets are from the start of the file, whatever the layout.
    uint32_t ext = read_u32(bytes, new_header + 32, order);
    std::optional<uint64_t> hwcaps_offset, hwcaps_size;
    std::string problem;
    if (ext == 0) {
      cache.extension_ok_ = true;  // no extensions: not a format error
    } else if (ext % 4 != 0) {
      problem = fmt::format("extension directory offset {} is not a multiple of 4", hex(ext));
    } else if (uint64_t{ext} + 8 > size) {
      problem = fmt::format("extension directory at {} is past the end of the file ({})", hex(ext), hex(size));
    } else if (uint32_t magic = read_u32(bytes, ext, order); magic != kExtensionMagic) {
      problem =
          fmt::format("extension directory at {}: magic {} instead of {}", hex(ext), hex(magic), hex(kExtensionMagic));
    } else if (uint32_t sections = read_u32(bytes, ext + 4, order); uint64_t{sections} * 16 > size - ext - 8) {
      problem = fmt::format("extension directory at {}: {} sections × 16 bytes are past the end of the file ({})",
                            hex(ext), sections, hex(size));
    } else {
      cache.extension_ok_ = true;
      for (uint32_t i = 0; i < sections; ++i) {
        uint64_t at = uint64_t{ext} + 8 + uint64_t{i} * 16;
        uint32_t tag = read_u32(bytes, at, order);
        uint32_t offset = read_u32(bytes, at + 8, order);
        uint32_t length = read_u32(bytes, at + 12, order);
        if (uint64_t{offset} + length > size) {
          problem = fmt::format("extension section {} (tag {}): offset {} + size {} is past the end of the file ({})",
                                i, tag, hex(offset), hex(length), hex(size));
          cache.extension_ok_ = false;
          break;
        }
        if (tag >= kExtensionTagCount) continue;  // unknown tags are skipped
        if (tag == kExtensionTagGlibcHwcaps) {    // a later section of the same tag replaces an earlier one
          hwcaps_offset = offset;
          hwcaps_size = length;
        }
      }
    }
    if (!problem.empty()) {
      cache.warnings_.push_back(problem + "; the loader ignores the glibc-hwcaps entries");
    } else if (hwcaps_offset) {
      // cache_extension_verify: the glibc-hwcaps array must be non-empty, 4-aligned and a multiple of 4 long.
      if (*hwcaps_size == 0 || *hwcaps_offset % 4 != 0 || *hwcaps_size % 4 != 0) {
        cache.warnings_.push_back(fmt::format(
            "glibc-hwcaps extension section at {}, size {}: not a non-empty 4-aligned array of 32-bit indices; the "
            "loader ignores it",
            hex(*hwcaps_offset), hex(*hwcaps_size)));
      } else {
        for (uint64_t i = 0; i < *hwcaps_size / 4; ++i) {
          uint32_t index = read_u32(bytes, *hwcaps_offset + i * 4, order);
          // glibc reads these names at `index` from the start of the file (not of the new header), in the loader
          // and in ldconfig -p alike.
          if (auto s = bytes.c_string(index)) {
            cache.hwcaps_names_.emplace_back(std::string(*s));
          } else {
            cache.hwcaps_names_.emplace_back(std::nullopt);
            cache.warnings_.push_back(
                fmt::format("glibc-hwcaps subdirectory {}: string index {} is outside the file ({}) or unterminated", i,
                            hex(index), hex(size)));
          }
        }
      }
    }
    // ldconfig -p's glibc_hwcaps_string: the entry's name when its index is inside the array.
    for (CacheEntry& entry : cache.entries_) {
      if (!is_hwcap_extension(entry.hwcap)) continue;
      uint32_t index = static_cast<uint32_t>(entry.hwcap);
      if (index < cache.hwcaps_names_.size() && cache.hwcaps_names_[index]) {
        entry.hwcaps_subdir = *cache.hwcaps_names_[index];
      }
    }
  }
  return cache;
}

std::vector<std::string> LdSoCache::hwcaps_subdirs() const {
  std::vector<std::string> names;
  for (const auto& name : hwcaps_names_) {
    if (name) names.push_back(*name);
  }
  return names;
}

// glibc_hwcaps_priorities_init: the loader's active subdirectories get priorities 1, 2, ... in search order; they
// are sorted by name and merged with the cache's array (sorted by ldconfig), so an array element gets the priority
// of the active name equal to it, or 0 (not usable).
std::vector<uint32_t> LdSoCache::hwcaps_priorities(const std::vector<std::string>& active) const {
  std::vector<std::pair<std::string_view, uint32_t>> right;
  for (size_t i = 0; i < active.size(); ++i) right.emplace_back(active[i], static_cast<uint32_t>(i + 1));
  std::stable_sort(right.begin(), right.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint32_t> result;
  size_t left = 0, r = 0;
  while (left < hwcaps_names_.size() && r < right.size()) {
    if (!hwcaps_names_[left]) {  // an index glibc checks against the file size
      result.push_back(0);
      ++left;
      continue;
    }
    std::string_view name = *hwcaps_names_[left];
    int cmp = name.compare(right[r].first);
    if (cmp == 0) {
      result.push_back(right[r].second);
      ++left;
      ++r;
    } else if (cmp < 0) {
      result.push_back(0);
      ++left;
    } else {
      ++r;
    }
  }
  while (result.size() < hwcaps_names_.size()) result.push_back(0);
  return result;
}

uint32_t LdSoCache::hwcaps_priority(uint32_t index, const std::vector<uint32_t>& priorities) const {
  return index < priorities.size() ? priorities[index] : 0;
}

std::optional<std::string> LdSoCache::lookup(std::string_view soname, const CacheQuery& query) const {
  auto match = find(soname, query);
  if (!match) return std::nullopt;
  return std::move(match->path);
}

// elf/dl-cache.c search_cache, step by step; `continue` in glibc's do-while goes on with the next entry.
std::optional<CacheMatch> LdSoCache::find(std::string_view soname, const CacheQuery& query) const {
  // _dl_cache_check_flags of the loader's architecture.
  std::vector<int32_t> accepted = query.accepted_flags;
  if (accepted.empty()) {
    accepted = query.flags == kFlagElfLibc6 ? std::vector<int32_t>{kFlagElf, kFlagElfLibc6}
                                            : std::vector<int32_t>{query.flags};
  }
  auto flags_ok = [&](int32_t flags) { return std::find(accepted.begin(), accepted.end(), flags) != accepted.end(); };

  // The legacy hwcap filter: bits outside (dl_hwcap & mask), the platform bits and the TLS bit exclude an entry.
  const bool has_legacy = query.legacy_hwcaps.has_value();
  const LegacyHwcapFilter legacy = query.legacy_hwcaps.value_or(LegacyHwcapFilter{});
  const uint64_t hwcap_exclude = ~(legacy.hwcap | legacy.platform_mask | kHwcapTlsMask);

  const bool new_entries = new_format_;  // entry_size >= sizeof (struct file_entry_new)
  std::vector<uint32_t> priorities;
  bool priorities_ready = false;

  auto key_equal = [&](int index) {
    return raw_[index].key_ok && cache_name_compare(soname, entries_[index].key) == 0;
  };

  int left = 0;
  int right = static_cast<int>(entries_.size()) - 1;
  std::optional<size_t> best;
  uint32_t best_priority = 0;
  while (left <= right) {
    int middle = left + (right - left) / 2;
    if (!raw_[middle].key_ok) return std::nullopt;  // a bogus index ends the whole search
    int cmp = cache_name_compare(soname, entries_[middle].key);
    if (cmp == 0) {
      left = middle;
      // Walk back to the first entry with this name.
      while (middle > 0 && key_equal(middle - 1)) --middle;
      do {
        const CacheEntry& entry = entries_[middle];
        if (middle > left && !key_equal(middle)) break;
        if (!flags_ok(entry.flags) || !raw_[middle].value_ok) continue;
        bool named_hwcap = false;
        if (new_entries) {
          named_hwcap = is_hwcap_extension(entry.hwcap);
          if (named_hwcap && query.x86_isa_levels) {
            // sysdeps/x86/dl-isa-level.h: the entry's level must be one the CPU has.
            uint32_t level = static_cast<uint32_t>((entry.hwcap >> 32) & kIsaLevelMask);
            uint32_t bit = uint32_t{1} << (level % 32);  // the shift x86 does
            if ((bit & *query.x86_isa_levels) != bit) continue;
          }
          // The named entries come first; a regular one after a match ends the search.
          if (!named_hwcap && best) break;
          // Without a known filter (hwcap and platform mask 0) every legacy bit but TLS excludes the entry.
          if (!named_hwcap && (entry.hwcap & hwcap_exclude) != 0) continue;
          if (has_legacy && legacy.platform_mask != 0 && (entry.hwcap & legacy.platform_mask) != 0 &&
              (entry.hwcap & legacy.platform_mask) != legacy.platform) {
            continue;
          }
          if (named_hwcap) {
            if (!priorities_ready) {
              if (extension_ok_) priorities = hwcaps_priorities(query.active_hwcaps);
              priorities_ready = true;
            }
            uint32_t priority = hwcaps_priority(static_cast<uint32_t>(entry.hwcap), priorities);
            if (priority == 0) continue;
            if (best && priority >= best_priority) continue;
            best_priority = priority;
          }
        }
        best = static_cast<size_t>(middle);
        if (!named_hwcap && entry.flags == query.flags) break;  // flags == _DL_CACHE_DEFAULT_ID: nothing better
      } while (++middle <= right);
      break;
    }
    if (cmp < 0) {
      left = middle + 1;
    } else {
      right = middle - 1;
    }
  }
  if (!best) return std::nullopt;
  CacheMatch match;
  match.path = entries_[*best].value;
  match.index = *best;
  if (is_hwcap_extension(entries_[*best].hwcap)) match.hwcaps_subdir = entries_[*best].hwcaps_subdir;
  return match;
}

// elf/cache.c print_entry.
std::string describe_cache_flags(int32_t flags) {
  static constexpr const char* kTypes[] = {"libc4", "ELF", "libc5", "libc6"};
  std::string text = (flags & 0xff) <= 3 ? kTypes[flags & 0xff] : "unknown";
  switch (flags & 0xff00) {
    case 0x0000: break;
    case 0x0100: text += ",64bit"; break;          // FLAG_SPARC_LIB64
    case 0x0200: text += ",IA-64"; break;          // FLAG_IA64_LIB64
    case 0x0300: text += ",x86-64"; break;         // FLAG_X8664_LIB64
    case 0x0400: text += ",64bit"; break;          // FLAG_S390_LIB64
    case 0x0500: text += ",64bit"; break;          // FLAG_POWERPC_LIB64
    case 0x0600: text += ",N32"; break;            // FLAG_MIPS64_LIBN32
    case 0x0700: text += ",64bit"; break;          // FLAG_MIPS64_LIBN64
    case 0x0800: text += ",x32"; break;            // FLAG_X8664_LIBX32
    case 0x0900: text += ",hard-float"; break;     // FLAG_ARM_LIBHF
    case 0x0a00: text += ",AArch64"; break;        // FLAG_AARCH64_LIB64
    case 0x0b00: text += ",soft-float"; break;     // FLAG_ARM_LIBSF
    case 0x0c00: text += ",nan2008"; break;        // FLAG_MIPS_LIB32_NAN2008
    case 0x0d00: text += ",N32,nan2008"; break;    // FLAG_MIPS64_LIBN32_NAN2008
    case 0x0e00: text += ",64bit,nan2008"; break;  // FLAG_MIPS64_LIBN64_NAN2008
    case 0x0f00: text += ",soft-float"; break;     // FLAG_RISCV_FLOAT_ABI_SOFT
    case 0x1000: text += ",double-float"; break;   // FLAG_RISCV_FLOAT_ABI_DOUBLE
    default: text += fmt::format(",{}", flags & 0xff00); break;
  }
  return text;
}

std::string describe_cache_entry(const CacheEntry& entry) {
  std::string text = entry.key + " (" + describe_cache_flags(entry.flags);
  if (entry.hwcaps_subdir) {
    text += fmt::format(", hwcap: \"{}\"", *entry.hwcaps_subdir);
  } else if (entry.hwcap != 0) {
    text += fmt::format(", hwcap: {:#018x}", entry.hwcap);
  }
  return text + ") => " + entry.value;
}

}  // namespace elfrun::loader
