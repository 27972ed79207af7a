// The Contents index through apt (contents_index.h): apt-get update with the Contents-deb target in a lists
// directory of its own, apt-get indextargets for the file apt stored, apt-helper cat-file to read it.
#include "fetch/contents_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <fstream>

#include "fetch/contents.h"
#include "fetch/process.h"
#include "util/cache_file.h"
#include "util/text.h"

namespace elfrun::fetch {

namespace {

constexpr const char* kAptHelper = "/usr/lib/apt/apt-helper";
constexpr time_t kMaxAge = 7 * 24 * 3600;
constexpr size_t kMaxAnswers = 512;  // lines of the answers file (it stays well below read_own_file's 64 KiB)

std::string contents_directory(const AptState& state) { return state.directory() + "/contents"; }

// apt's options of the state (its status, archives, preferences) with the lists, sources and cache of the Contents
// index, and the target defined as apt-file defines it. Later -o options override earlier ones.
std::vector<std::string> contents_command(const AptState& state, const char* tool) {
  std::vector<std::string> argv = state.command(tool);
  const std::string d = contents_directory(state);
  const std::string target = "Acquire::IndexTargets::deb::Contents-deb::";
  argv.insert(argv.end(),
              {"-o", "Dir::State::Lists=" + d + "/lists", "-o", "Dir::Etc::SourceList=" + d + "/sources.list", "-o",
               "Dir::Etc::SourceParts=" + d + "/sources.list.d", "-o", "Dir::Cache::pkgcache=", "-o",
               "Dir::Cache::srcpkgcache=", "-o", target + "MetaKey=$(COMPONENT)/Contents-$(ARCHITECTURE)", "-o",
               target + "ShortDescription=Contents-$(ARCHITECTURE)", "-o",
               target + "Description=$(RELEASE)/$(COMPONENT) $(ARCHITECTURE) Contents (deb)", "-o",
               target + "KeepCompressed=true"});
  return argv;
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text;
}

Expected<void> prepare(const AptState& state) {
  const std::string d = contents_directory(state);
  for (const std::string& sub : {d, d + "/lists", d + "/lists/partial", d + "/sources.list.d"}) {
    if (::mkdir(sub.c_str(), 0700) != 0 && errno != EEXIST) return Error{sub + ": cannot be made"};
  }
  const Archive& archive = state.archive();
  std::string sources = "deb [signed-by=" + archive.keyring + " arch=" + archive.arch +
                        " arch-=all target=Contents-deb] " + archive.mirror + " " + archive.suite + " main\n";
  if (read_text(d + "/sources.list") != sources && !write_text(d + "/sources.list", sources)) {
    return Error{d + "/sources.list: cannot be written"};
  }
  return {};
}

// The Contents file apt stored for the state's architecture, as apt-get indextargets names it; "" when there is none
// (never downloaded) or it is not trusted.
std::string index_file(const AptState& state) {
  std::vector<std::string> argv = contents_command(state, "apt-get");
  argv.insert(argv.end(),
              {"indextargets", "--format", "$(TRUSTED) $(ARCHITECTURE) $(FILENAME)", "Identifier: Contents-deb"});
  ChildResult result = run_child(argv);
  if (!result.ok()) return {};
  const std::string prefix = "yes " + state.archive().arch + " ";
  const std::string lists = contents_directory(state) + "/lists/";
  for (std::string_view line : util::split_lines(result.output)) {
    if (line.substr(0, prefix.size()) != prefix) continue;
    std::string file(line.substr(prefix.size()));
    struct stat st {};
    // Ours: inside the lists directory this state gave apt, a regular file.
    if (file.compare(0, lists.size(), lists) == 0 && file.find("/../") == std::string::npos &&
        ::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      return file;
    }
  }
  return {};
}

// The age of the index: the lists directory's mtime, set after each successful update.
bool fresh(const AptState& state) {
  struct stat st {};
  return ::stat((contents_directory(state) + "/lists").c_str(), &st) == 0 && std::time(nullptr) - st.st_mtime < kMaxAge;
}

// apt's own error lines ("E: Failed to fetch ... File has unexpected size ... Mirror sync in progress?"), the
// first three, else its last lines.
std::string apt_errors(const std::string& output) {
  std::string joined;
  int count = 0;
  for (std::string_view line : util::split_lines(output)) {
    if (count == 3 || (line.substr(0, 3) != "E: " && line.substr(0, 3) != "W: ")) continue;
    joined += (joined.empty() ? "" : "; ") + std::string(line);
    ++count;
  }
  return joined.empty() ? last_lines(output, 3) : joined;
}

Expected<void> update(const AptState& state) {
  std::vector<std::string> argv = contents_command(state, "apt-get");
  argv.push_back("update");
  ChildResult result = run_child(argv);
  // As for the Packages indexes: a source that failed is a "W:" or "E:" line even when apt-get exits 0.
  if (!result.ok() || result.output.find("\nW: Failed") != std::string::npos ||
      result.output.find("\nE: ") != std::string::npos) {
    return Error{"apt-get update of the Contents index (" + state.archive().mirror + " " + state.archive().suite +
                 ", " + state.archive().arch + ") failed: " + apt_errors(result.output)};
  }
  ::utimensat(AT_FDCWD, (contents_directory(state) + "/lists").c_str(), nullptr, 0);
  return {};
}

// A path the answers file can hold on one line: printable ASCII, no blank, not long (the file stays small).
bool rememberable(const std::string& path) {
  if (path.size() > 512) return false;
  for (char c : path) {
    if (c <= ' ' || c > '~') return false;
  }
  return !path.empty();
}

ContentsAnswers read_answers(const AptState& state) {
  ContentsAnswers answers;
  auto text = util::read_own_file(contents_directory(state), "answers");
  if (!text) return answers;
  for (std::string_view line : util::split_lines(*text)) {
    auto words = util::split_non_empty(line, ' ');
    if (words.size() != 2 || !rememberable(words[0])) continue;
    std::vector<std::string> packages;
    if (words[1] != "-") packages = util::split_non_empty(words[1], ',');
    answers[words[0]] = std::move(packages);
  }
  return answers;
}

void remember(const AptState& state, const ContentsAnswers& found, bool fresh_index) {
  ContentsAnswers answers = fresh_index ? ContentsAnswers() : read_answers(state);
  if (answers.size() > kMaxAnswers) answers.clear();
  for (const auto& [path, packages] : found) {
    if (rememberable(path)) answers[path] = packages;
  }
  std::string text;
  for (const auto& [path, packages] : answers) {
    std::string list;
    for (const std::string& package : packages) list += (list.empty() ? "" : ",") + package;
    text += path + " " + (list.empty() ? "-" : list) + "\n";
  }
  util::write_file_atomically(contents_directory(state), "answers", text);
}

}  // namespace

Expected<ContentsAnswers> look_up_contents(const AptState& state, const std::vector<std::string>& paths,
                                           const std::function<void(const std::string&)>& progress) {
  if (auto known = remembered_contents(state, paths); known && fresh(state)) return *known;
  if (auto prepared = prepare(state); !prepared) return prepared.error();
  std::string file = index_file(state);
  bool downloaded = false;
  if (file.empty() || !fresh(state)) {
    if (progress) {
      progress("reading the Contents index of " + state.archive().suite + " (" + state.archive().arch +
               "): which package ships a file");
    }
    if (auto updated = update(state); !updated) {
      // An older index apt kept (it keeps the previous files when an update fails) still answers: a week-old list
      // of files is better than none. Without one, the error.
      std::string kept = index_file(state);
      if (kept.empty()) return updated.error();
      if (progress) progress(updated.error().message + "; using the index fetched before");
      file = kept;
    } else {
      file = index_file(state);
      downloaded = true;
    }
    if (file.empty()) {
      return Error{"apt fetched no trusted Contents index of " + state.archive().suite + " (" + state.archive().arch +
                   ") from " + state.archive().mirror};
    }
  }
  ContentsSearch search(paths);
  ChildResult result =
      run_child_streaming({kAptHelper, "cat-file", file}, [&](std::string_view chunk) { search.feed(chunk); });
  search.finish();
  if (!result.ok())
    return Error{std::string(kAptHelper) + " cat-file " + file + " failed: " + last_lines(result.output, 3)};
  if (search.lines() == 0) return Error{file + ": the Contents index is empty"};
  remember(state, search.found(), downloaded);
  return search.found();
}

std::optional<ContentsAnswers> remembered_contents(const AptState& state, const std::vector<std::string>& paths) {
  ContentsAnswers answers = read_answers(state);
  ContentsAnswers out;
  for (const std::string& path : paths) {
    auto it = answers.find(path);
    if (it == answers.end()) return std::nullopt;
    out.insert(*it);
  }
  return out;
}

}  // namespace elfrun::fetch
