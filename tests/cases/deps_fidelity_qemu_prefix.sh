#!/bin/sh
# issue 14 (2): a foreign program outside --root whose RUNPATH ($ORIGIN/../../other-package/lib) points to a sibling
# package outside the root. `run` executes it as qemu-aarch64 -L ROOT, and qemu opens every path under the root
# first, then on the host (qemu util/path.c), so the loader finds the sibling. deps --root models that (-v says so)
# and is compared with the real loader under qemu:
#     qemu-aarch64 -L ROOT ROOT/lib/ld-linux-aarch64.so.1 --list PROG
# with two lines of that output normalised: qemu's nameless vdso line is dropped, and the loader's own line, which
# names the file it was started from ("/lib/ld-linux-aarch64.so.1 => ROOT/lib/..."), becomes its PT_INTERP name.
# `why --root ROOT PROG` reads PROG where it is instead of saying it does not exist.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the case expects an x86-64 kernel, the host is $(uname -m)"
case_need_tools clang ld.lld qemu-aarch64 sed
case_need_elfrun
root=/usr/aarch64-linux-gnu
loader=/lib/ld-linux-aarch64.so.1
[ -x "$root$loader" ] && [ -f "$root/lib/Scrt1.o" ] || case_skip "no $root (libc6-dev-arm64-cross)"

work=$(mktemp -d)
cd "$work" || exit 1
mkdir -p pkg/bin other-package/lib
printf 'int foo(void){return 7;}\n' >foo.c
printf '#include <stdio.h>\nint foo(void);\nint main(void){printf("foo %%d\\n", foo());return 0;}\n' >prog.c
cc="clang --target=aarch64-linux-gnu -fuse-ld=lld"
$cc -shared -fPIC -o other-package/lib/libfoo.so foo.c || case_fail "libfoo.so"
$cc -o pkg/bin/prog prog.c -Lother-package/lib -lfoo '-Wl,--enable-new-dtags,-rpath,$ORIGIN/../../other-package/lib' ||
  case_fail "pkg/bin/prog"
prog=$work/pkg/bin/prog

want=$(env -u QEMU_LD_PREFIX -u LD_LIBRARY_PATH qemu-aarch64 -L "$root" "$root$loader" --list "$prog" 2>&1 |
  sed -e 's/ (0x[0-9a-f]*)$//' -e '/^[[:space:]]*$/d' -e "s#^\t$loader => .*#\t$loader#")
got=$(env -u LD_LIBRARY_PATH "$elfrun" deps --root "$root" --format ldd "$prog" 2>&1)
status=$?
[ "$status" -eq 0 ] || case_fail "deps --root $root $prog: status $status"
case_expect "$want" "libfoo.so => $work/pkg/bin/../../other-package/lib/libfoo.so" "the loader's list under qemu -L"
if [ "$got" = "$want" ]; then
  echo "deps --root $root agrees with the loader under qemu -L ($(printf '%s\n' "$want" | wc -l) lines)"
else
  case_fail "deps --root $root: got
$got
the loader under qemu -L lists:
$want"
fi
verbose=$("$elfrun" deps -v --root "$root" "$prog" 2>&1)
case_expect "$verbose" "lookup: qemu -L" "deps -v"

# What run does with it: qemu -L, and the program finds its library.
said=$(env -u QEMU_LD_PREFIX "$elfrun" run --root "$root" "$prog" 2>&1)
[ "$said" = "foo 7" ] || case_fail "run --root $root $prog: \"$said\", expected \"foo 7\""

# A native program under --root keeps chroot's view.
native=$("$elfrun" deps -v --root / /bin/true 2>&1)
case_expect "$native" "lookup: native" "deps -v /bin/true"

# why reads the program where it is.
out=$("$elfrun" why --root "$root" "$prog" 2>&1)
case $out in
  *"does not exist"*) case_fail "why --root $root $prog says the program does not exist: $out" ;;
esac
out=$("$elfrun" why -v --root "$root" "$prog" 2>&1)
case_expect "$out" "outside the root $root" "why -v --root"

cd / && if [ "$case_failures" -eq 0 ]; then rm -rf "$work"; else echo "kept: $work"; fi
[ "$case_failures" -eq 0 ] && echo "ok"
exit "$case_failures"
