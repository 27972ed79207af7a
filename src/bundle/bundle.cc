// Laying out and writing a bundle (see bundle.h).
#include "bundle/bundle.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>

#include "bundle/archive.h"
#include "bundle/launcher_data.h"
#include "loader/machine_facts.h"
#include "util/sha256.h"
#include "util/text.h"

namespace elfrun::bundle {

namespace {

Expected<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{path + ": cannot read: " + std::strerror(errno)};
  std::string content;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return Error{path + ": cannot read: " + std::strerror(error)};
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

std::string libc_name(loader::Flavour flavour) {
  return flavour == loader::Flavour::musl ? "musl" : flavour == loader::Flavour::glibc ? "glibc" : "libc";
}

// The path as an absolute one, "." and ".." removed lexically (symlinks kept: the user named this path).
std::string absolute_path(const std::string& path) {
  std::string full = path;
  if (full.empty() || full[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) != nullptr) full = std::string(cwd) + "/" + full;
  }
  std::vector<std::string> parts;
  for (std::string& part : util::split_non_empty(full, '/')) {
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (part != ".") {
      parts.push_back(std::move(part));
    }
  }
  std::string result;
  for (const std::string& part : parts) result += "/" + part;
  return result.empty() ? "/" : result;
}

// Adds a data file, or a directory and everything under it (sorted; symlinks followed, to files only).
Expected<void> add_data(Layout& layout, const std::string& host_path, const std::string& bundle_path, int depth) {
  struct stat st {};
  if (::stat(host_path.c_str(), &st) != 0) return Error{host_path + ": --add: " + std::strerror(errno)};
  if (S_ISDIR(st.st_mode)) {
    if (depth > 32) return Error{host_path + ": --add: directories nested more than 32 deep (a symlink loop?)"};
    DIR* listing = ::opendir(host_path.c_str());
    if (listing == nullptr) return Error{host_path + ": --add: " + std::strerror(errno)};
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(listing)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(listing);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      auto added = add_data(layout, host_path + "/" + name, bundle_path + "/" + name, depth + 1);
      if (!added) return added;
    }
    return {};
  }
  if (!S_ISREG(st.st_mode)) return Error{host_path + ": --add: not a regular file or directory"};
  auto content = read_file(host_path);
  if (!content) return content.error();
  return layout.add_file(bundle_path, std::move(*content), (st.st_mode & 0111) ? 0755 : 0644, host_path);
}

}  // namespace

Expected<Layout> plan_bundle(const std::vector<CollectedProgram>& programs,
                             const std::vector<std::string>& data_files) {
  Layout layout;
  std::map<std::string, std::string> dir_of_loader;  // loader content hash -> lib/<dir>
  std::map<std::string, int> dirs_of_kind;
  for (const CollectedProgram& program : programs) {
    auto program_bytes = read_file(program.host_path);
    if (!program_bytes) return program_bytes.error();
    std::string program_path = "libexec/" + program.name;
    auto added = layout.add_file(program_path, std::move(*program_bytes), 0755, program.given);
    if (!added) return added.error();

    LauncherData data;
    data.program = "../" + program_path;
    if (!program.is_static) {
      auto loader_bytes = read_file(program.loader_host_path);
      if (!loader_bytes) return loader_bytes.error();
      std::string hash = sha256_hex(*loader_bytes);
      auto found = dir_of_loader.find(hash);
      if (found == dir_of_loader.end()) {
        std::string kind = program.abi + "-" + libc_name(program.loader.flavour);
        int count = ++dirs_of_kind[kind];
        std::string dir = "lib/" + kind + (count > 1 ? "-" + std::to_string(count) : "");
        found = dir_of_loader.emplace(hash, dir).first;
      }
      const std::string& lib_dir = found->second;
      std::string loader_path = lib_dir + "/" + std::string(util::base_name(program.loader_host_path));
      added = layout.add_file(loader_path, std::move(*loader_bytes), 0755, program.loader_host_path);
      if (!added) return added.error();
      for (const CollectedLibrary& library : program.libraries) {
        auto bytes = read_file(library.host_path);
        if (!bytes) return bytes.error();
        for (const std::string& name : library.names) {
          added = layout.add_file(lib_dir + "/" + name, *bytes, 0644, library.host_path);
          if (!added) return added.error();
        }
      }
      data.loader = "../" + loader_path;
      data.library_dirs = {"../" + lib_dir};
      data.pass_argv0 = program.loader.has_argv0;
      data.inhibit_cache = program.loader.has_inhibit_cache;
    }
    std::string launcher;
    std::string_view binary = embedded_launcher(program.machine);
    if (binary.empty()) {
      if (const loader::MachineFacts* facts = loader::machine_facts_by_abi(program.abi)) data.qemu = facts->qemu;
      launcher = sh_launcher(data);
    } else {
      auto patched = patch_launcher(binary, data);
      if (!patched) return Error{program.given + ": " + patched.error().message};
      launcher = std::move(*patched);
    }
    added = layout.add_file("bin/" + program.name, std::move(launcher), 0755, "the launcher of " + program.given);
    if (!added) return added.error();
  }
  for (const std::string& file : data_files) {
    std::string absolute = absolute_path(file);
    if (absolute == "/") return Error{file + ": --add: not the whole file system"};
    auto added = add_data(layout, absolute, "data" + absolute, 0);
    if (!added) return added.error();
  }
  return layout;
}

