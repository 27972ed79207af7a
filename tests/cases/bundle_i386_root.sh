#!/bin/sh
# ctest-labels: i386
# ctest-timeout: 1800
# The issue's own check of `elfrun bundle`: in the reference i386 root (scripts/make-i386-root, cached and shared,
# never modified: this case works on an overlayfs on top of it, or a copy, in a private mount namespace), with every
# 64-bit library in it moved away, bundles made on this 64-bit host of
#     hello world, curl --version, git --version     (dir and sh formats)
#     a multi-call program (a symlink to its launcher must keep its argv[0])
#     a program that dlopen()s libz.so.1, bundled with --trace
# run and print what they print on the host, from / and from another working directory; and the freestanding
# launcher finds its bundle without /proc (argv[0] with a '/', through PATH, and through a symlink).
# Needs root (chroot, mount); otherwise skipped (77), and under CI=true a failure.
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/i386_root.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "chroot and mounting /proc and an overlay"
case_need_tools chroot mount umount unshare gcc file curl git
case_need_elfrun

root=$(sh "$source_dir/scripts/make-i386-root") || {
  echo "FAIL: scripts/make-i386-root could not make the i386 root"
  exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-bundle-i386-root.XXXXXX") || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT
mkdir -p "$work/upper" "$work/overlay-work" "$work/merged" "$work/payload" "$work/src" || exit 1

cd "$work/src" || exit 1
printf '#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n' >hello.c
cat >multi.c <<'C'
#include <stdio.h>
#include <string.h>
int main(int argc, char** argv) {
  const char* slash = strrchr(argv[0], '/');
  printf("applet=%s argc=%d\n", slash ? slash + 1 : argv[0], argc);
  return 0;
}
C
cat >dl.c <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void) {
  void* z = dlopen("libz.so.1", RTLD_NOW);
  if (!z) { printf("dlopen failed: %s\n", dlerror()); return 1; }
  printf("zlib %s\n", ((const char* (*)(void))dlsym(z, "zlibVersion"))());
  return 0;
}
C
gcc -O2 -o hello hello.c && gcc -O2 -o multi multi.c && gcc -O2 -o dl dl.c || { echo "FAIL: gcc"; exit 1; }

# What the programs print on the host: the expected output in the root.
host_hello=$(./hello)
host_curl=$(curl --version)
host_git=$(git --version)
host_dl=$(./dl)

p=$work/payload
bundle() {  # bundle OUT ARGS...
  out=$1
  shift
  "$elfrun" bundle -o "$p/$out" "$@" >"$work/bundle.out" 2>&1 || {
    case_fail "elfrun bundle -o $out $*: $(cat "$work/bundle.out")"
    return 1
  }
  cat "$work/bundle.out"
}
bundle hello ./hello
bundle hello.sh ./hello
bundle curl "$(command -v curl)"
bundle curl.sh "$(command -v curl)"
bundle git "$(command -v git)"
bundle git.sh "$(command -v git)"
bundle multi ./multi
bundle dl --trace ./dl
[ "$case_failures" -eq 0 ] || exit 1

cat >"$work/inside.sh" <<'EOF_INSIDE'
set -u
root=${1:?}
work=${2:?}
merged=$work/merged
. "$3"
. "$ELFRUN_I386_ROOT_LIB"  # tests/cases/lib/i386_root.sh
i386_root_overlay "$root" "$work" "$merged"  # exits unless in a private mount namespace, on sane paths
# Every 64-bit shared object of the root moved away (the cached root has none; this makes sure).
mkdir -p "$merged/root/moved-away-64"
find "$merged" -xdev -path "$merged/proc" -prune -o -type f -name '*.so*' -print | while read -r library; do
  if LC_ALL=C file -b "$library" | grep -q '^ELF 64-bit'; then
    echo "moving away $library"
    mv "$library" "$merged/root/moved-away-64/" || exit 1
  fi
