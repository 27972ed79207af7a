// `elfrun info [--json] FILE...`: what each file is, as the kernel and the loader see it. The library
// (elf/identify.h) does the work; this file turns each FileReport into a short paragraph or a JSON object.
// Exit status: 0, or 2 when a file could not be read or parsed (the other files are still reported).
#include <elf.h>
#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "elf/identify.h"
#include "elf/machine.h"
#include "util/text.h"

namespace elfrun::cli {

namespace {

using elf::FileKind;
using elf::FileReport;
using elf::PathProbe;
using Json = nlohmann::ordered_json;

// DT_RPATH / DT_RUNPATH entries as glibc splits them (elf/dl-load.c fillin_rpath: ':' only, empty entries kept).
std::vector<std::string> split_path_list(const std::string& list) {
  std::vector<std::string> entries;
  for (std::string_view entry : util::split(list, ':')) entries.emplace_back(entry);
  return entries;
}

std::string abi_note_text(const elf::ElfObject& object) {
  const auto& tag = *object.notes.abi_tag;
  return fmt::format("{} {}.{}.{}", elf::abi_tag_os_name(tag.os), tag.major, tag.minor, tag.patch);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += separator;
    text += items[i];
  }
  return text;
}

std::string size_text(uint64_t size) {
  if (size < 1024) return fmt::format("{} bytes", size);
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(size) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{} bytes ({:.1f} {})", size, value, kUnits[unit]);
}

std::string_view probe_state_name(PathProbe::State state) {
  switch (state) {
    case PathProbe::State::missing: return "missing";
    case PathProbe::State::unreadable: return "unreadable";
    case PathProbe::State::not_regular: return "not-regular";
    case PathProbe::State::elf: return "elf";
    case PathProbe::State::bad_elf: return "bad-elf";
    case PathProbe::State::script: return "script";
    case PathProbe::State::other: return "other";
  }
  return "other";
}

std::string probe_arch(const PathProbe& probe) {
  return elf::describe_architecture(probe.elf_class, probe.byte_order, probe.machine);
}

// ---- human-readable output ----

// Lines "  label       value" appended to one text that is reused from file to file (elfrun info prints thousands
// of paragraphs: no allocation or format-string parsing per line).
class Paragraph {
 public:
  explicit Paragraph(std::string& text) : text_(text) {}
  void line(std::string_view label, std::string_view value) {
    constexpr size_t kLabelWidth = 12;
    text_ += "  ";
    text_ += label;
    if (label.size() < kLabelWidth) text_.append(kLabelWidth - label.size(), ' ');
    text_ += value;
    text_ += '\n';
  }
  std::string& text() { return text_; }

