#!/bin/bash
# portleak integration tests: the real kernel, real sockets, real processes.
# Each test starts tcpwork workloads, asks portleak (the BPF programs loaded
# into the running kernel) about them, and checks what it says about the
# workloads' own pids. Run as root.
#
#   tests/integration/run.sh [TEST...]        all tests, or the named ones
#   PORTLEAK_TEST_HOOKS="auto classic"        hook modes to run the suite in
#   PORTLEAK_TEST_SETTLE=4                    wait 4 times longer for the kernel
#   PORTLEAK_BIN=build/asan/portleak          test another build of portleak
#   PORTLEAK_TEST_ASAN=1                      it is an AddressSanitizer build
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PL=${PORTLEAK_BIN:-$ROOT/build/portleak} # an ASan build, say
WORKLOAD=$ROOT/build/tests/tcpwork
MODES=${PORTLEAK_TEST_HOOKS:-auto classic}
SETTLE=${PORTLEAK_TEST_SETTLE:-1} # scales the waits for softirq work (slow VMs: more)
# Waits end after 200 x 0.05 s, times SETTLE: an emulated kernel on a busy
# host can take several seconds to load the agent or run a workload.
TIMEOUT_STEPS=$(awk -v f="$SETTLE" 'BEGIN { print int(200 * (f < 1 ? 1 : f)) }')
# The line portleak prints once its programs are attached. Only this line:
# the notes before it (a file system mounted, say) may name "tracing" too.
READY_LINE='^portleak: tracing,'

# --- per-test helpers (each test runs in its own subshell) -------------------

PIDS=()
NETNS=()
AGENT=
PINDIR= # serve --pin-dir of the test, on bpffs
CGROUPS=() # cgroups the test made, removed once their processes are gone

cleanup() {
	{
		[ ${#PIDS[@]} -gt 0 ] && kill -9 "${PIDS[@]}"
		[ -n "$AGENT" ] && kill -9 "$AGENT"
		pkill -9 -f "$T/" # any workload left: each writes its ready file there
		wait
		for ns in "${NETNS[@]}"; do ip netns del "$ns"; done
		# JIT perf maps (jcmd Compiler.perfmap): a later process given
		# the same pid must not find one that is not its own
		for p in "${PIDS[@]}"; do rm -f "/tmp/perf-$p.map"; done
		[ -n "$PINDIR" ] && rm -rf "$PINDIR"
		mountpoint -q "$T/bpffs" && umount "$T/bpffs"
		for cg in "${CGROUPS[@]}"; do rmdir "$cg"; done
	} 2>/dev/null
	rm -rf "$T"
}

fail() {
	echo "    FAIL: $*"
	if [ -s "$T/err" ]; then sed 's/^/    portleak stderr: /' "$T/err"; fi
	# What portleak reported, in short, for the logs of slow machines.
	jq -c '{lost, sockets}, (.processes[] | {pid, comm, sockets, opened, closed, failures})' \
		"$T/out.json" 2>/dev/null | head -n 20 | sed 's/^/    report: /'
	exit 1
}

# start NAME CMD...: run a workload in the background; its pid in $NAME.
start() {
	local name=$1
	shift
	"$@" &
	PIDS+=($!)
	printf -v "$name" '%s' $!
}

wait_for() { # FILE [PATTERN]
	local i start=$EPOCHREALTIME
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		if [ -s "$1" ] && grep -q "${2:-.}" "$1"; then
			# A slow wait is worth knowing about before it becomes a timeout.
			[ "$(elapsed_us "$start")" -lt 3000000 ] ||
				echo "    note: waited $(elapsed "$start") s for $1 ${2:-}" >&2
			return 0
		fi
		sleep 0.05
	done
	fail "timed out after $(elapsed "$start") s waiting for $1 ${2:-}$([ -s "$1" ] && printf ' (it says: %s)' "$(head -c 1000 "$1")")"
}

elapsed_us() { # START: microseconds since $EPOCHREALTIME was START
	echo $((${EPOCHREALTIME/./} - ${1/./}))
}

elapsed() { # START: the same in seconds, one decimal
	local us
	us=$(elapsed_us "$1")
	printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))
}

# settle SECS: wait for softirq and timer work, longer on slow machines.
settle() {
	sleep "$(awk -v s="$1" -v f="$SETTLE" 'BEGIN { print s * f }')"
}

# The kernel's own TIME_WAIT counters (TcpExt), for a failure message.
tw_counters() {
	awk '/^TcpExt:/ && !names { split($0, name); names = 1; next }
		/^TcpExt:/ { for (i = 2; i <= NF; i++)
			if (name[i] ~ /^(TW|TWKilled|TWRecycled|TCPTimeWaitOverflow)$/) printf "%s=%s ", name[i], $i }' \
		/proc/net/netstat
}

# ss_states FILTER: how many sockets ss lists in each state, for a failure
# message.
ss_states() {
	ss -tanH "$1" | awk '{ n[$1]++ } END { for (s in n) printf "%s %d ", s, n[s] }'
}

