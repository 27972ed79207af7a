#!/bin/sh
# `elfrun why` on libraries (issue 5, finding 7), each situation built with gcc and a small library libgreet.so.1,
# and compared with what glibc's loader itself says when the program is run:
#   - missing: the message why quotes is the one the loader prints, and the paths why lists as searched (-v) are the
#     ones LD_DEBUG=libs shows the loader trying, in the same order; with LD_LIBRARY_PATH naming its directory, it
#     runs;
#   - a 32-bit libgreet.so.1 first on the RUNPATH: rejected for its class, with the reason, and the loader's message
#     is then "wrong ELF class: ELFCLASS32";
#   - a garbage file named libgreet.so.1: the loader stops ("invalid ELF header"), as why says;
#   - present under another loader's directories (a [[loader]] of the configuration): the `elfrun run` line, pasted,
#     prints Hello World;
#   - in an ld.so.conf directory but not in ld.so.cache, in a small root (--root): why says to run ldconfig, and the
#     printed `ldconfig -r ROOT`, pasted, makes the program run in a chroot (this part needs root).
# Without gcc or python3 the case is skipped (77; CI: fails).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/why_case.sh"
[ "$(uname -m)" = x86_64 ] || case_skip "the host is $(uname -m), not x86_64"
case_need_tools gcc python3
why_setup
cd "$work" || exit 1

printf 'const char *greet(void) { return "Hello World"; }\n' >greet.c
printf '#include <stdio.h>\nconst char *greet(void);\nint main(void) { puts(greet()); return 0; }\n' >main.c
mkdir -p lib lib32 other
gcc -shared -fPIC -Wl,-soname,libgreet.so.1 -o lib/libgreet.so.1 greet.c || case_fail "gcc could not build libgreet"
ln -s libgreet.so.1 lib/libgreet.so
gcc -o greet-hello main.c -Llib -lgreet -Wl,-rpath,'$ORIGIN/lib32:$ORIGIN/lib',--enable-new-dtags ||
  case_fail "gcc could not build greet-hello"
expect_hello ./greet-hello

# Missing: the loader's own words and its own search order.
mv lib/libgreet.so.1 other/
loader_says=$(./greet-hello 2>&1)
why_run -v ./greet-hello
expect_status 1
expect "./greet-hello will not run: libgreet.so.1 (needed by ./greet-hello) is not found"
case $loader_says in
  *"error while loading shared libraries: libgreet.so.1: cannot open shared object file: No such file or directory"*)
    expect "error while loading shared libraries: libgreet.so.1: cannot open shared object file: No such file or directory" ;;
  *) case_fail "the loader said \"$loader_says\"" ;;
esac
expect_codes library-missing
tried=$(printf '%s\n' "$out" | sed -n '/searched, in the loader.s order/,/^$/p' | sed -n 's/^      \(\/.*\)$/\1/p')
truth=$(LD_DEBUG=libs ./greet-hello 2>&1 | sed -n 's/^ *[0-9]*: *trying file=\(.*\)$/\1/p')
if [ "$tried" != "$truth" ]; then
  case_fail "the paths why lists are not those the loader tries"
  printf 'why:\n%s\nLD_DEBUG=libs:\n%s\n' "$tried" "$truth"
fi

# The environment counts, as it does for the loader.
LD_LIBRARY_PATH=$work/other
export LD_LIBRARY_PATH
why_run -v ./greet-hello
expect_status 0
expect "the environment counts: LD_LIBRARY_PATH=$work/other"
unset LD_LIBRARY_PATH

# A library of the wrong class first on the RUNPATH: skipped, with the reason.
if gcc -m32 -shared -fPIC -Wl,-soname,libgreet.so.1 -o lib32/libgreet.so.1 greet.c 2>/dev/null; then
  loader_says=$(./greet-hello 2>&1)
  why_run ./greet-hello
  expect_status 1
  expect "rejected $work/lib32/libgreet.so.1: wrong ELF class: ELFCLASS32"
  case $loader_says in
    *"error while loading shared libraries: libgreet.so.1: wrong ELF class: ELFCLASS32"*)
      expect "the loader would stop with \"error while loading shared libraries: libgreet.so.1: wrong ELF class: ELFCLASS32\"" ;;
    *) case_fail "the loader said \"$loader_says\"" ;;
  esac
  rm lib32/libgreet.so.1
elif [ "${CI:-}" = true ]; then
  case_fail "gcc -m32 cannot link (gcc-multilib)"
fi

# A garbage file where the loader looks: it stops there.
python3 -c 'open("lib32/libgreet.so.1", "w").write("this is not a library " * 20)'
loader_says=$(./greet-hello 2>&1)
why_run ./greet-hello
expect_status 1
expect "./greet-hello will not run: its loader stops at a file it cannot load: $work/lib32/libgreet.so.1: invalid ELF header"
case $loader_says in
  *"$work/lib32/libgreet.so.1: invalid ELF header"*) ;;
  *) case_fail "the loader said \"$loader_says\", not invalid ELF header" ;;
esac
expect_codes library-fatal
rm lib32/libgreet.so.1

# Under another loader's directories (the configuration names them): elfrun run finds it there.
mkdir -p config/elfrun
printf '[[loader]]\npath = "/lib64/ld-linux-x86-64.so.2"\nlibrary_path = ["%s/other"]\n' "$work" >config/elfrun/config.toml
XDG_CONFIG_HOME=$work/config
export XDG_CONFIG_HOME
why_run ./greet-hello
expect_status 1
expect "a copy is in $work/other, among the libraries of the loader /lib64/ld-linux-x86-64.so.2"
expect_hello "$(fix_line 'elfrun run ')"
unset XDG_CONFIG_HOME

# In an ld.so.conf directory, missing from the cache: a small root with the host's loader and libc.
if [ "$(id -u)" -eq 0 ] && command -v chroot >/dev/null 2>&1; then
  root=$work/root
  mkdir -p "$root/lib64" "$root/lib/x86_64-linux-gnu" "$root/opt/greet/lib" "$root/etc" "$root/usr/bin"
  cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
  cp -L /lib/x86_64-linux-gnu/libc.so.6 "$root/lib/x86_64-linux-gnu/"
  cp other/libgreet.so.1 "$root/opt/greet/lib/"
  printf '/opt/greet/lib\n' >"$root/etc/ld.so.conf"
  gcc -o "$root/usr/bin/greet-hello" main.c -Lother -l:libgreet.so.1 || case_fail "gcc could not build the rooted program"
  why_run --root "$root" "$root/usr/bin/greet-hello"
  expect_status 1
  expect "libgreet.so.1 (needed by $root/usr/bin/greet-hello) is in /opt/greet/lib, which /etc/ld.so.conf lists, but /etc/ld.so.cache does not have it: ldconfig was not run"
  expect_codes library-not-in-cache
  paste "$(fix_line 'ldconfig -r')"
  why_run --root "$root" "$root/usr/bin/greet-hello"
  expect_status 0
  expect_hello "chroot $root /usr/bin/greet-hello"
elif [ "${CI:-}" = true ]; then
  case_fail "the ld.so.conf part needs root (ldconfig -r and chroot)"
else
  echo "note: not root: the ld.so.conf part is not checked"
fi

[ "$case_failures" -eq 0 ] || exit 1
echo PASS
