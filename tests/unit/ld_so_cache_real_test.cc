// The cache lookup against the real loaders, the judges of what is right:
// - this machine's /etc/ld.so.cache: every entry as `ldconfig -p` prints it, and for every SONAME in it the entry
//   the x86-64 and the i386 loaders take (LD_DEBUG=libs prints "trying file=" right after "search cache=");
// - roots built with ldconfig -r (new, compat and old formats) holding glibc-hwcaps and legacy hwcap
//   subdirectories, judged by the host loaders run chrooted in a user namespace;
// - caches written by CacheBuilder for each cross root (both byte orders), judged by its loader under qemu-user.
#include <elf.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "ld_so_cache_builder.h"
#include "loader/hwcaps.h"
#include "loader/ld_so_cache.h"
#include "loader/machine_facts.h"
#include "loader_test_support.h"

namespace elfrun::loader {
namespace {

namespace fs = std::filesystem;
using test::run_command;

// What the loader's cache lookup returned for each name it searched: the path, or nullopt for no entry.
using CacheChoices = std::map<std::string, std::optional<std::string>>;

// Parses LD_DEBUG=libs output: after "find library=NAME [0]; searching" the line " search cache=..." is followed by
// "  trying file=PATH" exactly when the cache gave PATH.
CacheChoices parse_debug(const std::string& output) {
  std::vector<std::string> lines;
  for (const std::string& line : test::split_lines(output)) {
    size_t tab = line.find(":\t");
    lines.push_back(tab == std::string::npos ? line : line.substr(tab + 2));
  }
  CacheChoices choices;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("find library=", 0) != 0 || line.find("; searching") == std::string::npos) continue;
    std::string name = line.substr(13, line.rfind(" [") - 13);
    if (choices.count(name)) continue;
    for (size_t j = i + 1; j < lines.size() && lines[j].rfind("find library=", 0) != 0; ++j) {
      if (lines[j].rfind(" search cache=", 0) == 0) {
        std::optional<std::string> hit;
        if (j + 1 < lines.size() && lines[j + 1].rfind("  trying file=", 0) == 0) hit = lines[j + 1].substr(14);
        choices[name] = hit;
        break;
      }
    }
  }
  return choices;
}

std::string join(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : " ") + name;
  return joined;
}

// How to run a loader so that LD_DEBUG reaches it and only it: natively through the environment; under qemu-user
// through its -E (qemu itself is a dynamic program); chrooted through LD_DEBUG_OUTPUT, since unshare and chroot
// would print their own searches into the same stream: the loader writes its file inside the root.
struct LoaderRun {
  std::vector<std::string> prefix;  // the command up to and including the loader
  enum Kind { native, qemu, chroot } kind = native;
  std::string root;        // chroot: the root directory on the host
  std::string output_dir;  // chroot: a directory that exists at this path on the host and inside the root
};

// Runs `prefix... --preload NAMES --list MAIN` and reads what the cache lookup gave for each name it searched.
CacheChoices loader_choices(const LoaderRun& run, const std::vector<std::string>& names, const std::string& main) {
  std::vector<std::string> argv = run.prefix;
  argv.insert(argv.end(), {"--preload", join(names), "--list", main});
  if (run.kind == LoaderRun::qemu) return parse_debug(run_command(argv, "", true).out);
  if (run.kind == LoaderRun::native) return parse_debug(run_command(argv, "LD_DEBUG=libs", true).out);
  const std::string inside = run.root + run.output_dir;
  fs::create_directories(inside);
  fs::create_directories(run.output_dir);
  run_command(argv, "LD_DEBUG=libs LD_DEBUG_OUTPUT=" + test::shell_quote(run.output_dir + "/debug"), true);
  std::string output;
  for (const auto& file : fs::directory_iterator(inside)) {
    auto bytes = test::read_file(file.path().string());
    output.append(bytes.begin(), bytes.end());
  }
  fs::remove_all(inside);
  fs::remove_all(run.output_dir);
  return parse_debug(output);
}

struct Agreement {
  size_t compared = 0, agreed = 0, unobservable = 0;
  // Under qemu-i386 (test::cpu_is_emulated): choices that differ only because the loader, native, chose a
  // glibc-hwcaps level of the host's CPU while our query has qemu's CPU's levels.
  size_t emulated_cpu = 0;
};

