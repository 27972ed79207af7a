// Fixes that are checked before they are printed. The run command comes from `elfrun run`'s own planner (plan_run,
// as `elfrun run --print` shows it), and is printed only after resolving the program the way that plan would run
// it — under its loader with its --library-path, on this machine — and finding every library and every symbol
// version there. When the plain `elfrun run PROGRAM` would not work, each compatible loader found on the machine is
// tried with explicit --loader and --library-path, and for a foreign machine each root that has its interpreter.
#include <elf.h>
#include <sys/statvfs.h>

#include <algorithm>

#include "diagnose/walk.h"
#include "elf/identify.h"
#include "loader/loader_identity.h"
#include "loader/machine_facts.h"
#include "loader/symbol_scope.h"
#include "run/plan.h"
#include "util/file_capabilities.h"
#include "util/quote.h"
#include "util/text.h"

namespace elfrun::diagnose {

namespace {

bool wants_musl(const elf::ElfObject& program) {
  if (program.interpreter && program.interpreter->find("ld-musl") != std::string::npos) return true;
  return elf::libc_of(program) == "musl";
}

// Every library and every non-weak version found — and with --symbols every symbol: what the loader needs.
bool resolution_works(const loader::Resolution& resolution, const std::string& program, bool symbols) {
  if (resolution.has_missing()) return false;
  for (const VersionProblem& problem : find_version_problems(resolution)) {
    if (!problem.weak && !problem.no_version_info) return false;
  }
  if (symbols) {
    std::vector<std::string> problems;
    if (!loader::find_undefined_symbols(resolution, "/", program, problems).empty()) return false;
  }
  return true;
}

// The value after an option in an argv ("--library-path" -> "a:b").
std::optional<std::string> option_value(const std::vector<std::string>& argv, std::string_view option) {
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == option) return argv[i + 1];
  }
  return std::nullopt;
}

// Resolves the program as the plan would run it, and says whether everything is found.
bool plan_works(bool symbols, const ExecTarget& target, const elf::ElfObject& program, const run::RunPlan& plan,
                RunFix& fix) {
  if (plan.kind == run::RunPlan::Kind::loader) {
    // A loader maps the program itself: with PROT_EXEC, which a noexec mount refuses as execve does.
    struct statvfs fs {};
    if (::statvfs(target.host_path.c_str(), &fs) == 0 && (fs.f_flag & ST_NOEXEC)) return false;
    std::vector<std::string> dirs = util::split_non_empty(option_value(plan.argv, "--library-path").value_or(""), ':');
    bool inhibit = std::find(plan.argv.begin(), plan.argv.end(), "--inhibit-cache") != plan.argv.end();
    auto resolution = resolve_under(target.host_path, plan.exec_path, dirs, inhibit);
    if (!resolution || !resolution->loader_found || !resolution_works(*resolution, target.host_path, symbols)) {
      return false;
    }
    if (resolution->loader.machine != 0 && resolution->loader.machine != program.header.machine) return false;
    fix.loader = plan.exec_path;
    fix.library_dirs = dirs;
    return true;
  }
  if (plan.kind == run::RunPlan::Kind::qemu) {
    if (!program.interpreter) {
      fix.qemu = true;  // a static program needs nothing but the emulator
      return true;
    }
    // qemu-user -L ROOT opens absolute paths under ROOT first: the interpreter and the loader's system directories.
    std::string root = option_value(plan.argv, "-L").value_or("");
    std::string loader_path = root + *program.interpreter;
    auto bytes = elf::ByteSource::open(loader_path);
    if (!bytes) return false;
    auto loader_elf = elf::parse_elf(**bytes);
    if (!loader_elf || loader_elf->header.machine != program.header.machine ||
        loader_elf->ident.elf_class != program.ident.elf_class) {
      return false;
    }
    auto identity = loader::identify_loader(**bytes, *loader_elf);
    if (!identity) return false;
    std::vector<std::string> dirs;
    for (const std::string& dir : identity->system_dirs) dirs.push_back(root + dir);
    auto resolution = resolve_under(target.host_path, loader_path, dirs, true);
    if (!resolution || !resolution_works(*resolution, target.host_path, symbols)) return false;
    fix.qemu = true;
    fix.loader = loader_path;
    fix.library_dirs = dirs;
    return true;
  }
  return false;
}

