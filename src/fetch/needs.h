// Whether a loader and a set of library directories satisfy a program: its loader exists and is of its class and
// machine, every DT_NEEDED resolves (loader/resolver.h), every DT_VERNEED version is defined by the library that
// must define it (glibc elf/dl-version.c), and every undefined symbol the loader would look up is defined
// (loader/symbol_scope.h, glibc elf/dl-lookup.c). What does not is named by the SONAME
// of the library at fault: the unit a package ships. `run --fetch` asks this of the host first, then of every
// configuration it assembles from the store, so that nothing fetched is used unverified.
#pragma once

#include <string>
#include <vector>

#include "elf/elf_object.h"

namespace elfrun::fetch {

struct Unmet {
  std::string soname;  // the library at fault (the loader's PT_INTERP name for the loader)
  std::string what;    // "missing", "version GLIBC_2.38 (required by /usr/bin/curl)", "symbol f@V (...)"
  std::string path;    // the file of the library at fault, when one was loaded
};

struct Configuration {
  std::string loader;                     // a host path
  std::vector<std::string> library_dirs;  // searched first (--library-path)
  bool inhibit_cache = false;             // a loader not the host's own: --inhibit-cache
  // `run --root DIR --fetch`: the machine is DIR. Everything but the library directories and a loader outside DIR
  // (the store's) is looked up inside DIR as after chroot (loader/filesystem.h); "" for the host.
  std::string root;
};

// Everything `configuration` leaves unmet for the program at `program` (parsed as `object`); empty when it runs.
std::vector<Unmet> unmet_needs(const std::string& program, const elf::ElfObject& object,
                               const Configuration& configuration);

// "libc.so.6: version GLIBC_2.38 (required by ...)" lines joined with "; ", at most `limit` of them.
std::string describe_unmet(const std::vector<Unmet>& unmet, size_t limit = 4);

}  // namespace elfrun::fetch
