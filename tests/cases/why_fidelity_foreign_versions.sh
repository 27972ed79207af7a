#!/bin/sh
# issue 14 (4): why of an aarch64 program that needs GLIBC_2.39, against Debian's aarch64 cross root (glibc 2.36),
# judges the libraries and versions in the root qemu -L will use, as for a native program: exit 1, and the verdict
# names the missing version, as qemu itself does ("version `GLIBC_2.39' not found"). The program is linked against
# a stub libc.so.6 with a GLIBC_2.39 version node (a version script); the real 2.36 libc is what it meets under qemu.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the case expects an x86-64 kernel, the host is $(uname -m)"
case_need_tools clang ld.lld qemu-aarch64
case_need_elfrun
root=/usr/aarch64-linux-gnu
[ -x "$root/lib/ld-linux-aarch64.so.1" ] && [ -f "$root/lib/Scrt1.o" ] || case_skip "no $root (libc6-dev-arm64-cross)"

work=$(mktemp -d)
cd "$work" || exit 1
mkdir stub
printf 'GLIBC_2.17 { global: puts; abort; local: *; };\nGLIBC_2.34 { global: __libc_start_main; } GLIBC_2.17;\n' >v.map
printf 'GLIBC_2.39 { global: newfn; } GLIBC_2.34;\n' >>v.map
printf 'int puts(const char *s){return 0;}\nvoid abort(void){for(;;);}\n' >stub.c
printf 'int __libc_start_main(void){return 0;}\nint newfn(void){return 0;}\n' >>stub.c
printf 'int puts(const char *);\nint newfn(void);\nint main(void){puts("hi");return newfn();}\n' >prog.c
cc="clang --target=aarch64-linux-gnu -fuse-ld=lld"
$cc -shared -fPIC -nostdlib -o stub/libc.so.6 stub.c -Wl,--version-script=v.map -Wl,-soname,libc.so.6 ||
  case_fail "the stub libc.so.6"
$cc -o prog prog.c -nostdlib "$root/lib/Scrt1.o" "$root/lib/crti.o" "$root/lib/crtn.o" stub/libc.so.6 ||
  case_fail "prog"
readelf -V prog 2>/dev/null | grep -q 'Name: GLIBC_2.39' || case_fail "prog does not need GLIBC_2.39"

# The truth: qemu -L with the 2.36 root.
env -u QEMU_LD_PREFIX -u LD_LIBRARY_PATH qemu-aarch64 -L "$root" ./prog >qemu.out 2>&1
qemu_status=$?
echo "qemu-aarch64 -L $root ./prog: status $qemu_status: $(cat qemu.out)"
[ "$qemu_status" -ne 0 ] || case_fail "qemu ran ./prog"
case_expect "$(cat qemu.out)" "version \`GLIBC_2.39' not found" "qemu's message"

for how in "--root $root" ""; do
  # shellcheck disable=SC2086
  out=$(env -u LD_LIBRARY_PATH "$elfrun" why $how ./prog 2>&1)
  status=$?
  echo "why $how ./prog: status $status: $(printf '%s\n' "$out" | head -n 1)"
  [ "$status" -eq 1 ] || case_fail "why $how ./prog: status $status, expected 1"
  first=$(printf '%s\n' "$out" | head -n 1)
  case_expect "$first" "version \`GLIBC_2.39' not found" "the verdict of why $how"
  case $out in
    *"(installed) runs it"*) case_fail "why $how ./prog still says qemu runs it: $out" ;;
  esac
  # shellcheck disable=SC2086
  verbose=$(env -u LD_LIBRARY_PATH "$elfrun" why -v $how ./prog 2>&1)
  case_expect "$verbose" "lookup model: qemu -L" "why -v $how"
  # shellcheck disable=SC2086
  json=$(env -u LD_LIBRARY_PATH "$elfrun" why --json $how ./prog 2>&1)
  case_expect "$json" '"code": "version-missing"' "why --json $how"
done

cd / && if [ "$case_failures" -eq 0 ]; then rm -rf "$work"; else echo "kept: $work"; fi
[ "$case_failures" -eq 0 ] && echo "ok"
exit "$case_failures"
