// The pure knowledge `run --fetch` needs about Debian's archive: which package ships a shared library (Debian Policy
// 8.1, "Run-time shared libraries": the package is named after the SONAME, libfoo.so.N -> libfooN, with a hyphen
// when the name ends in a digit; glibc's libraries all come from libc6, GCC's runtime from libstdc++6 and
// libgcc-s1; and for the other class of a biarch machine the multilib packages libc6-amd64, libc6-i386...), which
// Debian architecture an ELF machine is, the order suites are tried in (oldest first, from the machine's own), the
// mirror of the machine's apt sources, and the names of store entries. Nothing here reads a file or the network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace elfrun::fetch {

// (The Debian architecture of a program: fetch/architecture.h, from the machine table.)

// The packages that may ship `soname` for a program of architecture `program_arch`, taken from an archive of
// architecture `archive_arch` (the same, or the machine's own for the other class of a biarch pair), most likely
// first. Empty when no rule names one. libc.so.6 on amd64 -> {"libc6"}; on an i386 archive for amd64 ->
// {"libc6-amd64"}; libcurl.so.4 -> {"libcurl4", "libcurl4t64"} (the 64-bit time_t rename of trixie).
std::vector<std::string> packages_for_soname(std::string_view soname, std::string_view program_arch,
                                             std::string_view archive_arch);

// Whether `soname` is one of glibc's own (libc.so.6, libm.so.6, the loader ld-linux*.so.N...): they come with the
// loader, from one package, or not at all.
bool is_glibc_soname(std::string_view soname);

// Whether `soname` is part of the distribution's C and C++ runtime (glibc, GCC's runtime libraries, zlib): the
// packages the policy names for it exist in every suite.
bool is_runtime_soname(std::string_view soname);

// Whether `path` is in one of the distribution's library directories (/lib, /usr/lib and their 32/64 and multiarch
// subdirectories): a library there came from one of its packages.
bool in_system_library_directory(std::string_view path);

// The archive architecture to fetch a program of `program_arch` from on a machine of `machine_arch`: the machine's
// own when Debian ships the other class as multilib packages there (amd64 on i386, i386 on amd64), else the
// program's.
std::string archive_architecture(std::string_view program_arch, std::string_view machine_arch);

// Whether a glibc package of Debian version `package_version` ("2.36-9+deb12u14", "1:2.41-1") defines the version
// node `node` ("GLIBC_2.38"): glibc's nodes are named after the release that added them. True for a node of another
// kind (nothing known against it).
bool glibc_package_covers(std::string_view package_version, std::string_view node);

// Debian's suites in age order, oldest first.
const std::vector<std::string>& known_suites();
// The suites to try for a machine of suite `own` (os-release VERSION_CODENAME): `own` first, then every newer one.
// An unknown or empty `own` gives the current stable and newer.
std::vector<std::string> suites_to_try(std::string_view own);

// VERSION_CODENAME of an os-release text ("bookworm"); "" when it has none.
std::string os_release_codename(std::string_view os_release);

// The first archive mirror URI in apt sources: deb822 stanzas (Types: deb, URIs:, Suites:) or one-line entries
// ("deb [options] URI SUITE COMPONENTS"), whose suite is one of Debian's own (not -security or -updates, which live
// elsewhere or lag); nullopt when none.
std::optional<std::string> mirror_of_deb822(std::string_view text);
std::optional<std::string> mirror_of_one_line(std::string_view text);

// A store entry's directory name: PACKAGE_VERSION_ARCH, with the version's epoch colon as %3a (as dpkg names .deb
// files), so that the name is one path component. nullopt for a name that could escape it ('/', "..", empty parts).
std::optional<std::string> store_entry_name(std::string_view package, std::string_view version, std::string_view arch);
struct StoreEntryName {
  std::string package, version, arch;
};
std::optional<StoreEntryName> parse_store_entry_name(std::string_view name);

// A .deb file name as apt-get download writes it (PACKAGE_VERSION_ARCH.deb, epoch as %3a).
std::optional<StoreEntryName> parse_deb_file_name(std::string_view file_name);

}  // namespace elfrun::fetch
