# shellcheck shell=bash
# Connections that never start: sourced by run.sh. A server whose accept
# queue is full (it never calls accept()) and clients that give up on it
# with a timeout of their own (C, Go, Java), connects in flight toward a
# peer that drops SYNs, both sides named to each other.

# by_app PID ERRNO PEER: the failures portleak counted as ended by the
# application itself.
by_app() {
	jq -r --argjson pid "$1" --arg errno "$2" --arg peer "$3" '
		[.processes[] | select(.pid == $pid) | .failures[] |
		 select(.errno == $errno and .peer == $peer and .by == "application") | .count] |
		add // 0' "$T/out.json"
}

# listen_queue PORT: the kernel's view of the listener on PORT: "queued
# backlog drops" (ss: Recv-Q, Send-Q and skmem's d).
listen_queue() {
	ss -ltnmH "sport = :$1" | awk '
		/^LISTEN/ { q = $2; b = $3 }
		match($0, /,d[0-9]+\)/) { d = substr($0, RSTART + 2, RLENGTH - 3) }
		END { print q, b, d }'
}

# A server that never accepts, backlog 2 (3 may wait), and a client that
# connects 10 times with a 1 s timeout of its own: 3 connect, 7 time out.
test_full_accept_queue_and_timeouts_by_application() {
	local port kernel_before kernel_after q b d before after
	start server "$WORKLOAD" serve -m stall -b 2 -r "$T/server"
	wait_for "$T/server"
	port=$(cat "$T/server")
	agent_start
	start client "$WORKLOAD" connect -A -T 1000 -p "$port" -n 10 -m hold -r "$T/client"
	wait_for "$T/client" "connected=3 failed=7 errno=110"
	kernel_before=$(listen_queue "$port")
	agent_report
	kernel_after=$(listen_queue "$port")
	read -r q b before <<<"$kernel_before"
	read -r _ _ after <<<"$kernel_after"
	expect "kernel: the queue is full" "$q $b" "3 2"
	expect "client: timeouts by the application" "$(by_app "$client" ETIMEDOUT "127.0.0.1:$port")" 7
	expect "client: no error the kernel returned" \
		"$(proc "$client" '[.failures[] | select(.by == "kernel")] | length')" 0
	proc "$client" '.failures[0] | .waited_avg_s >= 0.9 and .waited_avg_s < 2 and .syns_avg >= 1' |
		grep -qx true || fail "client wait and SYNs: $(proc "$client" .failures)"
	expect "client verdict" "$(proc "$client" .verdict)" timeout
	proc "$client" '.reasons | join(" ")' |
		grep -q "7 connect() to 127.0.0.1:$port timed out: the application gave up after 1.0s.*pid $server (tcpwork) does not accept()" ||
		fail "client reasons: $(proc "$client" .reasons)"
	expect "listener queued, backlog" \
		"$(proc "$server" '.listeners[0] | "\(.queued) \(.backlog) \(.full)"')" "$q $b true"
	d=$(proc "$server" '.listeners[0].drops')
	if [ "$d" -lt "$before" ] || [ "$d" -gt "$after" ] || [ "$d" -lt 7 ]; then
		fail "listener drops: $d, the kernel's $before..$after"
	fi
	expect "server verdict" "$(proc "$server" .verdict)" backlog
	proc "$server" '.reasons | join(" ")' |
		grep -q "accept queue of 127.0.0.1:$port is full (3 waiting, backlog 2).*pid $client (tcpwork) waits on 127.0.0.1:$port: 7 connect() timed out" ||
		fail "server reasons: $(proc "$server" .reasons)"
	# At first sight, from the walk alone: the full queue and its drops.
	snapshot_now
	expect "first sight: server verdict" "$(proc "$server" .verdict)" backlog
	expect "first sight: listener" "$(proc "$server" '.listeners[0] | "\(.queued) \(.backlog)"')" "3 2"
}

# ss's SYN retransmissions of the SYN_SENT sockets toward PORT in NS,
# summed: "retrans:N/M", M the socket's retransmissions in all (N: those
# not yet answered).
syn_retransmits() { # NS PORT
	ip netns exec "$1" ss -tinH state syn-sent "dport = :$2" |
		awk 'match($0, /retrans:[0-9]+\/[0-9]+/) {
			split(substr($0, RSTART + 8, RLENGTH - 8), r, "/"); n += r[2] }
		END { print n + 0 }'
}

