#!/bin/bash
# Benchmark and size report of `elfrun bundle` (issue 6).
#
# Start-up: a dynamically linked hello world started many times (hyperfine, no shell between) as
#   native              ./hello, the program itself through its PT_INTERP
#   bundle (dir)        OUT/bin/hello: the freestanding launcher, then the bundled loader with the program
#   loader command      the very command the launcher execs, typed by hand: the difference is the launcher's cost
#   bundle (sh)         hello.sh, already unpacked in the cache (a shell start, then the launcher)
#   gcc -static         the same hello linked statically, for reference
#   exodus              exodus's launcher for the same hello (when EXODUS_SRC points to an exodus checkout)
# Goal: the dir bundle at most 1.2x native. The ratio is printed; nothing here is a pass/fail test.
#
# Sizes: hello (dynamic, gcc -static, elfrun bundles as dir/tar.gz/sh, exodus's .tgz/.sh), and several programs
# (hello, curl, git by default) bundled together against the sum of their single bundles and against exodus.
#
#   usage: bench/bundle.sh [ELFRUN]        (default: $ELFRUN, then build/default/elfrun)
#   env:   RUNS (default 1000), WARMUP (default 50), PROGRAMS (default "curl git": with hello, the several-programs
#          bundle), EXODUS_SRC (an exodus source tree: its src/ holds exodus_bundler; skipped when unset)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
elfrun=$(realpath "${1:-${ELFRUN:-$repo/build/default/elfrun}}")
runs=${RUNS:-1000}
warmup=${WARMUP:-50}
programs=${PROGRAMS:-curl git}
export LC_ALL=C
for tool in "$elfrun" gcc hyperfine python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench/bundle.sh: missing $tool" >&2; exit 2; }
done
exodus() {
  PYTHONPATH=$EXODUS_SRC/src python3 -c 'import sys; from exodus_bundler.cli import main; sys.argv[0] = "exodus"; sys.exit(main())' "$@"
}
have_exodus=no
if [ -n "${EXODUS_SRC:-}" ] && [ -d "$EXODUS_SRC/src/exodus_bundler" ]; then have_exodus=yes; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
printf '#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n' >hello.c
gcc -O2 -o hello hello.c
gcc -O2 -static -o hello-static hello.c
"$elfrun" bundle -o b-hello ./hello >/dev/null
"$elfrun" bundle -o hello.tar.gz ./hello >/dev/null
"$elfrun" bundle -o hello.sh ./hello >/dev/null
export XDG_CACHE_HOME=$work/cache
./hello.sh >/dev/null  # unpacked once, before timing
lib=$work/b-hello/lib/x86-64-glibc
loader_command="$lib/ld-linux-x86-64.so.2 --argv0 hello --library-path $lib --inhibit-cache $work/b-hello/libexec/hello"

commands=(./hello "$work/b-hello/bin/hello" "$loader_command" "$work/hello.sh" ./hello-static)
names=("native" "bundle (dir)" "loader command" "bundle (sh)" "gcc -static")
if [ $have_exodus = yes ]; then
  exodus -t -o "$work/ex-hello.tgz" ./hello >/dev/null 2>&1
  mkdir ex && tar -xzf ex-hello.tgz -C ex
  commands+=("$work/ex/exodus/bin/hello")
  names+=("exodus")
fi
for command in "${commands[@]}"; do
  [ "$($command)" = "Hello World" ] || { echo "bench/bundle.sh: $command does not print Hello World" >&2; exit 1; }
done

echo "## Start-up of hello world ($runs runs each, $warmup warm-up; hyperfine -N)"
echo
hyperfine -N --warmup "$warmup" --runs "$runs" --export-json times.json "${commands[@]}" >/dev/null 2>&1
python3 - "${names[@]}" <<'PY'
import json, sys
names = sys.argv[1:]
results = json.load(open("times.json"))["results"]
native = results[0]["median"]
loader = results[2]["median"]
print("| how | median | mean ± σ | min | / native |")
print("|---|---:|---:|---:|---:|")
for name, r in zip(names, results):
    print(f"| {name} | {r['median']*1e6:.0f} µs | {r['mean']*1e6:.0f} ± {r['stddev']*1e6:.0f} µs | "
          f"{r['min']*1e6:.0f} µs | {r['median']/native:.2f}x |")
print()
print(f"bundle (dir) / native: {results[1]['median']/native:.2f}x (goal: at most 1.2x); "
      f"the launcher's own cost: {(results[1]['median']-loader)*1e6:.0f} µs (bundle minus the loader command)")
PY

size() { stat -c %s "$1"; }
files_size() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }'; }
kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }
echo
echo "## Sizes: hello world"
echo
echo "| what | bytes | |"
echo "|---|---:|---:|"
echo "| hello, dynamic (gcc -O2) | $(size hello) | $(kib "$(size hello)") |"
echo "| hello, gcc -static | $(size hello-static) | $(kib "$(size hello-static)") |"
echo "| elfrun bundle, dir (files) | $(files_size b-hello) | $(kib "$(files_size b-hello)") |"
echo "| elfrun bundle, .tar.gz | $(size hello.tar.gz) | $(kib "$(size hello.tar.gz)") |"
echo "| elfrun bundle, .sh | $(size hello.sh) | $(kib "$(size hello.sh)") |"
if [ $have_exodus = yes ]; then
  exodus -o "$work/ex-hello.sh" ./hello >/dev/null 2>&1
  echo "| exodus, unpacked (files) | $(files_size ex) | $(kib "$(files_size ex)") |"
  echo "| exodus, .tgz | $(size ex-hello.tgz) | $(kib "$(size ex-hello.tgz)") |"
  echo "| exodus, .sh | $(size ex-hello.sh) | $(kib "$(size ex-hello.sh)") |"
fi

paths=("$work/hello")
for program in $programs; do paths+=("$(command -v "$program")"); done
echo
echo "## Sizes: $(for p in "${paths[@]}"; do basename "$p"; done | paste -sd' ') in one bundle, against one bundle each"
echo
"$elfrun" bundle -o all.tar.gz "${paths[@]}" >/dev/null
"$elfrun" bundle -o b-all "${paths[@]}" >/dev/null
single_tar=0
single_files=0
static_note="hello only: $(size hello-static)"
for path in "${paths[@]}"; do
  name=$(basename "$path")
  "$elfrun" bundle -o "one-$name.tar.gz" "$path" >/dev/null
  "$elfrun" bundle -o "one-$name" "$path" >/dev/null
  single_tar=$((single_tar + $(size "one-$name.tar.gz")))
  single_files=$((single_files + $(files_size "one-$name")))
done
echo "| what | files | .tar.gz |"
echo "|---|---:|---:|"
echo "| elfrun, one bundle of all | $(files_size b-all) | $(size all.tar.gz) |"
echo "| elfrun, sum of one bundle each | $single_files | $single_tar |"
if [ $have_exodus = yes ]; then
  exodus -t -o "$work/ex-all.tgz" "${paths[@]}" >/dev/null 2>&1
  mkdir ex-all && tar -xzf ex-all.tgz -C ex-all
  echo "| exodus, one bundle of all | $(files_size ex-all) | $(size ex-all.tgz) |"
fi
echo
echo "Static builds: $static_note bytes (curl, git and the others cannot be linked statically from Debian's packages:"
echo "no static libraries of most of their dependencies; and a static glibc program loses dlopen and NSS)."
