// `elfrun fix`: making a program run as itself, system-wide and reversibly, the way Debian's biarch packages do for
// their own loader (libc6-amd64 on i386: a symlink at the PT_INTERP path and an ld.so.conf.d entry).
//
// plan.cc decides the changes from the diagnosis (diagnose/findings.h: the loader and library directories that a
// checked `elfrun run` uses); journal.cc keeps the record of what one apply created (path and content hash), in a
// directory that must belong to root (or, for --user, to the user) and be writable by nobody else; apply.cc makes the
// changes atomically (temporary name, then renameat2 with RENAME_NOREPLACE: never over an existing file), refuses
// paths a Debian package owns, checks the system's own programs resolve as before, and undoes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "diagnose/findings.h"
#include "loader/binfmt_misc.h"
#include "loader/discovery.h"
#include "run/plan.h"
#include "util/expected.h"

namespace elfrun::fix {

struct Change {
  // binfmt: an entry registered in the running kernel's binfmt_misc (path: its host path, BINFMT_DIR/NAME, never
  // under the root; content: the line written to BINFMT_DIR/register), removed again by writing -1 to it.
  enum class Kind { directory, symlink, file, ldconfig, binfmt };
  Kind kind = Kind::file;
  std::string path;      // inside the root (directory, symlink, file); empty for ldconfig
  std::string content;   // the symlink's target, or the file's text, or the binfmt_misc registration line
  std::string removes;   // the finding it removes, in words
  std::string command;   // the shell command that makes it, for the plan
  unsigned mode = 0644;  // file: its permissions
};

struct FixPlan {
  std::string program;
  bool runs_already = false;
  std::vector<Change> changes;
  std::vector<std::string> problems;  // why no fix can be made (then changes is empty)
  bool input_error = false;           // the program cannot be read or parsed
  // For the check after ldconfig: the program as a host path, its PT_INTERP, and the directories the
  // ld.so.conf.d entry names (inside the root); empty when the plan has no ldconfig change.
  std::string host_program;
  std::string interpreter;
  std::vector<std::string> library_dirs;
};

struct FixOptions {
  std::string root = "/";
  loader::DiscoveryOptions discovery;
  std::string binfmt_misc_dir = "/proc/sys/fs/binfmt_misc";  // the kernel's handlers for foreign machines
};

// --user: a launcher named after the program in BIN_DIR (the bundle's freestanding launcher, patched with the
// absolute paths of the loader, library directories and program that a checked `elfrun run` uses); no root needed.
FixPlan plan_user_fix(const std::string& program, const std::string& bin_dir, const FixOptions& options);

// The changes that make PROGRAM run as itself; changes nothing.
FixPlan plan_fix(const std::string& program, const FixOptions& options);

// The host path of a path inside the root ("/": the path itself).
std::string host_of(const std::string& root, const std::string& inside);
// Whether anything (a dangling symlink too) is at PATH.
bool exists_no_follow(const std::string& path);
// The kernel opens PT_INTERP: a symlink there to TARGET, after the missing parents of INTERPRETER (outermost first).
void add_interpreter_link(FixPlan& plan, const std::string& root, const std::string& interpreter,
                          const std::string& target, const std::string& finding);

// --- foreign.cc ---
// A foreign program (the diagnosis runs it through qemu-user): a symlink /etc/qemu-binfmt/ARCH -> the root that has
// its loader and libraries, for the registered qemu binfmt_misc handler; or, with no handler, the package to install.
void plan_foreign_fix(FixPlan& plan, const diagnose::Diagnosis& diagnosis, const std::string& root,
                      const std::string& host_program, const FixOptions& options, const std::string& finding);
// A program the kernel does not run because it lacks IA32 emulation: an /etc/binfmt.d entry for qemu-i386-static
// (as systemd-binfmt reads it at boot, with the F flag) and the same entry registered in the running kernel now.
void plan_ia32_binfmt_fix(FixPlan& plan, const std::string& root, const FixOptions& options,
                          const std::string& finding);
// The enabled binfmt_misc handler taking PROGRAM when it is a qemu-user one (/usr/bin/qemu-ARCH, Debian's
// /usr/libexec/qemu-binfmt/ARCH-binfmt-P); nullptr otherwise.
const loader::BinfmtHandler* qemu_handler(const std::vector<loader::BinfmtHandler>& handlers,
                                          const std::string& program);

// The diagnosis both plans start from. Nullopt when there is nothing to plan: PROGRAM cannot be read (plan.input_error
// and the problem are set) or it runs as it is (plan.runs_already).
std::optional<diagnose::Diagnosis> diagnosis_to_plan(const std::string& program, const FixOptions& options,
                                                     FixPlan& plan);

// Whether PROGRAM runs as it is now (the diagnosis has no blocking finding); the verdict otherwise.
bool runs_as_itself(const std::string& program, const FixOptions& options, std::string& verdict);

// --- fetched.cc ---
// The run plan `elfrun run --fetch` makes from the package store alone (never apt): nullopt when the store has no
// set that runs the program.
std::optional<run::RunPlan> fetched_run_plan(const std::string& host_program, const std::string& root,
                                             const FixOptions& options);
// A program that runs only with a fetched set: its shared objects copied into ROOT/usr/local/lib/elfrun/store, a
// symlink at a free PT_INTERP to the copied loader, the copied directories in ld.so.conf.d and the cache. False when
// the store has no such set (the plan untouched); true when planned, or refused with the reason in plan.problems.
bool plan_fetched_fix(FixPlan& plan, const std::string& program, const std::string& host_program,
                      const std::string& root, const FixOptions& options, const std::string& finding);

// --- journal.cc ---
struct JournalEntry {
  Change::Kind kind = Change::Kind::file;
  std::string path;    // inside the root
  std::string target;  // symlink: its target; binfmt: the entry's interpreter
  std::string sha256;  // file: its content's hash
};

struct Journal {
  std::string id;
  std::string created;  // UTC, ISO 8601
  std::vector<std::string> programs;
  std::vector<JournalEntry> entries;  // in the order they were made
  bool ldconfig = false;              // ldconfig was run after the entries were made
  bool host_ldconfig = false;         // ... this machine's (ldconfig -r ROOT), the root's own could not index them
  // ldconfig's two outputs before the fix, by their SHA-256 ("" when absent): --undo checks that ld.so.cache is
  // rebuilt the same and then puts the aux-cache (stat data only, kept in the journal directory as ID.aux-cache)
  // back as it was, so that the system is byte for byte as before.
  std::string cache_sha256;
  std::string aux_cache_sha256;
};

// ROOT/var/lib/elfrun/fixes, or ${XDG_STATE_HOME:-~/.local/state}/elfrun/fixes for a user.
std::string journal_directory(const std::string& root, bool user);
// Creates the directory (and its parents) as needed, and checks each of its components from the first one elfrun
// makes: a real directory (no symlink), owned by the effective user, writable by nobody else.
Expected<void> prepare_journal_directory(const std::string& directory, const std::string& trusted_base);
// Checks the directory as prepare_journal_directory does, without creating anything.
Expected<void> check_journal_directory(const std::string& directory, const std::string& trusted_base);
std::string journal_json(const Journal& journal);
Expected<Journal> parse_journal(const std::string& text, const std::string& file);
Expected<void> write_journal(const std::string& directory, const Journal& journal);
Expected<std::vector<Journal>> read_journals(const std::string& directory);
std::string new_journal_id();

// The Debian package that lists PATH (inside the root) in ROOT/var/lib/dpkg/info/*.list, as dpkg -S finds it.
std::optional<std::string> debian_owner(const std::string& root, const std::string& path);

// --- apply.cc ---
struct ApplyOptions {
  std::string root = "/";
  std::string journal_dir;     // where the journal goes
  std::string trusted_base;    // the journal directory's first component elfrun may create
  bool check_system = true;    // snapshot the system's programs before and after
  bool check_programs = true;  // each program must run as itself afterwards (not for --user: its launcher runs it)
  bool remove_base = true;     // undo removes trusted_base when empty (not for --user: it is $HOME)
  FixOptions fix;              // for the check that each program now runs as itself
};

// What the system's own ELF files resolve to: file -> a line per loaded object. Only files that resolved fully.
using SystemSnapshot = std::map<std::string, std::string>;
SystemSnapshot snapshot_system(const std::string& root);
// The files whose resolution changed, as "FILE: before -> after" lines.
std::vector<std::string> compare_snapshots(const SystemSnapshot& before, const SystemSnapshot& after);

struct ApplyResult {
  Journal journal;
  std::vector<std::string> messages;  // what was done, or why it was rolled back
};

// Makes the changes of the plans; on any failure undoes what it made and returns the error.
Expected<ApplyResult> apply_plans(const std::vector<FixPlan>& plans, const ApplyOptions& options);
// Removes what the journal records, newest first; refuses (changing nothing) when one entry changed since.
Expected<std::vector<std::string>> undo_journal(const Journal& journal, const ApplyOptions& options);
// Checks every entry of the journal against the file system: "" when it is as made, else what changed.
std::vector<std::string> changed_entries(const Journal& journal, const std::string& root);
// Runs the system's ldconfig (under a root: chroot ROOT /sbin/ldconfig; with `host`: this machine's
// /sbin/ldconfig -r ROOT), leaving the links in the library directories alone.
Expected<void> run_ldconfig(const std::string& root, bool host = false);
// The libraries of the plan's program that its loader, started at PT_INTERP, finds neither in ROOT/etc/ld.so.cache
// (with the ABI flags of the program's class) nor in its system directories: "" when every one is found.
std::vector<std::string> libraries_not_cached(const FixPlan& plan, const std::string& root);

std::string kind_name(Change::Kind kind);

}  // namespace elfrun::fix
