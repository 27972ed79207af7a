#!/bin/sh
# The man pages the build rendered (build/man, from docs/man/*.md through pandoc) format without a single warning:
# `man --warnings -l PAGE` (man-db: groff -ww through tbl and preconv, at 80 columns) and `groff -Tutf8 -ww -z -t -k
# -man PAGE` print nothing on stderr. There is a page for elfrun itself and one for each command `elfrun --help`
# lists, and none for a command that does not exist; each has the sections a man page needs, and the version it
# shows is the build's.
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools man groff
man_dir=$build_dir/man
[ -d "$man_dir" ] || {
  echo "FAIL: no $man_dir: the build rendered no man pages (pandoc missing? ELFRUN_MAN=OFF?)"
  exit 1
}

commands=$("$elfrun" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' | sort)
[ -n "$commands" ] || case_fail "elfrun --help lists no commands"
expected=$(for c in $commands; do echo "elfrun-$c.1"; done; echo elfrun.1)
expected=$(echo "$expected" | sort | tr '\n' ' ')
present=$(cd "$man_dir" && ls -- *.1 | sort | tr '\n' ' ')
echo "pages: $present"
[ "$present" = "$expected" ] || case_fail "the pages are \"$present\", expected one per command: \"$expected\""

version=$("$elfrun" --version | awk '{ print $2 }')
for page in "$man_dir"/*.1; do
  name=$(basename "$page")
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [ -z "$warnings" ] || case_fail "man --warnings -l $name: $warnings"
  warnings=$(groff -Tutf8 -ww -z -t -k -man "$page" 2>&1)
  [ -z "$warnings" ] || case_fail "groff -ww $name: $warnings"
  text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null)
  for section in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES "SEE ALSO"; do
    case_expect "$text" "$section" "$name"
  done
  case_expect "$text" "elfrun $version" "$name (its footer)"
  echo "$name: $(printf '%s\n' "$text" | wc -l) lines"
done
[ "$case_failures" -eq 0 ] || exit 1
