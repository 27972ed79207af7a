#!/bin/sh
# ctest-labels: slow
# Issue 13, finding 6: the sh bundle trusts no unpack directory it did not make. With a shared XDG_CACHE_HOME
# (a sticky directory everyone writes), another user pre-creates elfrun-bundles/HASH/bin/PROG; the victim's run must
# not execute it: the bundle sees that elfrun-bundles is not the victim's private directory, says so in one line and
# unpacks into a fresh private temporary directory. In the victim's own cache, an unpack that no longer matches the
# manifest the .sh carries (a file deleted or changed) is unpacked again, so a partly deleted unpack is repaired.
# Before the fix: the other user's file ran as the victim, and a partly deleted unpack failed (127) on every run.
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/security.sh"

security_setup bundle gcc gzip tar mktemp
"$elfrun" bundle -o probe.sh "$fixtures/probe-x86_64" >/dev/null 2>err || { echo "FAIL: bundle: $(cat err)"; exit 1; }
chmod 755 probe.sh
hash=$(sed -n 's/^hash=//p' probe.sh)
[ -n "$hash" ] || { echo "FAIL: no hash= line in the sh bundle"; exit 1; }

security_add_user alice && security_add_user bob || case_skip "useradd failed"
bob_home=$(getent passwd "$bob" | cut -d: -f6)
mkdir -m 1777 shared

# 1. alice plants the unpack directory in the shared cache.
security_as "$alice" sh -c 'mkdir -p "$1/elfrun-bundles/$2/bin" && chmod -R 755 "$1/elfrun-bundles" &&
  printf "#!/bin/sh\necho planted-by-alice\n" >"$1/elfrun-bundles/$2/bin/probe-x86_64" &&
  chmod 755 "$1/elfrun-bundles/$2/bin/probe-x86_64"' sh "$work/shared" "$hash" || exit 1
before=$(security_listing shared)
mkdir -m 1777 tmp
security_as "$bob" env HOME="$bob_home" XDG_CACHE_HOME="$work/shared" TMPDIR="$work/tmp" ./probe.sh one >out 2>err
status=$?
grep -q planted-by-alice out && case_fail "bob ran the file alice planted"
[ "$status" -eq 0 ] && grep -q '^argv\[1\] one$' out || case_fail "bob's run failed (status $status): $(cat out err)"
grep -q "warning: $work/shared/elfrun-bundles is not a private directory" err ||
  case_fail "no warning about the shared unpack directory: $(cat err)"
[ "$(security_listing shared)" = "$before" ] || case_fail "the shared cache changed"
echo "planted: $(head -1 out); $(head -1 err)"
ls tmp | grep -q '^elfrun-bundle\.' || case_fail "bob's run did not unpack into a temporary directory of its own"

# 2. bob's own cache: unpacked once, reused, and repaired when a file goes or changes.
run_bob() { security_as "$bob" env HOME="$bob_home" ./probe.sh "$1" >out 2>err; }
run_bob first || case_fail "first run in bob's own cache failed: $(cat err)"
unpack=$bob_home/.cache/elfrun-bundles/$hash
[ -d "$unpack" ] || { echo "FAIL: nothing unpacked to $unpack"; exit 1; }
[ "$(stat -c '%U %a' "$unpack")" = "$bob 700" ] || case_fail "unpack directory: $(stat -c '%U %a' "$unpack")"
inode=$(stat -c %i "$unpack")
run_bob second && [ "$(stat -c %i "$unpack")" = "$inode" ] || case_fail "an intact unpack was not reused"
[ -s err ] && case_fail "an intact unpack drew a message: $(cat err)"
rm -f "$unpack"/lib/*/libc.so.6
run_bob repaired
status=$?
[ "$status" -eq 0 ] && grep -q '^argv\[1\] repaired$' out || case_fail "partly deleted unpack: status $status: $(cat err)"
[ -f "$(echo "$unpack"/lib/*/libc.so.6)" ] || case_fail "libc.so.6 was not restored"
security_as "$bob" sh -c 'chmod u+w "$1"/libexec/probe-x86_64 && echo tampered >>"$1"/libexec/probe-x86_64' sh "$unpack"
run_bob changed
status=$?
[ "$status" -eq 0 ] && grep -q '^argv\[1\] changed$' out || case_fail "changed file: status $status: $(cat err)"
ls -a "$bob_home/.cache/elfrun-bundles" | grep -q '^\.unpack\|^\.old' && case_fail "temporary directories left"
echo "own cache: reused once, repaired after a deletion and a change"

[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
