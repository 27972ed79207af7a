#!/bin/sh
# `elfrun info` on the fixture programs of every class, machine and libc (tests/fixtures/build-fixtures.sh): the
# first line says what each is — PIE, static, static-pie, for glibc or musl, its interpreter and whether that is
# here — and the machine line decodes e_flags where the loader cares (ARM EABI5 hard-float, RISC-V RVC and
# double-float ABI, ppc64 ELFv1). For the x86-64 static and static-pie programs `file` is asked too, so that the kind
# agrees with its "statically linked" / "static-pie linked". A fixture that could not be built (tool missing) is
# skipped with a note, except under CI=true where it fails. Without file the case is skipped (77), under CI=true it
# fails.
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools file
fixtures=$build_dir/fixtures
checked=0

sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1 ||
  echo "note: not every fixture could be built (the fixtures_run case says which)"

# fixture | what the output must contain (every ';'-separated part)
expectations() {
  cat <<'EOF_TABLE'
hello-x86_64|: 64-bit x86-64 PIE executable for glibc, needs /lib64/ld-linux-x86-64.so.2 (present, a 64-bit x86-64 glibc loader)
hello-i386|: 32-bit i386 PIE executable for glibc, needs /lib/ld-linux.so.2 (present, a 32-bit i386 glibc loader);machine     i386 (3)
hello-x86_64-musl|: 64-bit x86-64 PIE executable for musl, needs /lib/ld-musl-x86_64.so.1 (present, a 64-bit x86-64 musl loader)
hello-x86_64-static|: 64-bit x86-64 static executable for glibc: the kernel starts it directly, no loader
hello-x86_64-static-pie|: 64-bit x86-64 static-pie executable for glibc: it relocates itself, no loader
hello-aarch64|: 64-bit AArch64 PIE executable for glibc, needs /lib/ld-linux-aarch64.so.1 (;machine     AArch64 (183)
hello-armhf|: 32-bit ARM PIE executable for glibc, needs /lib/ld-linux-armhf.so.3 (;machine     ARM (40), flags 0x5000400: EABI5, hard-float
hello-riscv64|: 64-bit RISC-V PIE executable for glibc, needs /lib/ld-linux-riscv64-lp64d.so.1 (;flags 0x5: RVC, double-float ABI
hello-s390x|: 64-bit big-endian S/390 PIE executable for glibc, needs /lib/ld64.so.1 (;format      ELF64, big endian
hello-ppc64|: 64-bit big-endian PowerPC64 PIE executable for glibc, needs /lib64/ld64.so.1 (;machine     PowerPC64 (21), flags 0x1: ELFv1
hello-rpath|  rpath       $ORIGIN/lib;  needed      libgreet.so.1, libc.so.6
hello-runpath|  runpath     $ORIGIN/lib
lib/libgreet.so.1|: 64-bit x86-64 shared library libgreet.so.1 for glibc;  soname      libgreet.so.1
EOF_TABLE
}

expectations >"$fixtures/.info-expectations" 2>/dev/null || { case_fail "cannot write into $fixtures"; exit 1; }
while IFS='|' read -r name parts; do
  file=$fixtures/$name
  if [ ! -e "$file" ]; then
    if [ "${CI:-}" = true ]; then case_fail "fixture $name was not built"; else echo "skipped: $name (not built)"; fi
    continue
  fi
  checked=$((checked + 1))
  said=$(NO_COLOR=1 "$elfrun" info "$file")
  status=$?
  [ "$status" -eq 0 ] || case_fail "$name: exit status $status"
  case_expect_parts "$said" "$parts" "the info of $name:
$said"
done <"$fixtures/.info-expectations"
rm -f "$fixtures/.info-expectations"

for pair in "hello-x86_64-static:statically linked" "hello-x86_64-static-pie:static-pie linked"; do
  name=${pair%%:*}
  words=${pair#*:}
  [ -e "$fixtures/$name" ] || continue
  said=$(file -b "$fixtures/$name")
  case_expect "$said" "$words" "what file says of $name: $said"
done

[ "$case_failures" -eq 0 ] || exit 1
echo "PASS: $checked fixtures"
