#!/bin/sh
# ctest-labels: slow
# ctest-timeout: 3600
# elfrun as a Debian package (issue 15), from a copy of this source tree:
#   - `dpkg-buildpackage -b -us -uc` builds elfrun_VERSION_amd64.deb (static preset) and, with --host-arch i386,
#     elfrun_VERSION_i386.deb (static-i386); VERSION is debian/changelog's and the one `elfrun --version` reports;
#   - lintian reports no error for either (its overrides are in debian/elfrun.lintian-overrides);
#   - each .deb has no Depends beyond nothing (one static binary), and installs with dpkg into a debootstrap root of
#     its architecture: amd64 (scripts/make-root amd64) and the i386 reference root (scripts/make-i386-root), each
#     entered through an overlay in a private mount namespace, so the cached roots stay as they are;
#   - there `elfrun why` and `elfrun run` on a hello world whose loader is not where PT_INTERP says (amd64: a
#     PT_INTERP pointing nowhere; i386: the reference case, a 64-bit hello world with its glibc copied to
#     /usr/x86_64-pc-linux-gnu/lib) explain it and print Hello World; the installed man page elfrun-why(1) renders
#     (`man` in the root when it has one, else the host's `man -l` on the installed file), and the completions are
#     where bash-completion, zsh and fish look;
#   - `dpkg -r elfrun` then leaves the file system as it was before `dpkg -i` (a listing of every path, except
#     dpkg's own database and log and the user's elfrun cache under /root/.cache, which is user data).
# ELFRUN_DEB_DIR=DIR takes the .deb files from DIR instead of building them (they take minutes to build), and
# ELFRUN_DEB_ARCHS (default "amd64 i386") limits the architectures, for trying one while the other builds.
# Needs root (dpkg-buildpackage's chroot-free build is fine as any user, but dpkg -i in a root and the overlays are
# not), unshare, overlayfs and the packages scripts/bootstrap installs; else skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/i386_root.sh"
this_case=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

