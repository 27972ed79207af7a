#!/bin/sh
# ctest-labels: slow i386
# ctest-timeout: 1800
# The seed's case with no 64-bit glibc at all, fetched (issue 16). An overlay (or copy) of the i386 reference root
# (scripts/make-i386-root: debootstrap minbase bookworm) with /usr/x86_64-pc-linux-gnu absent, the 64-bit hello world
# at /m64 and an i386 elfrun at /usr/local/bin/elfrun; the root's apt reaches the archive through the host's network
# (its /etc/resolv.conf is the host's). Inside `chroot ROOT`:
#   - `elfrun run ./m64` exits 127 (nothing on the machine runs it) and `elfrun why ./m64` exits 1 naming
#     libc6-amd64 and the `elfrun run --fetch ./m64` line;
#   - `elfrun run --fetch ./m64` prints Hello World: libc6-amd64 (i386 archive, bookworm) fetched by apt with a
#     private state into /root/.local/share/elfrun/store, run with the store's loader;
#   - a second run fetches nothing: strace -f shows no socket of an internet family and no apt-get or dpkg-deb;
#   - it is served from the plan cache: as fast as a cached run of an i386 program (mean of 20 runs each);
#   - the root's /etc/apt, /var/lib/apt and /var/lib/dpkg are byte for byte what they were (sha256 of every file).
# Needs root (chroot, mount) and the network to Debian's archive; skipped otherwise (77), a failure under CI=true.
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/i386_root.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "chroot and mounting /proc and an overlay"
case_need_tools chroot mount unshare file gcc strace sha256sum
case_need_elfrun

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/hello-x86_64" ] || { echo "FAIL: build-fixtures.sh did not build hello-x86_64"; exit 1; }

i386_elfrun

root=$(sh "$source_dir/scripts/make-i386-root") || {
  echo "FAIL: scripts/make-i386-root could not make the i386 root"
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fetch-i386.XXXXXX") || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT
mkdir -p "$work/upper" "$work/overlay-work" "$work/merged" "$work/payload" || exit 1
cp "$fixtures/hello-x86_64" "$work/payload/m64" && cp "$elfrun_i386" "$work/payload/elfrun" || exit 1
cp -L /etc/resolv.conf "$work/payload/resolv.conf" || exit 1

cat >"$work/inside.sh" <<'EOF'
set -u
root=${1:?}
work=${2:?}
merged=$work/merged
. "$ELFRUN_I386_ROOT_LIB"  # tests/cases/lib/i386_root.sh
i386_root_overlay "$root" "$work" "$merged"  # exits unless in a private mount namespace, on sane paths
mount -t proc proc "$merged/proc" || { echo "FAIL: cannot mount /proc in the root"; exit 1; }
i386_root_binfmt "$merged"
rm -rf "$merged/usr/x86_64-pc-linux-gnu"
mkdir -p "$merged/usr/local/bin" || exit 1
cp "$work/payload/m64" "$merged/m64" && cp "$work/payload/elfrun" "$merged/usr/local/bin/elfrun" &&
  cp "$work/payload/resolv.conf" "$merged/etc/resolv.conf" || exit 1

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
inside() {
  chroot "$merged" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C "$@"
}
state_hashes() {
  (cd "$merged" && find etc/apt var/lib/apt var/lib/dpkg -type f -exec sha256sum {} + | sort)
}

[ -e "$merged/lib64/ld-linux-x86-64.so.2" ] && fail "the root already has /lib64/ld-linux-x86-64.so.2"
[ -e "$merged/usr/x86_64-pc-linux-gnu" ] && fail "the root still has /usr/x86_64-pc-linux-gnu"
state_hashes >"$work/state-before"

# 1. Without --fetch nothing runs it; why names the package and the line.
said=$(inside /bin/sh -c 'cd / && elfrun run ./m64' 2>&1)
status=$?
echo "elfrun run ./m64 -> $status: $said"
[ "$status" -eq 127 ] || fail "elfrun run ./m64 without --fetch exited $status, expected 127"
said=$(inside /bin/sh -c 'cd / && elfrun why ./m64' 2>&1)
status=$?
echo "elfrun why ./m64 -> $status:"
echo "$said" | sed 's/^/    /'
[ "$status" -eq 1 ] || fail "elfrun why ./m64 exited $status, expected 1"
case $said in *libc6-amd64*) ;; *) fail "elfrun why ./m64 does not name libc6-amd64" ;; esac
case $said in *"elfrun run --fetch ./m64"*) ;; *) fail "elfrun why ./m64 does not give the elfrun run --fetch line" ;; esac

