#!/bin/bash
# Benchmark of `elfrun deps` against the tools people use to list a program's libraries, on the same files in the
# same run: every dynamically linked ELF file of this machine's class and machine (a PT_DYNAMIC segment; symbolic
# links not followed, so each file counts once) in /usr/bin, /usr/sbin and /usr/lib/x86_64-linux-gnu:
#   elfrun deps --format list FILE...        one call for all files (parsed libraries are shared between them)
#   for f in FILE...; do ld.so --list "$f"   the loader itself, once per file (what ldd does, minus the shell script)
#   libtree -p -vvv FILE...                  one call (libtree takes several files)
#   lddtree -l FILE...                       one call, pax-utils' Python script run by Debian's /usr/bin/python3
# Each command runs WARMUP times untimed (default 1: every file in the page cache for all tools), then RUNS times
# (default 3) under /usr/bin/time -v, which gives the wall time, the CPU time and the peak resident memory
# ("Maximum resident set size": for the ld.so loop, its largest process). Prints a markdown table; see bench/README.md.
#
#   usage: bench/deps.sh [ELFRUN] [DIR...]      (ELFRUN defaults to $ELFRUN, then build/default/elfrun)
#   env:   RUNS, WARMUP, TABLE=FILE also writes the table (with its header lines) to FILE
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
elfrun=${1:-${ELFRUN:-$repo/build/default/elfrun}}
[ $# -gt 0 ] && shift
directories=("$@")
[ ${#directories[@]} -gt 0 ] || directories=(/usr/bin /usr/sbin /usr/lib/x86_64-linux-gnu)
runs=${RUNS:-3}
warmup=${WARMUP:-1}
loader=/lib64/ld-linux-x86-64.so.2
export LC_ALL=C
unset LD_LIBRARY_PATH LD_PRELOAD

for tool in "$elfrun" "$loader" libtree /usr/bin/lddtree /usr/bin/python3 /usr/bin/time; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench/deps.sh: missing $tool (build elfrun first; scripts/bootstrap installs the rest: libtree, pax-utils," \
      "python3-pyelftools, time)" >&2
    exit 2
  fi
done
if ! /usr/bin/python3 -c 'import elftools' 2>/dev/null; then
  echo "bench/deps.sh: Debian's python3 lacks pyelftools, which lddtree needs (package python3-pyelftools)" >&2
  exit 2
fi
elfrun=$(realpath "$elfrun")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
list=$work/files

# The dynamically linked ELF files of the x86-64 loader's class and machine, NUL-separated (the same selection as
# tests/cases/deps_vs_ldso_host.sh, whose helper does the reading).
/usr/bin/python3 - "$list" "$repo/tests/cases/lib" "${directories[@]}" <<'EOF'
import sys
sys.path.insert(0, sys.argv[2])
from ldso_compare import collect
files, _ = collect(sys.argv[3:], 2, 62)  # ELFCLASS64, EM_X86_64
with open(sys.argv[1], "wb") as out:
    for path, _ in files:
        out.write(path.encode() + b"\0")
EOF
count=$(tr -cd '\0' <"$list" | wc -c)
[ "$count" -gt 0 ] || { echo "bench/deps.sh: no dynamically linked ELF file in ${directories[*]}" >&2; exit 2; }

# name | command: bash code run with the file list in "$@" (one argument list: the tools that take several files
# get them all in one call). Output goes to /dev/null; exit statuses are ignored (a file with a missing library makes
# every tool but ld.so --list fail at the end, and ld.so --list fail for that file).
commands=(
  "elfrun deps --format list|exec '$elfrun' deps --format list -- \"\$@\""
  "ld.so --list, once per file|for f; do '$loader' --list \"\$f\"; done"
  "libtree -p -vvv|exec libtree -p -vvv -- \"\$@\""
  "lddtree -l (python3)|exec /usr/bin/python3 /usr/bin/lddtree -l -- \"\$@\""
)

run_one() {  # run_one COMMAND [TIME_OUTPUT]: the command over every file
  local code=$1 report=${2:-}
  if [ -n "$report" ]; then
    xargs -0 -a "$list" -x -s 1000000 /usr/bin/time -v -o "$report" bash -c "$code" bash >/dev/null 2>&1 || true
  else
    xargs -0 -a "$list" -x -s 1000000 bash -c "$code" bash >/dev/null 2>&1 || true
  fi
}

# One line per command: name, median wall, min wall, median CPU (user + system), max peak RSS in KiB.
for entry in "${commands[@]}"; do
  name=${entry%%|*}
  code=${entry#*|}
  for ((i = 0; i < warmup; i++)); do run_one "$code"; done
  for ((i = 0; i < runs; i++)); do
    run_one "$code" "$work/time.$i"
  done
  /usr/bin/python3 - "$name" "$work" "$runs" <<'EOF'
import re, statistics, sys
name, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
walls, cpus, rss = [], [], []
for i in range(runs):
    text = open(f"{work}/time.{i}").read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    walls.append(int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3)))
    cpus.append(float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1)) +
                float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1)))
    rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)))
print(f"{name}\t{statistics.median(walls)}\t{min(walls)}\t{statistics.median(cpus)}\t{max(rss)}")
EOF
done >"$work/results"

{
  echo "$count dynamically linked x86-64 ELF files in ${directories[*]}"
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg); $warmup warm-up + $runs timed runs each (/usr/bin/time -v)"
  echo "$("$elfrun" --version 2>/dev/null | head -1); $("$loader" --version | head -1);" \
    "libtree $(libtree --version 2>/dev/null | head -1); lddtree of pax-utils $(dpkg-query -W -f='${Version}' pax-utils 2>/dev/null)"
  echo
  awk -F'\t' '
    NR == 1 { base = $2; base_cpu = $4 }
    { row[NR] = $0 }
    END {
      print "| tool | wall time, median (min) | per file | elfrun is faster by | CPU time (user+sys) | peak memory |"
      print "|---|---:|---:|---:|---:|---:|"
      for (i = 1; i <= NR; i++) {
        split(row[i], f, "\t")
        printf "| `%s` | %.2f s (%.2f s) | %.2f ms | %s | %.2f s | %.1f MiB |\n", f[1], f[2], f[3], f[2] / count * 1e3,
          i == 1 ? "—" : sprintf("%.1fx (CPU %.1fx)", f[2] / base, f[4] / base_cpu), f[4], f[5] / 1024
      }
    }' count="$count" "$work/results"
} | tee "${TABLE:-/dev/null}"
