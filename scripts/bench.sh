#!/bin/bash
# portleak benchmarks (make bench). Each comparison runs as interleaved
# rounds in one run (A B C A B C ...), and reports medians, min-max and
# ratios. Prints a Markdown table; writes build/bench.json. Run as root.
#
#   BENCH_ROUNDS=9 BENCH_CHURN_S=3 BENCH_SIZES="54000 100000 200000" scripts/bench.sh
#   BENCH_BASELINE=old/portleak   also the kernel time of another build
#                                 (an earlier release), in the same rounds
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PL=$ROOT/build/portleak
CHURN=$ROOT/build/bench/churn
WORKLOAD=$ROOT/build/tests/tcpwork
BASELINE=${BENCH_BASELINE:-}
ROUNDS=${BENCH_ROUNDS:-9}
CHURN_S=${BENCH_CHURN_S:-3}
SIZES=${BENCH_SIZES:-54000 100000 200000}
COST_S=${BENCH_COST_S:-10}
MAX_PER_PAIR=5000 # connections per workload pair: 2 x 5000 fds, under 20000
BPFTRACE_PROG='tracepoint:sock:inet_sock_set_state { @[args->newstate] = count(); }'
# The floor: what running any program at all on that tracepoint costs.
EMPTY_PROG='tracepoint:sock:inet_sock_set_state { }'
TMP=$(mktemp -d /tmp/portleak-bench.XXXXXX)
PIDS=()
TRACER=

cleanup() {
	{
		[ -n "$TRACER" ] && kill -9 "$TRACER"
		[ ${#PIDS[@]} -gt 0 ] && kill -9 "${PIDS[@]}"
		wait
	} 2>/dev/null
	sysctl -q -w kernel.bpf_stats_enabled=0 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
command -v bpftrace >/dev/null || { echo "bench: needs bpftrace (apt-get install bpftrace)" >&2; exit 1; }

now_ns() { date +%s%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }

wait_log() { # FILE PATTERN
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "bench: timed out waiting for '$2' in $1" >&2
	cat "$1" >&2
	exit 1
}

start_tracer() { # none | portleak | baseline | bpftrace | empty [SERVE FLAGS...]
	local t=$1 i
	shift
	rm -f "$TMP/tracer.log" # the last tracer's "serving" is no sign of this one
	case $t in
	none) return 0 ;;
	portleak | baseline)
		"$([ "$t" = baseline ] && echo "$BASELINE" || echo "$PL")" serve \
			--listen "127.0.0.1:$(shuf -i 20000-30000 -n 1)" "$@" 2>"$TMP/tracer.log" &
		TRACER=$!
		wait_log "$TMP/tracer.log" serving
		;;
	bpftrace | empty)
		bpftrace -e "$([ "$t" = empty ] && echo "$EMPTY_PROG" || echo "$BPFTRACE_PROG")" \
			>"$TMP/tracer.log" 2>&1 &
		TRACER=$!
		wait_log "$TMP/tracer.log" Attaching
		;;
	esac
	# "Attaching" comes before the program is loaded
	for ((i = 0; i < 200; i++)); do
		[ -n "$(held_ids "$TRACER" prog)" ] && return 0
		sleep 0.05
	done
	echo "bench: $t loaded no BPF program" >&2
	exit 1
}

stop_tracer() {
	if [ -n "$TRACER" ]; then
		kill -INT "$TRACER"
		wait "$TRACER" 2>/dev/null || true
		TRACER=
	fi
}

