// `elfrun run [OPTIONS] [--] PROGRAM [ARGS...]` before any parsing: where PROGRAM is, and the fast path that execs
// a cached plan (run/plan_cache.h) before main() runs.
#pragma once

#include <string_view>
#include <vector>

namespace elfrun::cli {

struct RunCommandLine {
  int run = -1;          // argv index of the word "run"; -1 when this is not `elfrun run`
  int program = -1;      // argv index of PROGRAM; -1 when there is none
  int options_end = -1;  // argv index where run's options end (PROGRAM, or the "--" before it)
  // The words from the first option to PROGRAM, when they are all options the plan cache may serve (those that
  // only shape the plan: --root, --loader, --library-path, --argv0, --search, --allow-setuid, "--"); empty otherwise
  // (--print prints, --help and unknown options go to the parser). -v is left out of them: a -v run is never served
  // from the cache (it says how the plan is made), but its plan is stored for the same command without -v.
  std::vector<std::string_view> cacheable_words;
  bool verbose = false;
};

// Everything from PROGRAM on is the program's, byte for byte, whatever it looks like ("--print", "--", "-v"...).
RunCommandLine find_run_command_line(int argc, char** argv);

// Execs the cached plan of this command when there is one that still holds; returns when there is none (or the exec
// failed), and then main() decides as usual. Runs from .preinit_array (see run_fast.cc).
void run_cached_plan(int argc, char** argv, char** envp);

}  // namespace elfrun::cli