# ---- inside a private mount namespace: install, check and remove one .deb in an overlay of ROOT ----
# package_deb.sh --in-namespace WORK ARCH ROOT DEB
if [ "${1:-}" = --in-namespace ]; then
  work=$2 arch=$3 root=$4 deb=$5
  merged=$work/$arch-merged
  i386_root_private "$root" "$work" "$merged"  # exits unless in a private mount namespace, on sane paths
  mkdir -p "$work/$arch-upper" "$work/$arch-overlay-work" "$merged"
  # In the emulated way's user namespace the overlay keeps its own attributes in user.* xattrs (userxattr): with the
  # trusted.* ones it cannot write there, renaming a directory dpkg made fails with EXDEV.
  overlay_extra=
  [ "${ELFRUN_I386_ROOT_EMULATED:-0}" = 1 ] && overlay_extra=,userxattr
  mount -t overlay overlay \
    -o "lowerdir=$root,upperdir=$work/$arch-upper,workdir=$work/$arch-overlay-work$overlay_extra" "$merged" ||
    case_skip "overlayfs cannot be mounted here"
  mount -t proc proc "$merged/proc" || {
    echo "FAIL: cannot mount /proc in the $arch root"
    exit 1
  }
  i386_root_binfmt "$merged"  # the i386 root entered the emulated way: its dpkg and sh through qemu-i386-static
  in_root() {
    in_out=$(chroot "$merged" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      LC_ALL=C.UTF-8 NO_COLOR=1 /bin/sh -c "cd /root && $1" 2>&1)
    in_status=$?
    printf '# [%s root] %s    (exit %s)\n' "$arch" "$1" "$in_status"
    printf '%s\n' "$in_out" | sed 's/^/    /'
  }
  # Every path of the root, with type and mode, but dpkg's database and log (dpkg -i/-r must change them) and the
  # mounted /proc.
  listing() {
    (cd "$merged" && find . -xdev \( -path ./proc -o -path ./var/lib/dpkg -o -path ./var/log -o -path ./root/.cache \) \
      -prune -o -printf '%y %m %p\n' | sort)
  }

  cp "$work/hello-broken" "$merged/root/hello-broken"
  if [ "$arch" = i386 ]; then
    # The reference case of SPEC.md, set up as tests/cases/why_reference_i386_root.sh sets it up.
    mkdir -p "$merged/usr/x86_64-pc-linux-gnu/lib"
    cp -L /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6 "$merged/usr/x86_64-pc-linux-gnu/lib/"
    cp "$work/hello" "$merged/root/m64"
    program=./m64
    loader=/usr/x86_64-pc-linux-gnu/lib/ld-linux-x86-64.so.2
  else
    program=./hello-broken
    loader=/lib64/ld-linux-x86-64.so.2
  fi
  listing >"$work/$arch-before"
  cp "$deb" "$merged/root/"

  in_root "dpkg -i $(basename "$deb")"
  [ "$in_status" -eq 0 ] || case_fail "dpkg -i in the $arch root failed"
  in_root "command -v elfrun && elfrun --version"
  case_expect "$in_out" "/usr/bin/elfrun" "the $arch root's PATH"
  case_expect "$in_out" "elfrun $version (" "elfrun --version in the $arch root"

  in_root "$program"
  [ "$in_status" -eq 127 ] || [ "$in_status" -eq 126 ] ||
    case_fail "$program ran by itself in the $arch root (exit $in_status): the test has no case to explain"
  in_root "elfrun why $program"
  [ "$in_status" -eq 1 ] || case_fail "elfrun why $program in the $arch root: exit $in_status, expected 1"
  case_expect_parts "$in_out" "will not run;does not exist;fix:;elfrun run $program;$loader" \
    "elfrun why $program in the $arch root"
  in_root "elfrun run $program"
  [ "$in_status" -eq 0 ] && [ "$in_out" = "Hello World" ] ||
    case_fail "elfrun run $program in the $arch root: exit $in_status, \"$in_out\" instead of Hello World"

  for f in usr/share/man/man1/elfrun.1.gz usr/share/man/man1/elfrun-why.1.gz usr/share/man/man1/elfrun-deps.1.gz \
    usr/share/bash-completion/completions/elfrun usr/share/zsh/vendor-completions/_elfrun \
    usr/share/fish/vendor_completions.d/elfrun.fish usr/share/doc/elfrun/copyright; do
    [ -f "$merged/$f" ] || case_fail "the $arch package did not install /$f"
  done
  # The page's text, and apart from it what man and groff say on stderr (the page itself may say "warning").
  if [ -x "$merged/usr/bin/man" ]; then
    in_root "man elfrun-why | head -n 3"
    man_text=$(printf "%s\n" "$in_out" | tr -s " ")
    in_root "man --warnings elfrun-why 2>&1 >/dev/null"
    man_warnings=$in_out
  else
    page=$merged/usr/share/man/man1/elfrun-why.1.gz
    man_text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | tr -s " ")
    man_warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    echo "# (the $arch root has no man: the host's man -l on its /usr/share/man/man1/elfrun-why.1.gz)"
    printf '%s\n' "$man_text" | sed -n 1,4p | sed 's/^/    /'
  fi
  case_expect "$man_text" "elfrun-why - why a program" "man elfrun-why in the $arch root"
  [ -z "$man_warnings" ] || case_fail "man --warnings elfrun-why in the $arch root warns: $man_warnings"

  in_root "dpkg -r elfrun"
  [ "$in_status" -eq 0 ] || case_fail "dpkg -r elfrun in the $arch root failed"
  rm -f "$merged/root/$(basename "$deb")"
  listing >"$work/$arch-after"
  if ! diff -u "$work/$arch-before" "$work/$arch-after" >"$work/$arch-diff"; then
    sed 's/^/    /' "$work/$arch-diff"
    case_fail "dpkg -r elfrun left the $arch root different from before dpkg -i (diff above)"
  else
    echo "$arch root: after dpkg -r, $(wc -l <"$work/$arch-after") paths, as before dpkg -i"
  fi
  # Nothing is unmounted by hand: the overlay, /proc and binfmt_misc vanish with the namespace.
  [ "$case_failures" -eq 0 ]
  exit $?
fi

