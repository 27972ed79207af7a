// Making, checking and undoing the changes of `elfrun fix --apply`. Every creation is atomic and never replaces
// anything: the content is made under a temporary name in the same directory, then renamed with renameat2's
// RENAME_NOREPLACE (Linux 3.15), which fails rather than replace a file that appeared meanwhile. The journal is
// rewritten after each step, so a crash leaves a record of what exists. After the changes, each program must run as
// itself (the diagnosis, which never executes anything, finds nothing blocking) and the system's own ELF programs
// and libraries must resolve as before (the resolver: the native loader model of `elfrun deps`); if not, what was
// made is removed again and ldconfig rebuilds the cache without it.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>

#include "fix/fix.h"
#include "loader/binfmt_misc.h"
#include "loader/ld_so_cache.h"
#include "loader/machine_facts.h"
#include "loader/resolver.h"
#include "util/cache_file.h"
#include "util/sha256.h"
#include "util/text.h"

namespace elfrun::fix {

namespace {

std::optional<std::string> read_whole(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  std::string text;
  char buffer[65536];
  ssize_t got;
  while ((got = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(got));
  ::close(fd);
  if (got < 0) return std::nullopt;
  return text;
}

std::string temporary_beside(const std::string& path) {
  return std::string(util::dir_name(path)) + "/.elfrun-fix-" + std::to_string(::getpid()) + "-" +
         std::string(util::base_name(path));
}

// Puts the temporary file in place, refusing to replace anything (renameat2, RENAME_NOREPLACE).
Expected<void> move_into_place(const std::string& temporary, const std::string& path) {
  if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    if (error == EEXIST) return Error{path + " appeared meanwhile: fix never replaces a file it did not create"};
    return Error{"cannot create " + path + ": " + std::strerror(error)};
  }
  return {};
}

// Registers a binfmt_misc entry: its line written to the `register` file beside it (Linux fs/binfmt_misc.c
// bm_register_write, as systemd-binfmt does for each line of binfmt.d).
Expected<JournalEntry> register_binfmt(const Change& change) {
  JournalEntry entry;
  entry.kind = change.kind;
  entry.path = change.path;
  std::string register_file = std::string(util::dir_name(change.path)) + "/register";
  int fd = ::open(register_file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Error{"cannot open " + register_file + ": " + std::strerror(errno)};
  bool written =
      ::write(fd, change.content.data(), change.content.size()) == static_cast<ssize_t>(change.content.size());
  int error = errno;
  ::close(fd);
  if (!written) return Error{"the kernel refused the binfmt_misc entry " + change.path + ": " + std::strerror(error)};
  // The interpreter, as the kernel recorded it: what --undo checks before removing the entry.
  if (auto text = read_whole(change.path)) {
    if (auto parsed = loader::parse_binfmt_entry(std::string(util::base_name(change.path)), *text)) {
      entry.target = parsed->interpreter;
    }
  }
  return entry;
}

Expected<JournalEntry> make(const Change& change, const std::string& root) {
  if (change.kind == Change::Kind::binfmt) return register_binfmt(change);
  std::string path = host_of(root, change.path);
  JournalEntry entry;
  entry.kind = change.kind;
  entry.path = change.path;
  if (change.kind == Change::Kind::directory) {
    if (::mkdir(path.c_str(), 0755) != 0)
      return Error{"cannot create the directory " + path + ": " + std::strerror(errno)};
    return entry;
  }
  std::string temporary = temporary_beside(path);
  if (change.kind == Change::Kind::symlink) {
    if (::symlink(change.content.c_str(), temporary.c_str()) != 0) {
      return Error{"cannot create " + temporary + ": " + std::strerror(errno)};
    }
    entry.target = change.content;
  } else {
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return Error{"cannot create " + temporary + ": " + std::strerror(errno)};
    bool written =
        ::write(fd, change.content.data(), change.content.size()) == static_cast<ssize_t>(change.content.size());
    ::fchmod(fd, change.mode);  // whatever the umask: ldconfig reads it as any user
    written = ::fsync(fd) == 0 && written;
    ::close(fd);
    if (!written) {
      ::unlink(temporary.c_str());
      return Error{"cannot write " + temporary + ": " + std::strerror(errno)};
    }
    entry.sha256 = sha256_hex(change.content);
  }
  auto moved = move_into_place(temporary, path);
  if (!moved) return moved.error();
  return entry;
}

// "" when the entry is as it was made, else what changed.
std::string entry_change(const JournalEntry& entry, const std::string& root) {
  if (entry.kind == Change::Kind::binfmt) {
    auto text = read_whole(entry.path);
    if (!text) return "the binfmt_misc entry " + entry.path + " is no longer registered";
    auto parsed = loader::parse_binfmt_entry(std::string(util::base_name(entry.path)), *text);
    if (!parsed || parsed->interpreter != entry.target) {
      return "the binfmt_misc entry " + entry.path + " was registered again with another interpreter";
    }
    return "";
  }
  std::string path = host_of(root, entry.path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return path + " no longer exists";
  switch (entry.kind) {
    case Change::Kind::directory:
      if (!S_ISDIR(st.st_mode)) return path + " is no longer a directory";
      return "";
    case Change::Kind::symlink: {
      if (!S_ISLNK(st.st_mode)) return path + " is no longer the symbolic link fix made";
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t length = ::readlink(path.c_str(), target.data(), target.size());
      if (length < 0) return path + ": " + std::strerror(errno);
      target.resize(static_cast<size_t>(length));
      if (target != entry.target) return path + " now points to " + target + ", not to " + entry.target;
      return "";
    }
    case Change::Kind::file: {
      auto text = read_whole(path);
      if (!text) return path + " is no longer the regular file fix made";
      if (sha256_hex(*text) != entry.sha256) return path + " was changed since fix made it (its SHA-256 differs)";
      return "";
    }
    case Change::Kind::ldconfig:
    case Change::Kind::binfmt: return "";
  }
  return "";
}

constexpr const char* kCache = "/etc/ld.so.cache";
constexpr const char* kAuxCache = "/var/cache/ldconfig/aux-cache";

std::string saved_aux_cache(const std::string& journal_dir, const Journal& journal) {
  return journal_dir + "/" + journal.id + ".aux-cache";
}

// Records ldconfig's outputs as they are before the fix (the aux-cache's bytes kept beside the journal).
Expected<void> save_caches(Journal& journal, const std::string& root, const std::string& journal_dir) {
  auto cache = read_whole(host_of(root, kCache));
  journal.cache_sha256 = cache ? sha256_hex(*cache) : "";
  auto aux = read_whole(host_of(root, kAuxCache));
  journal.aux_cache_sha256 = aux ? sha256_hex(*aux) : "";
  if (aux && !util::write_file_atomically(journal_dir, journal.id + ".aux-cache", *aux)) {
    return Error{"cannot keep a copy of " + host_of(root, kAuxCache) + " in " + journal_dir + ": " +
                 std::strerror(errno)};
  }
  return {};
}

// After ldconfig ran again without the fix's entry: when it rebuilt ld.so.cache exactly as before the fix (the
// libraries are as they were), the aux-cache it rewrote (device, inode, ctime and soname of each library it read,
// glibc elf/cache.c save_aux_cache) goes back to its bytes of before. "" when done, else why not.
std::string restore_aux_cache(const Journal& journal, const std::string& root, const std::string& journal_dir) {
  std::string saved = saved_aux_cache(journal_dir, journal);
  auto cache = read_whole(host_of(root, kCache));
  std::string now = cache ? sha256_hex(*cache) : "";
  if (now != journal.cache_sha256) {
    ::unlink(saved.c_str());
    return host_of(root, kCache) +
           " differs from before the fix (the system's libraries changed since): " + "left as ldconfig rebuilt it";
  }
  std::string aux = host_of(root, kAuxCache);
  if (journal.aux_cache_sha256.empty()) {
    if (::unlink(aux.c_str()) != 0 && errno != ENOENT) return "cannot remove " + aux + ": " + std::strerror(errno);
    return "";
  }
  auto text = read_whole(saved);
  ::unlink(saved.c_str());
  if (!text || sha256_hex(*text) != journal.aux_cache_sha256) return "the copy " + saved + " of " + aux + " is gone";
  std::string temporary = temporary_beside(aux);
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot create " + temporary + ": " + std::strerror(errno);
  bool written = ::write(fd, text->data(), text->size()) == static_cast<ssize_t>(text->size());
  written = ::fsync(fd) == 0 && written;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), aux.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return "cannot put back " + aux + ": " + std::strerror(errno);
  }
  return "";
}

// Removes one entry (checked unchanged by the caller); a directory only when empty.
std::string remove_entry(const JournalEntry& entry, const std::string& root) {
  if (entry.kind == Change::Kind::binfmt) {
    // Writing -1 to an entry removes it (fs/binfmt_misc.c bm_entry_write).
    int fd = ::open(entry.path.c_str(), O_WRONLY | O_CLOEXEC);
    bool removed = fd >= 0 && ::write(fd, "-1", 2) == 2;
    int error = errno;
    if (fd >= 0) ::close(fd);
    return removed ? "" : "cannot remove the binfmt_misc entry " + entry.path + ": " + std::strerror(error);
  }
  std::string path = host_of(root, entry.path);
  int status = entry.kind == Change::Kind::directory ? ::rmdir(path.c_str()) : ::unlink(path.c_str());
  if (status != 0) return "cannot remove " + path + ": " + std::strerror(errno);
  return "";
}

std::vector<std::string> remove_all(const Journal& journal, const std::string& root, const std::string& journal_dir) {
  std::vector<std::string> problems;
  for (auto entry = journal.entries.rbegin(); entry != journal.entries.rend(); ++entry) {
    std::string problem = remove_entry(*entry, root);
    if (!problem.empty()) problems.push_back(problem);
  }
  if (journal.ldconfig) {
    auto rebuilt = run_ldconfig(root, journal.host_ldconfig);
    if (!rebuilt) problems.push_back(rebuilt.error().message);
    std::string restored = rebuilt ? restore_aux_cache(journal, root, journal_dir) : "";
    if (!restored.empty()) problems.push_back(restored);
  }
  return problems;
}

bool is_elf(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  char magic[4] = {};
  bool elf = ::read(fd, magic, 4) == 4 && std::memcmp(magic, "\177ELF", 4) == 0;
  ::close(fd);
  return elf;
}

}  // namespace

Expected<void> run_ldconfig(const std::string& root, bool host) {
  // -X: no symlinks updated in the library directories. What ldconfig then writes is /etc/ld.so.cache (and its
  // aux-cache), rebuilt from ld.so.conf: the same cache again once the entry is gone. Under a root the root's own
  // ldconfig runs (chroot), as the system would run it; `host`: this machine's, told the root with -r.
  std::string shown = host ? "/sbin/ldconfig -X -r " + root
                           : (root == "/" ? std::string() : "chroot " + root + " ") + "/sbin/ldconfig -X";
  pid_t child = ::fork();
  if (child < 0) return Error{std::string("cannot start ldconfig: ") + std::strerror(errno)};
  if (child == 0) {
    if (host) {
      const char* argv[] = {"/sbin/ldconfig", "-X", "-r", root.c_str(), nullptr};
      ::execv(argv[0], const_cast<char* const*>(argv));
      _exit(127);
    }
    if (root != "/" && (::chroot(root.c_str()) != 0 || ::chdir("/") != 0)) _exit(126);
    const char* argv[] = {"/sbin/ldconfig", "-X", nullptr};
    ::execv(argv[0], const_cast<char* const*>(argv));
    _exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error{"the system's ldconfig (" + shown + ") failed, status " +
                 std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status))};
  }
  return {};
}

