# shellcheck shell=bash
# One result line per check, for the suites that are a list of checks
# (tests/k8s, tests/package). Source it after setting WORK, a scratch
# directory; end with 'summary NAME'.
passed=0
failed=0

check() { # WHAT CMD...: run CMD; "ok WHAT", or "FAIL WHAT" and its output
	local what=$1
	shift
	if "$@" >"$WORK/out" 2>&1; then
		echo "  ok   $what"
		passed=$((passed + 1))
	else
		echo "  FAIL $what"
		sed 's/^/    /' "$WORK/out"
		failed=$((failed + 1))
	fi
}

summary() { # NAME: the counts; the exit status of the suite
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
