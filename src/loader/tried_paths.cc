// TriedPaths: runs of directory × subdirectory × name, spelt out on reading (tried_paths.h).
#include "loader/tried_paths.h"

namespace elfrun::loader {

void TriedPaths::add(std::string path) {
  Run run;
  run.text = std::move(path);
  run.count = 1;
  runs_.push_back(std::move(run));
  ++size_;
}

void TriedPaths::add_from(const SharedList& dirs, size_t dir_index, const SharedList& subdirs, size_t subdir_index,
                          const std::string& name) {
  size_t position = dir_index * subdirs->size() + subdir_index;
  if (!runs_.empty()) {
    Run& last = runs_.back();
    if (last.dirs == dirs && last.subdirs == subdirs && last.text == name && last.first + last.count == position) {
      ++last.count;
      ++size_;
      return;
    }
  }
  Run run;
  run.dirs = dirs;
  run.subdirs = subdirs;
  run.text = name;
  run.first = position;
  run.count = 1;
  runs_.push_back(std::move(run));
  ++size_;
}

std::string TriedPaths::operator[](size_t index) const {
  for (const Run& run : runs_) {
    if (index >= run.count) {
      index -= run.count;
      continue;
    }
    if (!run.dirs) return run.text;
    size_t position = run.first + index;
    size_t per_dir = run.subdirs->size();
    return (*run.dirs)[position / per_dir] + (*run.subdirs)[position % per_dir] + run.text;
  }
  return {};
}

bool TriedPaths::contains(const std::string& path) const {
  for (const Run& run : runs_) {
    if (!run.dirs) {
      if (run.text == path) return true;
      continue;
    }
    // Only paths that end in the run's name can be in it.
    if (path.size() < run.text.size() || path.compare(path.size() - run.text.size(), run.text.size(), run.text) != 0) {
      continue;
    }
    size_t per_dir = run.subdirs->size();
    for (size_t k = 0; k < run.count; ++k) {
      size_t position = run.first + k;
      const std::string& dir = (*run.dirs)[position / per_dir];
      const std::string& subdir = (*run.subdirs)[position % per_dir];
      if (dir.size() + subdir.size() + run.text.size() == path.size() && path.compare(0, dir.size(), dir) == 0 &&
          path.compare(dir.size(), subdir.size(), subdir) == 0) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace elfrun::loader
