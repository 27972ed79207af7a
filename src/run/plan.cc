// The run decision (issue "run"): direct exec when the kernel and the program's own loader can do it, else the
// best discovered loader under which every library resolves, else qemu-user.
#include "run/plan.h"

#include <elf.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "loader/loader_identity.h"
#include "loader/machine_facts.h"
#include "loader/resolver.h"

namespace elfrun::run {

namespace {

bool kernel_runs(uint16_t machine) {
  struct utsname names {};
  if (::uname(&names) != 0) return false;
  std::string host = names.machine;
  if (host == "x86_64") return machine == EM_X86_64 || machine == EM_386;
  if (host == "aarch64") return machine == EM_AARCH64 || machine == EM_ARM;
  if (host == "s390x") return machine == EM_S390;
  if (host.rfind("ppc64", 0) == 0) return machine == EM_PPC64;
  if (host == "riscv64") return machine == EM_RISCV;
  if (host == "i686" || host == "i386") return machine == EM_386;
  return false;
}

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Resolves the program under a loader and returns the directories its libraries came from, or nullopt when
// something is missing.
std::optional<std::vector<std::string>> library_dirs_under(const std::string& program, const std::string& root,
                                                           const std::string& loader_path,
                                                           const std::vector<std::string>& extra_dirs,
                                                           bool inhibit_cache, std::vector<std::string>& reasons) {
  loader::ResolveOptions options;
  options.root = root;
  options.loader_path = loader_path;
  std::string path_list;
  for (const std::string& dir : extra_dirs) path_list += (path_list.empty() ? "" : ":") + dir;
  if (!path_list.empty()) options.library_path = path_list;
  options.inhibit_cache = inhibit_cache;
  options.program_origin_real_path = true;
  options.include_vdso = false;
  loader::Resolver resolver(options);
  auto resolution = resolver.resolve(program);
  if (!resolution) {
    reasons.push_back(loader_path + ": " + resolution.error().message);
    return std::nullopt;
  }
  if (resolution->has_missing()) {
    std::string missing;
    for (const auto& object : resolution->objects) {
      if (object.found_by == loader::FoundBy::not_found) missing += (missing.empty() ? "" : ", ") + object.name;
    }
    if (resolution->fatal_error) missing += (missing.empty() ? "" : ", ") + *resolution->fatal_error;
    reasons.push_back(loader_path + ": not every library resolves (" + missing + ")");
    return std::nullopt;
  }
  std::vector<std::string> dirs;
  for (const auto& object : resolution->objects) {
    if (object.found_by != loader::FoundBy::search && object.found_by != loader::FoundBy::preload) continue;
    // Under a root the loader will run on the host: its directories are the host's names for them.
    std::string dir = dir_name(object.host_path.empty() ? object.path : object.host_path);
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  for (const std::string& dir : extra_dirs) {
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  return dirs;
}

}  // namespace

std::optional<std::string> find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string list = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    std::string dir = list.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (is_executable_file(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](unsigned char c) {
      return std::isalnum(c) || std::strchr("@%+=:,./-_", c) != nullptr;
    });
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (char c : arg) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

RunPlan plan_run(const RunRequest& request) {
  RunPlan plan;
  std::string program = request.program;
  if (program.find('/') == std::string::npos) {
    auto found = find_in_path(program);
    if (!found) {
      plan.refusal_status = 127;
      plan.refusal = program + ": command not found";
      return plan;
    }
    program = *found;
  }
  std::string argv0 = request.argv0 ? *request.argv0 : request.program;
  auto source = elf::ByteSource::open(program);
  if (!source) {
    plan.refusal_status = errno == ENOENT ? 127 : 126;
    plan.refusal = source.error().message;
    return plan;
  }
  struct stat st {};
  ::stat(program.c_str(), &st);
  auto object = elf::parse_elf(**source);
  if (!object) {
    // Not ELF (a script, or garbage): the kernel decides, as a shell would have it do.
    plan.kind = RunPlan::Kind::direct;
    plan.exec_path = program;
    plan.argv = {argv0};
    plan.argv.insert(plan.argv.end(), request.args.begin(), request.args.end());
    plan.reasons.push_back("not an ELF file: handed to the kernel as it is");
    return plan;
  }
  const loader::MachineFacts* facts = loader::machine_facts(*object);
  auto direct = [&](const std::string& why) {
    plan.kind = RunPlan::Kind::direct;
    plan.exec_path = program;
    plan.argv = {argv0};
    plan.argv.insert(plan.argv.end(), request.args.begin(), request.args.end());
    plan.reasons.push_back(why);
    return plan;
  };

  if (!kernel_runs(object->header.machine)) {
    // qemu-user, with a root that has the program's loader.
    std::string qemu = facts ? std::string(facts->qemu) : std::string();
    auto qemu_path = qemu.empty() ? std::nullopt : find_in_path(qemu);
    if (!qemu_path) {
      plan.refusal_status = 127;
      plan.refusal = program + ": this kernel cannot run " +
                     (facts ? std::string(facts->abi) : std::string("this machine")) +
                     " programs and " + (qemu.empty() ? std::string("no qemu-user") : qemu) +
                     " is not installed: install the qemu-user package";
      return plan;
    }
    std::string root = request.root ? *request.root : std::string();
    if (root.empty() && object->interpreter) {
      for (const auto& loader : loader::discover_loaders(request.discovery)) {
        if (loader.machine != object->header.machine || loader.elf_class != object->ident.elf_class) continue;
        if (base_name(loader.path) != base_name(*object->interpreter) || loader.root.empty()) continue;
        std::vector<std::string> reasons;
        if (library_dirs_under(program, loader.root, *object->interpreter, {}, false, reasons)) {
          root = loader.root;
          break;
        }
        plan.reasons.insert(plan.reasons.end(), reasons.begin(), reasons.end());
      }
    }
    plan.kind = RunPlan::Kind::qemu;
    plan.exec_path = *qemu_path;
    plan.argv = {qemu};
    if (!root.empty()) plan.argv.insert(plan.argv.end(), {"-L", root});
    plan.argv.insert(plan.argv.end(), {"-0", argv0, program});
    plan.argv.insert(plan.argv.end(), request.args.begin(), request.args.end());
    plan.reasons.push_back("the kernel does not run this machine: through " + qemu +
                           (root.empty() ? std::string() : " with the root " + root));
    return plan;
  }

  if (!object->interpreter && !request.loader && !request.root) return direct("statically linked: run as it is");

  bool setuid = (st.st_mode & (S_ISUID | S_ISGID)) != 0;
  // Would it run as it is? Its interpreter exists, fits, and every library resolves.
  if (!request.loader && !request.root && !request.library_path) {
    std::vector<std::string> reasons;
    std::vector<std::string> env_dirs;
    if (library_dirs_under(program, "/", *object->interpreter, env_dirs, false, reasons)) {
      auto interp = elf::ByteSource::open(*object->interpreter);
      if (interp) {
        auto interp_object = elf::parse_elf(**interp);
        if (interp_object && interp_object->header.machine == object->header.machine &&
            interp_object->ident.elf_class == object->ident.elf_class) {
          return direct("its interpreter " + *object->interpreter + " exists and every library resolves");
        }
      }
    }
    plan.reasons.insert(plan.reasons.end(), reasons.begin(), reasons.end());
  }
  if (setuid && !request.allow_setuid) {
    plan.refusal_status = 126;
    plan.refusal = program + " is setuid or setgid: run through a loader it would lose its privileges (the kernel "
                             "grants them only to a program it starts itself); --allow-setuid runs it anyway";
    return plan;
  }

  // Choose a loader.
  struct Candidate {
    std::string path;
    std::string root = "/";
    std::vector<std::string> dirs;
    bool argv0 = false;
    bool inhibit_cache = true;
  };
  std::vector<Candidate> candidates;
  std::vector<std::string> user_dirs;
  if (request.library_path) {
    size_t start = 0;
    const std::string& list = *request.library_path;
    while (start <= list.size()) {
      size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      if (end > start) user_dirs.push_back(list.substr(start, end - start));
      start = end + 1;
    }
  }
  // Whether a loader understands --argv0 is read from its bytes.
  auto takes_argv0 = [](const std::string& path) {
    auto bytes = elf::ByteSource::open(path);
    if (!bytes) return false;
    auto parsed = elf::parse_elf(**bytes);
    if (!parsed) return false;
    auto identity = loader::identify_loader(**bytes, *parsed);
    return identity && identity->has_argv0;
  };
  // The host's own loader for this program (its PT_INTERP) reads the host's ld.so.cache rightly; any other must not.
  struct stat interp_st {};
  bool has_interp = object->interpreter && ::stat(object->interpreter->c_str(), &interp_st) == 0;
  auto is_programs_own = [&](const std::string& path) {
    struct stat loader_st {};
    return has_interp && ::stat(path.c_str(), &loader_st) == 0 && loader_st.st_dev == interp_st.st_dev &&
           loader_st.st_ino == interp_st.st_ino;
  };
  if (request.loader) {
    candidates.push_back({*request.loader, "/", user_dirs, takes_argv0(*request.loader), !is_programs_own(*request.loader)});
  } else if (request.root) {
    std::string interp = object->interpreter ? *object->interpreter : std::string(facts ? facts->glibc_loader : "");
    std::string path = *request.root + interp;
    candidates.push_back({path, *request.root, user_dirs, takes_argv0(path), true});
  } else {
    auto loaders = loader::discover_loaders(request.discovery);
    bool wants_musl = object->interpreter && object->interpreter->find("ld-musl") != std::string::npos;
    std::stable_sort(loaders.begin(), loaders.end(), [&](const auto& a, const auto& b) {
      auto rank = [&](const loader::DiscoveredLoader& l) {
        return object->interpreter && base_name(l.path) == base_name(*object->interpreter) ? 0 : 1;
      };
      return rank(a) < rank(b);
    });
    for (const auto& loader : loaders) {
      if (loader.machine != object->header.machine || loader.elf_class != object->ident.elf_class) continue;
      if (facts && !loader.abi.empty() && loader.abi != facts->abi) continue;
      if ((loader.identity.flavour == loader::Flavour::musl) != wants_musl) continue;
      std::vector<std::string> dirs = user_dirs;
      dirs.insert(dirs.end(), loader.library_dirs.begin(), loader.library_dirs.end());
      candidates.push_back({loader.path, "/", dirs, loader.identity.has_argv0, !is_programs_own(loader.path)});
    }
  }
  for (const Candidate& candidate : candidates) {
    // Under --root the resolver sees the root as /: the loader by its inside name, the program by its host path.
    std::string loader_inside = candidate.root == "/" ? candidate.path : candidate.path.substr(candidate.root.size());
    auto dirs = library_dirs_under(program, candidate.root, loader_inside, candidate.dirs, candidate.inhibit_cache,
                                   plan.reasons);
    if (!dirs) continue;
    // glibc's loader: --argv0 keeps argv[0]; the program is given by its real path so that $ORIGIN is what the
    // kernel would give it.
    bool argv0_supported = candidate.argv0;
    std::string program_arg = program;
    if (argv0_supported) {
      if (char* real = ::realpath(program.c_str(), nullptr)) {
        program_arg = real;
        std::free(real);
      }
    }
    plan.kind = RunPlan::Kind::loader;
    plan.exec_path = candidate.path;
    plan.argv = {candidate.path};
    if (argv0_supported) plan.argv.insert(plan.argv.end(), {"--argv0", argv0});
    std::string joined;
    for (const std::string& dir : *dirs) joined += (joined.empty() ? "" : ":") + dir;
    if (!joined.empty()) plan.argv.insert(plan.argv.end(), {"--library-path", joined});
    if (candidate.inhibit_cache) plan.argv.push_back("--inhibit-cache");
    plan.argv.push_back(program_arg);
    plan.argv.insert(plan.argv.end(), request.args.begin(), request.args.end());
    plan.reasons.push_back("loader " + candidate.path + ": every library resolves");
    return plan;
  }
  plan.refusal_status = 127;
  plan.refusal = program + ": no loader for it was found under which its libraries resolve" +
                 (object->interpreter ? " (its interpreter " + *object->interpreter + " is missing or unusable)" : "") +
                 "; `elfrun why " + request.program + "` explains";
  return plan;
}

}  // namespace elfrun::run
