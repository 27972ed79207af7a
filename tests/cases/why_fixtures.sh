#!/bin/sh
# `elfrun why` on every hello-world fixture (tests/fixtures/build-fixtures.sh: x86-64, i386, musl, static, static-pie,
# $ORIGIN RUNPATH/RPATH, and aarch64, armhf, riscv64, s390x, ppc64 built against Debian's cross roots). A native
# fixture must "run" (exit 0) — and does, when run. A foreign one must say that this kernel cannot run it and that
# qemu-user runs it (exit 1, machine-needs-qemu), unless a binfmt_misc handler takes it; the `elfrun run` line it
# prints and the command that line expands to, pasted into sh, must print Hello World.
# Without the fixtures' tools the case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
why_setup
fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >"$work/build.log" 2>&1
case $? in
  0) ;;
  2) cat "$work/build.log"
     case_skip "a tool the fixtures need is missing (above)" ;;
  *) cat "$work/build.log"
     echo "FAIL: build-fixtures.sh failed"
     exit 1 ;;
esac
cd "$fixtures" || exit 1

checked=0
while IFS='	' read -r name runner root; do
  case $name in hello-*) ;; *) continue ;; esac
  checked=$((checked + 1))
  why_run "./$name"
  if [ "$runner" = native ]; then
    expect_status 0
    expect "./$name will run: "
    expect_hello "./$name"
  else
    case $out in
      *"(binfmt_misc entry"*)
        expect_status 0
        continue ;;
    esac
    expect_status 1
    expect "this x86_64 kernel cannot run it"
    expect "$runner (installed) runs it"
    expect_codes machine-needs-qemu
    expect_hello "$(fix_line "elfrun run ./$name")"
    expanded=$(expanded_line)
    case $expanded in
      "$runner -L $root "*) ;;
      *) case_fail "./$name: the command run is \"$expanded\", not $runner with -L $root" ;;
    esac
    expect_hello "$expanded"
  fi
done <fixtures.tsv
[ "$checked" -ge 10 ] || case_fail "only $checked hello-world fixtures in fixtures.tsv"

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
