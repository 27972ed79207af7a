// The package store: ${XDG_DATA_HOME:-~/.local/share}/elfrun/store/PACKAGE_VERSION_ARCH, each entry a .deb unpacked
// with dpkg-deb -x (never installed: no maintainer script runs, the dpkg database is not touched), shared by every
// program that needs the same package. An entry appears whole or not at all: it is unpacked into a temporary sibling
// (.tmp-PID-NAME-XXXXXX) and renamed into place; what an interrupted unpack left is removed by the next store
// operation once its process is gone. The store directory is used only under the trust rule (util/trust.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fetch/policy.h"
#include "util/expected.h"

namespace elfrun::fetch {

struct StoreEntry {
  std::string path;  // the entry's directory
  StoreEntryName name;
};

class Store {
 public:
  // The user's store; disabled ("" directory) when no data directory is known.
  static Store for_user();
  explicit Store(std::string directory) : directory_(std::move(directory)) {}

  const std::string& directory() const { return directory_; }
  // Whether the store directory passes the trust rule (a warning when it exists and does not); `create` makes it.
  bool usable(bool create) const;

  // Every complete entry; of one package and architecture when given.
  std::vector<StoreEntry> entries(const std::string& package = {}, const std::string& arch = {}) const;
  // The entry of exactly this package, version and architecture, when it is there.
  std::optional<StoreEntry> find(const std::string& package, const std::string& version, const std::string& arch) const;
  // Unpacks `deb` as the entry `name` (whole, or not at all); the entry.
  Expected<StoreEntry> add(const std::string& deb, const StoreEntryName& name) const;
  // Removes an entry (renamed aside first, so that it vanishes at once).
  Expected<void> remove(const StoreEntry& entry) const;
  // Removes what interrupted unpacks left (temporary siblings whose process is gone).
  void remove_leftovers() const;

 private:
  std::string directory_;
};

// The bytes under `path` (files and symlinks, not following them).
uint64_t tree_size(const std::string& path);

}  // namespace elfrun::fetch