// Compares our lookup with the loader's for every name, reporting each disagreement. `mains` are programs to
// --list; a name equal to a main's or the loader's own SONAME is never searched, so a second main covers it.
Agreement compare_with_loader(const LdSoCache& cache, const CacheQuery& query, const LoaderRun& run,
                              const std::vector<std::string>& names, const std::vector<std::string>& mains) {
  Agreement result;
  CacheChoices truth;
  for (const std::string& main : mains) {
    std::vector<std::string> missing;
    for (const auto& name : names) {
      if (!truth.count(name)) missing.push_back(name);
    }
    if (missing.empty()) break;
    for (auto& [name, hit] : loader_choices(run, missing, main)) truth.emplace(name, hit);
  }
  for (const auto& name : names) {
    auto it = truth.find(name);
    if (it == truth.end()) {
      ++result.unobservable;
      continue;
    }
    ++result.compared;
    auto ours = cache.lookup(name, query);
    if (ours == it->second) {
      ++result.agreed;
    } else if (test::cpu_is_emulated() && it->second && it->second->find("/glibc-hwcaps/") != std::string::npos) {
      ++result.emulated_cpu;
      std::cout << "(qemu's CPU) " << name << ": the native loader takes " << *it->second << ", lookup() "
                << ours.value_or("(no cache entry)") << "\n";
    } else {
      ADD_FAILURE() << name << ": the loader takes " << it->second.value_or("(no cache entry)") << ", lookup() "
                    << ours.value_or("(no cache entry)");
    }
  }
  return result;
}

CacheQuery host_query(uint16_t machine, uint8_t elf_class, int32_t flags, std::vector<int32_t> accepted) {
  CacheQuery query;
  query.flags = flags;
  query.accepted_flags = std::move(accepted);
  query.active_hwcaps = host_hwcaps_subdirs(machine, elf_class);
  query.x86_isa_levels = host_x86_isa_levels();
  query.legacy_hwcaps = host_legacy_hwcap_filter(machine, elf_class);
  return query;
}

std::optional<LdSoCache> load_cache(const std::string& path) {
  auto bytes = test::read_file(path);
  auto cache = LdSoCache::parse(elf::ByteView(bytes.data(), bytes.size()));
  if (!cache) {
    ADD_FAILURE() << path << ": " << cache.error().message;
    return std::nullopt;
  }
  return std::move(*cache);
}

// `ldconfig -p` (or -p -C FILE) lines after the "N libs found" header.
std::vector<std::string> ldconfig_listing(const std::string& ldconfig, const std::string& file) {
  auto result = run_command({ldconfig, "-p", "-C", file}, "", true);
  std::vector<std::string> lines;
  for (const auto& line : test::split_lines(result.out)) {
    if (line.rfind('\t', 0) == 0) lines.push_back(line.substr(1));
  }
  return lines;
}

TEST(RealCache, EveryEntryReadsAsLdconfigListsIt) {
  std::string ldconfig = test::find_tool("ldconfig");
  if (ldconfig.empty() || !fs::exists("/etc/ld.so.cache")) ELFRUN_SKIP_OR_FAIL("no ldconfig or /etc/ld.so.cache");
  auto cache = load_cache("/etc/ld.so.cache");
  ASSERT_TRUE(cache);
  auto listing = ldconfig_listing(ldconfig, "/etc/ld.so.cache");
  ASSERT_EQ(listing.size(), cache->entries().size());
  for (size_t i = 0; i < listing.size(); ++i) EXPECT_EQ(describe_cache_entry(cache->entries()[i]), listing[i]);
  EXPECT_TRUE(cache->warnings().empty());
  std::cout << "[ ldconfig ] " << listing.size() << " entries of /etc/ld.so.cache read as ldconfig -p prints them\n";
}

