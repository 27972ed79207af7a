// identify: classifies a file (the kinds are listed in identify.h), checks the interpreter it names, splits a #! line
// as the kernel does, and reads what a core dump says about its process. Reads files, never runs them.
#include "elf/identify.h"

#include <elf.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "elf/layout.h"
#include "elf/machine.h"
#include "util/text.h"

namespace elfrun::elf {

namespace {

// Linux include/uapi/linux/binfmts.h: the kernel looks at the first 256 bytes of a file for a #! line.
constexpr size_t kBinprmBufSize = 256;
// How much of a non-ELF file is looked at to describe it.
constexpr uint64_t kSniffSize = 512;

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Names of loaders and C libraries, and the libc each belongs to. Matched against the file name of a PT_INTERP, a
// DT_NEEDED entry or the object's own SONAME.
struct LibcName {
  std::string_view prefix;
  std::string_view libc;
};
constexpr LibcName kLibcNames[] = {
    {"ld-musl-", "musl"}, {"libc.musl-", "musl"},  {"ld-linux", "glibc"},
    {"ld.so.1", "glibc"}, {"ld64.so.", "glibc"},   {"libc.so.6", "glibc"},
    {"linker", "bionic"}, {"ld-uClibc", "uClibc"}, {"libc.so.0", "uClibc"},
};

std::string_view libc_of_name(std::string_view name) {
  std::string_view file = util::base_name(name);
  for (const LibcName& entry : kLibcNames) {
    if (starts_with(file, entry.prefix)) return entry.libc;
  }
  // musl installs its loader and libc as one file, libc.so (Debian: /usr/lib/x86_64-linux-musl/libc.so).
  if (file == "libc.so") return "musl";
  return {};
}

// Magic numbers of files people try to run that are not for Linux, or not programs at all.
struct Magic {
  std::string_view bytes;
  std::string_view description;
};
constexpr Magic kMagics[] = {
    {"!<arch>\n", "ar archive (a static library: input for the linker)"},
    {"!<thin>\n", "thin ar archive (input for the linker)"},
    {"MZ", "DOS/Windows executable (MZ)"},
    {"\xfe\xed\xfa\xce", "Mach-O executable (macOS)"},
    {"\xfe\xed\xfa\xcf", "Mach-O executable (macOS)"},
    {"\xce\xfa\xed\xfe", "Mach-O executable (macOS)"},
    {"\xcf\xfa\xed\xfe", "Mach-O executable (macOS)"},
    {"\xca\xfe\xba\xbe", "Mach-O universal binary or Java class file"},
    {std::string_view("\0asm", 4), "WebAssembly module"},
    {"\x1f\x8b", "gzip data"},
    {"PK\x03\x04", "zip archive"},
    {"\xef\xbb\xbf#!", "text with a UTF-8 byte-order mark before #!: the kernel does not see a #! line"},
};

bool looks_like_text(std::string_view bytes) {
  for (unsigned char c : bytes) {
    if (c == 0 || c == 0x7f) return false;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b) return false;
  }
  return true;
}

std::string describe_non_elf(std::string_view head, uint64_t size) {
  if (size == 0) return "empty";
  for (const Magic& magic : kMagics) {
    if (starts_with(head, magic.bytes)) return std::string(magic.description);
  }
  if (looks_like_text(head)) {
    // libc.so, libm.so... in /usr/lib are linker scripts: what `gcc -lc` reads, never the loader.
    if (head.find("GNU ld script") != std::string_view::npos || starts_with(head, "INPUT") ||
        starts_with(head, "GROUP") || starts_with(head, "OUTPUT_FORMAT")) {
      return "GNU ld script (read by the linker for -l options, not by the loader)";
    }
    return "text";
  }
  return "data";
}

// Core dumps: the "CORE" notes NT_PRSTATUS (its first field is the elf_siginfo whose si_signo killed the process)
// and NT_PRPSINFO (it ends with pr_fname[16] and pr_psargs[80] in every layout). Notes in a core are 4-aligned.
template <std::endian E>
CoreInfo read_core_notes(const ByteSource& source, const ElfObject& object) {
  CoreInfo core;
  for (const ProgramHeader& ph : object.program_headers) {
    if (ph.type != PT_NOTE) continue;
    auto area = source.bytes(ph.offset, ph.filesz);
    if (!area) continue;
    uint64_t offset = 0;
    while (area->contains(offset, sizeof(Nhdr<E>))) {
      Nhdr<E> note = *area->template read<Nhdr<E>>(offset);
      uint64_t name_size = note.n_namesz;
      uint64_t desc_size = note.n_descsz;
      uint64_t name_offset = offset + sizeof(Nhdr<E>);
      uint64_t desc_offset = name_offset + ((name_size + 3) & ~uint64_t{3});
      auto name = area->subspan(name_offset, name_size);
      auto desc = area->subspan(desc_offset, desc_size);
      if (!name || !desc) break;
      std::string_view owner = name->as_string_view();
      if (!owner.empty() && owner.back() == '\0') owner.remove_suffix(1);
      if (owner == "CORE" && note.n_type == NT_PRSTATUS && desc->size() >= 4 && core.signal == 0) {
        core.signal = *desc->template read<U32<E>>(0);
      } else if (owner == "CORE" && note.n_type == NT_PRPSINFO && desc->size() >= 96) {
        auto text = [](ByteView field) {
          std::string_view value = field.as_string_view();
          value = value.substr(0, value.find('\0'));
          while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
          return std::string(value);
        };
        core.command = text(*desc->subspan(desc->size() - 96, 16));
        core.arguments = text(*desc->subspan(desc->size() - 80, 80));
      }
      uint64_t next = desc_offset + ((desc_size + 3) & ~uint64_t{3});
      if (next <= offset || next > area->size()) break;
      offset = next;
    }
  }
  return core;
}

// The kernel's view of an interpreter (fs/binfmt_elf.c load_elf_binary): ELF magic, elf_check_arch (the machine),
// e_type ET_EXEC or ET_DYN; the class and byte order must be the program's for its headers to be read at all.
InterpreterCheck check_interpreter(const ElfObject& program, const PathProbe& probe) {
  InterpreterCheck check{probe, false, {}};
  switch (probe.state) {
    case PathProbe::State::missing: check.problem = "does not exist"; return check;
    case PathProbe::State::unreadable: check.problem = "cannot be read: " + probe.error; return check;
    case PathProbe::State::not_regular: check.problem = "is not a regular file"; return check;
    case PathProbe::State::bad_elf: check.problem = "is a damaged ELF file: " + probe.error; return check;
    case PathProbe::State::script: check.problem = "is a script, not an ELF loader"; return check;
    case PathProbe::State::other: check.problem = "is not an ELF file"; return check;
    case PathProbe::State::elf: break;
  }
  if (probe.elf_class != program.ident.elf_class || probe.byte_order != program.byte_order() ||
      probe.machine != program.header.machine) {
    check.problem = fmt::format(
        "is a {} file; the program is {}", describe_architecture(probe.elf_class, probe.byte_order, probe.machine),
        describe_architecture(program.ident.elf_class, program.byte_order(), program.header.machine));
  } else if (probe.type != ET_DYN && probe.type != ET_EXEC) {
    check.problem = fmt::format("is a {} file, not a loader", type_name(probe.type));
  } else if (probe.has_interpreter) {
    check.problem = "names an interpreter of its own: a program, not a loader";
  } else if (probe.has_needed) {
    check.problem = "needs shared libraries of its own: not a loader";
  } else if (!probe.executable) {
    check.problem = "is not executable (no execute permission)";
  } else {
    check.fits = true;
  }
  return check;
}

// The program "#!/usr/bin/env ARGUMENT" runs. env(1) takes ARGUMENT as one program name, blanks included, unless it
// starts with -S, after which env splits the rest itself and runs its first word.
std::optional<std::string> env_program_of(std::string_view argument) {
  if (!starts_with(argument, "-")) return std::string(argument);
  if (!starts_with(argument, "-S")) return std::nullopt;  // other env options: not followed here
  argument.remove_prefix(2);
  size_t start = argument.find_first_not_of(" \t");
  if (start == std::string_view::npos) return std::nullopt;
  argument.remove_prefix(start);
  return std::string(argument.substr(0, argument.find_first_of(" \t")));
}

}  // namespace