 private:
  std::string& text_;
};

// "(present, a 64-bit x86-64 glibc loader)" / "(missing)" / "(present, but it is a 32-bit i386 file; ...)".
std::string interpreter_status(const elf::InterpreterCheck& check) {
  if (check.fits) {
    std::string libc = check.probe.libc.empty() ? "" : check.probe.libc + " ";
    return styled(fmt::format("present, a {} {}loader", probe_arch(check.probe), libc), Style::green);
  }
  if (check.probe.state == PathProbe::State::missing) return styled("missing", Style::red);
  return styled(fmt::format("present, but it {}", check.problem), Style::red);
}

std::string script_interpreter_status(const PathProbe& probe) {
  switch (probe.state) {
    case PathProbe::State::missing: return styled("missing", Style::red);
    case PathProbe::State::unreadable: return styled("unreadable: " + probe.error, Style::red);
    case PathProbe::State::not_regular: return styled("not a regular file", Style::red);
    case PathProbe::State::bad_elf: return styled("a damaged ELF file: " + probe.error, Style::red);
    default: break;
  }
  if (!probe.executable) return styled("present, but not executable", Style::red);
  if (probe.state == PathProbe::State::elf) return styled("present, " + probe_arch(probe), Style::green);
  if (probe.state == PathProbe::State::script) {
    return styled("present, itself a script for " + printable(probe.script_interpreter), Style::green);
  }
  return styled("present, but not an ELF file or script", Style::red);
}

// `arch` is describe_architecture() of an ELF file, `interpreter` the interpreter_status() of its PT_INTERP (empty
// when it has none or it was not checked).
std::string headline(const FileReport& report, const std::string& arch, const std::string& interpreter) {
  if (report.kind == FileKind::not_elf) return "not an ELF file or a script: " + report.description;
  if (report.kind == FileKind::script) {
    const elf::ScriptInfo& script = *report.script;
    if (!script.error.empty()) return styled("a #! script the kernel refuses: " + script.error, Style::red);
    std::string text = "script for " + printable(script.interpreter);
    if (script.argument) text += " " + printable(*script.argument);
    if (script.interpreter_probe) text += " (" + script_interpreter_status(*script.interpreter_probe) + ")";
    return text;
  }
  const elf::ElfObject& object = *report.elf;
  std::string for_libc = report.libc.empty() ? "" : " for " + report.libc;
  std::string text;
  switch (report.kind) {
    case FileKind::executable: text = arch + " executable" + for_libc; break;
    case FileKind::pie_executable: text = arch + " PIE executable" + for_libc; break;
    case FileKind::shared_library:
      text = arch + " shared library";
      if (object.dynamic && object.dynamic->soname) text += " " + printable(*object.dynamic->soname);
      text += for_libc;
      break;
    case FileKind::static_executable:
      text = arch + " static executable" + for_libc + ": the kernel starts it directly, no loader";
      break;
    case FileKind::static_pie:
      text = arch + " static-pie executable" + for_libc + ": it relocates itself, no loader";
      break;
    case FileKind::dynamic_loader:
      text = arch + " dynamic loader" + (report.libc.empty() ? "" : " (" + report.libc + ")");
      break;
    case FileKind::relocatable:
      text = arch + (report.kernel_module ? " Linux kernel module" : " relocatable object (input for the linker)");
      break;
    case FileKind::core: {
      text = arch + " core dump";
      const elf::CoreInfo& core = *report.core;
      if (!core.command.empty()) text += " of '" + printable(core.command) + "'";
      if (!core.arguments.empty()) text += " (" + printable(core.arguments) + ")";
      if (core.signal != 0) {
        std::string_view name = elf::signal_name(object.header.machine, core.signal);
        text += fmt::format(", killed by signal {}{}", core.signal, name.empty() ? "" : fmt::format(" ({})", name));
      }
      break;
    }
    default: text = arch + " ELF file of type " + elf::type_name(object.header.type); break;
  }
  if (object.interpreter) {
    bool library = report.kind == FileKind::shared_library;
    text += library ? ", also runs as a program through " : ", needs ";
    text += printable(*object.interpreter);
    if (report.interpreter) text += " (" + interpreter + ")";
  }
  return text;
}

void describe_elf(const FileReport& report, const std::string& interpreter, Paragraph& out) {
  const elf::ElfObject& object = *report.elf;
  uint16_t machine = object.header.machine;
  out.line("format", fmt::format("ELF{}, {} endian, OS ABI {}, type {} ({})", object.is_64() ? 64 : 32,
                                 object.byte_order() == elf::ByteOrder::big ? "big" : "little",
                                 elf::os_abi_name(object.ident.os_abi, machine), elf::type_name(object.header.type),
                                 object.header.type));
  std::string machine_text = fmt::format("{} ({})", elf::machine_name(machine), machine);
  auto decoded = elf::decode_e_flags(machine, object.ident.elf_class, object.header.flags);
  if (object.header.flags != 0 || !decoded.empty()) {
    machine_text += fmt::format(", flags {:#x}", object.header.flags);
    for (size_t i = 0; i < decoded.size(); ++i) machine_text += fmt::format("{}{}", i == 0 ? ": " : ", ", decoded[i]);
  }
  out.line("machine", machine_text);
  if (report.kind == FileKind::dynamic_loader) {
    out.line("note", "a self-relocating shared object with no PT_INTERP and no DT_NEEDED: `file` calls it");
    out.line("", "\"dynamically linked\" (it has a dynamic section), ldd \"statically linked\" (it needs no library)");
  }
  if (object.header.type != ET_REL && object.header.type != ET_CORE) {
    out.line("entry", fmt::format("{:#x}", object.header.entry));
  }
  if (object.interpreter) {
    std::string text = printable(*object.interpreter);
    if (report.interpreter) {
      text += " (" + interpreter + ")";
      if (report.interpreter->probe.state == PathProbe::State::missing) {
        out.line("interpreter", text);
        out.line("", styled("running it here fails with \"No such file or directory\"", Style::red));
        text.clear();
      }
    }
    if (!text.empty()) out.line("interpreter", text);
  }
  if (object.dynamic) {
    const elf::DynamicInfo& dynamic = *object.dynamic;
    if (!dynamic.needed.empty()) {
      std::vector<std::string> names;
      for (const std::string& name : dynamic.needed) names.push_back(printable(name));
      out.line("needed", join(names, ", "));
    }
    if (dynamic.soname) out.line("soname", printable(*dynamic.soname));
    if (dynamic.rpath) out.line("rpath", printable(*dynamic.rpath));
    if (dynamic.runpath) out.line("runpath", printable(*dynamic.runpath));
    std::vector<std::string> flags;
    if (dynamic.flags != 0) flags.push_back("DT_FLAGS " + join(elf::dynamic_flag_names(dynamic.flags), " "));
    if (dynamic.flags_1 != 0) flags.push_back("DT_FLAGS_1 " + join(elf::dynamic_flag_1_names(dynamic.flags_1), " "));
    if (!flags.empty()) out.line("flags", join(flags, ", "));
  }
  if (object.notes.abi_tag) out.line("ABI note", abi_note_text(object) + " (the oldest kernel it supports)");
  if (object.notes.build_id) out.line("build-id", util::hex(*object.notes.build_id));
  std::vector<std::string> properties;
  if (object.notes.x86_isa_needed) {
    properties.push_back("x86 ISA needed: " + join(elf::x86_isa_names(*object.notes.x86_isa_needed), " "));
  }
  if (object.notes.x86_features && *object.notes.x86_features != 0) {
    properties.push_back("x86 features: " + join(elf::x86_feature_names(*object.notes.x86_features), " "));
  }
  if (object.notes.aarch64_features && *object.notes.aarch64_features != 0) {
    properties.push_back("AArch64 features: " + join(elf::aarch64_feature_names(*object.notes.aarch64_features), " "));
  }
  if (!properties.empty()) out.line("properties", join(properties, "; "));
  if (report.kind != FileKind::core) {
    std::string symbols = object.has_symtab ? "not stripped (has a symbol table)" : "stripped (no symbol table)";
    if (object.has_debug_info) symbols += ", with debug info";
    out.line("symbols", symbols);
  }
  if (object.debuglink) out.line("debuglink", printable(*object.debuglink));
}

void describe_script(const FileReport& report, Paragraph& out) {
  const elf::ScriptInfo& script = *report.script;
  if (!script.error.empty()) return;
  std::string interpreter = "\"" + printable(script.interpreter) + "\"";
  if (script.interpreter_probe) interpreter += " (" + script_interpreter_status(*script.interpreter_probe) + ")";
  out.line("interpreter", interpreter);
  if (script.interpreter_probe && script.interpreter_probe->state == PathProbe::State::missing) {
    out.line("", styled("running it here fails with \"No such file or directory\"", Style::red));
  }
  if (script.argument) out.line("argument", "\"" + printable(*script.argument) + "\" (one argument)");
  if (script.crlf) {
    out.line("line end", styled(fmt::format("CRLF: the carriage return is part of the {} (convert the file with "
                                            "dos2unix)",
                                            script.argument ? "argument" : "interpreter path"),
                                Style::red));
  }
  if (script.line_truncated) out.line("line", "longer than the kernel's 256-byte #! buffer: the argument is cut");
  if (script.env_program && script.env_program_found) {
    out.line("runs", script.env_program_found->empty()
                         ? styled("\"" + printable(*script.env_program) + "\", not found in PATH", Style::red)
                         : printable(*script.env_program) + " from PATH: " + printable(*script.env_program_found));
  }
}

// Appends the paragraph of one file to `text`.
void human_paragraph(const FileReport& report, std::string& text) {
  Paragraph paragraph(text);
  std::string arch;
  std::string interpreter;
  if (report.elf) {
    const elf::ElfObject& object = *report.elf;
    arch = elf::describe_architecture(object.ident.elf_class, object.byte_order(), object.header.machine);
    if (report.interpreter) interpreter = interpreter_status(*report.interpreter);
  }
  text += styled(printable(report.path), Style::bold);
  text += ": ";
  text += headline(report, arch, interpreter);
  text += '\n';
  if (report.elf) describe_elf(report, interpreter, paragraph);
  if (report.script) describe_script(report, paragraph);
  paragraph.line("size", size_text(report.size));
  for (const std::string& warning : report.warnings) paragraph.line("warning", styled(warning, Style::yellow));
}

// ---- JSON ----

Json optional_string(const std::optional<std::string>& value) { return value ? Json(*value) : Json(nullptr); }

Json probe_json(const PathProbe& probe) {
  Json json;
  json["state"] = probe_state_name(probe.state);
  bool exists = probe.state != PathProbe::State::missing;
  json["exists"] = exists;
  json["executable"] = probe.executable;
  json["error"] = probe.error.empty() ? Json(nullptr) : Json(probe.error);
  if (probe.state == PathProbe::State::elf) {
    json["class"] = probe.elf_class == ELFCLASS64 ? 64 : 32;
    json["byte_order"] = probe.byte_order == elf::ByteOrder::big ? "big" : "little";
    json["machine"] = probe.machine;
    json["type"] = probe.type;
    json["libc"] = probe.libc.empty() ? Json(nullptr) : Json(probe.libc);
  }
  return json;
}

Json elf_json(const FileReport& report, Json json) {
  const elf::ElfObject& object = *report.elf;
  uint16_t machine = object.header.machine;
  json["class"] = object.is_64() ? 64 : 32;
  json["byte_order"] = object.byte_order() == elf::ByteOrder::big ? "big" : "little";
  json["os_abi"] = object.ident.os_abi;
  json["os_abi_name"] = elf::os_abi_name(object.ident.os_abi, machine);
  json["abi_version"] = object.ident.abi_version;
  json["machine"] = machine;
  json["machine_name"] = elf::machine_name(machine);
  json["type"] = object.header.type;
  json["type_name"] = elf::type_name(object.header.type);
  json["e_flags"] = object.header.flags;
  Json decoded = Json::array();
  for (std::string_view name : elf::decode_e_flags(machine, object.ident.elf_class, object.header.flags)) {
    decoded.push_back(name);
  }
  json["e_flags_decoded"] = std::move(decoded);
  json["entry"] = object.header.entry;
  json["libc"] = report.libc.empty() ? Json(nullptr) : Json(report.libc);
  json["interpreter"] = optional_string(object.interpreter);
  if (report.interpreter) {
    Json check = probe_json(report.interpreter->probe);
    check["fits"] = report.interpreter->fits;
    check["problem"] = report.interpreter->problem.empty() ? Json(nullptr) : Json(report.interpreter->problem);
    json["interpreter_check"] = std::move(check);
  } else {
    json["interpreter_check"] = nullptr;
  }
  const elf::DynamicInfo* dynamic = object.dynamic ? &*object.dynamic : nullptr;
  json["dynamic"] = dynamic != nullptr;
  json["needed"] = dynamic ? Json(dynamic->needed) : Json::array();
  json["soname"] = dynamic ? optional_string(dynamic->soname) : Json(nullptr);
  json["rpath"] = dynamic && dynamic->rpath ? Json(split_path_list(*dynamic->rpath)) : Json(nullptr);
  json["runpath"] = dynamic && dynamic->runpath ? Json(split_path_list(*dynamic->runpath)) : Json(nullptr);
  json["flags"] = dynamic ? Json(elf::dynamic_flag_names(dynamic->flags)) : Json::array();
  json["flags_1"] = dynamic ? Json(elf::dynamic_flag_1_names(dynamic->flags_1)) : Json::array();
  json["abi_note"] = object.notes.abi_tag ? Json(abi_note_text(object)) : Json(nullptr);
  json["build_id"] = object.notes.build_id ? Json(util::hex(*object.notes.build_id)) : Json(nullptr);
  auto bits = [](const std::optional<uint32_t>& value, auto names) {
    return value ? Json(names(*value)) : Json(nullptr);
  };
  json["x86_isa_needed"] = bits(object.notes.x86_isa_needed, elf::x86_isa_names);
  json["x86_isa_used"] = bits(object.notes.x86_isa_used, elf::x86_isa_names);
  json["x86_features"] = bits(object.notes.x86_features, elf::x86_feature_names);
  json["aarch64_features"] = bits(object.notes.aarch64_features, elf::aarch64_feature_names);
  json["stripped"] = !object.has_symtab;
  json["debug_info"] = object.has_debug_info;
  json["debuglink"] = optional_string(object.debuglink);
  if (report.kind == FileKind::relocatable) json["kernel_module"] = report.kernel_module;
  if (report.core) {
    std::string_view name = elf::signal_name(machine, report.core->signal);
    json["core"] = Json{{"command", report.core->command},
                        {"arguments", report.core->arguments},
                        {"signal", report.core->signal},
                        {"signal_name", name.empty() ? Json(nullptr) : Json(name)}};
  }
  return json;
}

// Every object carries the ELF keys; they are null (needed: null) for scripts and non-ELF files.
Json non_elf_json(Json json) {
  for (const char* key : {"class", "byte_order", "os_abi", "machine", "machine_name", "type", "entry", "libc",
                          "interpreter", "needed", "soname", "rpath", "runpath", "abi_note", "build_id", "stripped"}) {
    json[key] = nullptr;
  }
  return json;
}

Json report_json(const FileReport& report) {
  Json json;
  json["path"] = report.path;
  json["kind"] = elf::kind_name(report.kind);
  json["size"] = report.size;
  if (report.elf) {
    json = elf_json(report, std::move(json));
  } else {
    json = non_elf_json(std::move(json));
    if (report.kind == FileKind::not_elf) json["description"] = report.description;
    if (report.script) {
      const elf::ScriptInfo& script = *report.script;
      json["interpreter"] = script.error.empty() ? Json(script.interpreter) : Json(nullptr);
      Json detail;
      detail["interpreter"] = script.error.empty() ? Json(script.interpreter) : Json(nullptr);
      detail["argument"] = optional_string(script.argument);
      detail["crlf"] = script.crlf;
      detail["line_truncated"] = script.line_truncated;
      detail["error"] = script.error.empty() ? Json(nullptr) : Json(script.error);
      detail["interpreter_check"] = script.interpreter_probe ? probe_json(*script.interpreter_probe) : Json(nullptr);
      detail["env_program"] = optional_string(script.env_program);
      detail["env_program_path"] = script.env_program_found && !script.env_program_found->empty()
                                       ? Json(*script.env_program_found)
                                       : Json(nullptr);
      json["script"] = std::move(detail);
    }
  }
  json["warnings"] = report.warnings;
  return json;
}

std::string dump(const Json& json) {
  // File contents need not be UTF-8: escaped losslessly by the one JSON writer.
  return json_text(json, -1);
}

}  // namespace