namespace {

// Single-quoted for sh: the bytes as they are, ' written as '\''.
std::string sh_quote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// The manifest the sh header checks an existing unpack directory against: `sha256sum -c` lines for the files (in
// its escaped form when a name holds a newline or a backslash, as coreutils writes it), then one test per symlink.
std::string sh_manifest(const std::vector<ArchiveEntry>& entries) {
  std::string sums, links;
  for (const ArchiveEntry& entry : entries) {
    if (entry.kind == ArchiveEntry::Kind::file) {
      std::string name = "./" + entry.path;
      bool escaped = name.find_first_of("\n\\") != std::string::npos;
      if (escaped) {
        std::string plain;
        for (char c : name)
          plain += c == '\n' ? std::string("\\n") : c == '\\' ? std::string("\\\\") : std::string(1, c);
        name = plain;
      }
      sums += (escaped ? "\\" : "") + sha256_hex(entry.content) + "  " + name + "\n";
    } else if (entry.kind == ArchiveEntry::Kind::symlink) {
      std::string path = sh_quote("./" + entry.path);
      links += "  [ -L " + path + " ] && [ \"$(readlink -- " + path + ")\" = " + sh_quote(entry.link_target) +
               " ] || return 1\n";
    }
  }
  return "verify() {\n"
         "  cd \"$1\" || return 1\n"
         "  sha256sum -c - >/dev/null 2>&1 <<'ELFRUN_MANIFEST_END' || return 1\n" +
         sums + "ELFRUN_MANIFEST_END\n" + links + "}\n";
}

}  // namespace