# wait_time_wait PORT N [none-ok]: until the kernel has N sockets toward
# PORT in TIME_WAIT (the peer's close may lag on a slow machine); sets TW
# to the kernel's count, which the test then expects of portleak. Emulated
# kernels have been seen to keep fewer TIME_WAIT than a burst of 10 made
# (one or two fewer; twice, early after a boot of 6.1, two or none),
# without a trace in ss: once nothing toward PORT but the same TIME_WAIT
# count has been left for 20 looks in a row, that count is taken (with a
# note) if it is not 0. None kept fails, with the kernel's counters, or
# returns 1 with none-ok (the caller makes the burst again). A TIME_WAIT
# lasts 60 s, so the wait ends well before the first one could expire.
wait_time_wait() {
	local i look others quiet=0 prev=-1 seen='' start=$EPOCHREALTIME both="( dport = :$1 or sport = :$1 )"
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		# One look: TIME_WAIT toward PORT, and sockets of PORT in any other
		# state than TIME_WAIT and LISTEN (a teardown not over yet).
		look=$(ss -tanH "$both" | awk -v p=":$1" '
			$1 == "TIME-WAIT" && substr($5, length($5) - length(p) + 1) == p { tw++ }
			$1 != "TIME-WAIT" && $1 != "LISTEN" { o++ }
			END { print tw + 0, o + 0 }')
		TW=${look% *} others=${look#* }
		[ "$TW" = "$2" ] && return 0
		if [ "$others" = 0 ] && [ "$TW" = "$prev" ]; then
			quiet=$((quiet + 1))
		else
			quiet=0
		fi
		[ "$TW" = "$prev" ] || seen+=" $TW"
		prev=$TW
		if [ "$quiet" -ge 20 ] && [ "$TW" -gt 0 ]; then
			echo "    note: the kernel kept $TW of $2 TIME_WAIT toward port $1" >&2
			return 0
		fi
		if [ "$quiet" -ge 20 ] && [ "${3:-}" = none-ok ]; then
			echo "    note: the kernel kept none of $2 TIME_WAIT toward port $1 ($(tw_counters))" >&2
			return 1
		fi
		[ "$quiet" -lt 20 ] && [ "$(elapsed_us "$start")" -lt 40000000 ] || break
		sleep 0.05
	done
	fail "no $2 TIME_WAIT toward port $1 after $(elapsed "$start") s (counts seen:$seen; ss: $(ss_states "$both"); kernel: $(tw_counters))"
}

# time_wait_burst NAME PORT N: a client, its pid in $NAME, makes N
# connections to PORT and closes each first; then waits, as wait_time_wait
# does, for their TIME_WAIT (TW). If the kernel kept none of them, the
# burst is made once more, by a new client.
time_wait_burst() {
	local try
	for try in 1 2; do
		rm -f "$T/$1"
		start "$1" "$WORKLOAD" connect -p "$2" -n "$3" -m close -r "$T/$1"
		wait_for "$T/$1"
		expect "$1 connections" "$(cat "$T/$1")" "connected=$3 failed=0 errno=0"
		wait_time_wait "$2" "$3" "$([ "$try" = 1 ] && echo none-ok)" && return 0
	done
}

# wait_half_closed PORT N: until the kernel has N sockets toward PORT whose
# FIN the peer acknowledged (FIN-WAIT-2, or TIME-WAIT): then each has
# reached CLOSE, where portleak counts it closed. The ACK may come late
# (delayed) on an emulated kernel.
wait_half_closed() {
	local i n start=$EPOCHREALTIME
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		n=$(ss -tanH "( dport = :$1 )" | awk '$1 == "FIN-WAIT-2" || $1 == "TIME-WAIT" { n++ } END { print n + 0 }')
		[ "$n" = "$2" ] && return 0
		sleep 0.05
	done
	fail "$n of $2 sockets toward port $1 half-closed after $(elapsed "$start") s: $(ss_states "( dport = :$1 )")"
}

# timewait_socks PORT: sockets toward PORT that the kernel holds as
# timewait sockets (the full socket reached CLOSE), FIN_WAIT2 ones included.
# An orphan whose FIN's ACK came while its owner held the socket stays a
# full FIN_WAIT2 socket until its timer, up to tcp_fin_timeout.
timewait_socks() {
	ss -tanoH "( dport = :$1 )" | grep -c 'timer:(timewait' || true
}

# The agent traces from agent_start until agent_report.
agent_start() {
	rm -f "$T/err" # a line from an earlier agent is no sign of this one
	"$PL" snapshot -d 600 --json --hooks "$HOOKS" "$@" >"$T/out.json" 2>"$T/err" &
	AGENT=$!
	wait_for "$T/err" "$READY_LINE"
}

agent_report() {
	local rc
	settle "${1:-0.3}"
	kill -TERM "$AGENT"
	wait "$AGENT"
	rc=$?
	AGENT=
	[ $rc -eq 0 ] || fail "portleak snapshot exited with $rc"
	jq -e .version "$T/out.json" >/dev/null || fail "portleak did not print JSON"
}

# prefork_and_client N: a pre-fork server ($server listens, $child accepts)
# and a client ($client) holding N connections to it.
prefork_and_client() {
	start server "$WORKLOAD" serve -m hold -H fork -r "$T/server"
	wait_for "$T/server"
	child=$(cat "$T/server.child")
	PIDS+=("$child")
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n "$1" -m hold -r "$T/client"
	wait_for "$T/client" "connected=$1"
}

snapshot_now() {
	"$PL" snapshot -d 0 --json --hooks "$HOOKS" "$@" >"$T/out.json" 2>"$T/err" ||
		fail "portleak snapshot exited with $?"
}

HALF_CLOSED='[.sockets.FIN_WAIT1, .sockets.FIN_WAIT2, .sockets.TIME_WAIT] | map(. // 0) | add'

# proc PID FILTER: jq FILTER applied to the process with that pid.
proc() {
	jq -r --argjson pid "$1" "[.processes[] | select(.pid == \$pid)] | first | $2" "$T/out.json"
}

expect() { # WHAT ACTUAL EXPECTED
	[ "$2" == "$3" ] || fail "$1: got '$2', expected '$3'"
}

# expect_count WHAT ACTUAL EXPECTED: exact, unless the kernel skipped BPF
# runs (reported as lost.missed_runs): then each may have lost one socket.
expect_count() {
	local missed
	missed=$(jq '.lost.missed_runs // 0' "$T/out.json")
	if [ "$missed" -gt 0 ] && [ "${2:-0}" -le "$3" ] && [ "$((${2:-0} + missed))" -ge "$3" ]; then
		echo "    note: $1: $2 of $3, $missed BPF runs missed (reported)"
		return 0
	fi
	expect "$1" "$2" "$3"
}

# expect_ok WHAT VERDICT: ok, or incomplete when the kernel skipped BPF runs
# (lost.missed_runs): an OK is then only "nothing seen", and portleak says so.
expect_ok() {
	if [ "$2" = incomplete ] && [ "$(jq '.lost.missed_runs // 0' "$T/out.json")" -gt 0 ]; then
		echo "    note: $1: incomplete, BPF runs missed (reported)"
		return 0
	fi
	expect "$1" "$2" ok
}

# --- tests --------------------------------------------------------------------

test_close_wait_charged_to_server() {
	agent_start
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 5 -m close -r "$T/client"
	wait_for "$T/client"
	local port tw_before tw_after closed
	port=$(cat "$T/server")
	wait_half_closed "$port" 5
	tw_before=$(timewait_socks "$port")
	agent_report
	tw_after=$(timewait_socks "$port")
	expect_count "server CLOSE_WAIT" "$(proc "$server" '.sockets.CLOSE_WAIT')" 5
	expect_count "server accepted (opened)" "$(proc "$server" .opened)" 5
	expect "client CLOSE_WAIT" "$(proc "$client" '.sockets.CLOSE_WAIT // 0')" 0
	# The client's orphaned half-closed sockets have no fd (most are
	# timewait sockets by now, with no owner in the kernel): still charged
	# to it by portleak.
	expect_count "client half-closed sockets" "$(proc "$client" "$HALF_CLOSED")" 5
	expect_count "client opened" "$(proc "$client" .opened)" 5
	# Closed: each that the kernel turned into a timewait socket, which
	# it had done for tw_before of them before the report, tw_after after.
	closed=$(proc "$client" .closed)
	if [ "$closed" -lt "$tw_before" ] || [ "$closed" -gt "$tw_after" ]; then
		expect_count "client closed" "$closed" "$tw_after"
	fi
}

test_established_growth_on_client() {
	agent_start
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 20 -m hold -r "$T/client"
	wait_for "$T/client"
	agent_report
	expect_count "client ESTABLISHED" "$(proc "$client" .sockets.ESTABLISHED)" 20
	expect_count "client opened" "$(proc "$client" .opened)" 20
	expect "client closed" "$(proc "$client" .closed)" 0
	# 20 opened in a second and held: a pool filling up, not yet a trend
	expect_ok "client verdict" "$(proc "$client" .verdict)"
	expect_count "server ESTABLISHED" "$(proc "$server" .sockets.ESTABLISHED)" 20
	expect "server LISTEN" "$(proc "$server" .sockets.LISTEN)" 1
	expect "destination ports in use" "$(jq --argjson p "$(cat "$T/server")" \
		'[.destinations[] | select(.dport == $p)] | first | .ports_in_use' "$T/out.json")" 20
}

test_sockets_opened_before_portleak() {
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 7 -m hold -r "$T/client"
	wait_for "$T/client"
	snapshot_now
	expect "client ESTABLISHED" "$(proc "$client" .sockets.ESTABLISHED)" 7
	expect "server ESTABLISHED" "$(proc "$server" .sockets.ESTABLISHED)" 7
	expect "server LISTEN" "$(proc "$server" .sockets.LISTEN)" 1
	expect "client comm" "$(proc "$client" .comm)" tcpwork
}

# A one-shot snapshot keeps no ledger: the fd walk lists every holder of a
# socket, and the first one found keeps it, as the ledger would. The
# pre-fork server's listener is held by the parent and by its child.
test_snapshot_charges_a_shared_socket_once() {
	local child
	prefork_and_client 6
	snapshot_now
	expect "parent LISTEN" "$(proc "$server" '.sockets.LISTEN // 0')" 1
	expect "child LISTEN" "$(proc "$child" '.sockets.LISTEN // 0')" 0
	expect "child ESTABLISHED" "$(proc "$child" '.sockets.ESTABLISHED // 0')" 6
	expect "client ESTABLISHED" "$(proc "$client" '.sockets.ESTABLISHED // 0')" 6
}

test_time_wait_charged_to_active_closer() {
	agent_start
	start server "$WORKLOAD" serve -m close -r "$T/server"
	wait_for "$T/server"
	local port
	port=$(cat "$T/server")
	time_wait_burst client "$port" 10
	agent_report
	expect_count "client TIME_WAIT" "$(proc "$client" '.sockets.TIME_WAIT // 0')" "$TW"
	expect "server TIME_WAIT" "$(proc "$server" '.sockets.TIME_WAIT // 0')" 0
	expect "destination TIME_WAIT" "$(jq --argjson p "$port" \
		'[.destinations[] | select(.dport == $p)] | first | .time_wait' "$T/out.json")" "$TW"
}

test_time_wait_older_than_portleak_is_unknown() {
	start server "$WORKLOAD" serve -m close -r "$T/server"
	wait_for "$T/server"
	local port
	port=$(cat "$T/server")
	time_wait_burst client "$port" 4
	snapshot_now --port "$port"
	expect "unknown owner TIME_WAIT" "$(proc 0 .sockets.TIME_WAIT)" "$TW"
	expect "unknown owner flag" "$(proc 0 .unknown_owner)" true
	expect "client listed" "$(proc "$client" .pid)" null
}

# exhaust_in_netns [-6]: 25 connections to one destination in a namespace
# whose ephemeral range holds 10 ports.
exhaust_in_netns() {
	local ns=portleak-test-$$ addr=127.0.0.1
	[ "${1:-}" = -6 ] && addr=::1
	ip netns add "$ns" || fail "cannot create network namespace"
	NETNS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -q -w net.ipv4.ip_local_port_range="40000 40009"
	agent_start
	start server ip netns exec "$ns" "$WORKLOAD" serve "$@" -p 8080 -m hold -r "$T/server"
	wait_for "$T/server"
	start client ip netns exec "$ns" "$WORKLOAD" connect "$@" -p 8080 -n 25 -m hold -r "$T/client"
	wait_for "$T/client"
	agent_report
	grep -q "connected=10 failed=15 errno=99" "$T/client" ||
		fail "workload did not exhaust the range: $(cat "$T/client")"
	local peer=$addr:8080
	[ "$addr" = ::1 ] && peer="[::1]:8080"
	expect "client connect_failures" "$(proc "$client" .connect_failures)" 15
	# Counted once, though both the state hook and connect()'s exit see it.
	expect "client failed connects" "$(proc "$client" \
		"[.failures[] | select(.call == \"connect\" and .errno == \"EADDRNOTAVAIL\" and .peer == \"$peer\") | .count] | add")" 15
	expect "failure destination" "$(proc "$client" .connect_failure_destination)" "$peer"
	expect "client verdict" "$(proc "$client" .verdict)" ports
	local dest="[.destinations[] | select(.dport == 8080 and .daddr == \"$addr\")] | first"
	expect "destination ports in use" "$(jq "$dest | .ports_in_use" "$T/out.json")" 10
	expect "destination range" "$(jq "$dest | .range" "$T/out.json")" 10
	expect "destination failures" "$(jq "$dest | .connect_failures" "$T/out.json")" 15
	expect "destination utilization" "$(jq "$dest | .utilization" "$T/out.json")" 1
	expect "destination ports free" "$(jq "$dest | .ports_free" "$T/out.json")" 0
}

test_ephemeral_exhaustion_in_netns() {
	exhaust_in_netns
}

test_ipv6_ephemeral_exhaustion_in_netns() {
	exhaust_in_netns -6
}

# bind_free_port: the workload "first" binds and listens on a port nobody
# uses; sets the caller's port.
bind_free_port() {
	for port in $(shuf -i 20000-30000 -n 20); do
		rm -f "$T/first"
		start first "$WORKLOAD" bind -p "$port" -r "$T/first"
		wait_for "$T/first"
		grep -q ok "$T/first" && return 0
	done
	fail "no free port to bind"
}

test_bind_conflict_on_second_process() {
	local port
	agent_start
	bind_free_port
	start second "$WORKLOAD" bind -p "$port" -r "$T/second"
	wait_for "$T/second"
	expect "second bind() result" "$(cat "$T/second")" "errno=98"
	agent_report
	expect "second bind_failures" "$(proc "$second" .bind_failures)" 1
	expect "second failure port" "$(proc "$second" .bind_failure_port)" "$port"
	expect "second failure errno" "$(proc "$second" .bind_failure_errno)" EADDRINUSE
	expect "second verdict" "$(proc "$second" .verdict)" ports
	expect "first bind_failures" "$(proc "$first" .bind_failures)" 0
	expect "first LISTEN" "$(proc "$first" .sockets.LISTEN)" 1
}

test_ipv6_close_wait_charged_to_server() {
	agent_start
	start server "$WORKLOAD" serve -6 -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -6 -p "$(cat "$T/server")" -n 3 -m close -r "$T/client"
	wait_for "$T/client"
	agent_report
	expect_count "server CLOSE_WAIT" "$(proc "$server" .sockets.CLOSE_WAIT)" 3
	expect "client CLOSE_WAIT" "$(proc "$client" '.sockets.CLOSE_WAIT // 0')" 0
	expect_count "client half-closed sockets" "$(proc "$client" "$HALF_CLOSED")" 3
	case $(proc "$server" .close_wait_peer) in
	"::1") ;;
	*) fail "server CLOSE_WAIT peer is not [::1]: $(proc "$server" .close_wait_peer)" ;;
	esac
}

test_leak_verdict_after_age() {
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	agent_start --leak-age 1
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 2 -m close -r "$T/client"
	wait_for "$T/client"
	agent_report 1.5
	expect "server verdict" "$(proc "$server" .verdict)" leak
	case $(proc "$server" '.reasons[0]') in
	"2 CLOSE_WAIT (2 to 127.0.0.1), oldest "*"does not close after the peer does; no connection to that peer moves data"*) ;;
	*) fail "reason: $(proc "$server" '.reasons[0]')" ;;
	esac
}

