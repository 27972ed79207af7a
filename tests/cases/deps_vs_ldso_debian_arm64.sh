#!/bin/sh
# ctest-labels: slow
# ctest-timeout: 1800
# Differential suite over Debian packages of another architecture, built by Debian and not here: about forty arm64
# packages of bookworm (libc6, coreutils, util-linux, openssl, sqlite3, xz, zstd...) fetched with a private apt
# state and unpacked with dpkg-deb -x by scripts/make-deb-root (cached outside the checkout; the machine's dpkg
# architectures and apt configuration are not touched), without their maintainer scripts, so without an
# ld.so.cache: the loader searches its built-in directories, as it would on such a root.
# 1. For every dynamically linked aarch64 ELF file F of that root, `elfrun deps --root ROOT --format ldd F` against
#    the root's own loader under qemu-user, `qemu-aarch64 -L ROOT ROOT/lib/ld-linux-aarch64.so.1 --list F` (trace
#    mode, qemu -E LD_TRACE_LOADED_OBJECTS=1, where a library is missing: the set is deliberately incomplete, so
#    some dependencies are missing on both sides).
# 2. `elfrun run --root ROOT PROG ARGS` against `qemu-aarch64 -L ROOT PROG ARGS`: the same output and status.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools /usr/bin/python3 qemu-aarch64 apt-get dpkg-deb flock
case_need_elfrun

started=$(date +%s)
root=$(sh "$source_dir/scripts/make-deb-root" arm64 debian-arm64-root libc6 libgcc-s1 libstdc++6 zlib1g libzstd1 \
  liblzma5 libbz2-1.0 libssl3 openssl coreutils libacl1 libattr1 libselinux1 libpcre2-8-0 libgmp10 xz-utils zstd \
  bzip2 libcap2 sqlite3 libsqlite3-0 libreadline8 libtinfo6 libncursesw6 libmd0 liblz4-1 libexpat1 libffi8 libuuid1 \
  libblkid1 libmount1 util-linux findutils grep sed gzip tar diffutils) || {
  echo "FAIL: scripts/make-deb-root could not fetch the arm64 packages"
  exit 1
}
echo "fetched (or found in the cache): $(($(date +%s) - started)) s"

dirs=""
for dir in "$root"/*; do
  [ -d "$dir" ] && [ ! -L "$dir" ] && dirs="$dirs${dirs:+:}$dir"
done
status=0
/usr/bin/python3 "$source_dir/tests/cases/lib/ldso_compare.py" --elfrun "$elfrun" --root "$root" --class 2 \
  --machine 183 --default-loader /lib/ld-linux-aarch64.so.1 --min-files 300 \
  --loader-command "qemu-aarch64 -L {root} {host_interp} --list {file}" \
  --trace-command "qemu-aarch64 -E LD_TRACE_LOADED_OBJECTS=1 -L {root} {host_interp} {file}" \
  --root-paths-inside --drop-nameless-vdso --set "Debian bookworm arm64 packages ($root)=$dirs" || status=1

agree=0
while read -r program args; do
  qemu-aarch64 -L "$root" "$root$program" $args >real.out 2>&1
  real=$?
  "$elfrun" run --root "$root" "$root$program" $args >run.out 2>&1
  ours=$?
  if [ "$real" -ne "$ours" ] || ! cmp -s real.out run.out; then
    case_fail "elfrun run --root ROOT $program $args: status $ours, \"$(head -c 300 run.out)\"; qemu-aarch64 -L: status $real, \"$(head -c 300 real.out)\""
  else
    agree=$((agree + 1))
  fi
done <<'PROGRAMS'
/usr/bin/sqlite3 --version
/usr/bin/openssl version
/bin/ls --version
/usr/bin/xz --version
/usr/bin/zstd -V
/bin/grep --version
/usr/bin/sort --version
/bin/tar --version
PROGRAMS
echo "elfrun run against qemu-aarch64 -L: 8 programs, $agree agreeing"
echo "Debian arm64 suite: $(($(date +%s) - started)) s"
[ "$case_failures" -eq 0 ] || status=1
exit $status
