// plan_foreign_fix(): a program of a machine the kernel does not run (aarch64 on x86-64...). The kernel runs such a
// program itself only through a binfmt_misc handler; Debian's qemu-user-binfmt and qemu-user-static register one
// per machine (/usr/lib/binfmt.d/qemu-ARCH.conf). That handler's qemu then opens the program's PT_INTERP under its
// built-in prefix — Debian configures qemu with --interp-prefix=/etc/qemu-binfmt/%M, so /etc/qemu-binfmt/aarch64
// for qemu-aarch64 (linux-user/main.c interp_prefix; util/path.c path() tries PREFIX/PATH first, then PATH) — and so
// does the loader for each library it opens. What makes the program run as itself is therefore the root that has its
// loader and libraries (Debian's cross root /usr/aarch64-linux-gnu, the one `elfrun run` gives qemu with -L) made
// that prefix: a symlink /etc/qemu-binfmt/ARCH -> ROOT, as Debian's qemu-user-binfmt documents it.
// Without a registered handler no file fix could make changes it: the plan names the package that registers one.
#include <sys/stat.h>
#include <unistd.h>

#include "elf/byte_source.h"
#include "elf/elf_object.h"
#include "fix/fix.h"
#include "loader/binfmt_misc.h"
#include "loader/machine_facts.h"
#include "loader/resolver.h"
#include "util/quote.h"
#include "util/text.h"