std::string_view kind_name(FileKind kind) {
  switch (kind) {
    case FileKind::executable: return "executable";
    case FileKind::pie_executable: return "pie-executable";
    case FileKind::shared_library: return "shared-library";
    case FileKind::static_executable: return "static-executable";
    case FileKind::static_pie: return "static-pie";
    case FileKind::dynamic_loader: return "dynamic-loader";
    case FileKind::relocatable: return "relocatable";
    case FileKind::core: return "core";
    case FileKind::other_elf: return "other-elf";
    case FileKind::script: return "script";
    case FileKind::not_elf: return "not-elf";
  }
  return "not-elf";
}

FileKind classify(const ElfObject& object) {
  bool has_interpreter = object.interpreter.has_value();
  switch (object.header.type) {
    case ET_REL: return FileKind::relocatable;
    case ET_CORE: return FileKind::core;
    case ET_EXEC: return has_interpreter ? FileKind::executable : FileKind::static_executable;
    case ET_DYN: break;
    default: return FileKind::other_elf;
  }
  const DynamicInfo* dynamic = object.dynamic ? &*object.dynamic : nullptr;
  bool pie_flag = dynamic && (dynamic->flags_1 & DF_1_PIE) != 0;
  bool needs_libraries = dynamic && !dynamic->needed.empty();
  bool has_soname = dynamic && dynamic->soname.has_value();
  if (has_interpreter) {
    // Without DF_1_PIE (linkers before binutils 2.26, Go's), DT_DEBUG tells a program from a library that also
    // runs (libc.so.6, pam_cap.so): linkers give it to executables only, for debuggers (r_debug).
    if (pie_flag) return FileKind::pie_executable;
    bool has_debug = dynamic && std::any_of(dynamic->entries.begin(), dynamic->entries.end(),
                                            [](const DynamicEntry& e) { return e.tag == DT_DEBUG; });
    return has_debug && !has_soname ? FileKind::pie_executable : FileKind::shared_library;
  }
  if (!dynamic) return FileKind::static_pie;
  if (pie_flag) return needs_libraries ? FileKind::pie_executable : FileKind::static_pie;
  // glibc's ld.so and musl's libc.so: nothing to load before them, and an entry point the kernel jumps to.
  if (!needs_libraries && object.header.entry != 0) return FileKind::dynamic_loader;
  return FileKind::shared_library;
}