std::vector<std::string> libraries_not_cached(const FixPlan& plan, const std::string& root) {
  std::vector<std::string> missing;
  if (plan.interpreter.empty()) return missing;
  loader::ResolveOptions resolve;
  resolve.root = root;
  resolve.loader_path = plan.interpreter;
  resolve.include_vdso = false;
  resolve.program_origin_real_path = true;
  loader::Resolver resolver(resolve);
  auto resolution = resolver.resolve(plan.host_program);
  if (!resolution) return {resolution.error().message};
  std::string flags;
  if (!resolution->objects.empty() && resolution->objects[0].elf) {
    if (const loader::MachineFacts* facts = loader::machine_facts(*resolution->objects[0].elf)) {
      flags = loader::describe_cache_flags(facts->cache_flags);
    }
  }
  for (const loader::LoadedObject& object : resolution->objects) {
    if (object.found_by != loader::FoundBy::not_found) continue;
    missing.push_back(object.name + " is not in " + host_of(root, "/etc/ld.so.cache") +
                      (flags.empty() ? "" : " with the flags " + flags) + " nor in the loader's system directories");
  }
  return missing;
}

SystemSnapshot snapshot_system(const std::string& root) {
  SystemSnapshot snapshot;
  std::vector<std::string> dirs = {
      "/bin",   "/sbin",  "/usr/bin",   "/usr/sbin",  "/usr/local/bin", "/usr/local/sbin", "/lib",          "/usr/lib",
      "/lib32", "/lib64", "/usr/lib32", "/usr/lib64", "/libx32",        "/usr/libx32",     "/usr/local/lib"};
  // The multiarch directories: /usr/lib/x86_64-linux-gnu...
  for (const char* base : {"/lib", "/usr/lib"}) {
    if (DIR* dir = ::opendir(host_of(root, base).c_str())) {
      while (dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name.find("-linux-") != std::string::npos) dirs.push_back(std::string(base) + "/" + name);
      }
      ::closedir(dir);
    }
  }
  std::set<std::string> seen_dirs, seen_files;
  loader::ResolveOptions options;
  options.root = root;
  options.include_vdso = false;
  loader::Resolver resolver(options);
  for (const std::string& dir : dirs) {
    std::string host = host_of(root, dir);
    if (!seen_dirs.insert(util::real_path(host)).second) continue;
    DIR* handle = ::opendir(host.c_str());
    if (!handle) continue;
    std::vector<std::string> files;
    while (dirent* entry = ::readdir(handle)) {
      if (entry->d_name[0] != '.') files.push_back(host + "/" + entry->d_name);
    }
    ::closedir(handle);
    for (const std::string& file : files) {
      struct stat st {};
      if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (!seen_files.insert(util::real_path(file)).second || !is_elf(file)) continue;
      auto resolution = resolver.resolve(file);
      if (!resolution || resolution->has_missing() || resolution->fatal_error) continue;
      std::string lines = resolution->loader_path + (resolution->loader_found ? "" : " (not found)");
      for (const loader::LoadedObject& object : resolution->objects) lines += "; " + object.name + " => " + object.path;
      snapshot[file.substr(root == "/" ? 0 : root.size())] = lines;
    }
  }
  return snapshot;
}

