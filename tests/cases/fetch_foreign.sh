#!/bin/sh
# ctest-labels: slow
# ctest-timeout: 1800
# `elfrun run --fetch` for programs of other machines, through qemu-user (issue 16: "libc6:arm64 ..."). An aarch64
# hello world (C, its exit status from its argument) and a C++ program, built with clang --target=aarch64-linux-gnu
# -fuse-ld=lld against Debian's cross root, and the s390x, armhf and riscv64 hello fixtures (s390x is big-endian
# and armhf hard-float by e_flags: the machine table's byte order and ABI bits decide their Debian architecture;
# bookworm has no riscv64, so its libc6 comes from trixie). In a private mount namespace where the machine has NO loader or library of
# those machines (a tmpfs over every root `elfrun loaders` finds for them, /usr/TRIPLET; an empty tmpfs over
# /proc/sys/fs/binfmt_misc, so that no handler is seen) and with HOME and the XDG directories in a temporary one:
#   - `elfrun run PROG` exits 127 (its loader is nowhere qemu would look) and `elfrun why PROG` exits 1 saying the
#     same, naming libc6:arm64 (libstdc++6:arm64 for the C++ one, libc6:s390x) and the `elfrun run --fetch PROG`
#     line; without qemu on PATH, why names qemu-user before that line;
#   - `elfrun run --fetch PROG` prints what the program prints and keeps its exit status; --print shows qemu given
#     -L / and the store's loader (the packages' entries PACKAGE_VERSION_arm64), never the hidden cross root;
#   - a second run is served from the plan cache: strace -f sees no socket of an internet family, no apt-get,
#     apt-cache or dpkg-deb, and only elfrun and qemu executed;
#   - offline (unshare -n) with a fresh HOME: status 127, a message naming libc6:arm64 and apt's error, nothing in
#     the store;
#   - the host's /etc/apt, /var/lib/apt and /var/lib/dpkg are byte for byte what they were (sha256 of every file).
# Needs root (mounts in a private namespace) and the network to Debian's archive (skipped offline, a failure in CI).
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "tmpfs mounts in a private mount namespace"
case_need_tools unshare mount clang clang++ ld.lld strace sha256sum qemu-aarch64 qemu-s390x qemu-arm qemu-riscv64
case_need_elfrun
[ -e /usr/aarch64-linux-gnu/lib/Scrt1.o ] || case_skip "libc6-dev-arm64-cross is not installed"
[ -d /usr/aarch64-linux-gnu/include/c++ ] || case_skip "libstdc++-12-dev-arm64-cross is not installed"

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/hello-s390x" ] && [ -x "$fixtures/hello-armhf" ] && [ -x "$fixtures/hello-riscv64" ] ||
  case_skip "the s390x, armhf or riscv64 fixture was not built (build-fixtures.sh names what is missing)"

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fetch-foreign.XXXXXX") || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT
mkdir -p "$work/home" "$work/empty" || exit 1

cat >"$work/hello.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  puts("Hello World");
  return argc > 1 ? atoi(argv[1]) : 0;
}
C
cat >"$work/cxx.cc" <<'C'
#include <iostream>
#include <string>
#include <vector>
int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  std::cout << "Hello C++ with " << words.size() << " arguments" << std::endl;
  return words.empty() ? 0 : 7;
}
C
clang --target=aarch64-linux-gnu -fuse-ld=lld -O1 -o "$work/hello-arm64" "$work/hello.c" &&
  clang++ --target=aarch64-linux-gnu -fuse-ld=lld -O1 -o "$work/cxx-arm64" "$work/cxx.cc" || {
  echo "FAIL: cannot build the aarch64 programs"
  exit 1
}
for target in s390x armhf riscv64; do cp "$fixtures/hello-$target" "$work/hello-$target" || exit 1; done
# The references, through the cross roots (before they are hidden).
ref_cxx=$(qemu-aarch64 -L /usr/aarch64-linux-gnu "$work/cxx-arm64" a b)
echo "reference: qemu-aarch64 -L /usr/aarch64-linux-gnu cxx-arm64 a b -> $ref_cxx"

cat >"$work/inside.sh" <<'INSIDE'
set -u
work=${1:?}
elfrun=${2:?}
[ "$(readlink /proc/self/ns/mnt)" != "${ELFRUN_HOST_MOUNT_NS:?}" ] || { echo "FAIL: not in a private mount namespace"; exit 1; }
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
export HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" XDG_DATA_HOME="$work/home/.local/share" \
  XDG_CONFIG_HOME="$work/home/.config"
