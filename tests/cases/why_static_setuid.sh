#!/bin/sh
# `elfrun why` on static programs and setuid programs (issue 5, finding 11):
#   - gcc -static and gcc -static-pie: they run, and why says there is nothing to resolve (static-program,
#     static-pie), exit 0;
#   - a setuid copy of hello world: it runs, with a note of what a loader-run loses (or, on a nosuid mount, a warning
#     that the bit is ignored);
#   - a setuid program whose interpreter is missing: the run command must carry --allow-setuid (elfrun run refuses a
#     setuid program without it), and pasted it prints Hello World.
# Without gcc or python3 the case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools gcc python3
why_setup
cd "$work" || exit 1

build_hello static -static
why_run ./static
expect_status 0
expect "./static will run: it is statically linked and the kernel runs 64-bit x86-64 programs"
expect "there is no loader and no library to resolve"
expect_codes static-program
expect_hello ./static

if [ -e /usr/lib/x86_64-linux-gnu/rcrt1.o ]; then
  build_hello static-pie -static-pie
  why_run ./static-pie
  expect_status 0
  expect "./static-pie will run: it is statically linked (static-pie)"
  expect_codes static-pie
  expect_hello ./static-pie
fi

nosuid=$(python3 -c 'import os, sys; print(1 if os.statvfs(sys.argv[1]).f_flag & os.ST_NOSUID else 0)' "$work")
build_hello suid
chmod 4755 suid
why_run ./suid
expect_status 0
if [ "$nosuid" = 1 ]; then
  expect "./suid is setuid or setgid, but its file system is mounted nosuid"
  expect_codes setuid-ignored
else
  expect "./suid is setuid or setgid: started directly it runs with its owner's privileges; run through a loader (elfrun run) it runs with yours"
  expect_codes setuid
fi

build_hello suid-lost -Wl,--dynamic-linker=/opt/elfrun-why-test/ld-linux-x86-64.so.2
chmod 4755 suid-lost
why_run ./suid-lost
expect_status 1
expect "./suid-lost will not run: its interpreter /opt/elfrun-why-test/ld-linux-x86-64.so.2 does not exist"
command=$(fix_line 'elfrun run')
case $command in
  "elfrun run --allow-setuid ./suid-lost") ;;
  *) case_fail "the run command is \"$command\", not elfrun run --allow-setuid ./suid-lost" ;;
esac
expect_hello "$command"
"$elfrun" run ./suid-lost >/dev/null 2>&1 && case_fail "elfrun run ran a setuid program without --allow-setuid"

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
