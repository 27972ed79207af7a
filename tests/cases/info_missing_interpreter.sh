#!/bin/sh
# `elfrun info` says whether the interpreter a file names exists here and fits: a script whose #! interpreter is
# missing, a program whose PT_INTERP is missing (the kernel then fails the exec with "No such file or directory",
# which is what the user sees), and a 64-bit program whose PT_INTERP is the 32-bit loader (when the i386 loader is
# installed). The programs are built here with gcc -Wl,--dynamic-linker. Exit status 0: every file was read.
# Without gcc or python3 the case is skipped (77), except under CI=true where it fails.
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools gcc python3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/opt/elfrun-test/none/bin/tool --flag\necho hi\n' >"$work/tool.sh"
printf 'int main(void) { return 0; }\n' >"$work/main.c"
gcc -o "$work/lost" "$work/main.c" -Wl,--dynamic-linker=/opt/elfrun-test/none/ld-linux-x86-64.so.2 ||
  case_fail "gcc could not build the test program"

out=$(NO_COLOR=1 "$elfrun" info "$work/tool.sh" "$work/lost")
status=$?
echo "$out"
[ "$status" -eq 0 ] || case_fail "exit status $status, expected 0"
case_expect "$out" "$work/tool.sh: script for /opt/elfrun-test/none/bin/tool --flag (missing)"
case_expect "$out" 'argument    "--flag" (one argument)'
case_expect "$out" \
  "$work/lost: 64-bit x86-64 PIE executable for glibc, needs /opt/elfrun-test/none/ld-linux-x86-64.so.2 (missing)"
case_expect "$out" 'running it here fails with "No such file or directory"'

# The kernel agrees: exec fails with ENOENT although the file is there.
python3 -c '
import errno, os, sys
try:
    os.execv(sys.argv[1], [sys.argv[1]])
except OSError as e:
    sys.exit(0 if e.errno == errno.ENOENT else 1)
' "$work/lost" || case_fail "exec of $work/lost did not fail with ENOENT"

if [ -e /lib/ld-linux.so.2 ]; then
  gcc -o "$work/wrong" "$work/main.c" -Wl,--dynamic-linker=/lib/ld-linux.so.2 || case_fail "gcc could not build wrong"
  out=$(NO_COLOR=1 "$elfrun" info "$work/wrong")
  echo "$out"
  case_expect "$out" "needs /lib/ld-linux.so.2 (present, but it is a 32-bit i386 file; the program is 64-bit x86-64)"
else
  echo "note: no /lib/ld-linux.so.2 (the i386 loader): the wrong-class interpreter is not checked"
fi

[ "$case_failures" -eq 0 ] || exit 1
echo "PASS"
