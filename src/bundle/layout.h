// The layout of a bundle: which bytes go at which path, one stored copy per distinct content (SHA-256), every other
// path with the same content a relative symlink to it, in a fixed order so that the same inputs give the same bundle.
//
//     bin/NAME                    the launcher of program NAME
//     libexec/NAME                the program itself
//     lib/<abi>-<libc>[-N]/...    one directory per distinct loader: the loader and the libraries resolved under it
//                                 (an i386 and an x86-64 program each get their own; -2, -3... for another loader of
//                                 the same kind)
//     data/<absolute path>        files added with --add, at their absolute path under data/
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bundle/archive.h"
#include "util/expected.h"

namespace elfrun::bundle {

class Layout {
 public:
  // Puts `content` at `path` (relative, '/'-separated). The same path twice with the same bytes is one file; with
  // other bytes it is an error naming both origins (host paths or "launcher of NAME").
  Expected<void> add_file(const std::string& path, std::string content, uint32_t mode, const std::string& origin);

  bool has(const std::string& path) const { return files_.count(path) != 0; }

  // Every directory, file and symlink, sorted by path. Files with the same content: the first path in that order
  // holds it (executable if any of them was), the others are relative symlinks to it.
  std::vector<ArchiveEntry> entries() const;

  // The bytes the bundle holds (each distinct content once) and what it would without deduplication.
  uint64_t stored_bytes() const;
  uint64_t logical_bytes() const;

 private:
  struct File {
    std::string content;
    uint32_t mode = 0644;
    std::string origin;
    std::string hash;  // SHA-256 of content
  };
  std::map<std::string, File> files_;
};

// The relative symlink target that, placed at `link_path`, points at `target_path` (both relative to the bundle):
// relative_link("lib/a/libz.so", "lib/a/libz.so.1") == "libz.so.1", ("bin/x", "libexec/x") == "../libexec/x".
std::string relative_link(const std::string& link_path, const std::string& target_path);

}  // namespace elfrun::bundle
