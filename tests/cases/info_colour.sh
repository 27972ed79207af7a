#!/bin/sh
# Colour: `elfrun info` writes escape sequences only when stdout is a terminal and NO_COLOR is not set
# (no-color.org: any value, even empty). A pipe gets none; a pseudo-terminal (script(1), util-linux) gets them, and
# loses them again with NO_COLOR. Without script(1) (bsdutils, essential) the case is skipped (77), except under
# CI=true where it fails.
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools script

esc=$(printf '\033')
has_escape() { printf '%s' "$1" | grep -q "$esc"; }

out=$(env -u NO_COLOR "$elfrun" info /bin/true 2>&1)
if has_escape "$out"; then case_fail "escape sequences written into a pipe"; fi

tty_out=$(env -u NO_COLOR script -qec "'$elfrun' info /bin/true" /dev/null 2>&1)
if ! has_escape "$tty_out"; then case_fail "no colour on a terminal: $tty_out"; fi
tty_out=$(NO_COLOR= script -qec "'$elfrun' info /bin/true" /dev/null 2>&1)
if has_escape "$tty_out"; then case_fail "colour on a terminal although NO_COLOR is set (empty)"; fi
tty_out=$(NO_COLOR=1 script -qec "'$elfrun' info /nonexistent-elfrun-test" /dev/null 2>&1)
if has_escape "$tty_out"; then case_fail "coloured error message although NO_COLOR is set"; fi
case_expect "$tty_out" "elfrun: /nonexistent-elfrun-test: No such file or directory" \
  "the error message (\"elfrun: FILE: message\"): $tty_out"
[ "$case_failures" -eq 0 ] || exit 1
echo "PASS"
