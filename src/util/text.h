// Small helpers on text and paths that several parts of the library need: the lines of a kernel or config file,
// the directories of $PATH, and a path with its symlinks resolved.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace elfrun::util {

// The lines of `text`, without their '\n'; a last line without one counts, an empty text has none.
std::vector<std::string_view> split_lines(std::string_view text);

// The pieces of `text` between `separator`s, empty ones included: "a::b" gives "a", "", "b"; "" gives one "".
std::vector<std::string_view> split(std::string_view text, char separator);

// The non-empty pieces, as strings: a ':'-list of directories with empty entries dropped, a path's components.
std::vector<std::string> split_non_empty(std::string_view text, char separator);

// The directories of $PATH in order, as a shell searches them (its default when PATH is unset); an empty entry
// is kept as "" (a shell reads it as the working directory).
std::vector<std::string> path_directories();

// The last component of `path`, after its last '/' (all of it when there is none).
std::string_view base_name(std::string_view path);

// The directory `path` is in: up to its last '/', "/" for a name right under the root, "." when there is no '/'.
std::string_view dir_name(std::string_view path);

// `bytes` as lower-case hex digits, two per byte (build IDs, digests, cache entry names).
std::string hex(std::span<const uint8_t> bytes);

// realpath(3) of `path`, or `path` itself when it cannot be resolved (missing, a loop, no permission).
std::string real_path(const std::string& path);

}  // namespace elfrun::util
