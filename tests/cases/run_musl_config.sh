#!/bin/sh
# A musl program runs when its loader is found only through the configuration ($XDG_CONFIG_HOME/elfrun/config.toml,
# [[loader]] path and library_path). The loader is a copy of /lib/ld-musl-x86_64.so.1 in a temporary directory; the
# program is the musl hello world with PT_INTERP /nonexistent/musl/ld-musl-x86_64.so.1 (patchelf).
#   - With the configuration: `elfrun run ./hello` prints Hello World, through the configured copy (--print names
#     it, and gives it no --inhibit-cache: musl's loader has no such option and would stop with its usage text), and
#     `elfrun loaders` lists the copy as found in that configuration file.
#   - Without it, on this machine musl's standard loader /lib/ld-musl-x86_64.so.1 exists, so the program runs
#     through that one: what is true here, and checked.
#   - And with the standard loader hidden (a private mount namespace binds /dev/null over it; root only): without the
#     configuration no loader is found (127); with it, the program runs. That is "only through the configuration".
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "musl-gcc builds x86-64 programs; the host is $(uname -m)"
case_need_tools musl-gcc patchelf
[ -f /lib/ld-musl-x86_64.so.1 ] || case_skip "no /lib/ld-musl-x86_64.so.1 (Debian package musl)"
case_need_elfrun

newline='
'
fixtures=$build_dir/fixtures
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
[ -x "$fixtures/hello-x86_64-musl" ] || { echo "FAIL: build-fixtures.sh did not build hello-x86_64-musl"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-run-musl-config.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir -p musl config/elfrun empty-config || exit 1
cp -L /lib/ld-musl-x86_64.so.1 musl/ld-musl-x86_64.so.1 || exit 1
cp "$fixtures/hello-x86_64-musl" hello &&
  patchelf --set-interpreter /nonexistent/musl/ld-musl-x86_64.so.1 hello || exit 1
cat >config/elfrun/config.toml <<EOF
# written by tests/cases/run_musl_config.sh
[[loader]]
path = "$work/musl/ld-musl-x86_64.so.1"
library_path = ["$work/musl"]
EOF
# HOME too, so that no ~/.config of the person running the tests takes part.
with_config() { env HOME="$work" XDG_CONFIG_HOME="$work/config" "$@"; }
without_config() { env HOME="$work" XDG_CONFIG_HOME="$work/empty-config" "$@"; }

# The premise: the program does not run by itself.
./hello >/dev/null 2>&1 && case_fail "./hello ran directly: its PT_INTERP was supposed to be missing"

# With the configuration.
said=$(with_config "$elfrun" run ./hello 2>&1)
status=$?
echo "with the configuration: status $status: $said"
[ "$status" -eq 0 ] && [ "$said" = "Hello World" ] ||
  case_fail "with the configuration: status $status, output \"$said\", expected 0 and Hello World"
printed=$(with_config "$elfrun" run --print ./hello 2>&1)
echo "  --print: $printed"
case $printed in
  "$work/musl/ld-musl-x86_64.so.1 "*) ;;
  *) case_fail "with the configuration, --print does not use the configured loader: $printed" ;;
esac
case $printed in
  *--inhibit-cache*) case_fail "a musl loader is given --inhibit-cache, which it does not know: $printed" ;;
esac
listed=$(with_config "$elfrun" loaders 2>&1)
printf '%s\n' "$listed" | grep -A6 "^$work/musl/ld-musl-x86_64.so.1 " |
  grep -q "found: config $work/config/elfrun/config.toml" ||
  case_fail "elfrun loaders does not list the configured loader as found in the configuration: $listed"

# Without it: the standard loader.
said=$(without_config "$elfrun" run ./hello 2>&1)
status=$?
printed=$(without_config "$elfrun" run --print ./hello 2>&1)
echo "without the configuration: status $status: $said; --print: $printed"
[ "$status" -eq 0 ] && [ "$said" = "Hello World" ] ||
  case_fail "without the configuration: status $status, output \"$said\" (the standard musl loader is there)"
case $printed in
  /lib/ld-musl-x86_64.so.1\ * | /usr/lib/ld-musl-x86_64.so.1\ *) ;;
  *) case_fail "without the configuration, --print does not use the standard musl loader: $printed" ;;
esac

# The standard loader hidden: the configuration is the only way.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 && unshare --mount --propagation private true 2>/dev/null
then
  standard=$(readlink -f /lib/ld-musl-x86_64.so.1)
  hidden=$(unshare --mount --propagation private sh -c '
    mount --bind /dev/null "$1" || exit 125
    shift
    env HOME="$1" XDG_CONFIG_HOME="$1/empty-config" "$2" run ./hello; echo "without:$?"
    env HOME="$1" XDG_CONFIG_HOME="$1/config" "$2" run ./hello; echo "with:$?"
  ' hide "$standard" "$work" "$elfrun" 2>&1)
  echo "standard loader hidden: $(printf '%s' "$hidden" | tr '\n' '|')"
  case $hidden in
    *"without:125"*) case_fail "could not hide $standard: $hidden" ;;
    *"no loader"*"without:127"*"Hello World${newline}with:0"*) ;;
    *) case_fail "with $standard hidden: expected 127 without the configuration and Hello World with it: $hidden" ;;
  esac
else
  echo "(not root: the hidden-standard-loader part is not run)"
fi

echo "run_musl_config: $case_failures failures"
[ "$case_failures" -eq 0 ]
