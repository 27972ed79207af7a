#!/bin/sh
# run's plan cache (src/run/plan_cache.h), end to end on the host, with the real loader:
#   - a plan is stored once the files it is made of have settled (not while they are seconds old), and then served
#     before main(): strace shows the cached run reading its entry and exec'ing the loader without reading a loader,
#     a library or ld.so.cache itself;
#   - served, the program behaves byte for byte as when the plan is made afresh: arguments (spaces, empty, newline,
#     '*', non-UTF-8, elfrun's own options), stdin, stdout, stderr, environment, exit status 42, death by SIGTERM;
#   - never stale: a library put in a directory its RUNPATH searches first is loaded as the real loader loads it;
#     a program replaced by one whose interpreter works is exec'd directly; a name found through PATH is found again
#     when an earlier PATH directory gains one; a damaged entry is ignored and rewritten;
#   - -v decides afresh and says it stored the plan; ELFRUN_NO_CACHE=1 writes nothing.
# ctest-labels: asan
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the probe is an x86-64 program; the host is $(uname -m)"
case_need_tools gcc patchelf strace cmp
case_need_elfrun

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/probe-x86_64" ] || { echo "FAIL: tests/fixtures/build-fixtures.sh did not build probe-x86_64"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-plan-cache.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
export XDG_CACHE_HOME="$work/cache"
unset ELFRUN_NO_CACHE
plans=$XDG_CACHE_HOME/elfrun/plans
loader=/lib64/ld-linux-x86-64.so.2

entries() { find "$plans" -type f 2>/dev/null | wc -l; }

