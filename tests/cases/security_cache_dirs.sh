#!/bin/sh
# ctest-labels: slow
# Issue 13, finding 1: root running elfrun with another user's HOME or XDG_CACHE_HOME (`sudo -E`, `su` without `-`,
# replayed here as root with that environment) must not write into, nor prune, a directory that user chose. The
# caches follow util/trust.h's rule: every directory from / down to the cache owned by root or the effective user,
# writable by nobody else, none of them a symbolic link; what fails is ignored with one warning line, and the command
# still runs. Pruning removes only the cache's own entries (16 hex digits, regular files of the user), by dirfd.
# Before the fix: the symlinked directory of root's got root's entries and was pruned from 600 files to 384.
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/security.sh"

security_setup cache gcc patchelf
unset ELFRUN_NO_CACHE XDG_CACHE_HOME

security_add_user alice || case_skip "useradd failed"
alice_home=$(getent passwd "$alice" | cut -d: -f6)

# root's directory that alice points her cache at: 600 files, half of them named as cache entries are.
mkdir -m 700 victim
i=0
while [ "$i" -lt 300 ]; do
  printf 'root data %d\n' "$i" >"victim/$(printf '%016x' "$i")"
  printf 'root data %d\n' "$i" >"victim/file-$i"
  i=$((i + 1))
done
# Programs: one the kernel runs as it is, one that goes through a loader (the loader identity cache too).
cp "$fixtures/probe-x86_64" probe && cp probe probe-no-interp &&
  patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 probe-no-interp || exit 1
chmod 755 probe probe-no-interp
sleep 3  # the plan cache stores only plans whose files have settled (util::settled)

before=$(security_listing victim)

# check NAME EXPECTED-WARNING-PATH ENV...: runs both programs as root with ENV, twice (the second run may take the
# fast path); each must run, warn about the path, and leave the victim and alice's home as they were.
check() {
  name=$1 warned=$2
  shift 2
  home_before=$(security_listing "$alice_home")
  for program in ./probe ./probe-no-interp ./probe; do
    env "$@" PROBE_STATUS=3 "$elfrun" run "$program" one >out 2>err
    status=$?
    [ "$status" -eq 3 ] && grep -q '^argv\[1\] one$' out ||
      case_fail "$name: $program did not run (status $status): $(head -2 out) $(cat err)"
  done
  env "$@" "$elfrun" run ./probe-no-interp >/dev/null 2>err
  grep -q "warning: ignoring cache $warned" err || case_fail "$name: no warning naming $warned: $(cat err)"
  [ "$(grep -c warning err)" -le 2 ] || case_fail "$name: more than one warning per cache: $(cat err)"
  after=$(security_listing victim)
  if [ "$after" != "$before" ]; then
    case_fail "$name: root's directory was touched"
    printf '%s\n' "$before" >listing.before
    printf '%s\n' "$after" >listing.after
    diff listing.before listing.after | head -5
  fi
  [ "$(security_listing "$alice_home")" = "$home_before" ] || case_fail "$name: root wrote into $alice_home"
  echo "$name: $(ls victim | wc -l) files in root's directory, stderr: $(head -1 err)"
}

# 1. ~/.cache/elfrun/plans and ~/.cache/elfrun/loaders are symbolic links to root's directory.
security_as "$alice" sh -c 'mkdir -p ~/.cache/elfrun && ln -s "$1" ~/.cache/elfrun/plans &&
  ln -s "$1" ~/.cache/elfrun/loaders' sh "$work/victim" || exit 1
check "plans and loaders symlinked" "$alice_home/.cache/elfrun/" HOME="$alice_home"

# 2. ~/.cache/elfrun itself is the link.
security_as "$alice" sh -c 'rm -rf ~/.cache/elfrun && ln -s "$1" ~/.cache/elfrun' sh "$work/victim" || exit 1
check "elfrun cache symlinked" "$alice_home/.cache/elfrun" HOME="$alice_home"

# 3. XDG_CACHE_HOME is alice's own (real) directory: root writes nothing there either.
security_as "$alice" sh -c 'mkdir ~/xdg' || exit 1
check "XDG_CACHE_HOME of another user" "$alice_home/xdg/elfrun" XDG_CACHE_HOME="$alice_home/xdg" HOME=/root

# 4. A cache directory that is group-writable, though root's own.
mkdir -p roothome/.cache/elfrun/plans && chmod 775 roothome/.cache/elfrun/plans
check "group-writable plans directory" "$work/roothome/.cache/elfrun/plans" HOME="$work/roothome"
[ -z "$(ls roothome/.cache/elfrun/plans)" ] || case_fail "an entry was written into a group-writable directory"

# 5. alice's own cache, as alice: it works, and pruning spares what it did not write (600 files of hers).
security_as "$alice" sh -c 'rm -f ~/.cache/elfrun; mkdir -p ~/.cache/elfrun/plans &&
  i=0; while [ $i -lt 600 ]; do echo mine >~/.cache/elfrun/plans/note-$i; i=$((i + 1)); done' || exit 1
own_before=$(security_listing "$alice_home/.cache/elfrun/plans")
security_as "$alice" env HOME="$alice_home" "$elfrun" run ./probe >/dev/null 2>err || case_fail "alice's run failed: $(cat err)"
[ -s err ] && case_fail "alice's own cache drew a warning: $(cat err)"
entries=$(find "$alice_home/.cache/elfrun/plans" -regextype posix-basic -regex '.*/[0-9a-f]\{16\}' -user "$alice" | wc -l)
[ "$entries" -eq 1 ] || case_fail "alice's own cache: $entries entries written (expected 1)"
kept=$(security_listing "$alice_home/.cache/elfrun/plans" | grep -c ' ./note-')
[ "$kept" -eq 600 ] || case_fail "pruning removed files the cache did not write: $kept of 600 left"
echo "own cache: $entries entry, $kept of 600 other files kept"

[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
