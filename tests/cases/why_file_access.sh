#!/bin/sh
# `elfrun why` on what execve refuses before it looks inside a file (issue 5, finding 1): a file that is missing, a
# dangling symbolic link, a directory, a program PATH does not have, a file without execute permission (chmod -x),
# and a file on a noexec mount (a tmpfs mounted noexec in a private mount namespace, when this runs as root). Each
# must exit 1 with its finding code and the words of its verdict; the fixes it prints, pasted, must work: chmod +x,
# and for a script on a noexec mount, running its interpreter on it. The kernel agrees (exec fails with ENOENT,
# EACCES). Without gcc the case is skipped (77; CI: fails); the noexec part needs root and unshare.
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
this_case=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
case_need_tools gcc python3

if [ "${1:-}" = --noexec ]; then
  # In a private mount namespace: a noexec tmpfs at $2, a program and a script on it.
  work=$2
  elfrun=$3
  mkdir -p "$work/noexec"
  mount -t tmpfs -o noexec,size=16m elfrun-why-noexec "$work/noexec" || exit 77
  cp "$work/hello" "$work/noexec/hello"
  printf '#!/bin/sh\necho Hello World\n' >"$work/noexec/hello.sh"
  chmod +x "$work/noexec/hello" "$work/noexec/hello.sh"
  cd "$work/noexec" || exit 1
  why_run ./hello
  expect_status 1
  expect "./hello is on a file system mounted noexec ($work/noexec)"
  expect '"Permission denied"'
  expect "options rw,noexec"
  expect_codes noexec-mount
  [ -n "$(fix_line 'elfrun run')" ] && case_fail "a loader cannot map a program from a noexec mount either"
  why_run ./hello.sh
  expect_status 1
  expect_codes noexec-mount
  expect_hello "$(fix_line '/bin/sh ./hello.sh')"
  cd / && umount "$work/noexec"
  [ "$case_failures" -eq 0 ] || exit 1
  exit 0
fi

why_setup
cd "$work" || exit 1
build_hello hello

# Usage errors: exit status 2.
why_run
expect_status 2
expect "a PROGRAM is required"
why_run --no-such-option ./hello
expect_status 2
expect "unknown option --no-such-option"

why_run ./nothing-here
expect_status 1
expect "./nothing-here does not exist"
expect_codes file-missing

ln -s "$work/gone" dangling
why_run ./dangling
expect_status 1
expect "./dangling does not exist: ./dangling is a symbolic link to $work/gone, which does not exist"
expect_codes file-missing

why_run ./no/such/dir/prog
expect "the directory ./no does not exist"

mkdir adir
why_run ./adir
expect_status 1
expect "./adir is a directory: execve runs only regular files"
expect_codes not-regular-file

why_run elfrun-why-no-such-command
expect_status 1
expect 'no directory of PATH has an executable file called elfrun-why-no-such-command — that is what "command not found" means'
expect_codes command-not-found

cp hello locked
chmod 644 locked
python3 -c '
import errno, os, sys
try:
    os.execv(sys.argv[1], [sys.argv[1]])
except OSError as e:
    sys.exit(0 if e.errno == errno.EACCES else 1)
' ./locked || case_fail "exec of ./locked did not fail with EACCES"
why_run ./locked
expect_status 1
expect './locked is not executable for you (mode -rw-r--r--) — that is what "Permission denied" means here'
expect_codes not-executable
paste "$(fix_line 'chmod +x ./locked')"
why_run ./locked
expect_status 0
expect_hello ./locked

# A bare name found through PATH, as a shell finds it.
cp hello "$work/bin/elfrun-why-hello"
why_run elfrun-why-hello
expect_status 0
expect "elfrun-why-hello will run"

if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
  unshare --mount --propagation private true 2>/dev/null; then
  unshare --mount --propagation private sh "$this_case" --noexec "$work" "$elfrun"
  case $? in
    0) ;;
    77) [ "${CI:-}" = true ] && case_fail "a noexec tmpfs cannot be mounted"
        echo "note: a noexec tmpfs cannot be mounted here: that part is not checked" ;;
    *) case_fail "the noexec part failed (above)" ;;
  esac
elif [ "${CI:-}" = true ]; then
  case_fail "the noexec part needs root and unshare --mount"
else
  echo "note: not root or no unshare: the noexec mount is not checked"
fi

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
