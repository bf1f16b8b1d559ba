# shellcheck shell=bash
# portleak close: sourced by run.sh. A client that leaks CLOSE_WAIT toward
# servers that close at once, and a server with CLOSE_WAIT of its own:
# what portleak closes is what the kernel no longer has, and nothing else.

# kernel_close_wait PID [PORT]: the CLOSE_WAIT sockets in PID's fd table
# (toward remote PORT), as the kernel lists them in /proc/net/tcp{,6}.
kernel_close_wait() {
	local fd link inodes= port=
	[ -n "${2:-}" ] && port=$(printf '%04X' "$2")
	for fd in "/proc/$1/fd/"*; do
		link=$(readlink "$fd" 2>/dev/null) || continue
		case $link in socket:\[*\]) link=${link#socket:[}; inodes+="${link%]} " ;; esac
	done
	awk -v inodes=" $inodes" -v port="$port" '
		FNR > 1 && $4 == "08" && index(inodes, " " $10 " ") {
			split($3, remote, ":")
			if (port == "" || remote[2] == port) n++
		}
		END { print n + 0 }' /proc/net/tcp /proc/net/tcp6
}

wait_close_wait() { # PID N
	local i
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		[ "$(kernel_close_wait "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	fail "pid $1 has $(kernel_close_wait "$1") CLOSE_WAIT sockets, not $2"
}

# The mechanism this kernel should offer first: the kfunc from 6.5 on.
expected_mechanism() {
	local release major minor
	release=$(uname -r)
	major=${release%%.*}
	minor=${release#*.}
	minor=${minor%%[!0-9]*}
	if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 5 ]; }; then
		echo "bpf_sock_destroy"
	else
		echo "sock_diag SOCK_DESTROY"
	fi
}

# Two servers that close every connection at once, a client holding 10
# connections to them (5 each, all CLOSE_WAIT), and a server holding 4
# CLOSE_WAIT of its own.
leak_close_wait() {
	start drop1 "$WORKLOAD" serve -m drop -r "$T/drop1"
	start drop2 "$WORKLOAD" serve -m drop -r "$T/drop2"
	start keeper "$WORKLOAD" serve -m hold -r "$T/keeper"
	wait_for "$T/drop1"
	wait_for "$T/drop2"
	wait_for "$T/keeper"
	PORT1=$(cat "$T/drop1") PORT2=$(cat "$T/drop2")
	start client "$WORKLOAD" connect -p "$PORT1" -P "$PORT2" -n 10 -m hold -r "$T/client"
	start closer "$WORKLOAD" connect -p "$(cat "$T/keeper")" -n 4 -m close -r "$T/closer"
	wait_for "$T/client"
	wait_for "$T/closer"
	wait_close_wait "$client" 10
	wait_close_wait "$keeper" 4
}

