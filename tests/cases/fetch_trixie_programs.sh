#!/bin/sh
# ctest-labels: slow
# ctest-timeout: 1800
# "GLIBC_2.38 not found" and a newer GLIBCXX on this bookworm machine, fetched (issue 16). Programs of Debian trixie
# (scripts/make-root amd64 --suite trixie): its curl (installed by the root's own apt into an overlay of the root, in
# a private mount namespace) and a C++ probe (lib/fetch_cxx_probe.cc) linked against trixie's libstdc++ so that it
# needs GLIBCXX_3.4.32. On the host, with a HOME of the case's own (store, apt state and plans all there):
#   - `elfrun why --symbols PROG` exits 1 naming what is missing and the `elfrun run --fetch` line;
#   - `elfrun run --fetch PROG --version` prints what PROG --version prints in its own root (chroot) — for curl
#     except the versions of the host libraries that satisfy it (normalise below);
#   - the loader's own --list with the plan's options: every library from the store is one the host lacks or has
#     too old (the host's libz.so.1 and libgcc_s.so.1 stay the host's), and libcurl/libstdc++ come from the store;
#   - a second run is served from the plan cache: strace -f sees no socket and no apt;
#   - the host's /etc/apt, /var/lib/apt, /var/lib/dpkg are unchanged (sha256 of every file);
#   - offline (a network namespace of its own, `unshare -n`, and a fresh HOME): status 127, a message naming the
#     package and apt's error, and nothing in the store;
#   - `elfrun store --gc` removes the entries no cached plan uses and keeps those that are used.
# Needs root (overlay, chroot, unshare -n) and the network to Debian's archive.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "chroot, an overlay mount and unshare -n"
case_need_tools chroot mount unshare g++ strace sha256sum readelf
case_need_elfrun
grep -q '^VERSION_CODENAME=bookworm' /etc/os-release || case_skip "the host is not Debian bookworm"

