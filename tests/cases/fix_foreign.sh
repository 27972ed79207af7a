#!/bin/sh
# ctest-labels: slow
# `elfrun fix` for a foreign program (issue 12): the AArch64 hello of the fixtures (clang --target=aarch64-linux-gnu,
# lld, Debian's libc6-arm64-cross) in a small root of its own (a COPY of /usr/aarch64-linux-gnu at ROOT/usr/..., the
# program in ROOT/root; the host's /etc is never touched: everything goes through --root), with Debian's own
# qemu-aarch64 binfmt_misc entry (the line of qemu-user-static's /usr/lib/binfmt.d/qemu-aarch64.conf) registered in
# a PRIVATE binfmt_misc: a user namespace of its own (unshare -Ur --mount; Linux >= 6.7), gone with it. Checked:
#   - with binfmt_misc empty: the plan names the package that registers a handler (qemu-user-binfmt or
#     qemu-user-static), exit 1, nothing changed;
#   - with the entry: `chroot ROOT /root/hello-aarch64` fails as qemu does ("Could not open '/lib/ld-linux-aarch64.so.1'",
#     255); `why` offers `elfrun fix --apply --root ROOT PROGRAM` first, and under -v the hand-written symlink line;
#   - the plan (mkdir ROOT/etc/qemu-binfmt, ln -s /usr/aarch64-linux-gnu ROOT/etc/qemu-binfmt/aarch64) changes nothing;
#     after --apply the kernel runs it (Hello World, and the probe gets its arguments and exit status); `--list`
#     shows the symlink; a changed symlink makes --undo refuse; `--undo` leaves ROOT exactly as before (a listing of
#     every path with type, mode, owner and hash or link target) and the program fails again;
#   - refusals, nothing changed: an existing ROOT/etc/qemu-binfmt/aarch64 fix did not make, a path a Debian package
#     owns (ROOT/var/lib/dpkg/info/*.list);
#   - `fix --user` as nobody, on the host (no handler there): the launcher in ~/.local/bin is ELF (no shell) and
#     execs qemu-aarch64 -L /usr/aarch64-linux-gnu -0 NAME PROGRAM: hello prints Hello World, the probe sees its own
#     name as argv[0], its arguments, and its exit status comes back.
# Needs root (chroot, setpriv), unshare, qemu-user-static, clang and lld; without a kernel that namespaces
# binfmt_misc the namespace part is skipped (never under CI=true).
set -u
. "$(dirname "$0")/lib/case.sh"
this_case=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

