# portleak integration tests, sourced by run.sh: processes that come and go,
# sockets that change hands, and portleak reconciled with the kernel.

# handover MODE COMM: 6 connections handed to a child (fork or unix socket);
# the parent closes its copies. The child holds them, so it is charged.
handover() {
	agent_start
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 6 -H "$1" -r "$T/client"
	wait_for "$T/client"
	local child
	child=$(sed -n 's/.* child=\([0-9]*\).*/\1/p' "$T/client")
	[ -n "$child" ] || fail "no child: $(cat "$T/client")"
	PIDS+=("$child")
	agent_report
	expect "child comm" "$(proc "$child" .comm)" "$2"
	expect_count "child ESTABLISHED" "$(proc "$child" '.sockets.ESTABLISHED // 0')" 6
	expect "parent ESTABLISHED" "$(proc "$client" '.sockets.ESTABLISHED // 0')" 0
}

test_forked_child_charged_once_parent_closes() {
	handover fork tcpwork-child
}

test_fd_passed_over_unix_socket_charged_to_receiver() {
	handover pass tcpwork-recv
}

# A pre-fork server: the parent listens, its child accepts. The state hook
# charges each new socket to the listener's owner; the accept hook (fexit,
# kretprobe) or, on the syscall plan, the fd walk before the report gives it
# to the child, and its opening with it.
test_prefork_child_charged_for_what_it_accepts() {
	local child
	agent_start
	prefork_and_client 6
	agent_report
	expect "child comm" "$(proc "$child" .comm)" tcpwork-child
	expect_count "child ESTABLISHED" "$(proc "$child" '.sockets.ESTABLISHED // 0')" 6
	expect_count "child opened" "$(proc "$child" .opened)" 6
	expect "parent ESTABLISHED" "$(proc "$server" '.sockets.ESTABLISHED // 0')" 0
	expect "parent opened" "$(proc "$server" '.opened // 0')" 0
	expect "parent LISTEN" "$(proc "$server" '.sockets.LISTEN // 0')" 1
}

# A server that never accepts: the connection the kernel completed waits
# in its accept queue with no struct socket, charged to the listener's
# owner and pending accept. The one a second server accepted is held.
test_unaccepted_connection_is_pending_accept() {
	agent_start
	start stalled "$WORKLOAD" serve -m stall -r "$T/stalled"
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/stalled"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/stalled")" -P "$(cat "$T/server")" -n 2 \
		-m hold -r "$T/client"
	wait_for "$T/client" "connected=2 "
	agent_report
	expect "stalled ESTABLISHED" "$(proc "$stalled" '.sockets.ESTABLISHED // 0')" 1
	expect "stalled pending accept" "$(proc "$stalled" '.pending_accept // 0')" 1
	expect "server ESTABLISHED" "$(proc "$server" '.sockets.ESTABLISHED // 0')" 1
	expect "server pending accept" "$(proc "$server" '.pending_accept // 0')" 0
	expect "client ESTABLISHED" "$(proc "$client" '.sockets.ESTABLISHED // 0')" 2
}

# A ledger far too small (--max-sockets 16) for a leaker's 40 CLOSE_WAIT,
# opened before portleak started: the fd walk names the holder of every
# socket the ledger lacks, so the leaker keeps all 40 and is LEAK; nothing
# is charged to (unknown) that has an owner, and the overflow is counted.
test_ledger_overflow_keeps_the_leaker_named() {
	start_dropping_server
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 40 -m hold -r "$T/client"
	wait_for "$T/client" "connected=40"
	wait_close_wait "$client" 40
	snapshot_now -d 0.5 --max-sockets 16 --leak-age 0.5 # with hooks: a ledger
	expect "client CLOSE_WAIT" "$(proc "$client" '.sockets.CLOSE_WAIT // 0')" 40
	expect "client verdict" "$(proc "$client" .verdict)" leak
	expect "(unknown) CLOSE_WAIT" "$(proc 0 '.sockets.CLOSE_WAIT // 0')" 0
	[ "$(jq .lost.ledger_full "$T/out.json")" -gt 0 ] || fail "the overflow was not counted"
}

