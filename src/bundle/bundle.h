// `elfrun bundle` as a library: the collected programs laid out (layout.h) with their launchers, loaders, libraries
// and data files, and written as a directory, a reproducible .tar.gz, or one self-extracting POSIX sh file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bundle/collect.h"
#include "bundle/layout.h"
#include "util/expected.h"

namespace elfrun::bundle {

enum class Format { dir, tar, sh };

// The layout of a bundle of `programs` (bin/, libexec/, lib/<abi>-<libc>/) and of `data_files` (data/<absolute
// path>: a directory is added with everything under it). Errors name the file and the clash.
Expected<Layout> plan_bundle(const std::vector<CollectedProgram>& programs, const std::vector<std::string>& data_files);

struct WriteResult {
  uint64_t output_bytes = 0;  // the .tar.gz or .sh file; for a directory the bytes of its files
  std::string content_hash;   // sh: the cache directory name
};

// Writes the bundle to `output`, atomically: into a temporary name beside it, renamed into place only when complete
// (a failure leaves nothing behind). A directory OUT must not exist yet; a tar or sh file OUT is replaced.
// `default_program`: what the sh format runs when invoked by a name that is none of its programs (the first one).
Expected<WriteResult> write_bundle(const Layout& layout, Format format, const std::string& output,
                                   const std::string& default_program);

// The self-extracting header of the sh format for a payload with this hash; `offset` is where the payload starts
// (1-based, for tail -c +N). Exposed for the unit test.
std::string sh_header(const std::string& content_hash, const std::string& default_program, uint64_t offset,
                      const std::vector<ArchiveEntry>& entries);

}  // namespace elfrun::bundle