if [ "${1:-}" != --in-namespace ]; then
  [ "$(uname -m)" = x86_64 ] || case_skip "the case expects an x86-64 kernel, the host is $(uname -m)"
  case_need_root "chroot and becoming nobody"
  case_need_tools unshare chroot setpriv clang ld.lld qemu-aarch64 sha256sum find
  [ -f /usr/lib/binfmt.d/qemu-aarch64.conf ] ||
    case_skip "no /usr/lib/binfmt.d/qemu-aarch64.conf (Debian package qemu-user-static)"
  [ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] ||
    case_skip "no /usr/aarch64-linux-gnu (Debian package libc6-arm64-cross)"
  case_need_elfrun
  fixtures=$build_dir/fixtures
  sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
  [ -x "$fixtures/hello-aarch64" ] && [ -x "$fixtures/probe-aarch64" ] ||
    case_skip "the aarch64 fixtures were not built (build-fixtures.sh names the missing packages)"

  work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fix-foreign.XXXXXX") || exit 1
  trap 'rm -rf --one-file-system "$work"' EXIT
  chmod 755 "$work"
  root=$work/root
  mkdir -p "$root/etc" "$root/root" "$root/usr" "$root/var/lib/dpkg/info" "$root/tmp" || exit 1
  cp -a /usr/aarch64-linux-gnu "$root/usr/" || exit 1
  cp "$fixtures/hello-aarch64" "$fixtures/probe-aarch64" "$root/root/" || exit 1

  # ---- --user, on the host, as nobody ----
  mkdir "$work/home" && chown 65534:65534 "$work/home" && chmod 755 "$work/home" || exit 1
  cp "$fixtures/hello-aarch64" "$fixtures/probe-aarch64" "$work/" && chmod 755 "$work/hello-aarch64" || exit 1
  as_user() {
    user_out=$(cd "$work" && setpriv --reuid=65534 --regid=65534 --clear-groups \
      env -i HOME="$work/home" PATH="$work/home/.local/bin:/usr/bin:/bin" ${extra_env:-} "$@" 2>&1)
    user_status=$?
    printf '# %s    (exit %s)\n' "$*" "$user_status"
    printf '%s\n' "$user_out" | sed 's/^/    /'
  }
  as_user "$elfrun" why ./hello-aarch64
  if [ "$user_status" -eq 0 ]; then
    echo "note: this host runs AArch64 programs by itself (a binfmt_misc handler with a root): --user not checked"
  else
    as_user "$elfrun" fix --user ./hello-aarch64
    [ "$user_status" -eq 0 ] || case_fail "fix --user (the plan) exited $user_status, not 0"
    case_expect "$user_out" "qemu-aarch64 -L /usr/aarch64-linux-gnu -0 NAME $work/hello-aarch64" "the --user plan"
    as_user "$elfrun" fix --user --apply ./hello-aarch64 ./probe-aarch64
    [ "$user_status" -eq 0 ] || case_fail "fix --user --apply exited $user_status, not 0"
    for name in hello-aarch64 probe-aarch64; do
      [ "$(od -An -c -N4 "$work/home/.local/bin/$name" | tr -d ' ')" = '177ELF' ] ||
        case_fail "the launcher $name is not an ELF file"
    done
    as_user hello-aarch64
    [ "$user_out" = "Hello World" ] && [ "$user_status" -eq 0 ] ||
      case_fail "hello-aarch64 on PATH: status $user_status, \"$user_out\""
    extra_env=PROBE_STATUS=42 as_user probe-aarch64 "two words" ""
    [ "$user_status" -eq 42 ] || case_fail "probe-aarch64 on PATH exited $user_status, not its own 42"
    case_expect_parts "$user_out" "argc 3;argv[0] probe-aarch64
argv[1] two words
argv[2] 
" "the probe's arguments through the launcher"
    case "$user_out" in *QEMU_LD_PREFIX*) case_fail "the launcher added QEMU_LD_PREFIX to the environment" ;; esac
    as_user "$elfrun" fix --user --undo
    [ "$user_status" -eq 0 ] || case_fail "fix --user --undo exited $user_status, not 0"
    [ -e "$work/home/.local/bin" ] && case_fail "fix --user --undo left ~/.local/bin"
  fi

  # ---- a private binfmt_misc ----
  case_in_private_binfmt_misc sh "$this_case" --in-namespace "$work" "$elfrun" || case_fail "the namespace part failed"
  echo "fix_foreign: $case_failures failures"
  [ "$case_failures" -eq 0 ]
  exit $?
fi

# ---- in a user namespace of our own, with its own binfmt_misc (case_in_private_binfmt_misc) ----
work=${2:?}
elfrun=${3:?}
root=$work/root
dir=/proc/sys/fs/binfmt_misc  # mounted by case_in_private_binfmt_misc
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
same_as() { cmp -s "$work/$1" "$work/$2" || case_fail "$3: the root changed ($(diff "$work/$1" "$work/$2" | head -5))"; }
program=$root/root/hello-aarch64

# No handler: the package to install, nothing changed.
listing before
run "$elfrun" fix --apply --root "$root" "$program"
[ "$status" -eq 1 ] || case_fail "fix --apply without a handler exited $status, not 1"
case_expect_parts "$out" "no binfmt_misc handler takes it;install qemu-user-binfmt (or qemu-user-static)"
listing after-refusal
same_as before after-refusal "fix --apply without a handler"

# Debian's own entry, as systemd-binfmt registers it from qemu-user-static's file.
entry=$(sed -n '/^:/{p;q}' /usr/lib/binfmt.d/qemu-aarch64.conf)
printf '%s' "$entry" >"$dir/register" || {
  echo "FAIL: cannot register $entry"
  exit 1
}
trap '[ -e "$dir/qemu-aarch64" ] && echo -1 >"$dir/qemu-aarch64"' EXIT
run chroot "$root" /root/hello-aarch64
[ "$status" -eq 255 ] || case_fail "before fix, the kernel ran it: status $status"
case_expect "$out" "Could not open '/lib/ld-linux-aarch64.so.1'" "qemu's error before fix"