# Watching with that small a ledger: a server accepts 40 connections its
# clients then close; each accepted socket has an fd, none is pending.
test_ledger_overflow_leaves_no_false_pending_accept() {
	agent_start --max-sockets 16
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 40 -m close -r "$T/client"
	wait_for "$T/client" "connected=40"
	wait_close_wait "$server" 40
	agent_report
	expect "server CLOSE_WAIT" "$(proc "$server" '.sockets.CLOSE_WAIT // 0')" 40
	expect "server pending accept" "$(proc "$server" '.pending_accept // 0')" 0
	[ "$(jq .lost.ledger_full "$T/out.json")" -gt 0 ] || fail "the overflow was not counted"
}

test_threads_count_for_their_process() {
	agent_start
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 8 -R -H thread -r "$T/client"
	wait_for "$T/client" "closed=4"
	agent_report
	expect_count "client ESTABLISHED" "$(proc "$client" '.sockets.ESTABLISHED // 0')" 4
	expect_count "client opened" "$(proc "$client" .opened)" 8
	expect_count "client closed" "$(proc "$client" .closed)" 4
}

# A pid used again is a new process: what the first one left behind
# (TIME_WAIT) stays with it, and the second starts from zero.
test_reused_pid_is_a_new_process() {
	agent_start
	start server "$WORKLOAD" serve -m close -r "$T/server"
	wait_for "$T/server"
	local port pid try second=
	port=$(cat "$T/server")
	time_wait_burst first "$port" 5
	pid=$first
	kill -9 "$first"
	wait "$first" 2>/dev/null
	for try in $(seq 50); do
		echo $((pid - 1)) >/proc/sys/kernel/ns_last_pid
		start second "$WORKLOAD" connect -p "$port" -n 2 -m hold -N reused -r "$T/second"
		[ "$second" = "$pid" ] && break
		kill -9 "$second"
	done
	[ "$second" = "$pid" ] || fail "pid $pid was not handed out again in 50 tries"
	wait_for "$T/second"
	agent_report
	local by_comm="[.processes[] | select(.pid == $pid)] | map({(.comm): .}) | add"
	expect "processes with pid $pid" "$(jq "[.processes[] | select(.pid == $pid)] | length" "$T/out.json")" 2
	expect_count "first TIME_WAIT" "$(jq "$by_comm | .tcpwork.sockets.TIME_WAIT // 0" "$T/out.json")" "$TW"
	expect "second TIME_WAIT" "$(jq "$by_comm | .reused.sockets.TIME_WAIT // 0" "$T/out.json")" 0
	expect_count "second ESTABLISHED" "$(jq "$by_comm | .reused.sockets.ESTABLISHED // 0" "$T/out.json")" 2
	expect_count "second opened" "$(jq "$by_comm | .reused.opened" "$T/out.json")" 2
}