# The BPF programs and maps a process holds, by id (its fds).
held_ids() { # PID prog|map
	{ grep -h "^$2_id:" /proc/"$1"/fdinfo/* 2>/dev/null || true; } | awk '{ print $2 }' |
		sort -un | paste -sd, -
}

# "NAME RUNS RUN_TIME_NS" of the programs process PID holds.
prog_times() { # PID
	bpftool prog show -j | jq -r --argjson ids "[$(held_ids "$1" prog)]" \
		'.[] | select(.id as $i | $ids | index($i)) | "\(.name) \(.run_cnt // 0) \(.run_time_ns // 0)"'
}

# Kernel memory of the maps process PID holds, in bytes.
map_bytes() { # PID
	bpftool map show -j | jq --argjson ids "[$(held_ids "$1" map)]" \
		'[.[] | select(.id as $i | $ids | index($i)) | .bytes_memlock] | add // 0'
}

# --- 1. connection churn -------------------------------------------------------

churn_round() { # MODE TRACER
	start_tracer "$2"
	"$CHURN" -t 2 -s "$CHURN_S" -m "$1" | sed 's/.*rate=\([0-9]*\).*/\1/' >>"$TMP/churn-$1-$2"
	stop_tracer
	sleep 0.5
}

bench_churn() {
	local mode i t
	for mode in rst timewait; do
		for ((i = 0; i < ROUNDS; i++)); do
			for t in none portleak bpftrace; do churn_round "$mode" "$t"; done
		done
	done
}

# --- 1b. kernel time per connection -------------------------------------------------

# kernel_round portleak|baseline|bpftrace|empty: run time of the tracer's own programs over
# a full-speed churn (reset closes), per connection, per program.
kernel_round() {
	local conns
	local hooks='.' # bpftrace, empty: its one program; portleak: its hooks, not its walks
	case $1 in portleak | baseline) hooks='^(state_|accept|bind_|connect_)' ;; esac
	start_tracer "$1"
	prog_times "$TRACER" | { grep -E "$hooks" || true; } >"$TMP/k0"
	conns=$("$CHURN" -t 2 -s "$CHURN_S" -m rst | sed 's/.*connections=\([0-9]*\).*/\1/')
	prog_times "$TRACER" | { grep -E "$hooks" || true; } >"$TMP/k1"
	stop_tracer
	# NAME NS_PER_CONNECTION, one line per program that ran, and TOTAL
	join <(sort "$TMP/k0") <(sort "$TMP/k1") | awk -v n="$conns" '
		$4 > $2 { ns = ($5 - $3) / n; t += ns; printf "%s %.0f\n", $1, ns }
		END { printf "TOTAL %.0f\n", t }' >>"$TMP/kernel-$1"
	sleep 0.5
}

bench_kernel() {
	local i
	sysctl -q -w kernel.bpf_stats_enabled=1
	for ((i = 0; i < ROUNDS; i++)); do
		kernel_round portleak
		[ -z "$BASELINE" ] || kernel_round baseline
		kernel_round bpftrace
		kernel_round empty
	done
	sysctl -q -w kernel.bpf_stats_enabled=0
}

# Map memory of an idle serve at default sizes, just after start.
bench_idle_maps() {
	start_tracer portleak
	map_bytes "$TRACER" >"$TMP/idle-map-bytes"
	stop_tracer
}

# --- 2. snapshot speed ----------------------------------------------------------

# hold N: N sockets (N/2 connections, both ends) in pairs of processes,
# at most MAX_PER_PAIR connections each.
hold_sockets() {
	local pairs=$((($1 + 2 * MAX_PER_PAIR - 1) / (2 * MAX_PER_PAIR))) p
	PER_PAIR=$(($1 / (2 * pairs)))
	for ((p = 0; p < pairs; p++)); do
		"$WORKLOAD" serve -m hold -r "$TMP/ready-s$p" &
		PIDS+=($!)
		wait_log "$TMP/ready-s$p" .
		"$WORKLOAD" connect -p "$(cat "$TMP/ready-s$p")" -n $PER_PAIR -m hold -R -r "$TMP/ready-c$p" &
		PIDS+=($!)
	done
	for ((p = 0; p < pairs; p++)); do wait_log "$TMP/ready-c$p" "connected=$PER_PAIR "; done
}

release_sockets() {
	{
		kill -9 "${PIDS[@]}"
		wait
	} 2>/dev/null || true
	PIDS=()
	rm -f "$TMP"/ready-*
	sleep 1
}

bench_snapshot() {
	local n i t0 t1 owned
	for n in $SIZES; do
		hold_sockets "$n"
		for ((i = 0; i < ROUNDS; i++)); do
			t0=$(now_ns)
			"$PL" snapshot -d 0 --json >"$TMP/snap.json" 2>/dev/null
			t1=$(now_ns)
			echo $(((t1 - t0) / 1000000)) >>"$TMP/snap-portleak-$n"
			t0=$(now_ns)
			ss -tanp >"$TMP/ss.txt"
			t1=$(now_ns)
			echo $(((t1 - t0) / 1000000)) >>"$TMP/snap-ss-$n"
		done
		owned=$(jq '[.processes[] | select(.unknown_owner | not) | .sockets.ESTABLISHED // 0] | add' "$TMP/snap.json")
		echo "$owned" >"$TMP/snap-owned-$n"
		release_sockets
	done
}

