// Search path construction, after glibc elf/dl-load.c (is_dst, _dl_dst_substitute, fillin_rpath) and
// elf/dl-object.c (l_origin).
#include "loader/search_path.h"

#include <algorithm>
#include <unordered_set>

namespace elfrun::loader {

namespace {

bool is_identifier_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// glibc is_dst: the length of "NAME" or "{NAME}" at the start of input, 0 when input does not start with that token
// (a longer identifier such as $ORIGINAL is not $ORIGIN).
size_t token_length(std::string_view input, std::string_view name) {
  bool curly = !input.empty() && input[0] == '{';
  std::string_view rest = curly ? input.substr(1) : input;
  if (rest.substr(0, name.size()) != name) return 0;
  char next = rest.size() > name.size() ? rest[name.size()] : '\0';
  if (curly && next != '}') return 0;
  if (is_identifier_char(next)) return 0;
  return curly ? name.size() + 2 : name.size();
}

}  // namespace

std::string expand_dst(std::string_view input, const DstValues& values) {
  std::string result;
  result.reserve(input.size());
  size_t i = 0;
  while (i < input.size()) {
    if (input[i] != '$') {
      result.push_back(input[i++]);
      continue;
    }
    std::string_view rest = input.substr(i + 1);
    const std::string* replacement = nullptr;
    size_t length = 0;
    if ((length = token_length(rest, "ORIGIN")) != 0) {
      replacement = &values.origin;
    } else if ((length = token_length(rest, "PLATFORM")) != 0) {
      replacement = &values.platform;
    } else if ((length = token_length(rest, "LIB")) != 0) {
      replacement = &values.lib;
    }
    if (length == 0) {
      result.push_back('$');  // not a token glibc knows: kept as it is
      ++i;
      continue;
    }
    if (replacement->empty()) return std::string();  // a known token without a value: the element is dropped
    result += *replacement;
    i += 1 + length;
  }
  return result;
}

std::vector<std::string> split_search_path(std::string_view list, std::string_view separators,
                                           const DstValues& values) {
  std::vector<std::string> directories;
  // glibc's fillin_rpath compares each entry with every one before it; a set gives the same list for 10,000
  // DT_RPATH entries without 50 million comparisons per resolution (issue 13, finding 10).
  std::unordered_set<std::string> seen;
  size_t start = 0;
  while (true) {
    size_t end = list.find_first_of(separators, start);
    std::string_view element = list.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    std::string directory;
    bool usable = true;
    if (!element.empty()) {
      directory = expand_dst(element, values);
      if (directory.empty()) {
        usable = false;  // expanded to nothing: ignored
      } else {
        while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
        if (directory.back() != '/') directory.push_back('/');
      }
    }
    // An empty element stays "": the working directory, as strsep hands glibc an empty string.
    if (usable && seen.insert(directory).second) directories.push_back(std::move(directory));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return directories;
}

std::string origin_of(const std::string& path, const std::string& cwd) {
  std::string full;
  if (!path.empty() && path[0] == '/') {
    full = path;
  } else {
    full = cwd;
    if (full.empty() || full.back() != '/') full.push_back('/');
    full += path;
  }
  size_t slash = full.rfind('/');
  if (slash == 0) return "/";  // keep the only slash of "/foo"
  return full.substr(0, slash);
}

}  // namespace elfrun::loader
