#!/bin/sh
# ctest-labels: slow i386
# ctest-timeout: 1800
# The loader is the judge, in an i386 Debian root (scripts/make-i386-root: debootstrap --arch=i386 --variant=minbase,
# cached outside the checkout): for every dynamically linked i386 ELF file F under ROOT/usr/bin, ROOT/usr/sbin and
# ROOT/usr/lib/i386-linux-gnu, `elfrun deps --root ROOT --format ldd ROOT/F` against
# `chroot ROOT /lib/ld-linux.so.2 --list F`, with ROOT/proc mounted as on a real system (in a private mount
# namespace, unmounted afterwards). The root's own /etc/ld.so.cache and PT_INTERP are used on both sides.
# On a kernel without IA32 emulation (or with ELFRUN_I386_VIA_QEMU=1) the loader runs under qemu-i386-static through
# a binfmt_misc of the case's own (tests/cases/lib/i386_root.sh), and elfrun must then list no linux-gate.so.1.
# Needs root (debootstrap, chroot, mount); otherwise skipped (77), and under CI=true a failure.
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/i386_root.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "debootstrap, chroot and mounting /proc"
case_need_tools /usr/bin/python3 debootstrap chroot mount
case_need_elfrun

root=$(sh "$source_dir/scripts/make-i386-root") || {
  echo "FAIL: scripts/make-i386-root could not make the i386 root"
  exit 1
}

i386_root_with_proc "$root" /usr/bin/python3 "$source_dir/tests/cases/lib/ldso_compare.py" --elfrun "$elfrun" \
  --root "$root" --class 1 --machine 3 --default-loader /lib/ld-linux.so.2 --min-files 50 \
  --loader-command "chroot {root} {interp} --list {file}" \
  --trace-command "chroot {root} /usr/bin/env LD_TRACE_LOADED_OBJECTS=1 {interp} {file}" \
  --set "i386 root: /usr/bin=$root/usr/bin" --set "i386 root: /usr/sbin=$root/usr/sbin" \
  --set "i386 root: /usr/lib/i386-linux-gnu=$root/usr/lib/i386-linux-gnu"
