#!/bin/sh
# `elfrun info` says whether the interpreter a file names exists here and fits: a script whose #! interpreter is
# missing, a program whose PT_INTERP is missing (the kernel then fails the exec with "No such file or directory",
# which is what the user sees), and a 64-bit program whose PT_INTERP is the 32-bit loader (when the i386 loader is
# installed). The programs are built here with gcc -Wl,--dynamic-linker. Exit status 0: every file was read.
# Without gcc the case is skipped (77), except under CI=true where it fails.
set -u

source_dir=${ELFRUN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build_dir=${ELFRUN_BUILD_DIR:-$source_dir/build/default}
elfrun=${ELFRUN:-$build_dir/elfrun}
if [ ! -x "$elfrun" ]; then
  echo "FAIL: no elfrun binary at $elfrun"
  exit 1
fi

if ! command -v gcc >/dev/null 2>&1; then
  echo "missing tool: gcc (Debian package gcc; scripts/bootstrap installs it)"
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
expect() {
  case $1 in
    *"$2"*) ;;
    *) fail "expected \"$2\" in the output" ;;
  esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/opt/elfrun-test/none/bin/tool --flag\necho hi\n' >"$work/tool.sh"
printf 'int main(void) { return 0; }\n' >"$work/main.c"
gcc -o "$work/lost" "$work/main.c" -Wl,--dynamic-linker=/opt/elfrun-test/none/ld-linux-x86-64.so.2 ||
  fail "gcc could not build the test program"

out=$(NO_COLOR=1 "$elfrun" info "$work/tool.sh" "$work/lost")
status=$?
echo "$out"
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"
expect "$out" "$work/tool.sh: script for /opt/elfrun-test/none/bin/tool --flag (missing)"
expect "$out" 'argument    "--flag" (one argument)'
expect "$out" "$work/lost: 64-bit x86-64 PIE executable for glibc, needs /opt/elfrun-test/none/ld-linux-x86-64.so.2 (missing)"
expect "$out" 'running it here fails with "No such file or directory"'

# The kernel agrees: exec fails with ENOENT although the file is there.
if command -v python3 >/dev/null 2>&1; then
  python3 -c '
import errno, os, sys
try:
    os.execv(sys.argv[1], [sys.argv[1]])
except OSError as e:
    sys.exit(0 if e.errno == errno.ENOENT else 1)
' "$work/lost" || fail "exec of $work/lost did not fail with ENOENT"
fi

if [ -e /lib/ld-linux.so.2 ]; then
  gcc -o "$work/wrong" "$work/main.c" -Wl,--dynamic-linker=/lib/ld-linux.so.2 || fail "gcc could not build wrong"
  out=$(NO_COLOR=1 "$elfrun" info "$work/wrong")
  echo "$out"
  expect "$out" "needs /lib/ld-linux.so.2 (present, but it is a 32-bit i386 file; the program is 64-bit x86-64)"
else
  echo "note: no /lib/ld-linux.so.2 (the i386 loader): the wrong-class interpreter is not checked"
fi

[ "$failures" -eq 0 ] || exit 1
echo "PASS"