root=$(sh "$source_dir/scripts/make-root" amd64 --suite trixie) || {
  echo "FAIL: scripts/make-root amd64 --suite trixie could not make the trixie root"
  exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fetch-trixie.XXXXXX") || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT
mkdir -p "$work/upper" "$work/overlay-work" "$work/merged" "$work/home" "$work/offline-home" || exit 1

# The C++ probe: trixie's libstdc++ at link time gives it GLIBCXX_3.4.32 (its libc's newer symbols are left to run
# time: --allow-shlib-undefined).
g++ -O1 -o "$work/cxx" "$source_dir/tests/cases/lib/fetch_cxx_probe.cc" "$root/usr/lib/x86_64-linux-gnu/libstdc++.so.6" \
  -Wl,--allow-shlib-undefined || { echo "FAIL: cannot build the C++ probe"; exit 1; }
readelf -V "$work/cxx" | grep -q GLIBCXX_3.4.32 || { echo "FAIL: the probe does not need GLIBCXX_3.4.32"; exit 1; }

# In the trixie root (an overlay, in a private mount namespace): curl installed by its own apt, the references.
cp -L /etc/resolv.conf "$work/resolv.conf" || exit 1
cat >"$work/inside.sh" <<'EOF'
set -u
root=${1:?} work=${2:?}
merged=$work/merged
[ "$(readlink /proc/self/ns/mnt)" != "${ELFRUN_HOST_MOUNT_NS:?}" ] || { echo "FAIL: not in a private mount namespace"; exit 1; }
mount -t overlay overlay -o "lowerdir=$root,upperdir=$work/upper,workdir=$work/overlay-work" "$merged" || exit 1
cp "$work/resolv.conf" "$merged/etc/resolv.conf" && cp "$work/cxx" "$merged/cxx" || exit 1
chroot "$merged" /usr/bin/env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends curl >"$work/apt-install.log" 2>&1 || { tail -5 "$work/apt-install.log"; exit 3; }
cp "$merged/usr/bin/curl" "$work/curl" || exit 1
chroot "$merged" /usr/bin/curl --version >"$work/ref-curl" 2>&1 || exit 1
chroot "$merged" /cxx --version >"$work/ref-cxx" 2>&1 || exit 1
EOF
ELFRUN_HOST_MOUNT_NS=$(readlink /proc/self/ns/mnt)
export ELFRUN_HOST_MOUNT_NS
unshare --mount --propagation private sh "$work/inside.sh" "$root" "$work"
status=$?
if [ $status -eq 3 ]; then
  [ "${CI:-}" = true ] && { echo "FAIL: the trixie root's apt cannot install curl (no network?)"; exit 1; }
  case_skip "the trixie root's apt cannot install curl (no network to the archive?)"
fi
[ $status -eq 0 ] || { echo "FAIL: preparing the trixie programs"; exit 1; }
echo "in its own root: $(head -1 "$work/ref-curl"); $(cat "$work/ref-cxx")"

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
as_user() {
  env -u XDG_CACHE_HOME -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u ELFRUN_NO_CACHE HOME="$work/home" "$@"
}
# The same --version text: curl's first line also names the versions of the libraries it runs with, and the host's
# own zlib, brotli, zstd, libidn2 and nghttp2 satisfy it (older than trixie's, by design): that line is compared up
# to its OpenSSL (libcurl and libssl come from the store), its "Features:" line (IDN depends on the libidn2 used)
# is left out, the rest compared whole.
normalise() {
  sed -e '1s/^\(curl [^ ]* [^ ]* libcurl\/[^ ]* OpenSSL\/[^ ]*\).*/\1/' -e '/^Features:/d' "$1"
}
same_output() {
  [ "$(normalise "$1")" = "$(normalise "$2")" ]
}
state_hashes() {
  find /etc/apt /var/lib/apt /var/lib/dpkg -type f -exec sha256sum {} + 2>/dev/null | sort
}
state_hashes >"$work/state-before"

for program in curl cxx; do
  # 1. why: not runnable here, and the way to run it.
  # curl's missing symbol (curl_global_trace@CURL_OPENSSL_4) is one only the symbol checks see.
  said=$(as_user "$elfrun" why --symbols "$work/$program" 2>&1)
  status=$?
  echo "why $program -> $status:"
  echo "$said" | sed 's/^/    /'
  [ "$status" -eq 1 ] || fail "why $program exited $status, expected 1"
  case $said in *"elfrun run --fetch $work/$program"*) ;; *) fail "why $program gives no elfrun run --fetch line" ;; esac
  case $program in
    curl) case $said in *GLIBC_2.3[89]* | *CURL_OPENSSL_4*) ;; *) fail "why curl names no missing version or symbol" ;; esac ;;
    cxx) case $said in *GLIBCXX_3.4.32*) ;; *) fail "why cxx does not name GLIBCXX_3.4.32" ;; esac ;;
  esac

  # 2. run --fetch prints what it prints in its own root.
  started=$(date +%s)
  as_user "$elfrun" run --fetch "$work/$program" --version >"$work/out-$program" 2>"$work/err-$program"
  status=$?
  echo "run --fetch $program -> $status ($(($(date +%s) - started)) s); stderr:"
  sed 's/^/    /' "$work/err-$program"
  [ "$status" -eq 0 ] || fail "run --fetch $program exited $status"
  same_output "$work/out-$program" "$work/ref-$program" || {
    diff "$work/ref-$program" "$work/out-$program" | head -10
    fail "run --fetch $program --version differs from the program's own root"
  }

  # 3. Which library comes from where: the plan's loader, asked with --list.
  plan=$(as_user "$elfrun" run --fetch --print "$work/$program" 2>/dev/null)
  eval "set -- $plan"  # the printed command is shell-quoted (util::shell_quote)
  loader=$1
  library_path=
  while [ $# -gt 0 ]; do
    [ "$1" = --library-path ] && library_path=$2
    shift
  done
  case $loader in "$work/home/.local/share/elfrun/store/libc6_"*) ;; *) fail "$program: the loader is not the store's: $plan" ;; esac
  "$loader" --library-path "$library_path" --inhibit-cache --list "$work/$program" >"$work/list-$program" 2>&1 ||
    fail "$program: the loader's --list failed: $(cat "$work/list-$program")"
  echo "$program's libraries:"
  sed 's/^/    /' "$work/list-$program"
  case $program in
    curl) wanted_store=libcurl.so.4 wanted_host=libz.so.1 ;;
    cxx) wanted_store=libstdc++.so.6 wanted_host=libgcc_s.so.1 ;;
  esac
  grep -q "$wanted_store => $work/home/.local/share/elfrun/store/" "$work/list-$program" ||
    fail "$program: $wanted_store does not come from the store"
  grep -Eq "$wanted_host => /(usr/)?lib/x86_64-linux-gnu/" "$work/list-$program" ||
    fail "$program: $wanted_host does not come from the host, which has one that satisfies it"
  # Every library from the store is one the host's copy of does not satisfy: the host's own first.
  grep " => $work/home/.local/share/elfrun/store/" "$work/list-$program" | while read -r name _ path _; do
    case $name in ld-linux* | libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1) continue ;; esac
    host=$(ls /lib/x86_64-linux-gnu/"$name" /usr/lib/x86_64-linux-gnu/"$name" 2>/dev/null | head -1)
    [ -n "$host" ] || continue
    if cmp -s "$host" "$path"; then echo "FAIL: $program: $name from the store is the same file as the host's"; exit 1; fi
  done || fail "$program: a library came from the store that the host has as it is"

  # 4. The second run: served from the plan cache, no network, no apt.
  as_user strace -f -qq -e trace=socket,connect,execve -o "$work/strace-$program" \
    "$elfrun" run --fetch "$work/$program" --version >"$work/out2-$program" 2>&1
  same_output "$work/out2-$program" "$work/ref-$program" || fail "$program: the second run printed something else"
  grep -E 'socket\(AF_INET|connect\([0-9]+, \{sa_family=AF_INET' "$work/strace-$program" &&
    fail "$program: the second run used the network"
  grep -E 'execve\("[^"]*(apt-get|apt-cache|dpkg-deb)"' "$work/strace-$program" && fail "$program: the second run ran apt"
  echo "$program second run: $(grep -c 'execve(' "$work/strace-$program") execs, no socket"