std::string describe_architecture(uint8_t elf_class, ByteOrder order, uint16_t machine) {
  std::string text = elf_class == ELFCLASS64 ? "64-bit" : elf_class == ELFCLASS32 ? "32-bit" : "unknown-class";
  if (order == ByteOrder::big) text += " big-endian";
  text += ' ';
  text += machine_name(machine);
  return text;
}

std::string_view libc_of(const ElfObject& object, std::string_view path) {
  if (object.header.type == ET_REL || object.header.type == ET_CORE) return {};
  if (object.interpreter) {
    if (std::string_view libc = libc_of_name(*object.interpreter); !libc.empty()) return libc;
  }
  if (object.dynamic) {
    for (const std::string& needed : object.dynamic->needed) {
      if (std::string_view libc = libc_of_name(needed); !libc.empty()) return libc;
    }
    if (object.dynamic->soname) {
      if (std::string_view libc = libc_of_name(*object.dynamic->soname); !libc.empty()) return libc;
    }
  }
  if (!path.empty()) {
    std::string_view file = util::base_name(path);
    if (starts_with(file, "ld-musl-") || starts_with(file, "libc.musl-")) return "musl";
  }
  // glibc's csu/abi-note.S puts the ABI tag into every program linked with its crt1.o, static ones included.
  if (!object.interpreter && object.notes.abi_tag) return "glibc";
  return {};
}

