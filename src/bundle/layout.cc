// The bundle layout and its content deduplication (see layout.h).
#include "bundle/layout.h"

#include <set>

#include "util/sha256.h"
#include "util/text.h"

namespace elfrun::bundle {

Expected<void> Layout::add_file(const std::string& path, std::string content, uint32_t mode,
                                const std::string& origin) {
  if (path.empty() || path.front() == '/' || path.back() == '/' || path.find("//") != std::string::npos ||
      path == ".." || path.rfind("../", 0) == 0 || path.find("/../") != std::string::npos ||
      (path.size() >= 3 && path.compare(path.size() - 3, 3, "/..") == 0)) {
    return Error{"bundle path \"" + path + "\" (for " + origin + ") is not a plain relative path"};
  }
  auto found = files_.find(path);
  if (found != files_.end()) {
    if (found->second.content != content) {
      return Error{"two different files would be " + path + " in the bundle: " + found->second.origin + " and " +
                   origin};
    }
    found->second.mode |= mode;
    return {};
  }
  // A file cannot also be a directory of another path.
  for (const auto& [other, file] : files_) {
    if (other.rfind(path + "/", 0) == 0 || path.rfind(other + "/", 0) == 0) {
      return Error{"bundle path " + path + " (for " + origin + ") clashes with " + other + " (for " + file.origin +
                   ")"};
    }
  }
  std::string hash = sha256_hex(content);
  files_.emplace(path, File{std::move(content), mode, origin, std::move(hash)});
  return {};
}

std::string relative_link(const std::string& link_path, const std::string& target_path) {
  auto components = [](const std::string& path) {
    std::vector<std::string> parts;
    for (std::string_view part : util::split(path, '/')) parts.emplace_back(part);
    return parts;
  };
  std::vector<std::string> from = components(link_path);
  from.pop_back();  // the link's own name: it is relative to its directory
  std::vector<std::string> to = components(target_path);
  size_t common = 0;
  while (common < from.size() && common + 1 < to.size() && from[common] == to[common]) ++common;
  std::string link;
  for (size_t i = common; i < from.size(); ++i) link += "../";
  for (size_t i = common; i < to.size(); ++i) link += to[i] + (i + 1 < to.size() ? "/" : "");
  return link;
}

std::vector<ArchiveEntry> Layout::entries() const {
  // files_ is a std::map: sorted by path, so "first path of a content" does not depend on the order of add_file.
  std::map<std::string, std::string> holder_of_hash;  // content hash -> path that stores it
  std::map<std::string, uint32_t> mode_of_holder;
  std::map<std::string, std::string> hash_of_path;
  for (const auto& [path, file] : files_) {
    hash_of_path[path] = file.hash;
    auto [it, inserted] = holder_of_hash.emplace(file.hash, path);
    mode_of_holder[it->second] |= file.mode;
  }
  std::set<std::string> directories;
  for (const auto& [path, file] : files_) {
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      directories.insert(path.substr(0, slash));
    }
  }
  std::map<std::string, ArchiveEntry> sorted;
  for (const std::string& dir : directories) {
    sorted[dir] = ArchiveEntry{ArchiveEntry::Kind::directory, dir, {}, {}, 0755};
  }
  for (const auto& [path, file] : files_) {
    const std::string& holder = holder_of_hash[hash_of_path[path]];
    if (holder == path) {
      uint32_t mode = (mode_of_holder[path] & 0111) ? 0755 : 0644;
      sorted[path] = ArchiveEntry{ArchiveEntry::Kind::file, path, file.content, {}, mode};
    } else {
      sorted[path] = ArchiveEntry{ArchiveEntry::Kind::symlink, path, {}, relative_link(path, holder), 0777};
    }
  }
  std::vector<ArchiveEntry> result;
  result.reserve(sorted.size());
  for (auto& [path, entry] : sorted) result.push_back(std::move(entry));
  return result;
}

uint64_t Layout::stored_bytes() const {
  std::set<std::string> seen;
  uint64_t total = 0;
  for (const auto& [path, file] : files_) {
    if (seen.insert(file.hash).second) total += file.content.size();
  }
  return total;
}

uint64_t Layout::logical_bytes() const {
  uint64_t total = 0;
  for (const auto& [path, file] : files_) total += file.content.size();
  return total;
}

}  // namespace elfrun::bundle
