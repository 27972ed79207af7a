#!/bin/sh
# ctest-labels: slow i386
# ctest-timeout: 1800
# `elfrun fix` in the reference case of SPEC.md (issue 12): a COPY of the i386 reference root (scripts/make-i386-root;
# the shared root itself is never touched), with a 64-bit glibc in /usr/x86_64-pc-linux-gnu/lib and the 64-bit hello
# world /root/m64 whose PT_INTERP /lib64/ld-linux-x86-64.so.2 does not exist. Inside `chroot COPY`, /proc mounted in
# a private mount namespace:
#   - `elfrun fix ./m64` prints the plan (the symlink, the ld.so.conf.d file, ldconfig, each with what it removes)
#     and changes nothing (a listing of every path with its type, mode, owner, hash or link target, before and after);
#   - `elfrun fix --apply ./m64`: then `./m64`, `sh -c ./m64` (the root's 32-bit dash execs it) and the root's own
#     `ldd ./m64` work; every ELF file of the root resolves as before (`elfrun deps --format json --root`, before and
#     after, from the host); a probe with the same PT_INTERP sees /proc/self/exe as itself and exactly the caller's
#     argv[0] and environment; `fix --list` shows the fix;
#   - `elfrun fix --undo` leaves the root exactly as it was (the listing again), and ./m64 fails again;
#   - refusals, each with its message and exit status and nothing changed: not root (no --user), an existing file at
#     the PT_INTERP path, a path a Debian package owns (ROOT/var/lib/dpkg/info/*.list), a journal entry changed since,
#     a journal directory others may write to;
#   - the same apply and undo from outside with `--root COPY`: the plan runs `chroot COPY /sbin/ldconfig`, ./m64
#     then runs inside, and undo leaves the copy as it was.
# The elfrun run inside the root: the one under test ($elfrun_binary; $elfrun may be its qemu-i386 wrapper) when it
# is static or i386, else $ELFRUN_STATIC, else build/static/elfrun of this tree, else $ELFRUN_I386, else the one
# under test through a private copy of its loader and libraries in /opt/elfrun-test (left out of the ELF files
# compared). On a kernel that does not run i386 programs (or with ELFRUN_I386_VIA_QEMU=1) the copy is entered through
# a user namespace with every uid and gid mapped to itself, whose binfmt_misc hands its i386 programs (sh, ldconfig,
# ldd) to qemu-i386-static (tests/cases/lib/i386_root.sh). Needs root (chroot, mount); otherwise skipped (77), and
# under CI=true a failure.
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/i386_root.sh"
this_case=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

