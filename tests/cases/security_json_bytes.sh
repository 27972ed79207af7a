#!/bin/sh
# Every JSON output stays valid on names that are not UTF-8 and keeps their bytes (issue 13, finding 5): a byte that
# is not part of valid UTF-8 is written as the lone surrogate escape "\udcNN" (Python's surrogateescape), which
# json.loads() reads and .encode("utf-8", "surrogateescape") turns back into the same bytes. Checked on a program
# needing a library whose name holds 0xFF (deps --format json, why --json, info --json) and on
# `loaders --json --search DIR` with 0xFF in DIR: the commands must not abort (they did: type_error 316, status 134).
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools python3 gcc patchelf
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n' >"$work/hello.c"
gcc -o "$work/hello" "$work/hello.c" || exit 1
ff=$(printf '\377')
patchelf --add-needed "libx${ff}y.so" "$work/hello" || exit 1
mkdir "$work/dir${ff}"
loader=$(readelf -lW /bin/sh | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
cp "$loader" "$work/dir${ff}/"

# check NAME EXPECTED_STATUS PYTHON_CONDITION COMMAND...: the command's stdout is JSON, the status as expected, and
# the condition (over `data`, the parsed output, and `raw`, its bytes) holds.
check() {
  name=$1 expected=$2 condition=$3
  shift 3
  "$@" >"$work/out.json" 2>"$work/err"
  status=$?
  echo "$name: status $status, $(wc -c <"$work/out.json") bytes"
  [ "$status" -eq "$expected" ] || case_fail "$name: status $status, expected $expected ($(head -c 300 "$work/err"))"
  python3 - "$work/out.json" "$condition" "$work" <<'PYEOF' || case_fail "$name: the JSON (above)"
import json, sys
path, condition, work = sys.argv[1:]
raw = open(path, "rb").read()
try:
    data = json.loads(raw.decode("utf-8"))  # strict: the output itself is valid UTF-8
except ValueError as error:
    print("FAIL: not JSON:", error, raw[:200])
    sys.exit(1)
def strings(value):  # every string in value, its bytes restored
    if isinstance(value, str):
        yield value.encode("utf-8", "surrogateescape")
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
def has(value, wanted):  # whether `wanted` (bytes) is one of the strings
    return wanted in strings(value)
def mentions(value, wanted):  # whether one of the strings holds `wanted`
    return any(wanted in s for s in strings(value))
work = work.encode()
if not eval(condition):
    print("FAIL: condition", condition, "does not hold on", raw[:400])
    sys.exit(1)
PYEOF
}

check "deps --format json" 1 'has(data, b"libx\xffy.so") and b"\\udcff" in raw' \
  "$elfrun" deps --format json "$work/hello"
check "deps --format json, two files" 1 'len(data) == 2 and has(data[0], b"libx\xffy.so")' \
  "$elfrun" deps --format json "$work/hello" /bin/true
check "why --json" 1 'mentions(data, b"libx\xffy.so")' "$elfrun" why --json "$work/hello"
check "info --json" 0 'has(data, b"libx\xffy.so")' "$elfrun" info --json "$work/hello"
check "loaders --json --search" 0 'has(data, work + b"/dir\xff/" + b"'"${loader##*/}"'")' \
  "$elfrun" loaders --json --search "$work/dir${ff}"
[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
