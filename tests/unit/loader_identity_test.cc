// Tests of loader identification. Every loader on this machine (the host's x86-64 and i386 ones, the amd64 cross
// root's, each cross root's under qemu-user, musl's) is identified from its bytes and compared with what it says
// when run: --help (system search path, glibc-hwcaps names, options), --version, and $LIB as it expands it in an
// LD_DEBUG search path. Synthetic loaders cover the cases this machine does not have.
#include "loader/loader_identity.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "loader/machine_facts.h"
#include "loader_test_support.h"

namespace elfrun::loader {
namespace {

namespace fs = std::filesystem;

struct Identified {
  std::unique_ptr<elf::ByteSource> source;
  elf::ElfObject object;
  LoaderIdentity identity;
};

Identified identify_file(const std::string& path) {
  Identified result;
  auto source = elf::ByteSource::open(path);
  EXPECT_TRUE(source) << path;
  if (!source) return result;
  result.source = std::move(*source);
  auto object = elf::parse_elf(*result.source);
  EXPECT_TRUE(object) << path << ": " << (object ? "" : object.error().message);
  if (!object) return result;
  result.object = std::move(*object);
  auto identity = identify_loader(*result.source, result.object);
  EXPECT_TRUE(identity) << path;
  if (identity) result.identity = std::move(*identity);
  return result;
}

// What a glibc loader says about itself when run.
struct Truth {
  std::vector<std::string> system_dirs;
  std::vector<std::string> hwcaps;  // every name in the glibc-hwcaps block, in priority order
  std::string version;
  std::string lib;  // $LIB as expanded in --library-path
  bool argv0 = false, library_path = false, inhibit_cache = false, legacy = false;
};

Truth ask_loader(const std::vector<std::string>& loader, const std::vector<std::string>& debug_loader,
                 const std::string& env, const std::string& main) {
  Truth truth;
  auto help = loader;
  help.push_back("--help");
  const std::string text = test::run_command(help).out;
  bool in_hwcaps = false;
  for (const auto& line : test::split_lines(text)) {
    if (line.size() > 2 && line.find(" (system search path)") != std::string::npos) {
      truth.system_dirs.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
    if (line.rfind("Subdirectories of glibc-hwcaps", 0) == 0) {
      in_hwcaps = true;
    } else if (in_hwcaps && line.rfind("  ", 0) == 0) {
      truth.hwcaps.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else {
      in_hwcaps = false;
    }
  }
  truth.argv0 = text.find("--argv0") != std::string::npos;
  truth.library_path = text.find("--library-path") != std::string::npos;
  truth.inhibit_cache = text.find("--inhibit-cache") != std::string::npos;
  truth.legacy = text.find("Legacy HWCAP subdirectories") != std::string::npos;
  auto version = loader;
  version.push_back("--version");
  std::string banner = test::split_lines(test::run_command(version).out).at(0);
  size_t at = banner.find("release version ");
  if (at != std::string::npos) {
    truth.version = banner.substr(at + 16);
    while (!truth.version.empty() && truth.version.back() == '.') truth.version.pop_back();
  }
  // $LIB: the first search path element of --library-path '/elfrun-probe/$LIB', as LD_DEBUG prints it.
  auto probe = debug_loader;
  probe.insert(probe.end(),
               {"--library-path", "/elfrun-probe/$LIB", "--preload", "libelfrun-absent.so.9", "--list", main});
  std::string debug = test::run_command(probe, env, true).out;
  size_t path = debug.find("search path=/elfrun-probe/");
  if (path != std::string::npos) {
    std::string rest = debug.substr(path + 26);
    rest = rest.substr(0, rest.find_first_of(":\t\n"));
    // Cut the glibc-hwcaps or legacy hwcap subdirectories off: what stays is $LIB.
    for (const char* marker : {"/glibc-hwcaps/", "/tls"}) {
      if (size_t cut = rest.find(marker); cut != std::string::npos) rest = rest.substr(0, cut);
    }
    truth.lib = rest;
  }
  return truth;
}

void expect_identity_matches(const LoaderIdentity& identity, const Truth& truth) {
  EXPECT_EQ(identity.flavour, Flavour::glibc);
  EXPECT_EQ(identity.system_dirs, truth.system_dirs);
  EXPECT_EQ(identity.hwcaps_subdirs, truth.hwcaps);
  EXPECT_EQ(identity.version, truth.version);
  EXPECT_FALSE(identity.version_is_lower_bound);
  EXPECT_EQ(identity.lib, truth.lib);
  EXPECT_EQ(identity.has_argv0, truth.argv0);
  EXPECT_EQ(identity.has_library_path, truth.library_path);
  EXPECT_EQ(identity.has_inhibit_cache, truth.inhibit_cache);
  EXPECT_EQ(identity.has_legacy_hwcaps, truth.legacy);
  EXPECT_FALSE(identity.from_fallback_table);
}

TEST(LoaderIdentity, HostLoadersAreIdentifiedAsTheyDescribeThemselves) {
  struct Host {
    std::string loader;
    std::string main;  // an object of the loader's ABI to --list
    const char* abi;
  };
  std::vector<Host> hosts = {{"/lib64/ld-linux-x86-64.so.2", "/bin/true", "x86-64"},
                             {"/lib/ld-linux.so.2", "/lib32/libc.so.6", "i386"},
                             {"/usr/x86_64-linux-gnu/lib/ld-linux-x86-64.so.2", "/bin/true", "x86-64"}};
  size_t checked = 0;
  for (const auto& host : hosts) {
    if (!test::is_executable(host.loader)) {
      if (host.abi == std::string("x86-64") && host.loader.rfind("/lib64", 0) == 0) {
        ELFRUN_SKIP_OR_FAIL(host.loader + " is not on this machine");
      }
      continue;
    }
    SCOPED_TRACE(host.loader);
    Identified loader = identify_file(host.loader);
    EXPECT_EQ(loader.identity.machine, machine_facts_by_abi(host.abi)->machine);
    expect_identity_matches(loader.identity, ask_loader({host.loader}, {host.loader}, "LD_DEBUG=libs", host.main));
    ++checked;
  }
  std::cout << "[ identity ] " << checked << " host loaders agree with their --help, --version and $LIB\n";
}

TEST(LoaderIdentity, CrossRootLoadersAreIdentifiedAsTheyDescribeThemselvesUnderQemu) {
  size_t checked = 0;
  for (const auto& facts : all_machine_facts()) {
    const std::string root = "/usr/" + std::string(facts.debian_triplet);
    const std::string loader = root + "/lib/" + fs::path(facts.glibc_loader).filename().string();
    if (facts.qemu.empty() || !fs::exists(loader)) continue;
    const std::string qemu = test::find_tool(std::string(facts.qemu));
    if (qemu.empty()) ELFRUN_SKIP_OR_FAIL(std::string(facts.qemu) + " is not installed");
    SCOPED_TRACE(loader);
    Identified identified = identify_file(loader);
    EXPECT_EQ(machine_facts(identified.object), &facts);
    Truth truth = ask_loader({qemu, "-L", root, loader}, {qemu, "-E", "LD_DEBUG=libs", "-L", root, loader}, "",
                             root + "/lib/libc.so.6");
    expect_identity_matches(identified.identity, truth);
    ++checked;
  }
  std::cout << "[ identity ] " << checked << " cross-root loaders agree with their --help, --version and $LIB\n";
  if (checked == 0) ELFRUN_SKIP_OR_FAIL("no cross root on this machine");
}

TEST(LoaderIdentity, TheX32LoaderIsReadWithoutRunningIt) {
  const std::string loader = "/libx32/ld-linux-x32.so.2";
  if (!fs::exists(loader)) GTEST_SKIP() << "no x32 multilib";
  Identified identified = identify_file(loader);
  EXPECT_EQ(identified.identity.flavour, Flavour::glibc);
  EXPECT_EQ(identified.identity.system_dirs, (std::vector<std::string>{"/libx32", "/usr/libx32", "/lib", "/usr/lib"}));
  EXPECT_EQ(identified.identity.lib, "libx32");
  EXPECT_EQ(identified.identity.hwcaps_subdirs, (std::vector<std::string>{"x86-64-v4", "x86-64-v3", "x86-64-v2"}));
  EXPECT_EQ(machine_facts(identified.object)->abi, "x32");
}

TEST(LoaderIdentity, MuslLoaderIsIdentified) {
  const std::string loader = "/lib/ld-musl-x86_64.so.1";
  if (!fs::exists(loader)) ELFRUN_SKIP_OR_FAIL("musl is not installed");
  Identified identified = identify_file(fs::canonical(loader).string());
  const LoaderIdentity& identity = identified.identity;
  EXPECT_EQ(identity.flavour, Flavour::musl);
  // Run as a command, musl's loader prints "musl libc (ARCH)\nVersion X.Y.Z" and its options.
  std::string banner = test::run_command({loader}, "", true).out;
  EXPECT_NE(banner.find("musl libc (" + identity.musl_arch + ")\nVersion " + identity.version + "\n"),
            std::string::npos)
      << banner;
  EXPECT_EQ(identity.musl_arch, "x86_64");
  EXPECT_EQ(identity.system_dirs, (std::vector<std::string>{"/lib", "/usr/local/lib", "/usr/lib"}));
  EXPECT_EQ(identity.musl_path_file, "/etc/ld-musl-x86_64.path");
  EXPECT_TRUE(identity.has_argv0);
  EXPECT_TRUE(identity.has_library_path);
  EXPECT_FALSE(identity.has_inhibit_cache);
  EXPECT_TRUE(identity.lib.empty());
  // The machine's own path file, read as musl reads it.
  auto text = test::read_file("/etc/ld-musl-x86_64.path");
  if (!text.empty()) {
    std::vector<std::string> expected;
    for (auto& line : test::split_lines(std::string(text.begin(), text.end()))) {
      if (!line.empty()) expected.push_back(line);
    }
    EXPECT_EQ(musl_system_dirs(identity, "/", loader), expected);
  }
}

// ---- Synthetic loaders ----

struct Fake {
  std::string bytes;
  elf::ElfObject object;
  std::unique_ptr<elf::ByteSource> source;
  LoaderIdentity identify() {
    source = elf::ByteSource::from_memory(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    auto identity = identify_loader(*source, object);
    EXPECT_TRUE(identity);
    return identity ? *identity : LoaderIdentity{};
  }
};

Fake fake(uint16_t machine, std::string bytes) {
  Fake f;
  f.bytes = std::move(bytes);
  f.object.ident.elf_class = ELFCLASS64;
  f.object.ident.data = ELFDATA2LSB;
  f.object.header.machine = machine;
  f.object.dynamic = elf::DynamicInfo{};
  return f;
}

using namespace std::string_literals;

TEST(LoaderIdentitySynthetic, UpstreamLayoutAndANewerRelease) {
  auto f = fake(EM_X86_64,
                "\x7f"
                "ELF\0\0/etc/ld.so.cache\0/usr/lib64/\0/usr/lib/\0/lib64/\0junk/\0\0lib64\0"
                "x86-64-v4:x86-64-v3:x86-64-v2\0x86-64-v2\0--argv0\0--library-path\0--inhibit-cache\0"
                "ld.so (GNU libc) stable release version 2.38.\n\0"s);
  LoaderIdentity identity = f.identify();
  EXPECT_EQ(identity.flavour, Flavour::glibc);
  EXPECT_EQ(identity.version, "2.38");
  EXPECT_EQ(identity.system_dirs, (std::vector<std::string>{"/usr/lib64", "/usr/lib", "/lib64"}));
  EXPECT_EQ(identity.lib, "lib64");
  EXPECT_EQ(identity.hwcaps_subdirs, (std::vector<std::string>{"x86-64-v4", "x86-64-v3", "x86-64-v2"}));
  EXPECT_FALSE(identity.has_legacy_hwcaps);  // 2.37 dropped them
  EXPECT_TRUE(identity.has_argv0 && identity.has_library_path && identity.has_inhibit_cache);
}

TEST(LoaderIdentitySynthetic, HwcapsFamilyNamesBeyondTheTable) {
  auto f = fake(EM_S390,
                "\0/lib/\0/usr/lib/\0z17:z16:z15:z14:z13\0z13\0"
                "ld.so (GNU libc) development release version 2.41.9000.\0"s);
  f.object.ident.data = ELFDATA2MSB;
  LoaderIdentity identity = f.identify();
  EXPECT_EQ(identity.version, "2.41.9000");
  EXPECT_EQ(identity.hwcaps_subdirs, (std::vector<std::string>{"z17", "z16", "z15", "z14", "z13"}));
  EXPECT_EQ(identity.lib, "lib");
  EXPECT_FALSE(identity.has_argv0);
}

TEST(LoaderIdentitySynthetic, AnOldGlibcWithoutBannerIsKnownByItsVersionDefinitions) {
  auto f = fake(EM_AARCH64,
                "\0/lib/aarch64-linux-gnu/\0/usr/lib/aarch64-linux-gnu/\0/lib/\0/usr/lib/\0"
                "--library-path\0--inhibit-cache\0"s);
  for (const char* name : {"GLIBC_2.17", "GLIBC_2.3", "GLIBC_PRIVATE", "ld-linux-aarch64.so.1"}) {
    elf::VersionDefinition definition;
    definition.names = {name};
    f.object.dynamic->version_definitions.push_back(definition);
  }
  LoaderIdentity identity = f.identify();
  EXPECT_EQ(identity.flavour, Flavour::glibc);
  EXPECT_EQ(identity.version, "2.17");
  EXPECT_TRUE(identity.version_is_lower_bound);
  EXPECT_TRUE(identity.has_legacy_hwcaps);
  EXPECT_FALSE(identity.has_argv0);
  EXPECT_EQ(identity.lib, "aarch64-linux-gnu");  // no Debian "lib/..." string: upstream's notdir
}

TEST(LoaderIdentitySynthetic, ProgramsAndStrangersAreNotLoaders) {
  const std::string glibc = "\0/lib/\0/usr/lib/\0ld.so (GNU libc) stable release version 2.36.\0"s;
  auto program = fake(EM_X86_64, glibc);
  program.object.interpreter = "/lib64/ld-linux-x86-64.so.2";
  EXPECT_EQ(program.identify().flavour, Flavour::unknown);
  auto library = fake(EM_X86_64, glibc);
  library.object.dynamic->needed = {"libc.so.6"};
  EXPECT_EQ(library.identify().flavour, Flavour::unknown);
  auto stranger = fake(EM_X86_64, "\0/lib/\0/usr/lib/\0nothing to see\0"s);
  LoaderIdentity identity = stranger.identify();
  EXPECT_EQ(identity.flavour, Flavour::unknown);
  EXPECT_EQ(identity.machine, EM_X86_64);
  EXPECT_TRUE(identity.system_dirs.empty());
}

TEST(LoaderIdentitySynthetic, MuslFromItsStrings) {
  auto f = fake(EM_AARCH64,
                "\0"
                "127.0.0.1\0musl libc (aarch64)\nVersion %s\nDynamic Program Loader\0/usr/local/bin:/bin\0"
                "1.2.5_git20240512\0/lib:/usr/local/lib:/usr/lib\0%.*s/etc/ld-musl-aarch64.path\0argv0\0"
                "library-path\0preload\0"s);
  LoaderIdentity identity = f.identify();
  EXPECT_EQ(identity.flavour, Flavour::musl);
  EXPECT_EQ(identity.musl_arch, "aarch64");
  EXPECT_EQ(identity.version, "1.2.5_git20240512");
  EXPECT_EQ(identity.system_dirs, (std::vector<std::string>{"/lib", "/usr/local/lib", "/usr/lib"}));
  EXPECT_EQ(identity.musl_path_file, "/etc/ld-musl-aarch64.path");
  EXPECT_TRUE(identity.has_argv0);
  EXPECT_FALSE(identity.has_legacy_hwcaps);
}

TEST(LoaderIdentitySynthetic, MuslPathFileFollowsTheLoadersLocation) {
  LoaderIdentity musl;
  musl.flavour = Flavour::musl;
  musl.musl_arch = "x86_64";
  musl.musl_path_file = "/etc/ld-musl-x86_64.path";
  EXPECT_EQ(musl_path_file(musl, "/lib/ld-musl-x86_64.so.1"), "/etc/ld-musl-x86_64.path");
  EXPECT_EQ(musl_path_file(musl, "/opt/musl/lib/ld-musl-x86_64.so.1"), "/opt/musl/etc/ld-musl-x86_64.path");
  EXPECT_EQ(musl_path_file(musl, "ld-musl-x86_64.so.1"), "/etc/ld-musl-x86_64.path");

  test::TempDir root;
  musl.system_dirs = {"/lib", "/usr/local/lib", "/usr/lib"};
  EXPECT_EQ(musl_system_dirs(musl, root.path(), "/lib/ld-musl-x86_64.so.1"), musl.system_dirs);  // no file
  test::write_file(root / "etc/ld-musl-x86_64.path", "/a:/b\n\n/c::\n");
  EXPECT_EQ(musl_system_dirs(musl, root.path(), "/lib/ld-musl-x86_64.so.1"),
            (std::vector<std::string>{"/a", "/b", "/c"}));
  test::write_file(root / "etc/ld-musl-x86_64.path", "");
  EXPECT_TRUE(musl_system_dirs(musl, root.path(), "/lib/ld-musl-x86_64.so.1").empty());  // empty file: no dirs
  fs::remove(root / "etc/ld-musl-x86_64.path");
  fs::create_directories(root / "etc/ld-musl-x86_64.path");  // opens, but cannot be read: musl uses ""
  EXPECT_TRUE(musl_system_dirs(musl, root.path(), "/lib/ld-musl-x86_64.so.1").empty());
}

TEST(LoaderIdentitySynthetic, FallbackIdentityComesFromTheTable) {
  elf::ElfObject program;
  program.ident.elf_class = ELFCLASS64;
  program.ident.data = ELFDATA2LSB;
  program.header.machine = EM_AARCH64;
  program.interpreter = "/lib/ld-linux-aarch64.so.1";
  LoaderIdentity identity = fallback_identity(program);
  EXPECT_TRUE(identity.from_fallback_table);
  EXPECT_EQ(identity.flavour, Flavour::glibc);
  EXPECT_EQ(identity.system_dirs,
            (std::vector<std::string>{"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib"}));
  EXPECT_EQ(identity.lib, "lib/aarch64-linux-gnu");
  EXPECT_EQ(identity.machine, EM_AARCH64);

  program.interpreter = "/lib/ld-musl-aarch64.so.1";
  identity = fallback_identity(program);
  EXPECT_EQ(identity.flavour, Flavour::musl);
  EXPECT_EQ(identity.musl_path_file, "/etc/ld-musl-aarch64.path");

  program.header.machine = EM_X86_64;
  program.interpreter = "/lib64/ld-linux-x86-64.so.2";
  EXPECT_EQ(fallback_identity(program).hwcaps_subdirs,
            (std::vector<std::string>{"x86-64-v4", "x86-64-v3", "x86-64-v2"}));

  program.header.machine = 0x1234;
  identity = fallback_identity(program);
  EXPECT_EQ(identity.flavour, Flavour::unknown);
  EXPECT_TRUE(identity.from_fallback_table);
}

}  // namespace
}  // namespace elfrun::loader