test_filters() {
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 3 -m hold -r "$T/client"
	wait_for "$T/client"
	snapshot_now -p "$client"
	expect "processes with -p" "$(jq '[.processes[].pid] | unique | join(",")' -r "$T/out.json")" "$client"
	snapshot_now -c no-such-comm
	expect "processes with -c" "$(jq '.processes | length' "$T/out.json")" 0
	snapshot_now --port "$(cat "$T/server")" -c tcpwork
	expect "server with --port" "$(proc "$server" .sockets.ESTABLISHED)" 3
	expect "client with --port" "$(proc "$client" .sockets.ESTABLISHED)" 3
}

test_text_view() {
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	"$PL" snapshot -d 0 --hooks "$HOOKS" -p "$server" >"$T/out.txt" 2>"$T/err" || fail "exit $?"
	grep -qE "^ *$server tcpwork " "$T/out.txt" || fail "no row for $server: $(cat "$T/out.txt")"
	grep -q "^    PID COMM" "$T/out.txt" || fail "no table header"
}

# A CLOSE_WAIT leak: server $server holds what client $client closed.
start_leak() {
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n "$1" -m close -r "$T/client"
	wait_for "$T/client"
}

test_top_batch_puts_leak_first() {
	start_leak 5
	"$PL" top -b -n 4 -d 0.5 --leak-age 1 --hooks "$HOOKS" >"$T/top.txt" 2>"$T/err" ||
		fail "top -b exited with $?"
	expect "refreshes" "$(grep -c '^portleak top - ' "$T/top.txt")" 4
	local first
	first=$(awk '/^    PID COMM/ { getline; row = $0 } END { print row }' "$T/top.txt")
	case $first in
	*" $server tcpwork "*" LEAK") ;;
	*) fail "first row of the last refresh: '$first'" ;;
	esac
	grep -q "5 CLOSE_WAIT (5 to 127.0.0.1), oldest" "$T/top.txt" || fail "no reason line"
}

