#!/bin/sh
# Builds the fixture programs (tests/fixtures/build-fixtures.sh) and checks that each one is what it claims to be and
# really runs: `file` must describe it with the expected class, byte order, machine, linking and interpreter, and it
# must run natively or under qemu-user with its Debian cross root (qemu-ARCH -L /usr/TRIPLET): hello prints exactly
# "Hello World" and exits 0, probe echoes its arguments and exits with the status it is asked for.
# The other integration cases run elfrun on these binaries, so a broken fixture must show up here first.
# Without file, readelf or a qemu-user runner the case is skipped (77), except under CI=true where it fails.
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_tools file readelf
fixtures=$build_dir/fixtures
missing=""

sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures"
case $? in
  0) ;;
  2) missing="$missing (see build-fixtures.sh above)" ;;
  *) case_fail "build-fixtures.sh could not build every fixture (see above)" ;;
esac

# fixture | runner | qemu library root | what `file` must say (every ';'-separated part must appear)
expectations() {
  cat <<'EOF'
x86_64|native|-|ELF 64-bit LSB pie executable, x86-64,;dynamically linked, interpreter /lib64/ld-linux-x86-64.so.2
i386|native|-|ELF 32-bit LSB pie executable, Intel 80386,;dynamically linked, interpreter /lib/ld-linux.so.2
x86_64-musl|native|-|ELF 64-bit LSB pie executable, x86-64,;dynamically linked, interpreter /lib/ld-musl-x86_64.so.1
x86_64-static|native|-|ELF 64-bit LSB executable, x86-64,;statically linked
x86_64-static-pie|native|-|ELF 64-bit LSB pie executable, x86-64,;static-pie linked
aarch64|qemu-aarch64|/usr/aarch64-linux-gnu|ELF 64-bit LSB pie executable, ARM aarch64,;interpreter /lib/ld-linux-aarch64.so.1
armhf|qemu-arm|/usr/arm-linux-gnueabihf|ELF 32-bit LSB pie executable, ARM, EABI5;interpreter /lib/ld-linux-armhf.so.3
riscv64|qemu-riscv64|/usr/riscv64-linux-gnu|ELF 64-bit LSB pie executable, UCB RISC-V, RVC, double-float ABI,;interpreter /lib/ld-linux-riscv64-lp64d.so.1
s390x|qemu-s390x|/usr/s390x-linux-gnu|ELF 64-bit MSB pie executable, IBM S/390,;interpreter /lib/ld64.so.1
ppc64|qemu-ppc64|/usr/powerpc64-linux-gnu|ELF 64-bit MSB pie executable, 64-bit PowerPC or cisco 7500, Power ELF V1 ABI,;interpreter /lib64/ld64.so.1
EOF
}

# check_file_description PATH "PART;PART..."
check_file_description() {
  said=$(LC_ALL=C file -b "$1")
  case_expect_parts "$said" "$2" "what file says of $(basename "$1"): \"$said\""
}

# run_fixture RUNNER ROOT PATH ARGS...: runs PATH natively or under qemu, in the fixtures directory.
run_fixture() {
  runner=$1
  root=$2
  shift 2
  if [ "$runner" = native ]; then
    "$@"
  else
    "$runner" -L "$root" "$@"
  fi
}

newline='
'
checked=0
expectations >"$fixtures/.expectations.$$"
while IFS='|' read -r target runner root expected_description; do
  if [ "$runner" != native ] && ! command -v "$runner" >/dev/null 2>&1; then
    missing="$missing $runner"
    continue
  fi
  for program in hello probe; do
    path=$fixtures/$program-$target
    if [ ! -e "$path" ]; then
      # Already reported by build-fixtures.sh as a missing tool or a failed build.
      continue
    fi
    checked=$((checked + 1))
    check_file_description "$path" "$expected_description"
    if [ $program = hello ]; then
      output=$(run_fixture "$runner" "$root" "$path" 2>&1)
      status=$?
      if [ "$status" -ne 0 ] || [ "$output" != "Hello World" ]; then
        case_fail "$program-$target (runner $runner): status $status, output \"$output\"," \
          "expected status 0 and \"Hello World\""
      fi
    else
      output=$(PROBE_STATUS=42 run_fixture "$runner" "$root" "$path" 'two words' '' "line${newline}break" 2>&1)
      status=$?
      expected_argv="argc 4${newline}argv[0] $path${newline}argv[1] two words${newline}argv[2] "
      expected_argv="$expected_argv${newline}argv[3] line\\x0abreak"
      case $output in
        "$expected_argv$newline"*"${newline}env PROBE_STATUS=42$newline"*"${newline}end") ;;
        *) case_fail "probe-$target (runner $runner): output does not echo the arguments and environment: $output" ;;
      esac
      [ "$status" -eq 42 ] ||
        case_fail "probe-$target (runner $runner): exit status $status, expected 42 (PROBE_STATUS)"
    fi
  done
done <"$fixtures/.expectations.$$"
rm -f "$fixtures/.expectations.$$"

# The shared-library fixtures: SONAME, DT_RUNPATH / DT_RPATH = $ORIGIN/lib, and they run only through $ORIGIN.
if [ -e "$fixtures/lib/libgreet.so.1" ]; then
  checked=$((checked + 1))
  check_file_description "$fixtures/lib/libgreet.so.1" "ELF 64-bit LSB shared object, x86-64,"
  LC_ALL=C readelf -d "$fixtures/lib/libgreet.so.1" | grep -q 'Library soname: \[libgreet.so.1\]' ||
    case_fail "lib/libgreet.so.1 has no DT_SONAME libgreet.so.1"
  for kind in runpath rpath; do
    path=$fixtures/hello-$kind
    [ -e "$path" ] || continue
    checked=$((checked + 1))
    check_file_description "$path" "ELF 64-bit LSB pie executable, x86-64,;interpreter /lib64/ld-linux-x86-64.so.2"
    tag=RUNPATH
    [ $kind = rpath ] && tag=RPATH
    # shellcheck disable=SC2016
    LC_ALL=C readelf -d "$path" | grep -q "(${tag}) *Library $kind: \\[\\\$ORIGIN/lib\\]" ||
      case_fail "hello-$kind has no DT_$tag \$ORIGIN/lib: $(LC_ALL=C readelf -d "$path" | grep -i path)"
    output=$("$path" 2>&1)
    [ "$output" = "Hello World" ] || case_fail "hello-$kind printed \"$output\", expected \"Hello World\""
  done
fi

echo "fixtures_run: $checked fixtures checked, $case_failures failures"
[ "$case_failures" -eq 0 ] || exit 1
if [ -n "$missing" ]; then
  echo "missing tools:$missing"
  case_skip "some fixtures could not be built or run (run scripts/bootstrap)"
fi
[ $checked -eq 23 ] || { echo "FAIL: expected 23 fixtures, checked $checked"; exit 1; }
exit 0
