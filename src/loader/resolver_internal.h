// What the glibc and musl models share inside the resolver: the options, the rooted file system, the program's
// loader and its cache, and a parser that parses each file once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loader/resolver.h"

namespace elfrun::loader {

struct ResolverContext {
  const ResolveOptions& options;
  RootedFs& fs;
  std::string program_origin;                       // $ORIGIN of the program
  std::shared_ptr<const elf::ElfObject> loader_elf;  // the loader's parsed file, when found
  FileId loader_id;
  const LdSoCache* cache = nullptr;                 // ROOT/etc/ld.so.cache, when readable
  CacheQuery cache_query;
  std::vector<std::string> active_hwcaps;           // glibc-hwcaps subdirectories in use, best first
  std::vector<std::string> legacy_hwcap_names;      // glibc < 2.37 legacy hwcap names, lowest bit first
  std::string platform;  // the loader's dl_platform when the host CPU decides it; empty: the machine's AT_PLATFORM
  std::function<Expected<std::shared_ptr<const elf::ElfObject>>(const OpenedFile&)> parse;
};

void run_glibc_model(ResolverContext& context, Resolution& resolution, const elf::ElfObject& program);

}  // namespace elfrun::loader
