#!/bin/sh
# ctest-labels: slow
# ctest-timeout: 1800
# Libraries outside Debian's naming policy, found through the archive's Contents index (issue 16; docs/fetch.md).
# On this bookworm machine, with a HOME of the case's own (store, apt state and plans all there):
#   1. bookworm's ruby3.1 (from `apt-get download`), whose libruby-3.1.so.3.1 is in package libruby3.1 — a name the
#      policy does not give (it would say libruby-3.1-3.1) — and which this machine does not have:
#      - `why` exits 1 and says no package is known to ship libruby-3.1.so.3.1;
#      - `run --fetch ./ruby3.1 --version` prints what the real loader prints with the library from the archive,
#        after reading bookworm's Contents index (only Contents-amd64, in lists of its own: the Packages indexes
#        stay), and the store holds libruby3.1;
#      - `why` then names libruby3.1 (from the remembered answer: no network) and gives the `run --fetch` line;
#      - a second run: no socket, no apt (strace);
#   2. trixie's apt-get (copied out of scripts/make-root amd64 --suite trixie): `run --fetch ./apt-get --version`
#      prints what it prints in its own root (a chroot into an overlay of the root, /proc mounted, in a private mount
#      namespace), with libapt-private.so.0.0 from the store's entry of package `apt`; a second run has no socket.
#      When the archive's trixie Contents index does not match its signed InRelease (apt: "File has unexpected
#      size ... Mirror sync in progress?"), apt rightly refuses it and the next suite's (forky's) apt is what runs:
#      then apt's refusal as elfrun reports it, libapt-private from the store's `apt` entry and the offline second
#      run are checked; the comparison with trixie's own root is not possible and the case says so.
#   3. the host's /etc/apt, /var/lib/apt, /var/lib/dpkg are unchanged (sha256 of every file).
# Prints the size of the Contents indexes read and how long the first runs took. Needs root (apt-get download as
# root, the overlay and the chroot) and the network to Debian's archive.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "an overlay mount and a chroot"
case_need_tools chroot mount unshare strace sha256sum dpkg-deb apt-get
case_need_elfrun
grep -q '^VERSION_CODENAME=bookworm' /etc/os-release || case_skip "the host is not Debian bookworm"
[ ! -e /usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1 ] || case_skip "this machine has libruby3.1 installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fetch-contents.XXXXXX") || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT
mkdir -p "$work/debs" "$work/home" "$work/upper" "$work/overlay-work" "$work/merged" || exit 1

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
as_user() {
  env -u XDG_CACHE_HOME -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u ELFRUN_NO_CACHE HOME="$work/home" "$@"
}
state_hashes() {
  find /etc/apt /var/lib/apt /var/lib/dpkg -type f -exec sha256sum {} + 2>/dev/null | sort
}
# The second run of a command: served from the plan cache, no socket, no apt.
second_run_offline() {
  name=$1
  shift
  as_user strace -f -qq -e trace=socket,connect,execve -o "$work/strace-$name" "$elfrun" run --fetch "$@" \
    >"$work/out2-$name" 2>&1
  cmp -s "$work/out2-$name" "$work/ref-$name" || fail "$name: the second run printed something else"
  grep -E 'socket\(AF_INET|connect\([0-9]+, \{sa_family=AF_INET' "$work/strace-$name" &&
    fail "$name: the second run used the network"
  grep -E 'execve\("[^"]*(apt-get|apt-cache|apt-helper|dpkg-deb)"' "$work/strace-$name" &&
    fail "$name: the second run ran apt"
  echo "$name second run: $(grep -c 'execve(' "$work/strace-$name") execs, no socket"
}
state_hashes >"$work/state-before"

# 1. bookworm's ruby3.1 and its libruby3.1, as the machine's apt downloads them.
(cd "$work/debs" && apt-get -q -o APT::Sandbox::User=root download ruby3.1 libruby3.1 >"$work/download.log" 2>&1) || {
  tail -3 "$work/download.log"
  case_skip "apt-get download ruby3.1 libruby3.1 failed (no network to the archive?)"
}
dpkg-deb -x "$work"/debs/ruby3.1_*.deb "$work/ruby" && dpkg-deb -x "$work"/debs/libruby3.1_*.deb "$work/libruby" || exit 1
cp "$work/ruby/usr/bin/ruby3.1" "$work/ruby3.1" || exit 1
/lib64/ld-linux-x86-64.so.2 --library-path "$work/libruby/usr/lib/x86_64-linux-gnu" "$work/ruby3.1" --version \
  >"$work/ref-ruby" 2>&1 || { echo "FAIL: the reference ruby3.1 --version failed: $(cat "$work/ref-ruby")"; exit 1; }
