#!/bin/sh
# issue 14 (1): a musl shared library (no PT_INTERP, DT_NEEDED libc.so) is resolved with musl's rules, not glibc's:
# its C library is judged from the file itself as `info` judges it, libc.so names musl's loader itself (musl
# ldso/dynlink.c load_library), and `deps --format ldd` prints what `/lib/ld-musl-x86_64.so.1 --list LIB` prints.
# `deps --loader PATH` and `why --loader PATH` name the loader explicitly; compared with that loader run by that path.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the case builds x86-64 musl libraries; the host is $(uname -m)"
case_need_tools musl-gcc sed
case_need_elfrun
musl_ldso=/lib/ld-musl-x86_64.so.1
musl_libc=/usr/lib/x86_64-linux-musl/libc.so
[ -x "$musl_ldso" ] && [ -x "$musl_libc" ] || case_skip "musl's loader is not installed (musl)"

work=$(mktemp -d)
cd "$work" || exit 1
printf '#include <stdio.h>\nint bar(void){return puts("bar");}\n' >bar.c
printf 'int bar(void);\nint outer(void){return bar();}\n' >outer.c
printf 'int outer(void);\nint main(void){return outer() < 0;}\n' >main.c
musl-gcc -shared -fPIC -o libbar.so bar.c || case_fail "musl-gcc -shared failed"
musl-gcc -shared -fPIC -o libouter.so outer.c -L. -lbar '-Wl,-rpath,$ORIGIN' || case_fail "libouter.so"
musl-gcc -o prog main.c -L. -louter '-Wl,-rpath,$ORIGIN' -Wl,-rpath-link,. || case_fail "prog"

# What the real loader lists, without its load addresses.
real_list() { "$@" 2>&1 | sed 's/ (0x[0-9a-f]*)$//'; }

for lib in libbar.so libouter.so; do
  want=$(real_list "$musl_ldso" --list "./$lib")
  got=$("$elfrun" deps --format ldd "./$lib" 2>&1)
  [ "$got" = "$want" ] || case_fail "deps $lib: got
$got
the loader lists:
$want"
  case_expect "$got" "libc.so => $musl_ldso" "deps $lib"
  tree=$("$elfrun" deps "./$lib" 2>&1)
  case_expect "$tree" "musl" "deps $lib (the header names the loader)"
  # The other path of the same loader: it names itself by the path it was started as.
  want=$(real_list "$musl_libc" --list "./$lib")
  got=$("$elfrun" deps --loader "$musl_libc" --format ldd "./$lib" 2>&1)
  [ "$got" = "$want" ] || case_fail "deps --loader $musl_libc $lib: got
$got
the loader lists:
$want"
done
echo "deps of libbar.so and libouter.so agree with $musl_ldso --list and $musl_libc --list"

# info and deps judge the same file alike.
info=$("$elfrun" info ./libbar.so 2>&1)
case_expect "$info" "shared library for musl" "info libbar.so"

# why --loader: the program's libraries judged as the named loader resolves them.
out=$("$elfrun" why --loader "$musl_libc" ./prog 2>&1)
status=$?
[ "$status" -eq 0 ] || case_fail "why --loader $musl_libc ./prog: status $status: $out"
case_expect "$out" "will run" "why --loader"
# ... and a loader that cannot resolve them (glibc's, for a musl program) is judged as such.
out=$("$elfrun" why --loader /lib64/ld-linux-x86-64.so.2 ./prog 2>&1)
status=$?
[ "$status" -eq 1 ] || case_fail "why --loader glibc's loader ./prog: status $status, expected 1: $out"

cd / && if [ "$case_failures" -eq 0 ]; then rm -rf "$work"; else echo "kept: $work"; fi
[ "$case_failures" -eq 0 ] && echo "ok"
exit "$case_failures"
