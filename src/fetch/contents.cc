// Contents index lines and the search of contents.h. The format is dak's (Debian's archive software, its
// "generate-contents" output): the path, padded with blanks, then the comma-separated locations. apt-file reads it
// the same way: the last blank-separated word is the location list, whatever comes before it the path.
#include "fetch/contents.h"

#include <algorithm>
#include <set>

#include "loader/machine_facts.h"
#include "util/text.h"

namespace elfrun::fetch {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Debian Policy 5.6.1: [a-z0-9][a-z0-9+.-]+.
bool valid_package_name(std::string_view name) {
  if (name.size() < 2 || name.size() > 256) return false;
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'; };
  if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9'))) return false;
  return std::all_of(name.begin(), name.end(), ok);
}

// A path as the index writes it: relative, no control byte, no "." or ".." component, no empty component.
bool valid_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.size() > 4096) return false;
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  for (std::string_view part : util::split(path, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

// Whether a directory of DT_RPATH/DT_RUNPATH is one the index could list: absolute, without $ORIGIN, $LIB or
// $PLATFORM (their value depends on where the object lies and on the machine).
std::optional<std::string> index_directory(std::string_view dir) {
  if (dir.empty() || dir.front() != '/' || dir.find('$') != std::string_view::npos) return std::nullopt;
  std::string out;
  for (std::string_view part : util::split(dir, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return std::nullopt;
    out += (out.empty() ? "" : "/") + std::string(part);
  }
  return out;
}

}  // namespace

std::optional<ContentsLine> parse_contents_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
  // The locations are the last word; the path is what comes before the blanks in front of it.
  size_t blank = line.find_last_of(" \t");
  if (blank == std::string_view::npos) return std::nullopt;
  std::string_view locations = line.substr(blank + 1);
  std::string_view path = line.substr(0, blank);
  while (!path.empty() && is_blank(path.back())) path.remove_suffix(1);
  if (!valid_path(path) || locations.empty()) return std::nullopt;
  ContentsLine parsed;
  parsed.path = path;
  for (std::string_view location : util::split(locations, ',')) {
    size_t slash = location.rfind('/');
    std::string_view package = slash == std::string_view::npos ? location : location.substr(slash + 1);
    // A location is [AREA/]SECTION/PACKAGE: at most three parts, the section never empty.
    if (slash == std::string_view::npos || slash == 0 || std::count(location.begin(), location.end(), '/') > 2 ||
        !valid_package_name(package)) {
      return std::nullopt;
    }
    parsed.packages.push_back(package);
  }
  return parsed;
}

std::vector<std::string> library_candidate_paths(std::string_view name, const elf::ElfObject& object) {
  std::vector<std::string> paths;
  auto add = [&](const std::string& dir) {
    std::string path = dir.empty() ? std::string(name) : dir + "/" + std::string(name);
    if (valid_path(path) && std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  };
  if (name.empty() || name.find('\0') != std::string_view::npos) return paths;
  if (name.find('/') != std::string_view::npos) {
    if (auto path = index_directory(name)) paths.push_back(*path);
    return paths;
  }
  // glibc's order (elf/dl-load.c _dl_map_object): DT_RPATH (when there is no DT_RUNPATH), LD_LIBRARY_PATH,
  // DT_RUNPATH, ld.so.cache, the system directories. The user's LD_LIBRARY_PATH and the cache are the machine's,
  // not the archive's: the directories packages install into are what is left.
  if (object.dynamic) {
    const auto& list = object.dynamic->runpath ? object.dynamic->runpath : object.dynamic->rpath;
    if (list) {
      for (std::string_view dir : util::split(*list, ':')) {
        if (auto relative = index_directory(dir)) add(*relative);
      }
    }
  }
  if (const loader::MachineFacts* facts = loader::machine_facts(object);
      facts != nullptr && !facts->debian_triplet.empty()) {
    add("lib/" + std::string(facts->debian_triplet));
    add("usr/lib/" + std::string(facts->debian_triplet));
  }
  add("lib");
  add("usr/lib");
  return paths;
}

ContentsSearch::ContentsSearch(std::vector<std::string> paths) {
  for (std::string& path : paths) found_.emplace(std::move(path), std::vector<std::string>{});
}

void ContentsSearch::line(std::string_view text) {
  ++lines_;
  // Most lines are of other files: only one that starts with a path asked for is parsed.
  size_t end = text.find_first_of(" \t");
  if (end == std::string_view::npos) {
    ++malformed_;
    return;
  }
  auto it = found_.find(std::string(text.substr(0, end)));
  if (it == found_.end()) {
    // A path with a blank in it: the first word is only its start. Rare; parsed whole.
    size_t next = text.find_first_not_of(" \t", end);
    if (next == std::string_view::npos || text.find_first_of(" \t", next) == std::string_view::npos) return;
    auto parsed = parse_contents_line(text);
    if (!parsed) {
      ++malformed_;
      return;
    }
    it = found_.find(std::string(parsed->path));
    if (it == found_.end()) return;
  }
  auto parsed = parse_contents_line(text);
  if (!parsed || parsed->path != it->first) {
    ++malformed_;
    return;
  }
  for (std::string_view package : parsed->packages) it->second.emplace_back(package);
  std::sort(it->second.begin(), it->second.end());
  it->second.erase(std::unique(it->second.begin(), it->second.end()), it->second.end());
}

void ContentsSearch::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    size_t newline = chunk.find('\n');
    std::string_view piece = chunk.substr(0, newline);
    chunk = newline == std::string_view::npos ? std::string_view() : chunk.substr(newline + 1);
    bool complete = newline != std::string_view::npos;
    if (skipping_) {
      if (complete) skipping_ = false;
      continue;
    }
    if (partial_.size() + piece.size() > kMaxLine) {
      ++lines_;
      ++malformed_;
      partial_.clear();
      skipping_ = !complete;
      continue;
    }
    if (!complete) {
      partial_.append(piece);
      continue;
    }
    if (partial_.empty()) {
      line(piece);
    } else {
      partial_.append(piece);
      line(partial_);
      partial_.clear();
    }
  }
}

void ContentsSearch::finish() {
  if (!partial_.empty() && !skipping_) line(partial_);
  partial_.clear();
  skipping_ = false;
}

std::vector<std::string> packages_in_order(const std::vector<std::string>& paths,
                                           const std::map<std::string, std::vector<std::string>>& found) {
  std::vector<std::string> packages;
  for (const std::string& path : paths) {
    auto it = found.find(path);
    if (it == found.end()) continue;
    for (const std::string& package : it->second) {
      if (std::find(packages.begin(), packages.end(), package) == packages.end()) packages.push_back(package);
    }
  }
  return packages;
}

}  // namespace elfrun::fetch