echo "reference: $(cat "$work/ref-ruby")"

said=$(as_user "$elfrun" why "$work/ruby3.1" 2>&1)
status=$?
echo "why ruby3.1 (nothing read yet) -> $status:"
echo "$said" | grep -v '^    /' | sed 's/^/    /'
[ "$status" -eq 1 ] || fail "why ruby3.1 exited $status, expected 1"
case $said in *"libruby-3.1.so.3.1: no package is known to ship it"*) ;; *) fail "why does not say no package is known to ship libruby-3.1.so.3.1" ;; esac

# apt-file's configuration enables the Contents index for every source (APT_CONFIG adds it here, as apt-file's
# /etc/apt/apt.conf.d/50apt-file.conf would): elfrun's Packages update must still not fetch it.
cat >"$work/apt-file.conf" <<'CONF'
Acquire::IndexTargets::deb::Contents-deb {
  MetaKey "$(COMPONENT)/Contents-$(ARCHITECTURE)";
  ShortDescription "Contents-$(ARCHITECTURE)";
  Description "$(RELEASE)/$(COMPONENT) $(ARCHITECTURE) Contents (deb)";
  KeepCompressed "true";
};
CONF
started=$(date +%s%N)
as_user env APT_CONFIG="$work/apt-file.conf" "$elfrun" run --fetch "$work/ruby3.1" --version >"$work/out-ruby" \
  2>"$work/err-ruby"
status=$?
echo "run --fetch ruby3.1 -> $status ($((($(date +%s%N) - started) / 1000000)) ms); stderr:"
sed 's/^/    /' "$work/err-ruby"
[ "$status" -eq 0 ] || fail "run --fetch ruby3.1 exited $status"
cmp -s "$work/out-ruby" "$work/ref-ruby" || fail "run --fetch ruby3.1 --version printed $(cat "$work/out-ruby")"
grep -q "libruby-3.1.so.3.1 is in libruby3.1 (bookworm's Contents index)" "$work/err-ruby" ||
  fail "run --fetch did not find libruby3.1 in bookworm's Contents index"
