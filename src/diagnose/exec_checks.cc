// execve's view of a file, in the kernel's order (fs/exec.c do_open_execat, then the binfmt handlers): the file must
// exist, be a regular file the caller may execute, on a mount without noexec; then its first bytes choose the
// handler: "#!" (binfmt_script), ELF (binfmt_elf), or a binfmt_misc entry; anything else is ENOEXEC.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "diagnose/walk.h"
#include "elf/identify.h"
#include "run/plan.h"
#include "util/file_capabilities.h"
#include "util/text.h"

namespace elfrun::diagnose {

namespace {

std::string file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// "-rwsr-xr-x" as ls prints it.
std::string mode_text(mode_t mode) {
  std::string text = S_ISDIR(mode) ? "d" : "-";
  const char* letters = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) text += (mode & (0400 >> i)) ? letters[i] : '-';
  if (mode & S_ISUID) text[3] = (mode & S_IXUSR) ? 's' : 'S';
  if (mode & S_ISGID) text[6] = (mode & S_IXGRP) ? 's' : 'S';
  return text;
}

// A bare program name looked up in PATH, as a shell does before execve (inside the root under --root).
std::optional<std::string> lookup_in_path(Walk& walk, const std::string& name, std::vector<std::string>& tried) {
  for (const std::string& dir : util::path_directories()) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    tried.push_back(candidate);
    if (auto real = walk.real_host_path(candidate)) {
      struct stat st {};
      if (::stat(real->c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(real->c_str(), X_OK) == 0) {
        return candidate;
      }
    }
  }
  return std::nullopt;
}

// The mount line of a file, for the evidence: "/tmp/x (tmpfs tmpfs, rw,nosuid,noexec,relatime)".
std::string mount_evidence(Walk& walk, const std::string& host_path, const MountEntry** found) {
  const MountEntry* mount = mount_of(walk.mounts(), host_path);
  if (found) *found = mount;
  if (!mount) return "its mount is not in " + walk.options().mountinfo;
  return "mounted at " + mount->mount_point + " (" + mount->fs_type + " " + mount->source + ", options " +
         mount->options + ")";
}

void check_mount_and_privileges(Walk& walk, const ExecTarget& target) {
  struct statvfs fs {};
  if (::statvfs(target.host_path.c_str(), &fs) != 0) return;
  const bool setuid = (target.st.st_mode & (S_ISUID | S_ISGID)) != 0;
  if (fs.f_flag & ST_NOEXEC) {
    const MountEntry* mount = nullptr;
    std::string where = mount_evidence(walk, target.host_path, &mount);
    std::string point = mount ? mount->mount_point : "its mount point";
    Finding& finding = walk.add("noexec-mount", Severity::blocking, target.shown,
                                target.shown + " is on a file system mounted noexec (" + point +
                                    "): the kernel executes nothing there, whatever the file's permissions — that "
                                    "is what \"Permission denied\" means here");
    finding.evidence.push_back(target.host_path + ": " + where);
    finding.fixes.push_back("cp " + quote(target.shown) + " ~/   # a copy on a file system without noexec runs");
    finding.fixes.push_back("mount -o remount,exec " + quote(point) + "   # as root: allow exec on that mount");
  }
  if (setuid && (fs.f_flag & ST_NOSUID)) {
    const MountEntry* mount = nullptr;
    std::string where = mount_evidence(walk, target.host_path, &mount);
    Finding& finding = walk.add("setuid-ignored", Severity::warning, target.shown,
                                target.shown +
                                    " is setuid or setgid, but its file system is mounted nosuid: it runs "
                                    "with your privileges, not its owner's");
    finding.evidence.push_back(target.host_path + ": " + where + ", mode " + mode_text(target.st.st_mode));
  } else if (auto capabilities =
                 setuid || target.depth != 0 ? std::nullopt : util::file_capabilities(target.host_path)) {
    Finding& finding =
        walk.add("file-capabilities", Severity::warning, target.shown,
                 target.shown +
                     " has file capabilities: started directly it runs with them; run through a loader (elfrun run) "
                     "or bundled it runs without them, because the kernel grants them only to a program it starts "
                     "itself");
    finding.evidence.push_back(target.host_path + ": " + *capabilities);
  } else if (setuid && target.depth == 0) {
    Finding& finding =
        walk.add("setuid", Severity::info, target.shown,
                 target.shown +
                     " is setuid or setgid: started directly it runs with its owner's privileges; run through a "
                     "loader (elfrun run) it runs with yours, because the kernel grants them only to a program it "
                     "starts itself, and the loader then ignores LD_LIBRARY_PATH and LD_PRELOAD (secure mode)");
    finding.evidence.push_back(target.host_path + ": mode " + mode_text(target.st.st_mode) + ", owner uid " +
                               std::to_string(target.st.st_uid) + ", group gid " + std::to_string(target.st.st_gid));
  }
}

void not_a_program(Walk& walk, const ExecTarget& target, elf::ByteView head) {
  auto report = elf::identify(*target.bytes, target.shown);
  std::string description = report ? report->description : "data";
  if (description == "text") {
    Finding& finding = walk.add("not-elf", Severity::blocking, target.shown,
                                target.shown +
                                    " is a text file without a #! line: execve fails with \"Exec format "
                                    "error\" (a shell then runs it with /bin/sh itself, nothing else does)");
    finding.evidence.push_back("its first bytes are text, not \"#!\" and not the ELF magic number \\x7fELF");
    finding.fixes.push_back("sh " + quote(target.shown) + "   # run it as a shell script");
    finding.fixes.push_back("sed -i '1i #!/bin/sh' " + quote(target.shown) + "   # or give it a #! line");
    return;
  }
  Finding& finding = walk.add("not-elf", Severity::blocking, target.shown,
                              target.shown + " is not a program (" + description +
                                  "): no handler of the kernel takes it — execve fails with \"Exec format error\"");
  std::string bytes;
  for (uint64_t i = 0; i < head.size() && i < 8; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02x", head.data()[i]);
    bytes += (i ? " " : "") + std::string(hex);
  }
  finding.evidence.push_back("its first bytes: " + (bytes.empty() ? std::string("(none: the file is empty)") : bytes) +
                             "; an ELF program starts with 7f 45 4c 46, a script with 23 21 (\"#!\")");
  if (!walk.binfmt_mounted()) {
    finding.details.push_back("binfmt_misc is not mounted at " + walk.options().binfmt_misc +
                              ": no extra handlers are registered");
  } else {
    finding.details.push_back("no enabled binfmt_misc entry of " + walk.options().binfmt_misc + " matches it (" +
                              std::to_string(walk.binfmt_handlers().size()) + " entries)");
  }
}

}  // namespace

