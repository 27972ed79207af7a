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

std::vector<std::string> path_directories() {
  const char* path = watched_getenv("PATH");
  std::vector<std::string> directories;
  for (std::string_view dir : split(path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) directories.emplace_back(dir);
  return directories;
}

std::string real_path(const std::string& path) {
  char* real = ::realpath(path.c_str(), nullptr);
  std::string result = real != nullptr ? real : path;
  std::free(real);
  watch_real_path(path, result);
  return result;
}

}  // namespace elfrun::util