done

state_hashes >"$work/state-after"
cmp -s "$work/state-before" "$work/state-after" || {
  diff "$work/state-before" "$work/state-after" | head
  fail "the host's /etc/apt, /var/lib/apt or /var/lib/dpkg changed"
}

# 5. Offline: a network namespace with nothing in it, and a HOME with no indexes yet.
said=$(unshare -n env -u XDG_CACHE_HOME -u XDG_DATA_HOME HOME="$work/offline-home" \
  "$elfrun" run --fetch "$work/cxx" --version 2>&1)
status=$?
echo "offline: run --fetch cxx -> $status: $said"
[ "$status" -eq 127 ] || fail "offline run --fetch exited $status, expected 127"
case $said in *libstdc++6*apt-get\ update*) ;; *) fail "the offline message names neither the package nor apt's error" ;; esac
[ -z "$(ls -A "$work/offline-home/.local/share/elfrun/store" 2>/dev/null)" ] || fail "the offline run left something in the store"

# 6. store --gc: the entries a cached plan uses stay, the others go.
as_user "$elfrun" store --list >"$work/list-before" 2>&1
echo "store --list:"
sed 's/^/    /' "$work/list-before"
as_user "$elfrun" store --gc >"$work/gc" 2>&1 || fail "store --gc failed: $(cat "$work/gc")"
sed 's/^/    /' "$work/gc"
as_user "$elfrun" store --list >"$work/list-after" 2>&1
grep -q unused "$work/list-after" && fail "store --gc left unused entries: $(cat "$work/list-after")"
[ "$(grep -c 'used by' "$work/list-after")" -eq "$(grep -c 'used by' "$work/list-before")" ] || fail "store --gc removed a used entry"
as_user "$elfrun" run --fetch "$work/cxx" --version | cmp -s - "$work/ref-cxx" || fail "cxx no longer runs after store --gc"
rm -rf "$work/home/.cache/elfrun/plans"
as_user "$elfrun" store --gc >/dev/null 2>&1
[ -z "$(ls -A "$work/home/.local/share/elfrun/store")" ] || fail "with no cached plan store --gc kept: $(ls "$work/home/.local/share/elfrun/store")"

echo "fetch_trixie_programs: $failures failures"
[ $failures -eq 0 ]