# --- 3. agent cost at 10k connections/s ------------------------------------------

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

agent_cost() { # NAME CMD...
	local name=$1 pid t0 t1
	shift
	"$CHURN" -t 2 -s $((COST_S + 6)) -r 10000 -m rst >"$TMP/cost-churn-$name" &
	PIDS+=($!)
	"$@" >/dev/null 2>"$TMP/cost-$name.log" &
	pid=$!
	PIDS+=("$pid")
	sleep 3
	t0=$(cpu_ticks "$pid")
	sleep "$COST_S"
	t1=$(cpu_ticks "$pid")
	awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$COST_S" \
		'BEGIN { printf "%.2f", 100 * d / hz / s }' >"$TMP/cost-$name-cpu"
	awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" >"$TMP/cost-$name-rss"
	if [ "$name" = serve ]; then bpf_costs "$pid"; fi
	kill -INT "$pid"
	wait "$pid" 2>/dev/null || true
	wait 2>/dev/null || true
	PIDS=()
}

# BPF run time per invocation and map memory of the running agent.
bpf_costs() {
	prog_times "$1" | grep -E '^(state_|accept|bind_|connect_)' >"$TMP/cost-progs" || true
	map_bytes "$1" >"$TMP/cost-map-bytes"
}

bench_cost() {
	sysctl -q -w kernel.bpf_stats_enabled=1
	agent_cost serve "$PL" serve --listen "127.0.0.1:$(shuf -i 20000-30000 -n 1)"
	agent_cost top "$PL" top -b -d 2
	sysctl -q -w kernel.bpf_stats_enabled=0
}

# --- 4. leak-origin capture -------------------------------------------------------

# The run time of the tracer's programs so far, in ns.
prog_ns() {
	prog_times "$TRACER" | awk '{ t += $3 } END { print t + 0 }'
}

# origins_round off|armed|stacks: kernel ns per connection of the churn
# with serve --no-stacks, with its default (the churn is an OK process:
# never armed), or with --stacks (every connect and accept walks the user
# stack).
origins_round() {
	local t0 t1 conns
	case $1 in
	off) start_tracer portleak --no-stacks ;;
	armed) start_tracer portleak ;;
	stacks) start_tracer portleak --stacks ;;
	esac
	t0=$(prog_ns)
	conns=$("$CHURN" -t 2 -s "$CHURN_S" -r 10000 -m rst | sed 's/.*connections=\([0-9]*\).*/\1/')
	t1=$(prog_ns)
	stop_tracer
	awk -v a="$t0" -v b="$t1" -v n="$conns" 'BEGIN { printf "%.0f\n", n ? (b - a) / n : 0 }' \
		>>"$TMP/origins-$1"
	sleep 0.5
}

bench_origins() {
	local i
	sysctl -q -w kernel.bpf_stats_enabled=1
	for ((i = 0; i < ROUNDS; i++)); do
		origins_round off
		origins_round armed
		origins_round stacks
	done
	sysctl -q -w kernel.bpf_stats_enabled=0
}

# --- report ------------------------------------------------------------------------