std::string sh_header(const std::string& content_hash, const std::string& default_program, uint64_t offset,
                      const std::vector<ArchiveEntry>& entries) {
  char offset_text[32];
  std::snprintf(offset_text, sizeof offset_text, "%010llu", static_cast<unsigned long long>(offset));
  return std::string(
             "#!/bin/sh\n"
             "# An elfrun bundle (sh format): this script, then a gzip-compressed tar of the bundle. The first run\n"
             "# unpacks it to ${XDG_CACHE_HOME:-$HOME/.cache}/elfrun-bundles/HASH: into a fresh private directory\n"
             "# (mktemp -d), then renamed into place, so that a half-unpacked bundle is never used. A later run "
             "reuses\n"
             "# that directory only when it and the cache directory are this user's, writable by nobody else, and\n"
             "# every file matches the manifest below (sha256sum); otherwise it unpacks again. Every run then execs\n"
             "# the bundle's program named like the name this file was invoked by (a symlink to it), else the first.\n"
             "offset=") +
         offset_text + "\nhash=" + content_hash + "\ndefault=" + sh_quote(default_program) + "\n" +
         sh_manifest(entries) +
         "# A directory of this user (uid $2), not a symlink, writable by nobody else.\n"
         "private_dir() {\n"
         "  [ -d \"$1\" ] && [ ! -L \"$1\" ] || return 1\n"
         "  owner=$2\n"
         "  set -f\n"
         "  set -- $(LC_ALL=C ls -ldn -- \"$1\")\n"
         "  set +f\n"
         "  case $1 in d????w* | d???????w*) return 1 ;; esac\n"
         "  [ \"$3\" = \"$owner\" ]\n"
         "}\n"
         "uid=$(id -u)\n"
         "cache=${XDG_CACHE_HOME:-${HOME:-}/.cache}/elfrun-bundles\n"
         "self=$0\n"
         "case $self in */*) ;; *) self=$(command -v -- \"$self\") || { echo \"$0: cannot find this file\" >&2; "
         "exit 127; } ;; esac\n"
         "[ -e \"$cache\" ] || [ -L \"$cache\" ] || mkdir -p -m 700 \"$cache\" 2>/dev/null\n"
         "if ! private_dir \"$cache\" \"$uid\"; then\n"
         "  echo \"$0: warning: $cache is not a private directory of this user: unpacking into a new temporary "
         "directory\" >&2\n"
         "  cache=$(mktemp -d \"${TMPDIR:-/tmp}/elfrun-bundle.XXXXXX\") || exit 126\n"
         "fi\n"
         "dir=$cache/$hash\n"
         "if ! private_dir \"$dir\" \"$uid\" || ! (verify \"$dir\"); then\n"
         "  tmp=$(mktemp -d \"$cache/.unpack.XXXXXX\") || { echo \"$0: cannot write to $cache\" >&2; exit 126; }\n"
         "  tail -c +\"$offset\" \"$self\" | gzip -dc | (cd \"$tmp\" && tar -xf -)\n"
         "  if [ ! -f \"$tmp/bin/$default\" ]; then\n"
         "    rm -rf \"$tmp\"\n"
         "    echo \"$0: cannot unpack the bundle into $cache (gzip and tar are needed)\" >&2\n"
         "    exit 126\n"
         "  fi\n"
         "  chmod 700 \"$tmp\"\n"
         "  # What stood there (damaged, or not ours) is moved aside and removed; ours is renamed into place. Another\n"
         "  # run may have unpacked it meanwhile: then mv puts ours inside it, and ours is removed.\n"
         "  if [ -e \"$dir\" ] || [ -L \"$dir\" ]; then\n"
         "    if old=$(mktemp -d \"$cache/.old.XXXXXX\"); then mv -- \"$dir\" \"$old/\" 2>/dev/null; rm -rf \"$old\"; "
         "fi\n"
         "  fi\n"
         "  mv -- \"$tmp\" \"$dir\" 2>/dev/null\n"
         "  rm -rf \"$dir/${tmp##*/}\"\n"
         "  [ -d \"$tmp\" ] && dir=$tmp\n"
         "  private_dir \"$dir\" \"$uid\" || dir=$tmp\n"
         "fi\n"
         "name=${0##*/}\n"
         "program=$default\n"
         "case $name in */* | . | .. | '') ;; *) [ -f \"$dir/bin/$name\" ] && program=$name ;; esac\n"
         "# POSIX sh has no exec -a: the launcher takes argv[0] from ELFRUN_BUNDLE_ARGV0 and removes it.\n"
         "ELFRUN_BUNDLE_ARGV0=$0\n"
         "export ELFRUN_BUNDLE_ARGV0\n"
         "exec \"$dir/bin/$program\" \"$@\"\n"
         "exit 127\n";
}

namespace {

// Removes a tree this process made (no symlink is followed: unlink removes the link itself).
void remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    if (DIR* listing = ::opendir(path.c_str())) {
      std::vector<std::string> names;
      while (dirent* entry = ::readdir(listing)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(name);
      }
      ::closedir(listing);
      for (const std::string& name : names) remove_tree(path + "/" + name);
    }
    ::rmdir(path.c_str());
  } else {
    ::unlink(path.c_str());
  }
}

