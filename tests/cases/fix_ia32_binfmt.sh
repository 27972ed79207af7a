#!/bin/sh
# ctest-labels: slow
# `elfrun fix` on a kernel that cannot run i386 programs (issue 12): the kernel's answer forced with
# ELFRUN_KERNEL_RUNS_I386=0 (src/loader/kernel_machines.h), a `gcc -m32` hello in a small root of its own (this
# host's i386 loader and libc at ROOT/lib32, as libc6-i386 has them), and binfmt_misc PRIVATE to a user namespace of
# the case's own (unshare -Ur --mount; Linux >= 6.7), so that nothing is registered for the whole machine. Checked:
#   - why offers `elfrun fix --apply --root ROOT PROGRAM`; the plan writes ROOT/etc/binfmt.d/qemu-i386.conf (the line
#     systemd-binfmt registers at boot, qemu's i386 magic and mask, /usr/bin/qemu-i386-static, flag F) and registers
#     the same line now, and changes nothing by itself;
#   - after --apply the kernel's entry is there as written (enabled, the interpreter, flag F, the magic), an i386
#     program started here is qemu-i386-static in /proc/PID/exe (the kernel did hand it over), the hello in the root
#     prints Hello World, `--list` shows both; `--undo` removes the entry and leaves ROOT exactly as before (a
#     listing of every path with type, mode, owner and hash);
#   - refusals, nothing changed: a (disabled) entry qemu-i386 fix did not register, an existing
#     ROOT/etc/binfmt.d/qemu-i386.conf.
# Needs root (chroot), unshare, gcc -m32 and qemu-user-static; without a kernel that namespaces binfmt_misc the
# case is skipped (never under CI=true).
set -u
. "$(dirname "$0")/lib/case.sh"
this_case=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

if [ "${1:-}" != --in-namespace ]; then
  [ "$(uname -m)" = x86_64 ] || case_skip "the case expects an x86-64 kernel, the host is $(uname -m)"
  case_need_root "chroot"
  case_need_tools unshare chroot gcc sha256sum find
  [ -x /usr/bin/qemu-i386-static ] || case_skip "no /usr/bin/qemu-i386-static (Debian package qemu-user-static)"
  [ -e /lib32/ld-linux.so.2 ] && [ -e /lib32/libc.so.6 ] || case_skip "no /lib32 (Debian package libc6-i386)"
  case_need_elfrun
  work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fix-ia32.XXXXXX") || exit 1
  trap 'rm -rf --one-file-system "$work"' EXIT
  root=$work/root
  mkdir -p "$root/etc" "$root/root" "$root/lib" "$root/lib32" "$root/var/lib/dpkg/info" || exit 1
  cp -L /lib32/ld-linux.so.2 /lib32/libc.so.6 "$root/lib32/" && ln -s /lib32/ld-linux.so.2 "$root/lib/ld-linux.so.2" ||
    exit 1
  printf '#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n' >"$work/hello.c"
  gcc -m32 -o "$root/root/hello32" "$work/hello.c" ||
    case_fail "gcc -m32 cannot build (Debian packages gcc-multilib, libc6-dev-i386)"
  printf '#include <unistd.h>\nint main(void) { pause(); return 0; }\n' >"$work/pause.c"
  gcc -m32 -o "$work/pause32" "$work/pause.c" || case_fail "gcc -m32 cannot build the pausing program"
  case_in_private_binfmt_misc sh "$this_case" --in-namespace "$work" "$elfrun" || case_fail "the namespace part failed"
  echo "fix_ia32_binfmt: $case_failures failures"
  [ "$case_failures" -eq 0 ]
  exit $?
fi

# ---- in a user namespace of our own, with its own binfmt_misc (case_in_private_binfmt_misc) ----
work=${2:?}
elfrun=${3:?}
root=$work/root
dir=/proc/sys/fs/binfmt_misc  # mounted by case_in_private_binfmt_misc
trap '[ -e "$dir/qemu-i386" ] && echo -1 >"$dir/qemu-i386"' EXIT
ELFRUN_KERNEL_RUNS_I386=0
export ELFRUN_KERNEL_RUNS_I386
run() {
  out=$("$@" 2>&1)
  status=$?
  printf '# %s    (exit %s)\n' "$*" "$status"
  printf '%s\n' "$out" | sed 's/^/    /'
}
listing() {
  (cd "$root" && find . -printf '%y %m %U:%G %p %l\n' | LC_ALL=C sort &&
    find . -type f -print0 | xargs -0 sha256sum | LC_ALL=C sort) >"$work/$1"
}
# exe_of_pause32: what the kernel started for an i386 program, as another process sees it (/proc/PID/exe; qemu fakes
# its own /proc/self/exe): $work/pause32 itself, or the binfmt_misc interpreter; "refused" when execve failed with
# "Exec format error" (a kernel with IA32 emulation off and no handler).
exe_of_pause32() {
  "$work/pause32" 2>"$work/pause32.err" &
  pid=$!
  tries=0
  exe=
  while [ $tries -lt 100 ]; do
    exe=$(readlink "/proc/$pid/exe")
    case $exe in */pause32 | */qemu-i386-static) break ;; esac
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
    tries=$((tries + 1))
  done
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  case $exe in
    */pause32 | */qemu-i386-static) ;;
    *) grep -q 'Exec format error' "$work/pause32.err" && exe=refused ;;
  esac
  echo "started: $exe"
}
same_as() { cmp -s "$work/$1" "$work/$2" || case_fail "$3: the root changed ($(diff "$work/$1" "$work/$2" | head -5))"; }
program=$root/root/hello32
line=':qemu-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-i386-static:F'

