// Unit tests of the ld.so.cache reader and lookup on caches built in memory (ld_so_cache_builder.h): the three
// layouts and both byte orders, glibc's search rules one by one, and one malformed case per field with its exact
// message. The comparison with the real loaders is in ld_so_cache_real_test.cc.
#include "loader/ld_so_cache.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "ld_so_cache_builder.h"

namespace elfrun::loader {
namespace {

using elf::ByteOrder;
using test::CacheBuilder;
using test::CacheLayout;

constexpr int32_t kX8664 = 0x303;
constexpr int32_t kI386 = 3;
constexpr int32_t kX32 = 0x803;

CacheQuery query(int32_t flags, std::vector<std::string> active = {}) {
  CacheQuery q;
  q.flags = flags;
  q.active_hwcaps = std::move(active);
  return q;
}

LdSoCache parse_ok(const test::BuiltCache& built, CacheFormat format = {}) {
  auto cache = LdSoCache::parse(built.view(), format);
  EXPECT_TRUE(cache.has_value()) << (cache ? "" : cache.error().message);
  return cache ? std::move(*cache) : LdSoCache();
}

std::string parse_error(const test::BuiltCache& built, CacheFormat format = {}) {
  auto cache = LdSoCache::parse(built.view(), format);
  return cache ? "(parsed)" : cache.error().message;
}

CacheBuilder multilib() {
  CacheBuilder b;
  b.add("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", kX8664)
      .add("libc.so.6", "/lib32/libc.so.6", kI386)
      .add("libc.so.6", "/libx32/libc.so.6", kX32)
      .add("libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6", kX8664)
      .add("libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", kX8664)
      .add("libfoo.so.10", "/usr/lib/libfoo.so.10", kX8664)
      .add("libfoo.so.9", "/usr/lib/libfoo.so.9", kX8664);
  return b;
}

TEST(CacheNameCompare, ComparesDigitRunsAsNumbers) {
  EXPECT_GT(cache_name_compare("libfoo.so.10", "libfoo.so.9"), 0);
  EXPECT_LT(cache_name_compare("libfoo.so.9", "libfoo.so.10"), 0);
  EXPECT_EQ(cache_name_compare("libfoo.so.01", "libfoo.so.1"), 0);  // same number
  EXPECT_EQ(cache_name_compare("libc.so.6", "libc.so.6"), 0);
  EXPECT_EQ(cache_name_compare("lib1", "libx"), 1);  // a digit against a non-digit
  EXPECT_EQ(cache_name_compare("libx", "lib1"), -1);
  EXPECT_EQ(cache_name_compare("liba", "libb"), 'a' - 'b');
  EXPECT_EQ(cache_name_compare("lib", "libc"), -'c');  // a shorter name sorts first
}

TEST(LdSoCache, FindsEachAbiItsOwnEntryInEveryLayoutAndByteOrder) {
  for (CacheLayout layout : {CacheLayout::new_only, CacheLayout::old_only, CacheLayout::combined}) {
    for (ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
      SCOPED_TRACE(::testing::Message() << "layout " << static_cast<int>(layout) << " order "
                                        << static_cast<int>(order));
      auto built = multilib().layout(layout).order(order).build();
      LdSoCache cache = parse_ok(built, {order, 8});
      EXPECT_EQ(cache.has_new_format(), layout != CacheLayout::old_only);
      EXPECT_EQ(cache.has_old_format(), layout != CacheLayout::new_only);
      EXPECT_EQ(cache.byte_order(), order);
      EXPECT_EQ(cache.lookup("libc.so.6", query(kX8664)), "/lib/x86_64-linux-gnu/libc.so.6");
      EXPECT_EQ(cache.lookup("libc.so.6", query(kI386)), "/lib32/libc.so.6");
      EXPECT_EQ(cache.lookup("libc.so.6", query(kX32)), "/libx32/libc.so.6");
      EXPECT_EQ(cache.lookup("libm.so.6", query(kI386)), std::nullopt);
      EXPECT_EQ(cache.lookup("libfoo.so.9", query(kX8664)), "/usr/lib/libfoo.so.9");
      EXPECT_EQ(cache.lookup("libfoo.so.10", query(kX8664)), "/usr/lib/libfoo.so.10");
      EXPECT_EQ(cache.lookup("libfoo.so.1", query(kX8664)), std::nullopt);
      EXPECT_EQ(cache.lookup("libz.so.1", query(kX8664)), "/lib/x86_64-linux-gnu/libz.so.1");
      EXPECT_EQ(cache.lookup("libaaa.so", query(kX8664)), std::nullopt);
      // Without a byte order given, the file's endian flag (or the plausible one) decides.
      EXPECT_EQ(parse_ok(built).byte_order(), order);
    }
  }
}

TEST(LdSoCache, EntriesAreInFileOrderAsLdconfigListsThem) {
  LdSoCache cache = parse_ok(multilib().build());
  ASSERT_EQ(cache.entries().size(), 7u);
  EXPECT_EQ(describe_cache_entry(cache.entries()[0]), "libz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1");
  EXPECT_EQ(cache.entries()[3].key, "libfoo.so.9");  // 10 before 9: descending numeric order
  EXPECT_EQ(describe_cache_entry(cache.entries()[4]), "libc.so.6 (libc6,x32) => /libx32/libc.so.6");
  EXPECT_EQ(describe_cache_entry(cache.entries()[6]), "libc.so.6 (libc6) => /lib32/libc.so.6");
  EXPECT_TRUE(cache.warnings().empty());
}

TEST(LdSoCache, DescribesFlagsAsLdconfigDoes) {
  EXPECT_EQ(describe_cache_flags(0x303), "libc6,x86-64");
  EXPECT_EQ(describe_cache_flags(3), "libc6");
  EXPECT_EQ(describe_cache_flags(1), "ELF");
  EXPECT_EQ(describe_cache_flags(0x903), "libc6,hard-float");
  EXPECT_EQ(describe_cache_flags(0xa03), "libc6,AArch64");
  EXPECT_EQ(describe_cache_flags(0x1003), "libc6,double-float");
  EXPECT_EQ(describe_cache_flags(0x1203), "libc6,4608");
  EXPECT_EQ(describe_cache_flags(0x7), "unknown");
}

TEST(LdSoCache, GenericFlagsAcceptLibc5EraElfEntries) {
  // sysdeps/generic/dl-cache.h: flags 1 (ELF) also matches; only FLAG_ELF_LIBC6 ends the search at once.
  auto built = CacheBuilder().add("libold.so.1", "/lib/libold.so.1", 1).build();
  EXPECT_EQ(parse_ok(built).lookup("libold.so.1", query(kI386)), "/lib/libold.so.1");
  EXPECT_EQ(parse_ok(built).lookup("libold.so.1", query(kX8664)), std::nullopt);
}

TEST(LdSoCache, ArmAcceptsItsFloatAbiAndUnmarkedEntries) {
  CacheQuery armhf = query(3);
  armhf.accepted_flags = {0x903, 3};
  CacheQuery armel = query(3);
  armel.accepted_flags = {0xb03, 3};
  auto both = CacheBuilder().add("libm.so.6", "/hf/libm.so.6", 0x903).add("libm.so.6", "/sf/libm.so.6", 0xb03);
  EXPECT_EQ(parse_ok(both.build()).lookup("libm.so.6", armhf), "/hf/libm.so.6");
  EXPECT_EQ(parse_ok(both.build()).lookup("libm.so.6", armel), "/sf/libm.so.6");
  // A hard-float and an unmarked entry: the new format stops at the first usable one (the hard-float, whose flags
  // sort first), while the old format keeps going until an entry has the default ID 3, the unmarked one.
  auto marked_and_unmarked =
      CacheBuilder().add("libx.so.1", "/hf/libx.so.1", 0x903).add("libx.so.1", "/any/libx.so.1", 3);
  EXPECT_EQ(parse_ok(marked_and_unmarked.build()).lookup("libx.so.1", armhf), "/hf/libx.so.1");
  EXPECT_EQ(parse_ok(marked_and_unmarked.layout(CacheLayout::old_only).build()).lookup("libx.so.1", armhf),
            "/any/libx.so.1");
}

TEST(LdSoCache, OldFormatTakesTheLastAcceptedEntryUnlessOneHasTheDefaultId) {
  // i386 accepts 1 and 3; the entries sort by flags descending, so 3 comes first and ends the search.
  auto built = CacheBuilder().add("liba.so.1", "/elf/liba.so.1", 1).add("liba.so.1", "/libc6/liba.so.1", 3);
  EXPECT_EQ(parse_ok(built.layout(CacheLayout::old_only).build()).lookup("liba.so.1", query(kI386)),
            "/libc6/liba.so.1");
  // Unsorted (ldconfig never writes this): the old format walks on past flags 1 to the default ID.
  auto unsorted = CacheBuilder()
                      .unsorted()
                      .layout(CacheLayout::old_only)
                      .add("liba.so.1", "/elf/liba.so.1", 1)
                      .add("liba.so.1", "/other/liba.so.1", 1)
                      .build();
  EXPECT_EQ(parse_ok(unsorted).lookup("liba.so.1", query(kI386)), "/other/liba.so.1");
}

CacheBuilder hwcaps_cache() {
  CacheBuilder b;
  b.add("libfoo.so.1", "/usr/lib/libfoo.so.1", kX8664)
      .add_hwcaps("libfoo.so.1", "/usr/lib/glibc-hwcaps/x86-64-v2/libfoo.so.1", kX8664, "x86-64-v2", 1)
      .add_hwcaps("libfoo.so.1", "/usr/lib/glibc-hwcaps/x86-64-v3/libfoo.so.1", kX8664, "x86-64-v3", 2)
      .add_hwcaps("libfoo.so.1", "/usr/lib/glibc-hwcaps/x86-64-v4/libfoo.so.1", kX8664, "x86-64-v4", 3)
      .add("libfoo.so.1", "/lib32/libfoo.so.1", kI386)
      .add_hwcaps("libbar.so.1", "/usr/lib/glibc-hwcaps/x86-64-v2/libbar.so.1", kX8664, "x86-64-v2", 1);
  return b;
}

TEST(LdSoCache, GlibcHwcapsEntriesWinByPriority) {
  for (CacheLayout layout : {CacheLayout::new_only, CacheLayout::combined}) {
    LdSoCache cache = parse_ok(hwcaps_cache().layout(layout).build());
    EXPECT_EQ(cache.hwcaps_subdirs().size(), 3u);
    auto v4 = query(kX8664, {"x86-64-v4", "x86-64-v3", "x86-64-v2"});
    auto v3 = query(kX8664, {"x86-64-v3", "x86-64-v2"});
    auto v2 = query(kX8664, {"x86-64-v2"});
    auto none = query(kX8664);
    if (layout == CacheLayout::combined) {
      // ldconfig writes the array's string indices from the new header, glibc reads them from the file start: in
      // a combined cache the names come out wrong and the loader uses no glibc-hwcaps entry (glibc 2.36).
      EXPECT_EQ(cache.lookup("libfoo.so.1", v3), "/usr/lib/libfoo.so.1");
      continue;
    }
    EXPECT_EQ(cache.hwcaps_subdirs(), (std::vector<std::string>{"x86-64-v2", "x86-64-v3", "x86-64-v4"}));
    EXPECT_EQ(cache.lookup("libfoo.so.1", v4), "/usr/lib/glibc-hwcaps/x86-64-v4/libfoo.so.1");
    EXPECT_EQ(cache.lookup("libfoo.so.1", v3), "/usr/lib/glibc-hwcaps/x86-64-v3/libfoo.so.1");
    EXPECT_EQ(cache.lookup("libfoo.so.1", v2), "/usr/lib/glibc-hwcaps/x86-64-v2/libfoo.so.1");
    EXPECT_EQ(cache.lookup("libfoo.so.1", none), "/usr/lib/libfoo.so.1");
    EXPECT_EQ(cache.lookup("libfoo.so.1", query(kI386)), "/lib32/libfoo.so.1");
    // A library only in a glibc-hwcaps directory is found only when that directory is active.
    EXPECT_EQ(cache.lookup("libbar.so.1", v3), "/usr/lib/glibc-hwcaps/x86-64-v2/libbar.so.1");
    EXPECT_EQ(cache.lookup("libbar.so.1", none), std::nullopt);
    auto match = cache.find("libfoo.so.1", v3);
    ASSERT_TRUE(match);
    EXPECT_EQ(match->hwcaps_subdir, "x86-64-v3");
    EXPECT_EQ(cache.find("libfoo.so.1", none)->hwcaps_subdir, std::nullopt);
    EXPECT_EQ(describe_cache_entry(cache.entries()[match->index]),
              "libfoo.so.1 (libc6,x86-64, hwcap: \"x86-64-v3\") => /usr/lib/glibc-hwcaps/x86-64-v3/libfoo.so.1");
    // --glibc-hwcaps-prepend order counts, not the names: the first active one has the best priority.
    EXPECT_EQ(cache.lookup("libfoo.so.1", query(kX8664, {"x86-64-v2", "x86-64-v4"})),
              "/usr/lib/glibc-hwcaps/x86-64-v2/libfoo.so.1");
  }
}

TEST(LdSoCache, X86IsaLevelOfAHwcapsEntryMustBeUsable) {
  LdSoCache cache = parse_ok(hwcaps_cache().build());
  auto q = query(kX8664, {"x86-64-v4", "x86-64-v3", "x86-64-v2"});
  q.x86_isa_levels = 0x7;  // baseline, v2, v3: the v4 entry (ISA level 3) is skipped although its name is active
  EXPECT_EQ(cache.lookup("libfoo.so.1", q), "/usr/lib/glibc-hwcaps/x86-64-v3/libfoo.so.1");
  q.x86_isa_levels = 0x1;
  EXPECT_EQ(cache.lookup("libfoo.so.1", q), "/usr/lib/libfoo.so.1");
}

TEST(LdSoCache, LegacyHwcapEntriesFollowTheLoadersHwcapAndPlatform) {
  constexpr uint64_t kTls = uint64_t{1} << 63, kX86_64 = 2, kHaswell = uint64_t{1} << 50;
  auto builder = CacheBuilder()
                     .add("libq.so.1", "/usr/lib/libq.so.1", kX8664)
                     .add_legacy("libq.so.1", "/usr/lib/haswell/x86_64/libq.so.1", kX8664, kHaswell | kX86_64)
                     .add_legacy("libq.so.1", "/usr/lib/x86_64/libq.so.1", kX8664, kX86_64);
  LdSoCache cache = parse_ok(builder.build());
  auto q = query(kX8664);
  // No filter known: every legacy bit but TLS excludes the entry.
  EXPECT_EQ(cache.lookup("libq.so.1", q), "/usr/lib/libq.so.1");
  // An AMD CPU's x86-64 loader: hwcap X86_64, platform "x86_64" (unknown to glibc, all ones).
  q.legacy_hwcaps = LegacyHwcapFilter{kX86_64, uint64_t{0xf} << 48, ~uint64_t{0}};
  EXPECT_EQ(cache.lookup("libq.so.1", q), "/usr/lib/x86_64/libq.so.1");
  // A Haswell-class Intel CPU.
  q.legacy_hwcaps = LegacyHwcapFilter{kX86_64, uint64_t{0xf} << 48, kHaswell};
  EXPECT_EQ(cache.lookup("libq.so.1", q), "/usr/lib/haswell/x86_64/libq.so.1");
  // A tls/ entry is never excluded, and ldconfig sorts it (hwcap 1 << 63) before the x86_64 one: it wins.
  cache = parse_ok(builder.add_legacy("libq.so.1", "/usr/lib/tls/libq.so.1", kX8664, kTls).build());
  q.legacy_hwcaps = LegacyHwcapFilter{kX86_64, uint64_t{0xf} << 48, ~uint64_t{0}};
  EXPECT_EQ(cache.lookup("libq.so.1", q), "/usr/lib/tls/libq.so.1");
  EXPECT_EQ(cache.lookup("libq.so.1", query(kX8664)), "/usr/lib/tls/libq.so.1");
}

TEST(LdSoCache, CombinedLayoutFollowsTheStructAlignment) {
  // An odd number of old entries without ldconfig's padding duplicate: 8-byte alignment finds the new part only
  // where it was written with 8, 4-byte alignment (i386) only where it was written with 4.
  auto built = CacheBuilder().layout(CacheLayout::combined).alignment(4).add("liba.so.1", "/a", 3).build();
  EXPECT_TRUE(parse_ok(built, {std::nullopt, 4}).has_new_format());
  built = CacheBuilder().layout(CacheLayout::combined).alignment(8).add("liba.so.1", "/a", 3).build();
  EXPECT_TRUE(parse_ok(built, {std::nullopt, 8}).has_new_format());
}

// ---- Malformed caches: one corrupted field each, with the exact message or warning. ----

TEST(LdSoCacheMalformed, RejectsWhatTheLoaderIgnores) {
  EXPECT_EQ(parse_error(test::BuiltCache{}),
            "not a ld.so.cache: the file starts with neither \"glibc-ld.so.cache1.1\" nor \"ld.so-1.7.0\"");
  auto built = multilib().build();
  built.bytes[0] = 'G';
  EXPECT_EQ(parse_error(built),
            "not a ld.so.cache: the file starts with neither \"glibc-ld.so.cache1.1\" nor \"ld.so-1.7.0\"");

  built = multilib().build();
  built.bytes.resize(48);
  EXPECT_EQ(parse_error(built), "new-format header: the file is 48 bytes long, not more than the 48-byte header");

  built = multilib().build();
  built.put32(20, 100000);
  EXPECT_EQ(parse_error(built, {ByteOrder::little, 8}),
            fmt::format("new-format header: nlibs 100000 × 24 bytes is past the end of the file ({:#x})",
                        built.bytes.size()));

  built = multilib().layout(CacheLayout::old_only).build();
  built.put32(12, 0x40000000);
  EXPECT_EQ(parse_error(built, {ByteOrder::little, 8}),
            fmt::format("old-format header: nlibs 1073741824 × 12 bytes is past the end of the file ({:#x})",
                        built.bytes.size()));

  built = multilib().layout(CacheLayout::old_only).build();
  built.bytes.resize(16);
  EXPECT_EQ(parse_error(built), "old-format header: the file is 16 bytes long, not more than the 16-byte header");

  built = multilib().layout(CacheLayout::combined).build();
  built.put32(built.new_header + 20, 5000);
  EXPECT_EQ(parse_error(built, {ByteOrder::little, 8}),
            fmt::format("new-format header at {:#x}: nlibs 5000 × 24 bytes is past the end of the file ({:#x})",
                        built.new_header, built.bytes.size()));

  built = multilib().build();
  built.bytes[28] = 1;
  EXPECT_EQ(parse_error(built), "new-format header: flags 0x1 mark the cache as invalid; the loader ignores it");
  built.bytes[28] = 4;
  EXPECT_EQ(parse_error(built),
            "new-format header: flags 0x4 mark the cache as of unknown byte order; the loader ignores it");
  built.bytes[28] = 3;
  EXPECT_EQ(parse_error(built, {ByteOrder::little, 8}),
            "new-format header: the cache is big-endian, the loader reads it as little-endian");

  // A big-endian combined cache read by a little-endian loader: already its old header's count does not fit.
  built = multilib().layout(CacheLayout::combined).order(ByteOrder::big).build();
  EXPECT_EQ(parse_error(built, {ByteOrder::little, 8}),
            fmt::format("old-format header: nlibs 134217728 × 12 bytes is past the end of the file ({:#x})",
                        built.bytes.size()));
  // An old ldconfig left the endian byte 0: accepted, read in the loader's order.
  built = multilib().order(ByteOrder::big).endian_flags(0).build();
  EXPECT_EQ(parse_ok(built, {ByteOrder::big, 8}).lookup("libc.so.6", query(kI386)), "/lib32/libc.so.6");
}

TEST(LdSoCacheMalformed, BadStringIndicesAreWarningsAndEndTheSearchAsInGlibc) {
  auto built = multilib().build();
  // Entry 3 is the middle of 7: the first probe of every binary search. A bad key there fails every lookup.
  built.put32(built.new_entry(3) + 4, 0x7fffffff);
  LdSoCache cache = parse_ok(built);
  ASSERT_EQ(cache.warnings().size(), 1u);
  EXPECT_EQ(cache.warnings()[0],
            fmt::format("entry 3: key index 0x7fffffff is outside the string table ({:#x}) or unterminated",
                        built.bytes.size() - built.new_header));
  EXPECT_EQ(cache.lookup("libc.so.6", query(kX8664)), std::nullopt);

  // A bad value: the entry is not usable, the search goes on to the next one with the same name.
  built = CacheBuilder().add("libx.so.1", "/one/libx.so.1", 1).add("libx.so.1", "/two/libx.so.1", 1).unsorted().build();
  built.put32(built.new_entry(0) + 8, 0xffffff00);
  cache = parse_ok(built);
  ASSERT_EQ(cache.warnings().size(), 1u);
  EXPECT_EQ(cache.warnings()[0],
            fmt::format("entry 0: value index 0xffffff00 is outside the string table ({:#x}) or unterminated",
                        built.bytes.size() - built.new_header));
  EXPECT_EQ(cache.lookup("libx.so.1", query(kI386)), "/two/libx.so.1");

  // A string that runs to the end of the file without its NUL.
  built = CacheBuilder().add("liby.so.1", "/y", 3).build();
  built.bytes.resize(built.new_entry(1) + std::string_view("liby.so.1\0/y\0", 13).size());  // strings end the file
  built.put32(built.new_header + 32, 0);                                                    // and there is no extension
  built.bytes.back() = 'x';  // the last string, "/y", loses its terminator
  cache = parse_ok(built);
  ASSERT_EQ(cache.warnings().size(), 1u);
  EXPECT_EQ(cache.lookup("liby.so.1", query(kI386)), std::nullopt);
}

TEST(LdSoCacheMalformed, EntriesSharingOneLongStringAreRefused) {
  // 3000 entries, each key and value the same 2000-byte string: 12 MB of copies out of a 74 kB file.
  std::string name(2000, 'x');
  test::BuiltCache built = CacheBuilder().add(name, name, 3).build();
  std::vector<unsigned char> entry(built.bytes.begin() + 48, built.bytes.begin() + 72);
  std::vector<unsigned char> bytes(built.bytes.begin(), built.bytes.begin() + 48);
  for (int i = 0; i < 3000; ++i) bytes.insert(bytes.end(), entry.begin(), entry.end());
  bytes.insert(bytes.end(), built.bytes.begin() + 72, built.bytes.end());
  test::BuiltCache many;
  many.bytes = bytes;
  many.put32(20, 3000);
  for (int i = 0; i < 3000; ++i) {  // string indices count from the header: shift them past the added entries
    many.put32(48 + i * 24 + 4, 48 + 3000 * 24);
    many.put32(48 + i * 24 + 8, 48 + 3000 * 24);
  }
  many.put32(32, 0);  // no extension
  EXPECT_EQ(parse_error(many),
            fmt::format("entry {}: the entries' strings add up to more than 16 times the file size ({:#x}); ldconfig "
                        "never writes such a cache",
                        (16 * bytes.size() + (1 << 20)) / 4000, bytes.size()));
}

TEST(LdSoCacheMalformed, DamagedExtensionsDisableOnlyTheHwcapsEntries) {
  auto v3 = query(kX8664, {"x86-64-v3", "x86-64-v2"});
  struct Case {
    std::string name;
    std::function<void(test::BuiltCache&)> corrupt;
    std::string warning;
  };
  auto base = hwcaps_cache().build();
  uint64_t ext = base.extension, size = base.bytes.size();
  std::vector<Case> cases = {
      {"misaligned directory", [&](auto& b) { b.put32(b.new_header + 32, ext + 2); },
       fmt::format("extension directory offset {:#x} is not a multiple of 4; the loader ignores the glibc-hwcaps "
                   "entries",
                   ext + 2)},
      {"directory past the end", [&](auto& b) { b.put32(b.new_header + 32, size & ~uint64_t{3}); },
       fmt::format("extension directory at {:#x} is past the end of the file ({:#x}); the loader ignores the "
                   "glibc-hwcaps entries",
                   size & ~uint64_t{3}, size)},
      {"bad magic", [&](auto& b) { b.put32(ext, 0x12345678); },
       fmt::format("extension directory at {:#x}: magic 0x12345678 instead of 0xeaa42174; the loader ignores the "
                   "glibc-hwcaps entries",
                   ext)},
      {"too many sections", [&](auto& b) { b.put32(ext + 4, 0x10000000); },
       fmt::format("extension directory at {:#x}: 268435456 sections × 16 bytes are past the end of the file "
                   "({:#x}); the loader ignores the glibc-hwcaps entries",
                   ext, size)},
      {"section past the end", [&](auto& b) { b.put32(ext + 8 + 16 + 12, 0xfffffff0); },
       fmt::format("extension section 1 (tag 1): offset {:#x} + size 0xfffffff0 is past the end of the file "
                   "({:#x}); the loader ignores the glibc-hwcaps entries",
                   base.hwcaps_array, size)},
      {"odd section size", [&](auto& b) { b.put32(ext + 8 + 16 + 12, 6); },
       fmt::format("glibc-hwcaps extension section at {:#x}, size 0x6: not a non-empty 4-aligned array of 32-bit "
                   "indices; the loader ignores it",
                   base.hwcaps_array)},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto built = base;
    c.corrupt(built);
    LdSoCache cache = parse_ok(built);
    ASSERT_EQ(cache.warnings().size(), 1u);
    EXPECT_EQ(cache.warnings()[0], c.warning);
    EXPECT_EQ(cache.lookup("libfoo.so.1", v3), "/usr/lib/libfoo.so.1");
    EXPECT_EQ(cache.lookup("libbar.so.1", v3), std::nullopt);
  }
  // One bad name index: that subdirectory is unusable, the others still work.
  auto built = base;
  built.put32(built.hwcaps_array + 4, 0xfffffff0);  // x86-64-v3
  LdSoCache cache = parse_ok(built);
  ASSERT_EQ(cache.warnings().size(), 1u);
  EXPECT_EQ(cache.warnings()[0],
            fmt::format("glibc-hwcaps subdirectory 1: string index 0xfffffff0 is outside the file ({:#x}) or "
                        "unterminated",
                        size));
  EXPECT_EQ(cache.lookup("libfoo.so.1", v3), "/usr/lib/glibc-hwcaps/x86-64-v2/libfoo.so.1");
  // An unknown section tag is skipped.
  built = base;
  built.put32(ext + 8, 77);
  EXPECT_TRUE(parse_ok(built).warnings().empty());
}

TEST(LdSoCacheMalformed, EveryTruncationAndByteFlipParsesOrFailsCleanly) {
  std::vector<test::BuiltCache> seeds = {hwcaps_cache().build(), multilib().layout(CacheLayout::combined).build(),
                                         multilib().layout(CacheLayout::old_only).order(ByteOrder::big).build()};
  std::mt19937 random(12345);
  size_t parsed = 0, rejected = 0;
  auto exercise = [&](const std::vector<unsigned char>& bytes) {
    auto cache = LdSoCache::parse(elf::ByteView(bytes.data(), bytes.size()));
    if (!cache) {
      EXPECT_FALSE(cache.error().message.empty());
      ++rejected;
      return;
    }
    ++parsed;
    for (const char* name : {"libc.so.6", "libfoo.so.1", "libz.so.1", "libbar.so.1"}) {
      (void)cache->lookup(name, query(kX8664, {"x86-64-v3", "x86-64-v2"}));
      (void)cache->lookup(name, query(kI386));
    }
  };
  for (const auto& seed : seeds) {
    for (size_t length = 0; length <= seed.bytes.size(); ++length) {
      exercise(std::vector<unsigned char>(seed.bytes.begin(), seed.bytes.begin() + static_cast<long>(length)));
    }
    for (int i = 0; i < 3000; ++i) {
      auto bytes = seed.bytes;
      bytes[random() % bytes.size()] ^= static_cast<unsigned char>(1u << (random() % 8));
      if (i % 2) bytes[random() % bytes.size()] = static_cast<unsigned char>(random());
      exercise(bytes);
    }
  }
  EXPECT_GT(parsed, 0u);
  EXPECT_GT(rejected, 0u);
}

}  // namespace
}  // namespace elfrun::loader
