// why's symbol check (on by default, --fast skips it): what `ldd -r` reports, without running anything. The lookup
// rules are loader/symbol_scope.h's; this file turns what it finds into findings.
#include <elf.h>

#include "diagnose/walk.h"
#include "loader/symbol_scope.h"

namespace elfrun::diagnose {

namespace {

constexpr size_t kEvidenceSymbols = 20;

std::string shown_name(const loader::Resolution& resolution, size_t index, const ExecTarget& target) {
  if (index == 0) return target.shown;
  const loader::LoadedObject& object = resolution.objects[index];
  return object.path.empty() ? object.name : object.path;
}

}  // namespace

void check_symbols(Walk& walk, const ExecTarget& target, const loader::Resolution& resolution) {
  std::vector<std::string> problems;
  auto found = loader::find_undefined_symbols(resolution, walk.options().root, target.host_path, problems);
  for (const std::string& problem : problems) walk.add("symbols-unreadable", Severity::warning, target.shown, problem);
  std::vector<std::string> scope_names;
  for (size_t s : resolution.search_order) scope_names.push_back(shown_name(resolution, s, target));
  for (const loader::UndefinedReferences& missing : found) {
    std::string who = shown_name(resolution, missing.object, target);
    auto describe = [](const loader::UndefinedSymbol& r) {
      return r.name + (r.version.empty() ? "" : ", version " + r.version);
    };
    std::string first = describe(missing.symbols.front());
    std::string more =
        missing.symbols.size() > 1 ? " (and " + std::to_string(missing.symbols.size() - 1) + " more)" : "";
    Severity severity = missing.blocking() ? Severity::blocking : Severity::warning;
    std::string verdict =
        severity == Severity::blocking
            ? target.shown + " will not run: " + who + ": undefined symbol: " + first + more +
                  " — no loaded object defines it, the loader stops with \"symbol lookup error\""
            : who + ": undefined symbol: " + first + more +
                  " — no loaded object defines it: the program starts, and stops with \"symbol lookup error\" when "
                  "it first calls it";
    Finding& finding = walk.add("symbol-undefined", severity, target.shown, verdict);
    // As ldd -r prints them (with a blank where it has a tab).
    for (size_t k = 0; k < missing.symbols.size(); ++k) {
      (k < kEvidenceSymbols ? finding.evidence : finding.details)
          .push_back("undefined symbol: " + describe(missing.symbols[k]) + " (" + who + ")");
    }
    if (missing.symbols.size() > kEvidenceSymbols) {
      finding.evidence.push_back("... and " + std::to_string(missing.symbols.size() - kEvidenceSymbols) +
                                 " more (-v shows them)");
    }
    finding.evidence.push_back(std::string(missing.bind_now ? "bound at start (DF_BIND_NOW)" : "lazily bound") +
                               "; looked up in: " + join(scope_names, ", "));
  }
}

}  // namespace elfrun::diagnose
