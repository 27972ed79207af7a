// `elfrun deps`: the libraries a program loads, resolved as its own loader would, printed as a tree (with the
// reason each was found), a list, ld.so --list's own format, JSON or a Graphviz graph. Nothing is executed.
#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "diagnose/ld_so_conf.h"
#include "elf/machine.h"
#include "loader/resolver.h"
#include "util/quote.h"

namespace elfrun::cli {

namespace {

using loader::FoundBy;
using loader::LoadedObject;
using loader::Resolution;

struct DepsOptions {
  std::string root;
  std::optional<std::string> library_path;
  std::optional<std::string> preload;
  bool inhibit_cache = false;
  std::optional<std::string> hwcaps;
  std::optional<std::string> loader;
  std::string format = "tree";
  bool verbose = false;
  std::vector<std::string> files;
};

// The first line of a #! script: its interpreter (the kernel reads at most 256 bytes; fs/binfmt_script.c).
std::optional<std::string> script_interpreter(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  char buffer[256];
  ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n < 3 || buffer[0] != '#' || buffer[1] != '!') return std::nullopt;
  std::string line(buffer + 2, static_cast<size_t>(n) - 2);
  line = line.substr(0, line.find('\n'));
  size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return std::nullopt;
  size_t end = line.find_first_of(" \t", start);
  return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// glibc's --preload and LD_PRELOAD lists are split at spaces and colons (elf/rtld.c handle_preload_list).
std::vector<std::string> split_preload(const std::string& list) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start < list.size()) {
    size_t end = list.find_first_of(" :", start);
    if (end == std::string::npos) end = list.size();
    if (end > start) names.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

std::string reason_of(const Resolution& res, const LoadedObject& object) {
  std::string reason;
  switch (object.found_by) {
    case FoundBy::main_program: return "";
    case FoundBy::preload: reason = "preload"; break;
    case FoundBy::vdso: return "[kernel vdso]";
    case FoundBy::loader: return "[the loader]";
    case FoundBy::path: reason = "path in DT_NEEDED"; break;
    case FoundBy::not_found: return "";
    case FoundBy::search:
      if (object.search_source == loader::SearchSource::rpath && object.rpath_owner) {
        const LoadedObject& owner = res.objects[*object.rpath_owner];
        std::string owner_name = owner.found_by == FoundBy::main_program ? owner.path : owner.name;
        reason = "rpath of " + owner_name;
      } else if (object.search_source) {
        reason = std::string(loader::search_source_name(*object.search_source));
      }
      break;
  }
  if (!object.hwcaps_subdir.empty()) reason += ", " + object.hwcaps_subdir;
  return "[" + reason + "]";
}

std::vector<std::string> tried_directories(const LoadedObject& object) {
  // A missing library under 10,000 DT_RPATH entries is tried in 110,044 directories: the first 1000 are shown.
  constexpr size_t kShown = 1000;
  std::vector<std::string> dirs;
  std::set<std::string> seen;
  for (const std::string& path : object.tried) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    if (!seen.insert(dir).second) continue;
    if (dirs.size() == kShown) {
      dirs.push_back("... (" + std::to_string(object.tried.size()) + " paths in all: --format json lists them)");
      break;
    }
    dirs.push_back(std::move(dir));
  }
  return dirs;
}

std::string loader_summary(const Resolution& res) {
  const auto& id = res.loader;
  std::string flavour = id.flavour == loader::Flavour::musl    ? "musl"
                        : id.flavour == loader::Flavour::glibc ? "glibc"
                                                               : "unknown";
  std::string text = flavour;
  // A glibc loader without the --version banner predates 2.33 (Debian bullseye's 2.31): the highest GLIBC_ version
  // it defines (2.4 for x86-64) is only a lower bound, and printing it as its release would mislead.
  if (id.flavour == loader::Flavour::glibc && id.version_is_lower_bound) {
    text += " < 2.33";
  } else if (!id.version.empty()) {
    text += " " + id.version;
  }
  text += " loader " + (res.loader_path.empty() ? std::string("(none)") : res.loader_path);
  if (!res.loader_found) text += ", not found: usual facts assumed";
  return text;
}

void print_tree(const std::string& file, const Resolution& res, bool verbose) {
  const LoadedObject& main = res.objects[0];
  std::string machine = main.elf ? elf::machine_name(main.elf->header.machine) : "?";
  out(fmt::format("{} {}\n", styled(printable(file), Style::bold),
                  styled(fmt::format("[{}, {}]", machine, loader_summary(res)), Style::dim)));
  if (res.is_static) {
    out("    statically linked: nothing to load\n");
    return;
  }
  std::vector<std::vector<const loader::DependencyEdge*>> children(res.objects.size());
  for (const auto& edge : res.edges) children[edge.from].push_back(&edge);
  // Missing objects have no edge to them (each is its own entry); show them under their requester.
  std::vector<std::vector<size_t>> missing_under(res.objects.size());
  for (size_t i = 1; i < res.objects.size(); ++i) {
    const LoadedObject& o = res.objects[i];
    if (o.found_by == FoundBy::not_found && o.requested_by) missing_under[*o.requested_by].push_back(i);
  }
  std::vector<bool> expanded(res.objects.size(), false);
  expanded[0] = true;
  std::function<void(size_t, const std::string&)> walk = [&](size_t index, const std::string& prefix) {
    std::vector<size_t> kids;
    for (const auto* edge : children[index]) kids.push_back(edge->to);
    for (size_t m : missing_under[index]) {
      if (std::find(kids.begin(), kids.end(), m) == kids.end()) kids.push_back(m);
    }
    for (size_t k = 0; k < kids.size(); ++k) {
      bool last = k + 1 == kids.size();
      const LoadedObject& o = res.objects[kids[k]];
      std::string branch = prefix + (last ? "└── " : "├── ");
      std::string next_prefix = prefix + (last ? "    " : "│   ");
      if (o.found_by == FoundBy::not_found) {
        out(branch + styled(printable(o.name) + " => not found", Style::red) + "\n");
        auto dirs = tried_directories(o);
        if (!dirs.empty())
          out(next_prefix + styled("tried: " + printable(fmt::format("{}", fmt::join(dirs, ", "))), Style::dim) + "\n");
        for (const auto& rejected : o.rejected) {
          out(next_prefix + styled("rejected " + printable(rejected.path) + ": " + rejected.reason, Style::dim) + "\n");
        }
        continue;
      }
      std::string line = o.name == o.path ? printable(o.name) : printable(o.name) + " => " + printable(o.path);
      // Each object is expanded once, under the object that loaded it (the loader's breadth-first requester).
      bool home = !o.requested_by || *o.requested_by == index;
      if (expanded[kids[k]] || !home) {
        out(branch + styled(line, Style::dim) + "\n");
        continue;
      }
      expanded[kids[k]] = true;
      out(branch + line + " " + styled(reason_of(res, o), Style::cyan) + "\n");
      if (verbose) {
        for (const auto& rejected : o.rejected) {
          out(next_prefix + styled("rejected " + printable(rejected.path) + ": " + rejected.reason, Style::dim) + "\n");
        }
      }
      walk(kids[k], next_prefix);
    }
  };
  walk(0, "    ");
  if (res.fatal_error) out(styled("    error: " + printable(*res.fatal_error), Style::red) + "\n");
  if (verbose) {
    out(styled("    lookup: " + std::string(loader::lookup_model_name(res.model)), Style::dim) + "\n");
    for (const auto& note : res.notes) out(styled("    note: " + printable(note), Style::yellow) + "\n");
  }
}

void print_ldd(const std::string& file, const Resolution& res) {
  if (res.is_static) {
    out("\tnot a dynamic executable\n");
    return;
  }
  const LoadedObject& main = res.objects[0];
  if (main.elf && main.elf->dynamic && main.elf->dynamic->needed.empty() &&
      res.loader.flavour != loader::Flavour::musl) {
    out("\tstatically linked\n");
    return;
  }
  if (res.fatal_error) {
    print_error(printable(fmt::format("{}: error while loading shared libraries: {}", file, *res.fatal_error)));
    return;
  }
  bool musl = res.loader.flavour == loader::Flavour::musl;
  for (size_t i = 1; i < res.objects.size(); ++i) {
    const LoadedObject& o = res.objects[i];
    if (o.found_by == FoundBy::not_found) {
      if (musl) {
        print_error(printable(fmt::format("Error loading shared library {}: No such file or directory (needed by {})",
                                          o.name, o.requested_by ? res.objects[*o.requested_by].path : file)));
      } else {
        out(fmt::format("\t{} => not found\n", printable(o.name)));
      }
    } else if ((musl && i == 1) || (!musl && o.name == o.path)) {
      out(fmt::format("\t{}\n", printable(o.name)));
    } else {
      out(fmt::format("\t{} => {}\n", printable(o.name), printable(o.path)));
    }
  }
}

// One object of a resolution, as JSON, without its "tried" paths (the last key: write_json_element writes them).
nlohmann::json object_json(size_t i, const LoadedObject& o) {
  using nlohmann::json;
  json j;
  {
    j["index"] = i;
    j["name"] = o.name;
    j["path"] = o.path.empty() ? json(nullptr) : json(o.path);
    j["host_path"] = o.host_path.empty() ? json(nullptr) : json(o.host_path);
    j["soname"] = o.soname ? json(*o.soname) : json(nullptr);
    static const char* const kHow[] = {"program", "preload", "vdso", "loader", "path", "search", "not-found"};
    j["found_by"] = kHow[static_cast<int>(o.found_by)];
    j["search"] = o.search_source ? json(std::string(loader::search_source_name(*o.search_source))) : json(nullptr);
    j["directory"] = o.search_directory.empty() ? json(nullptr) : json(o.search_directory);
    j["hwcaps_subdir"] = o.hwcaps_subdir.empty() ? json(nullptr) : json(o.hwcaps_subdir);
    j["rpath_of"] = o.rpath_owner ? json(*o.rpath_owner) : json(nullptr);
    j["requested_by"] = o.requested_by ? json(*o.requested_by) : json(nullptr);
    if (o.elf) {
      j["class"] = o.elf->is_64() ? 64 : 32;
      j["machine"] = o.elf->header.machine;
      j["machine_name"] = elf::machine_name(o.elf->header.machine);
    }
    json rejected = json::array();
    for (const auto& r : o.rejected) rejected.push_back({{"path", r.path}, {"reason", r.reason}});
    j["rejected"] = rejected;
  }
  return j;
}

// A file's JSON without its objects ("objects" is an empty array, for write_json_element to fill).
nlohmann::json to_json(const std::string& file, const Resolution& res) {
  using nlohmann::json;
  json objects = json::array();
  json edges = json::array();
  for (const auto& e : res.edges) edges.push_back({{"from", e.from}, {"to", e.to}, {"needed", e.needed}});
  json problems = json::array();
  for (const auto& o : res.objects) {
    if (o.found_by == FoundBy::not_found) problems.push_back(o.name + ": not found");
  }
  if (res.fatal_error) problems.push_back(*res.fatal_error);
  const auto& id = res.loader;
  json loader_json = {
      {"path", res.loader_path},
      {"found", res.loader_found},
      {"flavour", id.flavour == loader::Flavour::musl    ? "musl"
                  : id.flavour == loader::Flavour::glibc ? "glibc"
                                                         : "unknown"},
      {"version", id.version},
      {"system_dirs", id.system_dirs},
      {"lib", id.lib},
      {"hwcaps_subdirs", id.hwcaps_subdirs},
      {"from_fallback_table", id.from_fallback_table},
  };
  return {{"file", file},   {"static", res.is_static}, {"loader", loader_json}, {"objects", objects},
          {"edges", edges}, {"problems", problems},    {"notes", res.notes}};
}

void print_dot(const std::string& file, const Resolution& res) {
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') q.push_back('\\');
      q.push_back(c);
    }
    return q + "\"";
  };
  out(fmt::format("digraph {} {{\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n", quote(file)));
  for (size_t i = 0; i < res.objects.size(); ++i) {
    const LoadedObject& o = res.objects[i];
    if (o.found_by == FoundBy::vdso) continue;
    std::string label = i == 0 ? file : o.name;
    std::string attributes = o.found_by == FoundBy::not_found ? ", color=red, fontcolor=red, style=dashed"
                             : i == 0                         ? ", style=bold"
                                                              : "";
    out(fmt::format("  n{} [label={}{}];\n", i, quote(label), attributes));
  }
  for (const auto& e : res.edges) out(fmt::format("  n{} -> n{};\n", e.from, e.to));
  for (size_t i = 1; i < res.objects.size(); ++i) {
    const LoadedObject& o = res.objects[i];
    if (o.found_by == FoundBy::not_found && o.requested_by)
      out(fmt::format("  n{} -> n{} [color=red];\n", *o.requested_by, i));
  }
  out("}\n");
}

