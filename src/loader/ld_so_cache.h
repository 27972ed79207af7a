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
};

class LdSoCache {
 public:
  // Parses a cache file's bytes (copied in). Errors name the part and values ("new-format header: nlibs 100000 ×
  // 24 bytes is past the end of the file (0x400)").
  static Expected<LdSoCache> parse(elf::ByteView bytes);

  // glibc elf/dl-cache.c search_cache: the path for `soname`, or nullopt when the cache has no usable entry.
  std::optional<std::string> lookup(std::string_view soname, const CacheQuery& query) const;

  // Every entry in cache order (the new format's when present).
  const std::vector<CacheEntry>& entries() const { return entries_; }
  bool has_new_format() const { return new_format_; }

 private:
  std::vector<CacheEntry> entries_;
  bool new_format_ = false;
};

// glibc's _dl_cache_libcmp: the order of cache keys, comparing runs of digits as numbers.
int cache_name_compare(std::string_view a, std::string_view b);

}  // namespace elfrun::loader
