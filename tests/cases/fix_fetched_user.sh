#!/bin/sh
# ctest-labels: slow
# `elfrun fix` for a program that runs only with a fetched set, on a bookworm host: trixie's ls (scripts/make-root
# amd64 --suite trixie), which needs GLIBC_2.38. With a HOME of the case's own:
#   - before the fetch, `elfrun fix ./ls` says to `run --fetch` first and writes nothing;
#   - `elfrun run --fetch ./ls --version` prints what ls prints in the trixie root (chroot);
#   - `elfrun fix ./ls` (system-wide) exits 1: PT_INTERP is the system's own loader, which fix never replaces, and
#     it names `elfrun fix --user`; nothing of the system changes (the host's /lib64 and /etc/ld.so.conf.d hashed);
#   - `elfrun fix --user --apply ./ls`: HOME/.local/bin/ls --version prints the reference, with the store's loader
#     (the launcher's exec, strace); ./ls by itself still fails as before;
#   - `elfrun fix --user --undo`: the launcher and the directory fix made are gone, HOME as before (listing).
# Needs root (chroot for the reference) and the network to Debian's archive.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "chroot into the trixie root for the reference output"
case_need_tools chroot sha256sum find strace
case_need_elfrun
grep -q '^VERSION_CODENAME=bookworm' /etc/os-release || case_skip "the host is not Debian bookworm"

trixie=$(sh "$source_dir/scripts/make-root" amd64 --suite trixie) || {
  echo "FAIL: scripts/make-root amd64 --suite trixie"
  exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fix-fetched-user.XXXXXX") || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT
mkdir -p "$work/home" "$work/bin" || exit 1
cp "$trixie/usr/bin/ls" "$work/bin/ls" || exit 1
chroot "$trixie" /usr/bin/ls --version >"$work/ref" 2>&1 || { echo "FAIL: ls in the trixie root"; exit 1; }

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
as_user() {
  env -u XDG_CACHE_HOME -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_STATE_HOME -u ELFRUN_NO_CACHE \
    HOME="$work/home" "$@"
}
system_state() {
  find /lib64 /etc/ld.so.conf.d /etc/ld.so.cache /usr/local/lib -printf '%y %m %U:%G %p %l\n' 2>/dev/null | sort
  find /lib64 /etc/ld.so.conf.d /etc/ld.so.cache -type f -exec sha256sum {} + 2>/dev/null | sort
}
home_listing() {
  (cd "$work/home" && find . \( -path ./.cache -o -path ./.local/share \) -prune -o -printf '%y %m %p %l\n' | sort)
}
cd "$work/bin" || exit 1

# 0. Before the fetch: fix says to fetch first, and writes nothing (no store made).
said=$(as_user "$elfrun" fix ./ls 2>&1)
status=$?
echo "fix ./ls before the fetch -> $status: $said"
[ "$status" -eq 1 ] || fail "fix ./ls before the fetch exited $status, expected 1"
case $said in *"elfrun run --fetch ./ls"*) ;; *) fail "fix ./ls before the fetch does not say to run --fetch first" ;; esac
[ -e "$work/home/.local" ] && fail "fix without --apply wrote into HOME: $(find "$work/home/.local")"

# 1. The set, fetched.
as_user "$elfrun" run --fetch ./ls --version >"$work/out" 2>"$work/err"
status=$?
echo "run --fetch ./ls --version -> $status; stderr:"
sed 's/^/    /' "$work/err"
if [ "$status" -eq 127 ] && grep -q 'apt-get update' "$work/err" && [ "${CI:-}" != true ]; then
  case_skip "apt cannot read the archive's indexes (no network?)"
fi
[ "$status" -eq 0 ] || fail "run --fetch exited $status"
cmp -s "$work/out" "$work/ref" || fail "run --fetch ./ls --version differs from the trixie root's"
before_said=$(./ls --version 2>&1)
before_status=$?
echo "./ls by itself -> $before_status: $before_said"
[ "$before_status" -ne 0 ] || fail "./ls runs by itself on this host: nothing to fix"
system_state >"$work/system-before"
home_listing >"$work/home-before"

# 2. System-wide: refused, the system's loader untouched.
said=$(as_user "$elfrun" fix ./ls 2>&1)
status=$?
echo "fix ./ls -> $status:"
echo "$said" | sed 's/^/    /'
[ "$status" -eq 1 ] || fail "fix ./ls exited $status, expected 1"
case $said in *"never replaces it"*"elfrun fix --user ./ls"*) ;; *) fail "fix ./ls does not say why and name fix --user" ;; esac
as_user "$elfrun" fix --apply ./ls >/dev/null 2>&1 && fail "fix --apply ./ls succeeded"

# 3. --user: the launcher.
said=$(as_user "$elfrun" fix --user --apply ./ls 2>&1)
status=$?
echo "fix --user --apply ./ls -> $status:"
echo "$said" | sed 's/^/    /'
[ "$status" -eq 0 ] || fail "fix --user --apply exited $status"
launcher=$work/home/.local/bin/ls
strace -f -qq -e trace=execve -o "$work/strace" "$launcher" --version >"$work/out-launcher" 2>&1
status=$?
[ "$status" -eq 0 ] || fail "the launcher exited $status: $(cat "$work/out-launcher")"
cmp -s "$work/out-launcher" "$work/ref" || fail "the launcher's ls --version differs from the trixie root's"
grep -q "execve(\"$work/home/.local/share/elfrun/store/libc6_2.4[^\"]*/ld-linux-x86-64.so.2\"" "$work/strace" ||
  fail "the launcher does not exec the store's loader: $(cat "$work/strace")"
said=$(./ls --version 2>&1)
[ $? -eq "$before_status" ] && [ "$said" = "$before_said" ] || fail "./ls by itself changed: $said"
system_state >"$work/system-after"
cmp -s "$work/system-before" "$work/system-after" || fail "the system's loader, cache or ld.so.conf.d changed"

# 4. Undo.
said=$(as_user "$elfrun" fix --user --undo 2>&1)
status=$?
echo "fix --user --undo -> $status:"
echo "$said" | sed 's/^/    /'
[ "$status" -eq 0 ] || fail "fix --user --undo exited $status"
[ -e "$launcher" ] && fail "the launcher is still there"
home_listing >"$work/home-after"
# The journal's directory (~/.local/state/elfrun) may stay: it is the user's, made once.
grep -v '\./\.local/state' "$work/home-before" >"$work/home-before.cmp"
grep -v '\./\.local/state' "$work/home-after" >"$work/home-after.cmp"
cmp -s "$work/home-before.cmp" "$work/home-after.cmp" || {
  diff "$work/home-before.cmp" "$work/home-after.cmp"
  fail "HOME is not as before the fix"
}

echo "fix_fetched_user: $failures failures"
[ $failures -eq 0 ]
