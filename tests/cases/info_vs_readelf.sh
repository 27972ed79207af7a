#!/bin/sh
# ctest-labels: slow
# Differential test: `elfrun info --json` must agree with GNU readelf (-h -l -d -n --wide, LC_ALL=C) on class, byte
# order, machine, type, interpreter, needed, soname, rpath, runpath and build-id for every ELF file of the system
# directories, the i386 multilib, the libraries of the six Debian cross roots (s390x and ppc64 are big-endian) and
# the fixtures. Prints the counts per directory and every disagreement with both values (tests/cases/lib/
# info_vs_readelf.py does the work). Without readelf or python3 the case is skipped (77), under CI=true it fails.
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_tools readelf /usr/bin/python3
case_need_elfrun

# The fixtures add machines and shapes the system lacks (static-pie, musl, lld's 8-byte build-ids, DT_RPATH).
# A missing cross toolchain only shrinks that set; tests/cases/fixtures_run.sh reports it.
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$build_dir/fixtures" >/dev/null 2>&1 ||
  echo "note: not every fixture could be built (see the fixtures_run case)"

# Under CI every directory must be there (scripts/bootstrap installs the cross roots); elsewhere a missing one is
# listed with a count of 0.
require=""
[ "${CI:-}" = true ] && require=--require-every-directory

exec /usr/bin/python3 "$source_dir/tests/cases/lib/info_vs_readelf.py" --elfrun "$elfrun" $require \
  /usr/bin /usr/sbin /usr/lib/x86_64-linux-gnu /usr/lib32 \
  /usr/aarch64-linux-gnu/lib /usr/arm-linux-gnueabihf/lib /usr/riscv64-linux-gnu/lib \
  /usr/s390x-linux-gnu/lib /usr/powerpc64-linux-gnu/lib /usr/x86_64-linux-gnu/lib \
  "$build_dir/fixtures"
