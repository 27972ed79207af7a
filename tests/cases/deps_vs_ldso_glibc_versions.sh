#!/bin/sh
# ctest-labels: slow
# ctest-timeout: 1800
# The loader is the judge, for three versions of glibc: debootstrapped amd64 roots of Debian bullseye (glibc 2.31),
# bookworm (2.36) and trixie (2.41), made once and shared (scripts/make-root amd64 [--suite SUITE], cached outside
# the checkout). For every dynamically linked x86-64 ELF file F anywhere in the root (every top-level directory but
# /proc, /sys and /dev), `elfrun deps --root ROOT --format ldd ROOT/F` against the root's own loader in a chroot,
# `chroot ROOT /lib64/ld-linux-x86-64.so.2 --list F` (where a library is missing, the loader in trace mode,
# LD_TRACE_LOADED_OBJECTS=1, as ldd runs it), line for line once the load addresses are removed
# (tests/cases/lib/ldso_compare.py).
# Where glibc changed behaviour between these versions, elfrun decides by the loader read from the root's loader
# file. The roots themselves have no hwcaps subdirectories, so the case adds some, built here from source, in an
# overlay of each root (the shared root is never changed): libraries in legacy hwcap subdirectories (tls, x86_64,
# haswell, avx512_1, tls/x86_64..., searched by glibc < 2.37 only) and glibc-hwcaps ones (x86-64-v2..v4, glibc >=
# 2.33 only), found through a RUNPATH and through the root's own ldconfig's cache (/etc/ld.so.conf.d, ldconfig run in
# the chroot). The overlay and ROOT/proc are mounted only in a private mount namespace and vanish with it.
# Prints per root: files, agreeing, differing, and every difference as a unified diff.
# Needs root (debootstrap, chroot, mount); otherwise skipped (77), and under CI=true a failure.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "debootstrap, chroot and mounting /proc"
case_need_tools /usr/bin/python3 debootstrap chroot mount unshare cc
case_need_elfrun
unshare --mount --propagation private true 2>/dev/null || case_skip "no private mount namespace (unshare --mount)"

work=$(mktemp -d) || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT

# The hwcaps layouts, built once: libhw.so (no libc, so that the same file loads under every glibc) copied into
# /opt/hw/LAYOUT/lib/SUBDIR for each SUBDIR of the layout, and /opt/hw/LAYOUT/bin/prog with RUNPATH
# /opt/hw/LAYOUT/lib; and for the cache, libhwc.so (in plain, legacy and glibc-hwcaps subdirectories),
# libhwl.so (legacy subdirectories only) and libhwg.so (glibc-hwcaps only) under /usr/local/lib/hwcaps, listed in
# /etc/ld.so.conf.d, needed by /usr/local/bin/hwcaps-cache without any RUNPATH.
build=$work/build
upper=$work/upper
mkdir -p "$build" "$upper/opt/hw" "$upper/usr/local/bin" "$upper/usr/local/lib/hwcaps" "$upper/etc/ld.so.conf.d"
printf 'int hw(void) { return 0; }\n' >"$build/hw.c"
# No C library: _start calls the library and exits (the loader only lists it; it is never run).
printf 'int hw(void);\nvoid _start(void) { hw(); for (;;) __asm__ volatile("mov $60, %%eax; xor %%edi, %%edi; syscall"); }\n' \
  >"$build/start.c"
for name in hw hwc hwl hwg; do
  cc -shared -fPIC -nostdlib -Wl,-soname,lib$name.so -o "$build/lib$name.so" "$build/hw.c" ||
    case_fail "cannot build lib$name.so"
done
prog() { # OUTPUT RUNPATH LIBRARY...
  prog_out=$1 prog_runpath=$2
  shift 2
  cc -nostdlib -fno-stack-protector -fPIE -pie -o "$prog_out" "$build/start.c" -L"$build" -Wl,--no-as-needed "$@" \
    -Wl,--dynamic-linker=/lib64/ld-linux-x86-64.so.2 ${prog_runpath:+-Wl,--enable-new-dtags,-rpath,$prog_runpath} ||
    case_fail "cannot build $prog_out"
}
while read -r layout subdirs; do
  mkdir -p "$upper/opt/hw/$layout/bin"
  for subdir in $subdirs; do
    [ "$subdir" = . ] && subdir=""
    mkdir -p "$upper/opt/hw/$layout/lib/$subdir"
    cp "$build/libhw.so" "$upper/opt/hw/$layout/lib/$subdir/"
  done
  prog "$upper/opt/hw/$layout/bin/prog" "/opt/hw/$layout/lib" -lhw
done <<'LAYOUTS'
all . tls x86_64 haswell xeon_phi avx512_1 tls/x86_64 haswell/x86_64 tls/haswell/x86_64 glibc-hwcaps/x86-64-v2 glibc-hwcaps/x86-64-v3 glibc-hwcaps/x86-64-v4
legacy . tls x86_64 haswell tls/x86_64 haswell/x86_64 avx512_1/x86_64
x86_64 . x86_64
tls . tls
haswell . haswell haswell/x86_64
avx512 . avx512_1 x86_64/avx512_1 avx512_1/x86_64
v2 . glibc-hwcaps/x86-64-v2
v3 . glibc-hwcaps/x86-64-v3
v4 . glibc-hwcaps/x86-64-v4
v2-legacy . tls x86_64 glibc-hwcaps/x86-64-v2
only-legacy x86_64 tls
only-v2 glibc-hwcaps/x86-64-v2
LAYOUTS
cache=$upper/usr/local/lib/hwcaps
for subdir in . tls x86_64 haswell glibc-hwcaps/x86-64-v2 glibc-hwcaps/x86-64-v3; do
  mkdir -p "$cache/$subdir" && cp "$build/libhwc.so" "$cache/$subdir/"
