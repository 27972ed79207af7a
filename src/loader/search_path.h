// Search paths as glibc builds them (elf/dl-load.c fillin_rpath, _dl_dst_substitute): ':'-separated lists with
// $ORIGIN, $LIB and $PLATFORM (and their ${} forms) expanded, trailing slashes normalised to one, duplicates dropped,
// an empty element meaning the working directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace elfrun::loader {

struct DstValues {
  std::string origin;    // the directory of the object (no trailing '/'); empty when unknown
  std::string lib;       // $LIB
  std::string platform;  // $PLATFORM
};

// _dl_dst_substitute: the string with its dynamic string tokens replaced. A known token without a value ($ORIGIN of
// an object whose origin is unknown) makes the whole element unusable: the result is empty.
std::string expand_dst(std::string_view input, const DstValues& values);

// fillin_rpath: the directories of a path list, each ending in '/' (or "" for the working directory), in order and
// without repeats. `separators` is ":" for DT_RPATH/DT_RUNPATH and ":;" for LD_LIBRARY_PATH.
std::vector<std::string> split_search_path(std::string_view list, std::string_view separators,
                                           const DstValues& values);

// glibc's l_origin: the directory of a path as opened (made absolute against cwd, symlinks not resolved, "." kept).
std::string origin_of(const std::string& path, const std::string& cwd);

}  // namespace elfrun::loader