report() {
	local mode t base n med
	echo "## portleak benchmarks ($(uname -r), $(nproc) CPUs, $ROUNDS interleaved rounds)"
	echo
	echo "### 1. Connection churn over loopback (2 client + 2 server threads, ${CHURN_S}s per run)"
	echo
	echo "| variant | tracer | connections/s (median) | min–max | ratio of medians | median of the $ROUNDS paired ratios (min–max) |"
	echo "|---|---|---:|---:|---:|---:|"
	for mode in rst timewait; do
		base=$(median <"$TMP/churn-$mode-none")
		for t in none portleak bpftrace; do
			med=$(median <"$TMP/churn-$mode-$t")
			# each round ran none, portleak, bpftrace back to back: a pair
			paste "$TMP/churn-$mode-$t" "$TMP/churn-$mode-none" |
				awk '{ printf "%.3f\n", $2 ? $1 / $2 : 0 }' >"$TMP/pairs"
			echo "| $mode | $t | $med | $(range <"$TMP/churn-$mode-$t") | $(ratio "$med" "$base") | $(median <"$TMP/pairs") ($(range <"$TMP/pairs")) |"
		done
	done
	echo
	echo "bpftrace reference: \`$BPFTRACE_PROG\`"
	echo
	echo "### 1b. Kernel time per connection: the tracer's own BPF programs over a full-speed churn (reset closes, ${CHURN_S}s per run)"
	echo
	echo "| tracer | program | ns per connection (median) | min–max |"
	echo "|---|---|---:|---:|"
	for t in portleak $([ -z "$BASELINE" ] || echo baseline) bpftrace empty; do
		awk '$1 != "TOTAL" { print $1 }' "$TMP/kernel-$t" | sort -u | while read -r prog; do
			awk -v p="$prog" '$1 == p { print $2 }' "$TMP/kernel-$t" >"$TMP/kp"
			echo "| $t | $prog | $(median <"$TMP/kp") | $(range <"$TMP/kp") |"
		done
		awk '$1 == "TOTAL" { print $2 }' "$TMP/kernel-$t" >"$TMP/kt-$t"
		echo "| $t | **total** | **$(median <"$TMP/kt-$t")** | $(range <"$TMP/kt-$t") |"
	done
	local pl bt floor
	pl=$(median <"$TMP/kt-portleak")
	bt=$(median <"$TMP/kt-bpftrace")
	floor=$(median <"$TMP/kt-empty")
	echo
	echo "empty: \`$EMPTY_PROG\`, the cost of running any program on each transition"
	echo
	echo "portleak / bpftrace: $(ratio "$pl" "$bt")"
	echo
	[ -z "$BASELINE" ] || {
		echo "portleak / baseline ($BASELINE): $(ratio "$pl" "$(median <"$TMP/kt-baseline")")"
		echo
	}
	pl=$(awk -v a="$pl" -v b="$floor" 'BEGIN { print a - b }')
	bt=$(awk -v a="$bt" -v b="$floor" 'BEGIN { print a - b }')
	echo "above the empty program: portleak $pl ns, bpftrace $bt ns ($(ratio "$pl" "$bt"))"
	echo
	echo "### 2. Every socket with its owner: \`portleak snapshot -d 0 --json\` vs \`ss -tanp\`"
	echo
	echo "| sockets held | portleak ms (median, min–max) | ss -tanp ms (median, min–max) | portleak / ss | ESTABLISHED with an owner |"
	echo "|---:|---:|---:|---:|---:|"
	for n in $SIZES; do
		local p s
		p=$(median <"$TMP/snap-portleak-$n")
		s=$(median <"$TMP/snap-ss-$n")
		echo "| $n | $p ($(range <"$TMP/snap-portleak-$n")) | $s ($(range <"$TMP/snap-ss-$n")) | $(ratio "$p" "$s") | $(cat "$TMP/snap-owned-$n") |"
	done
	echo
	echo "### 3. Agent cost at 10,000 connections/s (${COST_S}s window)"
	echo
	echo "| agent | userspace+kernel CPU of the agent process (% of one core) | RSS MiB |"
	echo "|---|---:|---:|"
	echo "| portleak serve | $(cat "$TMP/cost-serve-cpu") | $(cat "$TMP/cost-serve-rss") |"
	echo "| portleak top -b | $(cat "$TMP/cost-top-cpu") | $(cat "$TMP/cost-top-rss") |"
	echo
	echo "BPF map memory at default sizes: $(awk '{ printf "%.1f MiB", $1 / 1048576 }' "$TMP/idle-map-bytes") idle (just started), $(awk '{ printf "%.1f MiB", $1 / 1048576 }' "$TMP/cost-map-bytes") under this churn"
	echo
	echo "| BPF program | runs | ns per run |"
	echo "|---|---:|---:|"
	awk '{ printf "| %s | %d | %.0f |\n", $1, $2, $2 ? $3 / $2 : 0 }' "$TMP/cost-progs"
	echo
	echo "### 4. Leak-origin capture: kernel time of portleak's programs per connection (10,000 connections/s, ${CHURN_S}s per run)"
	echo
	echo "| serve | ns per connection (median) | min–max | ratio to --no-stacks |"
	echo "|---|---:|---:|---:|"
	local off
	off=$(median <"$TMP/origins-off")
	for t in off armed stacks; do
		med=$(median <"$TMP/origins-$t")
		case $t in
		off) n="--no-stacks" ;;
		armed) n="default (armed; the churn is OK, so never armed)" ;;
		stacks) n="--stacks (every connect and accept walks the user stack)" ;;
		esac
		echo "| $n | $med | $(range <"$TMP/origins-$t") | $(ratio "$med" "$off") |"
	done
}