test_close_dry_run_then_exactly_the_process() {
	local started mech
	leak_close_wait
	"$PL" close --pid "$client" --hooks "$HOOKS" >"$T/dry" 2>"$T/err" ||
		fail "dry run exited with $?"
	grep -q "^pid $client (tcpwork), started at [0-9]*: 10 CLOSE_WAIT sockets would be closed" "$T/dry" ||
		fail "dry run: $(cat "$T/dry")"
	grep -q "127.0.0.1:$PORT1 .* 5 " "$T/dry" || fail "dry run per peer: $(cat "$T/dry")"
	grep -q "^dry run: nothing closed" "$T/dry" || fail "dry run: $(cat "$T/dry")"
	mech=$(expected_mechanism)
	grep -q "(by $mech)" "$T/dry" || fail "dry run does not name $mech: $(cat "$T/dry")"
	expect "client CLOSE_WAIT after the dry run" "$(kernel_close_wait "$client")" 10
	sed 's/^/    close: /' "$T/dry"
	started=$(sed -n 's/.*--started \([0-9]*\).*/\1/p' "$T/dry")
	# --peer narrows to one server.
	"$PL" close --pid "$client" --started "$started" --peer "127.0.0.1:$PORT2" --yes \
		--hooks "$HOOKS" >"$T/closed" 2>"$T/err" || fail "close --peer exited with $?"
	grep -q "^closed 5 CLOSE_WAIT sockets of pid $client (tcpwork) toward 127.0.0.1:$PORT2$" "$T/closed" ||
		fail "close --peer said: $(cat "$T/closed")"
	expect "log lines on stderr" "$(grep -c "^portleak: closed 127.0.0.1:[0-9]* -> 127.0.0.1:$PORT2 CLOSE_WAIT .* by $mech" "$T/err")" 5
	expect "client CLOSE_WAIT toward the other server" "$(kernel_close_wait "$client" "$PORT1")" 5
	expect "client CLOSE_WAIT toward the closed one" "$(kernel_close_wait "$client" "$PORT2")" 0
	# The rest, by the mechanism the kernel offers best.
	"$PL" close --pid "$client" --yes --hooks "$HOOKS" >"$T/closed" 2>"$T/err" ||
		fail "close exited with $?"
	grep -q "^closed 5 of 5 sockets; the process still holds 5 file descriptors of them" "$T/closed" ||
		fail "close said: $(cat "$T/closed")"
	head -n 1 "$T/err" | sed 's/^/    close: /'
	sed 's/^/    close: /' "$T/closed"
	expect "client CLOSE_WAIT" "$(kernel_close_wait "$client")" 0
	kill -0 "$client" 2>/dev/null || fail "the client did not survive"
	expect "the other process's CLOSE_WAIT" "$(kernel_close_wait "$keeper")" 4
	"$PL" close --pid "$client" --yes --hooks "$HOOKS" >"$T/closed" 2>"$T/err" ||
		fail "a second close exited with $?"
	grep -q "^nothing to close" "$T/closed" || fail "second close said: $(cat "$T/closed")"
	# What close leaves: 10 fds of dead sockets, still the client's.
	snapshot_now
	expect "snapshot after close: dead sockets held" "$(proc "$client" .dead_held)" 10
}

test_close_by_sock_diag_and_kfunc() {
	local rc
	leak_close_wait
	# sock_diag where the kernel can (every kernel of the matrix): the
	# server's own CLOSE_WAIT this time.
	"$PL" close --pid "$keeper" --yes --via sock-diag --hooks "$HOOKS" >"$T/closed" 2>"$T/err"
	rc=$?
	if [ $rc -eq 5 ]; then
		grep -q "CONFIG_INET_DIAG_DESTROY\|sock_diag" "$T/err" || fail "exit 5 without a reason: $(cat "$T/err")"
		echo "    note: no sock_diag destroy here: $(cat "$T/err")"
	else
		expect "close --via sock-diag exit status" "$rc" 0
		grep -q "^closed 4 CLOSE_WAIT sockets of pid $keeper (tcpwork) toward 127.0.0.1 (clients of port $(cat "$T/keeper"))$" "$T/closed" ||
			fail "close --via sock-diag said: $(cat "$T/closed")"
		expect "server CLOSE_WAIT" "$(kernel_close_wait "$keeper")" 0
	fi
	expect "client CLOSE_WAIT" "$(kernel_close_wait "$client")" 10
	# The kfunc: exit 5 with one line before 6.5, closes from 6.5 on.
	"$PL" close --pid "$client" --yes --via kfunc --hooks "$HOOKS" >"$T/closed" 2>"$T/err"
	rc=$?
	if [ "$(expected_mechanism)" = bpf_sock_destroy ]; then
		expect "close --via kfunc exit status" "$rc" 0
		expect "client CLOSE_WAIT" "$(kernel_close_wait "$client")" 0
	else
		expect "close --via kfunc exit status" "$rc" 5
		expect "stderr lines" "$(wc -l <"$T/err")" 1
		grep -q "no bpf_sock_destroy() kfunc (Linux 6.5+)" "$T/err" || fail "exit 5 said: $(cat "$T/err")"
		expect "client CLOSE_WAIT" "$(kernel_close_wait "$client")" 10
	fi
}