TEST(RealCache, LookupOfEverySonameMatchesTheHostLoaders) {
  if (!fs::exists("/etc/ld.so.cache")) ELFRUN_SKIP_OR_FAIL("no /etc/ld.so.cache");
  auto cache = load_cache("/etc/ld.so.cache");
  ASSERT_TRUE(cache);
  std::set<std::string> unique;
  for (const auto& entry : cache->entries()) unique.insert(entry.key);
  std::vector<std::string> names(unique.begin(), unique.end());

  struct HostLoader {
    const char* abi;
    std::string loader;
    uint16_t machine;
    uint8_t elf_class;
  };
  const std::vector<HostLoader> loaders = {{"x86-64", "/lib64/ld-linux-x86-64.so.2", EM_X86_64, ELFCLASS64},
                                           {"i386", "/lib/ld-linux.so.2", EM_386, ELFCLASS32}};
  for (const auto& host : loaders) {
    SCOPED_TRACE(host.loader);
    const MachineFacts* facts = machine_facts_by_abi(host.abi);
    ASSERT_NE(facts, nullptr);
    if (!test::is_executable(host.loader)) {
      ELFRUN_SKIP_OR_FAIL(host.loader + " is not on this machine");
    }
    CacheQuery query = host_query(host.machine, host.elf_class, facts->cache_flags, facts->cache_accepted_flags);
    // Two of the ABI's own libraries serve as programs to --list (each hides its own SONAME from the search).
    std::vector<std::string> mains;
    for (const char* soname : {"libc.so.6", "libm.so.6"}) {
      if (auto path = cache->lookup(soname, query)) mains.push_back(*path);
    }
    ASSERT_EQ(mains.size(), 2u) << "libc.so.6 and libm.so.6 of " << host.abi << " are not in the cache";
    Agreement agreement = compare_with_loader(*cache, query, {{host.loader}}, names, mains);
    std::cout << "[ " << host.abi << " ] " << agreement.agreed << "/" << agreement.compared
              << " SONAMEs of /etc/ld.so.cache resolved as " << host.loader << " resolves them ("
              << agreement.unobservable << " never searched: the loader's own names)\n";
    EXPECT_EQ(agreement.agreed, agreement.compared);
    EXPECT_GT(agreement.compared, 0u);
    EXPECT_LE(agreement.unobservable, 2u);
  }
}

// ---- Roots built with ldconfig, judged by the host loaders run in them (unshare -r chroot). ----

class BuiltRoot : public ::testing::Test {
 protected:
  void compile(const std::string& path, const std::string& soname, const std::vector<std::string>& flags) {
    fs::create_directories(fs::path(path).parent_path());
    std::vector<std::string> argv = {gcc_, "-shared", "-fPIC", "-o", path, source_, "-Wl,-soname," + soname};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto result = run_command(argv, "", true);
    ASSERT_EQ(result.status, 0) << result.out;
  }
  void copy(const std::string& from, const std::string& to) {
    fs::create_directories(fs::path(to).parent_path());
    fs::copy_file(fs::canonical(from), to, fs::copy_options::overwrite_existing);
  }

  std::string gcc_, source_;
};

