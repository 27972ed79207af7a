#!/bin/sh
# `elfrun why` on what a program asks of the kernel and the CPU (issue 5, finding 10):
#   - the NT_GNU_ABI_TAG note says the oldest kernel the C library supports: a static and a dynamic hello world with
#     the note patched to Linux 99.0.0 are reported (kernel-too-old), as warnings, because this system's glibc (2.36)
#     no longer checks it — and indeed both still print Hello World here;
#   - GNU_PROPERTY_X86_ISA_1_NEEDED: programs linked with -z x86-64-v2/v3/v4. The loader itself is the judge: where
#     the program prints Hello World why must say it runs (and note the level, -v), where the loader stops with "CPU
#     ISA level is lower than required" why must say so (exit 1).
# The blocking kernel-too-old cases (a glibc loader older than 2.36) and an ISA level this CPU lacks are also covered
# by the unit tests (tests/unit/diagnose_test.cc), with the machine's facts given. x86-64 only; without gcc or python3
# the case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools gcc python3 readelf
why_setup
cd "$work" || exit 1

# patch_abi_note FILE MAJOR: the GNU ABI tag note's kernel version becomes MAJOR.0.0.
patch_abi_note() {
  python3 - "$1" "$2" <<'EOF' || case_fail "could not patch the ABI note of $1"
import struct, sys
path, major = sys.argv[1], int(sys.argv[2])
data = bytearray(open(path, "rb").read())
header = struct.pack("<III", 4, 16, 1) + b"GNU\0"
at = data.find(header)
assert at >= 0 and data.count(header) == 1, "one NT_GNU_ABI_TAG note"
data[at + 16:at + 32] = struct.pack("<IIII", 0, major, 0, 0)
open(path, "wb").write(bytes(data))
EOF
}

for kind in static dynamic; do
  if [ $kind = static ]; then build_hello new-$kind -static; else build_hello new-$kind; fi
  patch_abi_note new-$kind 99
  readelf -n new-$kind | grep -q 'ABI: 99.0.0' || case_fail "the note of new-$kind does not say 99.0.0"
  why_run -v ./new-$kind
  expect_status 0
  expect "./new-$kind is built for Linux 99.0.0 or newer (its ABI note), this kernel is $(uname -r)"
  expect_codes kernel-too-old
  expect_hello ./new-$kind
done

for level in 2 3 4; do
  build_hello isa-v$level -Wl,-z,x86-64-v$level
  readelf -n isa-v$level | grep -q "x86 ISA needed:.*x86-64-v$level" ||
    case_fail "isa-v$level has no x86-64-v$level in its ISA needed note"
  ran=$(./isa-v$level 2>&1)
  echo "isa-v$level says: $ran"
  why_run -v ./isa-v$level
  if [ "$ran" = "Hello World" ]; then
    expect_status 0
    expect "./isa-v$level needs x86-64-baseline, x86-64-v$level (its GNU property note), which this CPU has"
  else
    case $ran in
      *"CPU ISA level is lower than required"*) ;;
      *) case_fail "isa-v$level neither ran nor failed on its ISA level: $ran" ;;
    esac
    expect_status 1
    expect "needs x86-64-baseline, x86-64-v$level (its GNU property note), this CPU offers up to"
    expect '"CPU ISA level is lower than required"'
    expect_codes cpu-isa-level
  fi
done

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
