#!/bin/sh
# ctest-timeout: 600
# issue 16: programs of a newer distribution (Debian trixie) on this one, where the verdict depends on symbols and
# versions, judged by `elfrun why` as the host loader judges them (ldd -r: LD_TRACE_LOADED_OBJECTS=1 LD_BIND_NOW=1
# LD_WARN=yes), and as running them shows:
#   - trixie's curl, downloaded with apt (a private state and cache; the mirror and keyring are the trixie root's):
#     it needs curl_global_trace in libcurl's CURL_OPENSSL_4 version node, which bookworm's libcurl has, without that
#     symbol. Only the symbol check sees it: `why` exits 1 naming it (and the others the loader names), the program
#     stops with "symbol lookup error", and `why --fast` exits 0 and says symbols were not checked;
#   - a C++ program linked (here, by g++) against trixie's libstdc++.so.6 that needs GLIBCXX_3.4.32: `why` exits 1
#     naming the version, as the loader and a run do; with trixie's own loader and libraries it prints Hello World.
# Both are also compared with the loader line by line (tests/cases/lib/why_vs_loader.py). On a host whose libraries
# are as new as trixie's nothing is missing: the case checks that why agrees and skips the rest (77).
# Needs an x86-64 host, root (to make the trixie root once), apt-get, dpkg-deb, g++, python3 and the network to the
# Debian archive; else skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools apt-get dpkg-deb g++ python3 readelf
loader=/lib64/ld-linux-x86-64.so.2
root=$(sh "$source_dir/scripts/make-root" amd64 --suite trixie) || {
  echo "FAIL: scripts/make-root amd64 --suite trixie could not make the trixie root"
  exit 1
}
why_setup
cd "$work" || exit 1

# The loader's own lines about FILE.
the_loader_says() {
  LD_TRACE_LOADED_OBJECTS=1 LD_BIND_NOW=1 LD_WARN=yes "$loader" "$1" 2>&1
}

# ---- trixie's curl ----
# The mirror the root was made from (its sources.list, written by make-root from this machine's apt sources).
mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) trixie .*/\2/p' "$root/etc/apt/sources.list" 2>/dev/null | head -n 1)
[ -n "$mirror" ] || case_fail "no trixie mirror in $root/etc/apt/sources.list"
mkdir -p apt/state/lists/partial apt/cache/archives/partial debs
: >apt/status
echo "deb [signed-by=$root/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >apt/sources.list
set -- -o Dir::Etc::SourceList="$work/apt/sources.list" -o Dir::Etc::SourceParts="$work/apt/none" \
  -o Dir::State="$work/apt/state" -o Dir::State::status="$work/apt/status" -o Dir::Cache="$work/apt/cache" \
  -o Dir::Etc::Preferences="$work/apt/none" -o Dir::Etc::PreferencesParts="$work/apt/none" \
  -o APT::Architecture=amd64 -o APT::Architectures=amd64 -o Acquire::Languages=none -o APT::Sandbox::User=root
if ! apt-get -q "$@" update >apt.log 2>&1 || ! (cd debs && apt-get -q "$@" download curl) >>apt.log 2>&1; then
  cat apt.log
  case_skip "apt-get could not download trixie's curl (no network to $mirror?)"
fi
dpkg-deb -x debs/curl_*.deb curl || case_fail "dpkg-deb -x curl"
curl=$work/curl/usr/bin/curl
[ -x "$curl" ] || case_fail "no usr/bin/curl in trixie's curl package"

truth=$(the_loader_says "$curl" | sed -n 's/^\(undefined symbol: [^	]*\)	.*/\1/p' | sort)
printf 'the loader says:\n%s\n' "$truth"
if [ -z "$truth" ]; then
  python3 "$source_dir/tests/cases/lib/why_vs_loader.py" "$elfrun" "$loader" "$curl" || case_fail "why and the loader"
  [ "$case_failures" -eq 0 ] || exit 1
  case_skip "this machine's libcurl defines every symbol trixie's curl needs: nothing to find"
fi
case_expect "$truth" "undefined symbol: curl_global_trace, version CURL_OPENSSL_4" "the loader's lines"
# The version node is there: the version check alone passes.
the_loader_says "$curl" | grep -q "not found" && case_fail "the loader reports a missing library or version for curl"

why_run -v "$curl"
expect_status 1
expect "will not run: $curl: undefined symbol: curl_global_trace, version CURL_OPENSSL_4"
expect_codes symbol-undefined
ours=$(printf '%s\n' "$out" | sed -n 's/^ *\(undefined symbol: [^(]*[^ (]\) (.*/\1/p' | sort)
[ "$ours" = "$truth" ] || case_fail "why names other symbols than the loader: $(printf '%s\n--\n%s' "$ours" "$truth")"
run_out=$("$curl" --version 2>&1)
case_expect "$run_out" "symbol lookup error" "the output of trixie's curl run here"

why_run --fast "$curl"
expect_status 0
expect "(undefined symbols not checked: --fast)"
why_run --symbols "$curl"  # the old spelling: the default
expect_status 1
expect "curl_global_trace"

# ---- a C++ program that needs GLIBCXX_3.4.32 ----
# Linked against trixie's libstdc++.so.6 (whose own needs, glibc 2.38 and later, are not this link's business).
mkdir -p trixie-lib
ln -s "$root/usr/lib/x86_64-linux-gnu/libstdc++.so.6" trixie-lib/libstdc++.so
cat >cxx.cc <<'CXX'
#include <cstdio>
namespace std { void ios_base_library_init(); }  // GCC 13's libstdc++, version GLIBCXX_3.4.32
int main() { std::ios_base_library_init(); std::puts("Hello World"); return 0; }
CXX
g++ -o cxx cxx.cc -Ltrixie-lib -Wl,--allow-shlib-undefined || case_fail "g++ against trixie's libstdc++"
readelf -V cxx | grep -q "Name: GLIBCXX_3.4.32" || case_fail "./cxx does not need GLIBCXX_3.4.32"
own=$("$root/lib64/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" ./cxx 2>&1)
[ "$own" = "Hello World" ] || case_fail "./cxx with trixie's loader and libraries printed: $own"
if the_loader_says ./cxx | grep -q "version \`GLIBCXX_3.4.32' not found"; then
  why_run ./cxx
  expect_status 1
  expect "./cxx will not run: /lib/x86_64-linux-gnu/libstdc++.so.6: version \`GLIBCXX_3.4.32' not found (required by ./cxx)"
  expect_codes version-missing symbol-undefined
  run_out=$(./cxx 2>&1)
  case_expect "$run_out" "version \`GLIBCXX_3.4.32' not found" "the output of ./cxx run here"
elif [ "${CI:-}" = true ]; then
  echo "note: this machine's libstdc++ has GLIBCXX_3.4.32"
fi

python3 "$source_dir/tests/cases/lib/why_vs_loader.py" "$elfrun" "$loader" "$curl" ./cxx ||
  case_fail "why and the loader disagree (DIFFER lines above)"

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