// One element of the JSON array of files, written as json_text() writes the whole array (indent 2), but with a
// resolution's objects built and written one at a time: a program with 10,000 missing libraries held 440,000 tried
// paths in one document (207 MB against the loader's 16 MB; issue 13, finding 10). Printed as soon as the file is
// resolved, so the memory of a many-file run does not grow with the files either.
void write_json_element(bool first, const nlohmann::json& element, const Resolution* res) {
  constexpr int kIndent = 2;
  std::string text = first ? "[\n  {" : ",\n  {";
  bool first_key = true;
  for (auto item = element.begin(); item != element.end(); ++item) {
    text += first_key ? "\n    " : ",\n    ";
    first_key = false;
    text += json_text(nlohmann::json(item.key()), kIndent) + ": ";
    if (item.key() != "objects" || res == nullptr || res->objects.empty()) {
      text += json_text(item.value(), kIndent, 2);
      continue;
    }
    text += "[";
    for (size_t i = 0; i < res->objects.size(); ++i) {
      text += i == 0 ? "\n      " : ",\n      ";
      // The object's keys, then "tried" (the last in key order), streamed: 110,000 paths for 10,000 DT_RPATH entries.
      std::string head = json_text(object_json(i, res->objects[i]), kIndent, 3);
      head.resize(head.size() - std::string_view("\n      }").size());
      text += head + ",\n        \"tried\": ";
      const loader::TriedPaths& tried = res->objects[i].tried;
      if (tried.empty()) text += "[]";
      for (size_t k = 0; k < tried.size(); ++k) {
        text += k == 0 ? "[\n          " : ",\n          ";
        text += util::json_string(tried[k]);
        if (text.size() > 65536) {
          out(text);
          text.clear();
        }
      }
      if (!tried.empty()) text += "\n        ]";
      text += "\n      }";
      out(text);
      text.clear();
    }
    text += "\n    ]";
  }
  text += "\n  }";
  out(text);
}

