// diagnose(): walks what execve and then the loader would do with a program (exec_checks.cc onwards), and orders
// what it found: the blocking findings first, in the order they were met, then warnings, then facts.
#include <algorithm>

#include "diagnose/fetch_remedy.h"
#include "diagnose/findings.h"
#include "diagnose/walk.h"

namespace elfrun::diagnose {

Diagnosis diagnose(const std::string& program, const DiagnoseOptions& options) {
  Walk walk(options);
  examine_file(walk, program, options.args, 0);

  Diagnosis diagnosis;
  diagnosis.program = program;
  diagnosis.findings = std::move(walk.findings);
  auto rank = [](const Finding& finding) { return static_cast<int>(finding.severity); };
  std::stable_sort(diagnosis.findings.begin(), diagnosis.findings.end(),
                   [&](const Finding& a, const Finding& b) { return rank(a) < rank(b); });
  diagnosis.input_error = walk.input_error;
  const Finding* blocking = diagnosis.first_blocking();
  diagnosis.runs = blocking == nullptr && !walk.input_error;
  if (walk.run_fix && !diagnosis.runs) {
    diagnosis.run_command = walk.run_fix->command;
    diagnosis.run_command_expanded = walk.run_fix->expanded;
    diagnosis.run_loader = walk.run_fix->loader;
    diagnosis.run_library_dirs = walk.run_fix->library_dirs;
    diagnosis.run_qemu = walk.run_fix->qemu;
  }
  add_fetch_remedy(program, options, diagnosis);
  if (blocking) {
    diagnosis.summary = blocking->verdict;
  } else if (walk.input_error) {
    diagnosis.summary = *walk.input_error;
  } else {
    diagnosis.summary = program + " will run: " + (walk.summary_runs.empty() ? "nothing stops it" : walk.summary_runs);
  }
  return diagnosis;
}

}  // namespace elfrun::diagnose
