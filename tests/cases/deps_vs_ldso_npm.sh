#!/bin/sh
# ctest-labels: slow
# ctest-timeout: 1800
# Differential suite over prebuilt binaries this project did not build: the native modules (.node), shared
# libraries and programs that npm packages ship for glibc x86-64, musl x86-64, glibc aarch64 and musl aarch64,
# pinned by exact version in tests/cases/lib/npm_prebuilt.list and fetched once with `npm pack` (no install script
# runs) into ${ELFRUN_CACHE:-/var/cache/elfrun}/npm by scripts/fetch-npm-prebuilt, in npm's node_modules layout.
#
# 1. deps against the real loaders, file by file (tests/cases/lib/ldso_compare.py):
#    glibc-x86-64   /lib64/ld-linux-x86-64.so.2 --list F                     vs  elfrun deps --format ldd F
#    musl-x86-64    /lib/ld-musl-x86_64.so.1 --list F (Debian's musl)        vs  elfrun deps --format ldd F
#    glibc-aarch64  qemu-aarch64 -L /usr/aarch64-linux-gnu LOADER --list F   vs  elfrun deps --root /usr/aarch64-linux-gnu
#    musl-aarch64   qemu-aarch64 -L MUSLROOT LOADER --list F                 vs  elfrun deps --root MUSLROOT
#    MUSLROOT is Debian's musl:arm64 unpacked by scripts/make-deb-root (a private apt state; the machine's dpkg
#    architectures are not changed). Named exception, counted: musl-relocates (musl's --list also relocates and
#    reports the napi_* symbols node defines; deps does not judge symbols).
# 2. why's verdict against execution, and run against direct or qemu execution: esbuild (static) and biome (glibc,
#    dynamic), x86-64 and aarch64: `elfrun why` exits 0 exactly when executing it works; `elfrun run P --version`
#    prints what running it directly (x86-64) or under qemu-aarch64 -L /usr/aarch64-linux-gnu prints, same status. Every glibc x86-64 .node module:
#    `elfrun deps` exits 0 exactly when the host's node loads it (`node -e 'require(F)'`, node's own ABI).
# Prints per set: files, agreeing, differing, and every difference.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools /usr/bin/python3 npm node qemu-aarch64 apt-get dpkg-deb flock
[ -x /lib/ld-musl-x86_64.so.1 ] || case_skip "no /lib/ld-musl-x86_64.so.1 (Debian package musl; scripts/bootstrap)"
[ -x /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || case_skip "no aarch64 cross root (libc6-arm64-cross)"
case_need_elfrun

started=$(date +%s)
modules=$(sh "$source_dir/scripts/fetch-npm-prebuilt") || {
  echo "FAIL: scripts/fetch-npm-prebuilt could not fetch the npm packages"
  exit 1
}
musl_arm64=$(sh "$source_dir/scripts/make-deb-root" arm64 musl-arm64-root musl) || {
  echo "FAIL: scripts/make-deb-root could not unpack musl:arm64"
  exit 1
}
echo "fetched (or found in the cache): $(($(date +%s) - started)) s"

# The package directories of a set, ':'-separated.
set_dirs() {
  grep -v '^[[:space:]]*#' "$source_dir/tests/cases/lib/npm_prebuilt.list" |
    awk -v set="$1" -v modules="$modules" '$1 == set { spec = $2; sub(/@[^@]*$/, "", spec); printf "%s%s/%s", sep, modules, spec; sep = ":" }'
}

status=0
compare() {
  /usr/bin/python3 "$source_dir/tests/cases/lib/ldso_compare.py" --elfrun "$elfrun" --min-files 4 "$@" || status=1
}
compare --class 2 --machine 62 --default-loader /lib64/ld-linux-x86-64.so.2 \
  --loader-command "/lib64/ld-linux-x86-64.so.2 --list {file}" --set "npm glibc-x86-64=$(set_dirs glibc-x86-64)"
compare --class 2 --machine 62 --default-loader /lib/ld-musl-x86_64.so.1 --musl-relocation-rule \
  --loader-command "/lib/ld-musl-x86_64.so.1 --list {file}" --set "npm musl-x86-64=$(set_dirs musl-x86-64)"
compare --root /usr/aarch64-linux-gnu --class 2 --machine 183 --default-loader /lib/ld-linux-aarch64.so.1 \
  --loader-command "qemu-aarch64 -L {root} {host_interp} --list {file}" \
  --trace-command "qemu-aarch64 -E LD_TRACE_LOADED_OBJECTS=1 -L {root} {host_interp} {file}" \
  --root-paths-inside --drop-nameless-vdso --set "npm glibc-aarch64=$(set_dirs glibc-aarch64)"
compare --root "$musl_arm64" --class 2 --machine 183 --default-loader /lib/ld-musl-aarch64.so.1 --musl-relocation-rule \
  --loader-command "qemu-aarch64 -L {root} {host_interp} --list {file}" --root-paths-inside --drop-nameless-vdso \
  --set "npm musl-aarch64=$(set_dirs musl-aarch64)"

# why and run against execution.
agree=0 differ=0
verdict() { # NAME EXPECTED-STATUS ACTUAL-STATUS
  if [ "$2" -eq "$3" ]; then
    agree=$((agree + 1))
  else
    differ=$((differ + 1))
    case_fail "$1: elfrun says $3, the real thing $2"
  fi
}
for program in "$modules/@esbuild/linux-x64/bin/esbuild" "$modules/@esbuild/linux-arm64/bin/esbuild" \
  "$modules/@biomejs/cli-linux-x64/biome" "$modules/@biomejs/cli-linux-arm64/biome"; do
  [ -x "$program" ] || {
    case_fail "no $program in the npm cache"
    continue
  }
  "$program" --version >direct.out 2>/dev/null
  direct=$?
  [ "$direct" -eq 0 ] || direct=1
  "$elfrun" why "$program" >/dev/null 2>&1
  why=$?
  verdict "why $program (0: it runs when executed)" "$direct" "$why"
  case $program in
    *arm64*) qemu-aarch64 -L /usr/aarch64-linux-gnu "$program" --version >real.out 2>&1 ;;
    *) "$program" --version >real.out 2>&1 ;;
  esac
  real=$?
  "$elfrun" run "$program" --version >run.out 2>&1
  verdict "elfrun run $program --version: exit status" "$real" "$?"
  cmp -s real.out run.out || case_fail "elfrun run $program --version printed \"$(cat run.out)\", not \"$(cat real.out)\""
  echo "${program#"$modules"/} $(cat real.out): direct execution $direct, why $why, run $(cat run.out)"
done
# (The cache's paths have no blanks: word splitting of the directory list is intended.)
# shellcheck disable=SC2046
for module in $(find $(set_dirs glibc-x86-64 | tr ':' ' ') -name '*.node' -type f | sort); do
  node -e 'require(process.argv[1])' "$module" >/dev/null 2>&1
  loads=$?
  [ "$loads" -eq 0 ] || loads=1
  "$elfrun" deps "$module" >/dev/null 2>&1
  verdict "deps $module (0: node loads it)" "$loads" "$?"
done
echo "npm why/run/deps verdicts against execution: $((agree + differ)) checks, $agree agreeing, $differ differing"
[ $((agree + differ)) -ge 12 ] || case_fail "only $((agree + differ)) verdicts checked (12 or more expected)"
echo "npm suite: $(($(date +%s) - started)) s"
[ "$case_failures" -eq 0 ] || status=1
exit $status