test_watch_json_lines() {
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 9 -m hold -r "$T/client"
	wait_for "$T/client"
	"$PL" watch -i 0.3 -n 3 --json --hooks "$HOOKS" >"$T/watch.jsonl" 2>"$T/err" ||
		fail "watch exited with $?"
	expect "JSON lines" "$(wc -l <"$T/watch.jsonl")" 3
	expect "versions" "$(jq -s 'map(.version) | unique | join(",")' -r "$T/watch.jsonl")" 1
	tail -n 1 "$T/watch.jsonl" >"$T/out.json"
	expect "client ESTABLISHED" "$(proc "$client" .sockets.ESTABLISHED)" 9
}

# The full screen, driven for real in tmux.
test_top_screen_in_tmux() {
	local sock=portleak-test-$$ screen i first
	tmux -L "$sock" new-session -d -x 200 -y 50 \
		"$PL top -d 0.5 --leak-age 1 --hooks $HOOKS 2>$T/err; echo EXIT=\$?; sleep 60" ||
		fail "cannot start tmux"
	PIDS+=($(tmux -L "$sock" list-panes -F '#{pane_pid}'))
	sleep 1
	start_leak 4
	for ((i = 0; i < 60; i++)); do
		screen=$(tmux -L "$sock" capture-pane -p)
		first=$(awk '/^    PID COMM/ { getline; print; exit }' <<<"$screen")
		case $first in *" $server tcpwork "*" LEAK") break ;; esac
		sleep 0.25
	done
	case $first in
	*" $server tcpwork "*" LEAK") ;;
	*) tmux -L "$sock" kill-server; fail "first row is not the leak: '$first'" ;;
	esac
	tmux -L "$sock" send-keys Enter
	sleep 0.5
	screen=$(tmux -L "$sock" capture-pane -p)
	grep -q "^pid $server  tcpwork" <<<"$screen" || fail "no drill-down: $screen"
	grep -qE "^127\.0\.0\.1 +CLOSE_WAIT +4 " <<<"$screen" || fail "no peer in drill-down: $screen"
	grep -qE "^fds [0-9]+ in use of [0-9]+ \(soft RLIMIT_NOFILE\), 4 of them CLOSE_WAIT sockets" <<<"$screen" ||
		fail "no fd budget in drill-down: $screen"
	grep -qE "^[0-9]+ sockets \(CLOSE_WAIT 4(, LISTEN 1)?\) opened before capture" <<<"$screen" ||
		fail "no origins in drill-down: $screen"
	tmux -L "$sock" send-keys Escape q
	# Until top has detached its programs and the shell says how it exited.
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		screen=$(tmux -L "$sock" capture-pane -p)
		grep -q "^EXIT=" <<<"$screen" && break
		sleep 0.05
	done
	tmux -L "$sock" kill-server
	grep -q "^EXIT=0" <<<"$screen" || fail "top did not exit cleanly: $screen"
	grep -q "portleak top - " <<<"$screen" && fail "terminal not restored: $screen"
	return 0
}