Runner add_info_command(CLI::App& app) {
  struct Options {
    bool json = false;
    std::vector<std::string> files;
  };
  auto options = std::make_shared<Options>();
  CLI::App* command =
      app.add_subcommand("info", "What each file is, as the kernel and the loader see it (never runs it).");
  command->add_flag("--json", options->json, "One JSON array, an object per FILE");
  command->add_option("FILE", options->files, "ELF files, scripts, anything")->required();
  return [options]() {
    prepare_stdout();
    elf::PathProber prober;
    elf::IdentifyOptions identify_options;
    identify_options.prober = &prober;
    if (const char* path = std::getenv("PATH")) identify_options.search_path = path;
    int status = 0;
    if (options->json) out("[");
    bool first = true;
    std::string text;  // one paragraph, its memory reused from file to file
    for (const std::string& file : options->files) {
      auto report = elf::identify_file(file, identify_options);
      if (!report) {
        status = 2;
        print_error(file, report.error().message);
      }
      if (options->json) {
        Json json;
        if (report) {
          json = report_json(*report);
        } else {
          json["path"] = file;
          json["kind"] = nullptr;
          json["error"] = report.error().message;
        }
        out(first ? "\n" : ",\n");
        out(dump(json));
        first = false;
      } else if (report) {
        text.clear();
        if (!first) text += '\n';
        human_paragraph(*report, text);
        out(text);
        first = false;
      }
    }
    if (options->json) out("\n]\n");
    std::fflush(stdout);
    return status;
  };
}

}  // namespace elfrun::cli
