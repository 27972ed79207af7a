// libFuzzer target over the ld.so.cache reader: a cache comes from the root being examined (a container image, a
// firmware tree), so its bytes are as hostile as any ELF file's. Each input is parsed in both byte orders and both
// alignments of the new format (8, and i386's 4), and every parse that succeeds answers lookups: of every name it
// lists, of libc.so.6, with the flags of x86-64, i386, x32 and aarch64, with and without glibc-hwcaps subdirectories.
// The same entry point is linked into fuzz_replay_ld_so_cache, which runs fuzz/corpus-ld-so-cache under ctest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "elf/byte_view.h"
#include "loader/ld_so_cache.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using elfrun::loader::CacheFormat;
  using elfrun::loader::CacheQuery;
  using elfrun::loader::LdSoCache;
  elfrun::elf::ByteView bytes(data, size);
  for (auto order : {elfrun::elf::ByteOrder::little, elfrun::elf::ByteOrder::big}) {
    for (uint32_t alignment : {8u, 4u}) {
      CacheFormat format;
      format.byte_order = order;
      format.new_format_alignment = alignment;
      auto cache = LdSoCache::parse(bytes, format);
      if (!cache) {
        require(!cache.error().message.empty());
        continue;
      }
      require(cache->entries().size() <= size);
      for (const auto& warning : cache->warnings()) require(!warning.empty());
      (void)cache->hwcaps_subdirs();
      // The flags of x86-64, i386, x32 and aarch64 programs (sysdeps/generic/ldconfig.h FLAG_*).
      for (int32_t flags : {0x0303, 0x0003, 0x0803, 0x0a03}) {
        for (bool hwcaps : {false, true}) {
          CacheQuery query;
          query.flags = flags;
          if (hwcaps) {
            query.active_hwcaps = {"x86-64-v4", "x86-64-v3", "x86-64-v2"};
            query.x86_isa_levels = 0x7;
          }
          (void)cache->lookup("libc.so.6", query);
          size_t asked = 0;
          for (const auto& entry : cache->entries()) {
            if (++asked > 16) break;  // enough to reach every branch; keeps each input fast
            auto match = cache->find(entry.key, query);
            if (match) require(match->index < cache->entries().size());
          }
        }
      }
    }
  }
  return 0;
}
