// /etc/ld.so.conf as ldconfig reads it (glibc elf/ldconfig.c parse_conf): one or more directories per line
// (separated by blanks, tabs, ':' or ','), '#' comments, "include GLOB" (relative globs from the including file's
// directory) and "hwcap" lines (ignored by ldconfig since glibc 2.37, and by us). The directories are what
// ldconfig puts in /etc/ld.so.cache; the loader itself never reads this file — which is why a library added to
// such a directory stays invisible until ldconfig runs.
#pragma once

#include <string>
#include <vector>

namespace elfrun::diagnose {

struct ConfDirectory {
  std::string directory;  // as written, inside the root
  std::string file;       // the configuration file that lists it ("/etc/ld.so.conf.d/libc.conf")
};

// Reads ROOT/etc/ld.so.conf and its includes (at most 16 levels deep; a file included twice is read once).
std::vector<ConfDirectory> read_ld_so_conf(const std::string& root);

}  // namespace elfrun::diagnose
