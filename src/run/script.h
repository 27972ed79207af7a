// `elfrun run` of a #! script (issue 4): the script's interpreter goes through the same decision as any program. When
// the interpreter would run as it is, the script is handed to the kernel unchanged; when it cannot (its PT_INTERP is
// missing, it is for another machine...), elfrun runs the interpreter itself — through a loader or qemu-user — with
// the argv the kernel would have given it (Linux fs/binfmt_script.c), following #! interpreters that are scripts
// themselves and "#!/usr/bin/env NAME" as env would.
#pragma once

#include <optional>
#include <string>

#include "elf/byte_view.h"
#include "run/plan.h"
#include "util/expected.h"

namespace elfrun::run {

// The kernel reads this many bytes of a file to find its #! line (BINPRM_BUF_SIZE, include/uapi/linux/binfmts.h).
inline constexpr size_t kShebangBufferSize = 256;

// How many #! scripts one execve follows before ELOOP. Linux fs/exec.c exec_binprm allows six binary handlers per
// execve (depth 0 to 5): five scripts and the program that finally runs. Measured on Linux 6.x: a chain of five
// scripts runs, a chain of six fails with "Too many levels of symbolic links".
inline constexpr int kMaxScriptLevels = 5;

// How many "#!/usr/bin/env NAME" hops elfrun follows; each is a new execve for the kernel (so its script count starts
// again), and a script that names itself through env would make env run it forever.
inline constexpr int kMaxEnvHops = 8;

// A #! line as the kernel splits it.
struct Shebang {
  std::string interpreter;              // the path up to the first blank, tab or NUL, as written (a '\r' included)
  std::optional<std::string> argument;  // the rest of the line as ONE argument, blanks and tabs trimmed at both ends
};

// The #! line at the start of `head` (the file's first bytes; only the first kShebangBufferSize count), split as
// Linux fs/binfmt_script.c load_script splits it. The error says why the kernel refuses the line (ENOEXEC): no "#!",
// no interpreter named, or an interpreter path that does not end within the 256 bytes. Reads nothing else.
Expected<Shebang> parse_shebang(elf::ByteView head);

// For "#!/usr/bin/env NAME" (any path whose last component is "env"): NAME, when env would run it with execvp as it
// is — one word, not an option ('-'), not an assignment ('='). nullopt for every other line.
std::optional<std::string> env_command(const Shebang& shebang);

// The plan for running `script` (the path elfrun would execve: the PATH lookup result for a bare name), whose first
// bytes are `head` (they start with "#!"), with request.args. `env_hops` counts the "#!/usr/bin/env" hops already
// followed to get here. Checks the filesystem (the interpreters) and plans the final interpreter with
// plan_run_after_env_hops; prints nothing.
RunPlan plan_script(const RunRequest& request, const std::string& script, elf::ByteView head, int env_hops);

// plan_run with the number of "#!/usr/bin/env" hops followed so far (plan.cc; plan_run(request) is
// plan_run_after_env_hops(request, 0)). A bare program name is looked up through PATH, as plan_run does.
RunPlan plan_run_after_env_hops(const RunRequest& request, int env_hops);

}  // namespace elfrun::run
