# bash completion for portleak
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The options of each command come from 'portleak help --options COMMAND',
# so this file never falls out of step with the binary it completes.

# Candidates for the value of a flag, by the name --help gives the value.
_portleak_values()
{
	local value=$1 cur=$2

	case $value in
	PID) compgen -W "$(cd /proc 2>/dev/null && printf '%s\n' [0-9]*)" -- "$cur" ;;
	COMM) compgen -W "$(cat /proc/[0-9]*/comm 2>/dev/null | sort -u)" -- "$cur" ;;
	MODE) compgen -W "auto fexit kprobe tracepoint classic" -- "$cur" ;;
	STATE) compgen -W "close-wait established" -- "$cur" ;;
	MECH) compgen -W "auto kfunc sock-diag" -- "$cur" ;;
	USER) compgen -u -- "$cur" ;;
	FILE) compgen -f -- "$cur" ;;
	DIR) compgen -d -- "$cur" ;;
	esac
}

_portleak()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local commands="top snapshot watch serve doctor close version help"
	local self=${COMP_WORDS[0]} cmd=${COMP_WORDS[1]} flags long short value names=()

	COMPREPLY=()
	if ((COMP_CWORD == 1)); then
		mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		return
	fi
	if [[ $cmd == help ]]; then
		mapfile -t COMPREPLY < <(compgen -W "--options $commands" -- "$cur")
		return
	fi
	# --flag=VALUE: bash splits at '=', so the flag is one word further back.
	if [[ $prev == = ]] && ((COMP_CWORD > 2)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == = ]]; then
		cur=
	fi
	command -v "$self" >/dev/null 2>&1 || self=portleak
	flags=$("$self" help --options "$cmd" 2>/dev/null) || return
	while read -r long short value; do
		[[ $short == -* ]] || { value=$short; short=; }
		if [[ -n $value && ($prev == "$long" || (-n $short && $prev == "$short")) ]]; then
			mapfile -t COMPREPLY < <(_portleak_values "$value" "$cur")
			return
		fi
		names+=("$long")
		[[ -z $short ]] || names+=("$short")
	done <<<"$flags"
	[[ -z $cur || $cur == -* ]] || return
	mapfile -t COMPREPLY < <(compgen -W "${names[*]}" -- "$cur")
}

complete -F _portleak portleak
