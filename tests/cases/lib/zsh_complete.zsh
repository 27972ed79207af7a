# zsh_complete.zsh FPATH_DIR LINE: prints the completions an interactive zsh (in a pseudo-terminal, zsh/zpty) offers
# for LINE followed by a Tab, one per line: compadd is wrapped to print what it adds, and comppostfuncs ends it.
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "fpath=($1 \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
# The markers are built at run time (CAND + ':'), so the terminal's echo of these lines never matches them.
zpty -w z 'compadd () { local -a __hits; builtin compadd -O __hits "$@"; local h; for h in $__hits; do print -r -- "CAND""=$h"; done; builtin compadd "$@" }'
zpty -w z 'finish () { print -r -- "DONE""=1"; exit }'
zpty -w z 'comppostfuncs=(finish)'
zpty -w z "$2"$'\t'
while zpty -r z line; do
  line=${line%$'\r'}
  [[ $line == *DONE=1* ]] && break
  [[ $line == *CAND=* ]] && print -r -- "${line#*CAND=}"
done
zpty -d z
