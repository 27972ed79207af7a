#!/bin/sh
# Hostile inputs (issue 13, finding 10) still resolve as the loader resolves them: `deps --format ldd` against the
# loader's own list (ld.so --list; LD_TRACE_LOADED_OBJECTS=1 for missing libraries, as ldd) for a program with
# 10,000 DT_RPATH entries, one with 12,000 "$ORIGIN" entries and one with 2,000 missing DT_NEEDED (bench/hostile.sh
# measures 10,000 of those for time and memory). Load addresses are removed from the loader's lines.
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
[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
