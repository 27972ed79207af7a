// The run decision (issue "run"): direct exec when the kernel and the program's own loader can do it, else the
// best discovered loader under which every library resolves, else qemu-user.
#include "run/plan.h"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "elf/identify.h"
#include "fetch/provision.h"
#include "loader/binfmt_misc.h"
#include "loader/filesystem.h"
#include "loader/identity_cache.h"
#include "loader/kernel_machines.h"
#include "loader/loader_identity.h"
#include "loader/machine_facts.h"
#include "loader/resolver.h"
#include "run/script.h"
#include "util/access_log.h"
#include "util/file_capabilities.h"
#include "util/text.h"

namespace elfrun::run {

namespace {

using util::real_path;

bool is_executable_file(const std::string& path) {
  struct stat st {};
  bool found = ::stat(path.c_str(), &st) == 0;
  util::watch_stat(path, found ? &st : nullptr, errno);
  if (!found || !S_ISREG(st.st_mode)) return false;
  util::watch_access(path);
  return ::access(path.c_str(), X_OK) == 0;
}

// True when the file at `path` is a parsable ELF file of the program's class, machine and ABI: a loader that can
// load it. Its header comes from the identity cache when that knows the file.
bool loader_fits(const std::string& path, const elf::ElfObject& program, const loader::IdentityCache& cache) {
  auto file = loader::LoaderFile::open(path, cache);
  if (!file) return false;
  const loader::LoaderFileFacts* loader = file->facts();
  if (loader == nullptr || loader->machine != program.header.machine || loader->elf_class != program.ident.elf_class) {
    return false;
  }
  auto order = loader->data == ELFDATA2MSB ? elf::ByteOrder::big : elf::ByteOrder::little;
  const loader::MachineFacts* mine = loader::machine_facts(program);
  const loader::MachineFacts* its = loader::machine_facts(loader->machine, loader->elf_class, order, loader->flags);
  return mine == nullptr || its == nullptr || mine->abi == its->abi;
}

const loader::IdentityCache& cache_of(const loader::DiscoveryOptions& discovery) {
  static const loader::IdentityCache kNoCache("");
  return discovery.cache ? *discovery.cache : kNoCache;
}

// Resolves the program under a loader and returns the directories its libraries came from (host paths), or nullopt
// when something is missing. `root` is the root the loader sits in ("/" for the host) and `loader_inside` its path
// there. A program inside that root is resolved as if chrooted (its ld.so.cache, absolute RPATHs: all in the root).
// A program outside it — a cross-compiled program next to Debian's /usr/aarch64-linux-gnu — cannot be: it is resolved
// on the host with the loader at ROOT/loader and the root's system directories as the library path, which is what
// the exec gives that loader too (qemu-user -L ROOT likewise looks in the root first).
std::optional<std::vector<std::string>> library_dirs_under(
    const std::string& program, const std::string& root, const std::string& loader_inside,
    std::vector<std::string> extra_dirs, bool inhibit_cache, const loader::LoaderIdentity* known_identity,
    const loader::IdentityCache& cache, std::vector<std::string>& reasons, bool given_dirs_first = false,
    const std::vector<std::string>* host_dirs = nullptr) {
  loader::ResolveOptions options;
  options.root = root;
  options.loader_path = loader_inside;
  if (known_identity) options.loader_identity = *known_identity;
  std::string loader_host = root == "/" ? loader_inside : root + loader_inside;
  if (host_dirs) {
    // `run --root DIR --fetch`: DIR as after chroot, the store's directories (and a loader of the store) on the host,
    // as fetch/needs.cc checked them — whether or not the program lives in DIR.
    options.host_directories = *host_dirs;
    if (loader::RootedFs(root).inside_path(loader_inside)) {
      options.loader_path = loader_inside.substr(root.size());
    } else {
      loader_host = loader_inside;
      options.host_directories.emplace_back(util::dir_name(loader_inside));
    }
  } else if (root != "/") {
    std::string real_root = real_path(root);
    std::string real_program = real_path(program);
    if (real_program.compare(0, real_root.size() + 1, real_root + "/") != 0) {
      options.root = "/";
      options.loader_path = loader_host;
      inhibit_cache = true;  // the host's ld.so.cache is not the root's
      auto identity =
          known_identity ? std::optional(*known_identity) : loader::identify_loader_file(loader_host, cache);
      if (identity) {
        for (const std::string& system_dir : identity->system_dirs) {
          std::string dir = root + system_dir;
          struct stat st {};
          if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
              std::find(extra_dirs.begin(), extra_dirs.end(), dir) == extra_dirs.end()) {
            extra_dirs.push_back(dir);
          }
        }
      }
    }
  }
  std::string path_list;
  for (const std::string& dir : extra_dirs) path_list += (path_list.empty() ? "" : ":") + dir;
  if (!path_list.empty()) options.library_path = path_list;
  options.inhibit_cache = inhibit_cache;
  options.program_origin_real_path = true;
  options.include_vdso = false;
  loader::Resolver resolver(options);
  auto resolution = resolver.resolve(program);
  if (!resolution) {
    reasons.push_back(loader_host + ": " + resolution.error().message);
    return std::nullopt;
  }
  if (resolution->has_missing()) {
    std::string missing;
    for (const auto& object : resolution->objects) {
      if (object.found_by == loader::FoundBy::not_found) missing += (missing.empty() ? "" : ", ") + object.name;
    }
    if (resolution->fatal_error) missing += (missing.empty() ? "" : ", ") + *resolution->fatal_error;
    reasons.push_back(loader_host + ": not every library resolves (" + missing + ")");
    return std::nullopt;
  }
  // The directories given are searched first, as the resolver searched them (--fetch: the store's libraries must
  // win over the machine's older ones of the same name); otherwise those things were found in come first.
  std::vector<std::string> dirs;
  if (given_dirs_first) dirs = extra_dirs;
  for (const auto& object : resolution->objects) {
    if (object.found_by != loader::FoundBy::search && object.found_by != loader::FoundBy::preload) continue;
    // Under a root the loader will run on the host: its directories are the host's names for them.
    std::string dir(util::dir_name(object.host_path.empty() ? object.path : object.host_path));
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  for (const std::string& dir : extra_dirs) {
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  return dirs;
}

// Visits the discovered loaders that could serve `program` (its class, machine and ABI; glibc or musl as its
// PT_INTERP and DT_NEEDED say), those named like its PT_INTERP first, until `visit` returns true. Only those are
// identified (reading a loader's strings is the costly part of discovery), and the search stops at the first that
// fits: on an ordinary machine `run` reads one or two loaders, not every loader of every cross root.
void visit_candidate_loaders(const loader::DiscoveryOptions& discovery, const elf::ElfObject& program,
                             const std::function<bool(const loader::DiscoveredLoader&)>& visit) {
  const loader::MachineFacts* facts = loader::machine_facts(program);
  std::string interp_name(program.interpreter ? util::base_name(*program.interpreter) : std::string_view());
  bool wants_musl = elf::libc_of(program) == "musl";
  auto could_serve = [&](const loader::LoaderCandidate& candidate) {
    if (candidate.machine != program.header.machine || candidate.elf_class != program.ident.elf_class) return false;
    auto order = candidate.data == ELFDATA2MSB ? elf::ByteOrder::big : elf::ByteOrder::little;
    const loader::MachineFacts* its =
        loader::machine_facts(candidate.machine, candidate.elf_class, order, candidate.flags);
    if (facts && its && facts->abi != its->abi) return false;
    // The name tells the flavour of a loader in a standard place; a configured one is identified whatever its name.
    return candidate.libc.empty() || (candidate.libc == "musl") == wants_musl;
  };
  bool done = false;
  loader::DiscoveryOptions options = discovery;
  if (!interp_name.empty()) {
    options.prefilter = [&](const loader::LoaderCandidate& candidate) {
      return util::base_name(candidate.path) == interp_name && could_serve(candidate);
    };
    options.only_name = interp_name;
    loader::visit_loaders(options, [&](const loader::DiscoveredLoader& found) { return done = visit(found); });
    if (done) return;
  }
  options.prefilter = [&](const loader::LoaderCandidate& candidate) {
    return util::base_name(candidate.path) != interp_name && could_serve(candidate);
  };
  options.only_name.clear();
  loader::visit_loaders(options, visit);
}

// The root on the machine that qemu -L can take for a foreign program: one that has its loader at its PT_INTERP
// path and under which every library resolves; "" when none does.
std::string root_for_qemu(const loader::DiscoveryOptions& discovery, const std::string& program,
                          const elf::ElfObject& object, const loader::IdentityCache& cache,
                          std::vector<std::string>& reasons) {
  std::string root;
  if (!object.interpreter) return root;
  visit_candidate_loaders(discovery, object, [&](const loader::DiscoveredLoader& loader) {
    if (loader.root.empty() || util::base_name(loader.path) != util::base_name(*object.interpreter)) return false;
    // qemu -L ROOT maps the PT_INTERP path into the root: the loader must be there under that very path (Debian's
    // ppc64 root has it at lib64/ld64.so.1 and lib/ld64.so.1 alike).
    if (!is_executable_file(loader.root + *object.interpreter)) {
      reasons.push_back(loader.root + ": has no " + *object.interpreter);
      return false;
    }
    if (!library_dirs_under(program, loader.root, *object.interpreter, {}, false, &loader.identity, cache, reasons))
      return false;
    root = loader.root;
    return true;
  });
  return root;
}

// `run --fetch` for a program of a machine the kernel runs only through qemu-user (issue 16: libc6:arm64 ...).
// Taken only when nothing on the machine has its loader where qemu would look: no root under which its libraries
// resolve, nothing under QEMU_LD_PREFIX or qemu's interp_prefix (/etc/qemu-binfmt/ARCH); else (and when the host
// itself satisfies it: a multiarch libc6:arm64) the plan is made as without --fetch. The packages are named,
// fetched and verified by fetch::provision exactly as for a native program, on the same model: the store's loader
// and directories as host paths. qemu gets `-L /`, which turns its path prefix off (util/path.c init_paths
// ignores "/", and -L wins over QEMU_LD_PREFIX), and runs the store's loader itself, given --argv0, --library-path
// and --inhibit-cache as a native loader is: every file that loader opens is the host path the resolver checked
// (a store entry's own absolute symlinks, /lib/ld-linux-aarch64.so.1 -> /lib/aarch64-linux-gnu/..., are never
// followed), nothing is created outside the store, and nothing depends on binfmt_misc: the plan is cached.
enum class ForeignFetch { not_taken, planned, refused };
ForeignFetch plan_foreign_fetch(const RunRequest& request, const std::string& program, const std::string& argv0,
                                const elf::ElfObject& object, const std::string& qemu, const std::string& qemu_path,
                                const loader::IdentityCache& cache, RunPlan& plan) {
  const std::string& interp = *object.interpreter;
  const char* from_env = util::watched_getenv("QEMU_LD_PREFIX");
  if ((from_env != nullptr && *from_env != '\0' && is_executable_file(from_env + interp)) ||
      is_executable_file("/etc/qemu-binfmt/" + qemu.substr(5) + interp)) {
    plan.reasons.push_back("--fetch: qemu's prefix has its loader " + interp);
    return ForeignFetch::not_taken;
  }
  std::string root = root_for_qemu(request.discovery, program, object, cache, plan.reasons);
  if (!root.empty()) {
    plan.reasons.push_back("--fetch: the root " + root + " satisfies it");
    return ForeignFetch::not_taken;
  }
  auto provision =
      fetch::provision({program, &object, request.fetch_progress, std::string(), request.fetch_store_only});
  if (!provision) {
    plan.refusal_status = 127;
    plan.refusal = provision.error().message;
    return ForeignFetch::refused;
  }
  if (!*provision) {
    plan.reasons.push_back("--fetch: the machine satisfies it (loader, libraries, versions, versioned symbols)");
    return ForeignFetch::not_taken;
  }
  plan.fetched = (*provision)->fetched_any();
  for (const fetch::Package& package : (*provision)->packages) {
    plan.reasons.push_back("package " + package.name + " " + package.version + " (" + package.arch +
                           (package.suite.empty() ? "" : ", " + package.suite) + "): " + package.entry +
                           (package.downloaded ? " (fetched now)" : " (in the store)"));
  }
  const fetch::Configuration& configuration = (*provision)->configuration;
  auto identity = loader::identify_loader_file(configuration.loader, cache);
  auto dirs = identity ? library_dirs_under(program, "/", configuration.loader, configuration.library_dirs,
                                            configuration.inhibit_cache, &*identity, cache, plan.reasons, true)
                       : std::nullopt;
  if (!dirs) {
    plan.refusal_status = 127;
    plan.refusal =
        program + ": the packages fetched for it do not give a loader that runs it (" + configuration.loader + ")";
    return ForeignFetch::refused;
  }
  plan.kind = RunPlan::Kind::qemu;
  plan.exec_path = qemu_path;
  plan.argv = {qemu, "-L", "/", configuration.loader};
  if (identity->has_argv0) plan.argv.insert(plan.argv.end(), {"--argv0", argv0});
  std::string joined;
  for (const std::string& dir : *dirs) joined += (joined.empty() ? "" : ":") + dir;
  if (!joined.empty()) plan.argv.insert(plan.argv.end(), {"--library-path", joined});
  if (configuration.inhibit_cache && identity->has_inhibit_cache) plan.argv.push_back("--inhibit-cache");
  plan.argv.push_back(identity->has_argv0 ? real_path(program) : program);
  plan.argv.insert(plan.argv.end(), request.args.begin(), request.args.end());
  plan.reasons.push_back("the kernel does not run this machine: through " + qemu + " -L / with the loader " +
                         configuration.loader + " of the store");
  return ForeignFetch::planned;
}

}  // namespace

std::optional<std::string> find_in_path(const std::string& name) {
  for (const std::string& dir : util::path_directories()) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (is_executable_file(candidate)) return candidate;
  }
  return std::nullopt;
}

RunPlan plan_run(const RunRequest& request) { return plan_run_after_env_hops(request, 0); }

RunPlan plan_run_after_env_hops(const RunRequest& request, int env_hops) {
  RunPlan plan;
  const loader::IdentityCache& cache = cache_of(request.discovery);
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
  // What a shell checks before running a file (bash execute_cmd.c: 127 for a missing file, 126 for a directory or a
  // file without execute permission). A loader would run a file that is not executable: elfrun must not.
  struct stat st {};
  if (::stat(program.c_str(), &st) != 0) {
    int error = errno;
    util::watch_stat(program, nullptr, error);
    plan.refusal_status = error == ENOENT || error == ENOTDIR ? 127 : 126;
    plan.refusal = program + ": " + std::strerror(error);
    return plan;
  }
  util::watch_stat(program, &st, 0);
  util::watch_access(program);
  if (S_ISDIR(st.st_mode)) {
    plan.refusal_status = 126;
    plan.refusal = program + ": is a directory";
    return plan;
  }
  if (::access(program.c_str(), X_OK) != 0) {
    plan.refusal_status = 126;
    plan.refusal = program + ": permission denied: it is not executable (`chmod +x " + program + "` makes it so)";
    return plan;
  }
  auto hand_to_kernel = [&](const std::string& why) {
    plan.kind = RunPlan::Kind::direct;
    plan.exec_path = program;
    plan.argv = {argv0};
    plan.argv.insert(plan.argv.end(), request.args.begin(), request.args.end());
    plan.reasons.push_back(why);
    return plan;
  };
  auto source = elf::ByteSource::open(program);
  // Execute-only, or not a regular file: the kernel decides, as a shell would have it do.
  if (!source) return hand_to_kernel(source.error().message + ": handed to the kernel as it is");
  auto object = elf::parse_elf(**source);
  if (!object) {
    // A #! script: its interpreter goes through this same decision (run/script.cc).
    auto head = (*source)->bytes_up_to(0, kShebangBufferSize);
    if (head && head->as_string_view().substr(0, 2) == "#!") return plan_script(request, program, *head, env_hops);
    // Anything else that is not ELF: likewise, the kernel decides.
    return hand_to_kernel("not an ELF file: handed to the kernel as it is");
  }
  const loader::MachineFacts* facts = loader::machine_facts(*object);

  if (!loader::kernel_runs_natively(object->header.machine, object->ident.elf_class)) {
    std::string qemu = facts ? std::string(facts->qemu) : std::string();
    auto qemu_path = qemu.empty() ? std::nullopt : find_in_path(qemu);
    if (request.fetch && !request.root && !request.loader && !request.library_path && object->interpreter &&
        qemu_path && qemu.rfind("qemu-", 0) == 0) {
      ForeignFetch fetched = plan_foreign_fetch(request, program, argv0, *object, qemu, *qemu_path, cache, plan);
      if (fetched != ForeignFetch::not_taken) return plan;
    }
    // binfmt_misc handlers and qemu's view of roots are not files a stat can vouch for: such a plan is not cached.
    util::watch_unwatchable("a machine the kernel runs only through binfmt_misc or qemu-user");
    // An x86 ABI an x86-64 kernel can lack: say what found it missing (the probe, or the switch forcing it).
    if (auto abi = loader::x86_abi_of(object->header.machine, object->ident.elf_class);
        abi && loader::kernel_machine() == "x86_64") {
      plan.reasons.push_back("this kernel does not run " + std::string(loader::abi_name(*abi)) +
                             " programs itself: " + loader::kernel_abi(*abi).evidence);
    }
    // A binfmt_misc handler that takes the program (Linux fs/binfmt_misc.c load_misc_binary: the first enabled entry
    // whose magic matches under its mask) means the kernel runs it itself, through the handler's interpreter —
    // unless the user asked for a root, a loader or a library path, which only an explicit qemu -L can honour.
    if (!request.root && !request.loader && !request.library_path) {
      bool mounted = false;
      auto handlers = loader::read_binfmt_misc(request.binfmt_misc_dir, mounted);
      auto head = (*source)->bytes_up_to(0, 256);
      if (const loader::BinfmtHandler* handler = head ? loader::match_binfmt(handlers, *head, program) : nullptr) {
        std::string entry = "binfmt_misc entry " + handler->name + " (" + handler->interpreter + ", flags " +
                            (handler->flags.empty() ? std::string("none") : handler->flags) + ")";
        // Without F the kernel opens the interpreter when the program starts (with F, at registration).
        bool interpreter_there = handler->has_flag('F') || is_executable_file(handler->interpreter);
        // The handler's qemu looks for the program's loader at its PT_INTERP path under its own prefix: the
        // QEMU_LD_PREFIX it inherits, else the interp_prefix qemu was built with (Debian: /etc/qemu-binfmt/ARCH),
        // else on the host itself. When none has it, qemu -L with the root that has it is the way that works.
        bool loader_there = !object->interpreter || is_executable_file(*object->interpreter);
        if (!loader_there && object->interpreter && qemu.rfind("qemu-", 0) == 0) {
          const char* prefix = util::watched_getenv("QEMU_LD_PREFIX");
          loader_there = (prefix != nullptr && *prefix != '\0' && is_executable_file(prefix + *object->interpreter)) ||
                         is_executable_file("/etc/qemu-binfmt/" + qemu.substr(5) + *object->interpreter);
        }
        if (interpreter_there && (loader_there || !qemu_path)) {
          return hand_to_kernel("the kernel runs this machine through " + entry + ": run as it is");
        }
        plan.reasons.push_back(entry + " takes it, but " +
                               (interpreter_there
                                    ? "its loader " + *object->interpreter + " is not where that qemu looks for it"
                                    : handler->interpreter + " is missing") +
                               ": through " + qemu + " instead");
      }
    }
    // qemu-user, with a root that has the program's loader at its PT_INTERP name and every library it needs.
    if (!qemu_path) {
      plan.refusal_status = 127;
      plan.refusal = program + ": this kernel cannot run " +
                     (facts ? std::string(facts->abi) : std::string("this machine")) + " programs and " +
                     (qemu.empty() ? std::string("no qemu-user") : qemu) +
                     " is not installed: install the qemu-user package";
      return plan;
    }
    std::string root =
        request.root ? *request.root : root_for_qemu(request.discovery, program, *object, cache, plan.reasons);
    // qemu opens the loader through util/path.c: under its prefix (-L, else QEMU_LD_PREFIX, else Debian's
    // interp_prefix /etc/qemu-binfmt/ARCH) first, then at the host path. Nowhere: qemu would exit 255 with
    // "Could not open"; a missing loader is 127, as for a native program.
    if (object->interpreter && qemu.rfind("qemu-", 0) == 0) {
      const std::string& interp = *object->interpreter;
      std::string prefix = root;
      if (prefix.empty()) {
        const char* from_env = util::watched_getenv("QEMU_LD_PREFIX");
        prefix = from_env != nullptr && *from_env != '\0' ? from_env : "/etc/qemu-binfmt/" + qemu.substr(5);
      }
      if (!is_executable_file(prefix + interp) && !is_executable_file(interp)) {
        plan.refusal_status = 127;
        std::string libc(elf::libc_of(*object));
        plan.refusal = program + ": its loader " + interp + " is nowhere " + qemu + " would look (" + prefix + interp +
                       ", " + interp + ")" + (request.root ? "" : " and no root on this machine has it") +
                       ": install the " + (libc.empty() ? std::string() : libc + " ") + "loader for " +
                       (facts ? std::string(facts->abi) : std::string("this machine")) +
                       " or give its root with --root";
        return plan;
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

  if (!object->interpreter && !request.loader && !request.root)
    return hand_to_kernel("statically linked: run as it is");

  bool setuid = (st.st_mode & (S_ISUID | S_ISGID)) != 0;
  // --fetch: what the machine lacks or has too old, from the archive into the store (fetch/provision.h); nothing when
  // the machine satisfies the program (then the decision goes on as without --fetch).
  std::optional<fetch::Provision> provided;
  // With --root DIR the machine is DIR (fetch/provision.h).
  std::string fetch_root = request.root ? *request.root : std::string();
  while (fetch_root.size() > 1 && fetch_root.back() == '/') fetch_root.pop_back();
  if (fetch_root == "/") fetch_root.clear();
  if (request.fetch && !request.loader && !request.library_path && object->interpreter) {
    auto provision =
        fetch::provision({program, &*object, request.fetch_progress, fetch_root, request.fetch_store_only});
    if (!provision) {
      plan.refusal_status = 127;
      plan.refusal = provision.error().message;
      return plan;
    }
    provided = std::move(*provision);
    if (provided) {
      plan.fetched = provided->fetched_any();
      for (const fetch::Package& package : provided->packages) {
        plan.store_entries.push_back(package.entry);
        plan.reasons.push_back("package " + package.name + " " + package.version + " (" + package.arch +
                               (package.suite.empty() ? "" : ", " + package.suite) + "): " + package.entry +
                               (package.downloaded ? " (fetched now)" : " (in the store)"));
      }
    } else {
      plan.reasons.push_back("--fetch: the machine satisfies it (loader, libraries, versions, versioned symbols)");
    }
  }
  // Would it run as it is? Its interpreter exists and fits (checked first: it is cheap), and every library resolves.
  if (!provided && !request.loader && !request.root && !request.library_path) {
    std::optional<loader::LoaderIdentity> interpreter_identity;
    if (!loader_fits(*object->interpreter, *object, cache)) {
      plan.reasons.push_back("its interpreter " + *object->interpreter + " is missing or does not fit it");
    } else if ((interpreter_identity = loader::identify_loader_file(*object->interpreter, cache),
                library_dirs_under(program, "/", *object->interpreter, {}, false,
                                   interpreter_identity ? &*interpreter_identity : nullptr, cache, plan.reasons))) {
      return hand_to_kernel("its interpreter " + *object->interpreter + " exists and every library resolves");
    }
  }
  // File capabilities are lost through a loader the same way (util/file_capabilities.h).
  std::optional<std::string> capabilities = setuid ? std::nullopt : util::file_capabilities(program);
  if (capabilities && !request.allow_setuid) {
    plan.refusal_status = 126;
    plan.refusal = program + " has file capabilities (" + *capabilities +
                   "): run through a loader it would lose them (the kernel grants them only to a program it starts "
                   "itself); --allow-setuid runs it anyway";
    return plan;
  }
  if (setuid && !request.allow_setuid) {
    plan.refusal_status = 126;
    plan.refusal = program +
                   " is setuid or setgid: run through a loader it would lose its privileges (the kernel "
                   "grants them only to a program it starts itself); --allow-setuid runs it anyway";
    return plan;
  }

  std::vector<std::string> user_dirs;
  if (request.library_path) user_dirs = util::split_non_empty(*request.library_path, ':');
  // The host's own loader for this program (the file at its PT_INTERP, or at the machine's usual PT_INTERP) reads
  // the host's ld.so.cache rightly; any other must be given --inhibit-cache, which only glibc's loader knows.
  auto same_file = [](const std::string& a, const std::string& b) {
    util::watch_path(a);
    util::watch_path(b);
    struct stat sa {
    }, sb{};
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
  };
  auto is_hosts_own = [&](const std::string& path) {
    return same_file(path, *object->interpreter) || (facts && same_file(path, std::string(facts->glibc_loader)));
  };

  std::vector<std::string> tried;  // why each loader tried did not do, for the message
  // Tries one loader; on success fills the plan. root: the root the loader sits in ("/", or --root DIR).
  auto try_loader = [&](const std::string& loader_path, const std::string& root, const loader::LoaderIdentity& identity,
                        std::vector<std::string> dirs, bool given_dirs_first = false,
                        const std::vector<std::string>* host_dirs = nullptr) {
    bool own = root == "/" && object->interpreter && is_hosts_own(loader_path);
    bool inhibit_cache = !own && identity.has_inhibit_cache;
    // Under --root the resolver sees the root as /: the loader by its inside name, the program by its host path
    // (with --fetch, a loader of the store goes by its host path: library_dirs_under sorts it out).
    std::string loader_inside = root == "/" || host_dirs ? loader_path : loader_path.substr(root.size());
    auto found_dirs = library_dirs_under(program, root, loader_inside, std::move(dirs), !own, &identity, cache,
                                         plan.reasons, given_dirs_first, host_dirs);
    if (!found_dirs) {
      tried.push_back(plan.reasons.back());
      return false;
    }
    // --argv0 keeps argv[0]; the program is given by its real path so that $ORIGIN is what the kernel would give it.
    std::string program_arg = identity.has_argv0 ? real_path(program) : program;
    plan.kind = RunPlan::Kind::loader;
    plan.exec_path = loader_path;
    plan.argv = {loader_path};
    if (identity.has_argv0) plan.argv.insert(plan.argv.end(), {"--argv0", argv0});
    std::string joined;
    for (const std::string& dir : *found_dirs) joined += (joined.empty() ? "" : ":") + dir;
    if (!joined.empty()) plan.argv.insert(plan.argv.end(), {"--library-path", joined});
    if (inhibit_cache) plan.argv.push_back("--inhibit-cache");
    plan.argv.push_back(program_arg);
    plan.argv.insert(plan.argv.end(), request.args.begin(), request.args.end());
    plan.reasons.push_back("loader " + loader_path + ": every library resolves");
    return true;
  };

  if (provided) {
    const fetch::Configuration& configuration = provided->configuration;
    auto identity = loader::identify_loader_file(configuration.loader, cache);
    if (identity && configuration.root.empty() &&
        try_loader(configuration.loader, "/", *identity, configuration.library_dirs, true))
      return plan;
    if (identity && !configuration.root.empty() &&
        try_loader(configuration.loader, configuration.root, *identity, configuration.library_dirs, true,
                   &configuration.library_dirs))
      return plan;
    plan.refusal_status = 127;
    plan.refusal =
        program + ": the packages fetched for it do not give a loader that runs it (" + configuration.loader + ")";
    return plan;
  }
  if (request.loader || request.root) {
    std::string path = request.loader ? *request.loader : std::string();
    std::string root = "/";
    if (request.root) {
      root = *request.root;
      path = root + (object->interpreter ? *object->interpreter : std::string(facts ? facts->glibc_loader : ""));
    }
    auto identity = loader::identify_loader_file(path, cache);
    if (!identity) {
      plan.refusal_status = 127;
      plan.refusal = path + ": not a dynamic loader that elfrun recognises (glibc's or musl's), or missing";
      return plan;
    }
    if (try_loader(path, root, *identity, user_dirs)) return plan;
  } else {
    bool chosen = false;
    visit_candidate_loaders(request.discovery, *object, [&](const loader::DiscoveredLoader& loader) {
      std::vector<std::string> dirs = user_dirs;
      dirs.insert(dirs.end(), loader.library_dirs.begin(), loader.library_dirs.end());
      plan.reasons.push_back(
          "candidate " + loader.path + " (" + loader.source + "; " +
          (loader.identity.flavour == loader::Flavour::musl ? "musl " : "glibc ") + loader.identity.version +
          (loader.identity_from_cache ? ", identity from the cache)" : ", identified from its bytes)"));
      return chosen = try_loader(loader.path, "/", loader.identity, dirs);
    });
    if (chosen) return plan;
  }
  plan.refusal_status = 127;
  plan.refusal = program + ": no loader for it was found under which its libraries resolve" +
                 (object->interpreter ? " (its interpreter " + *object->interpreter + " is missing or unusable)" : "");
  for (size_t i = 0; i < tried.size() && i < 3; ++i) plan.refusal += "; " + tried[i];
  if (tried.size() > 3) plan.refusal += "; and " + std::to_string(tried.size() - 3) + " more loaders (-v lists them)";
  plan.refusal += "; `elfrun why " + request.program + "` explains";
  return plan;
}

}  // namespace elfrun::run