test_close_refuses_other_states_and_a_reused_pid() {
	local started args i reused=
	leak_close_wait
	for args in "--state time-wait" "--state listen" "--state established" "--state syn-sent"; do
		# shellcheck disable=SC2086
		"$PL" close --pid "$client" $args --yes >"$T/closed" 2>"$T/err"
		expect "exit status of close $args" "$?" 2
		expect "stderr lines of close $args" "$(wc -l <"$T/err")" 1
	done
	"$PL" close --pid "$client" --state time-wait 2>"$T/err"
	grep -q "tcp_tw_reuse" "$T/err" || fail "TIME_WAIT refusal does not point to tcp_tw_reuse"
	expect "client CLOSE_WAIT" "$(kernel_close_wait "$client")" 10
	"$PL" close --pid "$client" --hooks "$HOOKS" >"$T/dry" 2>"$T/err" || fail "dry run exited with $?"
	started=$(sed -n 's/.*--started \([0-9]*\).*/\1/p' "$T/dry")
	[ -n "$started" ] || fail "no --started in the dry run: $(cat "$T/dry")"
	# The pid goes to another process holding CLOSE_WAIT of its own.
	kill -9 "$client"
	wait "$client" 2>/dev/null
	for ((i = 0; i < 50 && !reused; i++)); do
		echo $((client - 1)) >/proc/sys/kernel/ns_last_pid
		start again "$WORKLOAD" connect -p "$PORT1" -n 3 -m hold -r "$T/again"
		if [ "$again" = "$client" ]; then
			reused=1
		else
			kill -9 "$again"
			wait "$again" 2>/dev/null
			rm -f "$T/again"
		fi
	done
	[ -n "$reused" ] || fail "could not start a process with pid $client again in 50 tries"
	wait_for "$T/again"
	wait_close_wait "$again" 3
	"$PL" close --pid "$client" --started "$started" --yes --hooks "$HOOKS" >"$T/closed" 2>"$T/err"
	expect "exit status for a reused pid" "$?" 1
	grep -q "^portleak: pid $client is another process now (started at [0-9]*, not $started): nothing closed$" "$T/err" ||
		fail "reused pid: $(cat "$T/err")"
	expect "the new process's CLOSE_WAIT" "$(kernel_close_wait "$again")" 3
	"$PL" close --pid 4194304 --yes >"$T/closed" 2>"$T/err"
	expect "exit status for no such process" "$?" 1
}

# A client and its forked child both hold 20 CLOSE_WAIT sockets: reports
# charge them to one and list the other as a holder; close finds them for
# the child too (they are charged to the parent), leaves them open for
# either without --shared, saying who else holds them, and with --shared
# closes them for both.
test_close_shared_sockets() {
	local child
	start_dropping_server
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 20 -m hold -H share -r "$T/client"
	wait_for "$T/client" "child="
	child=$(sed 's/.*child=//' "$T/client")
	PIDS+=("$child")
	wait_close_wait "$client" 20
	wait_close_wait "$child" 20
	# Reports charge each socket once and list who else holds it: from the
	# listing walk (no hooks), and from the fd walk's ADOPT pass (hooks).
	snapshot_now
	expect "holders listed without hooks" \
		"$(proc "$client" "[.holders[] | select(.pid == $child) | .sockets] | first")" 20
	snapshot_now -d 0.3
	expect "holders listed with hooks" \
		"$(proc "$client" "[.holders[] | select(.pid == $child) | .sockets] | first")" 20
	"$PL" close --pid "$child" >"$T/dry" 2>"$T/err" || fail "dry run: exit $?"
	grep -q "^20 matching CLOSE_WAIT sockets are also held by pid $client (tcpwork): left open" "$T/dry" ||
		fail "the child's dry run does not name the parent: $(cat "$T/dry")"
	"$PL" close --pid "$client" --yes >"$T/close" 2>"$T/err" || fail "close: exit $?"
	grep -q "also held by pid $child (tcpwork-child): left open" "$T/close" ||
		fail "close does not name the child: $(cat "$T/close")"
	expect "CLOSE_WAIT left to both without --shared" "$(kernel_close_wait "$child")" 20
	"$PL" close --pid "$client" --yes --shared >"$T/close" 2>"$T/err" || fail "close --shared: exit $?"
	grep -q "^closed 20 of 20 sockets" "$T/close" || fail "close --shared: $(cat "$T/close")"
	expect "CLOSE_WAIT of the child after --shared" "$(kernel_close_wait "$child")" 0
	expect "CLOSE_WAIT of the parent after --shared" "$(kernel_close_wait "$client")" 0
}