json() {
	local mode t n
	{
		echo '{"kernel": "'"$(uname -r)"'", "rounds": '"$ROUNDS"', "churn": {'
		for mode in rst timewait; do
			[ "$mode" = timewait ] && echo ','
			echo "\"$mode\": {"
			for t in none portleak bpftrace; do
				[ "$t" != none ] && echo ','
				echo "\"$t\": [$(paste -sd, "$TMP/churn-$mode-$t")]"
			done
			echo '}'
		done
		echo '}, "snapshot_ms": {'
		local first=1
		for n in $SIZES; do
			[ $first = 1 ] || echo ','
			first=0
			echo "\"$n\": {\"portleak\": [$(paste -sd, "$TMP/snap-portleak-$n")], \"ss\": [$(paste -sd, "$TMP/snap-ss-$n")], \"owned\": $(cat "$TMP/snap-owned-$n")}"
		done
		echo '}, "cost": {'
		echo "\"serve_cpu_pct\": $(cat "$TMP/cost-serve-cpu"), \"serve_rss_mib\": $(cat "$TMP/cost-serve-rss"),"
		echo "\"top_cpu_pct\": $(cat "$TMP/cost-top-cpu"), \"top_rss_mib\": $(cat "$TMP/cost-top-rss"),"
		echo "\"map_bytes\": $(cat "$TMP/cost-map-bytes"), \"idle_map_bytes\": $(cat "$TMP/idle-map-bytes"),"
		echo "\"programs\": {$(awk '{ printf "%s\"%s\": {\"runs\": %d, \"run_time_ns\": %d}", (NR > 1 ? "," : ""), $1, $2, $3 }' "$TMP/cost-progs")}"
		echo '}, "origins_ns_per_connection": {'
		echo "\"off\": [$(paste -sd, "$TMP/origins-off")], \"armed\": [$(paste -sd, "$TMP/origins-armed")],"
		echo "\"stacks\": [$(paste -sd, "$TMP/origins-stacks")]"
		echo '}, "kernel_ns_per_connection": {'
		echo "\"portleak\": [$(awk '$1 == "TOTAL" { print $2 }' "$TMP/kernel-portleak" | paste -sd, -)],"
		[ -z "$BASELINE" ] ||
			echo "\"baseline\": [$(awk '$1 == "TOTAL" { print $2 }' "$TMP/kernel-baseline" | paste -sd, -)],"
		echo "\"bpftrace\": [$(awk '$1 == "TOTAL" { print $2 }' "$TMP/kernel-bpftrace" | paste -sd, -)],"
		echo "\"empty\": [$(awk '$1 == "TOTAL" { print $2 }' "$TMP/kernel-empty" | paste -sd, -)]"
		echo '}}'
	} | jq . >"$ROOT/build/bench.json"
}

# Churn last: it leaves TIME_WAIT sockets behind for 60 s, which the
# other measurements would walk too.
echo "bench: snapshot speed ($SIZES sockets)..." >&2
bench_snapshot
echo "bench: map memory of an idle serve..." >&2
bench_idle_maps
echo "bench: agent cost..." >&2
bench_cost
echo "bench: leak-origin capture ($((ROUNDS * 3)) runs of ${CHURN_S}s)..." >&2
bench_origins
echo "bench: kernel time per connection ($((ROUNDS * 3)) runs of ${CHURN_S}s)..." >&2
bench_kernel
echo "bench: churn ($((ROUNDS * 6)) runs of ${CHURN_S}s)..." >&2
bench_churn
report
json
echo "bench: wrote build/bench.json" >&2
