#!/bin/sh
# `cmake --install BUILD --prefix P` with DESTDIR installs exactly the expected files, in the GNUInstallDirs places
# (bin, share/man/man1, the completion directories of bash-completion, zsh and fish, share/doc/elfrun), nothing
# outside DESTDIR, for two prefixes; the installed elfrun runs and its man page renders from the staged tree.
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools cmake man
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

commands=$("$elfrun" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
for prefix in /usr /opt/elfrun; do
  stage=$work/stage$(echo "$prefix" | tr / -)
  if ! DESTDIR=$stage cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1; then
    cat "$work/install.log"
    case_fail "cmake --install --prefix $prefix failed"
    continue
  fi
  p=${prefix#/}
  expected=$({
    echo "$p/bin/elfrun"
    echo "$p/share/man/man1/elfrun.1"
    for c in $commands; do echo "$p/share/man/man1/elfrun-$c.1"; done
    echo "$p/share/bash-completion/completions/elfrun"
    echo "$p/share/zsh/vendor-completions/_elfrun"
    echo "$p/share/fish/vendor_completions.d/elfrun.fish"
    echo "$p/share/doc/elfrun/README.md"
    echo "$p/share/doc/elfrun/LICENSE"
  } | sort)
  got=$(cd "$stage" && find . -type f | sed 's|^\./||' | sort)
  echo "# DESTDIR=... cmake --install --prefix $prefix: $(echo "$got" | wc -l) files"
  printf '%s\n' "$got" | sed 's/^/    /'
  [ "$got" = "$expected" ] || {
    printf '%s\n' "$expected" >"$work/expected"
    printf '%s\n' "$got" >"$work/got"
    diff -u "$work/expected" "$work/got"
    case_fail "the installed files for --prefix $prefix are not the expected ones"
  }
  [ -x "$stage/$p/bin/elfrun" ] || case_fail "$prefix/bin/elfrun is not executable"
  "$stage/$p/bin/elfrun" --version | grep -q '^elfrun [0-9]' || case_fail "the installed elfrun --version fails"
  text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$stage/$p/share/man/man1/elfrun-deps.1" 2>&1 | tr -s " ")
  case_expect "$text" "elfrun-deps - resolve" "man -l of the installed elfrun-deps.1"
done
[ "$case_failures" -eq 0 ] || exit 1