# What this kernel does with an i386 program before any fix (runs it, or refuses it): what --undo must restore.
exe_of_pause32
kernel_before=$exe
case $kernel_before in "$work/pause32" | refused) ;; *) case_fail "before any fix, an i386 program went to $exe" ;; esac

run "$elfrun" why --root "$root" "$program"
[ "$status" -eq 1 ] || case_fail "why exited $status, not 1"
case_expect_parts "$out" "has no IA32 emulation;elfrun fix --apply --root $root $program"
listing before
run "$elfrun" fix --root "$root" "$program"
[ "$status" -eq 0 ] || case_fail "the plan exited $status, not 0"
case_expect_parts "$out" "mkdir $root/etc/binfmt.d;> $root/etc/binfmt.d/qemu-i386.conf;> $dir/register"
listing after-plan
same_as before after-plan "the plan"
[ -e "$dir/qemu-i386" ] && case_fail "the plan registered an entry"

run "$elfrun" fix --apply --root "$root" "$program"
[ "$status" -eq 0 ] || case_fail "fix --apply exited $status, not 0"
case_expect "$out" "checked: $program runs as itself"
[ "$(grep -v '^#' "$root/etc/binfmt.d/qemu-i386.conf")" = "$line" ] ||
  case_fail "ROOT/etc/binfmt.d/qemu-i386.conf is not the expected line: $(cat "$root/etc/binfmt.d/qemu-i386.conf")"
run cat "$dir/qemu-i386"
case_expect_parts "$out" "enabled;interpreter /usr/bin/qemu-i386-static;flags: F;magic 7f454c4601010100000000000000000002000300"
exe_of_pause32
[ "$exe" = /usr/bin/qemu-i386-static ] || case_fail "an i386 program was not handed to qemu-i386-static: $exe"
run chroot "$root" /root/hello32
[ "$status" -eq 0 ] && [ "$out" = "Hello World" ] || case_fail "after fix: status $status, \"$out\""
run "$elfrun" fix --list --root "$root"
case_expect_parts "$out" "file /etc/binfmt.d/qemu-i386.conf sha256 ;binfmt $dir/qemu-i386 (interpreter /usr/bin/qemu-i386-static)"

run "$elfrun" fix --undo --root "$root"
[ "$status" -eq 0 ] || case_fail "fix --undo exited $status, not 0"
[ -e "$dir/qemu-i386" ] && case_fail "fix --undo left the binfmt_misc entry"
listing after-undo
same_as before after-undo "fix --undo"
exe_of_pause32
[ "$exe" = "$kernel_before" ] || case_fail "after undo, an i386 program goes to $exe, before the fix to $kernel_before"

# An entry of that name fix did not register (disabled, so that it does not take the program): refused.
printf '%s' "$line" >"$dir/register" && echo 0 >"$dir/qemu-i386" || case_fail "cannot register the test's own entry"
run "$elfrun" fix --apply --root "$root" "$program"
[ "$status" -eq 1 ] || case_fail "fix with an existing entry exited $status, not 1"
case_expect "$out" "$dir/qemu-i386 exists"
listing theirs
same_as before theirs "the refused fix with an existing entry"
echo -1 >"$dir/qemu-i386"

# An existing ROOT/etc/binfmt.d/qemu-i386.conf: refused, nothing changed.
mkdir -p "$root/etc/binfmt.d" && echo '# mine' >"$root/etc/binfmt.d/qemu-i386.conf"
listing conf
run "$elfrun" fix --apply --root "$root" "$program"
[ "$status" -eq 1 ] || case_fail "fix over an existing binfmt.d file exited $status, not 1"
case_expect "$out" "$root/etc/binfmt.d/qemu-i386.conf exists"
listing conf-after
same_as conf conf-after "the refused fix over an existing binfmt.d file"
[ -e "$dir/qemu-i386" ] && case_fail "the refused fix registered an entry"
rm -r "$root/etc/binfmt.d"

echo "in the namespace: $case_failures failures"
[ "$case_failures" -eq 0 ]
