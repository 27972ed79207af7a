// ld.so.conf and its includes, read under a root (see ld_so_conf.h).
#include "diagnose/ld_so_conf.h"

#include <glob.h>

#include <algorithm>
#include <fstream>
#include <set>

namespace elfrun::diagnose {

namespace {

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

class ConfReader {
 public:
  explicit ConfReader(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    if (root_ == "/") root_.clear();
  }

  void read(const std::string& file, int depth) {
    if (depth > 16 || !seen_.insert(file).second) return;
    std::ifstream in(root_ + file);
    std::string line;
    while (std::getline(in, line)) {
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
      glob_t matches{};
      if (::glob((root_ + pattern).c_str(), 0, nullptr, &matches) == 0) {
        std::vector<std::string> files;
        for (size_t i = 0; i < matches.gl_pathc; ++i) files.push_back(matches.gl_pathv[i] + root_.size());
        ::globfree(&matches);
        std::sort(files.begin(), files.end());
        for (const std::string& included : files) read(included, depth + 1);
      } else {
        ::globfree(&matches);
      }
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

  std::string root_;
  std::set<std::string> seen_;
};

}  // namespace

std::vector<ConfDirectory> read_ld_so_conf(const std::string& root) {
  ConfReader reader(root);
  reader.read("/etc/ld.so.conf", 0);
  return std::move(reader.directories);
}

}  // namespace elfrun::diagnose