std::string run_command(Walk& walk, const std::vector<std::string>& options, const ExecTarget& target) {
  std::vector<std::string> words{walk.options().elfrun, "run"};
  words.insert(words.end(), options.begin(), options.end());
  // A program name that looks like an option would be taken for one.
  if (!target.shown.empty() && target.shown[0] == '-') words.push_back("--");
  words.push_back(target.shown);
  words.insert(words.end(), target.args.begin(), target.args.end());
  return util::shell_command(words);
}

std::optional<RunFix> try_plan(Walk& walk, const ExecTarget& target, const elf::ElfObject& program,
                               run::RunRequest request, const std::vector<std::string>& options) {
  run::RunPlan plan = run::plan_run(request);
  if (plan.kind == run::RunPlan::Kind::refused || plan.kind == run::RunPlan::Kind::direct) return std::nullopt;
  RunFix fix;
  if (!plan_works(walk.options().symbols, target, program, plan, fix)) return std::nullopt;
  fix.command = run_command(walk, options, target);
  fix.expanded = util::shell_command(plan.argv);
  return fix;
}

}  // namespace

Expected<loader::Resolution> resolve_under(const std::string& program, const std::string& loader_path,
                                           const std::vector<std::string>& library_dirs, bool inhibit_cache) {
  loader::ResolveOptions options;
  options.root = "/";
  options.loader_path = loader_path;
  if (!library_dirs.empty()) options.library_path = join(library_dirs, ":");
  options.inhibit_cache = inhibit_cache;
  options.include_vdso = false;
  options.program_origin_real_path = true;
  loader::Resolver resolver(options);
  return resolver.resolve(program);
}

std::vector<const loader::DiscoveredLoader*> compatible_loaders(Walk& walk, const elf::ElfObject& program) {
  std::vector<const loader::DiscoveredLoader*> found;
  const loader::MachineFacts* facts = loader::machine_facts(program);
  bool musl = wants_musl(program);
  for (const loader::DiscoveredLoader& candidate : walk.loaders()) {
    if (candidate.machine != program.header.machine || candidate.elf_class != program.ident.elf_class ||
        candidate.data != program.ident.data) {
      continue;
    }
    if (facts && !candidate.abi.empty() && candidate.abi != facts->abi) continue;
    if ((candidate.identity.flavour == loader::Flavour::musl) != musl) continue;
    found.push_back(&candidate);
  }
  return found;
}

std::string describe_loader(const loader::DiscoveredLoader& loader) {
  std::string flavour = loader.identity.flavour == loader::Flavour::musl ? "musl" : "glibc";
  if (!loader.identity.version.empty()) flavour += " " + loader.identity.version;
  std::string text = loader.path + " (" + flavour + ", " + loader.abi + ")";
  if (!loader.library_dirs.empty()) text += ", libraries in " + join(loader.library_dirs, ":");
  return text;
}

