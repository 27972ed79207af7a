#!/bin/sh
# ld.so never reads ld.so.conf: a library that sits only in a directory ld.so.conf lists, and is missing from the
# cache, is not found; `elfrun deps -v` and `--format json` say "run ldconfig". Built in a temporary root.
set -u
: "${ELFRUN:?}"
for tool in gcc; do
  command -v "$tool" >/dev/null 2>&1 || { [ "${CI:-}" = true ] && { echo "FAIL: $tool missing"; exit 1; }; echo "skipped: $tool missing"; exit 77; }
done
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc" "$root/opt/foo/lib" "$root/lib64" "$root/lib/x86_64-linux-gnu" "$root/work"
cp /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
cp /lib/x86_64-linux-gnu/libc.so.6 "$root/lib/x86_64-linux-gnu/"
printf '/opt/foo/lib\n' > "$root/etc/ld.so.conf"
printf 'int foo(void){return 1;}\n' > "$root/work/foo.c"
printf 'int foo(void);int main(void){return foo();}\n' > "$root/work/m.c"
gcc -shared -fPIC -Wl,-soname,libconffoo.so.1 "$root/work/foo.c" -o "$root/opt/foo/lib/libconffoo.so.1" || exit 1
gcc "$root/work/m.c" "$root/opt/foo/lib/libconffoo.so.1" -o "$root/work/prog" || exit 1
out=$("$ELFRUN" deps --root "$root" -v "$root/work/prog" 2>&1)
status=$?
echo "$out"
[ $status -eq 1 ] || { echo "FAIL: expected exit status 1 (a library is missing), got $status"; exit 1; }
echo "$out" | grep -q 'libconffoo.so.1 => not found' || { echo "FAIL: libconffoo.so.1 should be not found"; exit 1; }
echo "$out" | grep -q 'libconffoo.so.1 is in /opt/foo/lib, listed in /etc/ld.so.conf.*run ldconfig' ||
  { echo "FAIL: no 'run ldconfig' note"; exit 1; }
"$ELFRUN" deps --root "$root" --format json "$root/work/prog" | grep -q 'run ldconfig' ||
  { echo "FAIL: the JSON notes do not say run ldconfig"; exit 1; }
echo "ok"
