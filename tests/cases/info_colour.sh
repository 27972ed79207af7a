#!/bin/sh
# Colour: `elfrun info` writes escape sequences only when stdout is a terminal and NO_COLOR is not set
# (no-color.org: any value, even empty). A pipe gets none; a pseudo-terminal (script(1), util-linux) gets them, and
# loses them again with NO_COLOR. Without script(1) the terminal half is skipped (77), except under CI=true.
set -u

source_dir=${ELFRUN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build_dir=${ELFRUN_BUILD_DIR:-$source_dir/build/default}
elfrun=${ELFRUN:-$build_dir/elfrun}
if [ ! -x "$elfrun" ]; then
  echo "FAIL: no elfrun binary at $elfrun"
  exit 1
fi

esc=$(printf '\033')
failures=0
has_escape() { printf '%s' "$1" | grep -q "$esc"; }

out=$(env -u NO_COLOR "$elfrun" info /bin/true 2>&1)
if has_escape "$out"; then echo "FAIL: escape sequences written into a pipe"; failures=1; fi

if ! command -v script >/dev/null 2>&1; then
  echo "missing tool: script (Debian package bsdutils/util-linux)"
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi
tty_out=$(env -u NO_COLOR script -qec "'$elfrun' info /bin/true" /dev/null 2>&1)
if ! has_escape "$tty_out"; then echo "FAIL: no colour on a terminal: $tty_out"; failures=1; fi
tty_out=$(NO_COLOR= script -qec "'$elfrun' info /bin/true" /dev/null 2>&1)
if has_escape "$tty_out"; then echo "FAIL: colour on a terminal although NO_COLOR is set (empty)"; failures=1; fi
tty_out=$(NO_COLOR=1 script -qec "'$elfrun' info /nonexistent-elfrun-test" /dev/null 2>&1)
if has_escape "$tty_out"; then echo "FAIL: coloured error message although NO_COLOR is set"; failures=1; fi
case $tty_out in
  *"elfrun: /nonexistent-elfrun-test: No such file or directory"*) ;;
  *) echo "FAIL: the error message is not \"elfrun: FILE: message\": $tty_out"; failures=1 ;;
esac
[ "$failures" -eq 0 ] || exit 1
echo "PASS"