# ---- outside: build the packages, then one namespace per architecture ----
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "dpkg -i into debootstrap roots, overlay and proc mounts"
case_need_tools dpkg-buildpackage dpkg-parsechangelog dpkg-deb lintian dh gcc patchelf unshare chroot man
unshare --mount --propagation private true 2>/dev/null || case_skip "unshare --mount is not allowed here"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
archs=${ELFRUN_DEB_ARCHS:-amd64 i386}
version=$(cd "$source_dir" && dpkg-parsechangelog -S Version)
export version
echo "debian/changelog: version $version"

if [ -n "${ELFRUN_DEB_DIR:-}" ]; then
  debs=$ELFRUN_DEB_DIR
else
  # A copy of the tree as git sees it (tracked and new files, not what .gitignore leaves out: build/ above all),
  # without .git: built as from a source tarball, so `elfrun --version` says "unknown commit".
  mkdir -p "$work/src/elfrun"
  if git -C "$source_dir" rev-parse --show-toplevel >/dev/null 2>&1; then
    (cd "$source_dir" && git ls-files -z --cached --others --exclude-standard |
      tar -cf - --null --no-recursion -T -) | tar -xf - -C "$work/src/elfrun"
  else
    tar -C "$source_dir" --exclude=./build -cf - . | tar -xf - -C "$work/src/elfrun"
  fi
  for arch in $archs; do
    set -- -b -us -uc -j2
    [ "$arch" = i386 ] && set -- "$@" --host-arch i386
    echo "# dpkg-buildpackage $* (log: $work/build-$arch.log)"
    if ! (cd "$work/src/elfrun" && dpkg-buildpackage "$@") >"$work/build-$arch.log" 2>&1; then
      tail -n 30 "$work/build-$arch.log"
      case_fail "dpkg-buildpackage $* failed"
    fi
  done
  debs=$work/src
fi
[ "$case_failures" -eq 0 ] || exit 1

for arch in $archs; do
  deb=$debs/elfrun_${version}_$arch.deb
  [ -f "$deb" ] || {
    case_fail "no $deb"
    continue
  }
  echo "# dpkg-deb -I $(basename "$deb")"
  dpkg-deb -f "$deb" Package Version Architecture Depends Pre-Depends | sed 's/^/    /'
  [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || case_fail "$deb is not for $arch"
  [ -z "$(dpkg-deb -f "$deb" Depends Pre-Depends)" ] || case_fail "$deb has run-time dependencies"
  changes=$debs/elfrun_${version}_$arch.changes
  [ -f "$changes" ] || changes=$deb
  lintian_out=$(lintian "$changes" 2>&1 | grep -v 'running with root privileges')
  echo "# lintian $(basename "$changes")"
  printf '%s\n' "$lintian_out" | sed 's/^/    /'
  case "$lintian_out" in *"E: "*) case_fail "lintian reports an error for $arch" ;; esac
done
[ "$case_failures" -eq 0 ] || exit 1

# Two programs, built here: a hello world, and a copy whose PT_INTERP names a loader that does not exist.
printf '#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n' >"$work/hello.c"
gcc -O2 -o "$work/hello" "$work/hello.c" || case_fail "gcc cannot build hello world"
cp "$work/hello" "$work/hello-broken"
patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 "$work/hello-broken"

status=0
for arch in $archs; do
  root=$(sh "$source_dir/scripts/make-root" "$arch") || {
    echo "FAIL: scripts/make-root $arch could not make the root"
    exit 1
  }
  if [ "$arch" = i386 ]; then
    # Natively a private mount namespace; on a kernel that does not run i386 programs (or ELFRUN_I386_VIA_QEMU=1) a
    # user namespace with every id mapped and a binfmt_misc handing i386 programs to qemu-i386-static.
    i386_root_unshare_all_ids "$root" "$this_case" --in-namespace "$work" "$arch" "$root" \
      "$debs/elfrun_${version}_$arch.deb" || status=1
  else
    ELFRUN_I386_ROOT_EMULATED=0 unshare --mount --propagation private sh "$this_case" --in-namespace "$work" \
      "$arch" "$root" "$debs/elfrun_${version}_$arch.deb" || status=1
  fi
done
exit $status