const PathProbe& PathProber::probe(const std::string& path) {
  if (auto found = probes_.find(path); found != probes_.end()) return found->second;
  PathProbe probe;
  probe.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    probe.state = errno == ENOENT || errno == ENOTDIR ? PathProbe::State::missing : PathProbe::State::unreadable;
    probe.error = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    probe.state = PathProbe::State::not_regular;
  } else {
    probe.executable = ::access(path.c_str(), X_OK) == 0;
    auto source = ByteSource::open(path);
    if (!source) {
      probe.state = PathProbe::State::unreadable;
      probe.error = source.error().message;
    } else {
      auto head = (*source)->bytes_up_to(0, kBinprmBufSize);
      if (head && has_elf_magic(*head)) {
        auto object = parse_elf(**source);
        if (!object) {
          probe.state = PathProbe::State::bad_elf;
          probe.error = object.error().message;
        } else {
          probe.state = PathProbe::State::elf;
          probe.elf_class = object->ident.elf_class;
          probe.byte_order = object->byte_order();
          probe.machine = object->header.machine;
          probe.type = object->header.type;
          probe.e_flags = object->header.flags;
          probe.has_interpreter = object->interpreter.has_value();
          probe.has_needed = object->dynamic && !object->dynamic->needed.empty();
          probe.libc = std::string(libc_of(*object, path));
        }
      } else if (head && starts_with(head->as_string_view(), "#!")) {
        probe.state = PathProbe::State::script;
        probe.script_interpreter = parse_script_line(*head).interpreter;
      } else {
        probe.state = PathProbe::State::other;
      }
    }
  }
  return probes_.emplace(path, std::move(probe)).first->second;
}

std::string PathProber::find_in_path(const std::string& name, std::string_view search_path) {
  auto usable = [](const std::string& candidate) {
    struct stat st {};
    return ::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0;
  };
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return usable(name) ? name : std::string();
  std::string key = name + '\0' + std::string(search_path);  // a name holds no NUL: the key is unambiguous
  if (auto found = lookups_.find(key); found != lookups_.end()) return found->second;
  std::string result;
  while (true) {
    size_t colon = search_path.find(':');
    std::string_view directory = search_path.substr(0, colon);
    std::string candidate = directory.empty() ? name : fmt::format("{}/{}", directory, name);
    if (usable(candidate)) {
      result = std::move(candidate);
      break;
    }
    if (colon == std::string_view::npos) break;
    search_path.remove_prefix(colon + 1);
  }
  lookups_.emplace(std::move(key), result);
  return result;
}

// Linux fs/binfmt_script.c load_script, step by step: the line ends at the first '\n' in the 256-byte buffer; with
// none, the interpreter path must end (blank, tab or NUL) inside the buffer or the kernel refuses the file, and the
// argument is cut at byte 255. Trailing blanks and tabs are trimmed, leading ones skipped; the interpreter ends at
// the first blank, tab or NUL; everything after the following blanks up to the end of the line is ONE argument.
ScriptInfo parse_script_line(ByteView start) {
  ScriptInfo info;
  std::array<char, kBinprmBufSize> buf{};  // zero-padded, as the kernel's buffer is for a short file
  size_t length = std::min<uint64_t>(start.size(), kBinprmBufSize);
  if (length > 0) std::memcpy(buf.data(), start.data(), length);
  if (buf[0] != '#' || buf[1] != '!') {
    info.error = "the file does not start with #!";
    return info;
  }
  auto spacetab = [&](size_t i) { return buf[i] == ' ' || buf[i] == '\t'; };
  // Both search [first, last], inclusive, as the kernel's helpers do.
  auto next_non_spacetab = [&](size_t first, size_t last) -> std::optional<size_t> {
    for (; first <= last; ++first) {
      if (!spacetab(first)) return first;
    }
    return std::nullopt;
  };
  auto next_terminator = [&](size_t first, size_t last) -> std::optional<size_t> {
    for (; first <= last; ++first) {
      if (spacetab(first) || buf[first] == '\0') return first;
    }
    return std::nullopt;
  };
  const size_t buf_end = kBinprmBufSize - 1;
  size_t line_end;
  const void* newline = std::memchr(buf.data(), '\n', kBinprmBufSize);
  if (newline != nullptr) {
    line_end = static_cast<size_t>(static_cast<const char*>(newline) - buf.data());
    info.crlf = line_end > 2 && buf[line_end - 1] == '\r';
  } else {
    auto name_start = next_non_spacetab(2, buf_end);
    if (!name_start) {
      info.error = "the #! line is nothing but blanks";
      return info;
    }
    if (!next_terminator(*name_start, buf_end)) {
      info.error =
          fmt::format("the interpreter path does not end within the kernel's {}-byte #! buffer", kBinprmBufSize);
      return info;
    }
    line_end = buf_end;
    info.line_truncated = start.size() >= kBinprmBufSize;
  }
  while (spacetab(line_end - 1)) --line_end;  // stops at the '!' of "#!" at the latest
  auto name = next_non_spacetab(2, line_end);
  if (!name || *name == line_end) {
    info.error = "no interpreter is named after #!";
    return info;
  }
  auto separator = next_terminator(*name, line_end);
  std::optional<size_t> argument;
  if (separator && buf[*separator] != '\0') argument = next_non_spacetab(*separator, line_end);
  // The kernel NUL-terminates at line_end (and at the separator when there is an argument): each string is what
  // precedes the first NUL.
  auto c_string = [&](size_t from, size_t to) {
    std::string_view text(buf.data() + from, to - from);
    return std::string(text.substr(0, text.find('\0')));
  };
  size_t name_end = separator && *separator < line_end ? *separator : line_end;
  info.interpreter = c_string(*name, name_end);
  if (argument && *argument < line_end) info.argument = c_string(*argument, line_end);
  return info;
}

