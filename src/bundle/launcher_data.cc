// Choosing a program's launcher and patching its data in (see launcher_data.h for the layout and why).
#include "bundle/launcher_data.h"

#include <elf.h>

#include <cstddef>

#include "util/quote.h"

namespace elfrun::bundle {

namespace embedded {
// Defined in the generated embedded_launchers.cc (cmake/embedded_programs.cmake).
extern const unsigned char launcher_x86_64[];
extern const std::size_t launcher_x86_64_size;
extern const unsigned char launcher_i386[];
extern const std::size_t launcher_i386_size;
}  // namespace embedded

std::string_view embedded_launcher(uint16_t machine) {
  if (machine == EM_X86_64) {
    return {reinterpret_cast<const char*>(embedded::launcher_x86_64), embedded::launcher_x86_64_size};
  }
  if (machine == EM_386) return {reinterpret_cast<const char*>(embedded::launcher_i386), embedded::launcher_i386_size};
  return {};
}

namespace {

Expected<size_t> find_area(std::string_view launcher) {
  size_t at = launcher.find(kLauncherMagic);
  if (at == std::string_view::npos) return Error{"launcher: no data area (magic " + std::string(kLauncherMagic) + ")"};
  if (launcher.find(kLauncherMagic, at + 1) != std::string_view::npos) {
    return Error{"launcher: two data areas (magic " + std::string(kLauncherMagic) + " twice)"};
  }
  if (kLauncherAreaSize > launcher.size() - at) return Error{"launcher: data area cut short by the end of the file"};
  return at;
}

std::string flags_of(const LauncherData& data) {
  std::string flags;
  if (data.pass_argv0) flags += 'a';
  if (data.inhibit_cache) flags += 'c';
  if (data.qemu_user) flags += 'q';
  return flags;
}

}  // namespace

Expected<std::string> patch_launcher(std::string_view launcher, const LauncherData& data) {
  auto at = find_area(launcher);
  if (!at) return at.error();
  std::string library_path;
  for (const std::string& dir : data.library_dirs) {
    if (dir.empty() || dir.find(':') != std::string::npos) {
      return Error{"launcher: library directory \"" + dir + "\" is empty or has a ':' (the loader splits at ':')"};
    }
    library_path += (library_path.empty() ? "" : ":") + dir;
  }
  std::string fields;
  for (const std::string& field : {flags_of(data), data.program, data.loader, library_path}) {
    if (field.find('\0') != std::string::npos) return Error{"launcher: a path has a NUL byte"};
    fields += field;
    fields += '\0';
  }
  if (data.program.empty()) return Error{"launcher: no program"};
  if (fields.size() > kLauncherAreaSize - kLauncherHeaderSize) {
    return Error{"launcher: the paths take " + std::to_string(fields.size()) + " bytes, more than the " +
                 std::to_string(kLauncherAreaSize - kLauncherHeaderSize) + " of its data area"};
  }
  std::string patched(launcher);
  size_t start = *at + kLauncherHeaderSize;
  patched.replace(start, kLauncherAreaSize - kLauncherHeaderSize, kLauncherAreaSize - kLauncherHeaderSize, '\0');
  patched.replace(start, fields.size(), fields);
  return patched;
}

Expected<LauncherData> read_launcher_data(std::string_view launcher) {
  auto at = find_area(launcher);
  if (!at) return at.error();
  std::string_view area = launcher.substr(*at + kLauncherHeaderSize, kLauncherAreaSize - kLauncherHeaderSize);
  std::vector<std::string> fields;
  size_t position = 0;
  for (int i = 0; i < 4; ++i) {
    size_t end = area.find('\0', position);
    if (end == std::string_view::npos) return Error{"launcher: data field " + std::to_string(i) + " has no NUL"};
    fields.emplace_back(area.substr(position, end - position));
    position = end + 1;
  }
  LauncherData data;
  data.pass_argv0 = fields[0].find('a') != std::string::npos;
  data.inhibit_cache = fields[0].find('c') != std::string::npos;
  data.qemu_user = fields[0].find('q') != std::string::npos;
  data.program = fields[1];
  data.loader = fields[2];
  size_t start = 0;
  while (start < fields[3].size()) {
    size_t end = fields[3].find(':', start);
    if (end == std::string::npos) end = fields[3].size();
    data.library_dirs.push_back(fields[3].substr(start, end - start));
    start = end + 1;
  }
  if (data.program.empty()) return Error{"launcher: its data area names no program (not patched)"};
  return data;
}

std::string sh_launcher(const LauncherData& data) {
  // Symlinks to the launcher are followed (readlink is not POSIX but is in every userland elfrun targets) so that
  // `here` is the bundle's bin/ even for `ln -s /opt/b/bin/tool ~/bin/tool`.
  std::string script =
      "#!/bin/sh\n"
      "# elfrun bundle launcher (sh: elfrun has no freestanding launcher for this machine).\n"
      "self=$0\n"
      "case $self in */*) ;; *) self=$(command -v -- \"$self\") || exit 127 ;; esac\n"
      "while [ -h \"$self\" ]; do\n"
      "  link=$(readlink -- \"$self\") || break\n"
      "  case $link in /*) self=$link ;; *) self=${self%/*}/$link ;; esac\n"
      "done\n"
      "here=${self%/*}/\n"
      "argv0=${ELFRUN_BUNDLE_ARGV0-$0}\n"
      "unset ELFRUN_BUNDLE_ARGV0\n";
  if (data.loader.empty()) {
    // A static program: exec it directly. POSIX sh cannot set argv[0] (no exec -a).
    script += "exec \"$here\"" + util::shell_quote(data.program) + " \"$@\"\n";
    return script;
  }
  std::string library_path;
  for (const std::string& dir : data.library_dirs) {
    library_path += std::string(library_path.empty() ? "" : ":") + "$here\"" + util::shell_quote(dir) + "\"";
  }
  std::string command = "\"$here\"" + util::shell_quote(data.loader);
  if (data.pass_argv0) command += " --argv0 \"$argv0\"";
  if (!library_path.empty()) command += " --library-path \"" + library_path + "\"";
  if (data.inhibit_cache) command += " --inhibit-cache";
  command += " \"$here\"" + util::shell_quote(data.program) + " \"$@\"\n";
  if (!data.qemu.empty()) {
    // A foreign machine: the kernel runs its loader only through a binfmt_misc handler (qemu-user-binfmt registers
    // them under the qemu program's name); without one, qemu-user itself runs it, if installed.
    script += "if [ ! -e /proc/sys/fs/binfmt_misc/" + data.qemu + " ] && command -v " + data.qemu +
              " >/dev/null 2>&1; then\n  exec " + data.qemu + " " + command + "fi\n";
  }
  script += "exec " + command;
  return script;
}

}  // namespace elfrun::bundle