unset QEMU_LD_PREFIX
# No binfmt_misc handler is seen (nor used: the plans exec qemu themselves).
mount -t tmpfs tmpfs /proc/sys/fs/binfmt_misc || { echo "FAIL: cannot hide binfmt_misc"; exit 1; }
# Hide every loader the machine has for aarch64 and s390x: the root it is in (/usr/TRIPLET), or the file itself
# when it is in a system directory, and the multiarch directories.
"$elfrun" loaders | grep '^/' | grep -E '64-bit (aarch64|s390x|riscv64)|32-bit armhf' | sed 's/  .*//' >"$work/loaders"
while read -r loader; do
  case $loader in
    /usr/*-linux-gnu*/*) dir=${loader#/usr/}; dir=/usr/${dir%%/*} ;;
    *) dir= ;;
  esac
  if [ -n "$dir" ] && [ "$dir" != /usr/ ]; then
    mount -t tmpfs tmpfs "$dir" || fail "cannot hide $dir"
  else
    mount --bind "$work/empty" "$loader" 2>/dev/null || mount --bind /dev/null "$loader" || fail "cannot hide $loader"
  fi
  echo "hidden: $loader (${dir:-the file})"
done <"$work/loaders"
for dir in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /lib/s390x-linux-gnu /usr/lib/s390x-linux-gnu \
  /lib/arm-linux-gnueabihf /usr/lib/arm-linux-gnueabihf /lib/riscv64-linux-gnu /usr/lib/riscv64-linux-gnu; do
  [ -d "$dir" ] && mount -t tmpfs tmpfs "$dir"
done
left=$("$elfrun" loaders | grep '^/' | grep -E '64-bit (aarch64|s390x|riscv64)|32-bit armhf')
[ -z "$left" ] || fail "loaders of aarch64, s390x, armhf or riscv64 are still seen: $left"
state_hashes() {
  find /etc/apt /var/lib/apt /var/lib/dpkg -type f -exec sha256sum {} + 2>/dev/null | sort
}
state_hashes >"$work/state-before"
cd "$work" || exit 1

# 1. Without --fetch nothing runs them; why names the packages and the line.
for prog in hello-arm64 cxx-arm64 hello-s390x hello-armhf hello-riscv64; do
  said=$("$elfrun" run "./$prog" 2>&1)
  status=$?
  echo "elfrun run ./$prog -> $status: $said"
  [ "$status" -eq 127 ] || fail "elfrun run ./$prog without --fetch exited $status, expected 127"
  said=$("$elfrun" why "./$prog" 2>&1)
  status=$?
  echo "elfrun why ./$prog -> $status:"
  echo "$said" | sed 's/^/    /'
  [ "$status" -eq 1 ] || fail "elfrun why ./$prog exited $status, expected 1"
  case $prog in
    *arm64) want=libc6:arm64 ;;
    *armhf) want=libc6:armhf ;;
    *riscv64) want=libc6:riscv64 ;;
    *) want=libc6:s390x ;;
  esac
  case $said in *"$want"*) ;; *) fail "elfrun why ./$prog does not name $want" ;; esac
  case $said in *"elfrun run --fetch ./$prog"*) ;; *) fail "elfrun why ./$prog does not give the run --fetch line" ;; esac
  # why and run agree: qemu is there, its loader is not (run's 127 above says the same).
  case $said in *"(installed) runs it"*) fail "elfrun why ./$prog says qemu runs it" ;; esac
  case $said in *"is nowhere it would look"*) ;; *) fail "elfrun why ./$prog does not say the loader is missing" ;; esac
done
case $("$elfrun" why ./cxx-arm64 2>&1) in *libstdc++6:arm64*) ;; *) fail "why ./cxx-arm64 does not name libstdc++6:arm64" ;; esac
# why never touches the network nor the store (its check of `fix` takes the store's entries alone).
for made in "$XDG_DATA_HOME/elfrun/store" "$XDG_CACHE_HOME/elfrun/apt"; do
  [ -e "$made" ] && fail "why made $made: $(find "$made" -maxdepth 2 | head -n 5 | tr '\n' ' ')"
