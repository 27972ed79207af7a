#!/bin/sh
# issue 14 (3): `run` of an aarch64 musl program when no aarch64 musl loader exists anywhere. qemu-aarch64 would
# print "Could not open '/lib/ld-musl-aarch64.so.1'" and exit 255; elfrun refuses with 127 (a missing loader, as for
# a native program) and a message naming the loader and where qemu looks for it (util/path.c: the prefix, then the
# host path). The program is the aarch64 hello fixture with its PT_INTERP set to musl's loader by patchelf; that
# it is judged a musl program is checked with info. With the loader under QEMU_LD_PREFIX, elfrun execs qemu again.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the case expects an x86-64 kernel, the host is $(uname -m)"
case_need_tools patchelf qemu-aarch64
case_need_elfrun
musl_interp=/lib/ld-musl-aarch64.so.1
[ ! -e "$musl_interp" ] && [ ! -e "/etc/qemu-binfmt/aarch64$musl_interp" ] ||
  case_skip "an aarch64 musl loader is installed here: the case needs one missing"

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/hello-aarch64" ] || case_skip "the aarch64 fixtures were not built (build-fixtures.sh)"

work=$(mktemp -d)
cd "$work" || exit 1
cp "$fixtures/hello-aarch64" hello-musl
patchelf --set-interpreter "$musl_interp" hello-musl || case_fail "patchelf --set-interpreter"
info=$("$elfrun" info ./hello-musl 2>&1)
case_expect "$info" "AArch64" "info ./hello-musl"
case_expect "$info" "for musl" "info ./hello-musl"

# What qemu itself does with it: fails (255), naming the loader.
env -u QEMU_LD_PREFIX qemu-aarch64 ./hello-musl >qemu.out 2>&1
qemu_status=$?
[ "$qemu_status" -ne 0 ] || case_fail "qemu-aarch64 ran ./hello-musl without its loader"
echo "qemu-aarch64 ./hello-musl: status $qemu_status: $(cat qemu.out)"

case_expect_exit "run ./hello-musl" 127 "*hello-musl*$musl_interp*qemu-aarch64*" \
  env -u QEMU_LD_PREFIX "$elfrun" run ./hello-musl
case_expect_exit "run --root /usr/aarch64-linux-gnu ./hello-musl" 127 "*$musl_interp*/usr/aarch64-linux-gnu*" \
  env -u QEMU_LD_PREFIX "$elfrun" run --root /usr/aarch64-linux-gnu ./hello-musl

# A prefix that has a file at the loader's path: qemu would open it, so elfrun execs qemu (--print shows it).
mkdir -p prefix/lib
cp /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 "prefix$musl_interp" 2>/dev/null ||
  case_fail "no /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 (libc6-arm64-cross)"
chmod +x "prefix$musl_interp"
printed=$(QEMU_LD_PREFIX=$work/prefix "$elfrun" run --print ./hello-musl 2>&1)
status=$?
[ "$status" -eq 0 ] || case_fail "run --print with QEMU_LD_PREFIX=$work/prefix: status $status: $printed"
case_expect "$printed" "qemu-aarch64" "run --print with the loader under QEMU_LD_PREFIX"

cd / && if [ "$case_failures" -eq 0 ]; then rm -rf "$work"; else echo "kept: $work"; fi
[ "$case_failures" -eq 0 ] && echo "ok"
exit "$case_failures"
