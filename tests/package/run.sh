#!/bin/bash
# make test-package: the help, the man page and the shell completions agree
# with the options each command takes ('portleak help --options'); the .deb
# passes lintian, installs on this host with dpkg, works from /usr/sbin, and
# purges without a trace.
#   tests/package/run.sh DEB
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEB=$1
PL=$ROOT/build/portleak
WORK=$ROOT/build/package-test
COMMANDS="snapshot top watch serve doctor close version"
# shellcheck source=tests/check.sh
. "$ROOT/tests/check.sh"

rm -rf "$WORK"
mkdir -p "$WORK"

# --- the option lists ------------------------------------------------------

# The long names of the options mentioned in a text on stdin; a short one
# (-p) stands for its long name in COMMAND's list.
mentioned() { # COMMAND
	local list
	list=$("$PL" help --options "$1")
	grep -oE '(^|[^A-Za-z0-9-])--?[a-z][a-z0-9-]*' | grep -oE -- '--?[a-z][a-z0-9-]*' |
		while read -r t; do
			case $t in
			--*) echo "$t" ;;
			*) awk -v s="$t" '$2 == s { print $1; found = 1 } END { if (!found) print s }' <<<"$list" ;;
			esac
		done | sort -u
}
taken() { "$PL" help --options "$1" | awk '{ print $1 }' | sort -u; }
# The section of COMMAND in the man page, its roff escapes undone.
man_section() { # COMMAND
	awk -v c="$1" '/^\.SS "portleak / { on = ($0 == ".SS \"portleak " c "\""); next }
		/^\.S[HS]/ { on = 0 } on' "$ROOT/doc/portleak.8" | sed 's/\\-/-/g; s/\\f[BIRP]//g'
}
same_options() { # COMMAND SOURCE: the options SOURCE mentions are those COMMAND takes
	local text
	text=$("$2" "$1")
	[ -n "$text" ] || { echo "no text for $1"; return 1; }
	diff <(taken "$1") <(mentioned "$1" <<<"$text") && [ "$(taken "$1" | wc -l)" -gt 0 ]
}
help_text() { "$PL" help "$1"; }
for c in $COMMANDS; do
	check "$c: --help lists exactly the options it takes" same_options "$c" help_text
	check "$c: the man page lists exactly the options it takes" same_options "$c" man_section
done
# The control: an option the man page leaves out is found.
missing_found() {
	! diff <(taken close) <(man_section close | grep -v -- '--shared' | mentioned close) >/dev/null
}
check "an option missing from the man page is caught" missing_found
man_renders() {
	local warnings
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$ROOT/doc/portleak.8" 2>&1 >"$WORK/man.txt")
	[ -z "$warnings" ] || { echo "$warnings"; return 1; }
	grep -q '^EXIT STATUS' "$WORK/man.txt" && grep -q '^EXAMPLES' "$WORK/man.txt" &&
		grep -q 'TIME_WAIT port exhaustion' "$WORK/man.txt"
}
check "man page renders without a warning" man_renders
bad_command() {
	"$PL" help --options nosuch 2>"$WORK/err"
	[ $? -eq 2 ] && grep -q "unknown command 'nosuch'" "$WORK/err"
}
check "help --options of an unknown command is a usage error" bad_command

