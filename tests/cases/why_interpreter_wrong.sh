#!/bin/sh
# `elfrun why` on a PT_INTERP that is there but unusable (issue 5, finding 6), each built with
# gcc -Wl,--dynamic-linker=... and checked against the kernel's errno:
#   - the 32-bit loader /lib/ld-linux.so.2 for a 64-bit program: ELIBBAD; the `elfrun run` line and the patchelf fix
#     it prints, pasted, make it print Hello World;
#   - a text file: EIO when it is shorter than an ELF header, ELIBBAD when not;
#   - a copy of the loader without execute permission: EACCES;
#   - a program (/bin/true, which has its own PT_INTERP) named as the loader.
# Without gcc, patchelf or python3 the case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools gcc patchelf python3
why_setup
cd "$work" || exit 1

exec_fails_with() {
  python3 -c '
import errno, os, sys
try:
    os.execv(sys.argv[1], [sys.argv[1]])
except OSError as e:
    sys.exit(0 if errno.errorcode[e.errno] == sys.argv[2] else 1)
sys.exit(1)
' "$1" "$2" || case_fail "exec of $1 did not fail with $2"
}

if [ -e /lib/ld-linux.so.2 ]; then
  build_hello wrong -Wl,--dynamic-linker=/lib/ld-linux.so.2
  exec_fails_with ./wrong ELIBBAD
  why_run ./wrong
  expect_status 1
  expect "./wrong will not run: its interpreter /lib/ld-linux.so.2 is a 32-bit i386 file, the program is 64-bit x86-64"
  expect '"Accessing a corrupted shared library"'
  expect "EI_CLASS 1, EI_DATA 1, e_machine 3; the program: EI_CLASS 2, EI_DATA 1, e_machine 62"
  expect "compatible loaders found elsewhere on this machine:"
  expect_codes interpreter-wrong-arch
  expect_hello "$(fix_line 'elfrun run ./wrong')"
  paste "$(fix_line 'patchelf --set-interpreter')"
  expect_hello ./wrong
elif [ "${CI:-}" = true ]; then
  case_fail "/lib/ld-linux.so.2 is missing (Debian package libc6-i386)"
else
  echo "note: no /lib/ld-linux.so.2: the wrong-class interpreter is not checked"
fi

# A text file as the loader: shorter than an ELF header, the kernel's read fails (EIO); longer, the magic (ELIBBAD).
printf 'not a loader\n' >short-loader
python3 -c 'open("text-loader", "w").write("#" * 200 + "\n")'
chmod +x short-loader text-loader
build_hello short -Wl,--dynamic-linker="$work/short-loader"
exec_fails_with ./short EIO
why_run ./short
expect_status 1
expect "./short will not run: its interpreter $work/short-loader is too short to hold an ELF header (13 bytes, 64 needed)"
expect '"Input/output error"'
expect_codes interpreter-not-elf
build_hello text -Wl,--dynamic-linker="$work/text-loader"
exec_fails_with ./text ELIBBAD
why_run ./text
expect_status 1
expect "./text will not run: its interpreter $work/text-loader is not a usable ELF file"
expect '"Accessing a corrupted shared library"'
expect_codes interpreter-not-elf

cp -L /lib64/ld-linux-x86-64.so.2 ld-locked.so
chmod 644 ld-locked.so
build_hello locked -Wl,--dynamic-linker="$work/ld-locked.so"
exec_fails_with ./locked EACCES
why_run ./locked
expect_status 1
expect "./locked will not run: its interpreter $work/ld-locked.so is not executable for you"
expect_codes interpreter-not-executable

build_hello odd -Wl,--dynamic-linker=/bin/true
why_run ./odd
expect_status 1
expect "./odd will not run: its interpreter /bin/true is not a dynamic loader but a program with its own interpreter"
expect_codes interpreter-not-a-loader
expect_hello "$(fix_line 'elfrun run ')"

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