# free_port LOW HIGH: a port in LOW-HIGH that no TCP socket uses now (a
# random pick may hit a client's ephemeral port).
free_port() {
	local port
	for port in $(shuf -i "$1-$2" -n 20); do
		[ -z "$(ss -tanH "( sport = :$port )")" ] && { echo "$port"; return 0; }
	done
	fail "no free port in $1-$2"
}

# serve_start ARGS...: portleak serve on a free loopback port ($SERVE_PORT).
serve_start() {
	SERVE_PORT=$(free_port 20000 30000)
	rm -f "$T/serve.log" # a line from an earlier serve is no sign of this one
	"$PL" serve --listen "127.0.0.1:$SERVE_PORT" -i 0.5 --hooks "$HOOKS" "$@" 2>"$T/serve.log" &
	SERVE=$!
	PIDS+=("$SERVE")
	wait_for "$T/serve.log" "serving"
	wait_first_report
}

# Until serve has built its first report: it listens before (/metrics
# answers 503 "no report yet" meanwhile), and a slow build (ASan) can take
# longer than a test's first request.
wait_first_report() {
	local i
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SERVE_PORT/metrics")" = 200 ] &&
			return 0
		sleep 0.05
	done
	fail "serve built no report: $(tail -n 3 "$T/serve.log")"
}

