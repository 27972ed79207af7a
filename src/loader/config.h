// elfrun's configuration: extra roots and loaders, from /etc/elfrun/config.toml and then
// $XDG_CONFIG_HOME/elfrun/config.toml (~/.config when unset). A file that does not parse is an error naming it.
//
//   [[loader]]
//   path = "/opt/musl/lib/ld-musl-x86_64.so.1"
//   library_path = ["/opt/musl/lib"]
//
//   fetch = true   # run fetches what the machine lacks, as `run --fetch` (a top-level key)
//
//   [[root]]
//   path = "/srv/aarch64-root"
#pragma once

#include <string>
#include <vector>

#include "loader/discovery.h"
#include "util/expected.h"

namespace elfrun::loader {

// Reads one configuration file into the discovery options (a missing file adds nothing).
Expected<void> read_config_file(const std::string& path, DiscoveryOptions& options);

// Reads the system-wide and the user's configuration files, in that order.
Expected<DiscoveryOptions> read_configuration();

}  // namespace elfrun::loader
