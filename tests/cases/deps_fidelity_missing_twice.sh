#!/bin/sh
# issue 14 (5): a missing library needed twice. glibc's trace mode gives each request its own faked map, and
# dl-deps.c leaves faked maps out of the search list, so rtld.c puts its own map back after the last library that was
# found before it: the second "not found" comes after the loader's line. Compared with the real
# LD_TRACE_LOADED_OBJECTS=1 output (what ldd prints) of the same programs, built here.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the case builds x86-64 programs; the host is $(uname -m)"
case_need_tools gcc sed
case_need_elfrun

work=$(mktemp -d)
cd "$work" || exit 1
printf 'int m(void){return 0;}\n' >miss.c
printf 'int m(void);\nint a(void){return m();}\n' >a.c
printf 'int m(void);\nint b(void){return m();}\n' >b.c
printf 'int a(void);\nint m(void);\nint main(void){return a()+m();}\n' >p1.c
printf 'int a(void);\nint b(void);\nint main(void){return a()+b();}\n' >p2.c
gcc -shared -fPIC -o libmiss.so miss.c || case_fail "libmiss.so"
gcc -shared -fPIC -o liba.so a.c -L. -lmiss || case_fail "liba.so"
gcc -shared -fPIC -o libb.so b.c -L. -lmiss || case_fail "libb.so"
# p1 needs libmiss.so itself and through liba.so; p2 only through liba.so and libb.so.
gcc -o p1 p1.c -L. -lmiss -la "-Wl,-rpath,$work" || case_fail "p1"
gcc -o p2 p2.c -L. -la -lb "-Wl,-rpath,$work" -Wl,--no-as-needed || case_fail "p2"
rm -f libmiss.so

for prog in p1 p2; do
  want=$(LD_TRACE_LOADED_OBJECTS=1 "./$prog" 2>&1 | sed 's/ (0x[0-9a-f]*)$//')
  got=$(env -u LD_LIBRARY_PATH -u LD_PRELOAD "$elfrun" deps --format ldd "./$prog" 2>&1)
  status=$?
  [ "$status" -eq 1 ] || case_fail "deps $prog: status $status, expected 1 (a library is missing)"
  count=$(printf '%s\n' "$want" | grep -c 'libmiss.so => not found')
  [ "$count" -eq 2 ] || case_fail "$prog: the real loader printed \"not found\" $count times, expected 2: $want"
  last=$(printf '%s\n' "$want" | tail -n 1)
  [ "$last" = "	libmiss.so => not found" ] || case_fail "$prog: the loader's own list does not end with not found"
  if [ "$got" = "$want" ]; then
    echo "$prog: deps agrees with LD_TRACE_LOADED_OBJECTS=1 ($(printf '%s\n' "$want" | wc -l) lines)"
  else
    case_fail "deps $prog: got
$got
the loader lists:
$want"
  fi
done

cd / && if [ "$case_failures" -eq 0 ]; then rm -rf "$work"; else echo "kept: $work"; fi
[ "$case_failures" -eq 0 ] && echo "ok"
exit "$case_failures"