Expected<void> write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{path + ": cannot write: " + std::strerror(errno)};
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Expected<void> write_new_file(const std::string& path, std::string_view bytes, uint32_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error{path + ": cannot create: " + std::strerror(errno)};
  auto written = write_all(fd, bytes, path);
  // The mode exactly (not masked by the umask): a bundle is the same whoever makes it.
  if (written && ::fchmod(fd, mode) != 0) written = Error{path + ": cannot chmod: " + std::strerror(errno)};
  if (::close(fd) != 0 && written) written = Error{path + ": cannot write: " + std::strerror(errno)};
  return written;
}

Expected<void> write_tree(const std::vector<ArchiveEntry>& entries, const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0) return Error{dir + ": cannot create: " + std::strerror(errno)};
  for (const ArchiveEntry& entry : entries) {
    std::string path = dir + "/" + entry.path;
    if (entry.kind == ArchiveEntry::Kind::directory) {
      if (::mkdir(path.c_str(), 0755) != 0 || ::chmod(path.c_str(), 0755) != 0) {
        return Error{path + ": cannot create: " + std::strerror(errno)};
      }
    } else if (entry.kind == ArchiveEntry::Kind::symlink) {
      if (::symlink(entry.link_target.c_str(), path.c_str()) != 0) {
        return Error{path + ": cannot create the symlink: " + std::strerror(errno)};
      }
    } else {
      auto written = write_new_file(path, entry.content, entry.mode);
      if (!written) return written;
    }
  }
  return {};
}

// The .tar.gz's top directory: the output's name without .tar.gz, .tgz or .tar.
std::string tar_prefix(const std::string& output) {
  std::string name(util::base_name(output));
  for (const char* suffix : {".tar.gz", ".tgz", ".tar"}) {
    size_t length = std::strlen(suffix);
    if (name.size() > length && name.compare(name.size() - length, length, suffix) == 0) {
      name.resize(name.size() - length);
      break;
    }
  }
  return name + "/";
}

}  // namespace

Expected<WriteResult> write_bundle(const Layout& layout, Format format, const std::string& output,
                                   const std::string& default_program) {
  std::string out = output;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  std::vector<ArchiveEntry> entries = layout.entries();
  WriteResult result;
  struct stat st {};
  bool exists = ::lstat(out.c_str(), &st) == 0;
  std::string temporary = out + ".elfrun-tmp-" + std::to_string(::getpid());
  if (format == Format::dir) {
    if (exists) return Error{out + ": already exists: remove it or choose another output"};
    auto written = write_tree(entries, temporary);
    if (!written) {
      remove_tree(temporary);
      return written.error();
    }
    if (::rename(temporary.c_str(), out.c_str()) != 0) {
      int error = errno;
      remove_tree(temporary);
      return Error{out + ": cannot rename " + temporary + " to it: " + std::strerror(error)};
    }
    for (const ArchiveEntry& entry : entries) result.output_bytes += entry.content.size();
    return result;
  }
  if (exists && S_ISDIR(st.st_mode))
    return Error{out + ": is a directory; a " + std::string(format == Format::tar ? "tar" : "sh") +
                 " bundle is one file"};
  auto tar = make_tar(entries, format == Format::tar ? tar_prefix(out) : std::string());
  if (!tar) return tar.error();
  auto compressed = gzip(*tar);
  if (!compressed) return compressed.error();
  std::string bytes;
  uint32_t mode = 0644;
  if (format == Format::tar) {
    bytes = std::move(*compressed);
  } else {
    result.content_hash = sha256_hex(*compressed).substr(0, 32);
    std::string header = sh_header(result.content_hash, default_program, 0, entries);
    header = sh_header(result.content_hash, default_program, header.size() + 1, entries);  // fixed width: same length
    bytes = header + *compressed;
    mode = 0755;
  }
  auto written = write_new_file(temporary, bytes, mode);
  if (!written || ::rename(temporary.c_str(), out.c_str()) != 0) {
    Error error =
        written ? Error{out + ": cannot rename " + temporary + " to it: " + std::strerror(errno)} : written.error();
    ::unlink(temporary.c_str());
    return error;
  }
  result.output_bytes = bytes.size();
  return result;
}

}  // namespace elfrun::bundle
