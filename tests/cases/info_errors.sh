#!/bin/sh
# `elfrun info` on files that cannot be read or parsed: each gets "elfrun: FILE: message" on stderr naming the file
# and what is wrong (missing, a directory, an ELF file cut short), the readable files are still reported in order,
# and the exit status is 2 (SPEC.md). A file that is simply not ELF (text, data) is no error: it is reported as
# kind not-elf and alone it exits 0. With --json the failing files are objects with "error" (checked with python3;
# without it the case is skipped (77), except under CI=true where it fails).
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools python3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
good=/bin/true  # an ELF file that is surely here (coreutils is essential)
case $(od -An -tx1 -j4 -N1 "$good" | tr -d ' ') in
  02) header="an ELF64 header needs 64" ;;
  *) header="an ELF32 header needs 52" ;;
esac
head -c 40 "$good" >"$work/cut-header"
head -c 100 "$good" >"$work/cut-phdrs"
printf 'hello\n' >"$work/notes.txt"

NO_COLOR=1 "$elfrun" info "$work/missing" "$good" "$work" "$work/cut-header" "$work/cut-phdrs" "$work/notes.txt" \
  >"$work/out" 2>"$work/err"
status=$?
cat "$work/out" "$work/err"
[ "$status" -eq 2 ] || case_fail "exit status $status, expected 2"
err=$(cat "$work/err")
out=$(cat "$work/out")
case_expect "$err" "elfrun: $work/missing: No such file or directory" "stderr: $err"
case_expect "$err" "elfrun: $work: is a directory" "stderr: $err"
case_expect "$err" "elfrun: $work/cut-header: ELF header: the file has 40 bytes, $header" "stderr: $err"
case_expect "$err" "elfrun: $work/cut-phdrs: program header" "stderr: $err"
case_expect "$out" "$good: " "stdout: $out"
case_expect "$out" "$work/notes.txt: not an ELF file or a script: text" "stdout: $out"
errors=$(wc -l <"$work/err")
[ "$errors" -eq 4 ] || case_fail "$errors lines on stderr, expected 4"
# Order: the good file's paragraph comes before notes.txt's.
first=$(grep -n -e "^$good:" "$work/out" | cut -d: -f1)
second=$(grep -n -e "^$work/notes.txt:" "$work/out" | cut -d: -f1)
[ -n "$first" ] && [ -n "$second" ] && [ "$first" -lt "$second" ] || case_fail "the reports are not in argument order"

NO_COLOR=1 "$elfrun" info "$work/notes.txt" >/dev/null 2>&1
status=$?
[ "$status" -eq 0 ] || case_fail "a text file alone: exit status $status, expected 0"

"$elfrun" info --json "$work/missing" "$good" "$work/cut-header" 2>/dev/null | python3 -c '
import json, sys
objects = json.load(sys.stdin)
assert len(objects) == 3, objects
assert objects[0]["error"] == "No such file or directory" and objects[0]["kind"] is None, objects[0]
assert "error" not in objects[1] and objects[1]["kind"] in ("executable", "pie-executable", "static-executable",
                                                              "static-pie"), objects[1]
assert objects[2]["error"].startswith("ELF header: the file has 40 bytes"), objects[2]
' || case_fail "the JSON output disagrees (above)"
"$elfrun" info --json "$work/missing" >/dev/null 2>&1
status=$?
[ "$status" -eq 2 ] || case_fail "--json with a missing file: exit status $status, expected 2"

[ "$case_failures" -eq 0 ] || exit 1
echo "PASS"
