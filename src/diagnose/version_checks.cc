// Symbol versions as glibc's elf/dl-version.c checks them before anything runs: for every loaded object, each
// DT_VERNEED entry names a library (found among the loaded objects by name or SONAME, find_needed) and the versions
// it must define in its DT_VERDEF (compared by hash and name, match_symbol). A missing version stops the loader
// ("version `GLIBC_2.34' not found (required by ./prog)") unless the reference is weak; a library without any
// DT_VERDEF only draws a warning ("no version information available").
#include <elf.h>

#include <algorithm>
#include <map>

#include "diagnose/walk.h"
#include "util/text.h"

namespace elfrun::diagnose {

namespace {

// glibc's _dl_name_match_p: the name a map was loaded by or its SONAME.
bool name_matches(const loader::LoadedObject& object, const std::string& name) {
  return object.name == name || (object.soname && *object.soname == name) ||
         (!object.path.empty() && object.path == name);
}

std::optional<size_t> find_needed(const loader::Resolution& resolution, size_t requester, const std::string& file) {
  for (const loader::DependencyEdge& edge : resolution.edges) {
    if (edge.from == requester && edge.needed == file) return edge.to;
  }
  for (size_t i = 0; i < resolution.objects.size(); ++i) {
    if (name_matches(resolution.objects[i], file)) return i;
  }
  return std::nullopt;
}

// "GLIBC_2.34" -> ("GLIBC_", {2, 34}); names without a number keep an empty list.
std::pair<std::string, std::vector<uint64_t>> split_version(const std::string& name) {
  size_t digits = name.find_first_of("0123456789");
  std::pair<std::string, std::vector<uint64_t>> parts{name.substr(0, digits), {}};
  if (digits == std::string::npos) return parts;
  uint64_t value = 0;
  bool in_number = false;
  for (size_t i = digits; i < name.size(); ++i) {
    if (name[i] >= '0' && name[i] <= '9') {
      value = std::min<uint64_t>(value * 10 + static_cast<uint64_t>(name[i] - '0'), UINT32_MAX);
      in_number = true;
    } else {
      if (in_number) parts.second.push_back(value);
      value = 0;
      in_number = false;
    }
  }
  if (in_number) parts.second.push_back(value);
  return parts;
}

// The newest version of the provider with the same prefix as `wanted` ("GLIBC_2.31" for "GLIBC_2.34").
std::optional<std::string> newest_like(const elf::ElfObject& provider, const std::string& wanted) {
  auto [prefix, ignored] = split_version(wanted);
  std::optional<std::string> best;
  std::vector<uint64_t> best_numbers;
  for (const elf::VersionDefinition& definition : provider.dynamic->version_definitions) {
    if (definition.names.empty() || (definition.flags & VER_FLG_BASE)) continue;
    auto [other_prefix, numbers] = split_version(definition.names[0]);
    if (other_prefix != prefix || numbers.empty()) continue;
    if (!best || numbers > best_numbers) {
      best = definition.names[0];
      best_numbers = numbers;
    }
  }
  return best;
}

std::string shown_name(const loader::Resolution& resolution, size_t index, const ExecTarget& target) {
  if (index == 0) return target.shown;
  const loader::LoadedObject& object = resolution.objects[index];
  return object.path.empty() ? object.name : object.path;
}

}  // namespace

std::vector<VersionProblem> find_version_problems(const loader::Resolution& resolution) {
  std::vector<VersionProblem> problems;
  for (size_t i = 0; i < resolution.objects.size(); ++i) {
    const loader::LoadedObject& object = resolution.objects[i];
    if (!object.elf || !object.elf->dynamic || object.found_by == loader::FoundBy::not_found) continue;
    for (const elf::VersionNeed& need : object.elf->dynamic->version_needs) {
      auto provider_index = find_needed(resolution, i, need.file);
      if (!provider_index) continue;  // a missing library: reported as such (dl-version.c skips faked maps)
      const loader::LoadedObject& provider = resolution.objects[*provider_index];
      if (!provider.elf || provider.found_by == loader::FoundBy::not_found) continue;
      const auto& definitions =
          provider.elf->dynamic ? provider.elf->dynamic->version_definitions : std::vector<elf::VersionDefinition>{};
      if (definitions.empty()) {
        problems.push_back({i, *provider_index, "", need.file, false, true});
        continue;
      }
      for (const elf::VersionNeeded& version : need.versions) {
        bool defined = std::any_of(definitions.begin(), definitions.end(), [&](const elf::VersionDefinition& d) {
          return d.hash == version.hash && !d.names.empty() && d.names[0] == version.name;
        });
        if (!defined) {
          problems.push_back({i, *provider_index, version.name, need.file, (version.flags & VER_FLG_WEAK) != 0, false});
        }
      }
    }
  }
  return problems;
}

void check_versions(Walk& walk, const ExecTarget& target, const loader::Resolution& resolution) {
  auto problems = find_version_problems(resolution);
  // One finding per requester and provider, with every version missing between them.
  std::map<std::pair<size_t, size_t>, std::vector<const VersionProblem*>> grouped;
  for (const VersionProblem& problem : problems) grouped[{problem.requester, problem.provider}].push_back(&problem);
  std::optional<size_t> last_blocking;  // the index of the last version-missing finding
  for (const auto& [pair, list] : grouped) {
    auto [requester_index, provider_index] = pair;
    std::string requester = shown_name(resolution, requester_index, target);
    std::string provider = shown_name(resolution, provider_index, target);
    const elf::ElfObject& provider_elf = *resolution.objects[provider_index].elf;
    if (list.front()->no_version_info) {
      Finding& finding =
          walk.add("version-info-missing", Severity::warning, target.shown,
                   provider + ": no version information available (required by " + requester +
                       "): it was linked against a " + list.front()->file + " with symbol versions, this one has none");
      finding.evidence.push_back(provider + " has no DT_VERDEF");
      continue;
    }
    std::vector<std::string> hard, weak;
    for (const VersionProblem* problem : list) (problem->weak ? weak : hard).push_back(problem->version);
    for (const std::string& version : weak) {
      walk.add("weak-version-missing", Severity::warning, target.shown,
               provider + ": weak version `" + version + "' not found (required by " + requester +
                   "): the loader goes on, the symbols of that version will be missing");
    }
    if (hard.empty()) continue;
    auto newest = newest_like(provider_elf, hard.front());
    std::string verdict = target.shown + " will not run: " + provider + ": version `" + hard.front() +
                          "' not found (required by " + requester + ")";
    if (hard.size() > 1) {
      verdict += ", nor " + join(std::vector<std::string>(hard.begin() + 1, hard.end()), ", ");
    }
    verdict += newest ? " — " + std::string(util::base_name(provider)) + " there provides up to " + *newest
                      : " — " + std::string(util::base_name(provider)) + " there defines no version of that kind";
    Finding& finding = walk.add("version-missing", Severity::blocking, target.shown, verdict);
    last_blocking = walk.findings.size() - 1;
    finding.evidence.push_back("DT_VERNEED of " + requester + " asks " + list.front()->file + " for " +
                               join(hard, ", "));
    std::vector<std::string> defined;
    for (const elf::VersionDefinition& definition : provider_elf.dynamic->version_definitions) {
      if (!definition.names.empty() && !(definition.flags & VER_FLG_BASE)) defined.push_back(definition.names[0]);
    }
    std::string listed = defined.size() <= 8
                             ? join(defined, " ")
                             : join(std::vector<std::string>(defined.begin(), defined.begin() + 3), " ") + " ... " +
                                   join(std::vector<std::string>(defined.end() - 4, defined.end()), " ");
    finding.evidence.push_back("DT_VERDEF of " + provider + " (" + std::to_string(defined.size()) +
                               (defined.size() == 1 ? " version): " : " versions): ") + listed);
  }
  if (!last_blocking) return;
  // Loaders elsewhere whose libraries have every version.
  const elf::ElfObject& program = *resolution.objects[0].elf;
  size_t index = *last_blocking;
  for (const loader::DiscoveredLoader* candidate : compatible_loaders(walk, program)) {
    auto other = resolve_under(target.host_path, candidate->path, candidate->library_dirs, true);
    if (!other || other->has_missing()) continue;
    auto remaining = find_version_problems(*other);
    bool fine = std::none_of(remaining.begin(), remaining.end(),
                             [](const VersionProblem& p) { return !p.weak && !p.no_version_info; });
    if (fine)
      walk.findings[index].evidence.push_back("these versions are all there under " + describe_loader(*candidate));
  }
}

}  // namespace elfrun::diagnose