run "$elfrun" why --root "$root" "$program"
[ "$status" -eq 1 ] || case_fail "why exited $status, not 1"
case_expect "$out" "elfrun fix --apply --root $root $program   # system-wide, reversibly" "why's fixes"
case "$out" in *"ln -s /usr/aarch64-linux-gnu /etc/qemu-binfmt/aarch64"*)
  case_fail "why without -v shows the hand-written symlink line" ;;
esac
run "$elfrun" why -v --root "$root" "$program"
case_expect "$out" "ln -s /usr/aarch64-linux-gnu /etc/qemu-binfmt/aarch64   # system-wide" "why -v"

run "$elfrun" fix --root "$root" "$program"
[ "$status" -eq 0 ] || case_fail "the plan exited $status, not 0"
case_expect_parts "$out" "mkdir $root/etc/qemu-binfmt;ln -s /usr/aarch64-linux-gnu $root/etc/qemu-binfmt/aarch64"
listing after-plan
same_as before after-plan "the plan"

run "$elfrun" fix --apply --root "$root" "$program"
[ "$status" -eq 0 ] || case_fail "fix --apply exited $status, not 0"
case_expect "$out" "checked: $program runs as itself"
[ "$(readlink "$root/etc/qemu-binfmt/aarch64")" = /usr/aarch64-linux-gnu ] || case_fail "no symlink made"
run chroot "$root" /root/hello-aarch64
[ "$status" -eq 0 ] && [ "$out" = "Hello World" ] || case_fail "after fix: status $status, \"$out\""
run env PROBE_STATUS=7 chroot "$root" /root/probe-aarch64 "a b"
[ "$status" -eq 7 ] || case_fail "after fix, the probe's status came back as $status, not 7"
case_expect "$out" "argv[1] a b" "the probe's arguments"
run "$elfrun" why --root "$root" "$program"
[ "$status" -eq 0 ] || case_fail "why after fix exited $status, not 0"
run "$elfrun" fix --list --root "$root"
case_expect "$out" "symlink /etc/qemu-binfmt/aarch64 -> /usr/aarch64-linux-gnu" "fix --list"

# A changed entry: --undo refuses and changes nothing.
rm "$root/etc/qemu-binfmt/aarch64" && ln -s /usr "$root/etc/qemu-binfmt/aarch64"
listing changed
run "$elfrun" fix --undo --root "$root"
[ "$status" -eq 1 ] || case_fail "undo of a changed symlink exited $status, not 1"
case_expect "$out" "now points to /usr, not to /usr/aarch64-linux-gnu"
listing changed-after
same_as changed changed-after "the refused undo"
rm "$root/etc/qemu-binfmt/aarch64" && ln -s /usr/aarch64-linux-gnu "$root/etc/qemu-binfmt/aarch64"

run "$elfrun" fix --undo --root "$root"
[ "$status" -eq 0 ] || case_fail "fix --undo exited $status, not 0"
listing after-undo
same_as before after-undo "fix --undo"
run chroot "$root" /root/hello-aarch64
[ "$status" -eq 255 ] || case_fail "after undo the kernel still runs it: status $status"

# An /etc/qemu-binfmt/aarch64 fix did not make: refused, nothing changed.
mkdir -p "$root/etc/qemu-binfmt/aarch64"
listing theirs
run "$elfrun" fix --apply --root "$root" "$program"
[ "$status" -eq 1 ] || case_fail "fix over an existing prefix exited $status, not 1"
case_expect "$out" "$root/etc/qemu-binfmt/aarch64 exists"
listing theirs-after
same_as theirs theirs-after "the refused fix over an existing prefix"
rm -r "$root/etc/qemu-binfmt"

# A path a Debian package owns: refused, nothing changed.
printf '/.\n/etc\n/etc/qemu-binfmt\n' >"$root/var/lib/dpkg/info/elfrun-test-owner.list"
listing owned
run "$elfrun" fix --apply --root "$root" "$program"
[ "$status" -eq 1 ] || case_fail "fix of a dpkg-owned path exited $status, not 1"
case_expect "$out" "belongs to the Debian package elfrun-test-owner (dpkg -S)"
listing owned-after
same_as owned owned-after "the refused fix of a dpkg-owned path"
rm "$root/var/lib/dpkg/info/elfrun-test-owner.list"

echo "in the namespace: $case_failures failures"
[ "$case_failures" -eq 0 ]
