#!/bin/sh
# `elfrun info` on #! scripts saved with CRLF line ends: the CR is flagged and shown where the kernel puts it
# (fs/binfmt_script.c trims only blanks and tabs): in the interpreter path "/bin/sh\r", which does not exist, or in
# env's one argument "python3\r". A script with plain LF line ends is not flagged. Exit status 0: they are all read.
# The JSON output is checked with python3: without it the case is skipped (77), under CI=true it fails.
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools python3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\r\necho hi\r\n' >"$work/dos.sh"
printf '#!/usr/bin/env python3\r\nprint(1)\r\n' >"$work/dos.py"
printf '#!/bin/sh\necho hi\n' >"$work/unix.sh"
chmod +x "$work"/*

out=$(NO_COLOR=1 "$elfrun" info "$work/dos.sh" "$work/dos.py" "$work/unix.sh")
status=$?
echo "$out"
[ "$status" -eq 0 ] || case_fail "exit status $status, expected 0"
case_expect "$out" "$work/dos.sh: script for /bin/sh\\r (missing)"
case_expect "$out" 'interpreter "/bin/sh\r" (missing)'
case_expect "$out" 'CRLF: the carriage return is part of the interpreter path'
case_expect "$out" 'argument    "python3\r" (one argument)'
case_expect "$out" 'CRLF: the carriage return is part of the argument'
case_expect "$out" "$work/unix.sh: script for /bin/sh (present"
crlf_lines=$(echo "$out" | grep -c 'CRLF:')
[ "$crlf_lines" -eq 2 ] || case_fail "$crlf_lines CRLF lines, expected 2 (dos.sh and dos.py, not unix.sh)"

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
' || case_fail "the JSON output disagrees (above)"

[ "$case_failures" -eq 0 ] || exit 1
echo "PASS"