int run_deps(const DepsOptions& options) {
  prepare_stdout();
  static const std::set<std::string> kFormats{"tree", "list", "ldd", "json", "dot"};
  if (!kFormats.count(options.format)) {
    print_error(fmt::format("--format {}: expected tree, list, ldd, json or dot", options.format));
    return 2;
  }
  loader::ResolveOptions resolve;
  resolve.root = options.root.empty() ? "/" : options.root;
  // As ld.so: --library-path replaces LD_LIBRARY_PATH; LD_PRELOAD comes before --preload.
  if (options.library_path) {
    resolve.library_path = options.library_path;
  } else if (const char* env = std::getenv("LD_LIBRARY_PATH")) {
    resolve.library_path = std::string(env);
  }
  if (const char* env = std::getenv("LD_PRELOAD")) resolve.preload = split_preload(env);
  if (options.preload) {
    for (auto& name : split_preload(*options.preload)) resolve.preload.push_back(std::move(name));
  }
  resolve.inhibit_cache = options.inhibit_cache;
  resolve.loader_path = options.loader;
  if (options.hwcaps) {
    std::vector<std::string> names;
    const std::string& list = *options.hwcaps;
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find_first_of(",:", start);
      if (end == std::string::npos) end = list.size();
      if (end > start) names.push_back(list.substr(start, end - start));
      start = end + 1;
    }
    resolve.hwcaps = names;
  }
  loader::Resolver resolver(resolve);
  int status = 0;
  bool several = options.files.size() > 1;
  bool json_first = true;
  std::set<std::string> listed;
  bool conf_read = false;
  std::vector<diagnose::ConfDirectory> conf_directories;
  // Progress only where nothing else shows it: stdout is not the terminal, or JSON comes all at the end.
  Progress progress("deps", options.files.size(), ::isatty(STDOUT_FILENO) != 1 || options.format == "json");
  size_t done = 0;
  size_t with_problems = 0;
  for (const std::string& file : options.files) {
    std::string target = file;
    progress.update(done++, with_problems, file);
    std::optional<std::string> interpreter = script_interpreter(file);
    if (interpreter) target = resolve.root == "/" ? *interpreter : resolve.root + *interpreter;
    auto resolution = resolver.resolve(target);
    if (several && options.format == "ldd") out(fmt::format("{}:\n", file));
    if (!resolution) {
      progress.clear();
      ++with_problems;
      print_error(resolution.error().message);
      if (options.format == "json") {
        write_json_element(json_first, {{"file", file}, {"error", resolution.error().message}}, nullptr);
        json_first = false;
      }
      status = 2;
      continue;
    }
    Resolution& res = *resolution;
    // ld.so never reads ld.so.conf: a library that is only in one of its directories is found after ldconfig has
    // put it in the cache. Say so for each missing library that is there.
    if (res.has_missing() && res.loader.flavour == loader::Flavour::glibc) {
      if (!conf_read) {
        conf_directories = diagnose::read_ld_so_conf(resolve.root);
        conf_read = true;
      }
      for (const LoadedObject& o : res.objects) {
        if (o.found_by != FoundBy::not_found) continue;
        for (const auto& conf : conf_directories) {
          std::string candidate = conf.directory + "/" + o.name;
          const auto& opened = resolver.filesystem().open(candidate);
          if (opened.error == 0 && !opened.is_directory) {
            res.notes.push_back(o.name + " is in " + conf.directory + ", listed in " + conf.file +
                                ", but not in /etc/ld.so.cache, and the loader never reads ld.so.conf: run ldconfig");
            break;
          }
        }
      }
    }
    if (interpreter && options.format != "ldd" && options.format != "list" && options.format != "json") {
      out(fmt::format("{} is a script: the dependencies of its interpreter {}\n", printable(file),
                      printable(*interpreter)));
    }
    if (res.has_missing()) {
      ++with_problems;
      if (status == 0) status = 1;
    }
    if (options.format == "tree") {
      print_tree(interpreter ? *interpreter : file, res, options.verbose);
    } else if (options.format == "ldd") {
      if (res.fatal_error || res.has_missing()) progress.clear();
      print_ldd(file, res);
    } else if (options.format == "list") {
      for (const LoadedObject& o : res.objects) {
        if (&o == &res.objects[0] || o.found_by == FoundBy::vdso) continue;
        if (o.found_by == FoundBy::not_found) {
          progress.clear();
          print_error(file, o.name + ": not found");
          continue;
        }
        if (listed.insert(o.path).second) out(printable(o.path) + "\n");
      }
      if (!res.is_static && res.loader_found && listed.insert(res.loader_path).second) {
        out(printable(res.loader_path) + "\n");
      }
      if (res.fatal_error) {
        progress.clear();
        print_error(file, *res.fatal_error);
      }
    } else if (options.format == "json") {
      nlohmann::json j = to_json(file, res);
      if (interpreter) j["script_interpreter"] = *interpreter;
      write_json_element(json_first, j, &res);
      json_first = false;
    } else {
      print_dot(file, res);
    }
  }
  if (options.format == "json") out(json_first ? "[]\n" : "\n]\n");
  std::fflush(stdout);
  return status;
}

}  // namespace

