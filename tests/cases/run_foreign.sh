#!/bin/sh
# `elfrun run PROG`, with no options, runs programs of machines the kernel cannot run: the aarch64, armhf, riscv64,
# s390x and ppc64 fixtures (dynamically linked against Debian's cross roots /usr/TRIPLET) go through qemu-ARCH with
# -L set to the root that has the program's loader under its PT_INTERP name and all its libraries (for ppc64 that
# PT_INTERP is /lib64/ld64.so.1, which the root has as a symlink to lib/ld64.so.1). Checked for each:
#   - hello prints exactly "Hello World" and exits 0;
#   - the probe gets its arguments byte for byte and argv[0] as typed (qemu -0), its exit status comes back, and
#     LD_LIBRARY_PATH is not set in its environment;
#   - --print names qemu-ARCH -L /usr/TRIPLET;
#   - without any qemu-user on PATH: 127 and a message naming the package to install.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the case expects an x86-64 kernel, the host is $(uname -m)"
case_need_elfrun

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1

newline='
'
high=$(printf '\377')
checked=0
while IFS='|' read -r target triplet qemu; do
  if ! command -v "$qemu" >/dev/null 2>&1; then
    case_skip "$qemu is not installed (Debian package qemu-user; scripts/bootstrap installs it)"
  fi
  if [ ! -x "$fixtures/hello-$target" ] || [ ! -x "$fixtures/probe-$target" ]; then
    case_skip "the $target fixtures were not built (build-fixtures.sh names the missing cross packages)"
  fi
  checked=$((checked + 1))
  cd "$fixtures" || exit 1
  said=$("$elfrun" run "./hello-$target" 2>&1)
  status=$?
  echo "$target: elfrun run ./hello-$target -> status $status: $said"
  [ "$status" -eq 0 ] && [ "$said" = "Hello World" ] ||
    case_fail "$target: elfrun run ./hello-$target: status $status, output \"$said\", expected 0 and Hello World"

  printed=$("$elfrun" run --print "./hello-$target" 2>&1)
  case $printed in
    "$qemu -L /usr/$triplet "*) ;;
    *) case_fail "$target: --print gives \"$printed\", expected $qemu -L /usr/$triplet ..." ;;
  esac

  output=$(env -u LD_LIBRARY_PATH PROBE_STATUS=42 "$elfrun" run "./probe-$target" "two words" "" \
    "a${newline}b" '*' "$high" --print 2>&1)
  status=$?
  expected="argc 7${newline}argv[0] ./probe-$target${newline}argv[1] two words${newline}argv[2] "
  expected="$expected${newline}argv[3] a\\x0ab${newline}argv[4] *${newline}argv[5] \\xff${newline}argv[6] --print"
  case $output in
    "$expected$newline"*"${newline}end") ;;
    *) case_fail "$target: the probe's arguments differ: $output" ;;
  esac
  case $output in
    *"${newline}env LD_LIBRARY_PATH="*) case_fail "$target: LD_LIBRARY_PATH is set in the program's environment" ;;
  esac
  [ "$status" -eq 42 ] || case_fail "$target: the probe's exit status came back as $status, expected 42"
done <<'EOF'
aarch64|aarch64-linux-gnu|qemu-aarch64
armhf|arm-linux-gnueabihf|qemu-arm
riscv64|riscv64-linux-gnu|qemu-riscv64
s390x|s390x-linux-gnu|qemu-s390x
ppc64|powerpc64-linux-gnu|qemu-ppc64
EOF

# Without qemu-user: a clear refusal, 127.
said=$(env PATH=/nonexistent "$elfrun" run "$fixtures/hello-aarch64" 2>&1)
status=$?
echo "without qemu on PATH: status $status: $said"
[ "$status" -eq 127 ] || case_fail "without qemu-aarch64 on PATH: status $status, expected 127"
case $said in
  *hello-aarch64*qemu-aarch64*qemu-user*) ;;
  *) case_fail "without qemu-aarch64 on PATH, the message does not name qemu-aarch64 and the package: $said" ;;
esac

echo "run_foreign: $checked machines, $case_failures failures"
[ "$case_failures" -eq 0 ]