ls -d "$work"/home/.local/share/elfrun/store/libruby3.1_* >/dev/null 2>&1 || fail "no libruby3.1 entry in the store"
state=$work/home/.cache/elfrun/apt/bookworm_amd64
echo "bookworm's Contents index as apt keeps it: $(ls -l "$state"/contents/lists/*Contents* 2>/dev/null | awk '{print $5, $9}')"
ls "$state"/contents/lists/*_Contents-amd64* >/dev/null 2>&1 || fail "no Contents-amd64 index in $state/contents/lists"
ls "$state"/contents/lists/*Contents-all* >/dev/null 2>&1 && fail "Contents-all was downloaded too"
ls "$state"/contents/lists/*_Packages* >/dev/null 2>&1 && fail "the Contents lists have Packages indexes too"
ls "$state"/lists/*_Packages* >/dev/null 2>&1 || fail "the Packages indexes are gone from $state/lists"
ls "$state"/lists/*Contents* >/dev/null 2>&1 && fail "the Packages update fetched a Contents index too"

said=$(as_user "$elfrun" why "$work/ruby3.1" 2>&1)
status=$?
echo "why ruby3.1 (after run --fetch) -> $status:"
echo "$said" | grep -v '^    /' | sed 's/^/    /'
[ "$status" -eq 1 ] || fail "why ruby3.1 exited $status after the fetch, expected 1"
case $said in *"libruby-3.1.so.3.1 is in libruby3.1 (bookworm's Contents index"*) ;; *) fail "why does not name libruby3.1" ;; esac
case $said in *"elfrun run --fetch $work/ruby3.1"*) ;; *) fail "why gives no elfrun run --fetch line" ;; esac
second_run_offline ruby "$work/ruby3.1" --version

# 2. trixie's apt-get: libapt-private.so.0.0 is in `apt`.
root=$(sh "$source_dir/scripts/make-root" amd64 --suite trixie) || {
  echo "FAIL: scripts/make-root amd64 --suite trixie could not make the trixie root"
  exit 1
}
cp "$root/usr/bin/apt-get" "$work/apt-get" || exit 1
cat >"$work/inside.sh" <<'EOF'
set -u
root=${1:?} work=${2:?}
merged=$work/merged
[ "$(readlink /proc/self/ns/mnt)" != "${ELFRUN_HOST_MOUNT_NS:?}" ] || { echo "FAIL: not in a private mount namespace"; exit 1; }
mount -t overlay overlay -o "lowerdir=$root,upperdir=$work/upper,workdir=$work/overlay-work" "$merged" || exit 1
mount -t proc proc "$merged/proc" || exit 1
chroot "$merged" /usr/bin/env -i PATH=/usr/bin:/bin /usr/bin/apt-get --version >"$work/ref-apt" 2>&1
EOF
ELFRUN_HOST_MOUNT_NS=$(readlink /proc/self/ns/mnt)
export ELFRUN_HOST_MOUNT_NS
unshare --mount --propagation private sh "$work/inside.sh" "$root" "$work" ||
  { echo "FAIL: apt-get --version in its own root failed: $(cat "$work/ref-apt" 2>/dev/null)"; exit 1; }
echo "trixie's apt-get in its own root: $(head -1 "$work/ref-apt")"

started=$(date +%s%N)
as_user "$elfrun" run --fetch "$work/apt-get" --version >"$work/out-apt" 2>"$work/err-apt"
status=$?
echo "run --fetch apt-get -> $status ($((($(date +%s%N) - started) / 1000000)) ms); stderr:"
sed 's/^/    /' "$work/err-apt"
[ "$status" -eq 0 ] || fail "run --fetch apt-get exited $status"
grep -q "libapt-private.so.0.0 is in apt (" "$work/err-apt" || fail "libapt-private.so.0.0 was not found in package apt"
plan=$(as_user "$elfrun" run --fetch --print "$work/apt-get" 2>/dev/null)
eval "set -- $plan"  # the printed command is shell-quoted (util::shell_quote)
loader=$1
library_path=
while [ $# -gt 0 ]; do
  [ "$1" = --library-path ] && library_path=$2
  shift
done
"$loader" --library-path "$library_path" --inhibit-cache --list "$work/apt-get" >"$work/list-apt" 2>&1
echo "apt-get's libraries:"
sed 's/^/    /' "$work/list-apt"
grep -q "libapt-private.so.0.0 => $work/home/.local/share/elfrun/store/apt_" "$work/list-apt" ||
  fail "libapt-private.so.0.0 does not come from the store's entry of apt"
if grep -q "^elfrun: trixie: apt-get update of the Contents index.*\(unexpected size\|Hash Sum mismatch\|Mirror sync\)" \
  "$work/err-apt"; then
  # The archive serves a trixie Contents index its signed InRelease does not describe: apt refuses it, as it must,
  # and a newer suite's apt is what runs: its --version is not trixie's.
  cp "$work/out-apt" "$work/ref-apt-newer"
  second_run_offline apt-newer "$work/apt-get" --version
  # What elfrun must do then is checked above (apt's refusal said, the next suite's apt from the store, offline
  # second run); the comparison with trixie's root needs an archive that is consistent, which no test can make so.
  # Not a skip: the case ran what this archive allows, and says what it could not compare.
  echo "not compared in part 2: trixie's apt-get --version against its own root (the archive's trixie Contents" \
    "index does not match its signed InRelease; apt refuses it, and forky's apt ran)"
else
  cmp -s "$work/out-apt" "$work/ref-apt" || {
    diff "$work/ref-apt" "$work/out-apt" | head -5
    fail "run --fetch apt-get --version differs from its own root's"
  }
  grep -q "libapt-private.so.0.0 is in apt (trixie's Contents index)" "$work/err-apt" ||
    fail "libapt-private.so.0.0 was not found in package apt of trixie"
  second_run_offline apt "$work/apt-get" --version
fi

state_hashes >"$work/state-after"
cmp -s "$work/state-before" "$work/state-after" || {
  diff "$work/state-before" "$work/state-after" | head
  fail "the host's /etc/apt, /var/lib/apt or /var/lib/dpkg changed"
}
echo "fetch_contents: $failures failures"
[ $failures -eq 0 ]
