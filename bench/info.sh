#!/bin/bash
# Benchmark of `elfrun info` against its peers, `file` and `readelf -h -l -d -n`, on the same files in the same run:
# every ELF file (by magic, symbolic links not followed) of /usr/bin, /usr/sbin and /usr/lib/x86_64-linux-gnu. Each
# tool gets the whole list through xargs, so all of them pay the same process start-ups. Prints a markdown table
# (tool, wall time, ratio to `elfrun info`); see bench/README.md.
#
#   usage: bench/info.sh [ELFRUN] [DIR...]      (ELFRUN defaults to $ELFRUN, then build/default/elfrun)
#   env:   RUNS (default 10), WARMUP (default 2), BENCH_JSON=FILE to keep hyperfine's raw results,
#          HYPERFINE= (empty) to use the plain timing loop even where hyperfine is installed
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
elfrun=${1:-${ELFRUN:-$repo/build/default/elfrun}}
[ $# -gt 0 ] && shift
directories=("$@")
[ ${#directories[@]} -gt 0 ] || directories=(/usr/bin /usr/sbin /usr/lib/x86_64-linux-gnu)
runs=${RUNS:-10}
warmup=${WARMUP:-2}
hyperfine=${HYPERFINE-hyperfine}
export LC_ALL=C

for tool in "$elfrun" file readelf xargs /usr/bin/python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench/info.sh: missing $tool (build elfrun first; scripts/bootstrap installs the rest)" >&2
    exit 2
  fi
done
elfrun=$(realpath "$elfrun")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
list=$work/elf-files

# The ELF files, by magic, as NUL-separated paths (file names may hold any byte but NUL).
/usr/bin/python3 - "$list" "${directories[@]}" <<'EOF'
import os, sys
out = open(sys.argv[1], "wb")
for top in sys.argv[2:]:
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                with open(path, "rb") as f:
                    if f.read(4) != b"\x7fELF":
                        continue
            except OSError:
                continue
            out.write(os.fsencode(path) + b"\0")
EOF
count=$(tr -cd '\0' <"$list" | wc -c)
bytes=$(xargs -0 -a "$list" stat -c %s | awk '{s += $1} END {print s}')

# name | command (stdout and stderr discarded; readelf warns on some files, elfrun exits 2 on unreadable ones)
commands=(
  "elfrun info|xargs -0 -a '$list' '$elfrun' info"
  "elfrun info --json|xargs -0 -a '$list' '$elfrun' info --json"
  "file|xargs -0 -a '$list' file"
  "readelf -h -l -d -n|xargs -0 -a '$list' readelf -h -l -d -n"
)

# Both measurements print "name<TAB>median wall<TAB>min wall<TAB>mean CPU (user + system)" in seconds, one line per
# command. CPU time is shown because wall time on a busy machine includes waiting for a core.
measure_with_hyperfine() {
  local arguments=() entry
  for entry in "${commands[@]}"; do
    arguments+=(--command-name "${entry%%|*}" "${entry#*|} >/dev/null 2>&1")
  done
  "$hyperfine" --style none --ignore-failure --warmup "$warmup" --runs "$runs" --export-json "$work/results.json" \
    "${arguments[@]}" >/dev/null
  [ -n "${BENCH_JSON:-}" ] && cp "$work/results.json" "$BENCH_JSON"
  /usr/bin/python3 - "$work/results.json" <<'EOF'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    print(f"{result['command']}\t{result['median']}\t{result['min']}\t{result['user'] + result['system']}")
EOF
}

# The same without hyperfine: a timing loop (bash's `time`), warm-up runs first, then RUNS timed runs.
measure_with_loop() {
  local entry name command run TIMEFORMAT='%R %U %S'
  for entry in "${commands[@]}"; do
    name=${entry%%|*}
    command=${entry#*|}
    for ((run = 0; run < warmup; run++)); do sh -c "$command" >/dev/null 2>&1 || true; done
    for ((run = 0; run < runs; run++)); do
      { time sh -c "$command" >/dev/null 2>&1; } 2>&1 || true
    done | sort -n | awk -v name="$name" '
      { wall[NR] = $1; cpu += $2 + $3 }
      END { median = NR % 2 ? wall[(NR + 1) / 2] : (wall[NR / 2] + wall[NR / 2 + 1]) / 2;
            printf "%s\t%.6f\t%.6f\t%.6f\n", name, median, wall[1], cpu / NR }'
  done
}

if [ -n "$hyperfine" ] && command -v "$hyperfine" >/dev/null 2>&1; then
  method="hyperfine, $warmup warm-up runs + $runs runs each"
  measure_with_hyperfine >"$work/times"
else
  method="timing loop, $warmup warm-up runs + $runs runs each"
  measure_with_loop >"$work/times"
fi

echo "$count ELF files, $((bytes / 1024 / 1024)) MiB, in ${directories[*]}"
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores; $method;"
echo "$("$elfrun" --version 2>/dev/null | head -1), $(file --version | head -1), $(readelf --version | head -1)"
echo
awk -F'\t' '
  NR == 1 { base = $2; base_cpu = $4 }
  { row[NR] = $0 }
  END {
    print "| tool | wall time, median (min) | per file | ratio to elfrun info | CPU time (user+sys) | CPU ratio |"
    print "|---|---:|---:|---:|---:|---:|"
    for (i = 1; i <= NR; i++) {
      split(row[i], f, "\t")
      printf "| `%s` | %.3f s (%.3f s) | %.1f µs | %s | %.3f s | %s |\n", f[1], f[2], f[3], f[2] / count * 1e6,
        i == 1 ? "1.0" : sprintf("%.1fx", f[2] / base), f[4], i == 1 ? "1.0" : sprintf("%.1fx", f[4] / base_cpu)
    }
  }' count="$count" "$work/times"
