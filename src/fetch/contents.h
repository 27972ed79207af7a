// Which package ships a file, from a Contents index of Debian's archive (dists/SUITE/COMPONENT/Contents-ARCH, the
// file apt-file reads): one line per file, "PATH<blanks>LOCATION[,LOCATION...]", the path relative to the root
// (no leading '/'; it may contain blanks, so the locations are the last word), each location [AREA/]SECTION/PACKAGE.
// For the libraries Debian's naming policy does not name (fetch/policy.h: libapt-private.so.0.0 is in `apt`,
// libpython3.11.so.1.0 in `libpython3.11`, libLLVM-14.so.1 in `libllvm14`). Nothing here reads a file: the index
// is fed in chunks as apt decompresses it (fetch/contents_index.h), and may be large (170 MB for trixie amd64), so
// only the lines of the paths asked for are kept; a line longer than any path could be is skipped, not stored.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elf/elf_object.h"

namespace elfrun::fetch {

struct ContentsLine {
  std::string_view path;                   // "usr/lib/x86_64-linux-gnu/libapt-private.so.0.0"
  std::vector<std::string_view> packages;  // {"apt"}: the last part of each location
};

// One line of a Contents index (without its newline); nullopt for one that is not a file line: no blank between
// path and locations, an empty path or location, a path with a NUL or control character, "..", or a package name
// outside Debian Policy 5.6.1 (lowercase letters, digits, '+', '-', '.', at least two, starting with a letter or
// digit). Older indexes start with a free-text preamble and a "FILE LOCATION" line: those are rejected or, when one
// happens to look like a file line, harmless (only the paths asked for are ever looked at).
std::optional<ContentsLine> parse_contents_line(std::string_view line);

// The paths (relative, as the index writes them) where the loader of `object` would look for the library `name`,
// in its order: each absolute DT_RPATH/DT_RUNPATH directory of the object (those with $ORIGIN or another dynamic
// string token depend on where it lies and are left out), then Debian's multiarch directories of its machine and
// the plain ones: lib/TRIPLET, usr/lib/TRIPLET, lib, usr/lib (glibc's SYSTEM_DIRS as Debian configures them; with
// merged /usr both name one directory, and a package may list either). A name with a '/' is that path alone.
std::vector<std::string> library_candidate_paths(std::string_view name, const elf::ElfObject& object);

// A search of a Contents index for some paths: feed() it the index in chunks of any size, then finish().
class ContentsSearch {
 public:
  explicit ContentsSearch(std::vector<std::string> paths);
  void feed(std::string_view chunk);
  void finish();
  // The packages listed for each path asked for (sorted, without duplicates); a path the index does not list maps
  // to an empty list. Meaningful after finish().
  const std::map<std::string, std::vector<std::string>>& found() const { return found_; }
  size_t lines() const { return lines_; }
  size_t malformed() const { return malformed_; }

  // No path in an index is longer than this (PATH_MAX): a longer line is skipped without being stored whole.
  static constexpr size_t kMaxLine = 4096 + 1024;

 private:
  void line(std::string_view text);
  std::map<std::string, std::vector<std::string>> found_;
  std::string partial_;    // the start of a line split across chunks
  bool skipping_ = false;  // inside a line too long to keep
  size_t lines_ = 0, malformed_ = 0;
};

// The packages that ship the library, in the loader's order of `paths` (library_candidate_paths), each path's
// packages by name: the first is the one whose file the loader would find first. Without duplicates.
std::vector<std::string> packages_in_order(const std::vector<std::string>& paths,
                                           const std::map<std::string, std::vector<std::string>>& found);

}  // namespace elfrun::fetch
