// An ELF file in execve's and then the loader's order (Linux fs/binfmt_elf.c load_elf_binary): a program for Linux,
// of a type the kernel starts, for a machine this kernel runs (natively, through IA32/x32 compatibility, or through a
// binfmt_misc handler such as qemu-user's); then either a static program, or PT_INTERP and the loader's work:
// libraries, versions, symbols, and the kernel and CPU the objects ask for.
#include <elf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "diagnose/walk.h"
#include "elf/identify.h"
#include "elf/machine.h"
#include "loader/machine_facts.h"
#include "run/plan.h"
#include "util/text.h"

namespace elfrun::diagnose {

namespace {

// The ABIs (MachineFacts::abi) a kernel of each `uname -m` starts natively, and the ones it starts only through a
// compatibility layer that can be missing (IA32 emulation, the x32 ABI).
struct HostAbis {
  std::vector<std::string_view> native;
  std::vector<std::string_view> ia32;  // depends on IA32 emulation
  std::vector<std::string_view> x32;   // depends on the x32 ABI
};

HostAbis host_abis(const std::string& machine) {
  if (machine == "x86_64") return {{"x86-64"}, {"i386"}, {"x32"}};
  if (machine == "i386" || machine == "i486" || machine == "i586" || machine == "i686") return {{"i386"}, {}, {}};
  if (machine == "aarch64") return {{"aarch64", "armhf", "armel"}, {}, {}};
  if (machine == "aarch64_be") return {{"aarch64_be", "armebhf", "armeb"}, {}, {}};
  if (machine.rfind("armv", 0) == 0) return {{"armhf", "armel"}, {}, {}};
  if (machine == "s390x") return {{"s390x", "s390"}, {}, {}};
  if (machine == "ppc64le") return {{"ppc64le"}, {}, {}};
  if (machine == "ppc64") return {{"ppc64", "ppc64-elfv2", "ppc"}, {}, {}};
  if (machine == "ppc") return {{"ppc"}, {}, {}};
  if (machine == "riscv64") return {{"riscv64", "riscv64-lp64"}, {}, {}};
  return {};
}

bool contains(const std::vector<std::string_view>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string architecture(const elf::ElfObject& object) {
  return elf::describe_architecture(object.ident.elf_class, object.byte_order(), object.header.machine);
}

// A binfmt_misc handler that takes the program, reported; false when none does.
bool binfmt_handler_takes(Walk& walk, const ExecTarget& target, const std::string& arch, const std::string& host) {
  elf::ByteView head = target.bytes->bytes_up_to(0, 256).value_or(elf::ByteView());
  const BinfmtHandler* handler = match_binfmt(walk.binfmt_handlers(), head, target.host_path);
  if (handler == nullptr) return false;
  auto interpreter = walk.real_host_path(handler->interpreter);
  if (!interpreter && handler->flags.find('F') == std::string::npos) return false;
  Finding& finding = walk.add("binfmt-misc", Severity::info, target.shown,
                              target.shown + " is a " + arch + " program: this " + host + " kernel hands it to " +
                                  handler->interpreter + " (binfmt_misc entry " + handler->name + ")");
  finding.evidence.push_back(walk.options().binfmt_misc + "/" + handler->name + ": flags " +
                             (handler->flags.empty() ? std::string("none") : handler->flags));
  return true;
}

// Whether the kernel runs the program's machine, and findings when it does not. True: go on with the loader.
bool check_machine(Walk& walk, const ExecTarget& target, const elf::ElfObject& object) {
  const loader::MachineFacts* facts = loader::machine_facts(object);
  const std::string arch = architecture(object);
  const std::string& host = walk.kernel_machine();
  HostAbis abis = host_abis(host);
  std::string abi = facts ? std::string(facts->abi) : std::string();
  if (!abi.empty() && contains(abis.native, abi)) return true;
  if (!abi.empty() && (contains(abis.ia32, abi) || contains(abis.x32, abi))) {
    bool ia32 = contains(abis.ia32, abi);
    // binfmt_misc comes before the kernel's own ELF loader: a handler that takes the program starts it either way.
    if (binfmt_handler_takes(walk, target, arch, host)) return true;
    FeatureState state = ia32 ? walk.ia32_emulation() : walk.x32_abi();
    if (state.value == FeatureState::Value::yes) return true;
    std::string feature = ia32 ? "IA32 emulation" : "x32 ABI support";
    if (state.value == FeatureState::Value::unknown) {
      Finding& finding = walk.add(ia32 ? "ia32-unknown" : "x32-unknown", Severity::warning, target.shown,
                                  target.shown + " is a " + arch + " program: it runs only if this kernel has " +
                                      feature + ", which nothing here could confirm");
      finding.evidence.push_back(state.evidence);
      return true;
    }
    Finding& finding = walk.add(ia32 ? "ia32-disabled" : "x32-disabled", Severity::blocking, target.shown,
                                target.shown + " is a " + arch + " program and this " + host + " kernel has no " +
                                    feature + " — execve fails with \"Exec format error\"");
    finding.evidence.push_back(state.evidence);
    finding.evidence.insert(finding.evidence.end(), state.more_evidence.begin(), state.more_evidence.end());
    std::string qemu = facts ? std::string(facts->qemu) : std::string();
    if (ia32 && !qemu.empty()) {
      // qemu's own i386 entry (scripts/qemu-binfmt-conf.sh): ELF32, little-endian, ET_EXEC or ET_DYN, EM_386.
      // Debian's qemu-user-static registers none on amd64, where i386 counts as native; F keeps it working in
      // chroots and containers.
      auto static_path = run::find_in_path(qemu + "-static");
      std::string interpreter = static_path ? *static_path : "/usr/bin/" + qemu + "-static";
      if (!static_path) finding.fixes.push_back("apt install qemu-user-static   # provides " + interpreter);
      // Without systemd's automount (a container, a minimal VM) nothing is mounted there: the register file the
      // next line writes to does not exist until it is.
      if (!walk.binfmt_mounted()) {
        finding.fixes.push_back("sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc   # not mounted here");
      }
      finding.fixes.push_back(
          "printf '%s\\n' ':" + qemu +
          ":M::\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x03\\x00:"
          "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:" +
          interpreter + ":F' | sudo tee /proc/sys/fs/binfmt_misc/register   # as root: ./" +
          std::string(util::base_name(target.shown)) + " then runs through " + qemu + " (until the next boot)");
    }
    finding.fixes.insert(finding.fixes.end(), state.fixes.begin(), state.fixes.end());
    return false;
  }
  // Not a machine this kernel runs: a binfmt_misc handler (qemu-user-binfmt registers them) may take it.
  if (binfmt_handler_takes(walk, target, arch, host)) return true;
  std::string qemu = facts ? std::string(facts->qemu) : std::string();
  auto qemu_path = qemu.empty() ? std::nullopt : run::find_in_path(qemu);
  std::string why_not = walk.binfmt_mounted() ? "no binfmt_misc handler is registered for it"
                                              : "binfmt_misc is not mounted, so no handler can take it";
  if (qemu_path) {
    Finding& finding =
        walk.add("machine-needs-qemu", Severity::blocking, target.shown,
                 target.shown + " is a " + arch + " program: this " + host + " kernel cannot run it and " + why_not +
                     " — execve fails with \"Exec format error\"; " + qemu + " (installed) runs it");
    finding.evidence.push_back("e_machine " + std::to_string(object.header.machine) + " (" +
                               elf::machine_name(object.header.machine) + "), uname -m: " + host);
    finding.evidence.push_back(qemu + ": " + *qemu_path);
    finding.fixes.push_back("apt install qemu-user-binfmt   # the kernel then runs such programs through qemu itself");
  } else {
    Finding& finding =
        walk.add("machine-unsupported", Severity::blocking, target.shown,
                 target.shown + " is a " + arch + " program: this " + host + " kernel cannot run it, " + why_not +
                     ", and " + (qemu.empty() ? "qemu-user has no emulator for it" : qemu + " is not installed") +
                     " — execve fails with \"Exec format error\"");
    finding.evidence.push_back("e_machine " + std::to_string(object.header.machine) + " (" +
                               elf::machine_name(object.header.machine) + "), uname -m: " + host);
    if (!qemu.empty()) finding.fixes.push_back("apt install qemu-user   # provides " + qemu);
  }
  return false;
}

// Linux ignores EI_OSABI, so a program for another system is loaded and then fails at its first system call.
bool check_os(Walk& walk, const ExecTarget& target, const elf::ElfObject& object) {
  uint8_t os_abi = object.ident.os_abi;
  bool foreign_os_abi = os_abi != ELFOSABI_SYSV && os_abi != ELFOSABI_GNU && os_abi < 64;
  bool foreign_note = object.notes.abi_tag && object.notes.abi_tag->os != ELF_NOTE_OS_LINUX;
  if (!foreign_os_abi && !foreign_note) return true;
  std::string os =
      foreign_os_abi ? elf::os_abi_name(os_abi, object.header.machine) : elf::abi_tag_os_name(object.notes.abi_tag->os);
  Finding& finding = walk.add("elf-other-os", Severity::blocking, target.shown,
                              target.shown + " is a program for " + os +
                                  ", not Linux: the kernel may load it, but "
                                  "its system calls are " +
                                  os + "'s");
  if (foreign_os_abi) finding.evidence.push_back("EI_OSABI " + std::to_string(os_abi) + " (" + os + ")");
  if (foreign_note) finding.evidence.push_back("its NT_GNU_ABI_TAG note names the OS " + os);
  return false;
}

bool check_type(Walk& walk, const ExecTarget& target, const elf::ElfObject& object, elf::FileKind kind) {
  using elf::FileKind;
  if (kind == FileKind::relocatable) {
    Finding& finding = walk.add("elf-not-a-program", Severity::blocking, target.shown,
                                target.shown +
                                    " is an object file (ET_REL), input for the linker, not a program — "
                                    "execve fails with \"Exec format error\"");
    finding.fixes.push_back("gcc " + quote(target.shown) + " -o program   # link it into a program");
    return false;
  }
  if (kind == FileKind::core || kind == FileKind::other_elf) {
    walk.add(
        "elf-not-a-program", Severity::blocking, target.shown,
        target.shown + " is " +
            (kind == FileKind::core ? "a core dump" : "an ELF file of type " + elf::type_name(object.header.type)) +
            ", not a program — execve fails with \"Exec format error\"");
    return false;
  }
  return true;
}

// The root qemu-user would be given for a foreign program (-L): --root, else the first root on this machine that
// has the program's loader at its PT_INTERP path (as run chooses it); empty when none.
std::string qemu_root(Walk& walk, const elf::ElfObject& object) {
  if (!walk.host_root()) return walk.options().root;
  for (const loader::DiscoveredLoader& candidate : walk.loaders()) {
    if (candidate.machine != object.header.machine || candidate.elf_class != object.ident.elf_class) continue;
    if (candidate.root.empty() || candidate.root == "/") continue;
    struct stat st {};
    if (::stat((candidate.root + *object.interpreter).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      return candidate.root;
    }
  }
  return {};
}

// A foreign program qemu-user can run: its libraries and versions judged in the root qemu -L will use, as for a
// native program. When they block, the qemu finding no longer says that qemu runs it, and comes after them.
void check_under_qemu(Walk& walk, const ExecTarget& target, const elf::ElfObject& object) {
  if (!object.interpreter) return;
  auto qemu_finding = std::find_if(walk.findings.begin(), walk.findings.end(), [&](const Finding& finding) {
    return finding.code == "machine-needs-qemu" && finding.subject == target.shown;
  });
  if (qemu_finding == walk.findings.end()) return;
  std::string root = qemu_root(walk, object);
  if (root.empty()) {
    // No root has its loader: qemu without -L looks under its prefix (QEMU_LD_PREFIX, else its interp_prefix
    // /etc/qemu-binfmt/ARCH) and then at the path itself (util/path.c). Nowhere: qemu does not run it (run says
    // 127, the same words).
    const std::string& interp = *object.interpreter;
    const char* from_env = walk.host_root() ? std::getenv("QEMU_LD_PREFIX") : nullptr;
    std::string prefix = from_env != nullptr && *from_env != '\0' ? from_env : qemu_binfmt_prefix(object);
    struct stat st {};
    bool under_prefix = !prefix.empty() && ::stat((prefix + interp).c_str(), &st) == 0;
    if (under_prefix || walk.real_host_path(interp)) return;
    std::string& verdict = qemu_finding->verdict;
    size_t runs = verdict.rfind(" (installed) runs it");
    if (runs == std::string::npos) return;
    verdict = verdict.substr(0, runs) + " is installed, but its loader " + interp + " is nowhere it would look (" +
              (prefix.empty() ? "" : prefix + interp + ", ") + interp + ") and no root on this machine has it";
    qemu_finding->evidence.push_back(walk.explain_missing(interp));
    // A binfmt_misc handler would start the same qemu, which would not find it either.
    auto& fixes = qemu_finding->fixes;
    fixes.erase(
        std::remove_if(fixes.begin(), fixes.end(),
                       [](const std::string& fix) { return fix.rfind("apt install qemu-user-binfmt", 0) == 0; }),
        fixes.end());
    return;
  }
  loader::ResolveOptions options;
  options.root = root;
  options.model = loader::LookupModel::qemu_prefix;
  options.include_vdso = false;
  options.program_origin_real_path = true;
  loader::Resolver resolver(options);
  auto resolution = resolver.resolve(target.host_path);
  if (!resolution) return;
  walk.add("lookup-model", Severity::info, target.shown,
           "lookup model: " + std::string(loader::lookup_model_name(resolution->model)) + ", root " + root);
  size_t before = walk.findings.size();
  check_libraries(walk, target, *resolution);
  check_versions(walk, target, *resolution);
  bool blocked = false;
  for (size_t i = before; i < walk.findings.size(); ++i) blocked |= walk.findings[i].severity == Severity::blocking;
  if (!blocked) return;
  qemu_finding = std::find_if(walk.findings.begin(), walk.findings.end(), [&](const Finding& finding) {
    return finding.code == "machine-needs-qemu" && finding.subject == target.shown;
  });
  Finding moved = std::move(*qemu_finding);
  walk.findings.erase(qemu_finding);
  std::string& verdict = moved.verdict;
  size_t runs = verdict.rfind(" (installed) runs it");
  if (runs != std::string::npos) {
    verdict = verdict.substr(0, runs) + " is installed, but under it (-L " + root + ") the loader stops too";
  }
  walk.findings.push_back(std::move(moved));
}

}  // namespace

// A run command is looked for when what blocks is something another loader, library path or qemu gets around —
// not a CPU, a kernel, a mount or a file that no way of starting the program changes.
void finish_with_fix(Walk& walk, const ExecTarget& target, const elf::ElfObject& object) {
  static const std::set<std::string> kFixable = {"interpreter-missing",
                                                 "interpreter-wrong-arch",
                                                 "interpreter-not-a-loader",
                                                 "interpreter-not-elf",
                                                 "interpreter-not-executable",
                                                 "library-missing",
                                                 "library-not-in-cache",
                                                 "library-fatal",
                                                 "version-missing",
                                                 "symbol-undefined",
                                                 "machine-needs-qemu",
                                                 "qemu-loader-missing",
                                                 "ia32-disabled",
                                                 "no-interpreter"};
  bool blocked = false;
  for (const Finding& finding : walk.findings) {
    if (finding.severity != Severity::blocking || finding.subject != target.shown) continue;
    if (kFixable.count(finding.code) == 0) return;
    blocked = true;
  }
  if (!blocked) return;
  auto fix = find_run_fix(walk, target, object);
  if (fix && !walk.run_fix) walk.run_fix = fix;
}

bool kernel_runs_natively(Walk& walk, const elf::ElfObject& object) {
  const loader::MachineFacts* facts = loader::machine_facts(object);
  if (!facts) return false;
  HostAbis abis = host_abis(walk.kernel_machine());
  if (contains(abis.native, facts->abi)) return true;
  if (contains(abis.ia32, facts->abi)) return walk.ia32_emulation().value != FeatureState::Value::no;
  return contains(abis.x32, facts->abi) && walk.x32_abi().value != FeatureState::Value::no;
}

void examine_elf(Walk& walk, const ExecTarget& target) {
  auto parsed = elf::parse_elf(*target.bytes);
  if (!parsed) {
    std::string message = target.shown + " is a damaged ELF file: " + parsed.error().message;
    walk.add("elf-malformed", Severity::blocking, target.shown, message + " — the kernel or the loader refuses it");
    if (target.depth == 0) walk.input_error = message;
    return;
  }
  const elf::ElfObject& object = *parsed;
  elf::FileKind kind = elf::classify(object);
  if (!check_os(walk, target, object) || !check_type(walk, target, object, kind)) return;
  if (!check_machine(walk, target, object)) {
    check_under_qemu(walk, target, object);
    finish_with_fix(walk, target, object);
    return;
  }
  // Taken by a qemu-user handler: the loader is where that qemu looks for it.
  if (object.interpreter && !kernel_runs_natively(walk, object) && check_through_qemu_handler(walk, target, object)) {
    return;
  }

  loader::Resolution alone;  // a static program: itself only
  if (!object.interpreter) {
    loader::LoadedObject self;
    self.name = self.path = target.inside_path;
    self.host_path = target.host_path;
    self.found_by = loader::FoundBy::main_program;
    self.elf = std::make_shared<const elf::ElfObject>(object);
    alone.objects.push_back(std::move(self));
    alone.is_static = true;
    if (object.dynamic && !object.dynamic->needed.empty() && kind != elf::FileKind::shared_library) {
      Finding& finding = walk.add("no-interpreter", Severity::blocking, target.shown,
                                  target.shown + " needs libraries (" + join(object.dynamic->needed, ", ") +
                                      ") but has no PT_INTERP: nothing would load them, the kernel would start it "
                                      "with its references unresolved");
      finding.evidence.push_back("no PT_INTERP program header; DT_NEEDED: " + join(object.dynamic->needed, ", "));
      const loader::MachineFacts* facts = loader::machine_facts(object);
      if (facts && !facts->glibc_loader.empty()) {
        finding.fixes.push_back("patchelf --set-interpreter " + std::string(facts->glibc_loader) + " " +
                                quote(target.shown) + "   # give it the usual loader of its machine");
      }
      finish_with_fix(walk, target, object);
      return;
    }
    if (kind == elf::FileKind::dynamic_loader) {
      walk.add("dynamic-loader", Severity::info, target.shown,
               target.shown +
                   " is a dynamic loader: run by itself it prints its usage (or runs the program named "
                   "after it); it needs no library");
      walk.summary_runs = "it is a dynamic loader, which needs nothing";
    } else if (kind == elf::FileKind::shared_library) {
      walk.add("elf-shared-library", Severity::blocking, target.shown,
               target.shown +
                   " is a shared library without a program interpreter: programs load it, it does not "
                   "run by itself (the kernel would jump to its entry point with nothing relocated)");
      return;
    } else {
      bool pie = kind == elf::FileKind::static_pie;
      Finding& finding =
          walk.add(pie ? "static-pie" : "static-program", Severity::info, target.shown,
                   target.shown + " is statically linked" + (pie ? " (static-pie: it relocates itself)" : "") +
                       ": the kernel starts it directly, there is no loader and no library to "
                       "resolve");
      finding.evidence.push_back(object.dynamic ? "no PT_INTERP and no DT_NEEDED" : "no PT_INTERP and no PT_DYNAMIC");
      walk.summary_runs = std::string("it is statically linked") + (pie ? " (static-pie)" : "") +
                          " and the kernel runs " + architecture(object) + " programs";
    }
    check_kernel_and_cpu(walk, target, alone);
    return;
  }

  if (!check_interpreter(walk, target, object)) {
    finish_with_fix(walk, target, object);
    return;
  }
  loader::ResolveOptions options;
  options.root = walk.options().root;
  options.program_origin_real_path = true;  // $ORIGIN as the kernel gives it to a program run directly
  options.loader_path = walk.options().loader;
  // The environment the program would get, on this machine: LD_LIBRARY_PATH and LD_PRELOAD count, except for a
  // setuid or setgid program, for which the loader ignores them (secure mode, elf/rtld.c).
  bool secure = (target.st.st_mode & (S_ISUID | S_ISGID)) != 0;
  if (walk.host_root() && !secure) {
    const char* library_path = std::getenv("LD_LIBRARY_PATH");
    const char* preload = std::getenv("LD_PRELOAD");
    if (library_path && *library_path) options.library_path = library_path;
    if (preload && *preload) {
      // elf/rtld.c handle_preload_list: entries separated by blanks or colons.
      std::string list = preload;
      size_t start = 0;
      while (start < list.size()) {
        size_t end = list.find_first_of(" :", start);
        if (end == std::string::npos) end = list.size();
        if (end > start) options.preload.push_back(list.substr(start, end - start));
        start = end + 1;
      }
    }
    if (options.library_path || !options.preload.empty()) {
      walk.add("environment", Severity::info, target.shown,
               std::string("the environment counts: ") +
                   (options.library_path ? "LD_LIBRARY_PATH=" + *options.library_path : std::string()) +
                   (options.library_path && !options.preload.empty() ? ", " : "") +
                   (options.preload.empty() ? std::string() : "LD_PRELOAD=" + std::string(preload)));
    }
  }
  {
    loader::Resolver resolver(options);
    auto resolution = resolver.resolve(target.inside_path);
    if (!resolution) {
      walk.add("elf-malformed", Severity::blocking, target.shown, resolution.error().message);
      if (target.depth == 0) walk.input_error = resolution.error().message;
      return;
    }
    if (!walk.host_root()) {
      walk.add("lookup-model", Severity::info, target.shown,
               "lookup model: " + std::string(loader::lookup_model_name(resolution->model)));
    }
    check_libraries(walk, target, *resolution);
    check_versions(walk, target, *resolution);
    // Symbols are looked up even with a library missing, as ldd -r does (the loader in trace mode relocates what it
    // loaded): what that library would define is then reported missing too.
    bool symbols_checked = walk.options().symbols;
    bool symbols_missing = false;  // or not all readable
    if (symbols_checked) {
      size_t before = walk.findings.size();
      check_symbols(walk, target, *resolution);
      // check_symbols adds only symbol-undefined and symbols-unreadable findings: either one spoils "every symbol".
      symbols_missing = walk.findings.size() > before;
    } else {
      walk.add("symbols-not-checked", Severity::info, target.shown,
               "undefined symbols were not checked (--fast): the program may still stop with \"symbol lookup "
               "error\" or \"undefined symbol\"");
    }
    check_kernel_and_cpu(walk, target, *resolution);
    size_t libraries = 0;  // what DT_NEEDED brought in (the loader itself too, when a library asks for it)
    for (size_t i = 1; i < resolution->objects.size(); ++i) {
      loader::FoundBy how = resolution->objects[i].found_by;
      if (how == loader::FoundBy::search || how == loader::FoundBy::path || how == loader::FoundBy::loader ||
          how == loader::FoundBy::preload) {
        ++libraries;
      }
    }
    const loader::LoaderIdentity& identity = resolution->loader;
    std::string flavour = identity.flavour == loader::Flavour::musl ? "musl" : "glibc";
    walk.summary_runs = "its interpreter " + *object.interpreter + " (" + flavour +
                        (identity.version.empty() ? "" : " " + identity.version) + ") is there and " +
                        (libraries == 0   ? "it needs no library"
                         : libraries == 1 ? "its library resolves"
                                          : "its " + std::to_string(libraries) + " libraries resolve") +
                        (!symbols_checked   ? " (undefined symbols not checked: --fast)"
                         : !symbols_missing ? ", and every symbol they need is defined"
                                            : "");
  }
  // The resolution is gone before the fix is planned, which resolves the program again: with 10,000 missing
  // libraries both together took 36 MB (issue 13, finding 10).
  finish_with_fix(walk, target, object);
}

}  // namespace elfrun::diagnose
