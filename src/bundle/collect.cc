// Collecting a program's loader and libraries for a bundle (see collect.h). The loader is chosen by run::plan_run,
// so that the bundle holds the loader the program would really be run with here; the libraries come from the
// resolver under that loader, with the options plan_run gives it (--library-path, --inhibit-cache, a root).
#include "bundle/collect.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "loader/machine_facts.h"
#include "loader/resolver.h"
#include "run/plan.h"
#include "util/file_capabilities.h"
#include "util/text.h"

extern char** environ;

namespace elfrun::bundle {

namespace {

using util::real_path;

// The value of `option` in a loader or qemu argv built by run::plan_run ("--library-path", "-L").
std::optional<std::string> option_value(const std::vector<std::string>& argv, const std::string& option) {
  for (size_t i = 1; i + 1 < argv.size(); ++i) {
    if (argv[i] == option) return argv[i + 1];
  }
  return std::nullopt;
}

// Runs the plan's command once with LD_DEBUG=files and LD_DEBUG_OUTPUT in a private temporary directory (so that the
// program's own stderr is untouched), waits for it, and returns every log it wrote (one per process).
Expected<std::string> traced_run(const run::RunPlan& plan, const std::string& program) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir_pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/elfrun-trace.XXXXXX";
  std::vector<char> pattern(dir_pattern.begin(), dir_pattern.end());
  pattern.push_back('\0');
  char* dir = ::mkdtemp(pattern.data());
  if (dir == nullptr) return Error{program + ": --trace: cannot make a temporary directory: " + std::strerror(errno)};
  std::string log_base = std::string(dir) + "/log";
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "LD_DEBUG=", 9) != 0 && std::strncmp(*e, "LD_DEBUG_OUTPUT=", 16) != 0) {
      environment.emplace_back(*e);
    }
  }
  environment.push_back("LD_DEBUG=files");
  environment.push_back("LD_DEBUG_OUTPUT=" + log_base);
  std::vector<char*> envp, argv;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = plan.argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) return Error{program + ": --trace: cannot fork: " + std::strerror(errno)};
  if (child == 0) {
    ::execve(plan.exec_path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  std::string logs;
  if (DIR* listing = ::opendir(dir)) {
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(listing)) {
      if (std::strncmp(entry->d_name, "log.", 4) == 0) names.emplace_back(entry->d_name);
    }
    ::closedir(listing);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      std::string path = std::string(dir) + "/" + name;
      std::ifstream in(path, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      logs += text.str();
      ::unlink(path.c_str());
    }
  }
  ::rmdir(dir);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && logs.empty()) {
    return Error{program + ": --trace: the traced run could not start " + plan.exec_path};
  }
  return logs;
}

}  // namespace

std::vector<std::string> dlopened_names(const std::string& log) {
  // glibc elf/dl-open.c dl_open_worker_begin: "file=%s [%lu];  dynamically loaded by %s [%lu]".
  std::vector<std::string> names;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("];  dynamically loaded by ") == std::string::npos) continue;
    size_t start = line.find("file=");
    if (start == std::string::npos) continue;
    start += 5;
    size_t end = line.find(" [", start);
    if (end == std::string::npos) continue;
    std::string name = line.substr(start, end - start);
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

