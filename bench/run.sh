#!/bin/bash
# Benchmark of `elfrun run` against the floor of any launcher that execs a loader (issue 4): a hello world whose
# PT_INTERP is unusable, so that run must find the loader, started three ways, many times each, alternating:
#   elfrun run ./hello                       what the user types
#   wrapper LOADER ARGS... ./hello           a minimal static C program that only execv()s the hand-written command
#   LOADER ARGS... ./hello                   the hand-written command itself (what `elfrun run --print` prints)
# on the host and, when it can (root, the cached i386 root of scripts/make-i386-root, an i386 elfrun), in the
# reference case of SPEC.md: a copy of the i386 root with a 64-bit glibc in /usr/x86_64-pc-linux-gnu/lib.
# elfrun runs with the user's caches (${XDG_CACHE_HOME:-~/.cache}/elfrun/: loader identities and run plans), which the
# warm-up runs fill: the timed runs are the everyday case of a command run before, served by its cached plan
# (src/run/plan_cache.h) once the files it depends on are two seconds old, as an installed program's are.
# Prints markdown tables; see bench/README.md.
#
#   usage: bench/run.sh [ELFRUN...]     (default: $ELFRUN, then build/default/elfrun; build/static/elfrun too if it
#                                        exists; each ELFRUN given is measured on the host)
#   env:   RUNS (default 300 per command), WARMUP (default 20), ROUNDS (hyperfine rounds, default 3),
#          ELFRUN_I386 (the i386 elfrun for the root; default build/i386/elfrun), HYPERFINE= (empty) to skip
#          hyperfine, I386_ROOT=0 to skip the i386 root
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-300}
warmup=${WARMUP:-20}
rounds=${ROUNDS:-3}
hyperfine=${HYPERFINE-hyperfine}
export LC_ALL=C

elfruns=("$@")
if [ ${#elfruns[@]} -eq 0 ]; then
  elfruns=("${ELFRUN:-$repo/build/default/elfrun}")
  [ -x "$repo/build/static/elfrun" ] && elfruns+=("$repo/build/static/elfrun")
fi
for tool in "${elfruns[@]}" gcc patchelf; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench/run.sh: missing $tool (build elfrun first; scripts/bootstrap installs the rest)" >&2
    exit 2
  fi
done

work=$(mktemp -d)
trap 'rm -rf --one-file-system "$work"' EXIT

# The alternating timer: runs each command once per round, in an order that rotates every round, RUNS rounds after
# WARMUP untimed ones; for each command, the median, mean and minimum wall time and the median CPU time (user + sys
# of the child, from wait4) in microseconds. Static, so that it also runs inside the i386 root.
cat >"$work/timer.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  int runs = atoi(argv[1]), warmup = atoi(argv[2]), count = 0;
  char **commands[16];
  for (int i = 3; i < argc && count < 16; ++i) {
    if (strcmp(argv[i], "--") == 0) {
      argv[i] = NULL;
      if (i + 1 < argc) commands[count++] = &argv[i + 1];
    }
  }
  double *wall = calloc((size_t)runs * count, sizeof *wall), *cpu = calloc((size_t)runs * count, sizeof *cpu);
  int null_fd = open("/dev/null", O_WRONLY);
  for (int round = -warmup; round < runs; ++round) {
    for (int k = 0; k < count; ++k) {
      int c = (k + round + warmup) % count;
      struct timespec start, end;
      clock_gettime(CLOCK_MONOTONIC, &start);
      pid_t pid = fork();
      if (pid == 0) {
        dup2(null_fd, 1);
        execv(commands[c][0], commands[c]);
        _exit(127);
      }
      int status;
      struct rusage usage;
      if (pid < 0 || wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "timer: command %d (%s) failed\n", c, commands[c][0]);
        return 1;
      }
      clock_gettime(CLOCK_MONOTONIC, &end);
      if (round < 0) continue;
      wall[c * runs + round] = (end.tv_sec - start.tv_sec) * 1e6 + (end.tv_nsec - start.tv_nsec) / 1e3;
      cpu[c * runs + round] = usage.ru_utime.tv_sec * 1e6 + usage.ru_utime.tv_usec + usage.ru_stime.tv_sec * 1e6 +
                              usage.ru_stime.tv_usec;
    }
  }
  for (int c = 0; c < count; ++c) {
    double *w = wall + c * runs, *u = cpu + c * runs, sum = 0;
    for (int r = 0; r < runs; ++r) sum += w[r];
    qsort(w, runs, sizeof *w, compare);
    qsort(u, runs, sizeof *u, compare);
    printf("%d %.0f %.0f %.0f %.0f\n", c, w[runs / 2], sum / runs, w[0], u[runs / 2]);
  }
  return 0;
}
EOF
cat >"$work/wrapper.c" <<'EOF'
#include <unistd.h>
/* The floor of any launcher that execs a loader: nothing but the exec of the command it is given. */
int main(int argc, char **argv) {
  (void)argc;
  execv(argv[1], argv + 1);
  return 127;
}
EOF
gcc -O2 -static -o "$work/timer" "$work/timer.c"
gcc -O2 -static -o "$work/wrapper" "$work/wrapper.c"
gcc -O2 -o "$work/hello-built" "$repo/tests/fixtures/hello.c"

