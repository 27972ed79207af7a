#!/bin/sh
# `elfrun why` on files that are not Linux programs (issue 5, finding 3): a text file without #! (execve fails with
# ENOEXEC, a shell would run it with /bin/sh: the printed `sh FILE` is pasted), data, an object file (gcc -c), a
# shared library (gcc -shared), a damaged ELF file (a program cut short: exit status 2, the reader's message), and a
# FreeBSD program (clang --target=x86_64-unknown-freebsd, EI_OSABI FreeBSD). The kernel's own answer is checked
# where it gives one. Without gcc, clang or python3 the case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
case_need_tools gcc clang ld.lld python3
why_setup
cd "$work" || exit 1

exec_fails_with() {
  python3 -c '
import errno, os, sys
try:
    os.execv(sys.argv[1], [sys.argv[1]])
except OSError as e:
    sys.exit(0 if errno.errorcode[e.errno] == sys.argv[2] else 1)
sys.exit(1)
' "$1" "$2" || case_fail "exec of $1 did not fail with $2"
}

printf 'echo Hello World\n' >plain
chmod +x plain
exec_fails_with ./plain ENOEXEC
why_run ./plain
expect_status 1
expect './plain is a text file without a #! line: execve fails with "Exec format error"'
expect_codes not-elf
expect_hello "$(fix_line 'sh ./plain')"

printf '\001\002\003\004\377\376data' >data
chmod +x data
exec_fails_with ./data ENOEXEC
why_run ./data
expect_status 1
expect './data is not a program (data): no handler of the kernel takes it — execve fails with "Exec format error"'
expect "its first bytes: 01 02 03 04 ff fe 64 61"
expect_codes not-elf

gcc -c -o hello.o hello.c || case_fail "gcc -c failed"
chmod +x hello.o
exec_fails_with ./hello.o ENOEXEC
why_run ./hello.o
expect_status 1
expect "./hello.o is an object file (ET_REL), input for the linker, not a program"
expect_codes elf-not-a-program

printf 'int answer(void) { return 42; }\n' >lib.c
gcc -shared -fPIC -o libanswer.so lib.c || case_fail "gcc -shared failed"
why_run ./libanswer.so
expect_status 1
expect "./libanswer.so is a shared library without a program interpreter"
expect_codes elf-shared-library

build_hello hello
head -c 100 hello >damaged
chmod +x damaged
why_run ./damaged
expect_status 2
expect "./damaged is a damaged ELF file: program header table: e_phoff 0x40"
expect "the diagnosis is incomplete"
expect_codes elf-malformed

printf 'void _start(void) { for (;;) {} }\n' >freebsd.c
clang --target=x86_64-unknown-freebsd -ffreestanding -nostdlib -static -fuse-ld=lld -o freebsd freebsd.c ||
  case_fail "clang could not build the FreeBSD program"
why_run ./freebsd
expect_status 1
expect "./freebsd is a program for FreeBSD, not Linux"
expect "EI_OSABI 9 (FreeBSD)"
expect_codes elf-other-os

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
