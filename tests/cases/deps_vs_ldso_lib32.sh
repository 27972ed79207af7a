#!/bin/sh
# ctest-labels: slow
# The loader is the judge, i386 multilib: every i386 dynamically linked ELF file in /usr/lib32 (recursively),
# `elfrun deps --format ldd` against `/lib/ld-linux.so.2 --list FILE` (addresses removed; stderr compared where the
# loader fails; trace mode, as ldd runs it, for files with a missing library). tests/cases/lib/ldso_compare.py does
# the work and prints the counts and every difference as a unified diff; exit 1 on any difference.
set -u
. "$(dirname "$0")/lib/case.sh"

loader=/lib/ld-linux.so.2
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools /usr/bin/python3 "$loader"
[ -d /usr/lib32 ] || case_skip "no /usr/lib32 (Debian packages gcc-multilib, lib32gcc-s1; scripts/bootstrap)"
case_need_elfrun
# On a kernel without IA32 emulation the loader runs under qemu-i386 (which gives no vdso: no linux-gate.so.1).
runner=$(case_i386_runner)
[ -n "$runner" ] && case_need_tools "$runner" && echo "the i386 loader runs under $runner"
[ -n "$runner" ] && export ELFRUN_KERNEL_RUNS_I386=0

exec /usr/bin/python3 "$source_dir/tests/cases/lib/ldso_compare.py" --elfrun "$elfrun" \
  --class 1 --machine 3 --default-loader "$loader" --loader-command "$runner $loader --list {file}" --min-files 10 \
  --set /usr/lib32=/usr/lib32
