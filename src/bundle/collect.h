// What goes into a bundle for one program: the program, the loader it would really be run with on this machine
// (its PT_INTERP, or the one `elfrun run` would choose when that is missing), and exactly the libraries the resolver
// says that loader loads — plus, with --trace, the libraries it dlopen()s in one traced run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loader/discovery.h"
#include "loader/loader_identity.h"
#include "util/expected.h"

namespace elfrun::bundle {

struct CollectedLibrary {
  std::string host_path;           // the file on this machine
  std::vector<std::string> names;  // the names the loader looks it up by: its DT_NEEDED (or dlopen) name, its SONAME
};

struct CollectedProgram {
  std::string given;      // as the user named it
  std::string name;       // the name it gets in the bundle (bin/NAME): the base name of `given`
  std::string host_path;  // the file on this machine
  uint16_t machine = 0;
  uint8_t elf_class = 0;
  std::string abi;         // "x86-64", "i386"... (MachineFacts), or "em<N>"
  bool is_static = false;  // no loader: the launcher execs it directly
  std::string loader_host_path;
  loader::LoaderIdentity loader;
  std::vector<CollectedLibrary> libraries;  // in the loader's order
  std::vector<std::string> notes;           // facts the user should know ("dlopen()ed by path: not bundled")
};

struct CollectOptions {
  loader::DiscoveryOptions discovery;   // where `run` looks for loaders (the configuration)
  bool trace = false;                   // run the program once with LD_DEBUG=files to find what it dlopen()s
  std::vector<std::string> trace_args;  // its arguments for that run
};

// Errors (the CLI exits 2): the program is missing, not a regular file, setuid or setgid, a script, not ELF, or has a
// library no loader here resolves. Each names the file and says what is wrong.
Expected<CollectedProgram> collect_program(const std::string& program, const CollectOptions& options);

// The names a glibc LD_DEBUG=files log says were dlopen()ed ("file=NAME [0];  dynamically loaded by ..."), in order,
// each once.
std::vector<std::string> dlopened_names(const std::string& log);

}  // namespace elfrun::bundle
