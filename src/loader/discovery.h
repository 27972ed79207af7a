// Loader discovery: the dynamic loaders a machine has, found in the standard places (/lib*, /usr/lib*, multiarch
// directories, cross-toolchain roots such as Debian's /usr/<triplet> and Gentoo's /usr/<arch>-*-linux-*), in the
// configuration, and under directories the user names. Each is identified from its own bytes, never executed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "elf/elf_object.h"
#include "loader/filesystem.h"
#include "loader/identity_cache.h"
#include "loader/loader_identity.h"

namespace elfrun::loader {

struct DiscoveredLoader {
  std::string path;                  // the first path it was found by
  std::vector<std::string> aliases;  // other paths (symlinks, merged /usr) to the same file
  LoaderIdentity identity;
  uint16_t machine = 0;
  uint8_t elf_class = 0;
  uint8_t data = 0;
  uint32_t flags = 0;
  std::string abi;                        // MachineFacts::abi ("x86-64", "i386", "aarch64"...)
  std::string root;                       // the root layout it sits in ("/", "/usr/aarch64-linux-gnu"), or ""
  std::vector<std::string> library_dirs;  // where its libraries are: its own directory, its root's system dirs
  std::string source;                     // "standard place", "--search DIR", "config FILE"
  FileId id;
  bool identity_from_cache = false;  // the identity came from the IdentityCache, not from its bytes
};

// What a file with a loader's name is, from its header (or the cache), before it is identified.
struct LoaderCandidate {
  const std::string& path;
  uint16_t machine = 0;
  uint8_t elf_class = 0;
  uint8_t data = 0;
  uint32_t flags = 0;
  std::string_view libc;  // elf::libc_of() the file by its path: "glibc", "musl" or "" when it does not say
};

struct DiscoveryOptions {
  std::vector<std::string> search_dirs;  // --search DIR: scanned recursively, two levels deep
  struct ConfiguredLoader {
    std::string path;
    std::vector<std::string> library_dirs;
    std::string source;
  };
  std::vector<ConfiguredLoader> configured;                           // loaders named in the configuration
  std::vector<std::pair<std::string, std::string>> configured_roots;  // (root, source)
  // When set, a file with a loader's name is identified (the costly part: its strings are read) only when this
  // accepts its path and header: `run` asks only for loaders that could serve its program.
  std::function<bool(const LoaderCandidate& candidate)> prefilter;
  // When set, the places are searched for files of this name only (when it looks like a loader's), each directory
  // probed for it rather than listed: `run` looks for its program's PT_INTERP name first.
  std::string only_name;
  // When set, what each file is comes from this cache when it knows the file's bytes, and goes into it otherwise.
  std::shared_ptr<const IdentityCache> cache;
  // `fetch = true` in the configuration: `run` fetches what the machine lacks as with --fetch (fetch/provision.h).
  bool fetch = false;
};

// Every loader found, in the order of the places searched, duplicates (same file) merged.
std::vector<DiscoveredLoader> discover_loaders(const DiscoveryOptions& options);

// The same loaders, in the same order, handed to `visit` as each is found (its aliases so far only); the search
// stops when `visit` returns true. `run` stops at the first loader that fits, so it rarely scans every place.
void visit_loaders(const DiscoveryOptions& options, const std::function<bool(const DiscoveredLoader&)>& visit);

// True when a file name looks like a loader's: ld-linux*.so.*, ld64.so.*, ld.so.1, ld-musl-*.so.1, ld-*.so.
bool looks_like_loader_name(const std::string& name);

}  // namespace elfrun::loader
