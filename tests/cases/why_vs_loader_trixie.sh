#!/bin/sh
# ctest-labels: slow
# ctest-timeout: 1800
# issue 16: `elfrun why` against the real loader on programs of a newer distribution. Every ELF program of a Debian
# trixie root (glibc 2.41; scripts/make-root amd64 --suite trixie) is judged on this machine as if it were copied
# here: the file where it is, its PT_INTERP and libraries the host's. The truth is the host loader's own check, which
# is what `ldd -r` runs (LD_TRACE_LOADED_OBJECTS=1 LD_BIND_NOW=1 LD_WARN=yes LOADER FILE): why must name the same
# missing libraries, versions ("version `GLIBC_2.38' not found") and undefined symbols ("undefined symbol: NAME,
# version V"), and exit 1 whenever the loader reports a missing library or version, 0 when it reports nothing
# (tests/cases/lib/why_vs_loader.py compares them, and counts the programs only the symbol check finds: why --fast
# calls them runnable). On a host whose glibc is as new as trixie's nothing is missing, and the case still compares.
# Needs an x86-64 host, root (to make the root once), python3; else skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools python3
case_need_elfrun
loader=/lib64/ld-linux-x86-64.so.2
[ -x "$loader" ] || case_skip "no $loader on this host"
root=$(sh "$source_dir/scripts/make-root" amd64 --suite trixie) || {
  echo "FAIL: scripts/make-root amd64 --suite trixie could not make the trixie root"
  exit 1
}

list=$(mktemp)
trap 'rm -f "$list"' EXIT
for dir in usr/bin usr/sbin usr/lib/apt/methods; do
  for file in "$root/$dir"/*; do
    [ -f "$file" ] && [ ! -L "$file" ] || continue
    [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
    printf '%s\n' "$file" >>"$list"
  done
done
count=$(wc -l <"$list")
[ "$count" -ge 100 ] || case_fail "only $count ELF programs in $root: the root is not a trixie userland"

# shellcheck disable=SC2046 # one argument per line of the list, no blank in these paths
python3 "$source_dir/tests/cases/lib/why_vs_loader.py" "$elfrun" "$loader" $(cat "$list") >"$list.out"
result=$?
cat "$list.out"
[ "$result" -eq 0 ] || case_fail "why and the loader disagree on some of the $count programs (DIFFER lines above)"
grep -q "^agree=$count\$" "$list.out" || case_fail "not every one of the $count programs was compared and agreed"
# The loader reports trixie's newer glibc versions for most of them on an older host: the comparison means something.
if [ "$(ldd --version 2>/dev/null | sed -n '1s/.* \([0-9]*\.[0-9]*\)$/\1/p')" = 2.36 ]; then
  blocks=$(sed -n 's/^loader_blocks=//p' "$list.out")
  [ "${blocks:-0}" -ge 50 ] || case_fail "on glibc 2.36 the loader should stop most trixie programs, it stops ${blocks:-0}"
fi
rm -f "$list.out"
[ "$case_failures" -eq 0 ] || exit 1
echo PASS
