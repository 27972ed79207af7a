#!/bin/sh
# `elfrun run` refuses what it must, with the shell's exit statuses and a message that names the file and says what
# to do (SPEC.md: 127 when the program or a loader for it is not found, 126 when it cannot be executed):
#   - a setuid program that would have to go through a loader: 126 and the reason, unless --allow-setuid (then it
#     runs, without privileges); a setuid program that runs directly is simply run;
#   - a missing program (by path, and by name through PATH): 127, as sh says;
#   - a file without execute permission, even one a loader could run, and a directory: 126, as sh says;
#   - a program for which no loader resolves its libraries: 127, pointing at `elfrun why`.
# The statuses are compared with what sh itself gives for the same file where sh can run it.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the probe is an x86-64 program; the host is $(uname -m)"
case_need_tools gcc patchelf
case_need_elfrun

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/probe-x86_64" ] || { echo "FAIL: tests/fixtures/build-fixtures.sh did not build probe-x86_64"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-run-refusals.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# setuid, through a loader.
cp "$fixtures/probe-x86_64" setuid-no-interp && patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 \
  setuid-no-interp && chmod 4755 setuid-no-interp || exit 1
case_expect_exit "setuid through a loader" 126 "*setuid-no-interp*setuid*--allow-setuid*" "$elfrun" run ./setuid-no-interp
grep -q '^argc' out && case_fail "the refused setuid program ran anyway"
PROBE_STATUS=5 "$elfrun" run --allow-setuid ./setuid-no-interp >out 2>err
status=$?
[ "$status" -eq 5 ] && grep -q '^argv\[0\] \./setuid-no-interp$' out ||
  case_fail "--allow-setuid: status $status (expected 5), output: $(head -3 out) $(cat err)"
# setgid too.
chmod 2755 setuid-no-interp
case_expect_exit "setgid through a loader" 126 "*setgid*" "$elfrun" run ./setuid-no-interp
# A setuid program the kernel runs as it is: run directly, privileges and all.
cp "$fixtures/probe-x86_64" setuid-direct && chmod 4755 setuid-direct || exit 1
case_expect_exit "setuid, run directly" 0 "" "$elfrun" run ./setuid-direct
printed=$("$elfrun" run --print ./setuid-direct)
[ "$printed" = ./setuid-direct ] || case_fail "a setuid program that runs directly: --print gives $printed"

# Missing: as the shell says.
sh -c ./missing-program 2>/dev/null
sh_status=$?
case_expect_exit "missing program (path)" "$sh_status" "*./missing-program*No such file or directory*" \
  "$elfrun" run ./missing-program
case_expect_exit "missing program (PATH)" 127 "*missing-program-name*not found*" \
  env PATH="$work:/usr/bin:/bin" "$elfrun" run missing-program-name

# Not executable: a program a loader would gladly run (its PT_INTERP is unusable), a good one, a text file.
cp "$fixtures/probe-x86_64" not-executable-no-interp &&
  patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 not-executable-no-interp &&
  chmod 644 not-executable-no-interp || exit 1
cp "$fixtures/probe-x86_64" not-executable && chmod 644 not-executable || exit 1
printf 'echo hello\n' >not-executable-text
for file in not-executable-no-interp not-executable not-executable-text; do
  sh -c "./$file" >/dev/null 2>&1
  sh_status=$?
  [ "$sh_status" -eq 126 ] || case_fail "sh gives $sh_status for ./$file, the case expected 126"
  case_expect_exit "not executable ($file)" 126 "*./$file*not executable*" "$elfrun" run "./$file"
  grep -q '^argc' out && case_fail "./$file is not executable, yet it ran"
done
mkdir directory
case_expect_exit "a directory" 126 "*./directory*directory*" "$elfrun" run ./directory

# No loader under which its libraries resolve: a program that needs a library nobody has.
printf 'int nowhere(void);\nint main(void) { return nowhere(); }\n' >main.c
printf 'int nowhere(void) { return 0; }\n' >lib.c
if gcc -shared -fPIC -o libnowhere.so lib.c && gcc -o needs-nowhere main.c -L. -lnowhere &&
  patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 needs-nowhere; then
  rm -f libnowhere.so
  case_expect_exit "no loader resolves its libraries" 127 "*needs-nowhere*no loader*libnowhere.so*elfrun why*" \
    "$elfrun" run ./needs-nowhere
else
  case_fail "could not build the program that needs a missing library"
fi

echo "run_refusals: $case_failures failures"
[ "$case_failures" -eq 0 ]
