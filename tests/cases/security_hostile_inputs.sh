#!/bin/sh
# Hostile inputs (issue 13, finding 10) still resolve as the loader resolves them: `deps --format ldd` against the
# loader's own list (ld.so --list; LD_TRACE_LOADED_OBJECTS=1 for missing libraries, as ldd) for a program with
# 10,000 DT_RPATH entries, one with 12,000 "$ORIGIN" entries and one with 2,000 missing DT_NEEDED (bench/hostile.sh
# measures 10,000 of those for time and memory). Load addresses are removed from the loader's lines. Then the
# streamed JSON of deps, and why's bound: the first 100 missing libraries one by one, then "too many missing
# libraries: N". Time and memory are the benchmark's to check (bench/hostile.sh), never a test's.
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools gcc python3 readelf
make_inputs=$(cd "$(dirname "$0")/lib" && pwd)/hostile_inputs.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
loader=$(readelf -lW /bin/sh | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
python3 "$make_inputs" 2000 needed2k || exit 1
for program in rpath10k origin12k needed2k; do
  if [ "$program" = needed2k ]; then
    env LD_TRACE_LOADED_OBJECTS=1 "./$program" >want 2>&1
  else
    "$loader" --list "./$program" >want 2>&1
  fi
  sed -i 's/ (0x[0-9a-f]*)$//' want
  "$elfrun" deps --format ldd "./$program" >got 2>&1
  if cmp -s want got; then
    echo "$program: the same $(wc -l <got) lines as the loader"
  else
    case_fail "$program: deps --format ldd differs from the loader: $(diff want got | head -5)"
  fi
done
# deps --format json (written one object at a time) is one valid document with every missing library and every
# path tried: 2,000 libraries, each tried in the same paths as the first.
"$elfrun" deps --format json ./needed2k >deps.json 2>/dev/null
python3 - deps.json <<'PYEOF' || case_fail "needed2k: deps --format json (above)"
import json, sys
doc = json.load(open(sys.argv[1]))
missing = [o for o in doc[0]["objects"] if o["found_by"] == "not-found"]
tried = {len(o["tried"]) for o in missing}
print(f"deps --format json: {len(missing)} missing libraries, {tried} paths tried each")
assert len(missing) == 2000 and len(tried) == 1 and min(tried) > 0, "expected 2000 missing, each tried alike"
assert missing[5]["tried"][-1].endswith("/libmissing5.so"), missing[5]["tried"][-1]
PYEOF
# why reports the first 100 missing libraries one by one, then says how many more there are (exit status 1: the
# program will not run).
"$elfrun" why ./needed2k >why.txt 2>&1
status=$?
reported=$(grep -c 'libmissing[0-9]*\.so (needed by ./needed2k) is not found' why.txt)
if [ "$status" -eq 1 ] && [ "$reported" -eq 100 ] && grep -q 'too many missing libraries: 2000 are not found, the first 100 are reported' why.txt; then
  echo "why needed2k: status 1, 100 missing libraries reported, then: $(grep -o 'too many missing libraries: [^,]*' why.txt)"
else
  case_fail "why needed2k: status $status, $reported reported: $(tail -3 why.txt)"
fi
"$elfrun" why --json ./needed2k >why.json 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("why --json: valid,", len(json.dumps(d)), "bytes")' why.json ||
  case_fail "why --json needed2k is not valid JSON"
[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