if [ "${1:-}" != --in-namespace ]; then
  [ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
  case_need_root "chroot and mounting /proc"
  case_need_tools chroot mount unshare gcc readelf ldd sha256sum find
  case_need_elfrun
  static_or_i386() {
    [ -f "$1" ] || return 1
    [ "$(od -An -t u1 -j4 -N1 "$1" | tr -d ' ')" = 1 ] && return 0
    ! readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'
  }
  inner=
  for candidate in "$elfrun_binary" "${ELFRUN_STATIC:-}" "$source_dir/build/static/elfrun" "${ELFRUN_I386:-}"; do
    if [ -n "$candidate" ] && static_or_i386 "$candidate"; then
      inner=$candidate
      break
    fi
  done
  echo "elfrun inside the root: ${inner:-$elfrun through a private copy of its loader and libraries in /opt/elfrun-test}"
  root=$(sh "$source_dir/scripts/make-i386-root") || {
    echo "FAIL: scripts/make-i386-root could not make the i386 root"
    exit 1
  }
  work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-fix-i386.XXXXXX") || exit 1
  trap 'rm -rf --one-file-system "$work"' EXIT
  # A copy, not an overlay: the listing compares inodes' contents and owners as a real root has them.
  cp -a "$root" "$work/root" || exit 1
  copy=$work/root
  mkdir -p "$copy/usr/x86_64-pc-linux-gnu/lib" "$copy/usr/local/bin" || exit 1
  cp -L /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6 "$copy/usr/x86_64-pc-linux-gnu/lib/" || exit 1
  printf '#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n' >"$work/hello.c"
  gcc -o "$copy/root/m64" "$work/hello.c" || exit 1
  # A probe of how it was started: /proc/self/exe, argv[0] and the environment.
  cat >"$work/probe.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  printf("exe %s\nargv0 %s\nargc %d\n", exe, argv[0], argc);
  for (char **entry = environ; *entry; ++entry) printf("env %s\n", *entry);
  return 0;
}
EOF
  gcc -o "$copy/root/probe64" "$work/probe.c" || exit 1
  if [ -n "$inner" ]; then
    cp "$inner" "$copy/usr/local/bin/elfrun" || exit 1
  else
    # As why_reference_i386_root.sh does: this dynamic x86-64 build, its loader and libraries in /opt/elfrun-test
    # (a place loader discovery does not scan), behind a wrapper script.
    interpreter=$(readelf -l "$elfrun_binary" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
    mkdir -p "$copy/opt/elfrun-test/lib" && cp -L "$interpreter" "$copy/opt/elfrun-test/lib/" || exit 1
    for library in $(ldd "$elfrun_binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
      cp -L "$library" "$copy/opt/elfrun-test/lib/" || exit 1
    done
    cp "$elfrun_binary" "$copy/opt/elfrun-test/elfrun" || exit 1
    printf '#!/bin/sh\nexec /opt/elfrun-test/lib/%s --library-path /opt/elfrun-test/lib /opt/elfrun-test/elfrun "$@"\n' \
      "$(basename "$interpreter")" >"$copy/usr/local/bin/elfrun" && chmod +x "$copy/usr/local/bin/elfrun" || exit 1
  fi
  [ -e "$copy/lib64/ld-linux-x86-64.so.2" ] && {
    echo "FAIL: the i386 root already has /lib64/ld-linux-x86-64.so.2"
    exit 1
  }
  # Natively a private mount namespace; where the kernel does not run i386 programs (or ELFRUN_I386_VIA_QEMU=1), a
  # user namespace with every uid and gid mapped whose binfmt_misc hands the copy's i386 programs to qemu-i386-static.
  i386_root_unshare_all_ids "$copy" "$this_case" --in-namespace "$work"
  exit $?
fi

# ---- in a private mount namespace: the /proc mounted here vanishes with it ----
work=${2:?}
copy=$work/root
i386_root_private "$work" "$copy"  # exits unless in a private mount namespace, on sane paths
mount -t proc proc "$copy/proc" || {
  echo "FAIL: cannot mount /proc in the copy"
  exit 1
}
i386_root_binfmt "$copy"  # the emulated way
i386_root_check_emulated "$copy"

# in_root COMMAND [USERSPEC]: COMMAND with sh inside the copy, in ${in_dir:-/root}; $in_out, $in_status.
in_root() {
  in_out=$(chroot ${2:+--userspec="$2"} "$copy" /usr/bin/env -i HOME=/root LANG=C \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c "cd ${in_dir:-/root} && $1" 2>&1)
  in_status=$?
  printf "# %s    (exit %s)\n" "$1" "$in_status"
  printf '%s\n' "$in_out" | sed 's/^/    /'
}
expect_status() {
  [ "$in_status" -eq "$1" ] || case_fail "\"$in_command\" exited $in_status, not $1"
}
# listing FILE: every path of the copy but /proc and root's own cache directory (user data, as package_deb.sh has
# it: an i386 elfrun under qemu-i386 caches there what the x86-64 probe found, uname saying i686), with type, mode,
# owner, and its hash or link target.
listing() {
  (cd "$copy" && find . -xdev \( -path ./proc -o -path ./root/.cache \) -prune -o -printf '%y %m %U:%G %p %l\n' |
    LC_ALL=C sort >"$1.paths" &&
    find . -xdev \( -path ./proc -o -path ./root/.cache \) -prune -o -type f -print0 | xargs -0 sha256sum |
    LC_ALL=C sort >"$1.hashes")
}
same_listing() {
  if ! cmp -s "$1.paths" "$2.paths" || ! cmp -s "$1.hashes" "$2.hashes"; then
    case_fail "$3"
    diff "$1.paths" "$2.paths" | head -20
    diff "$1.hashes" "$2.hashes" | head -20
  fi
}
# elf_files: the ELF files of the copy (paths inside it), but those the fix is for: /root/m64, /root/probe64, the glibc
# in /usr/x86_64-pc-linux-gnu/lib (its libc.so.6 names /lib64/ld-linux-x86-64.so.2 as PT_INTERP too, so that the
# fix makes its loader found, as intended).
elf_files() {
  (cd "$copy" && find . -xdev -path ./proc -prune -o -type f -size +52c -print | while read -r f; do
    [ "$(od -An -c -N4 "$f" | tr -d ' ')" = '177ELF' ] && printf '%s\n' "${f#.}"
  done | grep -vx -e /root/m64 -e /root/probe64 -e '/usr/x86_64-pc-linux-gnu/lib/.*' -e '/opt/elfrun-test/.*' |
    LC_ALL=C sort)
}

in_root ./m64
[ "$in_status" -ne 0 ] || case_fail "./m64 ran in the i386 root before any fix"

# 1. The plan changes nothing.
listing "$work/before"
in_command="elfrun fix ./m64"
in_root "$in_command"
expect_status 0
case_expect "$in_out" "ln -s /usr/x86_64-pc-linux-gnu/lib/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2"
case_expect "$in_out" "mkdir /lib64"
case_expect "$in_out" "removes: ./m64 will not run: its interpreter /lib64/ld-linux-x86-64.so.2 does not exist"
case_expect "$in_out" "/usr/x86_64-pc-linux-gnu/lib > /etc/ld.so.conf.d/elfrun-x86_64-linux-gnu.conf"
case_expect "$in_out" "ldconfig"
case_expect "$in_out" "nothing is changed without --apply"
listing "$work/after-plan"
same_listing "$work/before" "$work/after-plan" "elfrun fix without --apply changed the root"

# 2. Not root, without --user: refused, nothing changed.
in_command="elfrun fix --apply /root/m64 (as nobody)"
in_dir=/tmp in_root "elfrun fix --apply /root/m64" 65534:65534
expect_status 2
case_expect "$in_out" "needs root"
case_expect "$in_out" "nothing was changed"

# 3. Apply.
elf_files >"$work/elf-files"
echo "$(wc -l <"$work/elf-files") ELF files in the root"
# shellcheck disable=SC2046
"$elfrun" deps --format json --root "$copy" $(cat "$work/elf-files") >"$work/deps-before.json" 2>&1
in_command="elfrun fix --apply ./m64"
in_root "$in_command"
expect_status 0
case_expect "$in_out" "checked: ./m64 runs as itself"
case_expect "$in_out" "resolve as before"
id=$(printf '%s\n' "$in_out" | sed -n 's/^applied as fix \([^ ]*\) .*/\1/p')
[ -n "$id" ] || case_fail "fix --apply printed no fix ID"
in_root ./m64
[ "$in_out" = "Hello World" ] && [ "$in_status" -eq 0 ] || case_fail "after fix --apply, ./m64 did not print Hello World"
in_root "sh -c ./m64"
[ "$in_out" = "Hello World" ] || case_fail "after fix --apply, sh -c ./m64 did not print Hello World"
# As itself: /proc/self/exe is the program, argv[0] and the environment are the caller's, nothing added.
probe=$(chroot "$copy" /usr/bin/env -i PROBE_A=1 /root/probe64 2>&1)
expected_probe=$(printf 'exe /root/probe64\nargv0 /root/probe64\nargc 1\nenv PROBE_A=1')
[ "$probe" = "$expected_probe" ] || case_fail "probe64 after the fix reports: $probe (expected: $expected_probe)"
in_root "ldd ./m64"
case_expect "$in_out" "libc.so.6 => /usr/x86_64-pc-linux-gnu/lib/libc.so.6" "ldd ./m64"
case $in_out in *"not a dynamic executable"*) case_fail "the root's ldd still says not a dynamic executable" ;; esac
# shellcheck disable=SC2046
"$elfrun" deps --format json --root "$copy" $(cat "$work/elf-files") >"$work/deps-after.json" 2>&1
if ! cmp -s "$work/deps-before.json" "$work/deps-after.json"; then
  case_fail "the root's ELF files do not resolve as before the fix"
  diff "$work/deps-before.json" "$work/deps-after.json" | head -20
fi
grep -q '"found": true' "$work/deps-before.json" || case_fail "deps resolved nothing for the root's ELF files"
in_command="elfrun fix --list"
in_root "$in_command"
expect_status 0
case_expect "$in_out" "$id"
case_expect "$in_out" "symlink /lib64/ld-linux-x86-64.so.2 -> /usr/x86_64-pc-linux-gnu/lib/ld-linux-x86-64.so.2"
journal_mode=$(stat -c '%a %u' "$copy/var/lib/elfrun/fixes")
[ "$journal_mode" = "755 0" ] || case_fail "the journal directory is mode/owner $journal_mode, not 755 0"

# 4. A journal entry changed since: --undo refuses and removes nothing.
conf=$copy/etc/ld.so.conf.d/elfrun-x86_64-linux-gnu.conf
cp -p "$conf" "$work/conf.saved"
echo /opt/lib >>"$conf"
listing "$work/changed"
in_command="elfrun fix --undo"
in_root "$in_command"
expect_status 1
case_expect "$in_out" "was changed since"
case_expect "$in_out" "nothing was removed"
listing "$work/changed-after"
same_listing "$work/changed" "$work/changed-after" "fix --undo changed the root although it refused"
cp -p "$work/conf.saved" "$conf"

# 5. A journal directory others may write to: refused.
chmod 0777 "$copy/var/lib/elfrun/fixes"
in_root "elfrun fix --undo"
[ "$in_status" -eq 1 ] || case_fail "fix --undo with a world-writable journal directory exited $in_status, not 1"
case_expect "$in_out" "writable by others"
chmod 0755 "$copy/var/lib/elfrun/fixes"

# 6. Undo: the root exactly as before, ./m64 fails again.
in_command="elfrun fix --undo $id"
in_root "$in_command"
expect_status 0
listing "$work/after-undo"
same_listing "$work/before" "$work/after-undo" "fix --undo did not leave the root exactly as it was"
in_root ./m64
[ "$in_status" -ne 0 ] || case_fail "./m64 still runs after fix --undo"

# 7. An existing file at the PT_INTERP path: refused, nothing changed.
mkdir "$copy/lib64" && echo "not a loader" >"$copy/lib64/ld-linux-x86-64.so.2"
listing "$work/planted"
for command in "elfrun fix ./m64" "elfrun fix --apply ./m64"; do
  in_command=$command
  in_root "$command"
  expect_status 1
  case_expect "$in_out" "/lib64/ld-linux-x86-64.so.2 exists"
done
listing "$work/planted-after"
same_listing "$work/planted" "$work/planted-after" "fix --apply changed the root although a file was at PT_INTERP"
rm -r "$copy/lib64"

# 8. A path a Debian package owns: refused, nothing changed.
printf '/.\n/lib64\n/lib64/ld-linux-x86-64.so.2\n' >"$copy/var/lib/dpkg/info/libc6-amd64.list"
listing "$work/owned"
for command in "elfrun fix ./m64" "elfrun fix --apply ./m64"; do
  in_command=$command
  in_root "$command"
  expect_status 1
  case_expect "$in_out" "belongs to the Debian package libc6-amd64"
done
listing "$work/owned-after"
same_listing "$work/owned" "$work/owned-after" "fix --apply changed the root although dpkg owns the path"
rm "$copy/var/lib/dpkg/info/libc6-amd64.list"

# 9. The same from outside, with --root (this machine's elfrun, the root's own ldconfig through chroot).
listing "$work/outside-before"
out=$("$elfrun" fix --root "$copy" "$copy/root/m64" 2>&1)
printf '%s\n' "$out"
case_expect "$out" "chroot $copy /sbin/ldconfig" "fix --root's plan"
out=$("$elfrun" fix --apply --root "$copy" "$copy/root/m64" 2>&1)
status=$?
printf '%s\n' "$out"
[ "$status" -eq 0 ] || case_fail "fix --apply --root exited $status, not 0"
in_root ./m64
[ "$in_out" = "Hello World" ] || case_fail "after fix --apply --root, ./m64 did not print Hello World"
"$elfrun" fix --undo --root "$copy" || case_fail "fix --undo --root failed"
listing "$work/outside-after"
same_listing "$work/outside-before" "$work/outside-after" "fix --undo --root did not leave the root as it was"

umount "$copy/proc"
[ "$case_failures" -eq 0 ] || exit 1
echo PASS
