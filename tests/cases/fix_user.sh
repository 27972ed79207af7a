#!/bin/sh
# `elfrun fix --user` (issue 12) on this machine, as an unprivileged user (nobody, through setpriv) with a HOME of its
# own: a program whose PT_INTERP does not exist gets a launcher in ~/.local/bin (the bundle's freestanding launcher
# patched with absolute paths). Checked:
#   - the plan changes nothing (the HOME listing before and after);
#   - after --apply, `lost` found on PATH runs with its own argv[0] ("lost"), its own exit status, and dies by its
#     own signal (SIGTERM: 143, as a shell sees it);
#   - the launcher is not a script (an ELF file: no shell in between);
#   - `--list` shows it; `--undo` removes exactly what was made (the bin directory too), and `lost` is gone;
#   - an existing file at the launcher's path is refused, nothing changed.
# Needs root (to become nobody), setpriv and gcc; otherwise skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "becoming an unprivileged user"
case_need_tools gcc setpriv
case_need_elfrun

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fix-user.XXXXXX") || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT
chmod 755 "$work"
mkdir "$work/home" && chown 65534:65534 "$work/home" && chmod 755 "$work/home" || exit 1
cat >"$work/probe.c" <<'EOF'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  printf("argv0 %s argc %d\n", argv[0], argc);
  fflush(stdout);
  if (getenv("PROBE_SIGNAL")) raise(atoi(getenv("PROBE_SIGNAL")));
  return argc + 40;
}
EOF
gcc -o "$work/lost" "$work/probe.c" -Wl,--dynamic-linker=/opt/elfrun-fix-user-test/ld-linux-x86-64.so.2 || exit 1
chmod 755 "$work/lost"

as_user() {
  user_out=$(cd "$work" && setpriv --reuid=65534 --regid=65534 --clear-groups \
    env -i HOME="$work/home" PATH="$work/home/.local/bin:/usr/bin:/bin" ${extra_env:-} "$@" 2>&1)
  user_status=$?
  printf '# %s    (exit %s)\n' "$*" "$user_status"
  printf '%s\n' "$user_out" | sed 's/^/    /'
}
listing() { (cd "$work/home" && find . -printf '%y %m %p\n' | LC_ALL=C sort); }

before=$(listing)
as_user "$elfrun" fix --user ./lost
[ "$user_status" -eq 0 ] || case_fail "fix --user (the plan) exited $user_status, not 0"
case_expect "$user_out" "$work/home/.local/bin/lost: elfrun's launcher, which execs"
[ "$(listing)" = "$before" ] || case_fail "fix --user without --apply changed HOME"

as_user "$elfrun" fix --apply ./lost
[ "$user_status" -eq 2 ] || case_fail "fix --apply without --user as nobody exited $user_status, not 2"
case_expect "$user_out" "needs root"

as_user "$elfrun" fix --user --apply ./lost
[ "$user_status" -eq 0 ] || case_fail "fix --user --apply exited $user_status, not 0"
[ -x "$work/home/.local/bin/lost" ] || case_fail "no launcher in ~/.local/bin"
[ "$(od -An -c -N4 "$work/home/.local/bin/lost" | tr -d ' ')" = '177ELF' ] || case_fail "the launcher is not ELF"
as_user lost a b
[ "$user_out" = "argv0 lost argc 3" ] || case_fail "lost on PATH printed \"$user_out\", not \"argv0 lost argc 3\""
[ "$user_status" -eq 43 ] || case_fail "lost on PATH exited $user_status, not its own 43"
extra_env=PROBE_SIGNAL=15 as_user sh -c 'lost; echo "status $?"'
case_expect "$user_out" "status 143" "the status of lost killed by its own SIGTERM"
as_user "$elfrun" fix --user --list
case_expect "$user_out" "file $work/home/.local/bin/lost sha256 "

as_user "$elfrun" fix --user --undo
[ "$user_status" -eq 0 ] || case_fail "fix --user --undo exited $user_status, not 0"
[ -e "$work/home/.local/bin" ] && case_fail "fix --user --undo left ~/.local/bin"
as_user sh -c 'command -v lost'
[ "$user_status" -ne 0 ] || case_fail "lost is still on PATH after --undo"

# An existing file where the launcher would go: refused, nothing changed.
mkdir -p "$work/home/.local/bin" && echo mine >"$work/home/.local/bin/lost" && chown -R 65534:65534 "$work/home"
before=$(listing)
as_user "$elfrun" fix --user --apply ./lost
[ "$user_status" -eq 1 ] || case_fail "fix --user --apply over an existing file exited $user_status, not 1"
case_expect "$user_out" "exists: fix never replaces a file it did not create"
[ "$(listing)" = "$before" ] || case_fail "the refused fix --user changed HOME"
[ "$(cat "$work/home/.local/bin/lost")" = mine ] || case_fail "the user's own file was changed"

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
