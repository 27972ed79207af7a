#!/bin/sh
# `elfrun why` on machines and ABIs this kernel may not run (issue 5, finding 4), each judged against the kernel
# itself (does exec fail with ENOEXEC?):
#   - an AArch64 hello world (clang --target=aarch64-linux-gnu with Debian's cross root): without a binfmt_misc
#     handler the kernel refuses it; why says qemu-aarch64 runs it, and the `elfrun run` line and its expansion,
#     pasted, print Hello World (with a handler registered, why must say it runs);
#   - an x32 program (gcc -mx32, no libc): why says the kernel has no x32 support exactly when exec fails;
#   - an i386 hello world (gcc -m32): why says it runs exactly when exec works (IA32 emulation);
#   - a program for IA-64 (a static x86-64 program with e_machine set to EM_IA_64): no emulator exists.
# Only on an x86-64 host; without the compilers or cross roots the case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools gcc clang ld.lld python3 qemu-aarch64
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || case_skip "no AArch64 cross root (libc6-arm64-cross)"
why_setup
cd "$work" || exit 1

# exec_result FILE: "ENOEXEC" and the like, or "ran" when the program ran.
exec_result() {
  python3 -c '
import errno, os, sys
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        os.execv(sys.argv[1], [sys.argv[1]])
    except OSError as e:
        os._exit(100 + e.errno)
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
print(errno.errorcode[code - 100] if code >= 100 else "ran")
' "$1" 2>/dev/null
}

clang --target=aarch64-linux-gnu -fuse-ld=lld -o hello-aarch64 hello.c || case_fail "clang could not build for AArch64"
result=$(exec_result ./hello-aarch64)
why_run ./hello-aarch64
if [ "$result" = ENOEXEC ]; then
  expect_status 1
  expect "./hello-aarch64 is a 64-bit AArch64 program: this x86_64 kernel cannot run it"
  expect "qemu-aarch64 (installed) runs it"
  expect_codes machine-needs-qemu
  expect_hello "$(fix_line 'elfrun run ./hello-aarch64')"
  expect_hello "$(expanded_line)"
else
  echo "note: a binfmt_misc handler runs AArch64 programs here ($result)"
  expect "(binfmt_misc entry"
fi

# exit(0) through the x32 system call table (__X32_SYSCALL_BIT | 60).
cat >x32.c <<'EOF'
void _start(void) { __asm__ volatile("mov $0x4000003c, %%eax\n xor %%edi, %%edi\n syscall" ::: "memory"); for (;;) {} }
EOF
if gcc -mx32 -ffreestanding -nostdlib -static -o x32 x32.c; then
  result=$(exec_result ./x32)
  why_run ./x32
  if [ "$result" = ENOEXEC ]; then
    expect_status 1
    expect "./x32 is a 32-bit x86-64 program and this x86_64 kernel has no x32 ABI support"
    expect_codes x32-disabled
  else
    expect_status 0
    expect "./x32 will run: it is statically linked"
  fi
else
  case_fail "gcc -mx32 could not build an x32 program"
fi

if gcc -m32 -o hello-i386 hello.c 2>/dev/null; then
  result=$(exec_result ./hello-i386)
  why_run ./hello-i386
  if [ "$result" = ran ]; then
    expect_status 0
    expect "./hello-i386 will run: its interpreter /lib/ld-linux.so.2 (glibc"
  else
    expect_status 1
    expect_codes ia32-disabled
  fi
elif [ "${CI:-}" = true ]; then
  case_fail "gcc -m32 cannot link (gcc-multilib, libc6-dev-i386)"
fi

build_hello hello-static -static
cp hello-static ia64
python3 -c '
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
data[18:20] = struct.pack("<H", 50)  # EM_IA_64
open(sys.argv[1], "wb").write(data)
' ia64
result=$(exec_result ./ia64)
[ "$result" = ENOEXEC ] || case_fail "exec of the IA-64 program gave $result, not ENOEXEC"
why_run ./ia64
expect_status 1
expect "./ia64 is a 64-bit IA-64 program: this x86_64 kernel cannot run it"
expect "qemu-user has no emulator for it"
expect_codes machine-unsupported

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
