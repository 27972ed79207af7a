// Debian's naming rules as data and one general rule (Debian Policy 8.1; the multilib packages of the gcc and glibc
// source packages; os-release(5); sources.list(5)).
#include "fetch/policy.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "util/text.h"

namespace elfrun::fetch {

namespace {

// Packages of one SONAME that the general rule does not name: glibc's libraries are all in libc6, GCC's runtime in
// packages named after the source's conventions. `multilib` is the name for the other class of a biarch machine,
// with ARCH standing for the program's architecture (libc6-amd64 on i386, libc6-i386 on amd64).
struct SpecialName {
  const char* soname;
  const char* package;
  const char* multilib_amd64;  // on an i386 archive, for amd64 programs
  const char* multilib_i386;   // on an amd64 archive, for i386 programs
};
constexpr std::array kSpecial = {
    SpecialName{"libstdc++.so.6", "libstdc++6", "lib64stdc++6", "lib32stdc++6"},
    SpecialName{"libgcc_s.so.1", "libgcc-s1", "lib64gcc-s1", "lib32gcc-s1"},
    SpecialName{"libatomic.so.1", "libatomic1", "lib64atomic1", "lib32atomic1"},
    SpecialName{"libgomp.so.1", "libgomp1", "lib64gomp1", "lib32gomp1"},
    SpecialName{"libquadmath.so.0", "libquadmath0", "lib64quadmath0", "lib32quadmath0"},
    SpecialName{"libz.so.1", "zlib1g", "lib64z1", "lib32z1"},
};

// glibc's shared objects (glibc shlib-versions), the loaders of every machine included.
constexpr std::array kGlibcSonames = {
    "libc.so.6",      "libm.so.6",         "libpthread.so.0", "libdl.so.2",        "librt.so.1",
    "libresolv.so.2", "libutil.so.1",      "libanl.so.1",     "libmvec.so.1",      "libBrokenLocale.so.1",
    "libcrypt.so.1",  "libnss_files.so.2", "libnss_dns.so.2", "libthread_db.so.1", "libc_malloc_debug.so.0",
};

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_debian_suite(std::string_view suite) {
  const auto& suites = known_suites();
  return std::find(suites.begin(), suites.end(), suite) != suites.end() || suite == "stable" || suite == "testing" ||
         suite == "unstable";
}

bool safe_component(std::string_view part) {
  return !part.empty() && part != "." && part != ".." && part.find('/') == std::string_view::npos &&
         part.find('_') == std::string_view::npos && part.find('\0') == std::string_view::npos;
}

std::string escape_epoch(std::string_view version) {
  std::string out;
  for (char c : version) out += c == ':' ? std::string("%3a") : std::string(1, c);
  return out;
}

std::string unescape_epoch(std::string_view version) {
  std::string out(version);
  for (size_t at; (at = lower(out).find("%3a")) != std::string::npos;) out.replace(at, 3, ":");
  return out;
}

}  // namespace

bool is_glibc_soname(std::string_view soname) {
  if (starts_with(soname, "ld-linux") || starts_with(soname, "ld64.so.") || starts_with(soname, "ld.so.")) return true;
  return std::find(kGlibcSonames.begin(), kGlibcSonames.end(), soname) != kGlibcSonames.end();
}

bool is_runtime_soname(std::string_view soname) {
  if (is_glibc_soname(soname)) return true;
  return std::any_of(kSpecial.begin(), kSpecial.end(), [&](const SpecialName& s) { return soname == s.soname; });
}

bool in_system_library_directory(std::string_view path) {
  for (std::string_view dir : {"/lib/", "/lib32/", "/lib64/", "/usr/lib/", "/usr/lib32/", "/usr/lib64/"}) {
    if (starts_with(path, dir) && path.find("/../") == std::string_view::npos) return true;
  }
  return false;
}

std::string archive_architecture(std::string_view program_arch, std::string_view machine_arch) {
  if ((program_arch == "amd64" && machine_arch == "i386") || (program_arch == "i386" && machine_arch == "amd64")) {
    return std::string(machine_arch);
  }
  return std::string(program_arch);
}

std::vector<std::string> packages_for_soname(std::string_view soname, std::string_view program_arch,
                                             std::string_view archive_arch) {
  bool multilib = program_arch != archive_arch;
  auto pick = [&](const char* native, const char* for_amd64, const char* for_i386) -> std::vector<std::string> {
    if (!multilib) return {native};
    if (program_arch == "amd64") return {for_amd64};
    if (program_arch == "i386") return {for_i386};
    return {};
  };
  if (is_glibc_soname(soname)) return pick("libc6", "libc6-amd64", "libc6-i386");
  for (const SpecialName& special : kSpecial) {
    if (soname == special.soname) return pick(special.package, special.multilib_amd64, special.multilib_i386);
  }
  if (multilib) return {};  // Debian ships no other library of the other class on a biarch machine by rule
  // Policy 8.1: libfoo.so.N -> libfooN, libfoo2.so.N -> libfoo2-N; lowercase; '_' is not allowed in a package name.
  size_t so = soname.find(".so.");
  if (so == std::string_view::npos || !starts_with(soname, "lib")) return {};
  std::string stem = lower(soname.substr(0, so));
  std::string version(soname.substr(so + 4));
  std::replace(stem.begin(), stem.end(), '_', '-');
  if (stem.size() <= 3 || version.empty()) return {};
  std::string name = stem + (std::isdigit(static_cast<unsigned char>(stem.back())) ? "-" : "") + version;
  // trixie renamed the libraries whose ABI has a time_t in it (the 64-bit time_t transition): libfooN -> libfooNt64.
  return {name, name + "t64"};
}

namespace {

// "2.38" -> {2, 38}; stops at the first character that is not a digit or a dot.
std::vector<unsigned long> numbers_of(std::string_view text) {
  std::vector<unsigned long> numbers;
  unsigned long value = 0;
  bool any = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      value = value * 10 + static_cast<unsigned long>(c - '0');
      any = true;
    } else if (c == '.' && any) {
      numbers.push_back(value);
      value = 0;
      any = false;
    } else {
      break;
    }
  }
  if (any) numbers.push_back(value);
  return numbers;
}

}  // namespace

