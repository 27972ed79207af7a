#!/bin/sh
# ctest-labels: i386
# ctest-timeout: 1800
# The reference case of SPEC.md, automated. An i386 Debian root (scripts/make-i386-root: debootstrap minbase,
# cached and shared, never modified: this case works on an overlayfs on top of it, or on a copy, in a private mount
# namespace) with /proc mounted, and in it:
#   - a 64-bit glibc at /usr/x86_64-pc-linux-gnu/lib: the runtime files of Debian's libc6-amd64-cross
#     (/usr/x86_64-linux-gnu/lib/ld-linux-x86-64.so.2 and every lib*.so.N), as a Gentoo multilib would have them;
#   - /m64: the dynamically linked 64-bit hello world (PT_INTERP /lib64/ld-linux-x86-64.so.2, absent in the root);
#   - /usr/local/bin/elfrun: an i386 elfrun. It links libstdc++ and libgcc_s dynamically; the minbase root has both
#     (apt depends on libstdc++6), so the ordinary i386 build is installed as it is, and the case checks that it runs.
# Inside `chroot ROOT`: `./m64` fails with "No such file or directory" (bash 5.2: "required file not found"),
# `elfrun run ./m64` prints Hello World with no options, and the fidelity checks of run_fidelity.sh pass for the
# 64-bit probe through the loader (its PT_INTERP missing) and for a copy whose PT_INTERP and RUNPATH point into
# /usr/x86_64-pc-linux-gnu/lib (it runs directly: it is also the reference the loader run is compared with).
# The i386 elfrun: $ELFRUN when it is one (the i386 preset), else $ELFRUN_I386, else one built from this source
# tree with the i386 preset's flags in $ELFRUN_BUILD_DIR/i386-elfrun (once; later runs rebuild what changed).
# Needs root (chroot, mount); otherwise skipped (77), and under CI=true a failure.
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/i386_root.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_root "debootstrap, chroot and mounting /proc and an overlay"
case_need_tools chroot mount umount unshare patchelf file gcc
case_need_elfrun

fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
for fixture in hello-x86_64 probe-x86_64; do
  [ -x "$fixtures/$fixture" ] || { echo "FAIL: build-fixtures.sh did not build $fixture"; exit 1; }
done
cross_lib=/usr/x86_64-linux-gnu/lib
[ -f "$cross_lib/ld-linux-x86-64.so.2" ] && [ -f "$cross_lib/libc.so.6" ] ||
  case_skip "no 64-bit glibc at $cross_lib (Debian package libc6-amd64-cross; scripts/bootstrap installs it)"

i386_elfrun

