#!/bin/sh
# `elfrun why` (issue 5, finding 9; the default since issue 16, `--fast` skips it, `--symbols` is still accepted):
# undefined symbols no loaded object defines, found without running
# anything, and compared with what glibc's loader reports in its own check (LD_TRACE_LOADED_OBJECTS=1 LD_WARN=1
# LD_BIND_NOW=1, which is what `ldd -r` runs): the same "undefined symbol: NAME[, version V] (OBJECT)" lines (the
# loader has a tab before the parenthesis). A data object the program copies at start (a copy relocation) counts.
# A library is rebuilt without some of what the program was linked against:
#   - a function missing, lazily bound: a warning (the program starts, and fails when it first calls it);
#   - the same with -z now, and a missing data object: blocking (exit 1);
#   - a versioned function missing from a library that still has its version node (FOO_2.0): ", version FOO_2.0".
# And programs of this system that are fine have no undefined symbol (/bin/ls, python3). Without gcc or python3 the
# case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools gcc python3
why_setup
cd "$work" || exit 1

# the_loader_says PROGRAM: the loader's undefined-symbol lines for PROGRAM, sorted.
the_loader_says() {
  LD_TRACE_LOADED_OBJECTS=1 LD_WARN=1 LD_BIND_NOW=1 /lib64/ld-linux-x86-64.so.2 "$1" 2>&1 |
    sed -n 's/^\(undefined symbol: .*\)$/\1/p' | tr '\t' ' ' | sort
}
# why_says: the same lines from the last why_run's output (-v shows them all).
why_says() {
  printf '%s\n' "$out" | sed -n 's/^ *\(undefined symbol: .*\)$/\1/p' | sort
}
compare_with_loader() {
  truth=$(the_loader_says "$1")
  ours=$(why_says)
  if [ "$truth" != "$ours" ]; then
    case_fail "why --symbols and the loader disagree on $1"
    printf 'why:\n%s\nthe loader:\n%s\n' "$ours" "$truth"
  fi
  [ -n "$truth" ] || case_fail "the loader reports no undefined symbol for $1: the situation was not built"
}

mkdir -p full thin
cat >full.c <<'EOF'
int counter = 42;
const char *greet(void) { return "Hello"; }
const char *wave(void) { return "World"; }
EOF
cat >thin.c <<'EOF'
const char *greet(void) { return "Hello"; }
EOF
cat >main.c <<'EOF'
#include <stdio.h>
const char *greet(void);
const char *wave(void);
int main(void) { printf("%s %s\n", greet(), wave()); return 0; }
EOF
cat >data.c <<'EOF'
#include <stdio.h>
extern int counter;
int main(void) { printf("%d\n", counter); return 0; }
EOF
gcc -shared -fPIC -Wl,-soname,libgreet.so.1 -o full/libgreet.so.1 full.c &&
  gcc -shared -fPIC -Wl,-soname,libgreet.so.1 -o thin/libgreet.so.1 thin.c || case_fail "gcc could not build libgreet"
gcc -o lazy main.c full/libgreet.so.1 -Wl,-rpath,'$ORIGIN/thin' -Wl,-z,lazy || case_fail "gcc: lazy"
gcc -o now main.c full/libgreet.so.1 -Wl,-rpath,'$ORIGIN/thin' -Wl,-z,now || case_fail "gcc: now"
gcc -o data data.c full/libgreet.so.1 -Wl,-rpath,'$ORIGIN/thin' -Wl,-z,lazy || case_fail "gcc: data"

why_run --fast ./now
expect_status 0  # --fast looks nothing up, and says so
expect "(undefined symbols not checked: --fast)"
expect_not "undefined symbol: wave"
why_run ./now
expect_status 1  # the default looks
expect "undefined symbol: wave"
why_run -v --symbols ./lazy
expect_status 0
expect "./lazy: undefined symbol: wave — no loaded object defines it: the program starts, and stops with \"symbol lookup error\" when it first calls it"
expect_codes symbol-undefined
compare_with_loader ./lazy

why_run -v --symbols ./now
expect_status 1
expect "./now will not run: ./now: undefined symbol: wave — no loaded object defines it, the loader stops with \"symbol lookup error\""
expect_codes symbol-undefined
compare_with_loader ./now
./now >/dev/null 2>&1 && case_fail "./now ran although wave is undefined"

why_run -v --symbols ./data
expect_status 1
expect "undefined symbol: counter"
compare_with_loader ./data

# Versions: FOO_2.0 is still defined by the library, bar is not.
mkdir -p v2 v2thin
printf 'const char *foo(void) { return "Hello"; }\nconst char *bar(void) { return "World"; }\n' >v2.c
printf 'const char *foo(void) { return "Hello"; }\nconst char *baz(void) { return "World"; }\n' >v2thin.c
printf 'FOO_1.0 { global: foo; local: *; };\nFOO_2.0 { global: bar; } FOO_1.0;\n' >v2.map
printf 'FOO_1.0 { global: foo; local: *; };\nFOO_2.0 { global: baz; } FOO_1.0;\n' >v2thin.map
gcc -shared -fPIC -Wl,-soname,libfoo.so.1 -Wl,--version-script=v2.map -o v2/libfoo.so.1 v2.c &&
  gcc -shared -fPIC -Wl,-soname,libfoo.so.1 -Wl,--version-script=v2thin.map -o v2thin/libfoo.so.1 v2thin.c ||
  case_fail "gcc could not build libfoo"
printf '#include <stdio.h>\nconst char *foo(void);\nconst char *bar(void);\nint main(void) { printf("%%s %%s\\n", foo(), bar()); return 0; }\n' >vmain.c
gcc -o versioned vmain.c v2/libfoo.so.1 -Wl,-rpath,'$ORIGIN/v2thin' -Wl,-z,now || case_fail "gcc: versioned"
why_run -v --symbols ./versioned
expect_status 1
expect "undefined symbol: bar, version FOO_2.0"
expect_codes symbol-undefined
compare_with_loader ./versioned

# Programs that are fine.
for program in /bin/ls /usr/bin/python3; do
  [ -e "$program" ] || continue
  why_run --symbols "$program"
  expect_status 0
  expect_not "undefined symbol"
done

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
