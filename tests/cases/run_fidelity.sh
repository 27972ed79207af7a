#!/bin/sh
# `elfrun run` behaves like running the program directly (SPEC.md), on the host, both ways run can go:
#  - through a loader: a copy of the 64-bit probe whose PT_INTERP is /nonexistent/ld-linux-x86-64.so.2 (patchelf),
#    so that the kernel cannot run it and elfrun must find a loader;
#  - directly: the probe as built, which the kernel runs as it is.
# Each is compared with the intact probe run directly (tests/cases/lib/run_fidelity.sh): exit statuses 0, 1, 42,
# 255; death by SIGTERM and SIGSEGV (128+N, and a parent's wait status says "signal"); stdin, stdout and stderr of the
# program and of a child it starts with system(); arguments byte for byte (spaces, empty, newline, '*', '$HOME',
# non-UTF-8); argv[0] as typed; the environment unchanged and LD_LIBRARY_PATH absent in the program and its child;
# the --print command run by sh.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the probe is an x86-64 program; the host is $(uname -m)"
case_need_tools gcc patchelf cmp diff env
case_need_elfrun

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/probe-x86_64" ] || { echo "FAIL: tests/fixtures/build-fixtures.sh did not build probe-x86_64"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-run-fidelity.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

cp "$fixtures/probe-x86_64" "$work/probe-no-interp" &&
  patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 "$work/probe-no-interp" || {
  echo "FAIL: patchelf could not change the probe's PT_INTERP"
  exit 1
}
# The premise: the kernel really cannot run it.
if "$work/probe-no-interp" >/dev/null 2>&1; then
  echo "FAIL: the probe with PT_INTERP /nonexistent/... ran directly; the test proves nothing"
  exit 1
fi

status=0
sh "$source_dir/tests/cases/lib/run_fidelity.sh" "$elfrun" "$fixtures/probe-x86_64" "$work/probe-no-interp" \
  "$work/loader" loader || status=1
sh "$source_dir/tests/cases/lib/run_fidelity.sh" "$elfrun" "$fixtures/probe-x86_64" "$fixtures/probe-x86_64" \
  "$work/direct" direct || status=1
exit $status
