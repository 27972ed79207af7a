#!/bin/sh
# `elfrun info` on dynamic loaders: glibc's ld.so (the interpreter of /bin/sh), musl's, and the loaders of the
# Debian cross roots present. Each is kind "dynamic-loader" — a self-relocating shared object with no PT_INTERP and
# no DT_NEEDED — and the paragraph explains why `file` calls it "dynamically linked" and ldd "statically linked";
# both tools are asked, to check that they still say so. Without file, readelf or ldd the case is skipped (77),
# except under CI=true where it fails.
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools file readelf ldd

glibc_loader=$(readelf -lW /bin/sh | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
out=$(NO_COLOR=1 "$elfrun" info "$glibc_loader")
status=$?
echo "$out"
[ "$status" -eq 0 ] || case_fail "exit status $status, expected 0"
case_expect "$out" "$glibc_loader: 64-bit x86-64 dynamic loader (glibc)"
case_expect "$out" 'a self-relocating shared object with no PT_INTERP and no DT_NEEDED: `file` calls it'
case_expect "$out" '"dynamically linked" (it has a dynamic section), ldd "statically linked" (it needs no library)'
case $(file -L -b "$glibc_loader") in
  *"dynamically linked"*) ;;
  *) case_fail "file no longer calls $glibc_loader \"dynamically linked\": $(file -L -b "$glibc_loader")" ;;
esac
case $(ldd "$glibc_loader" 2>&1) in
  *"statically linked"*) ;;
  *) case_fail "ldd no longer calls $glibc_loader \"statically linked\": $(ldd "$glibc_loader" 2>&1)" ;;
esac

count=1
for loader in /lib/ld-musl-x86_64.so.1 /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 \
  /usr/arm-linux-gnueabihf/lib/ld-linux-armhf.so.3 /usr/riscv64-linux-gnu/lib/ld-linux-riscv64-lp64d.so.1 \
  /usr/s390x-linux-gnu/lib/ld64.so.1 /usr/powerpc64-linux-gnu/lib/ld64.so.1 /lib/ld-linux.so.2; do
  [ -e "$loader" ] || continue
  count=$((count + 1))
  kind=$("$elfrun" info --json "$loader" | sed -n 's/.*"kind":"\([^"]*\)".*/\1/p')
  [ "$kind" = dynamic-loader ] || case_fail "$loader: kind \"$kind\", expected dynamic-loader"
done
NO_COLOR=1 "$elfrun" info /lib/ld-musl-x86_64.so.1 2>/dev/null | grep -q 'dynamic loader (musl)' ||
  [ ! -e /lib/ld-musl-x86_64.so.1 ] || case_fail "/lib/ld-musl-x86_64.so.1 is not named musl's loader"

# A library that needs others is no loader, although it has an entry point and runs (libc.so.6).
libc=$(dirname "$(readlink -f "$glibc_loader")")/libc.so.6
if [ -e "$libc" ]; then
  kind=$("$elfrun" info --json "$libc" | sed -n 's/.*"kind":"\([^"]*\)".*/\1/p')
  [ "$kind" = shared-library ] || case_fail "$libc: kind \"$kind\", expected shared-library"
fi

[ "$case_failures" -eq 0 ] || exit 1
echo "PASS: $count loaders"
