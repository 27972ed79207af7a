// What the objects ask of the kernel and the CPU. The NT_GNU_ABI_TAG note gives the oldest kernel the C library was
// built for: glibc up to 2.35 stops on an older kernel ("FATAL: kernel too old", DL_SYSDEP_OSCHECK: in the loader
// for dynamic programs, in csu/libc-start.c for static ones) and its loader skips libraries whose note is newer than
// the kernel (elf/dl-load.c open_verify); 2.36 dropped both checks, so with it the note is a warning. The x86
// GNU_PROPERTY_X86_ISA_1_NEEDED bits are checked by glibc 2.33+ for every object of the search list except the loader
// (sysdeps/x86/dl-prop.h dl_isa_level_check: "CPU ISA level is lower than required").
#include <elf.h>

#include <algorithm>

#include "diagnose/walk.h"
#include "elf/machine.h"
#include "loader/hwcaps.h"

namespace elfrun::diagnose {

namespace {

std::vector<uint64_t> numbers_of(const std::string& version) {
  std::vector<uint64_t> numbers;
  uint64_t value = 0;
  bool any = false;
  for (char c : version) {
    if (c >= '0' && c <= '9') {
      value = std::min<uint64_t>(value * 10 + static_cast<uint64_t>(c - '0'), UINT32_MAX);
      any = true;
    } else if (c == '.') {
      numbers.push_back(value);
      value = 0;
    } else {
      break;
    }
  }
  if (any) numbers.push_back(value);
  return numbers;
}

// The highest level named by a set of ISA bits ("x86-64-v3"), for messages.
std::string highest_level(uint32_t bits) {
  for (int bit = 3; bit >= 0; --bit) {
    if (bits & (1u << bit)) return loader::x86_isa_level_name(bit);
  }
  return "none";
}

std::string shown_name(const loader::Resolution& resolution, size_t index, const ExecTarget& target) {
  if (index == 0) return target.shown;
  const loader::LoadedObject& object = resolution.objects[index];
  return object.path.empty() ? object.name : object.path;
}

}  // namespace

void check_kernel_and_cpu(Walk& walk, const ExecTarget& target, const loader::Resolution& resolution) {
  auto kernel = walk.kernel_version();
  bool dynamic = !resolution.is_static && resolution.objects.size() > 0 && resolution.objects[0].elf &&
                 resolution.objects[0].elf->interpreter;
  bool old_glibc = false;  // a glibc loader that still checks the kernel version (before 2.36)
  if (dynamic && resolution.loader.flavour == loader::Flavour::glibc && !resolution.loader.version.empty()) {
    old_glibc = numbers_of(resolution.loader.version) < std::vector<uint64_t>{2, 36};
  }
  const bool x86_host =
      walk.kernel_machine() == "x86_64" || walk.kernel_machine() == "i686" || walk.kernel_machine() == "i386";
  for (size_t i = 0; i < resolution.objects.size(); ++i) {
    const loader::LoadedObject& object = resolution.objects[i];
    if (!object.elf || object.found_by == loader::FoundBy::not_found) continue;
    const elf::ElfObject& elf = *object.elf;
    std::string who = shown_name(resolution, i, target);
    const auto& tag = elf.notes.abi_tag;
    if (kernel && tag && tag->os == ELF_NOTE_OS_LINUX) {
      KernelVersion wanted{tag->major, tag->minor, tag->patch};
      if (wanted > *kernel) {
        // Who checks what: a glibc loader before 2.36 refuses a kernel older than its own note ("FATAL: kernel too
        // old") and skips libraries whose note is newer than the kernel; static glibc before 2.36 checks at start.
        bool is_loader = object.found_by == loader::FoundBy::loader;
        bool blocking = dynamic && old_glibc && i != 0;
        std::string built = who + " is built for Linux " + to_string(wanted) +
                            " or newer (its ABI note), this kernel "
                            "is " +
                            walk.kernel_release();
        std::string verdict;
        if (blocking && is_loader) {
          verdict = target.shown + " will not run: its loader " + built + " — it stops with \"FATAL: kernel too old\"";
        } else if (blocking) {
          verdict = target.shown + " will not run: " + built + " — its loader (glibc " + resolution.loader.version +
                    ") skips such a library as if it were not there (elf/dl-load.c open_verify)";
        } else if (!dynamic) {
          verdict = built +
                    " — static glibc before 2.36 stops at start with \"FATAL: kernel too old\"; a newer one "
                    "runs, and fails at the first system call this kernel lacks";
        } else {
          verdict = built + " — glibc " +
                    (resolution.loader.version.empty() ? std::string("2.36 and later") : resolution.loader.version) +
                    " does not check it, but the program may use system calls this kernel lacks";
        }
        Finding& finding =
            walk.add("kernel-too-old", blocking ? Severity::blocking : Severity::warning, target.shown, verdict);
        finding.evidence.push_back(who + ": NT_GNU_ABI_TAG Linux " + to_string(wanted) +
                                   "; uname -r: " + walk.kernel_release());
      }
    }
    bool x86 = elf.header.machine == EM_X86_64 || elf.header.machine == EM_386;
    bool loader_itself = object.found_by == loader::FoundBy::loader;
    if (x86 && x86_host && !loader_itself && elf.notes.x86_isa_needed && *elf.notes.x86_isa_needed != 0) {
      uint32_t needed = *elf.notes.x86_isa_needed;
      uint32_t host = walk.x86_isa_levels();
      std::string levels = join(elf::x86_isa_names(needed), ", ");
      if ((needed & host) != needed) {
        Finding& finding = walk.add("cpu-isa-level", Severity::blocking, target.shown,
                                    target.shown + " will not run: " + who + " needs " + levels +
                                        " (its GNU property note), this CPU offers up to " + highest_level(host) +
                                        " — the loader stops with \"CPU ISA level is lower than required\"");
        finding.evidence.push_back(who + ": GNU_PROPERTY_X86_ISA_1_NEEDED " + levels +
                                   "; this CPU: " + join(elf::x86_isa_names(host), ", "));
      } else if (i == 0 && needed > 1) {
        walk.add("cpu-isa-level-ok", Severity::info, target.shown,
                 who + " needs " + levels + " (its GNU property note), which this CPU has");
      }
    }
  }
}

}  // namespace elfrun::diagnose
