#!/bin/sh
# What an i386 build whose binaries run under qemu-i386 tests (issue 11; tests/CMakeLists.txt): the unit tests and
# the cases labelled `i386`, slow or not, and nothing else. Checked two ways:
#   - every case that enters the i386 reference root with the elfrun under test carries the label (a new one cannot
#     drop out of the emulated selection unnoticed); the two that do not need it say why below;
#   - an -m32 build configured with ELFRUN_I386_VIA_QEMU=1 (configure only, in a temporary directory) registers,
#     with the i386 presets' filter (`-LE slow`), exactly the unit tests, the corpus replays and the `i386` cases.
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_tools cmake ninja ctest qemu-i386
cases=$source_dir/tests/cases

# Cases that enter the i386 root but need no i386 elfrun of this build: package_deb installs the .deb it builds
# itself; why_reference_i386_root_qemu is why_reference_i386_root with ELFRUN_I386_VIA_QEMU=1, which an emulated
# build already has (and this case only reads the others); fetch_root reads a copy of the i386 root from outside
# with --root (the host's elfrun, an x86-64 program run from the store) and runs no i386 program.
not_needed="package_deb why_reference_i386_root_qemu suite_i386_selection fetch_root"
labelled=""
for script in "$cases"/*.sh; do
  name=$(basename "$script" .sh)
  if grep -q '^# ctest-labels:.*\bi386\b' "$script"; then
    labelled="$labelled case.$name"
    continue
  fi
  case " $not_needed " in *" $name "*) continue ;; esac
  if grep -q 'make-i386-root\|lib/i386_root\.sh' "$script"; then
    case_fail "$name enters the i386 root but has no \"# ctest-labels: i386\" line (or belongs in not_needed here)"
  fi
done
echo "labelled i386:$labelled"
[ -n "$labelled" ] || case_fail "no case is labelled i386"

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-selection.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
if ! ELFRUN_I386_VIA_QEMU=1 cmake -S "$source_dir" -B "$work/build" -G Ninja -DCMAKE_C_FLAGS=-m32 \
  -DCMAKE_CXX_FLAGS=-m32 -DCMAKE_EXE_LINKER_FLAGS=-m32 >"$work/configure.log" 2>&1; then
  tail -n 20 "$work/configure.log"
  echo "FAIL: an emulated -m32 build does not configure"
  exit 1
fi
grep 'i386 under qemu-i386' "$work/configure.log"
registered=$(cd "$work/build" && ctest -N -LE slow | sed -n 's/^ *Test *#[0-9]*: //p' | LC_ALL=C sort)
expected=$(printf '%s\n' unit_tests_NOT_BUILT fuzz_replay fuzz_replay_ld_so_cache fuzz_replay_plan_entry $labelled |
  LC_ALL=C sort)
if [ "$registered" != "$expected" ]; then
  case_fail "the emulated build registers something else than the unit tests and the i386 cases"
  printf '%s\n' "$expected" >"$work/expected"
  printf '%s\n' "$registered" | diff "$work/expected" - | sed 's/^/    /'
fi
echo "registered under qemu-i386: $(printf '%s\n' "$registered" | wc -l) tests"
[ "$case_failures" -eq 0 ] || exit 1
echo PASS
