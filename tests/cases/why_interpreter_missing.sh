#!/bin/sh
# `elfrun why` on the mission's finding (issue 5, finding 5) on this machine: a program whose PT_INTERP does not
# exist. It must say so in those words, name PT_INTERP, list the compatible loaders found elsewhere, and print an
# `elfrun run` command, the command that runs, and a system-wide fix — each pasted into sh here must work:
#   - glibc: gcc -Wl,--dynamic-linker=/opt/...: the run command and its expansion print Hello World; the patchelf
#     fix (the usual loader /lib64/ld-linux-x86-64.so.2 is there) makes the program run directly, and why then says
#     it runs (exit 0);
#   - musl: musl-gcc with a missing interpreter: /lib/ld-musl-x86_64.so.1 is listed and the run command works.
# The real kernel agrees: exec of the program fails with ENOENT. Without gcc the case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
case_need_tools gcc patchelf python3
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
why_setup
cd "$work" || exit 1

build_hello lost -Wl,--dynamic-linker=/opt/elfrun-why-test/ld-linux-x86-64.so.2
python3 -c '
import errno, os, sys
try:
    os.execv(sys.argv[1], [sys.argv[1]])
except OSError as e:
    sys.exit(0 if e.errno == errno.ENOENT else 1)
' ./lost || case_fail "exec of ./lost did not fail with ENOENT"

why_run ./lost
expect_status 1
expect "./lost will not run: its interpreter /opt/elfrun-why-test/ld-linux-x86-64.so.2 does not exist"
expect 'that is what "No such file or directory" means here'
expect "PT_INTERP (the program interpreter the kernel starts first): /opt/elfrun-why-test/ld-linux-x86-64.so.2"
expect "the directory /opt/elfrun-why-test does not exist"
expect "compatible loaders found elsewhere on this machine:"
expect "/lib64/ld-linux-x86-64.so.2 (glibc "
expect_codes interpreter-missing
expect_hello "$(fix_line 'elfrun run ./lost')"
expect_hello "$(expanded_line)"
patch=$(fix_line 'patchelf --set-interpreter /lib64/ld-linux-x86-64.so.2 ./lost')
[ -n "$patch" ] || case_fail "no patchelf fix"
paste "$patch"
expect_hello ./lost
why_run ./lost
expect_status 0
expect "./lost will run: its interpreter /lib64/ld-linux-x86-64.so.2 (glibc"

# Arguments after the program are the program's, and the run command passes them on.
build_hello args-lost -Wl,--dynamic-linker=/opt/elfrun-why-test/ld-linux-x86-64.so.2
why_run ./args-lost -v --json 'two words'
expect_status 1
expect "elfrun run ./args-lost -v --json 'two words'"

if command -v musl-gcc >/dev/null 2>&1 && [ -e /lib/ld-musl-x86_64.so.1 ]; then
  musl-gcc -o musl-lost hello.c -Wl,--dynamic-linker=/opt/elfrun-why-test/ld-musl-x86_64.so.1 ||
    case_fail "musl-gcc failed"
  why_run ./musl-lost
  expect_status 1
  expect "./musl-lost will not run: its interpreter /opt/elfrun-why-test/ld-musl-x86_64.so.1 does not exist"
  expect "/lib/ld-musl-x86_64.so.1 (musl "
  expect_not "(glibc"
  expect_codes interpreter-missing
  expect_hello "$(fix_line 'elfrun run ./musl-lost')"
elif [ "${CI:-}" = true ]; then
  case_fail "musl-gcc or /lib/ld-musl-x86_64.so.1 is missing (Debian packages musl-tools, musl)"
fi

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
