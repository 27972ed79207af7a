// The TOML configuration, parsed with toml++ (header-only, Debian's libtomlplusplus-dev).
#include "loader/config.h"

#include <sys/stat.h>

#include <cstdlib>
// Errors as values, not exceptions (STYLE.md); only this file includes toml++.
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "util/access_log.h"
#include "util/trust.h"

namespace elfrun::loader {

Expected<void> read_config_file(const std::string& path, DiscoveryOptions& options) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    util::watch_stat(path, nullptr, errno);
    return {};
  }
  util::watch_stat(path, &st, 0);
  // The trust rule (util/trust.h): a configuration another user can write would choose what elfrun executes.
  if (std::string reason = util::untrusted_path_reason(path); !reason.empty()) {
    util::report_untrusted("configuration", path, reason);
    return {};
  }
  toml::parse_result result = toml::parse_file(path);
  if (!result) {
    const auto& error = result.error();
    return Error{path + ":" + std::to_string(error.source().begin.line) + ": " + std::string(error.description())};
  }
  const toml::table& table = result.table();
  if (const toml::node* fetch = table.get("fetch")) {
    auto value = fetch->value<bool>();
    if (!value) return Error{path + ": fetch must be true or false"};
    options.fetch = *value;
  }
  if (const toml::array* loaders = table["loader"].as_array()) {
    for (size_t i = 0; i < loaders->size(); ++i) {
      const toml::table* entry = (*loaders)[i].as_table();
      auto loader_path = entry ? (*entry)["path"].value<std::string>() : std::nullopt;
      if (!loader_path) return Error{path + ": [[loader]] entry " + std::to_string(i + 1) + " has no path"};
      // A loader is executed (to identify it, and to run programs): it must pass the rule too. One that does not
      // exist is left to discovery, which says so.
      struct stat loader_st {};
      if (::lstat(loader_path->c_str(), &loader_st) == 0) {
        if (std::string reason = util::untrusted_path_reason(*loader_path); !reason.empty()) {
          util::report_untrusted("loader", *loader_path + " (named by " + path + ")", reason);
          continue;
        }
      }
      DiscoveryOptions::ConfiguredLoader configured;
      configured.path = *loader_path;
      configured.source = "config " + path;
      if (const toml::array* dirs = (*entry)["library_path"].as_array()) {
        for (const auto& dir : *dirs) {
          if (auto text = dir.value<std::string>()) configured.library_dirs.push_back(*text);
        }
      }
      options.configured.push_back(std::move(configured));
    }
  }
  if (const toml::array* roots = table["root"].as_array()) {
    for (size_t i = 0; i < roots->size(); ++i) {
      const toml::table* entry = (*roots)[i].as_table();
      auto root_path = entry ? (*entry)["path"].value<std::string>() : std::nullopt;
      if (!root_path) return Error{path + ": [[root]] entry " + std::to_string(i + 1) + " has no path"};
      options.configured_roots.emplace_back(*root_path, "config " + path);
    }
  }
  return {};
}

Expected<DiscoveryOptions> read_configuration() {
  DiscoveryOptions options;
  if (auto r = read_config_file("/etc/elfrun/config.toml", options); !r) return r.error();
  std::string user_dir;
  if (const char* xdg = util::watched_getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    user_dir = xdg;
  } else if (const char* home = util::watched_getenv("HOME"); home && *home) {
    user_dir = std::string(home) + "/.config";
  }
  if (!user_dir.empty()) {
    if (auto r = read_config_file(user_dir + "/elfrun/config.toml", options); !r) return r.error();
  }
  return options;
}

}  // namespace elfrun::loader
