#!/bin/sh
# `elfrun deps` over many files reports progress on stderr only when stderr is a terminal, only where nothing else
# shows it (stdout not the terminal, or --format json), only after its delay, and erases it so that none of it is
# left in the output. The terminal is a real pty, from script(1).
set -u
. "${ELFRUN_SOURCE_DIR:?}/tests/cases/lib/case.sh"
case_need_elfrun
case_need_tools script
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Thirty of the host's programs: enough files for several reports.
files=$(ls /usr/bin/* | head -n 30 | tr '\n' ' ')

# script -qec CMD TYPESCRIPT: CMD runs on a new pty; TYPESCRIPT is what the terminal received.
on_terminal() {
  script -qec "$1" "$2" >/dev/null 2>&1 </dev/null
}

# 1. stderr a terminal, stdout a file, no delay: the terminal shows "elfrun deps: N/30 files: NAME", the line ends
#    erased, and stdout holds the listing only.
on_terminal "ELFRUN_PROGRESS_AFTER_MS=0 '$elfrun' deps --format list $files >'$work/list'" "$work/tty1"
grep -q 'elfrun deps: [0-9]*/30 files' "$work/tty1" || case_fail "no progress line on the terminal: $(cat -v "$work/tty1")"
# A draw is "\r" + line + "ESC[K", the erasure "\r" "ESC[K": one must come after the last draw. (script(1) adds
# its own trailer, so the very last bytes are not ours.)
cat -v "$work/tty1" | tr -d '\n' | awk '{
  draw = 0; erase = 0; s = $0; n = 0
  while ((i = index(s, "elfrun deps:")) > 0) { n += i; draw = n; s = substr(s, i + 1) }
  s = $0; n = 0
  while ((i = index(s, "^M^[[K")) > 0) { n += i; erase = n; s = substr(s, i + 1) }
  exit !(draw > 0 && erase > draw)
}' || case_fail "the progress line is not erased at the end: $(cat -v "$work/tty1" | tail -c 200)"
grep -q 'elfrun deps:' "$work/list" && case_fail "progress text in stdout"
[ -s "$work/list" ] || case_fail "the listing is empty"
"$elfrun" deps --format list $files >"$work/list.plain" 2>/dev/null
cmp -s "$work/list" "$work/list.plain" || case_fail "stdout differs with progress shown"

# 2. --format json with stdout on the terminal too: the JSON comes at the end, so progress is shown.
on_terminal "ELFRUN_PROGRESS_AFTER_MS=0 '$elfrun' deps --format json $files" "$work/tty2"
grep -q 'elfrun deps: [0-9]*/30 files' "$work/tty2" || case_fail "no progress before the JSON output"

# 3. tree output on the terminal shows itself file by file: no progress line.
on_terminal "ELFRUN_PROGRESS_AFTER_MS=0 '$elfrun' deps $files" "$work/tty3"
grep -q 'elfrun deps: [0-9]*/30 files' "$work/tty3" && case_fail "progress mixed into tree output on the terminal"

# 4. stderr not a terminal: nothing on it.
ELFRUN_PROGRESS_AFTER_MS=0 "$elfrun" deps --format list $files >/dev/null 2>"$work/err"
grep -q 'elfrun deps:' "$work/err" && case_fail "progress written to a stderr that is not a terminal: $(cat "$work/err")"

# 5. The delay holds: a run shorter than it shows nothing.
on_terminal "ELFRUN_PROGRESS_AFTER_MS=600000 '$elfrun' deps --format list $files >/dev/null" "$work/tty5"
grep -q 'elfrun deps:' "$work/tty5" && case_fail "progress shown before its delay"

[ $case_failures -eq 0 ] || exit 1
echo ok