metrics() {
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" || fail "GET /metrics failed"
}

test_serve_prometheus_scrapes_the_leak() {
	local prom_port i value query
	start_leak 6
	serve_start
	sleep 1
	metrics >"$T/metrics.txt"
	promtool check metrics <"$T/metrics.txt" >"$T/promtool.txt" 2>&1 ||
		fail "promtool check metrics: $(cat "$T/promtool.txt")"
	curl -sf "http://127.0.0.1:$SERVE_PORT/healthz" | grep -qx ok || fail "/healthz"
	curl -sf "http://127.0.0.1:$SERVE_PORT/api/snapshot" >"$T/out.json" || fail "/api/snapshot"
	expect "snapshot CLOSE_WAIT" "$(proc "$server" .sockets.CLOSE_WAIT)" 6
	expect "unknown path" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SERVE_PORT/nope")" 404
	prom_port=$(free_port 30001 40000)
	cat >"$T/prometheus.yml" <<-EOF
		global: {scrape_interval: 1s, evaluation_interval: 1s}
		scrape_configs:
		  - job_name: portleak
		    static_configs: [{targets: ["127.0.0.1:$SERVE_PORT"]}]
	EOF
	start prom prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address="127.0.0.1:$prom_port" --log.level=warn
	query="portleak_process_sockets{pid=\"$server\",state=\"CLOSE_WAIT\"}"
	for ((i = 0; i < 120; i++)); do
		value=$(curl -sf "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$query" |
			jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
		[ -n "$value" ] && break
		sleep 0.25
	done
	expect "CLOSE_WAIT of pid $server in Prometheus" "$value" 6
}

test_serve_top_k_bounds_series() {
	local i
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	for i in 1 2 3 4; do
		start c "$WORKLOAD" connect -p "$(cat "$T/server")" -n "$i" -m hold -r "$T/client$i"
		wait_for "$T/client$i"
	done
	serve_start --top-k 2
	sleep 1
	metrics >"$T/metrics.txt"
	local pids sum total
	pids=$(grep '^portleak_process_sockets{' "$T/metrics.txt" | sed 's/.*pid="\([^"]*\)".*/\1/' | sort -u)
	expect "per-process series" "$(wc -l <<<"$pids")" 3
	grep -qx other <<<"$pids" || fail "no 'other' series: $pids"
	sum=$(awk '/^portleak_process_sockets\{/ { s += $NF } END { print s }' "$T/metrics.txt")
	total=$(awk '/^portleak_sockets\{/ { s += $NF } END { print s }' "$T/metrics.txt")
	expect "sum of process series" "$sum" "$total"
}

test_serve_drops_capabilities() {
	serve_start --user nobody
	expect "effective capabilities" "$(awk '/^CapEff/ { print $2 }' "/proc/$SERVE/status")" 0000008000280000
	expect "uid" "$(awk '/^Uid/ { print $3 }' "/proc/$SERVE/status")" "$(id -u nobody)"
	metrics | grep -q '^portleak_hooks_info' || fail "no metrics after dropping privileges"
	kill -TERM "$SERVE"
	wait "$SERVE"
	expect "exit status after SIGTERM" $? 0
	grep -q "stopping: signal received" "$T/serve.log" || fail "no stop line: $(cat "$T/serve.log")"
	serve_start --own-netns
	expect "effective capabilities, --own-netns" "$(awk '/^CapEff/ { print $2 }' "/proc/$SERVE/status")" 0000008000000000
}

test_serve_refuses_without_capabilities() {
	setpriv --bounding-set=-bpf,-perfmon,-sys_admin "$PL" serve --listen "127.0.0.1:$(free_port 20000 30000)" \
		>/dev/null 2>"$T/usage"
	expect "exit status" $? 4
	expect "stderr lines" "$(wc -l <"$T/usage")" 1
	grep -q "needs root, or CAP_BPF and CAP_PERFMON" "$T/usage" || fail "message: $(cat "$T/usage")"
}

test_serve_sighup_rereads_config() {
	echo "top_k = 1" >"$T/portleak.conf"
	serve_start --config "$T/portleak.conf"
	echo "top_k = 7" >"$T/portleak.conf"
	kill -HUP "$SERVE"
	wait_for "$T/serve.log" "re-read .*top_k 7"
}

test_alert_rules() {
	local dir=$ROOT/scripts/prometheus
	promtool check rules "$dir/portleak.rules.yml" >"$T/rules.txt" 2>&1 || fail "$(cat "$T/rules.txt")"
	(cd "$dir" && promtool test rules portleak.rules.test.yml) >"$T/rules.txt" 2>&1 ||
		fail "$(cat "$T/rules.txt")"
	jq -e '.panels | length > 5' "$ROOT/scripts/grafana/portleak-dashboard.json" >/dev/null ||
		fail "dashboard JSON"
}

# A process name with a quote, a backslash, a newline, a terminal escape
# and a byte that is not UTF-8, in every output.
test_hostile_process_name() {
	local name=$'q"b\\n\nx\e[2J\xff'
	start server "$WORKLOAD" serve -m hold -N "$name" -r "$T/server"
	wait_for "$T/server"
	snapshot_now -p "$server"
	expect "comm in JSON" "$(proc "$server" .comm)" "$(printf 'q"b\\n\nx\033[2J\357\277\275')"
	"$PL" snapshot -d 0 -p "$server" >"$T/out.txt" 2>"$T/err" || fail "text exit $?"
	grep -q $'\e' "$T/out.txt" && fail "raw escape in the text view"
	grep -qF 'q"b\\n\x0ax\x1b[2J\xff' "$T/out.txt" || fail "name not escaped: $(cat -v "$T/out.txt")"
	"$PL" top -b -n 1 -d 0.2 -p "$server" >"$T/top.txt" 2>"$T/err" || fail "top exit $?"
	grep -q $'\e' "$T/top.txt" && fail "raw escape in top -b"
	serve_start
	sleep 1
	metrics >"$T/metrics.txt"
	promtool check metrics <"$T/metrics.txt" >"$T/promtool.txt" 2>&1 ||
		fail "promtool: $(cat "$T/promtool.txt")"
	grep -qF "pid=\"$server\",comm=\"q\\\"b\\\\n\\nx"$'\e'"[2J"$'\xef\xbf\xbd'"\"" "$T/metrics.txt" ||
		fail "label not escaped: $(grep "pid=\"$server\"" "$T/metrics.txt" | head -1 | cat -v)"
}

# lossy_views_start FLAGS...: every view at once, each sized by FLAGS: the
# snapshot agent (JSON), watch (the tables), top -b and serve (metrics).
# watch and top run until lossy_views_check stops them.
lossy_views_start() {
	agent_start "$@"
	"$PL" watch -i 1 --hooks "$HOOKS" "$@" >"$T/watch.txt" 2>"$T/watch.err" &
	WATCH=$!
	PIDS+=("$WATCH")
	"$PL" top -b -d 1 --hooks "$HOOKS" "$@" >"$T/top.txt" 2>"$T/top.err" &
	TOP=$!
	PIDS+=("$TOP")
	serve_start "$@"
	wait_for "$T/watch.err" "$READY_LINE"
	wait_for "$T/top.txt" "lost: "
}

# last_lost VIEW: the last "lost:" line the view printed.
last_lost() {
	grep 'lost: ' "$T/$1.txt" | tail -n 1
}

# lossy_views_check JSON_KEY TEXT METRIC: each view counted the loss (the
# tables within a few intervals), then watch and top stop cleanly on SIGINT.
lossy_views_check() {
	local view pid i
	for view in watch top; do
		for ((i = 0; i < TIMEOUT_STEPS / 4; i++)); do
			last_lost "$view" | grep -qE "$2 [1-9]" && break
			sleep 0.2
		done
		last_lost "$view" | grep -qE "$2 [1-9]" || fail "$view: no '$2' in '$(last_lost "$view")'"
	done
	for pid in "$WATCH" "$TOP"; do
		kill -INT "$pid"
		wait "$pid" || fail "watch or top exited with $? on SIGINT: $(cat "$T/watch.err" "$T/top.err")"
	done
	[ "$(metrics | awk -v m="$3" '$1 == m { print $2 }')" -gt 0 ] || fail "metric $3 not counted"
	agent_report
	[ "$(jq ".lost.$1" "$T/out.json")" -gt 0 ] || fail "JSON: lost.$1 not counted"
	expect "OK verdicts despite losses" \
		"$(jq '[.processes[] | select(.unknown_owner | not) | select(.verdict == "ok")] | length' "$T/out.json")" 0
}

# held_sockets: how many sockets processes hold now (what a ledger must fit
# before a test's own).
held_sockets() {
	"$PL" snapshot -d 0 --json 2>/dev/null |
		jq '[.processes[] | select(.unknown_owner | not) | .sockets_total - (.sockets.TIME_WAIT // 0)] | add // 0'
}

test_ledger_overflow_is_visible() {
	# Room for what exists, the views' own sockets and a few of the client's.
	lossy_views_start --max-sockets "$(($(held_sockets) + 8))"
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 20 -m hold -r "$T/client"
	wait_for "$T/client"
	lossy_views_check ledger_full "ledger full" portleak_ledger_full_total
	# The fd walk names the holder of what the ledger lacks; the loss
	# makes its verdict INCOMPLETE. Never OK.
	expect "client verdict" "$(proc "$client" .verdict)" incomplete
	expect "sockets dropped" "$(jq '[.processes[].sockets_total] | add >= 41' "$T/out.json")" true
}

# 4000 failed binds through a 4 KiB ring buffer (about 40 events) while
# every agent is stopped (a descheduled agent): the losses are counted, and
# the per-process failure count (a map, not an event) stays exact.
test_event_flood_is_visible() {
	local port
	lossy_views_start --event-buffer 4
	bind_free_port
	kill -STOP "$AGENT" "$WATCH" "$TOP" "$SERVE"
	start flood "$WORKLOAD" bind -p "$port" -n 4000 -r "$T/flood"
	wait_for "$T/flood"
	kill -CONT "$AGENT" "$WATCH" "$TOP" "$SERVE"
	lossy_views_check events "lost: events" portleak_lost_events_total
	expect_count "flood bind_failures" "$(proc "$flood" .bind_failures)" 4000
	expect "flood verdict" "$(proc "$flood" .verdict)" ports
	expect "first verdict" "$(proc "$first" .verdict)" incomplete
}

test_usage_errors_exit_2() {
	local args
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		"$PL" $args >/dev/null 2>"$T/usage"
		local rc=$?
		expect "exit status of 'portleak $args'" "$rc" 2
		expect "stderr lines of 'portleak $args'" "$(wc -l <"$T/usage")" 1
		grep -q "^portleak: " "$T/usage" || fail "message of 'portleak $args': $(cat "$T/usage")"
	done <<-EOF
		
		bogus
		snapshot -d abc
		snapshot -d -1
		snapshot --port 70000
		snapshot --idle-age x
		snapshot --namespace a/b
		snapshot --pod ''
		top --container x;y
		snapshot --host-root relative
		serve --pod web
		snapshot --stale-min 0
		top --stale-min 1.5
		snapshot --port 0
		snapshot -p 0
		snapshot -p 12x
		snapshot --hooks nope
		snapshot --frobnicate
		snapshot -d
		snapshot --comm 0123456789abcdefg
		snapshot --cgroup relative/path
		snapshot --host-root /nonexistent
		snapshot --host-root relative/dir
		snapshot extra
		doctor --json
		top -d 0
		top -n 3
		top -i 1
		watch -d 1
		watch -i x
		watch -n 0
		serve --listen nowhere
		serve --listen 127.0.0.1:99999
		serve --top-k 0
		serve --json
		serve --config /nonexistent
		serve --pin-dir relative/dir
		snapshot --pin
		snapshot --event-buffer 3
		snapshot --event-buffer 6
		top --event-buffer 0
		close
		close --pid 1 --state bogus
		close --pid 1 --peer 1.2.3
		close --pid 1 --peer [::1
		close --pid 1 --older x
		close --pid 1 --started 0
		close --pid 1 --via magic
		close --pid 1 --json
		snapshot --yes
		snapshot --delay 1
		top --duration 1
		doctor --leak-age 5
		version --pid 1
		help --options
		help --options nosuch
		help top extra
	EOF
}

test_doctor() {
	"$PL" doctor --hooks "$HOOKS" >"$T/doctor" 2>"$T/err" || fail "doctor exited with $?"
	grep -qE "^  [a-z]+ +chosen" "$T/doctor" || fail "no hook chosen: $(cat "$T/doctor")"
	grep -q "TIME_WAIT length .*60 s always" "$T/doctor" || fail "no TIME_WAIT note"
	grep -qE "short-connection ceiling .* new connections per second" "$T/doctor" ||
		fail "no port math"
	grep -qE "^  chosen +(bpf_sock_destroy|sock_diag SOCK_DESTROY|NONE: portleak close exits with status 5)" "$T/doctor" ||
		fail "no way of closing sockets named: $(cat "$T/doctor")"
	grep -qE "^  mode +armed: processes whose verdict is not OK" "$T/doctor" ||
		fail "no default mode of leak origins: $(cat "$T/doctor")"
	grep -qE "^  memory +stacks [0-9]+ x [0-9]+ B, origins" "$T/doctor" || fail "no cost of leak origins"
	"$PL" doctor --stacks --hooks "$HOOKS" 2>"$T/err" | grep -qE "^  mode +every process \(--stacks\)" ||
		fail "doctor --stacks: $(cat "$T/err")"
}

# shellcheck source=tests/integration/ports.sh
. "$ROOT/tests/integration/ports.sh"
# shellcheck source=tests/integration/reliability.sh
. "$ROOT/tests/integration/reliability.sh"
# shellcheck source=tests/integration/startup.sh
. "$ROOT/tests/integration/startup.sh"
# shellcheck source=tests/integration/serve.sh
. "$ROOT/tests/integration/serve.sh"
# shellcheck source=tests/integration/firstsight.sh
. "$ROOT/tests/integration/firstsight.sh"
# shellcheck source=tests/integration/containers.sh
. "$ROOT/tests/integration/containers.sh"
# shellcheck source=tests/integration/remedy.sh
. "$ROOT/tests/integration/remedy.sh"
# shellcheck source=tests/integration/budgets.sh
. "$ROOT/tests/integration/budgets.sh"
# shellcheck source=tests/integration/origins.sh
. "$ROOT/tests/integration/origins.sh"
# shellcheck source=tests/integration/handshakes.sh
. "$ROOT/tests/integration/handshakes.sh"

# --- runner -------------------------------------------------------------------

ALL_TESTS=$(declare -F | awk '$3 ~ /^test_/ { print $3 }')
TESTS=${*:-$ALL_TESTS}
passed=0
failed=0

[ "$(id -u)" -eq 0 ] || { echo "integration tests need root"; exit 1; }
[ -x "$PL" ] && [ -x "$WORKLOAD" ] || { echo "build first: make"; exit 1; }

for HOOKS in $MODES; do
	echo "== hooks: $HOOKS"
	for t in $TESTS; do
		T=$(mktemp -d /tmp/portleak-test.XXXXXX)
		began=$EPOCHREALTIME
		(
			trap cleanup EXIT
			$t
		)
		if [ $? -eq 0 ]; then
			echo "  ok   $t ($(elapsed "$began") s)"
			passed=$((passed + 1))
		else
			echo "  FAIL $t ($(elapsed "$began") s)"
			failed=$((failed + 1))
		fi
	done
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
