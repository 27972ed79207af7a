// Reproducible archives of a bundle: a ustar tar stream (sorted entries, mtime 0, uid/gid 0, owner root:root, fixed
// modes) and its gzip compression (zlib, no file name, mtime 0), so that the same bundle gives the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace elfrun::bundle {

struct ArchiveEntry {
  enum class Kind { directory, file, symlink };
  Kind kind = Kind::file;
  std::string path;         // relative, '/'-separated, no trailing '/'
  std::string content;      // a file's bytes
  std::string link_target;  // a symlink's target (relative)
  uint32_t mode = 0644;
};

// The ustar archive of `entries` in the order given (the caller sorts), each path under `prefix` ("hello/" or "").
// Errors: a path too long for ustar's 155+100 name fields, a link target over 100 bytes.
Expected<std::string> make_tar(const std::vector<ArchiveEntry>& entries, const std::string& prefix);

// `data` as a gzip stream (RFC 1952) at the best compression, with no name and mtime 0.
Expected<std::string> gzip(std::string_view data);

}  // namespace elfrun::bundle
