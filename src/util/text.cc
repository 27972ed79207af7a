// See text.h.
#include "util/text.h"

#include <cstdlib>

#include "util/access_log.h"

namespace elfrun::util {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    pieces.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return pieces;
}

std::vector<std::string> split_non_empty(std::string_view text, char separator) {
  std::vector<std::string> pieces;
  for (std::string_view piece : split(text, separator)) {
    if (!piece.empty()) pieces.emplace_back(piece);
  }
  return pieces;
}

std::vector<std::string> path_directories() {
  const char* path = watched_getenv("PATH");
  std::vector<std::string> directories;
  for (std::string_view dir : split(path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) directories.emplace_back(dir);
  return directories;
}

std::string_view base_name(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view dir_name(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return slash == 0 ? std::string_view("/") : path.substr(0, slash);
}

std::string hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (uint8_t byte : bytes) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 15];
  }
  return text;
}

std::string real_path(const std::string& path) {
  char* real = ::realpath(path.c_str(), nullptr);
  std::string result = real != nullptr ? real : path;
  std::free(real);
  watch_real_path(path, result);
  return result;
}

}  // namespace elfrun::util
