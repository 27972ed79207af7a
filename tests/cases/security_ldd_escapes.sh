#!/bin/sh
# `deps --format ldd` writes control characters in names escaped, as tree and list do (issue 13, finding 9): a
# DT_NEEDED holding a newline and a tab ("x\n\tlibc.so.6 => /evil/libc.so.6") must stay on its own line, written
# "x\n\tlibc.so.6 => /evil/libc.so.6 => not found", so that `awk '$1=="libc.so.6"{print $3}'` finds only the real
# libc (glibc's ldd prints such a name raw and injects the line). Also a library found through a DT_RUNPATH directory
# whose name holds a newline: its path is escaped the same way, one line per object.
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools gcc patchelf awk
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
printf '#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n' >hello.c
gcc -o hello hello.c || exit 1
real_libc=$("$elfrun" deps --format ldd ./hello | awk '$1=="libc.so.6"{print $3}')
[ -n "$real_libc" ] || case_fail "no libc.so.6 line for a plain hello"
nl='
'
tab=$(printf '\t')
evil="x${nl}${tab}libc.so.6 => /evil/libc.so.6"
cp hello injected
patchelf --add-needed "$evil" injected || exit 1
"$elfrun" deps --format ldd ./injected >out 2>err
status=$?
cat out
[ "$status" -eq 1 ] || case_fail "status $status, expected 1 (a library is not found)"
found=$(awk '$1=="libc.so.6"{print $3}' out)
[ "$found" = "$real_libc" ] || case_fail "awk took \"$found\" for libc's path, expected $real_libc"
grep -qxF "$tab"'x\n\tlibc.so.6 => /evil/libc.so.6 => not found' out || case_fail "the name is not escaped on one line"
hello_lines=$("$elfrun" deps --format ldd ./hello | wc -l)
[ "$(wc -l <out)" -eq $((hello_lines + 1)) ] || case_fail "expected one more line than for hello"

# A library found in a directory whose name holds a newline and a tab.
dir="$work/lib${nl}${tab}libc.so.6 => evil"
mkdir "$dir"
printf 'int lib_value(void) { return 7; }\n' >lib.c
gcc -shared -fPIC -o "$dir/libv.so" lib.c -Wl,-soname,libv.so || exit 1
printf 'int lib_value(void);\nint main(void) { return lib_value() == 7 ? 0 : 1; }\n' >main.c
gcc -o withdir main.c "$dir/libv.so" -Wl,--enable-new-dtags -Wl,-rpath,"$dir" || exit 1
./withdir || case_fail "the program with the odd RUNPATH does not run"
"$elfrun" deps --format ldd ./withdir >out2 2>err2 || case_fail "deps of withdir: status $? ($(cat err2))"
cat out2
found=$(awk '$1=="libc.so.6"{print $3}' out2)
[ "$found" = "$real_libc" ] || case_fail "withdir: awk took \"$found\" for libc's path, expected $real_libc"
grep -qF "${tab}libv.so => $work/lib\\n\\tlibc.so.6 => evil/libv.so" out2 || case_fail "withdir: the path is not escaped"
[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
