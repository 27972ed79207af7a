// why's remedy for a program whose loader or libraries the machine lacks or has too old (issue 16): the packages
// of the distribution's archive that have them, named by Debian's policy (fetch/policy.h), and the `elfrun run
// --fetch` line that fetches, verifies and uses them. why never touches the network: the suite is the oldest of
// those listed whose packages satisfy the program, which only `run --fetch` (downloading them) can tell.
#include "diagnose/fetch_remedy.h"

#include "elf/byte_source.h"
#include "fetch/provision.h"
#include "util/quote.h"

namespace elfrun::diagnose {

void add_fetch_remedy(const std::string& program, const DiagnoseOptions& options, Diagnosis& diagnosis) {
  if (diagnosis.runs || diagnosis.input_error || options.loader) return;
  // --root DIR: the machine is DIR (fetch/provision.h). A run line that leaves DIR for a loader of this machine
  // (remedies.cc tries those too) does not make DIR enough: the fetch line is then offered after it.
  std::string root = options.root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root == "/") root.clear();
  if (diagnosis.run_command && (root.empty() || diagnosis.run_command->find(" --root ") != std::string::npos)) return;
  auto source = elf::ByteSource::open(program);
  if (!source) return;
  auto object = elf::parse_elf(**source);
  if (!object) return;
  fetch::Suggestion suggestion = fetch::suggest(program, *object, root);
  // Libraries no package is known to ship (outside Debian's naming policy, in no Contents index read): said, and
  // no package named for them.
  if (suggestion.packages.empty()) {
    for (Finding& finding : diagnosis.findings) {
      if (finding.severity != Severity::blocking || suggestion.unnamed.empty()) continue;
      finding.evidence.insert(finding.evidence.end(), suggestion.unnamed.begin(), suggestion.unnamed.end());
      break;
    }
    return;
  }
  std::string packages, suites;
  for (const std::string& name : suggestion.packages) packages += (packages.empty() ? "" : ", ") + name;
  for (const std::string& suite : suggestion.suites) suites += (suites.empty() ? "" : ", ") + suite;
  std::string line = options.elfrun + " run " + (root.empty() ? "" : "--root " + util::shell_quote(root) + " ") +
                     "--fetch " + util::shell_quote(program);
  bool other_run = diagnosis.run_command.has_value();
  for (Finding& finding : diagnosis.findings) {
    if (finding.severity != Severity::blocking) continue;
    if (finding.code == "machine-unsupported") {
      // A foreign program whose qemu-user is not installed: that comes first (its finding's fix), the packages
      // only help once it is; the line is not a run command that works yet.
      finding.fixes.push_back(line + "   # then, with qemu-user installed");
    } else if (other_run) {
      finding.fixes.insert(finding.fixes.begin(), line);
    } else {
      diagnosis.run_command = line;
    }
    finding.evidence.push_back(
        "the distribution's archive has what it needs: " + packages +
        (suggestion.known_suite.empty()
             ? std::string(suggestion.located.empty() ? " (named by Debian's policy"
                                                      : " (named by Debian's policy and the archive's Contents index") +
                   "; the suite is unknown until `elfrun run --fetch` tries " + suites +
                   " in that order and takes the oldest whose packages satisfy it, verified, into its store)"
             : " from " + suggestion.known_suite + " (its indexes as `elfrun run --fetch` last read them)"));
    finding.evidence.insert(finding.evidence.end(), suggestion.located.begin(), suggestion.located.end());
    break;
  }
}

}  // namespace elfrun::diagnose