# describe FILE: "ELF 64-bit LSB pie executable, x86-64, dynamically linked" and the like.
describe() {
  file -b "$1" | awk -F', ' '{ link = ""; for (i = 3; i <= NF; ++i) if ($i ~ /linked/) link = ", " $i; print $1 ", " $2 link }'
}

# table TITLE TIMER_OUTPUT NAME...: the markdown table of one timer run; ratios against the wrapper (row 2).
table() {
  title=$1
  results=$2
  shift 2
  echo
  echo "### $title"
  echo
  echo "| command | median wall | mean wall | min wall | median CPU | wall / wrapper | CPU / wrapper |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "$results" | awk -v names="$(printf '%s\n' "$@")" '
    BEGIN { n = split(names, name, "\n") }
    { median[$1] = $2; mean[$1] = $3; minimum[$1] = $4; cpu[$1] = $5 }
    END {
      for (i = 0; i < n; ++i)
        printf "| %s | %.0f µs | %.0f µs | %.0f µs | %.0f µs | %.2fx | %.2fx |\n", name[i + 1], median[i], mean[i],
               minimum[i], cpu[i], median[i] / median[1], cpu[i] / cpu[1]
    }'
}

# One elfrun on the host.
bench_host() {
  dir=$work/host
  mkdir -p "$dir" "$work/installed"
  # Measured as installed (docs/DEVELOPMENT.md: install -m 755 build/static/elfrun /usr/local/bin/), not where the linker wrote
  # it: here a binary fresh from the linker costs ~70 µs more to start than a copy of the same bytes (every run,
  # as measured with the same timer: the linker writes its output in small pieces, and the page cache keeps them
  # so), which would be a cost of the build directory, not of elfrun.
  elfrun=$work/installed/$(basename "$(dirname "$(realpath "$1")")")-elfrun
  install -m 755 "$1" "$elfrun"
  cp "$work/hello-built" "$dir/hello"
  patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 "$dir/hello"
  # A plan made of files changed in the last two seconds is not cached (util::settled): let the new file settle.
  sleep 2
  cd "$dir"
  read -r -a command <<<"$("$elfrun" run --print ./hello)"
  for check in "$elfrun run ./hello" "$work/wrapper ${command[*]}" "${command[*]}"; do
    # shellcheck disable=SC2086
    said=$($check)
    if [ "$said" != "Hello World" ]; then
      echo "bench/run.sh: \`$check\` printed \"$said\", not Hello World" >&2
      exit 1
    fi
  done
  echo
  echo "host: $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); elfrun $1 installed as" \
    "$elfrun ($(describe "$elfrun"))"
  echo "hand-written command: ${command[*]}"
  results=$("$work/timer" "$runs" "$warmup" -- "$elfrun" run ./hello -- "$work/wrapper" "${command[@]}" \
    -- "${command[@]}")
  table "host, alternating, $runs runs each" "$results" "elfrun run ./hello" "static exec wrapper" \
    "hand-written loader command"
  if [ -n "$hyperfine" ] && command -v "$hyperfine" >/dev/null 2>&1; then
    echo
    echo "hyperfine -N, $rounds rounds of $runs runs per command, the order rotated each round (mean ± σ, µs):"
    echo
    echo "| round | elfrun run ./hello | static exec wrapper | hand-written command | elfrun / wrapper |"
    echo "|---|---:|---:|---:|---:|"
    names=("$elfrun run ./hello" "$work/wrapper ${command[*]}" "${command[*]}")
    for round in $(seq 1 "$rounds"); do
      order=()
      for k in 0 1 2; do order+=("${names[$(((k + round) % 3))]}"); done
      "$hyperfine" -N --style none --warmup "$warmup" --runs "$runs" --export-json "$work/round.json" \
        "${order[@]}" >/dev/null 2>&1
      /usr/bin/python3 - "$work/round.json" "$round" "${names[@]}" <<'EOF'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
cells = [results[name] for name in sys.argv[3:]]
text = ["%.0f ± %.0f" % (c["mean"] * 1e6, c["stddev"] * 1e6) for c in cells]
print("| %s | %s | %.2fx |" % (sys.argv[2], " | ".join(text), cells[0]["mean"] / cells[1]["mean"]))
EOF
    done
  fi
  cd "$repo"
}

for elfrun in "${elfruns[@]}"; do bench_host "$elfrun"; done

