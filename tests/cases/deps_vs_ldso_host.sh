#!/bin/sh
# ctest-labels: slow
# The loader is the judge: every dynamically linked ELF file of /usr/bin, /usr/sbin and /usr/lib/x86_64-linux-gnu
# (recursively) of this machine, `elfrun deps --format ldd` against `/lib64/ld-linux-x86-64.so.2 --list FILE`, line
# for line once the load addresses " (0x...)" are removed, and the loader's stderr too where it fails. A file whose
# library is missing makes `--list` stop with an error; for those the loader in trace mode (as ldd runs it) is the
# judge. elfrun runs once per batch of files, the loader once per file (tests/cases/lib/ldso_compare.py).
# Prints per set: files, agreeing, differing, and every difference as a unified diff; exits 1 on any difference.
set -u
. "$(dirname "$0")/lib/case.sh"

loader=/lib64/ld-linux-x86-64.so.2
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools /usr/bin/python3 "$loader"
case_need_elfrun

exec /usr/bin/python3 "$source_dir/tests/cases/lib/ldso_compare.py" --elfrun "$elfrun" \
  --class 2 --machine 62 --default-loader "$loader" --loader-command "$loader --list {file}" --min-files 50 \
  --set /usr/bin=/usr/bin --set /usr/sbin=/usr/sbin --set /usr/lib/x86_64-linux-gnu=/usr/lib/x86_64-linux-gnu
