#!/bin/sh
# ctest-labels: i386
# `elfrun why` on i386 and x32 programs when the kernel does not run them (issue 11): the answer comes from the
# running kernel (elfrun execs its own tiny probe, src/loader/kernel_machines.h), never from uname.
#   - Against the real kernel: a `gcc -m32` hello and a static x32 program are exec'd here; `why` must agree with
#     what the kernel did (exit 0 when it ran the program, exit 1 with ia32-disabled / x32-disabled when it refused it
#     with "Exec format error"). This kernel refuses x32 (no CONFIG_X86_X32_ABI), so that refusal is real here.
#   - With ELFRUN_KERNEL_RUNS_I386=0 (the documented switch that forces the answer, as on a kernel with IA32
#     emulation off): exit 1, ia32-disabled first, the switch, the kernel's config and command line as evidence;
#     fixes `elfrun run ./hello32` (which goes through qemu-i386 and, pasted, prints Hello World), a binfmt_misc
#     registration line for qemu-i386-static, and ia32_emulation=on only where the config and command line say it
#     can help.
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools gcc clang ld.lld python3 qemu-i386
why_setup
cd "$work" || exit 1
unset ELFRUN_KERNEL_RUNS_I386 ELFRUN_KERNEL_RUNS_X32
XDG_CACHE_HOME=$work/cache
export XDG_CACHE_HOME

gcc -m32 -o hello32 hello.c || case_fail "gcc -m32 cannot build hello32 (Debian packages gcc-multilib, libc6-dev-i386)"
clang --target=x86_64-linux-gnux32 -ffreestanding -nostdlib -static -fuse-ld=lld -o x32-static \
  "$source_dir/src/loader/kernel_probe/probe.c" || case_fail "clang cannot build a static x32 program"

# The kernel's own verdict on each, and why's, must be the same.
for program in hello32 x32-static; do
  ./$program >/dev/null 2>kernel.err
  kernel_status=$?
  why_run ./$program
  code=ia32-disabled
  [ $program = x32-static ] && code=x32-disabled
  if [ "$kernel_status" -eq 0 ]; then
    echo "the kernel runs ./$program"
    expect_status 0
    expect_not "$code"
  else
    echo "the kernel refuses ./$program: $(cat kernel.err)"
    case $(cat kernel.err) in
      *"format error"*) ;;
      *) case_fail "./$program failed for another reason than Exec format error: $(cat kernel.err)" ;;
    esac
    expect_status 1
    expect_codes "$code"
    expect "Exec format error (ENOEXEC)"
  fi
done

# Forced "no", as on a kernel with IA32 emulation off.
ELFRUN_KERNEL_RUNS_I386=0
export ELFRUN_KERNEL_RUNS_I386
why_run ./hello32
expect_status 1
expect_codes ia32-disabled
expect "./hello32 is a 32-bit i386 program and this x86_64 kernel has no IA32 emulation"
expect "ELFRUN_KERNEL_RUNS_I386=0 forces the answer"
expect "/proc/cmdline: "
[ -e /proc/config.gz ] && expect "/proc/config.gz: CONFIG_IA32_EMULATION="
expect ":qemu-i386:M::\\x7fELF\\x01\\x01\\x01"
expect "qemu-i386-static:F' | sudo tee /proc/sys/fs/binfmt_misc/register"
# The register file exists only where binfmt_misc is mounted (systemd's automount; not in a container or a minimal
# VM): there the line that mounts it comes first.
if grep -q ' /proc/sys/fs/binfmt_misc binfmt_misc ' /proc/self/mounts; then
  expect_not "sudo mount -t binfmt_misc"
else
  expect "sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc   # not mounted here"
fi
# ia32_emulation=on is offered only where it can help: not when config and command line already have it on.
if [ -e /proc/config.gz ] && gzip -dc /proc/config.gz | grep -qx CONFIG_IA32_EMULATION=y &&
  ! gzip -dc /proc/config.gz | grep -qx CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y &&
  ! grep -q 'ia32_emulation=' /proc/cmdline; then
  expect "ia32_emulation=on cannot help"
fi
[ "$(fix_line "elfrun run")" = "elfrun run ./hello32" ] || case_fail "the first fix is not elfrun run ./hello32"
case $(expanded_line) in
  qemu-i386\ *) ;;
  *) case_fail "elfrun run ./hello32 would not go through qemu-i386: $(expanded_line)" ;;
esac
expect_hello "$(fix_line "elfrun run")"

# Forced "yes" is believed as well (the switch, not the probe, answers).
ELFRUN_KERNEL_RUNS_I386=1
why_run ./hello32
expect_status 0
expect_not ia32-disabled

[ "$case_failures" -eq 0 ] || exit 1
echo "why on i386 and x32 programs agrees with the kernel, and with the switch"
