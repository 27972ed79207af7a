#!/bin/sh
# `elfrun bundle` on this machine, every behaviour a user sees except the reference i386 root (bundle_i386_root.sh):
#   - dir, tar and sh bundles of hello world print what the program prints, from any working directory, after the
#     bundle is moved, and through a symlink from elsewhere; arguments byte for byte, exit status, environment
#     unchanged (no LD_LIBRARY_PATH), argv[0] the name invoked (a multi-call symlink dispatches);
#   - an x86-64 and an i386 program in one bundle, each with its own loader directory;
#   - tar: `tar -tvzf` lists root/root entries dated 1970, and two bundles of the same program are byte-identical;
#   - sh: the first run unpacks to $XDG_CACHE_HOME/elfrun-bundles/HASH, later runs reuse it; a symlink named like one
#     of its programs runs that one;
#   - deduplication: one bundle of two programs is smaller than their two bundles;
#   - no host path in the launchers or the sh header; --add puts a file at data/<absolute path>; --trace finds a
#     dlopen()ed library;
#   - refusals, exit 2 and nothing left behind: a setuid program, a missing file, a script, an existing directory.
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools gcc tar gzip cmp
case_need_elfrun

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-bundle-host.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

cat >hello.c <<'C'
#include <stdio.h>
int main(void) { puts("Hello World"); return 0; }
C
# A multi-call program (busybox style): dispatches on the base name of argv[0], prints its arguments one per line
# between brackets, its environment when asked, and exits with the status given.
cat >multi.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern char** environ;
int main(int argc, char** argv) {
  const char* slash = strrchr(argv[0], '/');
  const char* applet = slash ? slash + 1 : argv[0];
  printf("applet=%s argv0=%s\n", applet, argv[0]);
  if (strcmp(applet, "printenv") == 0) {
    for (char** e = environ; *e; ++e) printf("%s\n", *e);
    return 0;
  }
  for (int i = 1; i < argc; ++i) printf("[%s]\n", argv[i]);
  return argc > 1 && strcmp(argv[1], "exit7") == 0 ? 7 : 0;
}
C
cat >dl.c <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void) {
  void* z = dlopen("libz.so.1", RTLD_NOW);
  if (!z) { printf("dlopen failed: %s\n", dlerror()); return 1; }
  const char* (*version)(void) = (const char* (*)(void))dlsym(z, "zlibVersion");
  printf("zlib %s\n", version());
  return 0;
}
C
gcc -O2 -o hello hello.c && gcc -O2 -o multi multi.c && gcc -O2 -o dl dl.c || { echo "FAIL: gcc"; exit 1; }
have_m32=no
if gcc -m32 -O2 -o hello32 hello.c 2>/dev/null && ./hello32 >/dev/null 2>&1; then have_m32=yes; fi

expect() {  # expect WHAT EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then
    case_fail "$1: expected
$2
got
$3"
  fi
}

# 1. dir bundle, run from here, from /, moved, and through a symlink from elsewhere.
"$elfrun" bundle -o b-hello ./hello >out.txt 2>err.txt || case_fail "bundle -o b-hello: $(cat err.txt)"
expect "b-hello/bin/hello" "Hello World" "$(b-hello/bin/hello 2>&1)"
expect "b-hello from /" "Hello World" "$(cd / && "$work/b-hello/bin/hello" 2>&1)"
mkdir moved && mv b-hello moved/elsewhere
expect "moved bundle" "Hello World" "$(moved/elsewhere/bin/hello 2>&1)"
mkdir -p other/bin && ln -s "$work/moved/elsewhere/bin/hello" other/bin/hi
expect "symlink from another directory, run through PATH" "Hello World" "$(cd / && PATH="$work/other/bin:$PATH" hi 2>&1)"

