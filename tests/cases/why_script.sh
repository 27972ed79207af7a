#!/bin/sh
# `elfrun why` on #! scripts (issue 5, finding 2), each situation built here and checked against the kernel where it
# has an answer: a script saved with CRLF (the interpreter "/bin/sh\r" does not exist; or env is asked for
# "python3\r"), an interpreter that is missing (and one of the same name elsewhere in PATH), one that is not
# executable, one that is an ELF program with a missing loader (the failure one level down), "#!/usr/bin/env NAME"
# with no NAME in PATH, an empty #! line, and chains of scripts: five levels run, six fail with ELOOP as in Linux.
# The fixes printed are pasted: the sed that strips the CRs, the interpreter found elsewhere, the `elfrun run` of the
# interpreter. Without gcc or python3 the case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
case_need_tools gcc python3
why_setup
cd "$work" || exit 1

# exec_errno FILE: the errno name exec of FILE fails with, or "ok".
exec_errno() {
  python3 -c '
import errno, os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY); os.dup2(fd, 1); os.dup2(fd, 2)
    try:
        os.execv(sys.argv[1], [sys.argv[1]])
    except OSError as e:
        os.write(3, errno.errorcode[e.errno].encode())
        os._exit(1)
' "$1" 3>"$work/.errno"
  wait
  sleep 0.1
  cat "$work/.errno"
  [ -s "$work/.errno" ] || echo ok
}

printf '#!/bin/sh\r\necho Hello World\r\n' >dos.sh
chmod +x dos.sh
[ "$(exec_errno ./dos.sh)" = ENOENT ] || case_fail "exec of the CRLF script did not fail with ENOENT"
why_run ./dos.sh
expect_status 1
expect './dos.sh was saved with Windows line ends (CRLF): the kernel looks for the interpreter "/bin/sh\r"'
expect '"cannot execute: required file not found"'
expect_codes script-crlf
paste "$(fix_line "sed -i 's/")"
why_run ./dos.sh
expect_status 0
expect "./dos.sh will run: it is a script for /bin/sh, which runs"
expect_hello ./dos.sh

printf '#!/usr/bin/env python3\r\nprint("Hello World")\r\n' >dos.py
chmod +x dos.py
why_run ./dos.py
expect_status 1
expect 'its #! line passes "python3\r", with a carriage return at its end, to /usr/bin/env'
expect_codes script-crlf

printf '#!/opt/elfrun-why-test/bin/tool --flag\necho\n' >lost.sh
chmod +x lost.sh
[ "$(exec_errno ./lost.sh)" = ENOENT ] || case_fail "exec of lost.sh did not fail with ENOENT"
why_run ./lost.sh
expect_status 1
expect "./lost.sh is a script for /opt/elfrun-why-test/bin/tool, which does not exist: the directory /opt/elfrun-why-test does not exist"
expect_codes script-interpreter-missing

# The same interpreter name is in PATH: the fix runs the script with it.
printf '#!/opt/elfrun-why-test/bin/sh\necho Hello World\n' >moved.sh
chmod +x moved.sh
why_run ./moved.sh
expect_status 1
expect_codes script-interpreter-missing
expect_hello "$(fix_line '/sh ./moved.sh')"

printf '#!/bin/sh\necho nested\n' >tool
chmod 644 tool
printf '#!%s/tool\necho\n' "$work" >uses-tool.sh
chmod +x uses-tool.sh
[ "$(exec_errno ./uses-tool.sh)" = EACCES ] || case_fail "exec of uses-tool.sh did not fail with EACCES"
why_run ./uses-tool.sh
expect_status 1
expect "./uses-tool.sh is a script for $work/tool, which will not run: $work/tool is not executable for you"
expect_codes script-interpreter-fails

build_hello lost-loader -Wl,--dynamic-linker=/opt/elfrun-why-test/ld-linux-x86-64.so.2
printf '#!%s/lost-loader\n' "$work" >elf-interp.sh
chmod +x elf-interp.sh
[ "$(exec_errno ./elf-interp.sh)" = ENOENT ] || case_fail "exec of elf-interp.sh did not fail with ENOENT"
why_run ./elf-interp.sh
expect_status 1
expect "./elf-interp.sh is a script for $work/lost-loader, which will not run: its interpreter /opt/elfrun-why-test/ld-linux-x86-64.so.2 does not exist"
expect_codes script-interpreter-fails
expect_hello "$(fix_line "elfrun run $work/lost-loader ./elf-interp.sh")"

printf '#!/usr/bin/env elfrun-why-no-such-program\n' >env.sh
chmod +x env.sh
why_run ./env.sh
expect_status 1
expect "./env.sh runs elfrun-why-no-such-program through /usr/bin/env, and no directory of PATH has a program called elfrun-why-no-such-program"
expect_codes script-env-program-missing

printf '#!   \necho\n' >empty.sh
chmod +x empty.sh
[ "$(exec_errno ./empty.sh)" = ENOEXEC ] || case_fail "exec of empty.sh did not fail with ENOEXEC"
why_run ./empty.sh
expect_status 1
expect "the kernel refuses the #! line of ./empty.sh"
expect_codes script-bad-line

# Chains: s0 -> /bin/sh, s1 -> s0, ... s5 -> s4.
printf '#!/bin/sh\necho Hello World\n' >s0
chmod +x s0
for i in 1 2 3 4 5; do
  printf '#!%s/s%d\n' "$work" $((i - 1)) >"s$i"
  chmod +x "s$i"
done
[ "$(exec_errno ./s4)" = ok ] || case_fail "exec of s4 (five scripts) failed"
[ "$(exec_errno ./s5)" = ELOOP ] || case_fail "exec of s5 (six scripts) did not fail with ELOOP"
why_run ./s4
expect_status 0
expect "./s4 will run: it is a script for $work/s3, which runs"
why_run ./s5
expect_status 1
expect "Linux follows at most 5"
expect '"Too many levels of symbolic links" (ELOOP)'
expect_codes script-interpreter-fails script-too-deep

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