Runner add_deps_command(CLI::App& app) {
  auto options = std::make_shared<DepsOptions>();
  CLI::App* command = app.add_subcommand(
      "deps", "Resolve a program's libraries exactly as its loader would, without executing anything.");
  command->add_option("--root", options->root, "Resolve as if DIR were / (chroot semantics)");
  command->add_option("--library-path", options->library_path,
                      "Directories searched as LD_LIBRARY_PATH is (replaces it, as ld.so --library-path does)");
  command->add_option("--preload", options->preload, "Libraries to preload, as ld.so --preload");
  command->add_flag("--inhibit-cache", options->inhibit_cache, "Do not use /etc/ld.so.cache");
  command->add_option("--hwcaps", options->hwcaps,
                      "glibc-hwcaps subdirectories to search, best first (e.g. x86-64-v3,x86-64-v2); default: this "
                      "CPU's for native programs, none for foreign ones");
  command->add_option("--loader", options->loader,
                      "Resolve as this loader would (a path inside the root), instead of the file's PT_INTERP or, "
                      "for a file without one, the loader of the C library it was built for");
  command->add_option("--format", options->format, "tree (default), list, ldd, json or dot");
  command->add_flag("-v,--verbose", options->verbose, "Also show rejected candidates and notes");
  command->add_option("FILE", options->files, "Programs or libraries")->required();
  return [options]() { return run_deps(*options); };
}

}  // namespace elfrun::cli
