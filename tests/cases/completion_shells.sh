#!/bin/sh
# The completion scripts the build generated (build/completions, from `elfrun completion SHELL`, i.e. from the same
# CLI11 definitions as --help) are loaded in their real shells, and each offers, for `elfrun ` the visible commands
# and for `elfrun deps --f` the option --format:
#   - bash: bash-completion's own bash_completion sourced, then the script; COMP_WORDS/COMP_CWORD set as readline
#     sets them, the function that `complete -p elfrun` names called, COMPREPLY read;
#   - zsh: an interactive zsh in a pseudo-terminal (zpty), compinit with the script in fpath, the line typed with a Tab;
#   - fish: `fish -c 'complete -C LINE'`, fish's own completion of a command line, non-interactively.
# The expected commands are those `elfrun --help` lists, so a new command that the completion missed fails here.
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools bash zsh fish
[ -f /usr/share/bash-completion/bash_completion ] || case_skip "bash-completion is not installed"
completions=$build_dir/completions
for f in bash/elfrun zsh/_elfrun fish/elfrun.fish; do
  [ -s "$completions/$f" ] || case_fail "the build did not generate $completions/$f"
done
[ "$case_failures" -eq 0 ] || exit 1

# The commands --help lists (CLI11: a "Subcommands:" section, one "  NAME  description" line each).
commands=$("$elfrun" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' | sort | tr '\n' ' ')
[ -n "$commands" ] || case_fail "elfrun --help lists no commands"
echo "commands in --help: $commands"

# check SHELL WHAT GOT WANT: GOT (one completion per line) sorted must be WANT (space-separated).
check() {
  got=$(printf '%s\n' "$3" | sed 's/[[:space:]].*//' | sed '/^$/d' | sort -u | tr '\n' ' ')
  echo "$1, $2: $got"
  [ "$got" = "$4" ] || case_fail "$1 completes $2 as \"$got\", expected \"$4\""
}

bash_complete() {
  bash -c '
    . /usr/share/bash-completion/bash_completion
    . "$1/bash/elfrun"
    function=$(complete -p elfrun | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
    shift
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    read -ra COMP_WORDS <<<"$COMP_LINE"
    [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    "$function" elfrun "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' bash_complete "$completions" "$@"
}
check bash "elfrun " "$(bash_complete 'elfrun ')" "$commands"
check bash "elfrun deps --f" "$(bash_complete 'elfrun deps --f')" "--format "

zsh_complete() {
  timeout 60 zsh -f "$source_dir/tests/cases/lib/zsh_complete.zsh" "$completions/zsh" "$1"
}
check zsh "elfrun " "$(zsh_complete 'elfrun ')" "$commands"
check zsh "elfrun deps --f" "$(zsh_complete 'elfrun deps --f')" "--format "

fish_complete() {
  fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$completions/fish/elfrun.fish" "$1"
}
check fish "elfrun " "$(fish_complete 'elfrun ')" "$commands"
check fish "elfrun deps --f" "$(fish_complete 'elfrun deps --f')" "--format "

# File arguments: a file name completes where a file is expected (deps FILE, --root DIR), in each shell.
mkdir -p "$build_dir/completion-test" && cd "$build_dir/completion-test" && : >some-program.elf
check bash "elfrun deps some-" "$(bash_complete 'elfrun deps some-')" "some-program.elf "
check fish "elfrun deps --root some-" "$(fish_complete 'elfrun deps --root some-')" "some-program.elf "
check zsh "elfrun info some-" "$(zsh_complete 'elfrun info some-')" "some-program.elf "
cd / && rm -rf "$build_dir/completion-test"

[ "$case_failures" -eq 0 ] || exit 1
echo "completions: bash, zsh and fish agree with elfrun --help"