namespace elfrun::fix {

namespace {

bool is_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Whether every library of the program resolves under ROOT (a host path) as the handler's qemu would look them up.
bool resolves_under_prefix(const std::string& program, const std::string& root) {
  loader::ResolveOptions options;
  options.root = root;
  options.model = loader::LookupModel::qemu_prefix;
  options.include_vdso = false;
  options.program_origin_real_path = true;
  loader::Resolver resolver(options);
  auto resolution = resolver.resolve(program);
  return resolution && !resolution->has_missing() && !resolution->fatal_error && resolution->loader_found;
}

}  // namespace

const loader::BinfmtHandler* qemu_handler(const std::vector<loader::BinfmtHandler>& handlers,
                                          const std::string& program) {
  auto bytes = elf::ByteSource::open(program);
  if (!bytes) return nullptr;
  auto head = (*bytes)->bytes_up_to(0, 256);
  if (!head) return nullptr;
  return loader::match_qemu_binfmt(handlers, *head, program);
}

void plan_foreign_fix(FixPlan& plan, const diagnose::Diagnosis& diagnosis, const std::string& root,
                      const std::string& host_program, const FixOptions& options, const std::string& finding) {
  auto bytes = elf::ByteSource::open(host_program);
  auto object = bytes ? elf::parse_elf(**bytes) : Expected<elf::ElfObject>(Error{"cannot open " + host_program});
  if (!object) {
    plan.input_error = true;
    plan.problems.push_back(object.error().message);
    return;
  }
  const loader::MachineFacts* facts = loader::machine_facts(*object);
  std::string qemu = facts ? std::string(facts->qemu) : std::string();
  if (qemu.rfind("qemu-", 0) != 0) {
    plan.problems.push_back(finding);
    plan.problems.push_back("qemu-user has no emulator for this machine: fix has nothing to make permanent");
    return;
  }
  std::string arch = qemu.substr(5);
  bool mounted = false;
  auto handlers = loader::read_binfmt_misc(options.binfmt_misc_dir, mounted);
  const loader::BinfmtHandler* handler = qemu_handler(handlers, host_program);
  if (handler == nullptr) {
    plan.problems.push_back(finding);
    plan.problems.push_back(
        std::string(mounted ? "no binfmt_misc handler takes it" : "binfmt_misc is not mounted") + " (" +
        options.binfmt_misc_dir + "): install qemu-user-binfmt (or qemu-user-static), which registers " + qemu +
        " for such programs; then `elfrun fix --apply` makes its root known to that handler. Meanwhile: " +
        diagnosis.run_command.value_or("elfrun run PROGRAM"));
    return;
  }
  if (!object->interpreter || object->interpreter->empty() || (*object->interpreter)[0] != '/') {
    plan.problems.push_back(finding);
    plan.problems.push_back("it names no absolute interpreter (PT_INTERP): the handler " + handler->name +
                            " runs it as it is, fix has nothing to add");
    return;
  }
  const std::string& interpreter = *object->interpreter;
  // The root qemu -L was given by the checked run, when it is inside the fixed root; else a root of the fixed root
  // that has the loader at its PT_INTERP path and every library.
  auto inside = [&](const std::string& host) -> std::optional<std::string> {
    if (root == "/") return host;
    if (host.compare(0, root.size() + 1, root + "/") != 0) return std::nullopt;
    return host.substr(root.size());
  };
  std::optional<std::string> prefix_root;
  const std::string& loader = diagnosis.run_loader;
  if (loader.size() > interpreter.size() &&
      loader.compare(loader.size() - interpreter.size(), interpreter.size(), interpreter) == 0) {
    prefix_root = inside(loader.substr(0, loader.size() - interpreter.size()));
  }
  if (!prefix_root) {
    // The roots inside the fixed root too (Debian's cross roots are ROOT/usr/TRIPLET), as `elfrun fix` adds them.
    loader::DiscoveryOptions discovery = options.discovery;
    if (root != "/") discovery.search_dirs.push_back(root + "/usr");
    for (const loader::DiscoveredLoader& candidate : loader::discover_loaders(discovery)) {
      if (candidate.machine != object->header.machine || candidate.elf_class != object->ident.elf_class) continue;
      if (candidate.root.empty() || candidate.root == "/" || !inside(candidate.root)) continue;
      if (!is_file(candidate.root + interpreter) || !resolves_under_prefix(host_program, candidate.root)) continue;
      prefix_root = inside(candidate.root);
      break;
    }
  }
  if (!prefix_root) {
    plan.problems.push_back(finding);
    plan.problems.push_back(
        "no root " + std::string(root == "/" ? "on this machine" : "inside " + root) + " has its loader " +
        interpreter + " and its libraries" +
        (diagnosis.run_loader.empty() ? "" : " (the one `elfrun run` uses, " + loader + ", is outside the root)"));
    return;
  }
  std::string prefix = "/etc/qemu-binfmt/" + arch;
  std::string host_prefix = (root == "/" ? "" : root) + prefix;
  if (exists_no_follow(host_prefix)) {
    plan.problems.push_back(finding);
    plan.problems.push_back(host_prefix + " exists and does not give " + qemu + " the loader " + interpreter +
                            ": fix never replaces a file it did not create (point it, or QEMU_LD_PREFIX, at " +
                            *prefix_root + ")");
    return;
  }
  std::string parent(util::dir_name(prefix));
  std::string removes =
      finding + " (the " + qemu + " of binfmt_misc entry " + handler->name + " looks under " + prefix + ")";
  if (!exists_no_follow((root == "/" ? "" : root) + parent)) {
    plan.changes.push_back({Change::Kind::directory, parent, "", "(the parent of the symlink below)",
                            util::shell_command({"mkdir", (root == "/" ? "" : root) + parent})});
  }
  plan.changes.push_back({Change::Kind::symlink, prefix, *prefix_root, removes,
                          util::shell_command({"ln", "-s", *prefix_root, host_prefix})});
}

void plan_ia32_binfmt_fix(FixPlan& plan, const std::string& root, const FixOptions& options,
                          const std::string& finding) {
  // qemu's own i386 entry (qemu scripts/qemu-binfmt-conf.sh: ELF32, little-endian, ET_EXEC or ET_DYN, EM_386), with
  // the F flag: the kernel opens qemu-i386-static when the entry is registered, so it also serves chroots and
  // containers. Debian's qemu-user-static ships no such file on amd64, where i386 counts as native.
  const std::string name = "qemu-i386";
  std::string interpreter = "/usr/bin/qemu-i386-static";
  if (::access(interpreter.c_str(), X_OK) != 0) {
    plan.problems.push_back(finding);
    plan.problems.push_back(interpreter + " is not installed: install qemu-user-static, then `elfrun fix --apply` " +
                            "registers it for i386 programs");
    return;
  }
  std::string line =
      ":" + name +
      ":M::\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x03\\x00:"
      "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:" +
      interpreter + ":F";
  std::string entry = options.binfmt_misc_dir + "/" + name;
  bool mounted = false;
  loader::read_binfmt_misc(options.binfmt_misc_dir, mounted);
  if (!mounted) {
    plan.problems.push_back(finding);
    plan.problems.push_back("binfmt_misc is not mounted at " + options.binfmt_misc_dir +
                            ": nothing can be registered (mount -t binfmt_misc binfmt_misc " + options.binfmt_misc_dir +
                            ")");
    return;
  }
  if (exists_no_follow(entry)) {
    plan.problems.push_back(finding);
    plan.problems.push_back("the binfmt_misc entry " + entry +
                            " exists and is not enabled for it: fix never replaces an entry it did not register");
    return;
  }
  std::string conf = "/etc/binfmt.d/" + name + ".conf";
  std::string host_conf = (root == "/" ? "" : root) + conf;
  if (exists_no_follow(host_conf)) {
    plan.problems.push_back(finding);
    plan.problems.push_back(host_conf + " exists: fix never replaces a file it did not create");
    return;
  }
  std::string removes = finding + " (" + interpreter + " runs i386 programs for the kernel)";
  std::string parent = (root == "/" ? "" : root) + "/etc/binfmt.d";
  if (!exists_no_follow(parent)) {
    plan.changes.push_back({Change::Kind::directory, "/etc/binfmt.d", "", "(the parent of the file below)",
                            util::shell_command({"mkdir", parent})});
  }
  std::string text =
      "# elfrun fix: i386 programs through " + interpreter + " on a kernel without IA32 emulation.\n" + line + "\n";
  plan.changes.push_back({Change::Kind::file, conf, text, removes + ", at every boot (systemd-binfmt reads it)",
                          "printf '%s\\n' " + util::shell_command({line}) + " > " + util::shell_command({host_conf})});
  plan.changes.push_back({Change::Kind::binfmt, entry, line, removes + ", from now on",
                          "printf '%s' " + util::shell_command({line}) + " > " +
                              util::shell_command({options.binfmt_misc_dir + "/register"})});
}

}  // namespace elfrun::fix
