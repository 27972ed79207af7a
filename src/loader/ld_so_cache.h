// /etc/ld.so.cache: the two formats glibc reads (the old "ld.so-1.7.0" with the new "glibc-ld.so.cache1.1" after
// it, or the new one alone), and the lookup glibc's elf/dl-cache.c does: by SONAME, filtered by the ABI flags of the
// program, with glibc-hwcaps entries chosen by priority.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elf/byte_view.h"
#include "elf/elf_object.h"
#include "loader/hwcaps.h"
#include "util/expected.h"

namespace elfrun::loader {

struct CacheEntry {
  std::string key;    // the SONAME
  std::string value;  // the path, as seen inside the root the cache belongs to
  int32_t flags = 0;
  uint32_t os_version = 0;
  uint64_t hwcap = 0;
  std::optional<std::string> hwcaps_subdir;  // e.g. "x86-64-v3" for a glibc-hwcaps entry (new format extension)
};

struct CacheQuery {
  int32_t flags = 0;  // MachineFacts::cache_flags of the program's ABI
  // The glibc-hwcaps subdirectories the loader would search, best first (empty: none is active).
  std::vector<std::string> active_hwcaps;
  // Added by loader-facts:
  // The flags _dl_cache_check_flags accepts (MachineFacts::cache_accepted_flags). Empty: {1, 3} when flags is 3
  // (the generic rule), else {flags}. ARM needs it set: its default ID is 3 but it also accepts 0x903 or 0xb03.
  std::vector<int32_t> accepted_flags;
  // x86 loaders skip a glibc-hwcaps entry whose ISA level (bits 32..41 of hwcap) the CPU lacks
  // (sysdeps/x86/dl-isa-level.h): the CPU's isa_1 bits (host_x86_isa_levels()). nullopt: no such check (other
  // machines, or a CPU we cannot ask).
  std::optional<uint32_t> x86_isa_levels;
  // glibc < 2.37 filters entries with legacy hwcap bits (hwcaps.h). nullopt: such entries are skipped.
  std::optional<LegacyHwcapFilter> legacy_hwcaps;
};

// How to read a cache file: its integers are in the byte order of the machine it was made for, and the new format
// sits in the combined layout at the old part's end aligned to __alignof__ (struct cache_file_new), 8 on every
// Linux ABI but i386 (4, where uint64_t aligns to 4 in structs; ldconfig pads the old part so both agree).
struct CacheFormat {
  std::optional<elf::ByteOrder> byte_order;  // the loader's; nullopt: from the file's endian flag, else plausibility
  uint32_t new_format_alignment = 8;
};

// The entry a lookup chose.
struct CacheMatch {
  std::string path;
  size_t index = 0;                          // into entries()
  std::optional<std::string> hwcaps_subdir;  // set when the entry is a glibc-hwcaps one
};

class LdSoCache {
 public:
  // Parses a cache file's bytes (copied in). Errors name the part and values ("new-format header: nlibs 100000 ×
  // 24 bytes is past the end of the file (0x400)").
  // A file glibc's loader would ignore altogether (bad magic, entry table past the end, the other byte order) is an
  // error; damage the loader tolerates (a bad string index in one entry, a malformed extension) is a warning and is
  // handled in lookup() as the loader handles it.
  static Expected<LdSoCache> parse(elf::ByteView bytes, const CacheFormat& format = {});

  // glibc elf/dl-cache.c search_cache: the path for `soname`, or nullopt when the cache has no usable entry.
  std::optional<std::string> lookup(std::string_view soname, const CacheQuery& query) const;
  // The same, with the entry chosen.
  std::optional<CacheMatch> find(std::string_view soname, const CacheQuery& query) const;

  // Every entry in cache order (the new format's when present).
  const std::vector<CacheEntry>& entries() const { return entries_; }
  bool has_new_format() const { return new_format_; }
  // Added by loader-facts.
  bool has_old_format() const { return old_format_; }
  elf::ByteOrder byte_order() const { return byte_order_; }
  // The glibc-hwcaps extension's subdirectory names in file order (empty when the cache has none or it is damaged).
  std::vector<std::string> hwcaps_subdirs() const;
  // Problems the loader tolerates, in words: "entry 3: value index 0x9999 is outside the string table (0x400)".
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  // What search_cache needs of each entry beyond CacheEntry: whether its string indices are usable.
  struct RawEntry {
    bool key_ok = false;
    bool value_ok = false;
  };
  uint32_t hwcaps_priority(uint32_t index, const std::vector<uint32_t>& priorities) const;
  std::vector<uint32_t> hwcaps_priorities(const std::vector<std::string>& active) const;

  std::vector<CacheEntry> entries_;
  std::vector<RawEntry> raw_;
  // The extension's glibc-hwcaps array, each name read at the file offset its string index gives (nullopt when
  // that index is bad); extension_ok_ is false when glibc's cache_extension_load would have failed.
  std::vector<std::optional<std::string>> hwcaps_names_;
  bool extension_ok_ = false;
  bool new_format_ = false;
  bool old_format_ = false;
  elf::ByteOrder byte_order_ = elf::ByteOrder::little;
  std::vector<std::string> warnings_;
};

// glibc's _dl_cache_libcmp: the order of cache keys, comparing runs of digits as numbers.
int cache_name_compare(std::string_view a, std::string_view b);

// Added by loader-facts. The words ldconfig -p prints for entry flags: "libc6,x86-64", "libc6", "libc6,hard-float".
std::string describe_cache_flags(int32_t flags);

// An entry as one line of ldconfig -p, without its leading tab: "libc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/
// libc.so.6", "libfoo.so.1 (libc6,x86-64, hwcap: \"x86-64-v3\") => ...", "libbar.so.1 (libc6, hwcap: 0x...) => ...".
std::string describe_cache_entry(const CacheEntry& entry);

}  // namespace elfrun::loader
