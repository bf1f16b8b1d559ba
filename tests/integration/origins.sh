# shellcheck shell=bash
# Leak origins: sourced by run.sh. Clients whose one code path leaks
# connections and another closes them: the CLOSE_WAIT the kernel lists for
# each client are credited to the code path that opened them.

LEAKY=$ROOT/build/tests/leaky

# origin_sockets PID FUNCTION STATE: sockets in STATE of PID credited to
# code paths whose frames name FUNCTION.
origin_sockets() {
	jq -r --argjson pid "$1" --arg fn "$2" --arg state "$3" '
		[.processes[] | select(.pid == $pid) | .origins[] |
		 select(any(.frames[]; startswith($fn + "+") or startswith($fn + " ("))) |
		 .states[$state] // 0] |
		add // 0' "$T/out.json"
}

# uncaptured PID STATE: sockets in STATE of PID opened before capture.
uncaptured() {
	jq -r --argjson pid "$1" --arg state "$2" '
		[.processes[] | select(.pid == $pid) | .origins[] | select(.captured | not) |
		 .states[$state] // 0] | add // 0' "$T/out.json"
}

# wait_long FILE PATTERN ERRORS: as wait_for, for a JVM's warm-up (up to
# 120 s); ERRORS is where the JVM writes its own.
wait_long() {
	local i
	for ((i = 0; i < 12 * TIMEOUT_STEPS; i++)); do
		grep -qs "$2" "$1" && return 0
		sleep 0.05
	done
	fail "timed out waiting for $1 $2: $(head -c 2000 "$3")"
}

start_dropping_server() {
	start server "$WORKLOAD" serve -m drop -r "$T/server"
	wait_for "$T/server"
}

# A position-dependent build, a PIE and a stripped binary, each leaking 6
# connections from leak_orders() and closing 6 from fetch_and_close(),
# both through open_connection().
test_origins_name_the_leaking_call_site() {
	local bin pid port pids=()
	start_dropping_server
	port=$(cat "$T/server")
	agent_start --stacks
	for bin in leaky leaky-pie leaky-stripped; do
		start pid "$ROOT/build/tests/$bin" -p "$port" -n 6 -r "$T/$bin"
		pids+=("$pid")
	done
	for bin in leaky leaky-pie leaky-stripped; do
		wait_for "$T/$bin" "leaked=6 closed=6"
	done
	for pid in "${pids[@]}"; do
		wait_close_wait "$pid" 6
	done
	agent_report
	for pid in "${pids[@]:0:2}"; do
		expect "pid $pid: CLOSE_WAIT from leak_orders" "$(origin_sockets "$pid" leak_orders CLOSE_WAIT)" \
			"$(kernel_close_wait "$pid")"
		expect "pid $pid: CLOSE_WAIT through open_connection" \
			"$(origin_sockets "$pid" open_connection CLOSE_WAIT)" 6
		expect "pid $pid: CLOSE_WAIT from fetch_and_close" \
			"$(origin_sockets "$pid" fetch_and_close CLOSE_WAIT)" 0
		expect "pid $pid: opened before capture" "$(uncaptured "$pid" CLOSE_WAIT)" 0
		expect "pid $pid: hint" "$(proc "$pid" .origins_hint)" null
	done
	# No symbols: module+offset frames, and still one path for the leak.
	pid=${pids[2]}
	expect "stripped: code paths holding CLOSE_WAIT" "$(jq -r --argjson pid "$pid" '
		[.processes[] | select(.pid == $pid) | .origins[] | select(.states.CLOSE_WAIT)] |
		length' "$T/out.json")" 1
	expect "stripped: CLOSE_WAIT of module+offset frames" \
		"$(origin_sockets "$pid" leaky-stripped CLOSE_WAIT)" 6
	expect "stripped: CLOSE_WAIT from leak_orders" "$(origin_sockets "$pid" leak_orders CLOSE_WAIT)" 0
}

# By default only a process that is not OK has its origins recorded, from
# the report that finds it on: a leak older than portleak is "opened
# before capture", what it opens after is credited to its code; a busy
# healthy process gets no stack at all.
test_origins_armed_for_suspects_only() {
	local port
	start_dropping_server
	port=$(cat "$T/server")
	start closing "$WORKLOAD" serve -m close -r "$T/closing"
	wait_for "$T/closing"
	start leaker "$LEAKY" -p "$port" -n 4 -r "$T/leaker"
	wait_for "$T/leaker" "leaked=4 closed=4"
	wait_close_wait "$leaker" 4
	agent_start --leak-age 0
	# It closes first: its TIME_WAIT stay charged to it.
	time_wait_burst healthy "$(cat "$T/closing")" 30
	kill -USR1 "$leaker"
	wait_for "$T/leaker" "leaked=8 closed=8"
	wait_close_wait "$leaker" 8
	agent_report
	expect "leaker verdict" "$(proc "$leaker" .verdict)" leak
	expect "leaker: CLOSE_WAIT opened before capture" "$(uncaptured "$leaker" CLOSE_WAIT)" 4
	expect_count "leaker: CLOSE_WAIT from leak_orders" \
		"$(origin_sockets "$leaker" leak_orders CLOSE_WAIT)" 4
	expect_count "healthy: TIME_WAIT opened before capture" "$(uncaptured "$healthy" TIME_WAIT)" "$TW"
	expect "healthy: captured code paths" \
		"$(proc "$healthy" '[.origins[] | select(.captured)] | length')" 0
	expect_ok "healthy verdict" "$(proc "$healthy" .verdict)"
	"$PL" snapshot -d 0 --no-stacks --stacks >/dev/null 2>"$T/usage"
	expect "--stacks with --no-stacks: exit status" "$?" 2
}

# A Java client run with frame pointers; after warm-up jcmd has its JIT write a
# perf map (Compiler.perfmap), and the leaking method is named.
test_origins_name_the_leaking_java_method() {
	local port java
	command -v javac >/dev/null || fail "no javac: make test-deps installs the JDK"
	javac -d "$T" "$ROOT/tests/integration/workloads/java/LeakyOrders.java" || fail "javac"
	start_dropping_server
	port=$(cat "$T/server")
	agent_start --stacks
	start java java -XX:+PreserveFramePointer -XX:CompileCommand=quiet \
		-XX:CompileCommand=dontinline,LeakyOrders::* -cp "$T" LeakyOrders "$port" 7 \
		"$T/java" 2>"$T/java.err"
	wait_long "$T/java" warm "$T/java.err"
	touch "$T/java.go"
	wait_for "$T/java" "leaked=7"
	wait_close_wait "$java" 7
	jcmd "$java" Compiler.perfmap >/dev/null || fail "jcmd Compiler.perfmap"
	agent_report
	expect "CLOSE_WAIT from LeakyOrders.leakOrders" \
		"$(origin_sockets "$java" "void LeakyOrders.leakOrders(int)" CLOSE_WAIT)" 7
	expect "CLOSE_WAIT from LeakyOrders.fetchAndClose" \
		"$(origin_sockets "$java" "void LeakyOrders.fetchAndClose(int)" CLOSE_WAIT)" 0
	expect "one origin for the leaking call site" "$(jq -r --argjson pid "$java" '
		[.processes[] | select(.pid == $pid) | .origins[] |
		 select(any(.frames[]; startswith("void LeakyOrders.leakOrders(int)")))] | length' \
		"$T/out.json")" 1
}

# The seed's incident in the default mode: a client runs out of ports
# (EADDRNOTAVAIL) before anyone asked for its stacks. The kernel arms it
# at its first failure, and the failing connect() has its code path.
test_failed_connect_has_its_origin_in_default_mode() {
	local ns=portleak-test-$$ frames
	ip netns add "$ns" || fail "cannot create network namespace"
	NETNS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -q -w net.ipv4.ip_local_port_range="40000 40009"
	start server ip netns exec "$ns" "$WORKLOAD" serve -p 8080 -m hold -r "$T/server"
	wait_for "$T/server"
	agent_start
	start client ip netns exec "$ns" "$LEAKY" -p 8080 -n 12 -r "$T/client"
	wait_for "$T/client" "leaked=10 closed=0 failed=14"
	agent_report
	expect "failed connect: errno" "$(proc "$client" .failed_connect_origin.errno)" EADDRNOTAVAIL
	expect "failed connect: count" "$(proc "$client" .failed_connect_origin.count)" 14
	frames=$(proc "$client" '.failed_connect_origin.frames | join(" ")')
	case $frames in *"open_connection+"*"fetch_and_close+"*) ;;
	*) fail "failed connect frames: $frames" ;;
	esac
	expect "connect() origins before the failure" \
		"$(proc "$client" '[.origins[] | select(.captured)] | length')" 0
}