root=$(sh "$source_dir/scripts/make-i386-root") || {
  echo "FAIL: scripts/make-i386-root could not make the i386 root"
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-run-i386-root.XXXXXX") || exit 1
trap 'rm -rf --one-file-system "$work"' EXIT
mkdir -p "$work/upper" "$work/overlay-work" "$work/merged" "$work/payload" || exit 1
cp "$fixtures/hello-x86_64" "$work/payload/m64" &&
  cp "$fixtures/probe-x86_64" "$work/payload/probe-m64" &&
  cp "$source_dir/tests/cases/lib/run_fidelity.sh" "$work/payload/run_fidelity.sh" &&
  cp "$elfrun_i386" "$work/payload/elfrun" || exit 1
# The reference probe: the same program with its loader and libraries named where the root has them, so that the
# kernel runs it directly inside the root.
cp "$fixtures/probe-x86_64" "$work/payload/probe-ref" &&
  patchelf --set-interpreter /usr/x86_64-pc-linux-gnu/lib/ld-linux-x86-64.so.2 \
    --set-rpath /usr/x86_64-pc-linux-gnu/lib "$work/payload/probe-ref" || exit 1
for library in "$cross_lib/ld-linux-x86-64.so.2" "$cross_lib"/lib*.so.[0-9]*; do
  mkdir -p "$work/payload/glibc64" && cp -L "$library" "$work/payload/glibc64/" || exit 1
done

# Everything below runs in a private mount namespace: the overlay and /proc vanish with it, whatever happens.
cat >"$work/inside.sh" <<'EOF'
set -u
root=${1:?}
work=${2:?}
merged=$work/merged
. "$ELFRUN_I386_ROOT_LIB"  # tests/cases/lib/i386_root.sh
i386_root_overlay "$root" "$work" "$merged"  # exits unless in a private mount namespace, on sane paths
mount -t proc proc "$merged/proc" || { echo "FAIL: cannot mount /proc in the root"; exit 1; }
i386_root_binfmt "$merged"  # the emulated way
mkdir -p "$merged/usr/x86_64-pc-linux-gnu/lib" "$merged/usr/local/bin" "$merged/tmp" &&
  cp "$work/payload/glibc64/"* "$merged/usr/x86_64-pc-linux-gnu/lib/" &&
  cp "$work/payload/m64" "$merged/m64" &&
  cp "$work/payload/elfrun" "$merged/usr/local/bin/elfrun" &&
  cp "$work/payload/probe-m64" "$work/payload/probe-ref" "$work/payload/run_fidelity.sh" "$merged/tmp/" || exit 1

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
inside() {
  chroot "$merged" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C "$@"
}

# The premises: the root is 32-bit, /lib64 has no 64-bit loader, and the i386 elfrun runs there.
[ -e "$merged/lib64/ld-linux-x86-64.so.2" ] && fail "the root already has /lib64/ld-linux-x86-64.so.2"
if ! version=$(inside elfrun --version 2>&1); then
  fail "the i386 elfrun does not run in the root: $version"
fi

# 1. ./m64 fails as SPEC.md says.
said=$(inside /bin/bash -c 'cd / && ./m64' 2>&1)
status=$?
echo "chroot: ./m64 -> status $status: $said"
case $said in
  *"No such file or directory"* | *"required file not found"*) ;;
  *) fail "./m64 in the root said \"$said\", expected \"No such file or directory\" or \"required file not found\"" ;;
esac
[ "$status" -eq 127 ] || fail "./m64 in the root exited $status, expected 127 as bash gives for it"

# 2. elfrun run ./m64: Hello World, no options.
said=$(inside /bin/sh -c 'cd / && elfrun run ./m64' 2>"$work/run.err")
status=$?
echo "chroot: elfrun run ./m64 -> status $status: $said"
[ "$said" = "Hello World" ] && [ "$status" -eq 0 ] ||
  fail "elfrun run ./m64 in the root: status $status, output \"$said\", stderr: $(cat "$work/run.err")"
printed=$(inside /bin/sh -c 'cd / && elfrun run --print ./m64' 2>&1)
echo "chroot: elfrun run --print ./m64 -> $printed"
case $printed in
  /usr/x86_64-pc-linux-gnu/lib/ld-linux-x86-64.so.2\ *--library-path\ /usr/x86_64-pc-linux-gnu/lib*) ;;
  *) fail "elfrun run --print ./m64 should use /usr/x86_64-pc-linux-gnu/lib/ld-linux-x86-64.so.2: $printed" ;;
esac

# 3. The fidelity checks, in the root: through the loader, and directly.
inside sh /tmp/run_fidelity.sh /usr/local/bin/elfrun /tmp/probe-ref /tmp/probe-m64 /tmp/fidelity-loader loader ||
  fail "run_fidelity (loader) in the root"
inside sh /tmp/run_fidelity.sh /usr/local/bin/elfrun /tmp/probe-ref /tmp/probe-ref /tmp/fidelity-direct direct ||
  fail "run_fidelity (direct) in the root"

# Nothing is unmounted by hand: every mount above vanishes with the namespace.
echo "run_i386_root: $failures failures"
[ $failures -eq 0 ]
EOF

ELFRUN_I386_ROOT_LIB=$source_dir/tests/cases/lib/i386_root.sh
export ELFRUN_I386_ROOT_LIB
i386_root_unshare "$root" "$work/inside.sh" "$root" "$work"
