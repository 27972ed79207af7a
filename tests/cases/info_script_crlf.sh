#!/bin/sh
# `elfrun info` on #! scripts saved with CRLF line ends: the CR is flagged and shown where the kernel puts it
# (fs/binfmt_script.c trims only blanks and tabs): in the interpreter path "/bin/sh\r", which does not exist, or in
# env's one argument "python3\r". A script with plain LF line ends is not flagged. Exit status 0: they are all read.
set -u

source_dir=${ELFRUN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build_dir=${ELFRUN_BUILD_DIR:-$source_dir/build/default}
elfrun=${ELFRUN:-$build_dir/elfrun}
if [ ! -x "$elfrun" ]; then
  echo "FAIL: no elfrun binary at $elfrun"
  exit 1
fi

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
# expect TEXT PART: PART must appear in TEXT.
expect() {
  case $1 in
    *"$2"*) ;;
    *) fail "expected \"$2\" in the output" ;;
  esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\r\necho hi\r\n' >"$work/dos.sh"
printf '#!/usr/bin/env python3\r\nprint(1)\r\n' >"$work/dos.py"
printf '#!/bin/sh\necho hi\n' >"$work/unix.sh"
chmod +x "$work"/*

out=$(NO_COLOR=1 "$elfrun" info "$work/dos.sh" "$work/dos.py" "$work/unix.sh")
status=$?
echo "$out"
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"
expect "$out" "$work/dos.sh: script for /bin/sh\\r (missing)"
expect "$out" 'interpreter "/bin/sh\r" (missing)'
expect "$out" 'CRLF: the carriage return is part of the interpreter path'
expect "$out" 'argument    "python3\r" (one argument)'
expect "$out" 'CRLF: the carriage return is part of the argument'
expect "$out" "$work/unix.sh: script for /bin/sh (present"
crlf_lines=$(echo "$out" | grep -c 'CRLF:')
[ "$crlf_lines" -eq 2 ] || fail "$crlf_lines CRLF lines, expected 2 (dos.sh and dos.py, not unix.sh)"

if command -v python3 >/dev/null 2>&1; then
  "$elfrun" info --json "$work/dos.sh" "$work/dos.py" "$work/unix.sh" | python3 -c '
import json, sys
objects = json.load(sys.stdin)
facts = [(o["kind"], o["interpreter"], o["script"]["argument"], o["script"]["crlf"], o["script"]["interpreter_check"]["exists"])
         for o in objects]
expected = [("script", "/bin/sh\r", None, True, False),
            ("script", "/usr/bin/env", "python3\r", True, True),
            ("script", "/bin/sh", None, False, True)]
if facts != expected:
    print("FAIL: JSON facts", facts, "expected", expected)
    sys.exit(1)
' || fail "the JSON output disagrees (above)"
elif [ "${CI:-}" = true ]; then
  fail "python3 is missing (Debian package python3)"
else
  echo "note: python3 missing, the JSON part is not checked"
fi

[ "$failures" -eq 0 ] || exit 1
echo "PASS"