Expected<CollectedProgram> collect_program(const std::string& given, const CollectOptions& options) {
  CollectedProgram collected;
  collected.given = given;
  collected.name = util::base_name(given);
  std::string path = given;
  if (path.find('/') == std::string::npos) {
    auto found = run::find_in_path(path);
    if (!found) return Error{given + ": not found (not a path, and no such command in PATH)"};
    path = *found;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error{given + ": " + std::strerror(errno)};
  if (!S_ISREG(st.st_mode)) return Error{given + ": not a regular file"};
  // A program run through a loader is not given its setuid/setgid privileges (the kernel grants them only to a file
  // it execs itself): a bundle would silently turn it into an unprivileged program that then fails oddly.
  if (st.st_mode & (S_ISUID | S_ISGID)) {
    return Error{given + ": is " + std::string((st.st_mode & S_ISUID) ? "setuid" : "setgid") +
                 ": refused. A bundled program runs through its loader, which the kernel never grants setuid or "
                 "setgid privileges, so the bundle would silently run it without them"};
  }
  collected.host_path = real_path(path);
  // File capabilities are lost the same way; the bundle is still made, with a warning (util/file_capabilities.h).
  if (auto capabilities = util::file_capabilities(path)) {
    collected.notes.push_back(given + ": warning: has file capabilities (" + *capabilities +
                              "): a bundled program runs through its loader, which the kernel never grants them, so "
                              "the bundle runs it without them");
  }
  auto source = elf::ByteSource::open(path);
  if (!source) return Error{given + ": " + source.error().message};
  auto head = (*source)->bytes_up_to(0, 2);
  if (head && head->size() == 2 && std::memcmp(head->data(), "#!", 2) == 0) {
    return Error{given + ": is a script, not an ELF program: bundle its interpreter instead"};
  }
  auto object = elf::parse_elf(**source);
  if (!object) return Error{given + ": not an ELF program: " + object.error().message};
  collected.machine = object->header.machine;
  collected.elf_class = object->ident.elf_class;
  const loader::MachineFacts* facts = loader::machine_facts(*object);
  collected.abi = facts ? std::string(facts->abi) : "em" + std::to_string(object->header.machine);
  if (object->header.type != ET_EXEC && object->header.type != ET_DYN) {
    return Error{given + ": not a program (ELF type " + std::to_string(object->header.type) + ")"};
  }
  // Static, or static-pie (a dynamic section for its own relocations, but no interpreter and nothing needed): the
  // launcher execs it directly.
  if (!object->interpreter && (!object->dynamic || object->dynamic->needed.empty())) {
    collected.is_static = true;
    return collected;
  }

  run::RunRequest request;
  request.program = path;
  request.args = options.trace_args;
  request.discovery = options.discovery;
  run::RunPlan plan = run::plan_run(request);
  if (plan.kind == run::RunPlan::Kind::refused) return Error{plan.refusal};

  loader::ResolveOptions resolve;
  resolve.include_vdso = false;
  resolve.program_origin_real_path = true;
  // The baseline libraries, never a glibc-hwcaps variant chosen for this CPU: the bundle must run on other CPUs.
  resolve.hwcaps = std::vector<std::string>{};
  std::string root = "/";
  if (plan.kind == run::RunPlan::Kind::loader) {
    resolve.loader_path = plan.exec_path;
    resolve.library_path = option_value(plan.argv, "--library-path");
    resolve.inhibit_cache = std::find(plan.argv.begin(), plan.argv.end(), "--inhibit-cache") != plan.argv.end();
  } else if (plan.kind == run::RunPlan::Kind::qemu) {
    if (auto qemu_root = option_value(plan.argv, "-L")) root = *qemu_root;
    resolve.root = root;
  } else if (!object->interpreter) {
    return Error{given +
                 ": has a dynamic section but no program interpreter, and runs as it is: not a program "
                 "elfrun can bundle"};
  }
  loader::Resolver resolver(resolve);
  auto resolution = resolver.resolve(path);
  if (!resolution) return Error{given + ": " + resolution.error().message};

  if (options.trace) {
    if (resolution->loader.flavour != loader::Flavour::glibc) {
      collected.notes.push_back(given +
                                ": --trace: musl's loader has no LD_DEBUG or LD_AUDIT, so nothing it "
                                "dlopen()s can be traced; only its DT_NEEDED libraries are bundled");
    } else {
      auto logs = traced_run(plan, given);
      if (!logs) return logs.error();
      std::vector<std::string> names = dlopened_names(*logs);
      for (const std::string& name : names) {
        if (name.find('/') != std::string::npos) {
          collected.notes.push_back(given + ": dlopen()s " + name +
                                    " by its path: not bundled (the program opens "
                                    "that path wherever it runs)");
        } else {
          resolve.preload.push_back(name);
        }
      }
      if (!resolve.preload.empty()) {
        loader::Resolver traced_resolver(resolve);
        resolution = traced_resolver.resolve(path);
        if (!resolution) return Error{given + ": " + resolution.error().message};
      }
    }
  }

  if (resolution->has_missing() || resolution->fatal_error) {
    std::string missing;
    for (const auto& o : resolution->objects) {
      if (o.found_by == loader::FoundBy::not_found) missing += (missing.empty() ? "" : ", ") + o.name;
    }
    if (resolution->fatal_error) missing += (missing.empty() ? "" : ", ") + *resolution->fatal_error;
    return Error{given + ": not every library resolves here (" + missing + "): `elfrun why " + given + "` explains"};
  }
  if (!resolution->loader_found) {
    return Error{given + ": its loader " + resolution->loader_path + " is not on this machine"};
  }
  collected.loader = resolution->loader;
  collected.loader_host_path = root == "/" ? resolution->loader_path : root + resolution->loader_path;
  std::map<std::string, size_t> by_path;
  for (size_t i = 1; i < resolution->objects.size(); ++i) {
    const loader::LoadedObject& o = resolution->objects[i];
    if (o.found_by == loader::FoundBy::loader || o.found_by == loader::FoundBy::vdso ||
        o.found_by == loader::FoundBy::main_program) {
      continue;
    }
    std::string host = o.host_path.empty() ? o.path : o.host_path;
    if (o.found_by == loader::FoundBy::path) {
      collected.notes.push_back(given + ": needs " + o.name +
                                " by its path: bundled, but the loader opens that "
                                "path wherever it runs");
    }
    auto [it, inserted] = by_path.emplace(host, collected.libraries.size());
    if (inserted) collected.libraries.push_back({host, {}});
    auto& names = collected.libraries[it->second].names;
    for (const std::string& name : {std::string(util::base_name(o.name)), o.soname ? *o.soname : std::string()}) {
      if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return collected;
}

}  // namespace elfrun::bundle