done
# Without qemu-user: that first, then the fetch line.
said=$(PATH=/nonexistent "$elfrun" why ./hello-arm64 2>&1)
echo "without qemu on PATH: $(echo "$said" | sed -n '3,5p' | tr '\n' '|')"
fixes=$(echo "$said" | sed -n '/^fix:/,/^$/p' | grep -n 'qemu-user\|run --fetch' | cut -d: -f1 | tr '\n' ' ')
case $fixes in
  [0-9]*\ [0-9]*\ ) set -- $fixes; [ "$1" -lt "$2" ] || fail "without qemu, why gives the --fetch line before qemu-user: $said" ;;
  *) fail "without qemu, why does not give both qemu-user and the --fetch line: $said" ;;
esac

# 2. run --fetch: what the program prints, its status.
started=$(date +%s)
said=$("$elfrun" run --fetch ./hello-arm64 42 2>"$work/fetch.err")
status=$?
echo "elfrun run --fetch ./hello-arm64 42 -> $status: $said ($(($(date +%s) - started)) s); stderr:"
sed 's/^/    /' "$work/fetch.err"
if [ "$status" -ne 42 ] && grep -q 'Temporary failure resolving\|Could not resolve\|Could not connect' "$work/fetch.err"; then
  [ "${CI:-}" = true ] && { echo "FAIL: no network to the archive"; exit 1; }
  echo "SKIP: no network to the archive"
  exit 77