# wait_syn_retransmits NS PORT N: until every connect toward PORT has sent
# its SYN again at least once (N of them, each retransmitted).
wait_syn_retransmits() {
	local i
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		[ "$(ip netns exec "$1" ss -tinH state syn-sent "dport = :$2" |
			grep -c 'retrans:[0-9]*/[1-9]')" -ge "$3" ] &&
			return 0
		sleep 0.05
	done
	fail "the kernel shows no $3 SYN_SENT sockets toward :$2 with a SYN sent again"
}

# A peer that drops SYNs (a filter): 8 connects in flight at first sight,
# with their SYN retransmissions, then counted when the client gives up.
test_syns_dropped_in_flight_then_timed_out() {
	local ns=pldrop$$ before after got peer count unanswered retrans
	ip netns add "$ns" || fail "ip netns add"
	NETNS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" iptables -A INPUT -p tcp --dport 7100 -j DROP || fail "iptables"
	agent_start
	start client ip netns exec "$ns" "$WORKLOAD" connect -A -F -T 6000 -p 7100 -n 8 -r "$T/client"
	wait_for "$T/client.inflight" "inflight=8"
	wait_syn_retransmits "$ns" 7100 8
	before=$(syn_retransmits "$ns" 7100)
	"$PL" snapshot -d 0 --json --hooks "$HOOKS" >"$T/first.json" 2>"$T/err" || fail "snapshot -d 0"
	after=$(syn_retransmits "$ns" 7100)
	got=$(jq -r --argjson pid "$client" '.processes[] | select(.pid == $pid) |
		.connecting[0] | "\(.peer) \(.count) \(.unanswered) \(.syn_retransmits)"' "$T/first.json")
	read -r peer count unanswered retrans <<<"$got"
	expect "first sight: connects in flight" "$peer $count $unanswered" "127.0.0.1:7100 8 8"
	if [ "$retrans" -lt "$before" ] || [ "$retrans" -gt "$after" ]; then
		fail "first sight: SYNs sent again: $retrans, the kernel's $before..$after"
	fi
	expect "first sight: verdict" "$(jq -r --argjson pid "$client" \
		'.processes[] | select(.pid == $pid) | .verdict' "$T/first.json")" timeout
	expect "first sight: destination connecting" "$(jq -r \
		'[.destinations[] | select(.dport == 7100) | .connecting] | add' "$T/first.json")" 8
	wait_for "$T/client" "connected=0 failed=8 errno=110"
	agent_report
	expect "timeouts by the application" "$(by_app "$client" ETIMEDOUT "127.0.0.1:7100")" 8
	proc "$client" '.failures[0].syns_avg >= 2' | grep -qx true ||
		fail "SYNs per connect: $(proc "$client" .failures)"
}

# Clients of two runtimes with their own connect timeout, against a server
# whose accept queue is full: each timeout counted as the application's.
test_go_and_java_timeouts_on_a_full_queue() {
	local port
	command -v go >/dev/null || fail "no go: make test-deps installs golang-go"
	command -v javac >/dev/null || fail "no javac: make test-deps installs the JDK"
	GOCACHE=$T/gocache HOME=$T go build -o "$T/dialer" "$ROOT/tests/integration/workloads/go/dialer.go" ||
		fail "go build"
	javac -d "$T" "$ROOT/tests/integration/workloads/java/SlowDial.java" || fail "javac"
	start server "$WORKLOAD" serve -m stall -r "$T/server"
	wait_for "$T/server"
	port=$(cat "$T/server")
	start filler "$WORKLOAD" connect -p "$port" -n 1 -m hold -r "$T/filler"
	wait_for "$T/filler" "connected=1"
	agent_start
	start godial "$T/dialer" "127.0.0.1:$port" 4 1000 "$T/go"
	start java java -cp "$T" SlowDial "http://127.0.0.1:$port/" 3 1000 "$T/java" 2>"$T/java.err"
	wait_for "$T/go" "connected=0 timeouts=4 other=0"
	wait_long "$T/java" "answered=0 timeouts=3 other=0" "$T/java.err"
	agent_report
	expect "Go: timeouts by the application" "$(by_app "$godial" ETIMEDOUT "127.0.0.1:$port")" 4
	expect "Java: timeouts by the application" "$(by_app "$java" ETIMEDOUT "127.0.0.1:$port")" 3
	expect "Go verdict" "$(proc "$godial" .verdict)" timeout
	# Java connects from an IPv6 socket to ::ffff:127.0.0.1: the same peer
	# and the same listener.
	expect "Java verdict" "$(proc "$java" .verdict)" timeout
	proc "$java" '.reasons | join(" ")' | grep -q "pid $server (tcpwork) does not accept()" ||
		fail "Java reasons: $(proc "$java" .reasons)"
}
