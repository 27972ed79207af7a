// TriedPaths: every path a library search tried, in the loader's order. A search tries directory × capability
// subdirectory × name: 44 paths per missing library in the system directories, 110,000 for a program with 10,000
// DT_RPATH entries, 440,000 for one with 10,000 missing DT_NEEDED (issue 13, finding 10: 69 MB for deps, twice what
// the loader takes). The paths are therefore kept as runs over the resolver's shared directory and subdirectory
// lists plus the name, and spelt out only when read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace elfrun::loader {

using SharedList = std::shared_ptr<const std::vector<std::string>>;

class TriedPaths {
 public:
  // One path as it is (an ld.so.cache answer, a name with a '/', a musl candidate).
  void add(std::string path);
  // The next path of a run: dirs[first_dir + k / subdirs.size()] + subdirs[k % subdirs.size()] + name, for the
  // k-th call since the run began. A run begins when the lists, the first directory or the name differ from the
  // last run's, or when a single path came in between.
  void add_from(const SharedList& dirs, size_t dir_index, const SharedList& subdirs, size_t subdir_index,
                const std::string& name);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string operator[](size_t index) const;
  bool contains(const std::string& path) const;

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string;
    Iterator(const TriedPaths* paths, size_t index) : paths_(paths), index_(index) {}
    std::string operator*() const { return (*paths_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }
    bool operator!=(const Iterator& other) const { return index_ != other.index_; }

   private:
    const TriedPaths* paths_;
    size_t index_;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, size_}; }

 private:
  struct Run {
    SharedList dirs, subdirs;  // both null for a single path
    std::string text;          // the name of a run; the path itself for a single path
    size_t first = 0;          // dirs × subdirs position of the run's first path (dir * subdirs + subdir)
    size_t count = 0;
  };
  std::vector<Run> runs_;
  size_t size_ = 0;
};

}  // namespace elfrun::loader
