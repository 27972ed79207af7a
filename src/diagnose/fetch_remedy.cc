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
  if (diagnosis.runs || diagnosis.run_command || diagnosis.input_error || options.root != "/" || options.loader) return;
  auto source = elf::ByteSource::open(program);
  if (!source) return;
  auto object = elf::parse_elf(**source);
  if (!object) return;
  fetch::Suggestion suggestion = fetch::suggest(program, *object);
  if (suggestion.packages.empty()) return;
  std::string packages, suites;
  for (const std::string& name : suggestion.packages) packages += (packages.empty() ? "" : ", ") + name;
  for (const std::string& suite : suggestion.suites) suites += (suites.empty() ? "" : ", ") + suite;
  std::string line = options.elfrun + " run --fetch " + util::shell_quote(program);
  for (Finding& finding : diagnosis.findings) {
    if (finding.severity != Severity::blocking) continue;
    // A foreign program whose qemu-user is not installed: that comes first (its finding's fix), the packages only
    // help once it is; the line is not a run command that works yet.
    if (finding.code == "machine-unsupported") {
      finding.fixes.push_back(line + "   # then, with qemu-user installed");
    } else {
      diagnosis.run_command = line;
    }
    finding.evidence.push_back(
        "the distribution's archive has what it needs: " + packages +
        (suggestion.known_suite.empty()
             ? " (named by Debian's policy; the suite is unknown until `elfrun run --fetch` tries " + suites +
                   " in that order and takes the oldest whose packages satisfy it, verified, into its store)"
             : " from " + suggestion.known_suite + " (its indexes as `elfrun run --fetch` last read them)"));
    break;
  }
}

}  // namespace elfrun::diagnose
