#!/bin/sh
# ctest-labels: slow i386
# ctest-timeout: 1800
# `elfrun fix --apply` makes a fetched set permanent (issue 16). An overlay of the i386 reference root with no 64-bit
# glibc at all (/usr/x86_64-pc-linux-gnu absent, as fetch_i386_root_m64.sh has it), the 64-bit hello world at /m64
# and an i386 elfrun at /usr/local/bin/elfrun. Inside `chroot ROOT`, as root:
#   - `elfrun run --fetch ./m64` prints Hello World (libc6-amd64 into /root/.local/share/elfrun/store); ./m64 by
#     itself still fails (127: no /lib64/ld-linux-x86-64.so.2);
#   - `elfrun why ./m64` lists `elfrun fix --apply ./m64`; `elfrun fix ./m64` prints the plan (copies into
#     /usr/local/lib/elfrun/store, the symlink at PT_INTERP, ld.so.conf.d, ldconfig) and changes nothing;
#   - `elfrun fix --apply ./m64`: then ./m64 prints Hello World by itself; its loader, reached through PT_INTERP, is
#     the copy under /usr/local/lib/elfrun/store, owned by root and writable by nobody else, nothing of the system
#     leads into /root;
#   - `elfrun fix --undo`: ./m64 fails again as before, and the root is as it was: every path with its type, mode,
#     owner and link target, every file's sha256 (the plan cache and the store under /root left out: user data).
# Needs root (chroot, mount) and the network to Debian's archive.
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/i386_root.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "chroot and mounting /proc and an overlay"
case_need_tools chroot mount unshare file gcc sha256sum find
case_need_elfrun

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/hello-x86_64" ] || { echo "FAIL: build-fixtures.sh did not build hello-x86_64"; exit 1; }

i386_elfrun

root=$(sh "$source_dir/scripts/make-i386-root") || {
  echo "FAIL: scripts/make-i386-root could not make the i386 root"
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fix-fetched.XXXXXX") || exit 1
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
# Every path of the root but /proc and root's cache and data (the plan cache, the store), with type, mode, owner and
# link target; every file's sha256.
listing() {
  (cd "$merged" && find . -xdev \( -path ./proc -o -path ./root/.cache -o -path ./root/.local \) -prune -o \
    -printf '%y %m %U:%G %p %l\n' | LC_ALL=C sort >"$1.paths" &&
    find . -xdev \( -path ./proc -o -path ./root/.cache -o -path ./root/.local \) -prune -o -type f -print0 |
    xargs -0 sha256sum | LC_ALL=C sort >"$1.hashes")
}
same_listing() {
  if ! cmp -s "$1.paths" "$2.paths" || ! cmp -s "$1.hashes" "$2.hashes"; then
    fail "$3"
    diff "$1.paths" "$2.paths" | head -20
    diff "$1.hashes" "$2.hashes" | head -20
  fi
}

[ -e "$merged/lib64/ld-linux-x86-64.so.2" ] && fail "the root already has /lib64/ld-linux-x86-64.so.2"

# 1. The set, fetched.
said=$(inside /bin/sh -c 'cd / && elfrun run --fetch ./m64' 2>"$work/fetch.err")
status=$?
echo "elfrun run --fetch ./m64 -> $status: $said; stderr:"
sed 's/^/    /' "$work/fetch.err"
if [ "$status" -ne 0 ] && grep -q 'Temporary failure resolving\|Could not resolve\|Could not connect' "$work/fetch.err"; then
  [ "${CI:-}" = true ] && { echo "FAIL: no network to the archive from the root"; exit 1; }
  echo "SKIP: no network to the archive from the root"
  exit 77
fi
[ "$status" -eq 0 ] && [ "$said" = "Hello World" ] || fail "elfrun run --fetch ./m64: status $status, output \"$said\""
before_said=$(inside /bin/sh -c 'cd / && ./m64' 2>&1)
before_status=$?
echo "./m64 by itself -> $before_status: $before_said"
[ "$before_status" -eq 127 ] || fail "./m64 by itself exited $before_status before the fix, expected 127"
listing "$work/before"

# 2. why offers the fix; fix without --apply prints the plan and changes nothing.
said=$(inside /bin/sh -c 'cd / && elfrun why ./m64' 2>&1)
echo "elfrun why ./m64:"
echo "$said" | sed 's/^/    /'
case $said in *"elfrun fix --apply ./m64"*) ;; *) fail "why does not list elfrun fix --apply ./m64" ;; esac
said=$(inside /bin/sh -c 'cd / && elfrun fix ./m64' 2>&1)
status=$?
echo "elfrun fix ./m64 -> $status:"
echo "$said" | sed 's/^/    /'
[ "$status" -eq 0 ] || fail "elfrun fix ./m64 exited $status"
case $said in *"ln -s /usr/local/lib/elfrun/store/libc6-amd64_"*" /lib64/ld-linux-x86-64.so.2"*) ;;
  *) fail "the plan has no symlink at PT_INTERP to the copied loader" ;;