std::vector<std::string> debian_packages_for(Walk& walk, const elf::ElfObject& program) {
  std::vector<std::string> lines;
  if (!walk.real_host_path("/etc/debian_version")) return lines;
  const loader::MachineFacts* facts = loader::machine_facts(program);
  if (!facts) return lines;
  // The userland's own ABI: that of its /bin/sh.
  std::string userland;
  if (auto shell = walk.real_host_path("/bin/sh")) {
    if (auto bytes = elf::ByteSource::open(*shell)) {
      if (auto object = elf::parse_elf(**bytes)) {
        if (const loader::MachineFacts* own = loader::machine_facts(*object)) userland = own->abi;
      }
    }
  }
  std::string abi(facts->abi);
  // Each package with the file that shows it is installed already (then it is not suggested).
  auto suggest = [&](const std::string& package, const std::string& provides, const std::string& comment) {
    if (!walk.real_host_path(provides)) lines.push_back("apt install " + package + "   # " + comment);
  };
  if (wants_musl(program)) {
    std::string loader = "/lib/ld-musl-" + std::string(facts->musl_arch) + ".so.1";
    if (abi == userland) suggest("musl", loader, "Debian's musl: " + loader + " and its libc");
    return lines;
  }
  std::string loader(facts->glibc_loader);
  if (userland == "i386" && abi == "x86-64") {
    suggest("libc6-amd64", loader, "Debian's 64-bit libc for i386 systems: " + loader);
  } else if (userland == "x86-64" && abi == "i386") {
    suggest("libc6-i386", loader, "Debian's 32-bit libc for amd64 systems: " + loader);
  } else if (userland == "x86-64" && abi == "x32") {
    suggest("libc6-x32", loader, "Debian's x32 libc for amd64 systems: " + loader);
  } else if (abi != userland && !facts->debian_arch.empty()) {
    std::string root = "/usr/" + std::string(facts->debian_triplet);
    suggest("libc6-" + std::string(facts->debian_arch) + "-cross", root + "/lib",
            "a " + abi + " root at " + root + " for qemu-user -L and elfrun run");
  }
  return lines;
}

std::optional<RunFix> find_run_fix(Walk& walk, const ExecTarget& target, const elf::ElfObject& program) {
  run::RunRequest request;
  request.program = target.shown;
  request.args = target.args;
  if (!walk.host_root()) request.root = walk.options().root;
  request.discovery = walk.options().discovery;
  std::vector<std::string> base_options;
  if (request.root) base_options = {"--root", *request.root};
  // File capabilities are refused by run like setuid, and allowed by the same option (util/file_capabilities.h).
  bool setuid = (target.st.st_mode & (S_ISUID | S_ISGID)) != 0 || util::file_capabilities(target.host_path);
  if (setuid) {
    request.allow_setuid = true;
    base_options.push_back("--allow-setuid");
  }
  // 1. What `elfrun run PROGRAM` does by itself.
  if (auto fix = try_plan(walk, target, program, request, base_options)) return fix;

  const loader::MachineFacts* facts = loader::machine_facts(program);
  bool foreign = !kernel_runs_natively(walk, program);
  if (!foreign) {
    // 2. Each compatible loader, with its own library directories.
    for (const loader::DiscoveredLoader* candidate : compatible_loaders(walk, program)) {
      run::RunRequest explicit_request = request;
      explicit_request.root.reset();
      explicit_request.loader = candidate->path;
      if (!candidate->library_dirs.empty()) explicit_request.library_path = join(candidate->library_dirs, ":");
      std::vector<std::string> options = {"--loader", candidate->path};
      if (explicit_request.library_path)
        options.insert(options.end(), {"--library-path", *explicit_request.library_path});
      if (setuid) options.push_back("--allow-setuid");
      if (auto fix = try_plan(walk, target, program, explicit_request, options)) return fix;
    }
    return std::nullopt;
  }
  // 3. A foreign machine: qemu-user with a root that has the program's interpreter.
  if (!program.interpreter || !facts) return std::nullopt;
  for (const loader::DiscoveredLoader& candidate : walk.loaders()) {
    if (candidate.machine != program.header.machine || candidate.elf_class != program.ident.elf_class) continue;
    if (candidate.root.empty() || candidate.root == "/") continue;
    if (util::base_name(candidate.path) != util::base_name(*program.interpreter)) continue;
    run::RunRequest rooted = request;
    rooted.root = candidate.root;
    std::vector<std::string> options = {"--root", candidate.root};
    if (auto fix = try_plan(walk, target, program, rooted, options)) return fix;
  }
  return std::nullopt;
}

}  // namespace elfrun::diagnose
