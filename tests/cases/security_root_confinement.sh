#!/bin/sh
# Under --root every file is opened through RootedFs (issue 13, finding 3): ld.so.conf and its includes, and the
# libraries `why --symbols --root` reads symbols from. A root of copies of the host's loader and libc holds a library
# that is an absolute symlink, /opt/lib/libv.so -> $hostdir/libv.so: inside the root that is ROOT$hostdir/libv.so,
# which defines lib_value; the host's $hostdir/libv.so does not. why --symbols must read the root's (it read the
# host's, and reported lib_value as missing). Then ROOT/etc/ld.so.conf is a FIFO: why and deps of a program with a
# missing library (which makes them read ld.so.conf) must finish at once (run under timeout; they blocked forever).
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools gcc timeout readelf
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
hostdir=$work/host
loader=$(readelf -lW /bin/sh | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
libc=$("$elfrun" deps --format ldd /bin/sh | awk '$1=="libc.so.6"{print $3}')
[ -n "$loader" ] && [ -n "$libc" ] || { echo "FAIL: no loader or libc found for /bin/sh"; exit 1; }
mkdir -p "$root${loader%/*}" "$root${libc%/*}" "$root/opt/lib" "$root$hostdir" "$hostdir" "$root/etc"
cp "$loader" "$root$loader"
cp "$libc" "$root$libc"
cd "$work" || exit 1
printf 'int lib_value(void) { return 7; }\n' >good.c
printf 'int other_value(void) { return 8; }\n' >bad.c
gcc -shared -fPIC -Wl,-soname,libv.so -o "$root$hostdir/libv.so" good.c || exit 1
gcc -shared -fPIC -Wl,-soname,libv.so -o "$hostdir/libv.so" bad.c || exit 1
ln -s "$hostdir/libv.so" "$root/opt/lib/libv.so"
printf 'int lib_value(void);\nint main(void) { return lib_value() == 7 ? 0 : 1; }\n' >main.c
gcc -o "$root/prog" main.c "$root$hostdir/libv.so" -Wl,-z,now -Wl,--enable-new-dtags -Wl,-rpath,/opt/lib || exit 1

timeout 60 "$elfrun" why --symbols --root "$root" "$root/prog" >out 2>&1
status=$?
sed 's/^/    /' out
[ "$status" -eq 0 ] || case_fail "why --symbols --root: status $status, expected 0 (the root's libv.so defines lib_value)"
grep -q lib_value out && case_fail "why --symbols --root read the host's libv.so (lib_value reported)"

# A FIFO at ROOT/etc/ld.so.conf, and a program with a missing library.
mkfifo "$root/etc/ld.so.conf"
printf 'int main(void) { return 0; }\n' >lost.c
gcc -shared -fPIC -Wl,-soname,libgone.so -o libgone.so good.c || exit 1
gcc -o "$root/lost" lost.c -Wl,--no-as-needed ./libgone.so || exit 1
for command in "why" "why --symbols" "deps" "deps --format json"; do
  # shellcheck disable=SC2086
  timeout 20 "$elfrun" $command --root "$root" "$root/lost" >out 2>&1
  status=$?
  echo "$command --root ROOT lost: status $status"
  [ "$status" -eq 124 ] && case_fail "$command --root blocked on the FIFO at ROOT/etc/ld.so.conf"
  [ "$status" -eq 1 ] || case_fail "$command --root: status $status, expected 1 (libgone.so is missing): $(head -c 300 out)"
done
[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
