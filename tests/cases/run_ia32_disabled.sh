#!/bin/sh
# ctest-labels: i386
# `elfrun run` on an i386 program when the kernel does not run i386 programs itself (issue 11), forced here with
# ELFRUN_KERNEL_RUNS_I386=0 (the documented switch; on a kernel with IA32 emulation off the probe gives the same
# answer): the program goes through qemu-i386 with the root that holds its loader (the host's own
# /lib/ld-linux.so.2: -L /), like any foreign machine, and
#   - prints Hello World, keeps its arguments and its exit status;
#   - --print shows the qemu-i386 command, -v says why (the switch that answered);
#   - no plan is cached (a cached plan could exec it natively after the answer changed);
#   - `elfrun loaders` marks the i386 loader as needing qemu-i386 (JSON: needs_qemu);
#   - `deps --format ldd` is what the i386 loader itself lists when run under qemu-i386 (no linux-gate.so.1: qemu
#     gives no vdso), and without the switch what it lists run natively.
set -u
. "$(dirname "$0")/lib/case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools gcc qemu-i386 python3
case_need_elfrun
[ -x /lib/ld-linux.so.2 ] || case_skip "no /lib/ld-linux.so.2 (Debian package libc6-i386)"
work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-run-ia32.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
XDG_CACHE_HOME=$work/cache
export XDG_CACHE_HOME
printf '#include <stdio.h>\nint main(int c, char **v) { for (int i = 1; i < c; i++) puts(v[i]); puts("Hello World"); return c == 3 ? 3 : 0; }\n' >hello.c
gcc -m32 -o hello32 hello.c || case_fail "gcc -m32 cannot build hello32 (Debian packages gcc-multilib, libc6-dev-i386)"

ELFRUN_KERNEL_RUNS_I386=0
export ELFRUN_KERNEL_RUNS_I386
out=$("$elfrun" run -v ./hello32 2>err)
status=$?
echo "run -v: status $status: $out"
sed 's/^/    stderr: /' err
[ "$status" -eq 0 ] || case_fail "elfrun run ./hello32: status $status"
[ "$out" = "Hello World" ] || case_fail "elfrun run ./hello32 printed \"$out\""
case_expect "$(cat err)" "this kernel does not run i386 programs itself: ELFRUN_KERNEL_RUNS_I386=0" "run -v"
case_expect "$(cat err)" "through qemu-i386 with the root /" "run -v"
case_expect "$(cat err)" "plan cache: not cached" "run -v"

printed=$("$elfrun" run --print ./hello32 2>&1)
echo "run --print: $printed"
case $printed in
  "qemu-i386 -L / -0 ./hello32 ./hello32") ;;
  *) case_fail "run --print: \"$printed\", expected qemu-i386 -L / -0 ./hello32 ./hello32" ;;
esac

out=$("$elfrun" run ./hello32 'two words' "\$x" 2>&1)
status=$?
[ "$status" -eq 3 ] || case_fail "the program's exit status 3 came back as $status"
[ "$out" = "$(printf 'two words\n$x\nHello World')" ] || case_fail "arguments: \"$out\""

# Nothing cached: a second run decides again.
"$elfrun" run -v ./hello32 >/dev/null 2>err
case_expect "$(cat err)" "through qemu-i386" "the second run -v"
if [ -d "$XDG_CACHE_HOME/elfrun/plans" ] && [ -n "$(ls -A "$XDG_CACHE_HOME/elfrun/plans")" ]; then
  case_fail "a plan was cached: $(ls "$XDG_CACHE_HOME/elfrun/plans")"
fi

loaders=$("$elfrun" loaders 2>&1)
printf '%s\n' "$loaders" | grep -A6 '^/lib/ld-linux.so.2 ' | grep -q 'runs: through qemu-i386' ||
  case_fail "elfrun loaders does not say /lib/ld-linux.so.2 runs through qemu-i386"
"$elfrun" loaders --json | python3 -c '
import json, sys
entries = [e for e in json.load(sys.stdin) if e["path"] == "/lib/ld-linux.so.2"]
assert entries and entries[0]["needs_qemu"] == "qemu-i386", entries
' || case_fail "elfrun loaders --json: /lib/ld-linux.so.2 has no needs_qemu qemu-i386"

strip_addresses() { sed 's/ (0x[0-9a-f]*)$//'; }
deps=$("$elfrun" deps --format ldd ./hello32)
truth=$(qemu-i386 /lib/ld-linux.so.2 --list ./hello32 | strip_addresses)
echo "deps (qemu-i386): $deps"
[ "$deps" = "$truth" ] || case_fail "deps --format ldd under qemu-i386: \"$deps\", its loader says \"$truth\""

unset ELFRUN_KERNEL_RUNS_I386
if ./hello32 >/dev/null 2>&1; then
  deps=$("$elfrun" deps --format ldd ./hello32)
  truth=$(/lib/ld-linux.so.2 --list ./hello32 | strip_addresses)
  [ "$deps" = "$truth" ] || case_fail "deps --format ldd natively: \"$deps\", its loader says \"$truth\""
  printed=$("$elfrun" run --print ./hello32 2>&1)
  case $printed in
    qemu*) case_fail "without the switch, on a kernel that runs i386, run goes through qemu: $printed" ;;
  esac
  printf '%s\n' "$("$elfrun" loaders)" | grep -A6 '^/lib/ld-linux.so.2 ' | grep -q 'runs: through' &&
    case_fail "without the switch elfrun loaders still marks /lib/ld-linux.so.2 as needing qemu"
fi

[ "$case_failures" -eq 0 ] || exit 1
echo "run on an i386 program the kernel does not run: through qemu-i386, nothing cached"
