// `run --fetch`: when no loader and library set on the machine satisfies a program (fetch/needs.h), the packages
// that do, from the distribution's archive into the store, verified. Suites are tried oldest first, from the
// machine's own; in each, the packages the unmet needs name (fetch/policy.h) are taken — from the store when an
// entry of the suite's version is there, else downloaded by apt with a private state (fetch/apt.h) and unpacked —
// and the program checked again with them, until it is satisfied (the suite's set) or no package is left to try
// (the next suite). The machine's own libraries stay first wherever they satisfy: only the store directories of
// the packages taken are added, and glibc's loader and libc.so.6 always come from one package.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "elf/elf_object.h"
#include "fetch/needs.h"
#include "util/expected.h"

namespace elfrun::fetch {

struct Package {
  std::string name, version, arch, suite;  // suite: where it was chosen from ("" when from the store alone)
  std::string entry;                       // the store entry's directory
  bool downloaded = false;
};

struct Provision {
  Configuration configuration;  // the loader and library directories to run the program with
  std::vector<Package> packages;
  bool fetched_any() const;
};

struct ProvisionRequest {
  std::string program;  // a path
  const elf::ElfObject* object = nullptr;
  std::function<void(const std::string&)> progress;  // one line per step that takes time (downloads)
  // `run --root DIR --fetch`: the machine is DIR — what DIR lacks is fetched, for DIR's suite and architecture
  // (machine_of_root); the apt state and the store stay the user's, and nothing is written into DIR. "" for the host.
  std::string root;
  // `fix`: the store's entries alone, never apt (no network); an error when they do not satisfy the program.
  bool store_only = false;
};

// The suite and Debian architecture of a root's distribution, read inside it: ROOT/etc/os-release's
// VERSION_CODENAME and the first line of ROOT/var/lib/dpkg/arch (dpkg's native architecture, written by
// --add-architecture), else the architecture of ROOT/usr/bin/dpkg's ELF machine (dpkg's native one is built in),
// else `fallback_arch` (the program's). "" root: this machine's.
struct MachineOf {
  std::string suite, arch;
};
MachineOf machine_of_root(const std::string& root, const std::string& fallback_arch);

// nullopt when the machine satisfies the program already; the provision otherwise; an error (naming the packages
// and apt's own words) when no suite's packages do, or they cannot be fetched.
Expected<std::optional<Provision>> provision(const ProvisionRequest& request);

// What `why` says without touching the network: the packages the policy names for the unmet needs, and the suites
// `run --fetch` would try. Empty `packages` when the machine satisfies the program or no rule names one.
struct Suggestion {
  std::vector<Unmet> unmet;
  std::vector<std::string> packages;  // "libc6-amd64:i386"
  std::vector<std::string> suites;    // in the order run --fetch tries them
  std::string known_suite;            // the suite whose packages were verified before (a store entry), if any
  // Libraries outside the policy's names (fetch/contents_index.h): "libapt-private.so.0.0 is in apt (trixie's
  // Contents index ...)" for those a Contents index run --fetch read lists, and for the others (missing, no index
  // read says) one line each saying no package is known to ship them.
  std::vector<std::string> located;
  std::vector<std::string> unnamed;
};
Suggestion suggest(const std::string& program, const elf::ElfObject& object, const std::string& root = {});

}  // namespace elfrun::fetch
