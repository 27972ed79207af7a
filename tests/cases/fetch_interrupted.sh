#!/bin/sh
# ctest-labels: slow
# An interrupted `run --fetch` leaves nothing behind in the store (issue 16): trixie's ls (GLIBC_2.38, so libc6 of
# trixie is fetched) is run with --fetch and killed with SIGKILL — with its apt and dpkg-deb children — once during
# the download and once while the package is being unpacked into the store. After each kill the store holds no entry
# (only, at most, the temporary directory of the killed unpack, which the next store operation removes: checked), and
# the next `run --fetch` fetches and prints what ls --version prints in its own root.
# Needs root (the trixie root) and the network to Debian's archive.
set -u
. "$(dirname "$0")/lib/case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "the shared trixie root"
case_need_tools setsid chroot
case_need_elfrun
grep -q '^VERSION_CODENAME=bookworm' /etc/os-release || case_skip "the host is not Debian bookworm"
root=$(sh "$source_dir/scripts/make-root" amd64 --suite trixie) || {
  echo "FAIL: scripts/make-root amd64 --suite trixie could not make the trixie root"
  exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fetch-kill.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cp "$root/usr/bin/ls" "$work/ls" || exit 1
reference=$(chroot "$root" /usr/bin/ls --version) || { echo "FAIL: ls --version in the trixie root"; exit 1; }
store=$work/home/.local/share/elfrun/store

as_user() {
  env -u XDG_CACHE_HOME -u XDG_DATA_HOME -u ELFRUN_NO_CACHE HOME="$work/home" "$@"
}
# kill_when WHAT: starts run --fetch in a session of its own and SIGKILLs the whole session when WHAT is seen:
# "download" (a partial .deb in apt's private state) or "unpack" (a temporary directory in the store).
kill_when() {
  rm -f "$work/pid"
  # setsid: a session (and process group) of its own, whose id the shell writes down before it becomes elfrun.
  as_user setsid sh -c 'echo $$ >"$1/pid"; shift; exec "$@"' sh "$work" "$elfrun" run --fetch "$work/ls" --version \
    >"$work/out" 2>"$work/err" &
  waited=0
  while [ ! -s "$work/pid" ] && [ $waited -lt 500 ]; do
    sleep 0.01
    waited=$((waited + 1))
  done
  pid=$(cat "$work/pid")
  [ -n "$pid" ] || { echo "FAIL: elfrun did not start"; return 1; }
  waited=0
  seen=
  while [ $waited -lt 3000 ] && kill -0 $pid 2>/dev/null; do
    case $1 in
      download) ls "$work"/home/.cache/elfrun/downloads/*/*.deb "$work"/home/.cache/elfrun/downloads/*/partial/* \
        "$work"/home/.cache/elfrun/apt/*/archives/partial/* 2>/dev/null | grep -q libc6 && seen=1 ;;
      unpack) ls -a "$store" 2>/dev/null | grep -q '^\.tmp-' && seen=1 ;;
    esac
    [ -n "$seen" ] && break
    sleep 0.01
    waited=$((waited + 1))
  done
  kill -KILL -"$pid" 2>/dev/null  # dash: no "--"; a negative pid is the process group
  wait
  [ -n "$seen" ] || echo "(the $1 was not caught in time: the kill came $([ $waited -ge 3000 ] && echo late || echo after the end))"
  [ -n "$seen" ]
}

caught=0
for phase in download unpack; do
  rm -rf "$store"
  if kill_when $phase; then
    caught=$((caught + 1))
    entries=$(ls "$store" 2>/dev/null)
    leftovers=$(ls -a "$store" 2>/dev/null | grep '^\.tmp-')
    echo "killed during the $phase: store entries \"$entries\", temporary \"$leftovers\""
    [ -z "$entries" ] || case_fail "killed during the $phase, the store has entries: $entries"
    as_user "$elfrun" store --list >/dev/null 2>&1
    [ -z "$(ls -a "$store" 2>/dev/null | grep '^\.tmp-')" ] || case_fail "store --list did not remove what the killed unpack left"
  fi
  said=$(as_user "$elfrun" run --fetch "$work/ls" --version 2>"$work/err")
  status=$?
  [ "$status" -eq 0 ] && [ "$said" = "$reference" ] ||
    case_fail "after the kill during the $phase: status $status, $(head -1 "$work/err")"
done
if grep -q 'apt-get update.*failed' "$work/err"; then
  [ "${CI:-}" = true ] && case_fail "no network to the archive"
  case_skip "no network to the archive"
fi
[ $caught -gt 0 ] || case_fail "neither the download nor the unpack was caught"
[ "$case_failures" -eq 0 ]