esac
case $said in *ldconfig*) ;; *) fail "the plan has no ldconfig" ;; esac
listing "$work/after-plan"
same_listing "$work/before" "$work/after-plan" "elfrun fix without --apply changed the root"

# 3. Apply: ./m64 by itself.
said=$(inside /bin/sh -c 'cd / && elfrun fix --apply ./m64' 2>&1)
status=$?
echo "elfrun fix --apply ./m64 -> $status:"
echo "$said" | sed 's/^/    /'
[ "$status" -eq 0 ] || fail "elfrun fix --apply ./m64 exited $status"
said=$(inside /bin/sh -c 'cd / && ./m64' 2>&1)
status=$?
echo "./m64 after the fix -> $status: $said"
[ "$status" -eq 0 ] && [ "$said" = "Hello World" ] || fail "./m64 does not run by itself after the fix"
loader=$(inside readlink -f /lib64/ld-linux-x86-64.so.2)
echo "/lib64/ld-linux-x86-64.so.2 -> $loader"
case $loader in /usr/local/lib/elfrun/store/libc6-amd64_*) ;; *) fail "PT_INTERP leads to $loader" ;; esac
# Owned by root, writable by nobody else: every path fix made under /usr/local/lib/elfrun.
bad=$(cd "$merged" && find ./usr/local/lib/elfrun \( ! -user 0 -o -perm /022 \) ! -type l -print)
[ -z "$bad" ] || fail "copies not root's alone: $bad"
grep -rq '/root' "$merged/etc/ld.so.conf.d" && fail "ld.so.conf.d names a directory under /root"
[ -n "$(cd "$merged" && find ./lib64 ./etc/ld.so.conf.d -type l -lname '/root*' -print)" ] && fail "a symlink leads into /root"

# 4. Undo: as before.
said=$(inside /bin/sh -c 'cd / && elfrun fix --undo' 2>&1)
status=$?
echo "elfrun fix --undo -> $status:"
echo "$said" | sed 's/^/    /'
[ "$status" -eq 0 ] || fail "elfrun fix --undo exited $status"
said=$(inside /bin/sh -c 'cd / && ./m64' 2>&1)
status=$?
echo "./m64 after the undo -> $status: $said"
[ "$status" -eq "$before_status" ] && [ "$said" = "$before_said" ] || fail "./m64 after the undo is not as before"
listing "$work/after-undo"
same_listing "$work/before" "$work/after-undo" "the root is not as it was after fix --undo"
echo "listing: $(wc -l <"$work/before.paths") paths, $(wc -l <"$work/before.hashes") files compared"

echo "fix_fetched: $failures failures"
[ $failures -eq 0 ]
EOF

ELFRUN_I386_ROOT_LIB=$source_dir/tests/cases/lib/i386_root.sh
export ELFRUN_I386_ROOT_LIB
i386_root_unshare "$root" "$work/inside.sh" "$root" "$work"