# served_from_cache NAME COMMAND...: COMMAND (an `elfrun run`) is served by the fast path: it reads its plan entry,
# then execs without opening ld.so.cache, a library or the loader identity cache (a dynamically linked elfrun's own
# loader opens some before: only what follows the entry counts).
served_from_cache() {
  name=$1
  shift
  strace -f -o "$work/trace" -e trace=openat,execve "$@" >/dev/null 2>&1
  # What elfrun's process did between its own exec and the next one (strace -f: lines start with the pid).
  awk -v elfrun="execve(\"$elfrun\"" '{ line = $0; sub(/^[0-9]+ +/, "", line) }
    index(line, elfrun) == 1 { inside = 1; next } inside && line ~ /^execve\(/ { inside = 0; after++ } inside
    END { if (after != 1) print "no exec after elfrun" }' "$work/trace" >"$work/before-exec"
  # The entry is opened through the plans directory's fd (util/trust.h walks the cache path one level at a time).
  grep -q 'openat([0-9]*, "plans", ' "$work/before-exec" &&
    grep -Eq 'openat\([0-9]+, "[0-9a-f]{16}", ' "$work/before-exec" ||
    case_fail "$name: the run did not read its plan entry: $(cat "$work/before-exec")"
  if sed '1,/elfrun\/plans\//d' "$work/before-exec" | grep -E 'ld\.so\.cache|libc\.so|elfrun/loaders' >/dev/null; then
    case_fail "$name: the run decided again instead of using the cached plan: $(cat "$work/before-exec")"
  fi
  if grep -q 'no exec after elfrun' "$work/before-exec"; then case_fail "$name: expected one exec after elfrun's own"; fi
}

cp "$fixtures/probe-x86_64" m64 && patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 m64 || exit 1

# Files seconds old: no plan stored.
"$elfrun" run ./m64 >/dev/null || case_fail "elfrun run ./m64 failed"
[ "$(entries)" -eq 0 ] || case_fail "a plan made of a file changed a moment ago was stored"
sleep 2
"$elfrun" run ./m64 >/dev/null || case_fail "elfrun run ./m64 failed"
[ "$(entries)" -eq 1 ] || case_fail "no plan stored for ./m64 (entries: $(entries))"
served_from_cache "./m64" "$elfrun" run ./m64
echo "stored and served: $(find "$plans" -type f)"
# The same plan whichever CPU elfrun starts on (cpuid leaves hold the APIC ID of the CPU: not part of the key).
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  taskset -c 0 "$elfrun" run ./m64 >/dev/null
  served_from_cache "./m64 on another CPU" taskset -c 1 "$elfrun" run ./m64
fi
# -v decides afresh (it says how), and stores the plan for the same command without -v.
rm -rf "$plans"
"$elfrun" run -v ./m64 >/dev/null 2>"$work/verbose" || case_fail "elfrun run -v ./m64 failed"
case_expect "$(cat "$work/verbose")" "elfrun: plan cache: stored in $plans with " "the -v output"
served_from_cache "./m64 after -v" "$elfrun" run ./m64
"$elfrun" run -v ./m64 >/dev/null 2>"$work/verbose"
case_expect "$(cat "$work/verbose")" "elfrun: candidate $loader" "the -v output of a command with a cached plan"

# Served, byte for byte as decided afresh (ELFRUN_NO_CACHE=1: the same program through the same plan, made again;
# run_fidelity.sh checks that one against running the program directly).
newline='
'
compare_runs() {
  name=$1
  shift
  "$@" <"$work/stdin" >"$work/cached.out" 2>"$work/cached.err"
  echo $? >"$work/cached.status"
  ELFRUN_NO_CACHE=1 "$@" <"$work/stdin" >"$work/fresh.out" 2>"$work/fresh.err"
  echo $? >"$work/fresh.status"
  grep -a -v '^env ELFRUN_NO_CACHE=1$' "$work/fresh.out" >"$work/fresh.filtered"
  for part in out err status; do
    fresh=$work/fresh.$part
    [ "$part" = out ] && fresh=$work/fresh.filtered
    cmp -s "$work/cached.$part" "$fresh" ||
      case_fail "$name: std$part of the cached run differs from a fresh one: $(diff "$work/cached.$part" "$fresh")"
  done
}
printf 'first line\nsecond \377 line\n' >"$work/stdin"
compare_runs "arguments" "$elfrun" run ./m64 "two words" "" "line${newline}break" '*' '$HOME' "$(printf '\377\376')" \
  --print -v -- --root
grep -q '^argv\[6\] \\xff\\xfe$' "$work/cached.out" || case_fail "the non-UTF-8 argument did not arrive"
PROBE_SYSTEM="cat" compare_runs "stdin through a child" "$elfrun" run ./m64
PROBE_STATUS=42 compare_runs "exit status" "$elfrun" run ./m64
[ "$(cat "$work/cached.status")" -eq 42 ] || case_fail "exit status: $(cat "$work/cached.status"), expected 42"
PROBE_SIGNAL=15 compare_runs "SIGTERM" "$elfrun" run ./m64
[ "$(cat "$work/cached.status")" -eq 143 ] || case_fail "death by SIGTERM: $(cat "$work/cached.status"), expected 143"
served_from_cache "./m64 with arguments" "$elfrun" run ./m64 a b

# Never stale (1): a library appears in a directory searched before the one the plan found it in.
cat >greet.c <<'C'
#include <stdio.h>
void greet(void) { puts(WHERE); }
C
printf 'void greet(void);\nint main(void) { greet(); return 0; }\n' >main.c
mkdir -p app/first app/second
gcc -shared -fPIC -Wl,-soname,libgreet.so.1 -DWHERE='"from second"' -o app/second/libgreet.so.1 greet.c &&
  gcc -shared -fPIC -Wl,-soname,libgreet.so.1 -DWHERE='"from first"' -o first.so greet.c &&
  gcc -o app/greeter main.c app/second/libgreet.so.1 -Wl,--enable-new-dtags,-rpath,'$ORIGIN/first:$ORIGIN/second' &&
  patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 app/greeter || exit 1
sleep 2
said=$("$elfrun" run app/greeter)
[ "$said" = "from second" ] || case_fail "app/greeter printed \"$said\", expected \"from second\""
served_from_cache "app/greeter" "$elfrun" run app/greeter
cp first.so app/first/libgreet.so.1
truth=$("$loader" app/greeter)
said=$("$elfrun" run app/greeter)
[ "$truth" = "from first" ] || case_fail "the loader itself printed \"$truth\"; the test proves nothing"
[ "$said" = "$truth" ] || case_fail "after a library appeared in \$ORIGIN/first: \"$said\", the loader gives \"$truth\""

# Never stale (2): the program replaced by one whose own interpreter works is run directly.
cp "$fixtures/probe-x86_64" m64.new && mv -f m64.new m64
"$elfrun" run ./m64 >/dev/null
strace -o "$work/trace" -e trace=execve "$elfrun" run ./m64 >/dev/null 2>&1
sed -n 2p "$work/trace" | grep -q '^execve("\./m64"' ||
  case_fail "a program that now runs as it is was not exec'd directly: $(cat "$work/trace")"

# Never stale (3): PATH lookup.
mkdir -p p1 p2
cp "$fixtures/probe-x86_64" p2/tool
patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 p2/tool
sleep 2
PATH="$work/p1:$work/p2:$PATH" "$elfrun" run tool >/dev/null
PATH="$work/p1:$work/p2:$PATH" served_from_cache "tool through PATH" "$elfrun" run tool
printf '#!/bin/sh\necho p1 tool\n' >p1/tool && chmod 755 p1/tool
said=$(PATH="$work/p1:$work/p2:$PATH" "$elfrun" run tool)
[ "$said" = "p1 tool" ] || case_fail "after p1/tool appeared, elfrun run tool printed \"$said\""

# A damaged entry is ignored and rewritten.
for entry in "$plans"/*; do printf 'elfrun-run-plan 1\ngarbage\n' >"$entry"; done
said=$("$elfrun" run app/greeter)
[ "$said" = "from first" ] || case_fail "with damaged entries: \"$said\""
grep -l 'key-end' "$plans"/* >/dev/null || case_fail "the damaged entry was not rewritten"

# ELFRUN_NO_CACHE=1: nothing written.
rm -rf "$XDG_CACHE_HOME"
ELFRUN_NO_CACHE=1 "$elfrun" run app/greeter >/dev/null
[ ! -e "$XDG_CACHE_HOME" ] || case_fail "ELFRUN_NO_CACHE=1 wrote $(find "$XDG_CACHE_HOME")"

[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
