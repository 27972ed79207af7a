#!/bin/sh
# `elfrun why` on symbol versions (issue 5, finding 8), compared with what glibc's loader prints when the program is
# run:
#   - a library built with a version script: the program needs FOO_2.0, its RUNPATH finds an older build that only
#     defines FOO_1.0. why must quote the loader's own line ("version `FOO_2.0' not found (required by ./needs-2)"),
#     say the library there provides up to FOO_1.0, and — once a loader whose libraries have FOO_2.0 is configured
#     ([[loader]] in the configuration) — name it and print an `elfrun run` line that, pasted, prints Hello World;
#   - a hello world whose DT_VERNEED asks libc.so.6 for GLIBC_2.99 (the string patched in .dynstr): why says the
#     system's libc.so.6 provides up to its own newest GLIBC_ version.
# Without gcc or python3 the case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools gcc python3 readelf
why_setup
cd "$work" || exit 1

mkdir -p old new
printf 'const char *foo(void) { return "Hello"; }\n' >old.c
printf 'const char *foo(void) { return "Hello"; }\nconst char *bar(void) { return "World"; }\n' >new.c
printf 'FOO_1.0 { global: foo; local: *; };\n' >old.map
printf 'FOO_1.0 { global: foo; local: *; };\nFOO_2.0 { global: bar; } FOO_1.0;\n' >new.map
gcc -shared -fPIC -Wl,-soname,libfoo.so.1 -Wl,--version-script=old.map -o old/libfoo.so.1 old.c &&
  gcc -shared -fPIC -Wl,-soname,libfoo.so.1 -Wl,--version-script=new.map -o new/libfoo.so.1 new.c ||
  case_fail "gcc could not build libfoo"
printf '#include <stdio.h>\nconst char *foo(void);\nconst char *bar(void);\nint main(void) { printf("%%s %%s\\n", foo(), bar()); return 0; }\n' >main.c
gcc -o needs-2 main.c new/libfoo.so.1 -Wl,-rpath,'$ORIGIN/old' || case_fail "gcc could not build needs-2"

loader_says=$(./needs-2 2>&1)
echo "the loader says: $loader_says"
loader_line=${loader_says#./needs-2: }
case $loader_line in
  *"version \`FOO_2.0' not found (required by ./needs-2)"*) ;;
  *) case_fail "the loader did not complain about FOO_2.0: $loader_says" ;;
esac
why_run ./needs-2
expect_status 1
expect "./needs-2 will not run: $loader_line"
expect "libfoo.so.1 there provides up to FOO_1.0"
expect "DT_VERNEED of ./needs-2 asks libfoo.so.1 for FOO_2.0"
expect "DT_VERDEF of $work/old/libfoo.so.1 (1 version): FOO_1.0"
expect_codes version-missing
expect_not "elfrun run"  # no loader here has a libfoo.so.1 with FOO_2.0

mkdir -p config/elfrun
printf '[[loader]]\npath = "/lib64/ld-linux-x86-64.so.2"\nlibrary_path = ["%s/new"]\n' "$work" >config/elfrun/config.toml
XDG_CONFIG_HOME=$work/config
export XDG_CONFIG_HOME
why_run ./needs-2
expect_status 1
expect "these versions are all there under /lib64/ld-linux-x86-64.so.2 (glibc"
expect_hello "$(fix_line 'elfrun run ')"
expect_hello "$(expanded_line)"
unset XDG_CONFIG_HOME

# glibc itself: a program built for a glibc newer than this one.
build_hello hello-new -s  # stripped: .dynstr is then the only place the string is
readelf -V hello-new | grep -q 'Name: GLIBC_2.34' || case_skip "the hello world does not need GLIBC_2.34 here"
python3 -c '
import sys
data = open(sys.argv[1], "rb").read()
assert data.count(b"GLIBC_2.34\0") == 1, "GLIBC_2.34 is not in .dynstr exactly once"
open(sys.argv[1], "wb").write(data.replace(b"GLIBC_2.34\0", b"GLIBC_2.99\0"))
' hello-new || case_fail "could not patch hello-new"
loader_says=$(./hello-new 2>&1)
echo "the loader says: $loader_says"
newest=$(readelf -V /lib/x86_64-linux-gnu/libc.so.6 | sed -n 's/.*Name: \(GLIBC_2\.[0-9]*\)$/\1/p' | sort -t. -k2 -n | tail -1)
why_run ./hello-new
expect_status 1
expect "version \`GLIBC_2.99' not found (required by ./hello-new)"
expect "libc.so.6 there provides up to $newest"
expect_codes version-missing
case $loader_says in
  *"version \`GLIBC_2.99' not found (required by ./hello-new)"*) ;;
  *) case_fail "the loader did not complain about GLIBC_2.99: $loader_says" ;;
esac

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