Expected<FileReport> identify(const ByteSource& source, std::string path, const IdentifyOptions& options) {
  FileReport report;
  report.path = std::move(path);
  report.size = source.size();
  ByteView head = source.bytes_up_to(0, kSniffSize).value_or(ByteView());
  if (has_elf_magic(head)) {
    auto parsed = parse_elf(source);
    if (!parsed) return parsed.error();
    ElfObject& object = *parsed;
    report.kind = classify(object);
    report.libc = std::string(libc_of(object, report.path));
    report.warnings = object.warnings;
    bool needs_libraries = object.dynamic && !object.dynamic->needed.empty();
    if (!object.interpreter && needs_libraries &&
        (report.kind == FileKind::pie_executable || report.kind == FileKind::static_executable)) {
      report.warnings.push_back(
          "it needs shared libraries (DT_NEEDED) but names no interpreter (PT_INTERP): the kernel starts it without "
          "a loader, and nothing loads those libraries");
    }
    if (object.interpreter && options.prober != nullptr) {
      report.interpreter = check_interpreter(object, options.prober->probe(*object.interpreter));
    }
    if (report.kind == FileKind::core) {
      report.core = object.byte_order() == ByteOrder::big ? read_core_notes<std::endian::big>(source, object)
                                                          : read_core_notes<std::endian::little>(source, object);
    }
    report.kernel_module = report.kind == FileKind::relocatable && object.find_section(".modinfo") != nullptr;
    report.elf = std::move(object);
    return report;
  }
  if (starts_with(head.as_string_view(), "#!")) {
    report.kind = FileKind::script;
    ScriptInfo script = parse_script_line(head);
    if (script.error.empty()) {
      bool env = util::base_name(script.interpreter) == "env";
      if (env && script.argument) script.env_program = env_program_of(*script.argument);
      bool blanks = script.argument && script.argument->find_first_of(" \t") != std::string::npos;
      if (blanks && env && !starts_with(*script.argument, "-S")) {
        report.warnings.push_back(fmt::format(
            "the kernel passes \"{0}\" to env as one argument, and env looks for a program of that name: write "
            "\"#!{1} -S {0}\"",
            *script.argument, script.interpreter));
      } else if (blanks && !env) {
        report.warnings.push_back(fmt::format("the kernel passes \"{}\" to {} as one argument, blanks included",
                                              *script.argument, script.interpreter));
      }
      if (options.prober != nullptr) {
        script.interpreter_probe = options.prober->probe(script.interpreter);
        if (script.env_program) {
          script.env_program_found = options.prober->find_in_path(*script.env_program, options.search_path);
        }
      }
    }
    report.script = std::move(script);
    return report;
  }
  report.kind = FileKind::not_elf;
  report.description = describe_non_elf(head.as_string_view(), source.size());
  return report;
}

Expected<FileReport> identify_file(const std::string& path, const IdentifyOptions& options) {
  auto source = ByteSource::open(path);
  if (!source) {
    // ByteSource names the file; the caller prints the path itself, once.
    std::string message = source.error().message;
    if (starts_with(message, path + ": ")) message.erase(0, path.size() + 2);
    return Error{std::move(message)};
  }
  return identify(**source, path, options);
}

}  // namespace elfrun::elf
