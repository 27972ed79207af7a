// Turning "run this program" into one exec: the program itself when it would run as it is (for a foreign machine: when
// a binfmt_misc handler takes it), else its loader (with --argv0 and --library-path, never LD_LIBRARY_PATH), else
// qemu-user for a machine the kernel cannot run.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "loader/binfmt_misc.h"
#include "loader/discovery.h"

namespace elfrun::run {

struct RunRequest {
  std::string program;            // as the user typed it (looked up through PATH when it has no '/')
  std::vector<std::string> args;  // the program's arguments
  std::optional<std::string> root;
  std::optional<std::string> loader;
  std::optional<std::string> library_path;
  std::optional<std::string> argv0;
  bool allow_setuid = false;
  // --fetch: when nothing on the machine satisfies the program, its packages from the archive (fetch/provision.h);
  // `fetch_progress` hears each step that takes time.
  bool fetch = false;
  std::function<void(const std::string&)> fetch_progress;
  bool fetch_store_only = false;       // `fix`: from the store's entries alone, never apt
  loader::DiscoveryOptions discovery;  // its cache, when set, serves loader identities (loader/identity_cache.h)
  std::string binfmt_misc_dir = std::string(loader::kBinfmtMiscDir);  // the kernel's handlers for foreign machines
};

struct RunPlan {
  enum class Kind { direct, loader, qemu, refused };
  Kind kind = Kind::refused;
  std::string exec_path;                   // the file to execve
  std::vector<std::string> argv;           // its argv, argv[0] first
  int refusal_status = 0;                  // 127 not found, 126 cannot be executed (shell conventions)
  std::string refusal;                     // what is wrong and what to do
  std::vector<std::string> reasons;        // why this plan, for -v
  bool fetched = false;                    // packages were downloaded into the store to make it
  std::vector<std::string> store_entries;  // --fetch: the store entries the plan uses
};

RunPlan plan_run(const RunRequest& request);

// The path PATH lookup gives for a name without '/', as a shell does; nullopt when none is executable.
std::optional<std::string> find_in_path(const std::string& name);

}  // namespace elfrun::run
