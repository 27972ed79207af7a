// PT_INTERP as the kernel opens it (fs/binfmt_elf.c load_elf_binary): it must exist (else execve fails with ENOENT,
// the "No such file or directory" of a file that is plainly there), be an executable regular file on an exec mount
// (open_exec), and be an ELF file of the program's class, byte order and machine (else ELIBBAD). Then it must be a
// loader, not another program. When it is missing, the compatible loaders elsewhere on the machine, the command that
// runs the program through one, and the symlink and library path a multilib system would have.
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include "diagnose/walk.h"
#include "elf/identify.h"
#include "loader/loader_identity.h"
#include "loader/machine_facts.h"
#include "util/text.h"

namespace elfrun::diagnose {

namespace {

std::string architecture(const elf::ElfObject& object) {
  return elf::describe_architecture(object.ident.elf_class, object.byte_order(), object.header.machine);
}

// The symlink and library path that make the program run as it is, on the whole system: what a multilib system
// ships (its /lib64/ld-linux-x86-64.so.2 and the 64-bit library directory in ld.so.conf).
void add_system_wide_fix(Walk& walk, Finding& finding, const ExecTarget& target, const std::string& interpreter,
                         const elf::ElfObject& program) {
  if (!walk.run_fix || walk.run_fix->qemu || walk.run_fix->loader.empty()) return;
  const RunFix& fix = *walk.run_fix;
  // Paths as the system sees them: inside the root under --root.
  std::string loader = fix.loader;
  std::vector<std::string> dirs = fix.library_dirs;
  if (!walk.host_root()) {
    std::string root = walk.options().root;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    auto inside = [&](const std::string& host) {
      return host.compare(0, root.size(), root) == 0 ? host.substr(root.size()) : host;
    };
    // A loader outside the root cannot be linked to from inside it.
    if (loader.compare(0, root.size() + 1, root + "/") != 0) return;
    loader = inside(loader);
    for (std::string& dir : dirs) dir = inside(dir);
  }
  std::string directory(util::dir_name(interpreter));
  std::string link = "ln -s " + quote(loader) + " " + quote(interpreter);
  if (!walk.real_host_path(directory)) link = "mkdir -p " + quote(directory) + " && " + link;
  finding.fixes.push_back(link + "   # system-wide: the loader where the program looks for it");
  // Would that loader, found at PT_INTERP, find the libraries by itself (its cache and system directories)?
  loader::ResolveOptions options;
  options.root = walk.options().root;
  options.loader_path = loader;
  options.include_vdso = false;
  options.program_origin_real_path = true;
  loader::Resolver resolver(options);
  auto resolution = resolver.resolve(target.inside_path);
  if (resolution && !resolution->has_missing()) return;
  if (dirs.empty()) return;
  const loader::MachineFacts* facts = loader::machine_facts(program);
  // A file of our own: appending to the system's x86_64-linux-gnu.conf (or overwriting it) would be worse.
  std::string conf = "elfrun-" + (facts && !facts->debian_triplet.empty() ? std::string(facts->debian_triplet)
                                                                          : std::string(facts ? facts->abi : "lib"));
  std::string list;
  for (const std::string& dir : dirs) list += " " + quote(dir);
  finding.fixes.push_back("printf '%s\\n'" + list + " > /etc/ld.so.conf.d/" + conf + ".conf && ldconfig" +
                          "   # and its library path, for the loader's cache");
}

// Whether a path inside the root is an ELF loader of the program's class, byte order and machine.
bool fits_as_loader(Walk& walk, const std::string& path, const elf::ElfObject& program) {
  auto real = walk.real_host_path(path);
  if (!real) return false;
  auto bytes = elf::ByteSource::open(*real);
  if (!bytes) return false;
  auto object = elf::parse_elf(**bytes);
  return object && !object->interpreter && object->ident.elf_class == program.ident.elf_class &&
         object->ident.data == program.ident.data && object->header.machine == program.header.machine;
}

void interpreter_missing(Walk& walk, const ExecTarget& target, const elf::ElfObject& program) {
  const std::string& interpreter = *program.interpreter;
  Finding& added = walk.add("interpreter-missing", Severity::blocking, target.shown,
                            target.shown + " will not run: its interpreter " + interpreter +
                                " does not exist — that is what \"No such file or directory\" means here");
  size_t index = walk.findings.size() - 1;
  added.evidence.push_back("PT_INTERP (the program interpreter the kernel starts first): " + interpreter);
  added.evidence.push_back(walk.explain_missing(interpreter) +
                           (walk.host_root() ? "" : " (inside the root " + walk.options().root + ")"));
  std::string libc(elf::libc_of(program));
  added.evidence.push_back(target.shown + " is a " + architecture(program) + " program" +
                           (libc.empty() ? "" : " for " + libc));
  auto loaders = compatible_loaders(walk, program);
  if (loaders.empty()) {
    added.evidence.push_back(
        "no loader for it was found elsewhere on this machine (looked in /lib*, /usr/lib*, the "
        "multiarch and cross-toolchain directories /usr/*-linux*/lib*)");
  } else {
    added.evidence.push_back("compatible loaders found elsewhere on this machine:");
    for (const loader::DiscoveredLoader* found : loaders) added.evidence.push_back("  " + describe_loader(*found));
  }
  // find_run_fix may add findings: refer to this one by index from here on.
  if (!walk.run_fix) walk.run_fix = find_run_fix(walk, target, program);
  Finding& finding = walk.findings[index];
  // A PT_INTERP that is not the usual one of its ABI (a build for another layout, a typo): the usual one may be here.
  const loader::MachineFacts* facts = loader::machine_facts(program);
  std::string usual;
  if (facts) {
    usual =
        libc == "musl" ? "/lib/ld-musl-" + std::string(facts->musl_arch) + ".so.1" : std::string(facts->glibc_loader);
  }
  if (!usual.empty() && usual != interpreter && fits_as_loader(walk, usual, program)) {
    finding.evidence.push_back("the usual interpreter of such programs, " + usual + ", is there");
    finding.fixes.push_back("patchelf --set-interpreter " + quote(usual) + " " + quote(target.shown) +
                            "   # make the program name the usual loader");
  } else {
    add_system_wide_fix(walk, finding, target, interpreter, program);
  }
  for (const std::string& line : debian_packages_for(walk, program)) finding.fixes.push_back(line);
}

}  // namespace

bool check_interpreter(Walk& walk, const ExecTarget& target, const elf::ElfObject& program) {
  const std::string& interpreter = *program.interpreter;
  auto real = walk.real_host_path(interpreter);
  if (!real) {
    if (errno == EACCES) {
      walk.add("interpreter-not-executable", Severity::blocking, target.shown,
               target.shown + " will not run: its interpreter " + interpreter + " cannot be reached: " +
                   walk.explain_missing(interpreter) + " — execve fails with \"Permission denied\"");
      return false;
    }
    interpreter_missing(walk, target, program);
    return false;
  }
  struct stat st {};
  struct statvfs fs {};
  bool regular = ::stat(real->c_str(), &st) == 0 && S_ISREG(st.st_mode);
  bool executable = regular && ::faccessat(AT_FDCWD, real->c_str(), X_OK, AT_EACCESS) == 0;
  bool noexec = regular && ::statvfs(real->c_str(), &fs) == 0 && (fs.f_flag & ST_NOEXEC);
  if (!executable || noexec) {
    Finding& finding = walk.add("interpreter-not-executable", Severity::blocking, target.shown,
                                target.shown + " will not run: its interpreter " + interpreter + " is " +
                                    (!regular ? "not a regular file"
                                     : noexec ? "on a file system mounted noexec"
                                              : "not executable for you") +
                                    " — execve fails with \"Permission denied\"");
    finding.evidence.push_back("PT_INTERP: " + interpreter + (*real != interpreter ? " (" + *real + ")" : ""));
    if (regular && !noexec) finding.fixes.push_back("chmod +x " + quote(*real) + "   # as its owner or root");
    return false;
  }

  auto bytes = elf::ByteSource::open(*real);
  auto parsed = bytes ? elf::parse_elf(**bytes) : Expected<elf::ElfObject>(bytes.error());
  std::string arch = architecture(program);
  if (!parsed) {
    // fs/binfmt_elf.c reads the interpreter's ELF header first: a shorter file fails that read (EIO); a file with
    // a full header that is not ELF fails the magic check (ELIBBAD).
    uint64_t size = bytes ? (*bytes)->size() : 0;
    uint64_t header = program.is_64() ? 64 : 52;
    std::string refusal = bytes && size < header
                              ? "is too short to hold an ELF header (" + std::to_string(size) + " bytes, " +
                                    std::to_string(header) +
                                    " needed) — reading it fails with EIO, \"Input/output "
                                    "error\""
                              : "is not a usable ELF file (" + parsed.error().message +
                                    ") — the kernel refuses it with ELIBBAD, \"Accessing a corrupted shared "
                                    "library\"";
    Finding& finding = walk.add("interpreter-not-elf", Severity::blocking, target.shown,
                                target.shown + " will not run: its interpreter " + interpreter + " " + refusal);
    finding.evidence.push_back("PT_INTERP: " + interpreter + (*real != interpreter ? " (" + *real + ")" : ""));
    return false;
  }
  const elf::ElfObject& found = *parsed;
  bool same_abi = found.ident.elf_class == program.ident.elf_class && found.ident.data == program.ident.data &&
                  found.header.machine == program.header.machine;
  if (!same_abi) {
    Finding& finding = walk.add("interpreter-wrong-arch", Severity::blocking, target.shown,
                                target.shown + " will not run: its interpreter " + interpreter + " is a " +
                                    architecture(found) + " file, the program is " + arch +
                                    " — the kernel refuses it with ELIBBAD, \"Accessing a corrupted shared library\"");
    finding.evidence.push_back("PT_INTERP: " + interpreter + (*real != interpreter ? " (" + *real + ")" : ""));
    finding.evidence.push_back(
        interpreter + ": EI_CLASS " + std::to_string(found.ident.elf_class) + ", EI_DATA " +
        std::to_string(found.ident.data) + ", e_machine " + std::to_string(found.header.machine) +
        "; the program: EI_CLASS " + std::to_string(program.ident.elf_class) + ", EI_DATA " +
        std::to_string(program.ident.data) + ", e_machine " + std::to_string(program.header.machine));
    size_t index = walk.findings.size() - 1;
    auto loaders = compatible_loaders(walk, program);
    if (!loaders.empty()) {
      walk.findings[index].evidence.push_back("compatible loaders found elsewhere on this machine:");
      for (const loader::DiscoveredLoader* loader : loaders) {
        walk.findings[index].evidence.push_back("  " + describe_loader(*loader));
      }
    }
    if (!walk.run_fix) walk.run_fix = find_run_fix(walk, target, program);
    if (walk.run_fix && !walk.run_fix->loader.empty()) {
      walk.findings[index].fixes.push_back("patchelf --set-interpreter " + quote(walk.run_fix->loader) + " " +
                                           quote(target.shown) + "   # point the program at a loader that fits");
    }
    for (const std::string& line : debian_packages_for(walk, program)) walk.findings[index].fixes.push_back(line);
    return false;
  }
  bool has_own_interpreter = found.interpreter.has_value();
  bool needs_libraries = found.dynamic && !found.dynamic->needed.empty();
  if (has_own_interpreter || needs_libraries || found.header.type == ET_REL) {
    Finding& finding =
        walk.add("interpreter-not-a-loader", Severity::blocking, target.shown,
                 target.shown + " will not run: its interpreter " + interpreter + " is not a dynamic loader but " +
                     (has_own_interpreter ? "a program with its own interpreter " + *found.interpreter
                      : needs_libraries   ? "an object that needs libraries (" + join(found.dynamic->needed, ", ") + ")"
                                          : "an object file"));
    finding.evidence.push_back("PT_INTERP: " + interpreter + (*real != interpreter ? " (" + *real + ")" : ""));
    size_t index = walk.findings.size() - 1;
    if (!walk.run_fix) walk.run_fix = find_run_fix(walk, target, program);
    if (walk.run_fix && !walk.run_fix->loader.empty()) {
      walk.findings[index].fixes.push_back("patchelf --set-interpreter " + quote(walk.run_fix->loader) + " " +
                                           quote(target.shown) + "   # point the program at a real loader");
    }
    return false;
  }
  return true;
}

}  // namespace elfrun::diagnose
