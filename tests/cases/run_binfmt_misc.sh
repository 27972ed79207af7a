#!/bin/sh
# `elfrun run` with a real binfmt_misc handler for AArch64, registered where nobody else can see it: in a user
# namespace of its own (unshare -Ur --mount), which since Linux 6.7 has its own binfmt_misc instance, and removed
# again (echo -1) by a trap. Checked there:
#   - the kernel itself runs a static AArch64 hello through the handler (the handler works);
#   - `elfrun run -v` hands that program to the kernel as it is (--print gives the program itself) and says which
#     binfmt_misc entry takes it; it prints Hello World;
#   - a dynamic AArch64 hello, whose loader /lib/ld-linux-aarch64.so.1 the handler's qemu would not find on this host,
#     still goes through qemu-aarch64 -L /usr/aarch64-linux-gnu, and -v says why;
#   - once the entry is removed, the static hello goes through qemu-aarch64 again.
# Without user namespaces or a kernel that namespaces binfmt_misc, the case is skipped (never under CI=true) rather
# than registering a handler for the whole machine.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the case expects an x86-64 kernel, the host is $(uname -m)"
case_need_tools unshare clang ld.lld qemu-aarch64
[ -e /usr/aarch64-linux-gnu/lib/libc.a ] ||
  case_skip "no /usr/aarch64-linux-gnu/lib/libc.a (Debian package libc6-dev-arm64-cross)"
case_need_elfrun

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/hello-aarch64" ] ||
  case_skip "the aarch64 fixtures were not built (build-fixtures.sh names the missing packages)"

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-run-binfmt.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
clang --target=aarch64-linux-gnu --sysroot=/usr/aarch64-linux-gnu -fuse-ld=lld -static -O2 \
  -o "$work/hello-static" "$source_dir/tests/fixtures/hello.c" || case_fail "cannot build a static AArch64 hello"
cp "$fixtures/hello-aarch64" "$work/hello-dynamic"
qemu=$(command -v qemu-aarch64)

# Everything below runs in the namespace; its output is checked afterwards.
case_in_private_binfmt_misc sh -c '
  cd "$1" || exit 1
  elfrun=$2 qemu=$3
  dir=/proc/sys/fs/binfmt_misc
  entry=elfrun-test-aarch64
  trap "[ -e $dir/$entry ] && echo -1 > $dir/$entry" EXIT
  magic="\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00"
  mask="\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"
  printf "%s" ":$entry:M::$magic:$mask:$qemu:F" > "$dir/register" || exit 1
  echo "kernel: $(./hello-static 2>&1)"
  echo "run: $("$elfrun" run -v ./hello-static 2>"$1/run.err")"
  echo "run-v: $(cat "$1/run.err")"
  echo "print: $("$elfrun" run --print ./hello-static 2>&1)"
  echo "dynamic: $("$elfrun" run -v ./hello-dynamic 2>"$1/dynamic.err")"
  echo "dynamic-v: $(cat "$1/dynamic.err" | tr "\n" "|")"
  echo "dynamic-print: $("$elfrun" run --print ./hello-dynamic 2>&1)"
  echo -1 > "$dir/$entry"
  echo "removed-print: $("$elfrun" run --print ./hello-static 2>&1)"
' sh "$work" "$elfrun" "$qemu" >"$work/out" 2>&1
status=$?
cat "$work/out"
[ "$status" -eq 0 ] || case_fail "the namespace part failed (status $status)"

# line NAME: the value of the line "NAME: ..." of the output.
line() { sed -n "s/^$1: //p" "$work/out"; }
[ "$(line kernel)" = "Hello World" ] || case_fail "the kernel did not run the static hello through the handler"
[ "$(line run)" = "Hello World" ] || case_fail "elfrun run ./hello-static printed \"$(line run)\""
case $(line run-v) in
  *"binfmt_misc entry elfrun-test-aarch64 ($qemu, flags F)"*) ;;
  *) case_fail "-v does not name the binfmt_misc entry: $(line run-v)" ;;
esac
[ "$(line print)" = "./hello-static" ] || case_fail "--print gives \"$(line print)\", expected ./hello-static"
[ "$(line dynamic)" = "Hello World" ] || case_fail "elfrun run ./hello-dynamic printed \"$(line dynamic)\""
if [ -e /lib/ld-linux-aarch64.so.1 ] || [ -e /etc/qemu-binfmt/aarch64/lib/ld-linux-aarch64.so.1 ] ||
  [ -n "${QEMU_LD_PREFIX:-}" ]; then
  echo "note: this host's qemu finds AArch64's loader by itself; the dynamic hello's route is not checked"
else
  case $(line dynamic-v) in
    *"its loader /lib/ld-linux-aarch64.so.1 is not where that qemu looks for it: through qemu-aarch64 instead"*) ;;
    *) case_fail "-v does not say why the dynamic hello goes through qemu: $(line dynamic-v)" ;;
  esac
  case $(line dynamic-print) in
    "qemu-aarch64 -L /usr/aarch64-linux-gnu -0 ./hello-dynamic ./hello-dynamic") ;;
    *) case_fail "--print for the dynamic hello: $(line dynamic-print)" ;;
  esac
fi
case $(line removed-print) in
  "qemu-aarch64 -0 ./hello-static ./hello-static") ;;
  *) case_fail "after the entry is removed, --print gives \"$(line removed-print)\"" ;;
esac
echo "run_binfmt_misc: $case_failures failures"
[ "$case_failures" -eq 0 ]
