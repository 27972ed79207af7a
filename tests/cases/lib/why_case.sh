# Helpers of the `elfrun why` cases (tests/cases/why_*.sh), on top of case.sh. Source both:
#     . "$(dirname "$0")/lib/case.sh"; . "$(dirname "$0")/lib/why_case.sh"
# why_setup            makes $work (removed on exit) and $work/bin, where `elfrun` is the built one: fixes print
#                      `elfrun run ...`, and pasting them needs an elfrun on PATH
# why_run ARGS...      runs `elfrun why ARGS` (NO_COLOR): $out is its output, $status its exit status; it is echoed
# expect_status N      FAIL unless $status is N
# expect TEXT          FAIL unless TEXT is in $out
# expect_not TEXT      FAIL if TEXT is in $out
# expect_codes FIRST [ALSO...]
#                      runs `elfrun why --json` with the same arguments as the last why_run: the first finding must
#                      have code FIRST and the others must be among the codes (or the causes: see script-interpreter-fails)
# fix_line PREFIX      the first line of the fix section of $out that starts with PREFIX (indentation removed)
# expanded_line        the command the `elfrun run` fix executes (its "# it runs:" line)
# paste LINE           runs LINE with sh, as a user pasting it would: $pasted is its output, $pasted_status its status
# expect_hello LINE    pastes LINE and FAILs unless it printed exactly "Hello World"
# build_hello OUT [GCC ARGS...]   builds the hello-world program with gcc (extra arguments after OUT)

why_setup() {
  case_need_elfrun
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/bin"
  ln -s "$elfrun" "$work/bin/elfrun"
  PATH=$work/bin:$PATH
  export PATH
  printf '#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n' >"$work/hello.c"
}

why_run() {
  why_args=$*
  why_argv_file=$work/.why-args
  : >"$why_argv_file"
  for why_arg in "$@"; do printf '%s\n' "$why_arg" >>"$why_argv_file"; done
  out=$(NO_COLOR=1 "$elfrun" why "$@" 2>&1)
  status=$?
  echo "\$ elfrun why $why_args    (exit $status)"
  printf '%s\n' "$out" | sed 's/^/    /'
}

expect_status() {
  [ "$status" -eq "$1" ] || case_fail "elfrun why $why_args: exit status $status, expected $1"
}

expect() {
  case $out in
    *"$1"*) ;;
    *) case_fail "elfrun why $why_args: expected \"$1\" in the output" ;;
  esac
}

expect_not() {
  case $out in
    *"$1"*) case_fail "elfrun why $why_args: did not expect \"$1\" in the output" ;;
    *) ;;
  esac
}

expect_codes() {
  if ! command -v python3 >/dev/null 2>&1; then
    [ "${CI:-}" = true ] && case_fail "python3 is missing (Debian package python3)"
    echo "note: python3 missing, codes not checked"
    return
  fi
  # The arguments of the last why_run are in $why_argv_file, one per line (they may hold blanks).
  python3 - "$elfrun" "$why_argv_file" "$@" <<'EOF' || case_fail "elfrun why --json $why_args: codes (above)"
import json, subprocess, sys
elfrun, argv_file, first, *also = sys.argv[1:]
args = open(argv_file).read().split("\n")[:-1]
run = subprocess.run([elfrun, "why", "--json"] + args, capture_output=True, text=True)
try:
    report = json.loads(run.stdout)
except ValueError as error:
    print("FAIL: --json output is not JSON:", error, run.stdout[:300])
    sys.exit(1)
codes = [f["code"] for f in report["findings"]]
codes += [f["cause"] for f in report["findings"] if f.get("cause")]  # the end of a #! chain
print("    codes:", " ".join(codes))
ok = bool(codes) and codes[0] == first and all(code in codes for code in also)
if not ok:
    print("FAIL: expected first code", first, "and", also, "got", codes)
runs = report["runs"]
blocking = any(f["severity"] == "blocking" for f in report["findings"])
if runs == blocking:
    print("FAIL: runs is", runs, "with blocking findings:", blocking)
    ok = False
sys.exit(0 if ok else 1)
EOF
}

fix_line() {
  printf '%s\n' "$out" | sed -n '/^fix:$/,/^$/p' | sed 's/^ *//' | grep -F -- "$1" | grep -v '^#' | sed -n 1p
}

expanded_line() {
  printf '%s\n' "$out" | sed -n 's/^ *# it runs: //p' | sed -n 1p
}

paste() {
  echo "  pasting: $1"
  pasted=$(sh -c "$1" 2>&1)
  pasted_status=$?
  printf '%s\n' "$pasted" | sed 's/^/    | /'
}

expect_hello() {
  if [ -z "$1" ]; then
    case_fail "elfrun why $why_args: no command to paste"
    return
  fi
  paste "$1"
  [ "$pasted" = "Hello World" ] && [ "$pasted_status" -eq 0 ] ||
    case_fail "pasting \"$1\" printed \"$pasted\" (status $pasted_status), not Hello World"
}

build_hello() {
  build_out=$1
  shift
  gcc -o "$build_out" "$work/hello.c" "$@" || case_fail "gcc could not build $build_out"
}