done
[ -e "$merged/lib64/ld-linux-x86-64.so.2" ] && case_fail "the root has /lib64/ld-linux-x86-64.so.2"
cp -a "$work/payload" "$merged/opt/bundles" || exit 1
mkdir -p "$merged/tmp/elsewhere" "$merged/usr/local/bin"
ln -s /opt/bundles/multi/bin/multi "$merged/usr/local/bin/applet-via-path"

inside() {
  chroot "$merged" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C "$@"
}
check() {  # check WHAT EXPECTED COMMAND...
  what=$1
  expected=$2
  shift 2
  said=$(inside "$@" 2>&1)
  status=$?
  echo "chroot: $what -> status $status: $(echo "$said" | head -n 1)"
  [ "$status" -eq 0 ] && [ "$said" = "$expected" ] || case_fail "$what: status $status, said
$said
expected
$expected"
}

# Without /proc: the launcher finds itself from argv[0] (a path; a PATH lookup; a symlink followed).
[ -e "$merged/proc/self/exe" ] && case_fail "/proc is mounted in the root before it should be"
check "no /proc: /opt/bundles/hello/bin/hello" "$host_hello" /opt/bundles/hello/bin/hello
check "no /proc: hello through PATH" "$host_hello" /bin/sh -c 'cd /tmp && PATH=/opt/bundles/hello/bin:$PATH hello'
check "no /proc: symlink in PATH to the multi launcher" "applet=applet-via-path argc=1" /bin/sh -c 'cd /tmp && applet-via-path'

mount -t proc proc "$merged/proc" || { echo "FAIL: cannot mount /proc in the root"; exit 1; }
i386_root_binfmt "$merged"  # the emulated way
check "64-bit hello run directly fails" "" /bin/sh -c '! /opt/bundles/hello/libexec/hello 2>/dev/null'
check "dir: hello" "$host_hello" /opt/bundles/hello/bin/hello
check "dir: hello from /tmp/elsewhere, relative path" "$host_hello" /bin/sh -c 'cd /tmp/elsewhere && ../../opt/bundles/hello/bin/hello'
check "dir: curl --version" "$host_curl" /opt/bundles/curl/bin/curl --version
check "dir: git --version" "$host_git" /bin/sh -c 'cd /tmp/elsewhere && /opt/bundles/git/bin/git --version'
check "sh: hello.sh" "$host_hello" /bin/sh -c 'cd /opt/bundles && ./hello.sh'
check "sh: hello.sh again, from elsewhere" "$host_hello" /bin/sh -c 'cd /tmp/elsewhere && /opt/bundles/hello.sh'
check "sh: curl.sh --version" "$host_curl" /bin/sh -c 'cd /tmp/elsewhere && /opt/bundles/curl.sh --version'
check "sh: git.sh --version" "$host_git" /bin/sh -c 'cd /opt/bundles && ./git.sh --version'
check "sh: unpacked once each" "3" /bin/sh -c 'ls /root/.cache/elfrun-bundles | wc -l'
ln -s multi "$merged/opt/bundles/multi/bin/ls"
check "multi-call symlink keeps argv[0]" "applet=ls argc=3" /opt/bundles/multi/bin/ls a b
check "multi-call symlink from elsewhere" "applet=applet-via-path argc=1" /bin/sh -c 'cd /tmp/elsewhere && applet-via-path'
check "--trace: the dlopen()ed libz.so.1 comes from the bundle" "$host_dl" /opt/bundles/dl/bin/dl
# Nothing is unmounted by hand: every mount above vanishes with the namespace.
echo "bundle_i386_root: $case_failures failures"
[ "$case_failures" -eq 0 ]
EOF_INSIDE

# inside.sh gets host_* through the environment, and the case helpers from case.sh.
export host_hello host_curl host_git host_dl
ELFRUN_I386_ROOT_LIB=$source_dir/tests/cases/lib/i386_root.sh
export ELFRUN_I386_ROOT_LIB
i386_root_unshare "$root" "$work/inside.sh" "$root" "$work" "$source_dir/tests/cases/lib/case.sh"
