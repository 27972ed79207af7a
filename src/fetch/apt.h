// A private apt state per (suite, architecture) under ${XDG_CACHE_HOME:-~/.cache}/elfrun/apt/SUITE_ARCH: its own
// sources list (the mirror of the machine's apt sources, the suite asked for, Signed-By the machine's Debian archive
// keyring), its own lists, cache and an empty dpkg status. apt-get and apt-cache run as child processes with options
// that point every directory there, so the machine's apt configuration, sources, keyrings and dpkg database are never
// written; apt itself checks the InRelease signature and every .deb's hash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/expected.h"

namespace elfrun::fetch {

struct Archive {
  std::string mirror;  // "http://MIRROR/debian"
  std::string suite;   // "bookworm"
  std::string arch;    // "amd64"
  std::string keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
};

// The machine's suite (/etc/os-release VERSION_CODENAME), "" when it says none.
std::string machine_suite();
// The machine's Debian architecture (the one elfrun was built for: the one its apt serves).
std::string machine_architecture();
// The mirror of the machine's apt sources (deb822 files first, then sources.list), or $ELFRUN_FETCH_MIRROR when set
// (tests: an unreachable one). An error naming the files read when none has one.
Expected<std::string> machine_mirror();

class AptState {
 public:
  // The state directory for `archive` under the user's cache (created 0700 under the trust rule); an error when the
  // cache directory cannot be used.
  static Expected<AptState> open(const Archive& archive);
  // The same, only when it exists already with indexes (no directory is made): what `why` may read offline.
  static std::optional<AptState> existing(const Archive& archive);

  const Archive& archive() const { return archive_; }
  const std::string& directory() const { return directory_; }
  bool has_indexes() const;
  // apt-get update, unless the indexes are younger than a day (or `force`).
  Expected<void> update(bool force = false) const;
  // The candidate version of PACKAGE:ARCH in the indexes (no network), nullopt when the suite has none.
  std::optional<std::string> candidate(const std::string& package) const;
  // apt-get download PACKAGE:ARCH=VERSION into `directory`; the .deb's path.
  Expected<std::string> download(const std::string& package, const std::string& version,
                                 const std::string& directory) const;
  // The argv of apt-get or apt-cache with every directory of apt pointed into this state (the Contents index,
  // fetch/contents_index.h, adds its own lists and sources to it).
  std::vector<std::string> command(const char* tool) const;

 private:
  Archive archive_;
  std::string directory_;
};

}  // namespace elfrun::fetch