TEST_F(BuiltRoot, LookupsMatchTheLoaderForEveryCacheFormat) {
  gcc_ = test::find_tool("gcc");
  std::string ldconfig = test::find_tool("ldconfig"), unshare = test::find_tool("unshare");
  if (gcc_.empty() || ldconfig.empty() || unshare.empty()) ELFRUN_SKIP_OR_FAIL("needs gcc, ldconfig and unshare");
  if (run_command({unshare, "-r", "true"}).status != 0) ELFRUN_SKIP_OR_FAIL("user namespaces are not available");
  test::TempDir tmp;
  const std::string root = tmp / "root";
  source_ = tmp / "lib.c";
  test::write_file(source_, "int probe(void) { return 1; }\n");

  // The host loaders and their libc, where they live on the host.
  const std::string loader64 = "/lib64/ld-linux-x86-64.so.2", loader32 = "/lib/ld-linux.so.2";
  const std::string libc64 = (fs::canonical(loader64).parent_path() / "libc.so.6").string();
  const bool have32 = test::is_executable(loader32) &&
                      run_command({gcc_, "-m32", "-shared", "-o", tmp / "probe32.so", source_}).status == 0;
  const std::string libc32 = have32 ? (fs::canonical(loader32).parent_path() / "libc.so.6").string() : "";
  copy(loader64, root + loader64);
  copy(libc64, root + libc64);
  if (have32) {
    copy(loader32, root + loader32);
    copy(libc32, root + libc32);
  }

  const std::string lib = "/usr/lib/x86_64-linux-gnu";
  compile(root + lib + "/libfoo.so.1", "libfoo.so.1", {});
  for (const char* level : {"x86-64-v2", "x86-64-v3", "x86-64-v4"}) {
    compile(root + lib + "/glibc-hwcaps/" + level + "/libfoo.so.1", "libfoo.so.1", {"-Wl,-z," + std::string(level)});
  }
  compile(root + lib + "/glibc-hwcaps/x86-64-v2/libonly.so.1", "libonly.so.1", {});
  // Marked as needing x86-64-v4 but installed as v2: the x86 ISA level check decides.
  compile(root + lib + "/glibc-hwcaps/x86-64-v2/libisa.so.1", "libisa.so.1", {"-Wl,-z,x86-64-v4"});
  compile(root + lib + "/libisa.so.1", "libisa.so.1", {});
  // Legacy hwcap subdirectories (glibc < 2.37): tls, the x86_64 and avx512_1 hwcaps, the haswell platform; one
  // library in all of them, and one library only in each.
  std::vector<std::string> names = {"libfoo.so.1", "libonly.so.1", "libisa.so.1", "libleg.so.1", "libc.so.6"};
  compile(root + lib + "/libleg.so.1", "libleg.so.1", {});
  for (std::string sub : {"tls", "x86_64", "avx512_1", "haswell", "haswell/x86_64", "tls/x86_64"}) {
    compile(root + lib + "/" + sub + "/libleg.so.1", "libleg.so.1", {});
    std::string only = "libleg_" + sub + ".so.1";
    std::replace(only.begin(), only.end(), '/', '_');
    compile(root + lib + "/" + sub + "/" + only, only, {});
    names.push_back(only);
  }
  std::string conf = lib + "\n";
  if (have32) {
    compile(root + "/usr/lib32/libfoo.so.1", "libfoo.so.1", {"-m32"});
    for (const char* sub : {"i686", "sse2", "tls", "i686/sse2", "i586"}) {
      compile(root + "/usr/lib32/" + sub + "/libleg.so.1", "libleg.so.1", {"-m32"});
    }
    conf += "/usr/lib32\n";
  }
  // x32 objects land in the same cache with their own flags (no x32 loader runs on most kernels: listing only).
  compile(root + "/usr/libx32/libfoo.so.1", "libfoo.so.1", {"-mx32", "-nostdlib"});
  conf += "/usr/libx32\n";
  test::write_file(root + "/etc/ld.so.conf", conf);

  const MachineFacts* x86_64 = machine_facts_by_abi("x86-64");
  const MachineFacts* i386 = machine_facts_by_abi("i386");
  ASSERT_TRUE(x86_64 && i386);
  const std::string file = root + "/etc/ld.so.cache";
  const std::string output_dir = tmp / "debug";
  std::vector<CacheEntry> new_format_entries;
  for (std::string format : {"new", "compat", "old"}) {
    SCOPED_TRACE(format);
    auto made = run_command({ldconfig, "-r", root, "-c", format, "-X"}, "", true);
    if (format != "new" && made.status != 0) {
      // glibc 2.36's ldconfig -c compat and -c old write old-format entries past their array when the cache has
      // hwcap entries (elf/cache.c save_cache indexes file_entries->libs with idx_new) and crash: write the layout
      // from the new-format entries instead, as that ldconfig would have.
      test::CacheBuilder builder;
      builder.layout(format == "old" ? test::CacheLayout::old_only : test::CacheLayout::combined).unsorted();
      for (const auto& e : new_format_entries) {
        if (e.hwcaps_subdir) {
          builder.add_hwcaps(e.key, e.value, e.flags, *e.hwcaps_subdir, static_cast<uint32_t>((e.hwcap >> 32) & 0x3ff));
        } else {
          builder.add_legacy(e.key, e.value, e.flags, e.hwcap);
        }
      }
      auto built = builder.build();
      test::write_file(file, std::string(built.bytes.begin(), built.bytes.end()));
    } else {
      ASSERT_EQ(made.status, 0) << made.out;
      auto listing = ldconfig_listing(ldconfig, file);
      auto cache = load_cache(file);
      ASSERT_TRUE(cache);
      ASSERT_EQ(listing.size(), cache->entries().size());
      for (size_t i = 0; i < listing.size(); ++i) EXPECT_EQ(describe_cache_entry(cache->entries()[i]), listing[i]);
      if (format == "new") new_format_entries = cache->entries();
    }
    auto cache = load_cache(file);
    ASSERT_TRUE(cache);
    EXPECT_EQ(cache->has_new_format(), format != "old");
    EXPECT_EQ(cache->has_old_format(), format != "new");

    CacheQuery q64 = host_query(EM_X86_64, ELFCLASS64, x86_64->cache_flags, x86_64->cache_accepted_flags);
    LoaderRun run64{{unshare, "-r", "chroot", root, loader64}, LoaderRun::chroot, root, output_dir};
    Agreement a64 = compare_with_loader(*cache, q64, run64, names, {libc64, lib + "/libfoo.so.1"});
    EXPECT_EQ(a64.agreed + a64.emulated_cpu, a64.compared);
    EXPECT_EQ(a64.compared, names.size());
    std::cout << "[ " << format << " ] x86-64: " << a64.agreed << "/" << a64.compared << " agree\n";
    if (have32) {
      CacheQuery q32 = host_query(EM_386, ELFCLASS32, i386->cache_flags, i386->cache_accepted_flags);
      LoaderRun run32{{unshare, "-r", "chroot", root, loader32}, LoaderRun::chroot, root, output_dir};
      Agreement a32 = compare_with_loader(*cache, q32, run32, {"libfoo.so.1", "libleg.so.1", "libc.so.6"},
                                          {libc32, "/usr/lib32/libfoo.so.1"});
      EXPECT_EQ(a32.agreed, a32.compared);
      EXPECT_EQ(a32.compared, 3u);
      std::cout << "[ " << format << " ] i386: " << a32.agreed << "/" << a32.compared << " agree\n";
    }
    CacheQuery qx32;
    qx32.flags = machine_facts_by_abi("x32")->cache_flags;
    EXPECT_EQ(cache->lookup("libfoo.so.1", qx32), "/usr/libx32/libfoo.so.1");
  }
}

