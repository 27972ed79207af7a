#!/bin/sh
# ctest-labels: slow
# The loader is the judge, in foreign-architecture roots: Debian's libc6-*-cross roots /usr/aarch64-linux-gnu,
# /usr/riscv64-linux-gnu, /usr/s390x-linux-gnu (big-endian) and /usr/powerpc64-linux-gnu (big-endian, ELFv1). For
# every dynamically linked ELF file F of the root's machine under ROOT/lib*, `elfrun deps --root ROOT --format ldd F`
# against the root's own loader run by qemu-user: `qemu-ARCH -L ROOT ROOT/<PT_INTERP> --list F`.
# Two things in qemu's answer are qemu's and not the root's, and are normalised (tests/cases/lib/ldso_compare.py):
# - qemu cannot start a program inside ROOT, so the loader is started by its host path and names itself by it
#   (ROOT/lib/ld-...so); inside the root it is the PT_INTERP path, which is what elfrun prints;
# - qemu-user 7.2 maps a vdso of its own for aarch64 that has no SONAME (a line "\t (0x...)"): it is qemu's, absent
#   from other qemu versions and machines, and not a file of the root, so that one line is left out.
set -u
. "$(dirname "$0")/lib/case.sh"

case_need_tools /usr/bin/python3
case_need_elfrun

status=0
# qemu name | root | e_machine | the loader of files that have no PT_INTERP (a here-document, not a pipe, so that
# case_skip exits the script and not a subshell)
while read -r qemu root machine loader; do
  case_need_tools "qemu-$qemu"
  [ -x "$root$loader" ] || case_skip "no $root$loader (Debian's libc6-*-cross packages; scripts/bootstrap)"
  dirs=""
  for dir in "$root"/lib*; do
    [ -d "$dir" ] && dirs="$dirs${dirs:+:}$dir"
  done
  /usr/bin/python3 "$source_dir/tests/cases/lib/ldso_compare.py" --elfrun "$elfrun" --root "$root" \
    --class 2 --machine "$machine" --default-loader "$loader" --min-files 10 \
    --loader-command "qemu-$qemu -L {root} {host_interp} --list {file}" --root-paths-inside --drop-nameless-vdso \
    --trace-command "qemu-$qemu -E LD_TRACE_LOADED_OBJECTS=1 -L {root} {host_interp} {file}" \
    --set "$qemu ($root/lib*)=$dirs" </dev/null || status=1
done <<'LIST'
aarch64 /usr/aarch64-linux-gnu 183 /lib/ld-linux-aarch64.so.1
riscv64 /usr/riscv64-linux-gnu 243 /lib/ld-linux-riscv64-lp64d.so.1
s390x /usr/s390x-linux-gnu 22 /lib/ld64.so.1
ppc64 /usr/powerpc64-linux-gnu 21 /lib64/ld64.so.1
LIST
exit $status