std::vector<std::string> compare_snapshots(const SystemSnapshot& before, const SystemSnapshot& after) {
  std::vector<std::string> differences;
  for (const auto& [file, was] : before) {
    auto now = after.find(file);
    if (now == after.end()) {
      differences.push_back(file + ": resolved before, no longer does");
    } else if (now->second != was) {
      differences.push_back(file + ": was " + was + ", now " + now->second);
    }
  }
  return differences;
}

std::vector<std::string> changed_entries(const Journal& journal, const std::string& root) {
  std::vector<std::string> changed;
  for (const JournalEntry& entry : journal.entries) {
    std::string change = entry_change(entry, root);
    if (!change.empty()) changed.push_back(change);
  }
  return changed;
}

Expected<ApplyResult> apply_plans(const std::vector<FixPlan>& plans, const ApplyOptions& options) {
  const std::string& root = options.root;
  // Every change once (two programs may need the same symlink), and each checked before anything is made.
  std::vector<Change> changes;
  bool ldconfig = false;
  for (const FixPlan& plan : plans) {
    for (const Change& change : plan.changes) {
      if (change.kind == Change::Kind::ldconfig) {
        ldconfig = true;
        continue;
      }
      bool duplicate = false;
      for (const Change& made : changes) {
        if (made.path != change.path) continue;
        if (made.kind != change.kind || made.content != change.content) {
          return Error{"two programs need different contents at " + change.path};
        }
        duplicate = true;
      }
      if (duplicate) continue;
      std::string host = change.kind == Change::Kind::binfmt ? change.path : host_of(root, change.path);
      struct stat st {};
      if (::lstat(host.c_str(), &st) == 0) {
        return Error{host + " exists: fix never overwrites or removes a file it did not create"};
      }
      if (change.kind == Change::Kind::binfmt) {
        changes.push_back(change);
        continue;
      }
      if (auto owner = debian_owner(root, change.path)) {
        return Error{host + " belongs to the Debian package " + *owner +
                     " (dpkg -S): fix refuses to change a path a package owns"};
      }
      changes.push_back(change);
    }
  }
  if (changes.empty() && !ldconfig) return Error{"nothing to change"};

  auto prepared = prepare_journal_directory(options.journal_dir, options.trusted_base);
  if (!prepared) return prepared.error();
  SystemSnapshot before;
  if (options.check_system) before = snapshot_system(root);

  ApplyResult result;
  Journal& journal = result.journal;
  journal.id = new_journal_id();
  {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    journal.created = text;
  }
  for (const FixPlan& plan : plans) journal.programs.push_back(plan.program);
  auto journal_path = options.journal_dir + "/" + journal.id + ".json";
  auto roll_back = [&](const std::string& why) -> Error {
    std::string message = why;
    for (const std::string& problem : remove_all(journal, root, options.journal_dir))
      message += "\n  while rolling back: " + problem;
    ::unlink(journal_path.c_str());
    if (::rmdir(options.journal_dir.c_str()) == 0 && options.remove_base) ::rmdir(options.trusted_base.c_str());
    return Error{message + "\n  everything fix made was removed again"};
  };
  auto written = write_journal(options.journal_dir, journal);
  if (!written) return written.error();
  for (const Change& change : changes) {
    // A parent directory the journal's own directory needed meanwhile (--user: ~/.local): there, not ours to record.
    struct stat st {};
    if (change.kind == Change::Kind::directory && ::lstat(host_of(root, change.path).c_str(), &st) == 0 &&
        S_ISDIR(st.st_mode)) {
      continue;
    }
    auto entry = make(change, root);
    if (!entry) return roll_back(entry.error().message);
    journal.entries.push_back(*entry);
    result.messages.push_back("made: " + change.command);
    written = write_journal(options.journal_dir, journal);
    if (!written) return roll_back(written.error().message);
  }
  if (ldconfig) {
    auto saved = save_caches(journal, root, options.journal_dir);
    if (!saved) return roll_back(saved.error().message);
    journal.ldconfig = true;
    written = write_journal(options.journal_dir, journal);
    if (!written) return roll_back(written.error().message);
    auto ran = run_ldconfig(root);
    if (!ran) return roll_back(ran.error().message);
    result.messages.push_back("ran: " + std::string(root == "/" ? "" : "chroot " + root + " ") + "/sbin/ldconfig -X");
    // Did that ldconfig index the libraries, with the ABI flags of their class? An ldconfig built for one class
    // may skip libraries of another (glibc's elf/readlib.c accepts the classes its sysdeps readelflib.c knows).
    std::vector<std::string> missing;
    for (const FixPlan& plan : plans) {
      for (const std::string& line : libraries_not_cached(plan, root)) missing.push_back(line);
    }
    if (!missing.empty()) {
      std::string why = "the system's ldconfig did not index the libraries:";
      for (const std::string& line : missing) why += "\n  " + line;
      if (root == "/" || ::access("/sbin/ldconfig", X_OK) != 0) {
        return roll_back(why + "\n  (`elfrun fix --user` makes a launcher instead, or `elfrun run` runs it)");
      }
      result.messages.push_back(why + "\n  falling back to this machine's ldconfig: /sbin/ldconfig -X -r " + root);
      journal.host_ldconfig = true;
      written = write_journal(options.journal_dir, journal);
      if (!written) return roll_back(written.error().message);
      ran = run_ldconfig(root, true);
      if (!ran) return roll_back(ran.error().message);
      for (const FixPlan& plan : plans) {
        std::vector<std::string> still = libraries_not_cached(plan, root);
        if (!still.empty()) return roll_back("this machine's ldconfig did not index them either: " + still[0]);
      }
    }
    result.messages.push_back("checked: " + host_of(root, "/etc/ld.so.cache") + " lists the libraries");
  }
  for (const FixPlan& plan : plans) {
    if (!options.check_programs) break;
    std::string verdict;
    if (!runs_as_itself(plan.program, options.fix, verdict)) {
      std::string why = "after the changes, " + plan.program + " still would not run as itself: " + verdict;
      if (ldconfig) {
        why +=
            "\n  (if a library is not found: the system's ldconfig may not index libraries of this class into "
            "/etc/ld.so.cache; `elfrun fix --user` makes a launcher instead)";
      }
      return roll_back(why);
    }
    result.messages.push_back("checked: " + plan.program + " runs as itself");
  }
  if (options.check_system) {
    std::vector<std::string> differences = compare_snapshots(before, snapshot_system(root));
    if (!differences.empty()) {
      std::string why = "the system's own programs no longer resolve as before:";
      for (const std::string& difference : differences) why += "\n  " + difference;
      return roll_back(why);
    }
    result.messages.push_back("checked: the system's " + std::to_string(before.size()) +
                              " ELF programs and libraries resolve as before");
  }
  return result;
}

