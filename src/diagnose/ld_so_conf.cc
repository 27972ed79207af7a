// ld.so.conf and its includes, read under a root (see ld_so_conf.h).
#include "diagnose/ld_so_conf.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "loader/filesystem.h"
#include "util/text.h"

namespace elfrun::diagnose {

namespace {

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool has_wildcard(const std::string& text) { return text.find_first_of("*?[") != std::string::npos; }

// Every file and directory read goes through RootedFs (openat2 RESOLVE_IN_ROOT, O_NONBLOCK): an absolute symlink in
// the root resolves inside it, and a FIFO or device is never read.
class ConfReader {
 public:
  explicit ConfReader(const std::string& root) : fs_(root) {}

  void read(const std::string& file, int depth) {
    if (depth > 16 || !seen_.insert(file).second) return;
    auto bytes = fs_.read_file(file);
    if (!bytes) return;
    auto whole = bytes->whole();
    if (!whole) return;
    std::string text(reinterpret_cast<const char*>(whole->data()), whole->size());
    for (std::string_view view : util::split_lines(text)) {
      std::string line(view);
      line = line.substr(0, line.find('#'));
      size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos) continue;
      line = line.substr(start);
      if (line.compare(0, 8, "include ") == 0 || line.compare(0, 8, "include\t") == 0) {
        include(line.substr(8), file, depth);
      } else if (line.compare(0, 6, "hwcap ") == 0) {
        continue;
      } else {
        add_directories(line, file);
      }
    }
  }

  std::vector<ConfDirectory> directories;

 private:
  void include(const std::string& patterns, const std::string& file, int depth) {
    size_t start = 0;
    while (start < patterns.size()) {
      size_t end = patterns.find_first_of(" \t", start);
      if (end == std::string::npos) end = patterns.size();
      std::string pattern = patterns.substr(start, end - start);
      start = end + 1;
      if (pattern.empty()) continue;
      if (pattern[0] != '/') pattern = parent_of(file) + "/" + pattern;
      std::vector<std::string> files;
      expand(util::split_non_empty(pattern, '/'), 0, "", files);
      std::sort(files.begin(), files.end());  // glob(3)'s order, which ldconfig reads them in
      for (const std::string& included : files) read(included, depth + 1);
    }
  }

  // glob(3) inside the root, one component at a time: a component with a wildcard is matched (fnmatch with
  // FNM_PERIOD, as glob: a leading '.' only matched by a '.') against the directory's entries.
  void expand(const std::vector<std::string>& parts, size_t index, const std::string& prefix,
              std::vector<std::string>& out) {
    if (index == parts.size()) {
      out.push_back(prefix.empty() ? "/" : prefix);
      return;
    }
    const std::string& part = parts[index];
    bool last = index + 1 == parts.size();
    if (!has_wildcard(part)) {
      std::string path = prefix + "/" + part;
      if (last ? fs_.open(path).error == 0 : fs_.is_directory(path)) expand(parts, index + 1, path, out);
      return;
    }
    for (const std::string& name : fs_.list_directory(prefix.empty() ? "/" : prefix)) {
      if (::fnmatch(part.c_str(), name.c_str(), FNM_PERIOD) == 0) expand(parts, index + 1, prefix + "/" + name, out);
    }
  }

  void add_directories(const std::string& line, const std::string& file) {
    size_t start = 0;
    while (start < line.size()) {
      size_t end = line.find_first_of(" \t:,", start);
      if (end == std::string::npos) end = line.size();
      std::string directory = line.substr(start, end - start);
      start = end + 1;
      while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
      if (directory.empty()) continue;
      bool known = std::any_of(directories.begin(), directories.end(),
                               [&](const ConfDirectory& d) { return d.directory == directory; });
      if (!known) directories.push_back({directory, file});
    }
  }

  loader::RootedFs fs_;
  std::set<std::string> seen_;
};

}  // namespace

std::vector<ConfDirectory> read_ld_so_conf(const std::string& root) {
  ConfReader reader(root);
  reader.read("/etc/ld.so.conf", 0);
  return std::move(reader.directories);
}

}  // namespace elfrun::diagnose