void examine_file(Walk& walk, const std::string& typed, std::vector<std::string> args, int depth) {
  ExecTarget target;
  target.shown = typed;
  target.args = std::move(args);
  target.depth = depth;
  std::string inside = walk.inside_path_of(typed);
  if (depth == 0 && typed.find('/') == std::string::npos) {
    std::vector<std::string> tried;
    auto found = lookup_in_path(walk, typed, tried);
    if (!found) {
      Finding& finding = walk.add("command-not-found", Severity::blocking, typed,
                                  "no directory of PATH has an executable file called " + typed +
                                      " — that is what \"command not found\" means");
      finding.evidence.push_back("looked for: " + join(tried, ", "));
      return;
    }
    inside = *found;
  }
  target.inside_path = inside;

  auto real = walk.real_host_path(inside);
  if (!real && errno == ENOENT && depth == 0 && !walk.host_root()) {
    // A program outside the root (a cross-built binary checked against /usr/aarch64-linux-gnu) is read where it
    // is, as deps reads it and as qemu -L ROOT PROGRAM opens it; what it loads is looked up in the root.
    char host[PATH_MAX];
    if (::realpath(typed.c_str(), host) != nullptr) {
      real = std::string(host);
      target.inside_path = *real;
      walk.add("outside-root", Severity::info, typed,
               typed + " is outside the root " + walk.options().root + ": read where it is, " + *real);
    }
  }
  if (!real) {
    int error = errno;
    if (error == EACCES) {
      walk.add("file-inaccessible", Severity::blocking, typed,
               walk.explain_missing(inside) + " — execve fails with \"Permission denied\"");
      return;
    }
    std::string why = walk.explain_missing(inside);
    Finding& finding = walk.add("file-missing", Severity::blocking, typed,
                                typed + " does not exist" + (why == inside + " does not exist" ? "" : ": " + why));
    if (!walk.host_root()) finding.evidence.push_back("looked for inside the root " + walk.options().root);
    return;
  }
  target.host_path = *real;
  if (::stat(target.host_path.c_str(), &target.st) != 0) {
    walk.add("file-missing", Severity::blocking, typed, typed + ": " + std::strerror(errno));
    return;
  }
  if (!S_ISREG(target.st.st_mode)) {
    walk.add("not-regular-file", Severity::blocking, typed,
             typed + " is " + file_type_name(target.st.st_mode) +
                 ": execve runs only regular files — it fails with \"Permission denied\"");
    return;
  }
  // fs/exec.c do_open_execat: MAY_EXEC (root needs one x bit), then path_noexec. access(X_OK) also fails on a
  // noexec mount, so there only the mode bits tell whether the file itself is executable.
  struct statvfs fs {};
  bool noexec = ::statvfs(target.host_path.c_str(), &fs) == 0 && (fs.f_flag & ST_NOEXEC);
  bool executable =
      noexec ? (target.st.st_mode & 0111) != 0 : ::faccessat(AT_FDCWD, target.host_path.c_str(), X_OK, AT_EACCESS) == 0;
  if (!executable) {
    Finding& finding = walk.add("not-executable", Severity::blocking, typed,
                                typed + " is not executable for you (mode " + mode_text(target.st.st_mode) +
                                    ") — that is what \"Permission denied\" means here");
    finding.evidence.push_back(target.host_path + ": mode " + mode_text(target.st.st_mode) + ", owner uid " +
                               std::to_string(target.st.st_uid) + ", you are uid " + std::to_string(::geteuid()));
    if (target.st.st_uid == ::geteuid() || ::geteuid() == 0) {
      finding.fixes.push_back("chmod +x " + quote(typed));
    } else {
      finding.fixes.push_back("chmod +x " + quote(typed) + "   # as its owner (uid " +
                              std::to_string(target.st.st_uid) + ") or root");
    }
  }
  check_mount_and_privileges(walk, target);

  auto source = elf::ByteSource::open(target.host_path);
  if (!source) {
    std::string message = "cannot read " + typed + ": " + source.error().message + "; nothing more can be said";
    if (depth == 0) {
      walk.input_error = message;
    } else {
      walk.add("interpreter-unreadable", Severity::blocking, typed, message);
    }
    return;
  }
  target.bytes = std::shared_ptr<elf::ByteSource>(std::move(*source));
  elf::ByteView head = target.bytes->bytes_up_to(0, 256).value_or(elf::ByteView());
  std::string_view text = head.as_string_view();
  if (text.substr(0, 2) == "#!") {
    examine_script(walk, target);
    return;
  }
  if (elf::has_elf_magic(head)) {
    examine_elf(walk, target);
    return;
  }
  if (const BinfmtHandler* handler = match_binfmt(walk.binfmt_handlers(), head, target.host_path)) {
    auto interpreter = walk.real_host_path(handler->interpreter);
    if (!interpreter && handler->flags.find('F') == std::string::npos) {
      Finding& finding =
          walk.add("binfmt-interpreter-missing", Severity::blocking, typed,
                   "the kernel hands " + typed + " to " + handler->interpreter + " (binfmt_misc entry " +
                       handler->name + "), which does not exist: " + walk.explain_missing(handler->interpreter));
      finding.evidence.push_back(walk.options().binfmt_misc + "/" + handler->name);
      return;
    }
    walk.add("binfmt-misc", Severity::info, typed,
             typed + " is not ELF or a script: the kernel hands it to " + handler->interpreter +
                 " (binfmt_misc entry " + handler->name + ", flags " +
                 (handler->flags.empty() ? "none" : handler->flags) + ")");
    return;
  }
  not_a_program(walk, target, head);
}

}  // namespace elfrun::diagnose
