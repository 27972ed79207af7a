#!/bin/sh
# Fidelity of `elfrun run` (SPEC.md: "run behaves like running the program directly"), checked against the truth:
# the same probe run directly by the kernel, in the same directory, with the same arguments, environment and stdin.
# POSIX sh and the tools of a minbase Debian (env, cmp, diff, cp, sed), because the reference-case test runs it
# inside an i386 chroot as well as on the host.
#
#   run_fidelity.sh ELFRUN REFERENCE PROGRAM WORKDIR EXPECT
#
# REFERENCE: a probe (tests/fixtures/probe.c) that runs directly here. PROGRAM: the probe under test, e.g. the same
# probe with an unusable PT_INTERP. EXPECT: `loader` (elfrun must go through a loader: its --print starts with a
# loader and passes --library-path) or `direct` (elfrun must exec the program itself: --print starts with ./probe).
# Both are installed in turn as WORKDIR/bin/probe, so the paths, the working directory and PATH are the same for both
# runs. For every scenario, stdout, stderr and the exit status must be identical byte for byte; the scenarios cover
# exit statuses, death by signal, stdin/stdout/stderr of the program and of a child it starts with system(), awkward
# arguments, argv[0] as typed (path and PATH lookup), the environment (LD_LIBRARY_PATH absent, or the caller's value
# unchanged), and the command `--print` prints, run by sh.
# Prints "FAIL: ..." lines and a summary; exit status 0 when everything matched, 1 otherwise, 2 on usage errors.
set -u

if [ $# -ne 5 ]; then
  echo "usage: $0 ELFRUN REFERENCE PROGRAM WORKDIR loader|direct" >&2
  exit 2
fi
expect=$5
mkdir -p "$4/bin" || exit 2
# Every run happens in WORKDIR/bin: the paths given must not depend on the caller's directory.
absolute() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(pwd)" "$1" ;;
  esac
}
elfrun=$(absolute "$1")
reference=$(absolute "$2")
program=$(absolute "$3")
work=$(absolute "$4")
bin=$work/bin

failures=0
checks=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

newline='
'
high=$(printf '\377\376')
latin1=$(printf 'caf\351')
test_path=$bin:/usr/bin:/bin

# The whole environment of every run: nothing inherited from the test harness, odd values included.
# extra_env, extra_env2: more VAR=VALUE assignments, or empty.
extra_env=""
extra_env2=""
with_env() {
  set -- ${extra_env2:+"$extra_env2"} "$@"
  set -- ${extra_env:+"$extra_env"} "$@"
  env -i HOME=/home/probe PATH="$test_path" PWD="$bin" LANG=C "SPACED=a  b" "NL=one${newline}two" \
    "HIGH=$high" EMPTY= "STAR=*" "$@"
}

stdin_file=$work/stdin
printf 'first line\nsecond \377 line\n' >"$stdin_file"

# run_as WHICH OUT COMMAND...: runs COMMAND in $bin with the controlled environment and stdin, output to OUT.*
run_as() {
  which=$1
  out=$2
  shift 2
  cp "$which" "$bin/probe.new" && chmod 755 "$bin/probe.new" && mv -f "$bin/probe.new" "$bin/probe" || exit 2
  (cd "$bin" && with_env "$@" <"$stdin_file" >"$out.out" 2>"$out.err")
  echo $? >"$out.status"
}

# compare NAME EXPECTED_STATUS COMMAND_PREFIX... -- ARGS...: the reference run as `./probe ARGS` (or `probe ARGS`
# when the prefix is `path`), the test run as `elfrun run ./probe ARGS`; EXPECTED_STATUS is what the shell must see
# (or - for "whatever the reference gives").
compare() {
  name=$1
  expected_status=$2
  how=$3
  shift 3
  checks=$((checks + 1))
  case $how in
    path) run_as "$reference" "$work/ref" probe "$@"
          run_as "$program" "$work/test" "$elfrun" run probe "$@" ;;
    *) run_as "$reference" "$work/ref" ./probe "$@"
       run_as "$program" "$work/test" "$elfrun" run ./probe "$@" ;;
  esac
  ref_status=$(cat "$work/ref.status")
  test_status=$(cat "$work/test.status")
  if [ "$expected_status" != - ] && [ "$ref_status" != "$expected_status" ]; then
    fail "$name: the reference probe itself exited $ref_status, expected $expected_status (broken fixture?)"
  fi
  if [ "$test_status" != "$ref_status" ]; then
    fail "$name: elfrun run: the shell saw status $test_status, running it directly gives $ref_status"
  fi
  for stream in out err; do
    if ! cmp -s "$work/ref.$stream" "$work/test.$stream"; then
      fail "$name: std$stream differs from running the program directly (< direct, > elfrun run):"
      diff "$work/ref.$stream" "$work/test.$stream" | sed -n 1,12p
    fi
  done
  if grep -q '^env LD_LIBRARY_PATH=' "$work/test.out" && [ -z "$extra_env" ]; then
    fail "$name: LD_LIBRARY_PATH is set in the program's environment"
  fi
}

# What --print says: the mode elfrun chose.
printed=$(cd "$bin" && cp "$program" probe && with_env "$elfrun" run --print ./probe)
case $expect in
  loader)
    case $printed in
      ./probe* | "$bin/probe"*) fail "elfrun run --print runs the program directly, expected a loader: $printed" ;;
      *--library-path*) ;;
      *) fail "elfrun run --print gives no --library-path: $printed" ;;
    esac ;;
  direct)
    case $printed in
      "./probe") ;;
      *) fail "elfrun run --print should exec ./probe itself, it prints: $printed" ;;
    esac ;;
