#!/bin/bash
# Benchmark of `elfrun fix` (issue 12): in the reference case of SPEC.md (a copy of the i386 root of
# scripts/make-i386-root, a 64-bit glibc in /usr/x86_64-pc-linux-gnu/lib, the 64-bit hello world /root/m64), after
# `elfrun fix --apply ./m64`, the same run of hyperfine -N inside the root compares
#   ./m64                                     the program as itself: the kernel starts the loader at PT_INTERP (the
#                                             symlink fix made), which finds libc through /etc/ld.so.cache
#   LOADER --library-path DIR --inhibit-cache ./m64   the hand-written loader command of the seed (elfrun run --print)
#   elfrun run ./m64                          the launcher (its plan cache warmed by the warm-up runs)
# Goal: ./m64 at most 1.05x the hand-written command, and faster than elfrun run. Prints a markdown table.
#
#   usage: bench/fix.sh [ELFRUN]   ELFRUN: a static or i386 elfrun to run inside the root (default
#                                  build/static/elfrun); env RUNS (default 300), WARMUP (default 30)
# Needs root (a copy of the root, chroot, /proc mounted in a private mount namespace) and hyperfine.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
elfrun=${1:-${ELFRUN_STATIC:-$repo/build/static/elfrun}}
runs=${RUNS:-300}
warmup=${WARMUP:-30}
export LC_ALL=C

if [ "${1:-}" = --in-namespace ]; then
  work=${2:?}
  copy=$work/root
  runs=$3
  warmup=$4
  mount -t proc proc "$copy/proc"
  inside() { chroot "$copy" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin /bin/sh -c "cd /root && $1"; }
  inside "elfrun fix --apply ./m64" >"$work/apply.log" 2>&1 || {
    cat "$work/apply.log"
    echo "bench/fix.sh: elfrun fix --apply ./m64 failed" >&2
    exit 1
  }
  [ "$(inside ./m64)" = "Hello World" ] || { echo "bench/fix.sh: ./m64 does not run after the fix" >&2; exit 1; }
  hand=$(inside "elfrun run --print ./m64")
  hyperfine_cmd="/opt/bench/lib/ld-linux-x86-64.so.2 --library-path /opt/bench/lib /opt/bench/hyperfine"
  inside "$hyperfine_cmd -N --runs $runs --warmup $warmup --export-markdown /tmp/fix.md \
    -n './m64 (after elfrun fix)' ./m64 -n 'hand-written loader command' '$hand' \
    -n 'elfrun run ./m64' 'elfrun run ./m64'" >"$work/hyperfine.log" 2>&1 || {
    cat "$work/hyperfine.log"
    exit 1
  }
  cat "$copy/tmp/fix.md"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "bench/fix.sh: needs root (chroot, mount)" >&2; exit 2; }
for tool in hyperfine gcc unshare chroot; do
  command -v "$tool" >/dev/null || { echo "bench/fix.sh: missing $tool (scripts/bootstrap installs it)" >&2; exit 2; }
done
[ -x "$elfrun" ] || { echo "bench/fix.sh: no elfrun at $elfrun (build the static preset)" >&2; exit 2; }
root=$(sh "$repo/scripts/make-i386-root")
work=$(mktemp -d)
trap 'rm -rf --one-file-system "$work"' EXIT
cp -a "$root" "$work/root"
copy=$work/root
mkdir -p "$copy/usr/x86_64-pc-linux-gnu/lib" "$copy/usr/local/bin" "$copy/opt/bench/lib"
cp -L /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6 "$copy/usr/x86_64-pc-linux-gnu/lib/"
printf '#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n' >"$work/hello.c"
gcc -O2 -o "$copy/root/m64" "$work/hello.c"
cp "$elfrun" "$copy/usr/local/bin/elfrun"
# hyperfine inside the root, through a private copy of this machine's loader and libraries in /opt/bench (not a
# place ld.so.conf or the fix names).
cp "$(command -v hyperfine)" "$copy/opt/bench/hyperfine"
cp -L /lib64/ld-linux-x86-64.so.2 "$copy/opt/bench/lib/"
for library in $(ldd "$(command -v hyperfine)" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
  cp -L "$library" "$copy/opt/bench/lib/"
done
echo "elfrun fix in a copy of the i386 reference root ($(uname -r); $runs runs, $warmup warm-up; elfrun: $elfrun)"
echo
unshare --mount --propagation private bash "$0" --in-namespace "$work" "$runs" "$warmup"