# 2. argv[0], arguments byte for byte, exit status, environment.
"$elfrun" bundle -o b-multi ./multi >/dev/null 2>err.txt || case_fail "bundle -o b-multi: $(cat err.txt)"
ln -s multi b-multi/bin/ls
expect "multi-call symlink" "applet=ls argv0=b-multi/bin/ls" "$(b-multi/bin/ls)"
ln -s "$work/b-multi/bin/multi" other/bin/cat
expect "multi-call symlink from elsewhere through PATH" "applet=cat argv0=cat" "$(PATH="$work/other/bin:$PATH" cat | head -n 1)"
native=$(./multi 'a b' '' "new
line" '--argv0' '*' 2>&1)
bundled=$(b-multi/bin/multi 'a b' '' "new
line" '--argv0' '*' 2>&1)
expect "arguments byte for byte" "$(echo "$native" | tail -n +2)" "$(echo "$bundled" | tail -n +2)"
b-multi/bin/multi exit7 >/dev/null
expect "exit status" 7 $?
ln -s multi b-multi/bin/printenv
ln -s multi printenv
expect "environment unchanged" "$(env -i FOO=bar 'WEIRD=a b' ./printenv | tail -n +2)" \
  "$(env -i FOO=bar 'WEIRD=a b' b-multi/bin/printenv | tail -n +2)"
case $(b-multi/bin/printenv) in *LD_LIBRARY_PATH*) case_fail "the launcher set LD_LIBRARY_PATH" ;; esac

# 3. An x86-64 and an i386 program in one bundle: a loader directory each.
if [ $have_m32 = yes ]; then
  "$elfrun" bundle -o b-mixed ./hello ./hello32 >/dev/null 2>err.txt || case_fail "bundle of hello and hello32: $(cat err.txt)"
  [ -x b-mixed/lib/x86-64-glibc/ld-linux-x86-64.so.2 ] || case_fail "b-mixed has no lib/x86-64-glibc/ld-linux-x86-64.so.2"
  [ -x b-mixed/lib/i386-glibc/ld-linux.so.2 ] || case_fail "b-mixed has no lib/i386-glibc/ld-linux.so.2"
  expect "mixed bundle, x86-64" "Hello World" "$(b-mixed/bin/hello 2>&1)"
  expect "mixed bundle, i386" "Hello World" "$(b-mixed/bin/hello32 2>&1)"
else
  echo "note: gcc -m32 cannot build an i386 hello here: the mixed bundle is not checked"
fi

# 3b. A foreign machine (aarch64, from tests/fixtures): the sh launcher, through qemu-user when the kernel has no
# binfmt_misc handler for it; argv[0] kept all the same.
fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
if [ -x "$fixtures/hello-aarch64" ] && [ -x "$fixtures/probe-aarch64" ] && command -v qemu-aarch64 >/dev/null 2>&1; then
  "$elfrun" bundle -o b-aarch64 "$fixtures/hello-aarch64" "$fixtures/probe-aarch64" >/dev/null 2>err.txt ||
    case_fail "bundle of aarch64 programs: $(cat err.txt)"
  [ -f b-aarch64/lib/aarch64-glibc/ld-linux-aarch64.so.1 ] || case_fail "b-aarch64 has no lib/aarch64-glibc loader"
  head -n 1 b-aarch64/bin/hello-aarch64 | grep -q '^#!/bin/sh' || case_fail "the aarch64 launcher is not a sh script"
  expect "aarch64 bundle" "Hello World" "$(cd / && "$work/b-aarch64/bin/hello-aarch64" 2>&1)"
  ln -s probe-aarch64 b-aarch64/bin/applet
  expect "aarch64 bundle, argv[0] through a symlink" "argv[0] b-aarch64/bin/applet
argv[1] x y" "$(b-aarch64/bin/applet 'x y' 2>&1 | grep '^argv\[')"
else
  echo "note: no aarch64 fixtures or no qemu-aarch64: the foreign-machine bundle is not checked"
fi

# 3c. Static and static-pie programs: no loader, the launcher execs them with argv[0] kept.
for fixture in probe-x86_64-static probe-x86_64-static-pie; do
  [ -x "$fixtures/$fixture" ] || { echo "note: no $fixture fixture: not checked"; continue; }
  "$elfrun" bundle -o "b-$fixture" "$fixtures/$fixture" >/dev/null 2>err.txt || case_fail "bundle of $fixture: $(cat err.txt)"
  [ -e "b-$fixture/lib" ] && case_fail "b-$fixture has a lib directory: a static program needs no loader"
  ln -s "$fixture" "b-$fixture/bin/applet"
  expect "$fixture bundle, argv[0] through a symlink" "argv[0] b-$fixture/bin/applet
argv[1] x y" "$("b-$fixture/bin/applet" 'x y' 2>&1 | grep '^argv\[')"
done

# 4. tar: listing, reproducibility, extraction.
mkdir r1 r2
"$elfrun" bundle -o r1/hello.tar.gz ./hello >/dev/null 2>err.txt || case_fail "tar bundle: $(cat err.txt)"
"$elfrun" bundle --format tar -o r2/hello.tar.gz ./hello >/dev/null 2>&1
cmp r1/hello.tar.gz r2/hello.tar.gz || case_fail "two tar bundles of the same program differ"
listing=$(tar -tvzf r1/hello.tar.gz) || case_fail "tar -tvzf cannot read the tar bundle"
echo "$listing"
expect "tar listing" "hello/bin/
hello/bin/hello
hello/lib/
hello/lib/x86-64-glibc/
hello/lib/x86-64-glibc/ld-linux-x86-64.so.2
hello/lib/x86-64-glibc/libc.so.6
hello/libexec/
hello/libexec/hello" "$(tar -tzf r1/hello.tar.gz)"
echo "$listing" | grep -v ' root/root .* 1970-01-01 00:00 ' && case_fail "a tar entry is not root/root at 1970-01-01"
mkdir x && tar -xzf r1/hello.tar.gz -C x
expect "extracted tar bundle" "Hello World" "$(x/hello/bin/hello 2>&1)"

# 5. sh: first run unpacks, later runs reuse; run from another directory; a symlink picks the program.
"$elfrun" bundle -o tools.sh ./multi ./hello >/dev/null 2>err.txt || case_fail "sh bundle: $(cat err.txt)"
export XDG_CACHE_HOME="$work/cache"
expect "sh bundle, first run" "applet=tools.sh argv0=./tools.sh
[x y]" "$(./tools.sh 'x y' 2>&1)"
[ "$(ls "$XDG_CACHE_HOME/elfrun-bundles" | wc -l)" -eq 1 ] || case_fail "the sh bundle did not unpack to one cache directory"
unpacked=$(ls -d "$XDG_CACHE_HOME"/elfrun-bundles/*)
touch "$unpacked/marker"
expect "sh bundle, from /" "applet=tools.sh argv0=$work/tools.sh" "$(cd / && "$work/tools.sh" | head -n 1)"
[ -e "$unpacked/marker" ] || case_fail "the second run unpacked the bundle again"
mkdir pick && ln -s ../tools.sh pick/hello && ln -s ../tools.sh pick/ls
expect "sh bundle through a symlink named hello" "Hello World" "$(pick/hello 2>&1)"
expect "sh bundle through a symlink named ls (multi-call)" "applet=ls argv0=pick/ls" "$(pick/ls 2>&1)"
ls -a "$XDG_CACHE_HOME/elfrun-bundles" | grep -q unpack && case_fail "a temporary unpack directory was left in the cache"
unset XDG_CACHE_HOME

# 6. Deduplication: one bundle of two programs against their two bundles.
"$elfrun" bundle -o two.tar.gz ./hello ./multi >/dev/null 2>&1 || case_fail "tar bundle of two programs"
"$elfrun" bundle -o one-hello.tar.gz ./hello >/dev/null 2>&1
"$elfrun" bundle -o one-multi.tar.gz ./multi >/dev/null 2>&1
two=$(wc -c <two.tar.gz)
sum=$(($(wc -c <one-hello.tar.gz) + $(wc -c <one-multi.tar.gz)))
echo "dedup: one bundle of hello and multi $two bytes, their two bundles $sum bytes"
[ "$two" -lt "$sum" ] || case_fail "one bundle of two programs ($two bytes) is not smaller than two bundles ($sum)"

# 7. No host path in what elfrun writes (launchers, sh header): not this directory, the source or build tree, nor
# the libraries' directories.
for file in b-multi/bin/multi moved/elsewhere/bin/hello; do
  for path in "$work" "$source_dir" "$build_dir" /usr/lib /lib/x86_64-linux-gnu /lib64; do
    grep -qF "$path" "$file" && case_fail "$file contains the host path $path"
  done
done
# The manifest (bundle-relative ./lib/... names and their hashes, symlink checks) is left out: it names no host path.
header=$(sed '/^exit 127$/q' tools.sh | sed "/<<'ELFRUN_MANIFEST_END'/,/^ELFRUN_MANIFEST_END\$/d; /^  \[ -L '/d")
for path in "$work" "$source_dir" "$build_dir" /usr/lib /lib; do
  case $header in *"$path"*) case_fail "the sh header contains the host path $path" ;; esac
done

# 8. --add and --trace.
echo data >datafile
"$elfrun" bundle -o b-add --add datafile ./hello >/dev/null 2>&1 || case_fail "bundle --add"
expect "--add" data "$(cat "b-add/data$work/datafile" 2>&1)"
"$elfrun" bundle -o b-dl ./dl >/dev/null 2>&1 || case_fail "bundle of dl"
[ -e b-dl/lib/x86-64-glibc/libz.so.1 ] && case_fail "libz.so.1 is bundled without --trace: nothing needs it"
"$elfrun" bundle -o b-dl-traced --trace ./dl >trace.out 2>&1 || case_fail "bundle --trace: $(cat trace.out)"
[ -f b-dl-traced/lib/x86-64-glibc/libz.so.1 ] || case_fail "--trace did not bundle the dlopen()ed libz.so.1: $(cat trace.out)"
expect "traced bundle" "zlib $(./dl | cut -d' ' -f2)" "$(b-dl-traced/bin/dl 2>&1)"
# The traced run gets the arguments after --, byte for byte, and its own output goes where it would.
traced=$("$elfrun" bundle -o b-multi-traced --trace ./multi -- 'a b' -o 2>&1)
expect "--trace run with arguments" "applet=multi argv0=./multi
[a b]
[-o]
b-multi-traced: dir bundle of multi" "$(echo "$traced" | cut -d'(' -f1 | sed 's/ *$//')"
"$elfrun" bundle -o b-no-trace ./multi -- x >/dev/null 2>err.txt
expect "arguments after -- without --trace: status" 2 $?

# 9. Refusals: exit 2, a message naming the file, nothing written.
cp hello suid && chmod u+s suid
"$elfrun" bundle -o b-suid ./suid >out.txt 2>err.txt
status=$?
expect "setuid: status" 2 $status
grep -q "suid: is setuid: refused" err.txt || case_fail "setuid: message was: $(cat err.txt)"
[ -e b-suid ] && case_fail "setuid: b-suid was created"
"$elfrun" bundle -o b-missing ./no-such-program >/dev/null 2>err.txt
expect "missing program: status" 2 $?
grep -q "no-such-program: No such file or directory" err.txt || case_fail "missing program: message was: $(cat err.txt)"
printf '#!/bin/sh\necho hi\n' >script.sh && chmod +x script.sh
"$elfrun" bundle -o b-script ./script.sh >/dev/null 2>err.txt
expect "script: status" 2 $?
grep -q "script.sh: is a script" err.txt || case_fail "script: message was: $(cat err.txt)"
mkdir existing
"$elfrun" bundle -o existing ./hello >/dev/null 2>err.txt
expect "existing directory: status" 2 $?
grep -q "existing: already exists" err.txt || case_fail "existing directory: message was: $(cat err.txt)"
"$elfrun" bundle -o b-partial ./hello ./no-such-program >/dev/null 2>&1
[ -e b-partial ] && case_fail "a failed bundle left b-partial behind"
ls | grep -q elfrun-tmp && case_fail "a temporary file or directory was left behind: $(ls | grep elfrun-tmp)"

echo "bundle_host: $case_failures failures"
[ "$case_failures" -eq 0 ]
