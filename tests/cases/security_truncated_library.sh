#!/bin/sh
# A library rewritten while `elfrun deps -v` reads it must never kill elfrun (issue 13, finding 8): the library is
# mapped, and a page past the end of a truncated file raises SIGBUS. A loop truncates the library and writes it back
# (the same inode, as `cp` over it or a build does) while deps -v runs 300 times; no run may die of a signal
# (status > 128). Before the fix about 1 run in 100 died with SIGBUS (status 135).
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools gcc python3
work=$(mktemp -d)
writer=
trap '[ -n "$writer" ] && kill "$writer" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
# A library of a few hundred KB (mapped, not read: ByteSource reads only files up to 16 KiB whole), with many symbols.
{
  i=0
  while [ $i -lt 400 ]; do
    echo "int f$i(void) { return $i; }"
    i=$((i + 1))
  done
  echo 'const char big[256 << 10] = {1};'
} >lib.c
gcc -shared -fPIC -Wl,-soname,libbig.so -o libbig.so.orig lib.c || exit 1
cp libbig.so.orig libbig.so
printf 'int f1(void);\nint main(void) { return f1() == 1 ? 0 : 1; }\n' >main.c
gcc -o prog main.c ./libbig.so -Wl,-rpath,"$work" || exit 1
# The writer truncates and rewrites in place as fast as it can (python3: one ftruncate and one pwrite a round).
python3 -c '
import os, sys
data = open("libbig.so.orig", "rb").read()
fd = os.open("libbig.so", os.O_WRONLY)
while True:
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
' &
writer=$!
runs=${ELFRUN_TRUNCATE_RUNS:-300}
died=0
statuses=
i=0
while [ $i -lt "$runs" ]; do
  "$elfrun" deps -v ./prog >/dev/null 2>&1
  status=$?
  if [ "$status" -gt 128 ]; then
    died=$((died + 1))
    statuses="$statuses $status"
  fi
  i=$((i + 1))
done
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
writer=
echo "$runs runs of deps -v while the library is rewritten: $died died of a signal ($statuses)"
[ "$died" -eq 0 ] || case_fail "$died of $runs runs died of a signal:$statuses"
[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
