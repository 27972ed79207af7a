#!/bin/sh
# ctest-labels: slow
# ctest-timeout: 1200
# `elfrun run --root DIR --fetch` and `why --root DIR` (issue 16): the machine is DIR. DIR is a copy (cp -a) of the
# bookworm reference root (scripts/make-root amd64) from which libselinux.so.1 is removed; the programs are DIR's
# own ls and trixie's ls (scripts/make-root amd64 --suite trixie), which also needs GLIBC_2.38. With a HOME of the
# case's own (store, apt state, plans):
#   - `run --root DIR --fetch DIR/usr/bin/ls --version` prints what ls prints in the untouched bookworm root
#     (chroot), with libselinux1 of bookworm (DIR's suite) from the store and DIR's loader and other libraries;
#   - `why --root BOOKWORM ./tls` exits 1 naming GLIBC_2.38, libc6 and `elfrun run --root DIR --fetch ./tls`;
#   - `run --root DIR --fetch ./tls --version` prints what it prints in the trixie root (chroot): libc6 from trixie,
#     libselinux from the store, the rest (libcap, libpcre2) DIR's own, by the loader's own --list;
#   - a copy of the i386 reference root without any 64-bit glibc: `why --root` names libc6-amd64:i386 (DIR's
#     architecture is its dpkg's), `run --root DIR --fetch` runs the 64-bit hello world with it;
#   - DIR is byte for byte what it was (every path's type, mode, owner, size, mtime and link target, every file's
#     sha256), and nothing of the store or apt state is under DIR.
# Needs root (chroot, cp -a of a root) and the network to Debian's archive.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "chroot and a copy of a root owned by root"
case_need_tools chroot sha256sum find
case_need_elfrun

bookworm=$(sh "$source_dir/scripts/make-root" amd64) || { echo "FAIL: scripts/make-root amd64"; exit 1; }
trixie=$(sh "$source_dir/scripts/make-root" amd64 --suite trixie) || {
  echo "FAIL: scripts/make-root amd64 --suite trixie"
  exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fetch-root.XXXXXX") || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT
dir=$work/root
mkdir -p "$work/home" || exit 1
cp -a "$bookworm" "$dir" || { echo "FAIL: cannot copy $bookworm"; exit 1; }
rm -f "$dir/usr/lib/x86_64-linux-gnu/libselinux.so.1" || exit 1
cp "$trixie/usr/bin/ls" "$work/tls" || exit 1

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
as_user() {
  env -u XDG_CACHE_HOME -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u ELFRUN_NO_CACHE HOME="$work/home" "$@"
}
# Everything about DIR that a write could change.
snapshot() {
  (cd "$dir" && find . -printf '%y %m %U:%G %s %T@ %p -> %l\n' | sort &&
    find . -type f -exec sha256sum {} + | sort)
}
snapshot >"$work/dir-before"
store=$work/home/.local/share/elfrun/store

# References: each ls in its own root.
chroot "$bookworm" /usr/bin/ls --version >"$work/ref-ls" 2>&1 || { echo "FAIL: ls in the bookworm root"; exit 1; }
chroot "$trixie" /usr/bin/ls --version >"$work/ref-tls" 2>&1 || { echo "FAIL: ls in the trixie root"; exit 1; }

# The copy is really missing it: without --fetch, run --root refuses.
said=$(as_user "$elfrun" run --root "$dir" "$dir/usr/bin/ls" --version 2>&1)
status=$?
echo "run --root DIR DIR/usr/bin/ls -> $status: $said"
[ "$status" -eq 127 ] || fail "run --root without --fetch exited $status, expected 127"

# 1. DIR's own ls, missing libselinux.so.1.
as_user "$elfrun" run --root "$dir" --fetch "$dir/usr/bin/ls" --version >"$work/out-ls" 2>"$work/err-ls"
status=$?
echo "run --root DIR --fetch DIR/usr/bin/ls -> $status; stderr:"
sed 's/^/    /' "$work/err-ls"
if [ "$status" -eq 127 ] && grep -q 'apt-get update' "$work/err-ls" && [ "${CI:-}" != true ]; then
  case_skip "apt cannot read the archive's indexes (no network?)"
fi
[ "$status" -eq 0 ] || fail "run --root --fetch ls exited $status"
cmp -s "$work/out-ls" "$work/ref-ls" || fail "ls --version differs from its own root's: $(diff "$work/ref-ls" "$work/out-ls" | head -5)"
grep -q 'fetching libselinux1 .*(bookworm, amd64)' "$work/err-ls" || fail "libselinux1 was not fetched from bookworm"
plan=$(as_user "$elfrun" run --root "$dir" --fetch --print "$dir/usr/bin/ls" 2>/dev/null)
echo "plan: $plan"
case $plan in "$dir/lib64/ld-linux-x86-64.so.2 "*) ;; *) fail "ls does not run with DIR's loader: $plan" ;; esac
case $plan in *"--library-path $store/libselinux1_"*":$dir/lib/x86_64-linux-gnu "*) ;;
  *) fail "ls's library path is not the store's libselinux1 then DIR's: $plan" ;;
esac