esac
echo "elfrun run --print ./probe: $printed"
if [ -z "$printed" ]; then
  echo "run_fidelity ($expect): elfrun run --print gave nothing; not going on"
  exit 1
fi

# Exit statuses, and death by signal as the shell sees it (128+N).
for status in 0 1 42 255; do
  extra_env=PROBE_STATUS=$status
  compare "exit status $status" "$status" dot
done
extra_env=PROBE_SIGNAL=15
compare "death by SIGTERM" 143 dot
extra_env=PROBE_SIGNAL=11
compare "death by SIGSEGV" 139 dot
# 128+N could also be an exit status: a parent's wait status tells death by signal from exit. The parent is the
# reference probe (WORKDIR/parent), whose system() execs the run (`exec`, so sh is not in between) and prints
# "system signal N" or "system exit N".
cp "$reference" "$work/parent" && chmod 755 "$work/parent" || exit 2
for signal in 15 11; do
  checks=$((checks + 1))
  extra_env=PROBE_SIGNAL=$signal
  for side in ref test; do
    if [ $side = ref ]; then
      which=$reference
      extra_env2="PROBE_SYSTEM=exec env -u PROBE_SYSTEM ./probe"
    else
      which=$program
      extra_env2="PROBE_SYSTEM=exec env -u PROBE_SYSTEM $elfrun run ./probe"
    fi
    cp "$which" "$bin/probe.new" && chmod 755 "$bin/probe.new" && mv -f "$bin/probe.new" "$bin/probe" || exit 2
    (cd "$bin" && with_env "$work/parent" </dev/null >"$work/$side.out" 2>/dev/null)
  done
  extra_env2=""
  grep -q "^system signal $signal\$" "$work/ref.out" ||
    fail "signal $signal: the reference probe did not die of it: $(grep '^system' "$work/ref.out")"
  grep -q "^system signal $signal\$" "$work/test.out" ||
    fail "signal $signal: under elfrun run the program did not die of the signal, its parent saw:" \
      "$(grep '^system' "$work/test.out")"
done

# Awkward arguments, byte for byte, including ones that look like elfrun's own options.
extra_env=""
compare "arguments" 0 dot "two words" "" "line${newline}break" '*' '$HOME' "$high" "$latin1" \
  --print -v -- --root / "  lead" "trail " "'quote'" '"dq"' '\back'
compare "no arguments" 0 dot
# argv[0] as typed: through PATH lookup.
compare "argv[0] through PATH" 0 path "x"

# stdin, stdout and stderr of the program reach its child: system("cat; echo to-stderr >&2").
extra_env="PROBE_SYSTEM=cat; echo to-stderr >&2; exit 3"
compare "stdin/stdout/stderr through a child" 0 dot
grep -q '^second' "$work/test.out" || fail "the child did not read the probe's stdin: $(cat "$work/test.out")"
grep -q '^to-stderr$' "$work/test.err" || fail "the child's stderr did not arrive: $(cat "$work/test.err")"
# The environment of a child started with system(): unchanged, without LD_LIBRARY_PATH.
extra_env="PROBE_SYSTEM=env"
compare "environment of a child" 0 dot
if sed -n '/^env /!p' "$work/test.out" | grep -q '^LD_LIBRARY_PATH='; then
  fail "LD_LIBRARY_PATH is set in the environment of the program's child"
fi
grep -q '^STAR=\*$' "$work/test.out" || fail "the child's environment lacks STAR=*: $(cat "$work/test.out")"
# A caller's own LD_LIBRARY_PATH reaches the program and its child unchanged.
extra_env="LD_LIBRARY_PATH=/nonexistent/caller-lib"
compare "the caller's LD_LIBRARY_PATH" 0 dot
grep -q '^env LD_LIBRARY_PATH=/nonexistent/caller-lib$' "$work/test.out" ||
  fail "the caller's LD_LIBRARY_PATH did not reach the program unchanged"

# --print, pasted into sh, runs the same program with the same arguments.
extra_env="PROBE_STATUS=7"
checks=$((checks + 1))
run_as "$reference" "$work/ref" ./probe "two words" "" "line${newline}break" '*' '$HOME' "$high" "'q'"
cp "$program" "$bin/probe"
command=$(cd "$bin" && with_env "$elfrun" run --print ./probe "two words" "" "line${newline}break" '*' '$HOME' \
  "$high" "'q'")
(cd "$bin" && with_env sh -c "$command" <"$stdin_file" >"$work/test.out" 2>"$work/test.err")
echo $? >"$work/test.status"
[ "$(cat "$work/test.status")" = 7 ] || fail "--print | sh: status $(cat "$work/test.status"), expected 7"
# sh rebuilds the environment from its own variable table: the same variables, in another order.
for side in ref test; do
  grep -v '^env ' "$work/$side.out" >"$work/$side.argv"
  grep '^env ' "$work/$side.out" | LC_ALL=C sort >"$work/$side.env"
done
cmp -s "$work/ref.argv" "$work/test.argv" || {
  fail "--print | sh: the arguments differ from running the program directly:"
  diff "$work/ref.argv" "$work/test.argv" | sed -n 1,12p
}
cmp -s "$work/ref.env" "$work/test.env" || {
  fail "--print | sh: the environment differs from running the program directly:"
  diff "$work/ref.env" "$work/test.env" | sed -n 1,12p
}

echo "run_fidelity ($expect): $checks scenarios, $failures failures"
[ $failures -eq 0 ]