# 2. run --fetch: Hello World.
started=$(date +%s)
said=$(inside /bin/sh -c 'cd / && elfrun run --fetch ./m64' 2>"$work/fetch.err")
status=$?
echo "elfrun run --fetch ./m64 -> $status: $said ($(($(date +%s) - started)) s); stderr:"
sed 's/^/    /' "$work/fetch.err"
if [ "$status" -ne 0 ] && grep -q 'Temporary failure resolving\|Could not resolve\|Could not connect' "$work/fetch.err"; then
  [ "${CI:-}" = true ] && fail "no network to the archive from the root"
  echo "SKIP: no network to the archive from the root"
  exit 77
fi
[ "$status" -eq 0 ] && [ "$said" = "Hello World" ] || fail "elfrun run --fetch ./m64: status $status, output \"$said\""
grep -q 'fetching libc6-amd64 ' "$work/fetch.err" || fail "the first run did not say it fetched libc6-amd64"
listed=$(inside elfrun store --list 2>&1)
echo "elfrun store --list: $listed"
case $listed in libc6-amd64\ *\ i386\ *"used by 1: /m64"*) ;; *) fail "store --list: $listed" ;; esac
printed=$(inside /bin/sh -c 'cd / && ELFRUN_NO_CACHE=1 elfrun run --fetch --print ./m64' 2>&1)
echo "elfrun run --fetch --print ./m64: $printed"
case $printed in
  # The loader is the package's lib64/ld-linux-x86-64.so.2, by the name of the file that symlink leads to (ld.so).
  /root/.local/share/elfrun/store/libc6-amd64_*_i386/lib64/ld*\ *--library-path\ /root/.local/share/elfrun/store/libc6-amd64_*) ;;
  *) fail "the plan does not use the store's loader and libraries: $printed" ;;
esac

# 3. The second run fetches nothing and is served from the plan cache.
strace -f -qq -e trace=socket,connect,execve -o "$work/strace.log" \
  chroot "$merged" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C /bin/sh -c 'cd / && elfrun run --fetch ./m64' \
  >"$work/second.out" 2>&1
status=$?
echo "second run -> $status: $(cat "$work/second.out")"
[ "$status" -eq 0 ] && [ "$(cat "$work/second.out")" = "Hello World" ] || fail "the second run: $(cat "$work/second.out")"
if grep -E 'socket\(AF_INET|socket\(AF_INET6|connect\(.*AF_INET' "$work/strace.log"; then
  fail "the second run opened a network socket"
fi
if grep -E 'execve\("[^"]*(apt-get|apt-cache|dpkg-deb)"' "$work/strace.log"; then
  fail "the second run ran apt or dpkg-deb"
fi
echo "second run: $(grep -c 'execve(' "$work/strace.log") execs, $(grep -c 'socket(' "$work/strace.log") sockets"

# 4. As fast as a cached run: 20 runs of each, the fetched one against an ordinary i386 program's cached plan.
inside /bin/sh -c 'cd / && elfrun run /bin/true' || fail "elfrun run /bin/true"
mean_ms() {
  inside /bin/sh -c 'cd / && s=$(date +%s%N); i=0; while [ $i -lt 20 ]; do "$@" >/dev/null || exit 1; i=$((i+1)); done; e=$(date +%s%N); echo $(( (e - s) / 20000000 ))' sh "$@"
}
fetched_ms=$(mean_ms elfrun run --fetch ./m64) || fail "timing the fetched run"
cached_ms=$(mean_ms elfrun run /bin/true) || fail "timing the cached run"
echo "mean of 20: run --fetch ./m64 ${fetched_ms} ms, cached run /bin/true ${cached_ms} ms"
[ "${fetched_ms:-999}" -le $((2 * ${cached_ms:-0} + 5)) ] ||
  fail "the fetched program's run (${fetched_ms} ms) is not as fast as a cached run (${cached_ms} ms)"

# 5. The root's apt configuration, lists and dpkg database are untouched.
state_hashes >"$work/state-after"
if ! cmp -s "$work/state-before" "$work/state-after"; then
  diff "$work/state-before" "$work/state-after" | head -20
  fail "the root's /etc/apt, /var/lib/apt or /var/lib/dpkg changed"
fi
echo "state: $(wc -l <"$work/state-before") files of /etc/apt, /var/lib/apt, /var/lib/dpkg unchanged"

echo "fetch_i386_root_m64: $failures failures"
[ $failures -eq 0 ]
EOF

ELFRUN_I386_ROOT_LIB=$source_dir/tests/cases/lib/i386_root.sh
export ELFRUN_I386_ROOT_LIB
i386_root_unshare "$root" "$work/inside.sh" "$root" "$work"