# The reference case: inside a copy of the i386 root. On a kernel that does not run i386 programs (IA32 emulation
# off; ELFRUN_I386_VIA_QEMU=1 takes that way on any kernel) the root is entered as the cases enter it
# (tests/cases/lib/i386_root.sh): a user namespace whose binfmt_misc hands the root's i386 programs to
# qemu-i386-static, and the elfrun measured there is the x86-64 static build when there is one (it runs natively:
# an i386 elfrun would be timed under qemu), unless ELFRUN_I386 names one.
kernel_runs_i386() { [ "${ELFRUN_I386_VIA_QEMU:-}" != 1 ] && /lib/ld-linux.so.2 --version >/dev/null 2>&1; }
root_emulated=0
kernel_runs_i386 || root_emulated=1
elfrun_i386=${ELFRUN_I386:-$repo/build/i386/elfrun}
if [ -z "${ELFRUN_I386:-}" ] && [ $root_emulated = 1 ] && [ -x "$repo/build/static/elfrun" ]; then
  elfrun_i386=$repo/build/static/elfrun
fi
root=$(sh "$repo/scripts/make-i386-root" --path)
if [ "${I386_ROOT:-1}" = 0 ]; then
  exit 0
elif [ "$(id -u)" -ne 0 ] || [ ! -f "$root.complete" ] || [ ! -x "$elfrun_i386" ] ||
  ! command -v unshare >/dev/null 2>&1 || { [ $root_emulated = 1 ] && ! command -v qemu-i386-static >/dev/null; }; then
  echo
  echo "(i386 root not measured: it needs root, scripts/make-i386-root run once, and an i386 elfrun at" \
    "$elfrun_i386 or ELFRUN_I386; on a kernel that does not run i386 programs, qemu-i386-static)"
  exit 0
fi
# ELFRUN_HOST_MOUNT_NS, i386_root_private and i386_root_binfmt: nothing is mounted outside a private namespace.
# shellcheck source=../tests/cases/lib/i386_root.sh
. "$repo/tests/cases/lib/i386_root.sh"
if [ $root_emulated = 1 ]; then
  namespace=(unshare -Ur --mount --pid --fork --propagation private)
else
  namespace=(unshare --mount --propagation private)
fi
# A copy of the cached root, as the reference case has it: a plain directory entered with chroot (an overlay mount
# would add its own cost to every path lookup, elfrun's stat calls and the loader's opens alike).
cp -a "$root" "$work/root"
results=$(ELFRUN_I386_ROOT_EMULATED=$root_emulated "${namespace[@]}" bash -euo pipefail -c '
  root=$1 work=$2 elfrun=$3 runs=$4 warmup=$5 lib=$6
  merged=$work/root
  . "$lib"
  i386_root_private "$merged"
  mount -t proc proc "$merged/proc"
  i386_root_binfmt "$merged"
  mkdir -p "$merged/usr/x86_64-pc-linux-gnu/lib" "$merged/bench"
  cp /usr/x86_64-linux-gnu/lib/ld-linux-x86-64.so.2 /usr/x86_64-linux-gnu/lib/libc.so.6 \
    "$merged/usr/x86_64-pc-linux-gnu/lib/"
  cp "$work/hello-built" "$merged/bench/m64"
  install -m 755 "$elfrun" "$merged/usr/local/bin/elfrun"
  cp "$work/timer" "$work/wrapper" "$merged/bench/"
  # elfrun caches loader identities and run plans, but nothing made of a file changed in the last two seconds:
  # let the freshly copied files settle, as installed ones have, so that the warm-up fills the caches.
  sleep 2
  command=$(chroot "$merged" sh -c "cd /bench && elfrun run --print ./m64")
  echo "command $command"
  echo "check $(chroot "$merged" sh -c "cd /bench && elfrun run ./m64")"
  # shellcheck disable=SC2086
  chroot "$merged" sh -c "cd /bench && ./timer $runs $warmup -- /usr/local/bin/elfrun run ./m64 \
    -- ./wrapper $command -- $command"
' bench "$root" "$work" "$elfrun_i386" "$runs" "$warmup" "$repo/tests/cases/lib/i386_root.sh")
root_command=$(printf '%s\n' "$results" | sed -n 's/^command //p')
check=$(printf '%s\n' "$results" | sed -n 's/^check //p')
if [ "$check" != "Hello World" ]; then
  echo "bench/run.sh: in the i386 root, elfrun run ./m64 printed \"$check\"" >&2
  exit 1
fi
echo
echo "i386 root (a copy of $root, /usr/x86_64-pc-linux-gnu/lib = 64-bit glibc); elfrun $elfrun_i386" \
  "($(describe "$elfrun_i386"))"
if [ $root_emulated = 1 ]; then
  echo "kernel: i386 programs not run natively here (or ELFRUN_I386_VIA_QEMU=1): the root's own i386 programs" \
    "went through qemu-i386-static (binfmt_misc of a user namespace); the timed commands are what they are above"
else
  echo "kernel: runs i386 programs natively"
fi
echo "hand-written command: $root_command"
table "i386 root, alternating, $runs runs each" "$(printf '%s\n' "$results" | grep -E '^[0-9]+ ')" \
  "elfrun run ./m64" "static exec wrapper" "hand-written loader command"