// ---- Cross roots: caches written by CacheBuilder, judged by each root's loader under qemu-user. ----

// The glibc-hwcaps subdirectories a loader reports as "(supported, searched)" in --help, in priority order.
std::vector<std::string> supported_hwcaps(const std::vector<std::string>& loader_argv) {
  std::vector<std::string> argv = loader_argv;
  argv.push_back("--help");
  std::vector<std::string> names;
  bool in_block = false;
  for (const auto& line : test::split_lines(run_command(argv).out)) {
    if (line.rfind("Subdirectories of glibc-hwcaps", 0) == 0) {
      in_block = true;
    } else if (in_block && line.rfind("  ", 0) == 0) {
      if (line.find("(supported, searched)") != std::string::npos)
        names.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else {
      in_block = false;
    }
  }
  return names;
}

TEST(ForeignRootCache, LookupsMatchEachCrossLoaderUnderQemu) {
  std::set<int32_t> all_flags = {1};
  for (const auto& facts : all_machine_facts())
    all_flags.insert(facts.cache_accepted_flags.begin(), facts.cache_accepted_flags.end());
  size_t roots = 0;
  for (const auto& facts : all_machine_facts()) {
    if (facts.debian_triplet.empty() || facts.qemu.empty()) continue;
    const std::string root_dir = "/usr/" + std::string(facts.debian_triplet);
    const std::string loader = root_dir + "/lib/" + std::string(fs::path(facts.glibc_loader).filename());
    const std::string qemu = test::find_tool(std::string(facts.qemu));
    if (!fs::exists(loader) || qemu.empty()) continue;
    SCOPED_TRACE(std::string(facts.abi));
    ++roots;
    test::TempDir tmp;
    fs::create_directories(tmp / "etc");
    fs::create_directory_symlink(root_dir + "/lib", tmp / "lib");
    const LoaderRun run{{qemu, "-E", "LD_DEBUG=libs", "-L", tmp.path(), loader}, LoaderRun::qemu, "", ""};

    CacheQuery query;
    query.flags = facts.cache_flags;
    query.accepted_flags = facts.cache_accepted_flags;
    query.active_hwcaps = supported_hwcaps({qemu, "-L", tmp.path(), loader});
    std::vector<std::string> names = {"libprobe.so.1", "libgeneric.so.1", "libhw.so.1", "libhwonly.so.1"};
    if (facts.machine == EM_X86_64) {
      // The emulated CPU's ISA levels follow from the levels its loader searches (both are get_isa_level).
      uint32_t levels = 1;
      for (const auto& name : query.active_hwcaps) levels |= name == "x86-64-v2" ? 2 : name == "x86-64-v3" ? 4 : 8;
      query.x86_isa_levels = levels;
      names.push_back("libisa.so.1");
    }

    test::CacheBuilder builder;
    for (int32_t flags : all_flags)
      builder.add("libprobe.so.1", fmt::format("/probe/{:#x}/libprobe.so.1", flags), flags);
    builder.add("libgeneric.so.1", "/generic/libgeneric.so.1", 3);
    builder.add("libhw.so.1", "/hw/base/libhw.so.1", facts.cache_flags);
    for (std::string_view name : facts.hwcaps_subdirs) {
      builder.add_hwcaps("libhw.so.1", "/hw/" + std::string(name) + "/libhw.so.1", facts.cache_flags,
                         std::string(name));
      builder.add_hwcaps("libhwonly.so.1", "/hwonly/" + std::string(name) + "/libhwonly.so.1", facts.cache_flags,
                         std::string(name));
    }
    if (facts.machine == EM_X86_64) {
      // Installed as x86-64-v2 but marked as needing each level in turn: the x86 ISA level check decides.
      builder.add("libisa.so.1", "/isa/base/libisa.so.1", facts.cache_flags);
      for (uint32_t level = 3; level >= 1; --level) {
        builder.add_hwcaps("libisa.so.1", fmt::format("/isa/{}/libisa.so.1", level), facts.cache_flags, "x86-64-v2",
                           level);
      }
    }
    const std::string main = root_dir + "/lib/libc.so.6";
    for (auto layout : {test::CacheLayout::new_only, test::CacheLayout::combined, test::CacheLayout::old_only}) {
      SCOPED_TRACE(static_cast<int>(layout));
      auto built = builder.layout(layout).order(facts.byte_order).build();
      test::write_file(tmp / "etc/ld.so.cache", std::string(built.bytes.begin(), built.bytes.end()));
      auto cache = LdSoCache::parse(built.view(), {facts.byte_order, 8});
      ASSERT_TRUE(cache);
      Agreement agreement = compare_with_loader(*cache, query, run, names, {main});
      EXPECT_EQ(agreement.agreed, agreement.compared);
      EXPECT_EQ(agreement.compared, names.size());
      std::cout << "[ " << facts.abi << " layout " << static_cast<int>(layout) << " ] " << agreement.agreed << "/"
                << agreement.compared << " agree with " << loader << " under " << facts.qemu << "\n";
    }
    // The other byte order: the loader ignores the cache, the parser says why.
    auto other = facts.byte_order == elf::ByteOrder::little ? elf::ByteOrder::big : elf::ByteOrder::little;
    auto built = builder.layout(test::CacheLayout::new_only).order(other).build();
    test::write_file(tmp / "etc/ld.so.cache", std::string(built.bytes.begin(), built.bytes.end()));
    EXPECT_FALSE(LdSoCache::parse(built.view(), {facts.byte_order, 8}).has_value());
    CacheChoices truth = loader_choices(run, {"libprobe.so.1"}, main);
    ASSERT_TRUE(truth.count("libprobe.so.1"));
    EXPECT_EQ(truth["libprobe.so.1"], std::nullopt);
  }
  if (roots == 0) ELFRUN_SKIP_OR_FAIL("no cross root with its qemu-user on this machine");
}

}  // namespace
}  // namespace elfrun::loader
