#!/bin/sh
# A program that is not in the root it is resolved against — a cross-compiled binary in a build directory checked
# against Debian's /usr/aarch64-linux-gnu — is read from where it is (given relative or absolute), and its libraries
# are found inside the root: the same answer as the root's own loader under `qemu-aarch64 -L ROOT`. A $ORIGIN in its
# RUNPATH is looked up under the root first, then on the host, as qemu -L does (util/path.c), and -v says so.
set -u
. "${ELFRUN_SOURCE_DIR:?}/tests/cases/lib/case.sh"
case_need_elfrun
case_need_tools clang ld.lld qemu-aarch64
root=/usr/aarch64-linux-gnu
loader=/lib/ld-linux-aarch64.so.1
[ -e "$root$loader" ] || case_skip "no $root$loader (libc6-arm64-cross; scripts/bootstrap)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '#include <math.h>\n#include <stdio.h>\nint main(int c, char **v) { printf("%%f\\n", cos(c)); return 0; }\n' \
  >"$work/prog.c"
clang --target=aarch64-linux-gnu -fuse-ld=lld -Wl,-rpath,'$ORIGIN/lib' "$work/prog.c" -lm -o "$work/prog" ||
  case_fail "clang could not build the aarch64 program"
[ $case_failures -eq 0 ] || exit 1

# The judge: the root's loader, its vdso line (qemu's own, nameless) dropped, addresses dropped, and its own line as
# the program sees it (qemu starts it by its host path, the program names it by PT_INTERP).
(cd "$work" && qemu-aarch64 -L "$root" "$root$loader" --list ./prog) >"$work/truth.raw" ||
  case_fail "qemu-aarch64 could not list ./prog"
sed -e '/^\t (0x[0-9a-f]*)$/d' -e 's/ (0x[0-9a-f]*)$//' -e "s|^\t$loader => $root$loader\$|\t$loader|" \
  "$work/truth.raw" >"$work/truth"

(cd "$work" && "$elfrun" deps --root "$root" --format ldd ./prog) >"$work/relative" ||
  case_fail "elfrun deps --root $root ./prog failed: $(cat "$work/relative")"
"$elfrun" deps --root "$root" --format ldd "$work/prog" >"$work/absolute" ||
  case_fail "elfrun deps --root $root $work/prog failed"
for given in relative absolute; do
  if ! cmp -s "$work/truth" "$work/$given"; then
    case_fail "the program given $given: elfrun and the loader differ:
$(diff "$work/truth" "$work/$given")"
  fi
done
grep -q 'libm.so.6 => /lib/libm.so.6' "$work/absolute" || case_fail "libm.so.6 not found in the root"

"$elfrun" deps -v --root "$root" "$work/prog" >"$work/verbose" 2>&1
grep -q "is outside the root $root: its \$ORIGIN, $work, is looked up under the root first, then on the host" \
  "$work/verbose" ||
  case_fail "no note on \$ORIGIN outside the root: $(cat "$work/verbose")"

[ $case_failures -eq 0 ] || exit 1
echo ok