done
for subdir in tls x86_64; do cp "$build/libhwl.so" "$cache/$subdir/"; done
cp "$build/libhwg.so" "$cache/glibc-hwcaps/x86-64-v2/"
echo /usr/local/lib/hwcaps >"$upper/etc/ld.so.conf.d/elfrun-hwcaps.conf"
prog "$upper/usr/local/bin/hwcaps-cache" "" -lhwc -lhwl -lhwg
[ "$case_failures" -eq 0 ] || exit 1

status=0
for suite in bullseye bookworm trixie; do
  started=$(date +%s)
  root=$(sh "$source_dir/scripts/make-root" amd64 --suite "$suite") || {
    case_fail "scripts/make-root amd64 --suite $suite could not make the $suite root"
    status=1
    continue
  }
  mkdir -p "$work/$suite/upper" "$work/$suite/work" "$work/$suite/merged"
  cp -a "$upper/." "$work/$suite/upper/"
  merged=$work/$suite/merged
  dirs=""
  for dir in "$root"/*; do
    [ -d "$dir" ] && [ ! -L "$dir" ] || continue
    case ${dir##*/} in proc | sys | dev) continue ;; esac
    dirs="$dirs${dirs:+:}$merged/${dir##*/}"
  done
  # In a private mount namespace: the overlay of the shared root, its /proc, the root's own ldconfig (the cache
  # goes to the overlay's upper directory), the loader's version, then the comparison.
  DIRS=$dirs HOST_MOUNT_NS=$(readlink /proc/self/ns/mnt) unshare --mount --propagation private sh -c '
    root=${1:?} upper=${2:?} work=${3:?} merged=${4:?} suite=$5
    shift 5
    for path in "$root" "$upper" "$work" "$merged"; do
      case $path in / | /proc | /proc/* | /dev | /dev/* | /sys | /sys/*) echo "FAIL: refusing $path"; exit 1 ;; esac
    done
    [ -n "$HOST_MOUNT_NS" ] && [ "$(readlink /proc/self/ns/mnt)" != "$HOST_MOUNT_NS" ] || { echo "FAIL: not in a private namespace"; exit 1; }
    mount -t overlay overlay -o "lowerdir=$root,upperdir=$upper,workdir=$work" "$merged" || exit 1
    mount -t proc proc "$merged/proc" || exit 1
    chroot "$merged" /sbin/ldconfig || { echo "FAIL: ldconfig in the $suite root"; exit 1; }
    version=$(chroot "$merged" /lib64/ld-linux-x86-64.so.2 --version 2>/dev/null |
      sed -n "1s/.* version \([0-9.]*\)\.\$/\1/p")
    # glibc < 2.33 has no --version: its loader is the file ld-VERSION.so.
    [ -n "$version" ] || version=$(basename "$(chroot "$merged" readlink -f /lib64/ld-linux-x86-64.so.2)" .so)
    "$@" --set "$suite (glibc ${version#ld-}): every file of $root and the hwcaps layouts=$DIRS" || exit 1
    # What each layout resolved to under this glibc (agreed with the loader above), for the log.
    for prog in "$merged"/opt/hw/*/bin/prog "$merged/usr/local/bin/hwcaps-cache"; do
      printf "%s: %s\n" "$suite ${prog#"$merged"}" "$(chroot "$merged" /lib64/ld-linux-x86-64.so.2 --list \
        "${prog#"$merged"}" 2>&1 | sed -n "s/^\tlibhw[a-z]*\.so => \([^ ]*\).*/\1/p" | tr "\n" " ")"
    done
  ' hwcaps "$root" "$work/$suite/upper" "$work/$suite/work" "$merged" "$suite" \
    /usr/bin/python3 "$source_dir/tests/cases/lib/ldso_compare.py" --elfrun "$elfrun" \
    --root "$merged" --class 2 --machine 62 --default-loader /lib64/ld-linux-x86-64.so.2 --min-files 100 \
    --loader-command "chroot {root} {interp} --list {file}" \
    --trace-command "chroot {root} /usr/bin/env LD_TRACE_LOADED_OBJECTS=1 {interp} {file}" || status=1
  # The loader's release as deps names it: read from its banner (2.33 and later); bullseye's has none.
  case $suite in bullseye) want="glibc < 2.33 loader" ;; bookworm) want="glibc 2.36 loader" ;; *) want="glibc 2.41 loader" ;; esac
  header=$("$elfrun" deps --root "$root" "$root/bin/true" 2>&1 | sed -n 1p)
  case_expect "$header" "$want" "the header of elfrun deps --root $root /bin/true"
  echo "$suite: $(($(date +%s) - started)) s"
done
[ "$case_failures" -eq 0 ] || status=1
exit $status
