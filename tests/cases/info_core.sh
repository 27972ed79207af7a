#!/bin/sh
# `elfrun info` on a core dump: kind "core", the program's name and command line (NT_PRPSINFO) and the signal that
# killed it (NT_PRSTATUS), as `file` reports them. The core is made here: a small program that dereferences NULL,
# run with `ulimit -c unlimited` in a temporary directory. When the kernel's core_pattern pipes cores elsewhere
# (systemd-coredump, apport) or names them differently, no core appears and the case is skipped (77) — that is the
# machine's configuration, not a missing tool, so it is skipped even under CI=true. Without gcc or file: skipped, or
# under CI=true failed.
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools gcc file
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null)
case $pattern in
  core | core.%p) ;;
  *)
    echo "skipped: kernel.core_pattern is \"$pattern\": cores do not land in the current directory as core"
    exit 77
    ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'int main(void) { volatile int *p = 0; return *p; }\n' >"$work/crash.c"
gcc -O0 -o "$work/crash" "$work/crash.c" || exit 1
sh -c 'cd "$1" && ulimit -c unlimited 2>/dev/null; ./crash; exit 0' sh "$work" >/dev/null 2>&1
core=$(ls "$work"/core* 2>/dev/null | head -n 1)
if [ -z "$core" ]; then
  echo "skipped: no core file appeared (core size limit or core_pattern)"
  exit 77
fi

out=$(NO_COLOR=1 "$elfrun" info "$core")
status=$?
echo "$out"
[ "$status" -eq 0 ] || case_fail "exit status $status"
case $out in
  *": 64-bit x86-64 core dump of 'crash' (./crash), killed by signal 11 (SIGSEGV)"*) ;;
  *) case_fail "the first line does not name the program and SIGSEGV" ;;
esac
case $("$elfrun" info --json "$core") in
  *'"kind":"core"'*'"core":{"command":"crash","arguments":"./crash","signal":11,"signal_name":"SIGSEGV"}'*) ;;
  *) case_fail "the JSON object does not say kind core, command crash, signal 11" ;;
esac
case $(file -b "$core") in
  *"core file"*"from './crash'"*) ;;
  *) case_fail "file disagrees: $(file -b "$core")" ;;
esac
[ "$case_failures" -eq 0 ] || exit 1
echo "PASS"
