#!/bin/sh
# bench/hostile.sh [ELFRUN]: what hostile inputs cost elfrun against the real loader (issue 13, finding 10).
# Builds four inputs in a temporary directory and prints, for each, wall time and maximum RSS (/usr/bin/time -v's
# "Maximum resident set size") of the loader and of elfrun's commands, side by side:
#   rpath10k    a program with 10,000 DT_RPATH entries (/n/d0:/n/d1:...), none existing
#   rpathmiss   the same 10,000 entries and a DT_NEEDED library found nowhere (110,044 paths tried)
#   origin12k   a program with 12,000 DT_RPATH entries "$ORIGIN"
#   needed10k   a program with 10,000 DT_NEEDED libraries that do not exist
#   longcwd     hello world run from a working directory longer than PATH_MAX (4096)
# The loader side: `ld.so --list` for the first two; for needed10k the program run with LD_TRACE_LOADED_OBJECTS=1
# (what ldd does: glibc 2.36's --list stops at the first missing library, the trace mode lists all). The goal (SPEC,
# "Trust and safety"): elfrun at most the loader's time and at most twice its memory, or a clear "too many" error;
# the "floor" rows show what each costs on a hello world, below which no input goes (elfrun's is about 6 MB).
# Needs gcc, python3 and /usr/bin/time (Debian package time). Building needed10k takes about 40 s (10,000 stubs).
set -eu
elfrun=${1:-${ELFRUN:-$(cd "$(dirname "$0")/.." && pwd)/build/default/elfrun}}
loader=$(readelf -lW /bin/sh | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
make_inputs=$(cd "$(dirname "$0")/../tests/cases/lib" && pwd)/hostile_inputs.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
python3 "$make_inputs" 10000 needed10k
gcc -o hello m.c

# measure LABEL COMMAND...: one row: wall seconds, max RSS in MB, exit status.
measure() {
  label=$1
  shift
  status=0
  /usr/bin/time -v "$@" >/dev/null 2>"$work/time" || status=$?
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
  printf '| %-44s | %10s | %7s MB | %6s |\n' "$label" "$wall" "$(awk "BEGIN { printf \"%.1f\", $rss / 1024 }")" "$status"
}

echo "| command                                      |       wall |  max RSS | status |"
echo "|----------------------------------------------|------------|----------|--------|"
# What elfrun and the loader cost on an ordinary program: each one's floor (start-up, C++ runtime, tables).
measure "ld.so --list hello (floor)" "$loader" --list ./hello
measure "elfrun deps hello (floor)" "$elfrun" deps ./hello
measure "elfrun why hello (floor)" "$elfrun" why ./hello
measure "ld.so --list rpath10k" "$loader" --list ./rpath10k
measure "elfrun deps rpath10k" "$elfrun" deps ./rpath10k
measure "elfrun deps --format json rpath10k" "$elfrun" deps --format json ./rpath10k
measure "elfrun why rpath10k" "$elfrun" why ./rpath10k
measure "LD_TRACE_LOADED_OBJECTS=1 rpathmiss" env LD_TRACE_LOADED_OBJECTS=1 ./rpathmiss
measure "elfrun deps rpathmiss" "$elfrun" deps ./rpathmiss
measure "elfrun deps --format json rpathmiss" "$elfrun" deps --format json ./rpathmiss
measure "elfrun why rpathmiss" "$elfrun" why ./rpathmiss
measure "ld.so --list origin12k" "$loader" --list ./origin12k
measure "elfrun deps origin12k" "$elfrun" deps ./origin12k
measure "elfrun deps --format json origin12k" "$elfrun" deps --format json ./origin12k
measure "elfrun why origin12k" "$elfrun" why ./origin12k
measure "LD_TRACE_LOADED_OBJECTS=1 needed10k" env LD_TRACE_LOADED_OBJECTS=1 ./needed10k
measure "elfrun deps needed10k" "$elfrun" deps ./needed10k
measure "elfrun deps --format json needed10k" "$elfrun" deps --format json ./needed10k
measure "elfrun why needed10k" "$elfrun" why ./needed10k

# A working directory longer than PATH_MAX, reached by relative chdir steps (a shell's cd uses the whole path).
python3 - "$elfrun" "$work/hello" <<'PYEOF'
import os, shutil, subprocess, sys
elfrun, hello = sys.argv[1:]
for i in range(50):
    name = "d%0100d" % i
    os.mkdir(name)
    os.chdir(name)
shutil.copy(hello, "m64")
print("\nworking directory of about %d bytes (PATH_MAX 4096):" % (len(os.path.dirname(hello)) + 50 * 102))
for command in (["why", "./m64"], ["deps", "./m64"], ["deps", "--format", "json", "./m64"], ["run", "./m64"]):
    run = subprocess.run(["/usr/bin/time", "-f", "@@ %e %M"] + [elfrun] + command, capture_output=True, text=True,
                         errors="replace")
    lines = run.stderr.splitlines()
    wall, rss = lines.pop().split()[1:] if lines and lines[-1].startswith("@@ ") else ("?", "0")
    text = (run.stdout + "\n".join(lines)).strip().splitlines()
    print("  elfrun %s: %s s, %d MB, status %d: %s" % (" ".join(command), wall, int(rss) // 1024, run.returncode,
                                                     text[0] if text else ""))
PYEOF