bool glibc_package_covers(std::string_view package_version, std::string_view node) {
  if (!starts_with(node, "GLIBC_") || node.size() < 7 || !std::isdigit(static_cast<unsigned char>(node[6]))) {
    return true;
  }
  if (size_t colon = package_version.find(':'); colon != std::string_view::npos) {
    package_version.remove_prefix(colon + 1);
  }
  auto have = numbers_of(package_version);
  auto want = numbers_of(node.substr(6));
  if (have.empty() || want.empty()) return true;
  return !std::lexicographical_compare(have.begin(), have.end(), want.begin(), want.end());
}

const std::vector<std::string>& known_suites() {
  static const std::vector<std::string> kSuites = {"buster", "bullseye", "bookworm", "trixie", "forky", "sid"};
  return kSuites;
}

std::vector<std::string> suites_to_try(std::string_view own) {
  const auto& suites = known_suites();
  auto from = std::find(suites.begin(), suites.end(), own);
  if (from == suites.end()) from = std::find(suites.begin(), suites.end(), "trixie");  // the stable of this code
  return {from, suites.end()};
}

std::string os_release_codename(std::string_view os_release) {
  for (std::string_view line : util::split_lines(os_release)) {
    if (!starts_with(line, "VERSION_CODENAME=")) continue;
    std::string_view value = line.substr(17);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return {};
}

std::optional<std::string> mirror_of_deb822(std::string_view text) {
  // Stanzas are separated by blank lines; fields may continue on lines that start with a blank.
  std::vector<std::string> uris, suites;
  bool is_deb = false;
  std::string last_field;
  auto finish = [&]() -> std::optional<std::string> {
    std::optional<std::string> found;
    bool debian = std::any_of(suites.begin(), suites.end(), [](const std::string& s) { return is_debian_suite(s); });
    if (is_deb && debian && !uris.empty()) found = uris.front();
    uris.clear();
    suites.clear();
    is_deb = false;
    last_field.clear();
    return found;
  };
  for (std::string_view line : util::split_lines(text)) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.find_first_not_of(" \t") == std::string_view::npos) {
      if (auto found = finish()) return found;
      continue;
    }
    if (line.front() == '#') continue;
    std::string_view value;
    if (line.front() == ' ' || line.front() == '\t') {
      value = line;
    } else {
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      last_field = lower(line.substr(0, colon));
      value = line.substr(colon + 1);
    }
    auto words = util::split_non_empty(std::string(value), ' ');
    std::vector<std::string> split;
    for (const std::string& word : words) {
      for (const std::string& part : util::split_non_empty(word, '\t')) split.push_back(part);
    }
    if (last_field == "types") {
      is_deb = is_deb || std::find(split.begin(), split.end(), "deb") != split.end();
    } else if (last_field == "uris") {
      uris.insert(uris.end(), split.begin(), split.end());
    } else if (last_field == "suites") {
      suites.insert(suites.end(), split.begin(), split.end());
    } else if (last_field == "enabled" && !split.empty() && lower(split[0]) == "no") {
      uris.clear();
      is_deb = false;
    }
  }
  return finish();
}

std::optional<std::string> mirror_of_one_line(std::string_view text) {
  for (std::string_view line : util::split_lines(text)) {
    std::string clean(line.substr(0, line.find('#')));
    std::vector<std::string> words;
    for (const std::string& word : util::split_non_empty(clean, ' ')) {
      for (const std::string& part : util::split_non_empty(word, '\t')) words.push_back(part);
    }
    if (words.empty() || words[0] != "deb") continue;
    size_t at = 1;
    if (at < words.size() && starts_with(words[at], "[")) {  // [ options ], possibly several words
      while (at < words.size() && words[at].find(']') == std::string::npos) ++at;
      ++at;
    }
    if (at + 1 < words.size() && is_debian_suite(words[at + 1])) return words[at];
  }
  return std::nullopt;
}

std::optional<std::string> store_entry_name(std::string_view package, std::string_view version, std::string_view arch) {
  std::string escaped = escape_epoch(version);
  // Debian Policy 5.6.1: a package name starts with a letter or digit (so no entry name starts with '.').
  if (!safe_component(package) || !std::isalnum(static_cast<unsigned char>(package.front())) ||
      !safe_component(escaped) || !safe_component(arch)) {
    return std::nullopt;
  }
  return std::string(package) + "_" + escaped + "_" + std::string(arch);
}

std::optional<StoreEntryName> parse_store_entry_name(std::string_view name) {
  auto parts = util::split(name, '_');
  if (parts.size() != 3) return std::nullopt;
  StoreEntryName entry{std::string(parts[0]), unescape_epoch(parts[1]), std::string(parts[2])};
  if (!store_entry_name(entry.package, entry.version, entry.arch)) return std::nullopt;
  return entry;
}

std::optional<StoreEntryName> parse_deb_file_name(std::string_view file_name) {
  if (file_name.size() <= 4 || file_name.substr(file_name.size() - 4) != ".deb") return std::nullopt;
  return parse_store_entry_name(file_name.substr(0, file_name.size() - 4));
}

}  // namespace elfrun::fetch