# ledger_entries PID: how many entries the ledger map of process PID holds.
ledger_entries() {
	local ids
	ids=$(grep -h '^map_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | paste -sd, -)
	bpftool map show -j | jq -r --argjson ids "[$ids]" \
		'.[] | select(.id as $i | $ids | index($i)) | select(.name == "ledger") | .id' |
		while read -r id; do bpftool map dump id "$id" -j | jq length; done
}

# A closed socket's entry stays for the next socket the kernel creates at
# its address: that socket gets its own owner, never the old one's, and is
# counted opened once (its creator takes the entry; accept never does), and
# the entries no socket takes are deleted by a later report. 400 sockets
# close at once (the client is killed, its resets close the server's ends),
# then a second client opens 20 more; a watch reporting every second keeps
# its own ledger, whose size is read from the kernel.
test_closed_entries_are_reused_or_collected() {
	local port before n i
	agent_start
	"$PL" watch -i 1 --hooks "$HOOKS" >"$T/watch.txt" 2>"$T/watch.err" &
	PIDS+=($!)
	local watch=$!
	wait_for "$T/watch.err" "$READY_LINE"
	before=$(ledger_entries "$watch")
	start server "$WORKLOAD" serve -m close -r "$T/server"
	wait_for "$T/server"
	port=$(cat "$T/server")
	start first "$WORKLOAD" connect -p "$port" -n 200 -m hold -R -r "$T/first"
	wait_for "$T/first"
	expect "first connections" "$(cat "$T/first")" "connected=200 failed=0 errno=0"
	kill -9 "$first"
	wait "$first" 2>/dev/null
	start second "$WORKLOAD" connect -p "$port" -n 20 -m hold -N second -r "$T/second"
	wait_for "$T/second"
	agent_report
	expect_count "second ESTABLISHED" "$(proc "$second" '.sockets.ESTABLISHED // 0')" 20
	expect_count "second opened" "$(proc "$second" .opened)" 20
	expect_count "server ESTABLISHED" "$(proc "$server" '.sockets.ESTABLISHED // 0')" 20
	expect_count "server opened" "$(proc "$server" .opened)" 220
	expect_count "server closed" "$(proc "$server" .closed)" 200
	# The 40 live sockets, the listener, and what was there before.
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		n=$(ledger_entries "$watch")
		[ "$n" -le $((before + 41 + 4)) ] && break
		sleep 0.1
	done
	[ "$n" -le $((before + 41 + 4)) ] ||
		fail "watch's ledger kept $n entries, $before before the test and 41 sockets since"
}

# pool_charged_nearly_all TIME_WAIT KERNEL GAP: the pool's TIME_WAIT as
# the kernel's, and every socket it opened closed (GAP: opened - closed),
# but for the BPF runs the kernel skipped, which the report counts (a
# classic tracepoint's run is skipped on a CPU where another BPF program
# or a map system call is running: up to 172 in a run beside a CPU-bound
# process). An open defect beyond those: beside a CPU-bound process,
# about 1 run in 3 loses 1 or 2 of the 1,500 unsaid, not by the
# collection (README, hostile host); such a run says so, more than 3
# fails.
pool_charged_nearly_all() {
	local missed silent
	missed=$(jq '.lost.missed_runs // 0' "$T/out.json")
	silent=$(($2 - $1 > $3 ? $2 - $1 - missed : $3 - missed))
	[ "$1" -le "$2" ] && [ "$3" -ge 0 ] && [ "$silent" -le 3 ] ||
		fail "pool: TIME_WAIT $1 of the kernel's $2, opened - closed $3, $missed missed runs"
	[ "$silent" -le 0 ] ||
		echo "    note: pool: TIME_WAIT $1 of the kernel's $2, opened - closed $3, $missed missed runs: the open loss under load" >&2
}

# A pool that renews its connections (each lives 2.5 s, one opened every
# 10 ms) on a host with 20,000 other sockets, under a watch that reports
# every second: each report reads the ledger, then walks the sockets (the
# many make that long), and collects the entries of sockets the walk no
# longer lists. A pool socket that closes in between frees its address
# to the next connect(): the collection once took the new socket's entry
# with the old one's, and the new socket was charged to nobody, closed and
# TIME_WAIT alike, with every loss counter at 0. Every TIME_WAIT socket
# is the pool's, as the kernel counts them, and every opened one closed.
test_renewed_pool_charged_across_collections() {
	local port i n
	start big_server "$WORKLOAD" serve -m hold -r "$T/big_server"
	wait_for "$T/big_server"
	start big_client "$WORKLOAD" connect -p "$(cat "$T/big_server")" -n 10000 -m hold \
		-r "$T/big_client"
	for ((i = 0; i < 4 * TIMEOUT_STEPS; i++)); do
		[ -s "$T/big_client" ] && break
		sleep 0.05
	done
	expect "other connections" "$(cat "$T/big_client")" "connected=10000 failed=0 errno=0"
	start server "$WORKLOAD" serve -m close -r "$T/server"
	wait_for "$T/server"
	port=$(cat "$T/server")
	rm -f "$T/err"
	"$PL" watch --json -i 1 --hooks "$HOOKS" >"$T/watch.jsonl" 2>"$T/err" &
	AGENT=$!
	wait_for "$T/err" "$READY_LINE"
	start pool "$WORKLOAD" connect -p "$port" -n 1500 -w 10 -L 250 -m close -r "$T/pool"
	for ((i = 0; i < 8 * TIMEOUT_STEPS; i++)); do
		[ -s "$T/pool" ] && break
		sleep 0.05
	done
	expect "pool connections" "$(cat "$T/pool")" "connected=1500 failed=0 errno=0"
	wait_time_wait "$port" 1500
	# Two more reports, both after the last close.
	n=$(wc -l <"$T/watch.jsonl")
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		[ "$(wc -l <"$T/watch.jsonl")" -ge $((n + 2)) ] && break
		sleep 0.05
	done
	tail -n 1 "$T/watch.jsonl" >"$T/out.json"
	expect "losses other than missed runs" "$(jq '.lost | del(.missed_runs) | add' "$T/out.json")" 0
	pool_charged_nearly_all "$(proc "$pool" '.sockets.TIME_WAIT // 0')" "$TW" \
		"$(proc "$pool" '.opened - .closed')"
	expect "destination TIME_WAIT" "$(jq --argjson p "$port" \
		'[.destinations[] | select(.dport == $p)] | first | .time_wait' "$T/out.json")" "$TW"
}

# The state hook counts in a per-CPU slot per process (tgid % 64), and a
# process that takes a slot moves the counts there to their own process:
# 70 clients on one CPU, more processes than slots, each opening and
# closing 3 connections to a server on the same CPU (the clients keep
# their TIME_WAIT, and so are listed), are each counted 3 opened and 3
# closed, and the server 210 and 210.
test_counts_move_when_processes_share_a_slot() {
	local port i n c clients=()
	start server taskset -c 0 "$WORKLOAD" serve -m close -r "$T/server"
	wait_for "$T/server"
	port=$(cat "$T/server")
	agent_start
	for ((i = 0; i < 70; i++)); do
		start c taskset -c 0 "$WORKLOAD" connect -p "$port" -n 3 -m close -r "$T/client$i"
		clients+=("$c")
		wait_for "$T/client$i"
	done
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		n=$(ss -tanH "( sport = :$port or dport = :$port )" |
			awk '$1 != "LISTEN" && $1 != "TIME-WAIT"' | wc -l)
		[ "$n" = 0 ] && break
		sleep 0.05
	done
	[ "$n" = 0 ] || fail "$n sockets of port $port not closed: $(ss_states "( sport = :$port )")"
	agent_report
	for c in "${clients[@]}"; do
		expect_count "client $c opened" "$(proc "$c" .opened)" 3
		expect_count "client $c closed" "$(proc "$c" .closed)" 3
	done
	expect_count "server opened" "$(proc "$server" .opened)" 210
	expect_count "server closed" "$(proc "$server" .closed)" 210
}

# Processes that open sockets and die while portleak walks the fd tables.
test_processes_exiting_during_walks() {
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	local port i churn
	port=$(cat "$T/server")
	(
		end=$((SECONDS + 3))
		while [ $SECONDS -lt $end ]; do
			"$WORKLOAD" connect -p "$port" -n 50 -m hold -r "$T/churn" &
			sleep 0.05
			kill -9 $! 2>/dev/null
		done
		wait
	) 2>/dev/null &
	churn=$!
	for i in $(seq 8); do
		snapshot_now
		jq -e '.processes | length > 0' "$T/out.json" >/dev/null || fail "walk $i: no processes"
	done
	# Killing the loop itself could orphan its last client: let it end.
	wait "$churn"
}

test_verify_agrees_with_the_kernel() {
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 12 -H fork -r "$T/client"
	wait_for "$T/client"
	PIDS+=("$(sed -n 's/.* child=\([0-9]*\).*/\1/p' "$T/client")")
	"$PL" snapshot --verify --hooks "$HOOKS" >"$T/verify" 2>"$T/err" ||
		fail "verify exited with $?: $(cat "$T/verify")"
	grep -q "^verify: ok" "$T/verify" || fail "no ok line: $(cat "$T/verify")"
	grep -qE "owners: [0-9]+ sockets in fd tables .*: ([0-9]+) charged .*, 0 not" "$T/verify" ||
		fail "owners line: $(cat "$T/verify")"
}

# A ledger of 4 entries for 20 sockets: the fd walk names the holders of
# what it lacks, so verify finds every socket charged to a process that
# holds it (before, 20 of them were charged to no one: exit 3).
test_verify_with_an_overflowing_ledger() {
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 10 -r "$T/client"
	wait_for "$T/client"
	"$PL" snapshot --verify --max-sockets 4 --hooks "$HOOKS" >"$T/verify" 2>"$T/err"
	expect "verify exit status" "$?" 0
	grep -qE "^verify: owners: [0-9]+ sockets in fd tables .*: [0-9]+ charged to a process holding them, 0 not" \
		"$T/verify" || fail "not every socket charged: $(cat "$T/verify")"
}

# A short soak: churn, leaks, TIME_WAIT storms, exits, handovers and a
# namespace, then portleak against /proc and ss (make soak: longer).
test_soak_reconciles() {
	"$ROOT/tests/soak/soak.sh" -t 6 >"$T/soak" 2>&1 || fail "soak: $(cat "$T/soak")"
	sed 's/^/    /' "$T/soak" | grep -E "verify: (states|owners)|totals"
}
