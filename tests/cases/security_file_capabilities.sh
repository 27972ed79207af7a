#!/bin/sh
# Issue 13, finding 7: file capabilities (the security.capability xattr) are lost through a loader exactly as setuid
# is, so they are treated like it: `run` refuses (126) a program with capabilities that would go through a loader,
# unless --allow-setuid; `why` reports a `file-capabilities` finding with the capabilities as evidence; `bundle`
# warns. A program the kernel runs as it is keeps its capabilities and is simply run.
# Before the fix: run ran it without its capabilities (status 0), why and bundle said nothing.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the probe is an x86-64 program; the host is $(uname -m)"
case_need_root "setcap"
case_need_tools gcc patchelf setcap getcap
case_need_elfrun

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/probe-x86_64" ] || { echo "FAIL: tests/fixtures/build-fixtures.sh did not build probe-x86_64"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-security-caps.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
export ELFRUN_NO_CACHE=1

# A program that must go through a loader (its PT_INTERP does not exist), with cap_net_bind_service+ep.
cp "$fixtures/probe-x86_64" caps-no-interp &&
  patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 caps-no-interp || exit 1
if ! setcap cap_net_bind_service+ep caps-no-interp 2>err || [ -z "$(getcap caps-no-interp)" ]; then
  case_skip "this file system keeps no security.capability ($(cat err))"
fi

case_expect_exit "capabilities through a loader" 126 "*caps-no-interp*file capabilities*--allow-setuid*" \
  "$elfrun" run ./caps-no-interp
grep -q '^argc' out && case_fail "the refused program with capabilities ran anyway"
PROBE_STATUS=5 "$elfrun" run --allow-setuid ./caps-no-interp >out 2>err
status=$?
[ "$status" -eq 5 ] || case_fail "--allow-setuid: status $status (expected 5): $(cat err)"

why=$("$elfrun" why ./caps-no-interp 2>&1)
case_expect "$why" "file capabilities" "why's output"
case_expect "$why" "elfrun run --allow-setuid ./caps-no-interp" "why's fix (run refuses it without the option)"
json=$("$elfrun" why --json ./caps-no-interp 2>&1)
case_expect "$json" '"file-capabilities"' "why --json"
case_expect "$json" 'permitted 0x400' "why --json (cap_net_bind_service is capability 10)"

# Run directly by the kernel, it keeps them: run execs it as it is.
cp "$fixtures/probe-x86_64" caps-direct && setcap cap_net_bind_service+ep caps-direct || exit 1
case_expect_exit "capabilities, run directly" 0 "" "$elfrun" run ./caps-direct

# bundle: made, with a warning naming the capabilities.
"$elfrun" bundle -o caps.sh ./caps-direct >out 2>err
status=$?
[ "$status" -eq 0 ] || case_fail "bundle of a program with capabilities: status $status: $(cat err)"
grep -q 'file capabilities' err || case_fail "bundle gave no warning about file capabilities: $(cat err)"

# A program without capabilities gets no such finding.
cp "$fixtures/probe-x86_64" plain
"$elfrun" why --json ./plain | grep -q file-capabilities && case_fail "a plain program got a file-capabilities finding"

[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