# version --json: what a fleet inventory collects, from the build itself.
version_json() {
	local v want_commit want_libbpf
	v=$("$PL" version --json) || return 1
	want_commit=$(git -C "$ROOT" rev-parse --short=12 HEAD)
	want_libbpf=v$(pkg-config --modversion libbpf | cut -d. -f1,2)
	jq -e --arg c "$want_commit" --arg l "$want_libbpf" --arg k "$(uname -r)" '
		(.commit | startswith($c)) and .libbpf == $l and .kernel == $k and
		(.build_date | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")) and
		.btf.available == true and (.version | length > 0)' <<<"$v" >/dev/null ||
		{ echo "$v"; return 1; }
}
check "version --json: commit, build date, libbpf, kernel, BTF" version_json

# --- completions -------------------------------------------------------------

# A process with a name of its own, for -c and -p.
cp /bin/sleep "$WORK/plcomplete"
"$WORK/plcomplete" 600 &
SLEEPER=$!
trap 'kill $SLEEPER 2>/dev/null' EXIT

bash_candidates() { # COMPLETION_FILE WORD...: what the bash function offers
	local file=$1
	shift
	PATH=$(dirname "$PL"):$PATH bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_portleak; printf "%s\n" "${COMPREPLY[@]}"' _ "$file" "$@"
}
bash_offers() { # FILE EXPECTED WORD...: EXPECTED (one per line) is exactly what is offered
	local file=$1 want=$2
	shift 2
	diff <(printf '%s\n' "$want" | sort) <(bash_candidates "$file" "$@" | sort)
}
bash_all_options() { # FILE COMMAND: every option COMMAND takes, and only those
	diff <("$PL" help --options "$2" | tr ' ' '\n' | grep -- '^-' | sort) \
		<(bash_candidates "$1" portleak "$2" - | sort)
}
BASH_FILE=$ROOT/scripts/completion/portleak.bash
bash_checks() { # FILE LABEL
	local f=$1 l=$2 c
	for c in $COMMANDS; do
		check "bash$l: the options of $c" bash_all_options "$f" "$c"
	done
	check "bash$l: commands" bash_offers "$f" "$(printf 'serve\nsnapshot')" portleak s
	check "bash$l: --hooks values" bash_offers "$f" "$(printf 'auto\nfexit\nkprobe\ntracepoint\nclassic')" portleak top --hooks ""
	check "bash$l: --via=VALUE" bash_offers "$f" sock-diag portleak close --via = so
	check "bash$l: -c completes process names" bash_offers "$f" plcomplete portleak snapshot -c plcompl
	check "bash$l: --pid completes pids" bash_offers "$f" "$SLEEPER" portleak close --pid "$SLEEPER"
	check "bash$l: no option for a command that takes none" bash_offers "$f" "" portleak snapshot --yes
}
bash_checks "$BASH_FILE" ""

# zsh: a real interactive zsh on a pseudo-terminal, Tab pressed, and the
# command line read back after it.
zsh_completes() { # DIR LINE EXPECTED
	timeout 60 zsh -f "$ROOT/tests/package/zsh-complete.zsh" "$1" "$(dirname "$PL")" "$2" >"$WORK/zsh.out" ||
		{ echo "zsh timed out or failed"; return 1; }
	[ "$(cat "$WORK/zsh.out")" = "$3" ] || { echo "got '$(cat "$WORK/zsh.out")', want '$3'"; return 1; }
}
zsh_checks() { # DIR LABEL
	local d=$1 l=$2
	check "zsh$l: a command" zsh_completes "$d" "portleak sna" "portleak snapshot "
	check "zsh$l: an option of the command" zsh_completes "$d" "portleak snapshot --js" "portleak snapshot --json "
	check "zsh$l: an option another command takes is not offered" zsh_completes "$d" "portleak doctor --jso" "portleak doctor --jso"
	check "zsh$l: --hooks values" zsh_completes "$d" "portleak top --hooks tr" "portleak top --hooks tracepoint "
	check "zsh$l: -c completes process names" zsh_completes "$d" "portleak watch -c plcompl" "portleak watch -c plcomplete "
	check "zsh$l: --pin-dir completes directories" zsh_completes "$d" "portleak serve --pin-dir $WORK/zsh-di" "portleak serve --pin-dir $WORK/zsh-dir/"
}
mkdir -p "$WORK/zsh-dir"
zsh_checks "$ROOT/scripts/completion" ""

# --- the Debian package -----------------------------------------------------

check "lintian: no error or warning that is not overridden with a reason" \
	lintian --fail-on error,warning "$DEB"

not_installed() {
	! dpkg-query -W -f '${db:Status-Status}' portleak 2>/dev/null | grep -q installed ||
		{ echo "a portleak package is installed already: not touching it (dpkg --purge portleak first)"; return 1; }
}
check "no portleak package installed before the test" not_installed
not_installed >/dev/null || { summary package; exit 1; }
VERSION=$(dpkg-deb -f "$DEB" Version)
check "dpkg -i installs it" dpkg -i "$DEB"
files_intact() { dpkg --verify portleak && [ "$(dpkg -L portleak | while read -r f; do [ -e "$f" ] || echo "$f"; done)" = "" ]; }
check "every file of the package is there, unchanged" files_intact
expected_files() {
	local f
	for f in /usr/sbin/portleak /lib/systemd/system/portleak.service \
		/usr/share/man/man8/portleak.8.gz /usr/share/bash-completion/completions/portleak \
		/usr/share/zsh/vendor-completions/_portleak /usr/share/portleak/portleak.rules.yml \
		/usr/share/portleak/portleak-dashboard.json /usr/share/doc/portleak/copyright \
		/usr/share/doc/portleak/changelog.gz; do
		dpkg -S "$f" >/dev/null || return 1
	done
}
check "the binary, unit, man page, completions, rules, dashboard and docs are in it" expected_files
check "the unit verifies (systemd-analyze)" systemd-analyze verify /lib/systemd/system/portleak.service
not_enabled() { [ -z "$(find /etc/systemd/system -name portleak.service 2>/dev/null)" ]; }
check "the unit is installed, not enabled" not_enabled
check "the unit's user exists" getent passwd portleak
installed_version() { [ "$(/usr/sbin/portleak version --json | jq -r .version)" = "$VERSION" ]; }
check "/usr/sbin/portleak version is the package's" installed_version
check "/usr/sbin/portleak doctor runs" /usr/sbin/portleak doctor
man_installed() { [ "$(man -w portleak)" = /usr/share/man/man8/portleak.8.gz ] && man portleak | grep -q 'portleak close'; }
check "man portleak finds the installed page" man_installed
installed_bash() { PL=/usr/sbin/portleak bash_all_options /usr/share/bash-completion/completions/portleak snapshot; }
check "bash: the installed completion" installed_bash
check "zsh: the installed completion" zsh_completes /usr/share/zsh/vendor-completions "portleak close --star" "portleak close --started="
check "dpkg --purge removes it" dpkg --purge portleak
no_trace() {
	local left
	left=$(for f in /usr/sbin/portleak /lib/systemd/system/portleak.service /usr/share/portleak \
		/usr/share/doc/portleak /usr/share/man/man8/portleak.8.gz \
		/usr/share/bash-completion/completions/portleak /usr/share/zsh/vendor-completions/_portleak \
		/usr/share/lintian/overrides/portleak; do [ -e "$f" ] && echo "$f"; done)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
	! getent passwd portleak && ! getent group portleak && ! dpkg-query -W portleak 2>/dev/null
}
check "nothing is left behind: files, user, group, dpkg record" no_trace

summary package
