// The journal of `elfrun fix --apply`: one JSON file per apply, naming every path it created (directories, the
// symlink and its target, the ld.so.conf.d file and the SHA-256 of its text), so that `--undo` removes exactly those
// and refuses when one changed since. The directory holding it decides what a later `--undo` removes: it must be a
// real directory owned by the effective user (root, for a system fix) and writable by nobody else, as ssh's
// StrictModes asks of ~/.ssh; anything else is refused.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fix/fix.h"
#include "util/cache_file.h"
#include "util/text.h"

namespace elfrun::fix {

namespace {

using Json = nlohmann::ordered_json;

std::optional<Change::Kind> kind_from(const std::string& name) {
  for (Change::Kind kind : {Change::Kind::directory, Change::Kind::symlink, Change::Kind::file, Change::Kind::binfmt}) {
    if (kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string fmt_mode(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777);
  return text;
}

// Each component of `directory` from `trusted_base` on: a directory, not a symlink, owned by us, not writable by
// group or others.
Expected<void> check_components(const std::string& directory, const std::string& trusted_base, bool create) {
  if (directory.compare(0, trusted_base.size(), trusted_base) != 0) {
    return Error{"the journal directory " + directory + " is not under " + trusted_base};
  }
  std::vector<std::string> components{trusted_base};
  for (const std::string& part : util::split_non_empty(directory.substr(trusted_base.size()), '/')) {
    components.push_back(components.back() + "/" + part);
  }
  uid_t owner = ::geteuid();
  for (const std::string& path : components) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno != ENOENT) return Error{path + ": " + std::strerror(errno)};
      if (!create) return {};  // nothing recorded there yet
      if (::mkdir(path.c_str(), 0755) != 0 || ::lstat(path.c_str(), &st) != 0) {
        return Error{"cannot create the journal directory " + path + ": " + std::strerror(errno)};
      }
    }
    if (S_ISLNK(st.st_mode)) {
      return Error{"refusing the journal directory: " + path + " is a symbolic link, not a directory"};
    }
    if (!S_ISDIR(st.st_mode)) return Error{"refusing the journal directory: " + path + " is not a directory"};
    if (st.st_uid != owner) {
      return Error{"refusing the journal directory: " + path + " belongs to uid " + std::to_string(st.st_uid) +
                   ", not to uid " + std::to_string(owner)};
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
      return Error{"refusing the journal directory: " + path + " is writable by others (mode " + fmt_mode(st.st_mode) +
                   ")"};
    }
  }
  return {};
}

}  // namespace

std::string journal_directory(const std::string& root, bool user) {
  if (user) {
    const char* state = std::getenv("XDG_STATE_HOME");
    if (state && state[0] == '/') return std::string(state) + "/elfrun/fixes";
    const char* home = std::getenv("HOME");
    return std::string(home ? home : "") + "/.local/state/elfrun/fixes";
  }
  return (root == "/" ? std::string() : root) + "/var/lib/elfrun/fixes";
}

Expected<void> prepare_journal_directory(const std::string& directory, const std::string& trusted_base) {
  return check_components(directory, trusted_base, true);
}

Expected<void> check_journal_directory(const std::string& directory, const std::string& trusted_base) {
  return check_components(directory, trusted_base, false);
}