# 2. trixie's ls: why (against the bookworm root itself: why only reads, and a missing library of DIR would be named
# first, which why leaves to the package it came from), then run.
said=$(as_user "$elfrun" why --root "$bookworm" "$work/tls" 2>&1)
status=$?
echo "why --root DIR tls -> $status:"
echo "$said" | sed 's/^/    /'
[ "$status" -eq 1 ] || fail "why --root exited $status, expected 1"
case $said in *"elfrun run --root $bookworm --fetch $work/tls"*) ;; *) fail "why --root gives no run --root DIR --fetch line" ;; esac
case $said in *GLIBC_2.3[89]*) ;; *) fail "why --root does not name the glibc version" ;; esac
case $said in *"libc6:amd64"*) ;; *) fail "why --root does not name libc6:amd64" ;; esac

as_user "$elfrun" run --root "$dir" --fetch "$work/tls" --version >"$work/out-tls" 2>"$work/err-tls"
status=$?
echo "run --root DIR --fetch tls -> $status; stderr:"
sed 's/^/    /' "$work/err-tls"
[ "$status" -eq 0 ] || fail "run --root --fetch tls exited $status"
cmp -s "$work/out-tls" "$work/ref-tls" || fail "tls --version differs from its own root's: $(diff "$work/ref-tls" "$work/out-tls" | head -5)"
plan=$(as_user "$elfrun" run --root "$dir" --fetch --print "$work/tls" 2>/dev/null)
eval "set -- $plan"  # shell-quoted (util::shell_quote)
loader=$1
library_path=
while [ $# -gt 0 ]; do
  [ "$1" = --library-path ] && library_path=$2
  shift
done
case $loader in "$store/libc6_2.4"*) ;; *) fail "tls: the loader is not trixie's libc6 from the store: $loader" ;; esac
"$loader" --library-path "$library_path" --inhibit-cache --list "$work/tls" >"$work/list-tls" 2>&1 ||
  fail "tls: the loader's --list failed: $(cat "$work/list-tls")"
sed 's/^/    /' "$work/list-tls"
grep -q "libc.so.6 => $store/libc6_" "$work/list-tls" || fail "tls: libc.so.6 is not the store's"
grep -q "libselinux.so.1 => $store/libselinux1_" "$work/list-tls" || fail "tls: libselinux.so.1 is not the store's"
grep -q "libcap.so.2 => $dir/" "$work/list-tls" || fail "tls: libcap.so.2 is not DIR's own"
grep -q "libpcre2-8.so.0 => $dir/" "$work/list-tls" || fail "tls: libpcre2-8.so.0 is not DIR's own"

# 3. DIR unchanged, and nothing of elfrun's in it.
snapshot >"$work/dir-after"
cmp -s "$work/dir-before" "$work/dir-after" || {
  diff "$work/dir-before" "$work/dir-after" | head
  fail "DIR changed"
}
[ -n "$(cd "$dir" && find . -path '*elfrun*' -print -quit)" ] && fail "something of elfrun's is under DIR"
[ -d "$store" ] || fail "no store under the user's HOME"

# 4. An i386 DIR without any 64-bit glibc (the seed's case seen from outside): DIR's architecture is its dpkg's
# (i386: debootstrap writes no /var/lib/dpkg/arch), so the 64-bit hello world gets libc6-amd64 of the i386 archive.
fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/hello-x86_64" ] || { echo "FAIL: build-fixtures.sh did not build hello-x86_64"; exit 1; }
i386=$(sh "$source_dir/scripts/make-i386-root") || { echo "FAIL: scripts/make-i386-root"; exit 1; }
dir=$work/i386
cp -a "$i386" "$dir" && rm -rf "$dir/usr/x86_64-pc-linux-gnu" || exit 1
snapshot >"$work/i386-before"
said=$(as_user "$elfrun" why --root "$dir" "$fixtures/hello-x86_64" 2>&1)
status=$?
echo "why --root I386 hello-x86_64 -> $status:"
echo "$said" | sed 's/^/    /'
[ "$status" -eq 1 ] || fail "why --root I386 exited $status, expected 1"
case $said in *"elfrun run --root $dir --fetch $fixtures/hello-x86_64"*) ;; *) fail "why --root I386 gives no run --root --fetch line" ;; esac
case $said in *"libc6-amd64:i386"*) ;; *) fail "why --root I386 does not name libc6-amd64:i386" ;; esac
said=$(as_user "$elfrun" run --root "$dir" --fetch "$fixtures/hello-x86_64" 2>"$work/err-i386")
status=$?
echo "run --root I386 --fetch hello-x86_64 -> $status: $said; stderr:"
sed 's/^/    /' "$work/err-i386"
[ "$status" -eq 0 ] && [ "$said" = "Hello World" ] || fail "run --root I386 --fetch: status $status, \"$said\""
grep -q 'fetching libc6-amd64 .*(bookworm, i386)' "$work/err-i386" || fail "libc6-amd64 was not fetched from bookworm's i386 archive"
snapshot >"$work/i386-after"
cmp -s "$work/i386-before" "$work/i386-after" || fail "the i386 DIR changed"

echo "fetch_root: $failures failures"
[ $failures -eq 0 ]