Expected<std::vector<std::string>> undo_journal(const Journal& journal, const ApplyOptions& options) {
  std::vector<std::string> changed = changed_entries(journal, options.root);
  if (!changed.empty()) {
    std::string message = "refusing to undo fix " + journal.id + ": what it made was changed since:";
    for (const std::string& change : changed) message += "\n  " + change;
    return Error{message + "\n  nothing was removed"};
  }
  std::vector<std::string> done;
  for (auto entry = journal.entries.rbegin(); entry != journal.entries.rend(); ++entry) {
    std::string problem = remove_entry(*entry, options.root);
    if (!problem.empty()) return Error{problem};
    done.push_back("removed " + (entry->kind == Change::Kind::binfmt ? "the binfmt_misc entry " + entry->path
                                                                     : host_of(options.root, entry->path)));
  }
  if (journal.ldconfig) {
    auto ran = run_ldconfig(options.root, journal.host_ldconfig);
    if (!ran) return ran.error();
    done.push_back("ran the system's ldconfig again");
    std::string restored = restore_aux_cache(journal, options.root, options.journal_dir);
    done.push_back(restored.empty() ? "put back " + host_of(options.root, kAuxCache) + " as it was before the fix"
                                    : restored);
  }
  std::string path = options.journal_dir + "/" + journal.id + ".json";
  if (::unlink(path.c_str()) != 0) return Error{"cannot remove the journal " + path + ": " + std::strerror(errno)};
  // The journal directories are elfrun's own: gone again when empty, so that the system is as before the fix.
  if (::rmdir(options.journal_dir.c_str()) == 0 && options.remove_base) ::rmdir(options.trusted_base.c_str());
  return done;
}

}  // namespace elfrun::fix