fi
[ "$status" -eq 42 ] && [ "$said" = "Hello World" ] || fail "run --fetch ./hello-arm64 42: status $status, output \"$said\""
grep -q 'fetching libc6 .*, arm64)' "$work/fetch.err" || fail "the first run did not say it fetched libc6 (arm64)"
said=$("$elfrun" run --fetch ./cxx-arm64 a b 2>"$work/fetch-cxx.err")
status=$?
echo "elfrun run --fetch ./cxx-arm64 a b -> $status: $said; stderr: $(tr '\n' '|' <"$work/fetch-cxx.err")"
[ "$status" -eq 7 ] && [ "$said" = "$ELFRUN_REF_CXX" ] || fail "run --fetch ./cxx-arm64: status $status, output \"$said\""
grep -q 'fetching libstdc++6 .*, arm64)' "$work/fetch-cxx.err" || fail "the C++ run did not fetch libstdc++6 (arm64)"
grep -q 'fetching libc6 ' "$work/fetch-cxx.err" && fail "the C++ run fetched libc6 again (it is in the store)"
said=$("$elfrun" run --fetch ./hello-s390x 2>"$work/fetch-s390x.err")
status=$?
echo "elfrun run --fetch ./hello-s390x -> $status: $said; stderr: $(tr '\n' '|' <"$work/fetch-s390x.err")"
[ "$status" -eq 0 ] && [ "$said" = "Hello World" ] || fail "run --fetch ./hello-s390x: status $status, output \"$said\""
grep -q 'fetching libc6 .*, s390x)' "$work/fetch-s390x.err" || fail "the s390x run did not fetch libc6 (s390x)"
# armhf: EM_ARM with EABI5 hard-float in e_flags (soft-float would be armel).
said=$("$elfrun" run --fetch ./hello-armhf 2>"$work/fetch-armhf.err")
status=$?
echo "elfrun run --fetch ./hello-armhf -> $status: $said; stderr: $(tr '\n' '|' <"$work/fetch-armhf.err")"
[ "$status" -eq 0 ] && [ "$said" = "Hello World" ] || fail "run --fetch ./hello-armhf: status $status, output \"$said\""
grep -q 'fetching libc6 .*, armhf)' "$work/fetch-armhf.err" || fail "the armhf run did not fetch libc6 (armhf)"
# riscv64: bookworm's archive has no riscv64 (its Release lists none), so trixie's libc6 is taken.
said=$("$elfrun" run --fetch ./hello-riscv64 2>"$work/fetch-riscv64.err")
status=$?
echo "elfrun run --fetch ./hello-riscv64 -> $status: $said; stderr: $(tr '\n' '|' <"$work/fetch-riscv64.err")"
[ "$status" -eq 0 ] && [ "$said" = "Hello World" ] || fail "run --fetch ./hello-riscv64: status $status, output \"$said\""
grep -q 'fetching libc6 .*(trixie, riscv64)' "$work/fetch-riscv64.err" || fail "the riscv64 run did not fetch trixie's libc6"
listed=$("$elfrun" store --list 2>&1)
echo "elfrun store --list:"
echo "$listed" | sed 's/^/    /'
echo "$listed" | grep -q "^libstdc++6 .* arm64 .*used by 1: $work/cxx-arm64" || fail "store --list: no libstdc++6 arm64 used by cxx-arm64"
echo "$listed" | grep -q "^libc6 .* s390x " || fail "store --list: no libc6 s390x"
printed=$(ELFRUN_NO_CACHE=1 "$elfrun" run --fetch --print ./cxx-arm64 2>&1)
echo "--print: $printed"
case $printed in
  "qemu-aarch64 -L / $XDG_DATA_HOME/elfrun/store/libc6_"*_arm64/*/ld-linux-aarch64.so.1\ --argv0\ ./cxx-arm64\ --library-path\ *libstdc++6_*_arm64/*) ;;
  *) fail "the plan does not run the store's loader through qemu -L /: $printed" ;;
esac
case $printed in *" /usr/aarch64-linux-gnu"* | *":/usr/aarch64-linux-gnu"*) fail "the plan uses the hidden cross root: $printed" ;; esac

# 3. The second run: served from the plan cache, no network, no apt.
for run in "hello-arm64 3" "cxx-arm64"; do
  # shellcheck disable=SC2086
  strace -f -qq -e trace=socket,connect,execve -o "$work/strace.log" "$elfrun" run --fetch ./$run >"$work/second.out" 2>&1
  status=$?
  echo "second run of $run -> $status: $(cat "$work/second.out"); execs: $(grep -o 'execve("[^"]*"' "$work/strace.log" | tr '\n' ' ')"
  case $run in
    hello*) [ "$status" -eq 3 ] && [ "$(cat "$work/second.out")" = "Hello World" ] || fail "the second run of $run" ;;
    *) [ "$status" -eq 0 ] && [ "$(cat "$work/second.out")" = "Hello C++ with 0 arguments" ] || fail "the second run of $run" ;;
  esac
  grep -E 'socket\(AF_INET|socket\(AF_INET6|connect\(.*AF_INET' "$work/strace.log" && fail "the second run of $run opened a network socket"
  grep -E 'execve\("[^"]*(apt-get|apt-cache|dpkg-deb)"' "$work/strace.log" && fail "the second run of $run ran apt or dpkg-deb"
  [ "$(grep -c 'execve(' "$work/strace.log")" -eq 2 ] || fail "the second run of $run was not served from the plan cache (elfrun, then qemu)"
done

# 4. Offline (a network namespace of its own) with a fresh HOME: 127, the package and apt's error, an empty store.
mkdir -p "$work/offline-home" || exit 1
said=$(HOME="$work/offline-home" XDG_CACHE_HOME="$work/offline-home/.cache" \
  XDG_DATA_HOME="$work/offline-home/.local/share" unshare -n "$elfrun" run --fetch ./hello-arm64 2>&1)
status=$?
echo "offline: status $status: $said"
[ "$status" -eq 127 ] || fail "offline run --fetch exited $status, expected 127"
case $said in *"cannot fetch libc6:arm64 for ./hello-arm64"*apt-get*) ;; *) fail "offline: the message does not name libc6:arm64 and apt's error" ;; esac
[ -z "$(ls -A "$work/offline-home/.local/share/elfrun/store" 2>/dev/null)" ] || fail "offline: the store is not empty"

# 5. The machine's apt and dpkg state is untouched.
state_hashes >"$work/state-after"
if ! cmp -s "$work/state-before" "$work/state-after"; then
  diff "$work/state-before" "$work/state-after" | head -20
  fail "the host's /etc/apt, /var/lib/apt or /var/lib/dpkg changed"
fi
echo "state: $(wc -l <"$work/state-before") files of /etc/apt, /var/lib/apt, /var/lib/dpkg unchanged"
echo "fetch_foreign: $failures failures"
[ $failures -eq 0 ]
INSIDE

ELFRUN_HOST_MOUNT_NS=$(readlink /proc/self/ns/mnt)
ELFRUN_REF_CXX=$ref_cxx
export ELFRUN_HOST_MOUNT_NS ELFRUN_REF_CXX
unshare --mount --propagation private sh "$work/inside.sh" "$work" "$elfrun"
