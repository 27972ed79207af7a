#!/bin/sh
# `elfrun run` of #! scripts (issue 4), against the real kernel. Each script is first run directly with its
# interpreter intact (the probe fixture, which prints its argv and environment): that is the truth. Then the
# interpreter is replaced by a copy of the probe whose PT_INTERP is /nonexistent/ld-linux-x86-64.so.2, which the
# kernel cannot start, and `elfrun run` must print exactly the same and exit with the same status:
#   1. a script whose interpreter runs as it is: run, and --print gives the script itself;
#   2. a script whose interpreter cannot run, with an argument with inner blanks ("#!./interp  opt  one  "): the
#      interpreter's argv is [./interp, "opt  one", ./s, args...] as the kernel builds it (fs/binfmt_script.c), exit
#      status passed through; found through PATH, the script is given by the path PATH gave;
#   3. a missing interpreter: 127, "SCRIPT: INTERP: bad interpreter: No such file or directory", as sh says it;
#   4. "#!/usr/bin/env NAME" with NAME on PATH unable to run: NAME runs in env's place, argv as env gives it;
#   5. a script whose interpreter is a script whose interpreter cannot run;
#   6. five scripts in a row run, six are refused (126, ELOOP, as bash says) as the kernel refuses them.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the probe is an x86-64 program; the host is $(uname -m)"
case_need_tools gcc patchelf cmp bash /usr/bin/env
case_need_elfrun

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/probe-x86_64" ] || { echo "FAIL: tests/fixtures/build-fixtures.sh did not build probe-x86_64"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-run-script.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir store bin || exit 1
cp "$fixtures/probe-x86_64" store/intact && cp "$fixtures/probe-x86_64" store/broken &&
  patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 store/broken || exit 1

# use intact|broken FILE: puts that probe at FILE.
use() { cp -f "store/$1" "$2" && chmod 755 "$2"; }

# script FILE LINE: a script whose first line is LINE.
script() {
  printf '%s\necho "the interpreter ran the script as a shell script"\n' "$2" >"$1" && chmod 755 "$1"
}

# truth NAME COMMAND...: runs COMMAND (the script, directly) into NAME.out; its status in NAME.status.
truth() {
  name=$1
  shift
  "$@" >"$name.out" 2>"$name.err"
  echo $? >"$name.status"
  grep -q '^argc' "$name.out" || case_fail "$name: the premise failed: run directly, it printed no argv ($(cat "$name.err"))"
}

# premise_broken COMMAND...: the kernel cannot run it now.
premise_broken() {
  if "$@" >/dev/null 2>&1; then case_fail "$*: runs directly with the broken interpreter; the case proves nothing"; fi
}

# same NAME COMMAND...: COMMAND prints exactly NAME.out and exits with NAME.status.
same() {
  name=$1
  shift
  "$@" >"$name.elfrun" 2>"$name.elfrun-err"
  status=$?
  [ "$status" -eq "$(cat "$name.status")" ] ||
    case_fail "$name: exit status $status, the kernel gave $(cat "$name.status") ($(cat "$name.elfrun-err"))"
  cmp -s "$name.out" "$name.elfrun" ||
    case_fail "$name: the output differs from the kernel's: $(diff "$name.out" "$name.elfrun" | head -8)"
  echo "$name: status $status, $(grep -c '^argv' "$name.elfrun") argv lines as the kernel gives them"
}

# 1. The interpreter runs as it is: the script is handed to the kernel.
use intact probe
script s1 '#!./probe'
truth direct ./s1 a 'b c'
same direct "$elfrun" run ./s1 a 'b c'
printed=$("$elfrun" run --print ./s1)
[ "$printed" = ./s1 ] || case_fail "a script whose interpreter runs: --print gives \"$printed\", not ./s1"

# 2. The interpreter cannot run: elfrun runs it through a loader, with the kernel's argv and the status passed on.
use intact interp
script s2 '#!./interp  opt  one  '
truth interpreter env PROBE_STATUS=7 ./s2 a 'b c'
grep -q '^argv\[1\] opt  one$' interpreter.out && grep -q '^argv\[2\] \./s2$' interpreter.out ||
  case_fail "the kernel's argv is not the one the case expects: $(grep '^argv' interpreter.out)"
cp s2 bin/on-path-script
truth on-path env PATH="$work/bin:$PATH" on-path-script x
use broken interp
premise_broken ./s2
same interpreter env PROBE_STATUS=7 "$elfrun" run ./s2 a 'b c'
same on-path env PATH="$work/bin:$PATH" "$elfrun" run on-path-script x
grep -q "^argv\[2\] $work/bin/on-path-script$" on-path.elfrun || case_fail "through PATH: $(grep '^argv' on-path.elfrun)"
printed=$("$elfrun" run --print ./s2 a 'b c')
case $printed in
  *ld-linux-x86-64.so.2*" ./interp "*"'opt  one' ./s2 a 'b c'") ;;
  *) case_fail "--print of a script whose interpreter goes through a loader: $printed" ;;
esac
"$elfrun" run -v --print ./s2 2>err >/dev/null
grep -q 'a #! script.*interp' err || case_fail "-v does not say it is a #! script: $(cat err)"

# 3. A missing interpreter: what sh gives, with bash's words.
script missing '#!/nonexistent/interpreter -x'
sh -c ./missing >/dev/null 2>&1
sh_status=$?
case_expect_exit "missing interpreter" "$sh_status" \
  "*./missing: /nonexistent/interpreter: bad interpreter: No such file or directory*elfrun why ./missing*" \
  "$elfrun" run ./missing
[ "$sh_status" -eq 127 ] || case_fail "sh gives $sh_status for a missing interpreter, the case expected 127"

# 4. #!/usr/bin/env NAME, NAME on PATH: env would execvp it; elfrun runs NAME in env's place.
use intact bin/probe-on-path
script e '#!/usr/bin/env probe-on-path'
truth env env PATH="$work/bin:$PATH" ./e x 'y z'
grep -q '^argv\[0\] probe-on-path$' env.out || case_fail "env's argv is not the one the case expects: $(cat env.out)"
use broken bin/probe-on-path
premise_broken env PATH="$work/bin:$PATH" ./e
same env env PATH="$work/bin:$PATH" "$elfrun" run ./e x 'y z'

# 5. Nesting: a script whose interpreter is a script (s2) whose interpreter cannot run.
use intact interp
script nested '#!./s2 inner'
truth nested ./nested x
use broken interp
premise_broken ./nested
same nested "$elfrun" run ./nested x

# 6. Five scripts in a row run; six are refused, as the kernel refuses them (ELOOP: 126 in sh).
previous=./interp
for level in 1 2 3 4 5 6; do
  script "level$level" "#!$previous"
  previous=./level$level
done
use intact interp
truth five ./level5 x
# bash says 126 for ELOOP ("bad interpreter: Too many levels of symbolic links"); dash says 127 for every error but
# EACCES. SPEC.md's 126 "found but cannot be executed" is bash's answer.
bash -c ./level6 >/dev/null 2>&1
bash_status=$?
[ "$bash_status" -eq 126 ] || case_fail "bash gives $bash_status for six scripts in a row, the case expected 126 (ELOOP)"
use broken interp
premise_broken ./level5
same five "$elfrun" run ./level5 x
case_expect_exit "six levels" 126 "*./level6*6 #! scripts*./level1 -> ./interp*Too many levels of symbolic links*" \
  "$elfrun" run ./level6 x
grep -q '^argc' out && case_fail "six levels of scripts ran anyway"

echo "run_script: $case_failures failures"
[ "$case_failures" -eq 0 ]
