# zsh -f zsh-complete.zsh FPATH_DIR BIN_DIR LINE: type LINE into an
# interactive zsh whose completions come from FPATH_DIR, press Tab, and
# print the command line Tab left.
zmodload zsh/zpty
dir=$1 bin=$2 line=$3
zpty -b z zsh -f -i
zpty -w z "PS1='>'; PATH=${bin}:\$PATH; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D"
# ^T prints the line between markers; the echo of this definition is told
# apart by the marker's second half, which only the output has.
zpty -w z 'show-line() { print -rn -- $'"'"'\nLINE<'"'"'"$BUFFER"'"'"'>\n'"'"' }; zle -N show-line; bindkey "^T" show-line'
zpty -w z 'print READY$((6*7))'
zpty -r z out '*READY42*'
zpty -n -w z "${line}"$'\t\x14\x15'
zpty -r z out '*LINE<*>'
print -r -- "${${out##*LINE<}%%>*}"
zpty -d z