std::string journal_json(const Journal& journal) {
  Json object;
  object["id"] = journal.id;
  object["created"] = journal.created;
  object["programs"] = journal.programs;
  object["entries"] = Json::array();
  for (const JournalEntry& entry : journal.entries) {
    Json item;
    item["kind"] = kind_name(entry.kind);
    item["path"] = entry.path;
    if (entry.kind == Change::Kind::symlink || entry.kind == Change::Kind::binfmt) item["target"] = entry.target;
    if (entry.kind == Change::Kind::file) item["sha256"] = entry.sha256;
    object["entries"].push_back(item);
  }
  object["ldconfig"] = journal.ldconfig;
  if (journal.host_ldconfig) object["host_ldconfig"] = true;
  if (journal.ldconfig) {
    object["cache_sha256"] = journal.cache_sha256;
    object["aux_cache_sha256"] = journal.aux_cache_sha256;
  }
  return object.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Expected<Journal> parse_journal(const std::string& text, const std::string& file) {
  Json object = Json::parse(text, nullptr, false);
  auto bad = [&](const std::string& what) { return Error{file + ": not an elfrun fix journal (" + what + ")"}; };
  if (object.is_discarded() || !object.is_object()) return bad("not a JSON object");
  Journal journal;
  if (!object.contains("id") || !object["id"].is_string()) return bad("no id");
  journal.id = object["id"];
  if (object.contains("created") && object["created"].is_string()) journal.created = object["created"];
  if (object.contains("programs") && object["programs"].is_array()) {
    for (const Json& program : object["programs"]) {
      if (program.is_string()) journal.programs.push_back(program);
    }
  }
  if (!object.contains("entries") || !object["entries"].is_array()) return bad("no entries");
  for (const Json& item : object["entries"]) {
    if (!item.is_object() || !item.contains("kind") || !item["kind"].is_string() || !item.contains("path") ||
        !item["path"].is_string()) {
      return bad("an entry without kind and path");
    }
    auto kind = kind_from(item["kind"]);
    if (!kind) return bad("an entry of unknown kind");
    JournalEntry entry;
    entry.kind = *kind;
    entry.path = item["path"];
    if (entry.path.empty() || entry.path[0] != '/') return bad("a relative path");
    if (item.contains("target") && item["target"].is_string()) entry.target = item["target"];
    if (item.contains("sha256") && item["sha256"].is_string()) entry.sha256 = item["sha256"];
    journal.entries.push_back(entry);
  }
  if (object.contains("ldconfig") && object["ldconfig"].is_boolean()) journal.ldconfig = object["ldconfig"];
  if (object.contains("host_ldconfig") && object["host_ldconfig"].is_boolean()) {
    journal.host_ldconfig = object["host_ldconfig"];
  }
  for (auto [key, field] :
       {std::pair{"cache_sha256", &journal.cache_sha256}, std::pair{"aux_cache_sha256", &journal.aux_cache_sha256}}) {
    if (object.contains(key) && object[key].is_string()) *field = object[key];
  }
  return journal;
}

Expected<void> write_journal(const std::string& directory, const Journal& journal) {
  if (!util::write_file_atomically(directory, journal.id + ".json", journal_json(journal))) {
    return Error{"cannot write the journal " + directory + "/" + journal.id + ".json: " + std::strerror(errno)};
  }
  return {};
}

Expected<std::vector<Journal>> read_journals(const std::string& directory) {
  std::vector<Journal> journals;
  DIR* dir = ::opendir(directory.c_str());
  if (!dir) {
    if (errno == ENOENT) return journals;
    return Error{directory + ": " + std::strerror(errno)};
  }
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0 && name[0] != '.') names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string path = directory + "/" + name;
    auto text = util::read_own_file(directory, name);
    if (!text) return Error{"refusing the journal " + path + ": not a regular file of ours, or unreadable"};
    auto journal = parse_journal(*text, path);
    if (!journal) return journal.error();
    journals.push_back(std::move(*journal));
  }
  return journals;
}

std::string new_journal_id() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return std::string(text) + "-" + std::to_string(::getpid());
}

std::optional<std::string> debian_owner(const std::string& root, const std::string& path) {
  std::string info = (root == "/" ? std::string() : root) + "/var/lib/dpkg/info";
  DIR* dir = ::opendir(info.c_str());
  if (!dir) return std::nullopt;
  std::optional<std::string> owner;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".list") != 0) continue;
    std::ifstream list(info + "/" + name);
    std::string line;
    while (std::getline(list, line)) {
      if (line == path) {
        owner = name.substr(0, name.size() - 5);
        break;
      }
    }
    if (owner) break;
  }
  ::closedir(dir);
  return owner;
}

}  // namespace elfrun::fix
