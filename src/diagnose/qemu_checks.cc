// A foreign program the kernel hands to a qemu-user binfmt_misc handler (Debian's qemu-user-binfmt and
// qemu-user-static register one per machine, /usr/lib/binfmt.d/qemu-ARCH.conf). That qemu then opens the program's
// PT_INTERP itself, through qemu's util/path.c path(): under its prefix first — the -L option, else the
// QEMU_LD_PREFIX it inherits, else the interp_prefix it was built with (linux-user/main.c; Debian builds with
// --interp-prefix=/etc/qemu-binfmt/%M, so /etc/qemu-binfmt/aarch64 for qemu-aarch64) — and, when that file does not
// exist there, at the path itself. The loader it starts looks up its libraries the same way (qemu maps the open
// system calls through path() too). Nowhere: qemu exits 255 with "Could not open '/lib/ld-linux-aarch64.so.1'".
#include <sys/stat.h>

#include <cstdlib>

#include "diagnose/walk.h"
#include "elf/identify.h"
#include "loader/machine_facts.h"
#include "util/text.h"

namespace elfrun::diagnose {

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0;
}

}  // namespace

const BinfmtHandler* qemu_handler_for(Walk& walk, const ExecTarget& target) {
  elf::ByteView head = target.bytes->bytes_up_to(0, 256).value_or(elf::ByteView());
  return loader::match_qemu_binfmt(walk.binfmt_handlers(), head, target.host_path);
}

std::string qemu_binfmt_prefix(const elf::ElfObject& program) {
  const loader::MachineFacts* facts = loader::machine_facts(program);
  if (!facts || std::string_view(facts->qemu).substr(0, 5) != "qemu-") return "";
  return "/etc/qemu-binfmt/" + std::string(std::string_view(facts->qemu).substr(5));
}

bool check_through_qemu_handler(Walk& walk, const ExecTarget& target, const elf::ElfObject& program) {
  if (!program.interpreter) return false;
  const BinfmtHandler* handler = qemu_handler_for(walk, target);
  std::string prefix = qemu_binfmt_prefix(program);
  if (!handler || prefix.empty()) return false;
  const std::string& interpreter = *program.interpreter;
  const loader::MachineFacts* facts = loader::machine_facts(program);
  std::string qemu(facts->qemu);
  // The prefix the handler's qemu uses: QEMU_LD_PREFIX when the caller has it (a host path), else the built-in one
  // (inside the root the program runs in).
  std::string prefix_host;
  std::string prefix_shown = prefix;
  const char* from_env = walk.host_root() ? std::getenv("QEMU_LD_PREFIX") : nullptr;
  if (from_env != nullptr && *from_env != '\0') {
    prefix_host = util::real_path(from_env);
    prefix_shown = std::string(from_env) + " (QEMU_LD_PREFIX)";
  } else if (auto real = walk.real_host_path(prefix)) {
    prefix_host = *real;
  }
  std::string entry = "binfmt_misc entry " + handler->name + ", " + handler->interpreter;
  if (!prefix_host.empty() && exists(prefix_host + interpreter)) {
    loader::ResolveOptions options;
    options.root = prefix_host;
    options.model = loader::LookupModel::qemu_prefix;
    options.include_vdso = false;
    options.program_origin_real_path = true;
    loader::Resolver resolver(options);
    auto resolution = resolver.resolve(target.host_path);
    if (!resolution) return false;
    walk.add("lookup-model", Severity::info, target.shown,
             "lookup model: " + std::string(loader::lookup_model_name(resolution->model)) + ", root " + prefix_host +
                 " (" + prefix_shown + ", where the " + entry + " looks)");
    check_libraries(walk, target, *resolution);
    check_versions(walk, target, *resolution);
    size_t libraries = resolution->objects.empty() ? 0 : resolution->objects.size() - 1;
    walk.summary_runs = "the kernel hands it to " + qemu + " (" + entry + "), which finds its loader " + interpreter +
                        " under " + prefix_shown + " and " + std::to_string(libraries) + " objects it loads";
    finish_with_fix(walk, target, program);
    return true;
  }
  // The loader at its own path (inside the root): the ordinary checks judge it, as qemu would open it there.
  if (walk.real_host_path(interpreter)) return false;
  Finding& added =
      walk.add("qemu-loader-missing", Severity::blocking, target.shown,
               target.shown + " will not run: the kernel hands it to " + qemu + " (" + entry +
                   "), which looks for its loader " + interpreter + " under " + prefix_shown + " and then at " +
                   interpreter + ": neither exists — qemu exits 255 with \"Could not open '" + interpreter + "'\"");
  size_t index = walk.findings.size() - 1;
  added.evidence.push_back("PT_INTERP: " + interpreter);
  added.evidence.push_back(prefix_shown + interpreter + ": " +
                           (prefix_host.empty() ? walk.explain_missing(prefix) : "no such file"));
  added.evidence.push_back(walk.explain_missing(interpreter));
  finish_with_fix(walk, target, program);
  Finding& finding = walk.findings[index];
  if (walk.run_fix && walk.run_fix->qemu && !walk.run_fix->loader.empty()) {
    const std::string& loader = walk.run_fix->loader;
    if (loader.size() > interpreter.size() &&
        loader.compare(loader.size() - interpreter.size(), interpreter.size(), interpreter) == 0) {
      std::string root = loader.substr(0, loader.size() - interpreter.size());
      finding.fixes.push_back("mkdir -p " + quote(std::string(util::dir_name(prefix))) + " && ln -s " + quote(root) +
                              " " + quote(prefix) + "   # system-wide: the root " + qemu +
                              " looks in (qemu's interp_prefix)");
    }
  }
  return true;
}

}  // namespace elfrun::diagnose
