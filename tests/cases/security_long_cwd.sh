#!/bin/sh
# A working directory longer than PATH_MAX (issue 13, finding 10): the kernel runs ./m64 there (execve opens the
# relative path), so `elfrun why ./m64` must say it runs (it said "./m64 does not exist: File name too long", as
# realpath fails), and deps and run must work too. The directory is reached by relative chdir steps (python3).
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools python3 gcc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n' >"$work/hello.c"
gcc -o "$work/hello" "$work/hello.c" || exit 1
python3 - "$elfrun" "$work" <<'PYEOF' || case_fail "(above)"
import os, shutil, subprocess, sys
elfrun, work = sys.argv[1:]
os.chdir(work)
for i in range(50):
    name = "d%0100d" % i
    os.mkdir(name)
    os.chdir(name)
shutil.copy(work + "/hello", "m64")
depth = len(work) + 50 * 102
failed = False
kernel = subprocess.run(["./m64"], capture_output=True, text=True)
print(f"cwd of {depth} bytes; the kernel runs ./m64: status {kernel.returncode}, {kernel.stdout.strip()!r}")
for command, status, part in ((["why", "./m64"], 0, "./m64 will run"), (["deps", "./m64"], 0, "libc.so.6"),
                              (["run", "./m64"], 0, "Hello World")):
    run = subprocess.run([elfrun] + command, capture_output=True, text=True, errors="replace")
    text = run.stdout + run.stderr
    print(f"elfrun {' '.join(command)}: status {run.returncode}: {text.splitlines()[0] if text else ''}")
    if run.returncode != status or part not in text:
        print(f"FAIL: elfrun {' '.join(command)}: expected status {status} and {part!r}")
        failed = True
sys.exit(1 if failed else 0)
PYEOF
[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
