#!/bin/bash
# portleak on a hostile host: a real `portleak serve` (root, stacks armed for
# every process) beside processes that run as `nobody` and make the files
# portleak reads about them as bad as they can: a perf map that is a FIFO, a
# symlink to /dev/zero, 400 MiB or a sparse 64 GiB; a mapped ELF file
# truncated and written again while portleak reads it; a FIFO in place of a
# deleted mapping; under --host-root, a container config that is a FIFO or
# 100 MiB of garbage. Each test checks that /healthz answers throughout, that
# reports go on, that serve's memory stays within 64 MiB of what it was idle
# and comes back once the process is gone. Then serve --pin killed at
# several instants of its start, a host with over a million fds, and a host
# without tracefs. Run as root.
#
#   tests/hostile/run.sh [TEST...]
#   PORTLEAK_BIN=build/asan/portleak   test another build
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PL=${PORTLEAK_BIN:-$ROOT/build/portleak}
TCPWORK=$ROOT/build/tests/tcpwork
HOSTILE=$ROOT/build/tests/hostile
RSS_SLACK_KB=$((64 * 1024))  # serve may grow this much over idle
BACK_SLACK_KB=$((8 * 1024))  # and must come back within this once the process left
WAIT_S=90                    # upper bound of every wait (slow machines)
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

PIDS=()
SERVE=
LISTEN=
PEAK_KB=0

cleanup() {
	{
		[ ${#PIDS[@]} -gt 0 ] && kill -9 "${PIDS[@]}"
		[ -n "$SERVE" ] && kill -9 "$SERVE"
		wait
		for p in "${PIDS[@]}"; do rm -f "/tmp/perf-$p.map" "/tmp/hostile-$p.so" "/tmp/hostile-$p.so (deleted)"; done
		[ -n "${CGROUP:-}" ] && rmdir "$CGROUP"
		[ -n "${PINDIR:-}" ] && rm -rf "$PINDIR"
		mountpoint -q "$T/bpffs" && umount "$T/bpffs"
	} 2>/dev/null
	rm -rf "$T"
}

fail() {
	echo "    FAIL: $*"
	[ -s "$T/serve.err" ] && tail -n 5 "$T/serve.err" | sed 's/^/    serve: /'
	exit 1
}

note() { echo "    $*"; }

now_s() { echo "${EPOCHREALTIME%.*}"; }

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# healthz: serve answers /healthz within 2 s, and its RSS is sampled.
healthz() {
	local rss
	[ "$(curl -sf -m 2 "http://$LISTEN/healthz")" = ok ] || fail "/healthz did not answer within 2 s"
	rss=$(rss_kb "$SERVE")
	[ "$rss" -gt "$PEAK_KB" ] && PEAK_KB=$rss
	return 0
}

snapshot_json() { curl -sf -m 5 "http://$LISTEN/api/snapshot" >"$T/snap.json"; }

# free_port: a loopback port no socket uses in any state, below the
# ephemeral range (where a client's socket could take it meanwhile).
free_port() {
	local port
	for port in $(shuf -i 20000-30000 -n 50); do
		[ -z "$(ss -tanH "( sport = :$port )")" ] && { echo "$port"; return 0; }
	done
	fail "no free port in 20000-30000"
}

# serve_start ARGS...: serve on a free loopback port, until /healthz answers.
serve_start() {
	LISTEN=127.0.0.1:$(free_port)
	"$PL" serve --listen "$LISTEN" "$@" 2>"$T/serve.err" &
	SERVE=$!
	local end=$(($(now_s) + WAIT_S))
	until curl -sf -m 2 "http://$LISTEN/healthz" >/dev/null; do
		kill -0 "$SERVE" 2>/dev/null || fail "serve exited at start"
		[ "$(now_s)" -lt "$end" ] || fail "serve did not answer within $WAIT_S s"
		sleep 0.1
	done
}

# reports N: until serve has built N more reports (its trace_s moves on
# with each), /healthz asked between every look.
reports() {
	local seen=0 last='' cur end=$(($(now_s) + WAIT_S))
	while [ "$seen" -lt "$1" ]; do
		healthz
		snapshot_json || fail "/api/snapshot did not answer"
		cur=$(jq .trace_s "$T/snap.json")
		[ "$cur" != "$last" ] && { [ -n "$last" ] && seen=$((seen + 1)); last=$cur; }
		[ "$(now_s)" -lt "$end" ] || fail "only $seen of $1 reports in $WAIT_S s"
		sleep 0.2
	done
}

# wait_named PID: until a report shows PID with the frames of its connects
# captured and named (portleak read that process's files to name them).
wait_named() {
	local end=$(($(now_s) + WAIT_S))
	while :; do
		healthz
		if snapshot_json && [ "$(jq --argjson p "$1" \
			'[.processes[] | select(.pid == $p) | .origins[]? | .frames | length] | add // 0' \
			"$T/snap.json")" -gt 0 ]; then
			return 0
		fi
		[ "$(now_s)" -lt "$end" ] || fail "pid $1 not in a report with named frames after $WAIT_S s"
		sleep 0.2
	done
}

# gone_and_back PID IDLE_KB: PID is killed; until no report shows it and
# serve's RSS is back within BACK_SLACK_KB of IDLE_KB.
gone_and_back() {
	local end=$(($(now_s) + WAIT_S)) rss
	{ kill -9 "$1" && wait "$1"; } 2>/dev/null
	while :; do
		healthz
		rss=$(rss_kb "$SERVE")
		if snapshot_json && [ "$(jq --argjson p "$1" '[.processes[] | select(.pid == $p)] | length' \
			"$T/snap.json")" = 0 ] && [ "$rss" -le $(($2 + BACK_SLACK_KB)) ]; then
			return 0
		fi
		[ "$(now_s)" -lt "$end" ] || fail "RSS $rss kB, $((rss - $2)) kB above idle, $WAIT_S s after pid $1 left"
		sleep 0.2
	done
}

start_server() {
	"$TCPWORK" serve -m drop -r "$T/server" &
	PIDS+=($!)
	local end=$(($(now_s) + WAIT_S))
	until [ -s "$T/server" ]; do
		[ "$(now_s)" -lt "$end" ] || fail "no server"
		sleep 0.05
	done
}

# hostile_case MODE [ARGS]: a hostile client as nobody against serve.
hostile_case() {
	local mode=$1 idle pid end
	shift
	start_server
	serve_start --stacks --leak-age 2 -i 0.5
	reports 2
	idle=$(rss_kb "$SERVE")
	PEAK_KB=$idle
	"${NOBODY[@]}" "$HOSTILE" "$mode" -p "$(cat "$T/server")" -n 8 -r "$T/w/ready" "$@" &
	pid=$!
	PIDS+=("$pid")
	end=$(($(now_s) + WAIT_S))
	until [ -s "$T/w/ready" ]; do
		kill -0 "$pid" 2>/dev/null || fail "the hostile client exited"
		[ "$(now_s)" -lt "$end" ] || fail "the hostile client never connected"
		healthz
		sleep 0.1
	done
	wait_named "$pid"
	reports 4
	[ "$PEAK_KB" -le $((idle + RSS_SLACK_KB)) ] ||
		fail "RSS peaked at $PEAK_KB kB, $(((PEAK_KB - idle) / 1024)) MiB above idle ($idle kB)"
	gone_and_back "$pid" "$idle"
	kill -0 "$SERVE" 2>/dev/null || fail "serve is gone"
	note "idle $((idle / 1024)) MiB, peak $((PEAK_KB / 1024)) MiB, back to $(($(rss_kb "$SERVE") / 1024)) MiB"
}

# --- tests -------------------------------------------------------------------

test_perf_map_fifo() { hostile_case fifo; }
test_perf_map_symlink_to_dev_zero() { hostile_case zero; }
test_perf_map_of_400_mib() { hostile_case big -s 400; }
test_perf_map_sparse_64_gib() { hostile_case sparse; }
test_mapped_file_truncated_while_read() { hostile_case truncate; }
test_fifo_in_place_of_a_deleted_mapping() { hostile_case deleted; }

# host_root_case KIND: a process in a Docker container's cgroup whose
# config under --host-root is KIND (fifo or garbage).
host_root_case() {
	local cg2 cid=c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00 dir pid t0 t1 cpu
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	[ -n "$cg2" ] || fail "no cgroup2 mount"
	CGROUP=$cg2/docker-$cid.scope
	mkdir "$CGROUP" || fail "cannot create $CGROUP"
	dir=$T/root/var/lib/docker/containers/$cid
	mkdir -p "$dir"
	if [ "$1" = fifo ]; then
		mkfifo "$dir/config.v2.json"
	else
		{ printf '{"Name": "/web", "x": ['; head -c $((100 << 20)) /dev/zero | tr '\0' '1'; } >"$dir/config.v2.json"
	fi
	chown -R nobody "$T/root/var/lib/docker"
	start_server
	serve_start --host-root "$T/root" -i 0.5
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' - "$CGROUP" \
		"$TCPWORK" connect -p "$(cat "$T/server")" -n 3 -m hold -r "$T/client" &
	pid=$!
	PIDS+=("$pid")
	reports 2
	t0=$(awk '{ print $14 + $15 }' "/proc/$SERVE/stat")
	reports 6
	t1=$(awk '{ print $14 + $15 }' "/proc/$SERVE/stat")
	snapshot_json
	[ "$(jq --argjson p "$pid" '[.processes[] | select(.pid == $p)] | length' "$T/snap.json")" = 1 ] ||
		fail "the container's process is not in the report"
	cpu=$((t1 - t0))
	note "serve used $cpu ticks over 6 reports"
	# 6 reports at 0.5 s: 3 s, 300 ticks at HZ 100. Parsing 100 MiB each
	# time took most of a core.
	[ "$cpu" -lt 100 ] || fail "serve used $cpu clock ticks over 6 reports: the config is read again and again"
}

test_host_root_config_fifo() { host_root_case fifo; }
test_host_root_config_of_100_mib_garbage() { host_root_case garbage; }

# kill -9 of serve --pin during its first start, at several instants (a
# load takes about 0.3 s here): the next start is healthy every time.
test_pin_dir_survives_kill_during_start() {
	local d pid
	# A BPF filesystem of the test's own: the host's is left alone.
	mkdir -p "$T/bpffs"
	mount -t bpf bpf "$T/bpffs" || fail "mount -t bpf bpf $T/bpffs"
	PINDIR=$T/bpffs/portleak
	for d in 0.05 0.1 0.15 0.2 0.25 0.3 0.35 0.45; do
		rm -rf "$PINDIR" # each kill on a first start, as on a new host
		"$PL" serve --pin-dir "$PINDIR" --listen "127.0.0.1:$(free_port)" 2>/dev/null &
		pid=$!
		sleep "$d" # the instant of the kill is the test's point, not a wait
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		serve_start --pin-dir "$PINDIR"
		reports 1
		kill "$SERVE"
		wait "$SERVE"
		SERVE=
	done
}

# Over a million fds on the host (56 processes x 19,900, the most one
# process may hold here): every command works (the fd walk reads on after
# EAGAIN), and serve goes on reporting.
test_a_million_fds() {
	local i n=0 end
	for ((i = 0; i < 56; i++)); do
		(ulimit -n 20000 && exec "$TCPWORK" fds -n 19900 -r "$T/fds.$i") &
		PIDS+=($!)
	done
	end=$(($(now_s) + WAIT_S))
	while [ "$n" -lt 56 ]; do
		n=$(cat "$T"/fds.* 2>/dev/null | grep -c "fds=19900")
		[ "$(now_s)" -lt "$end" ] || fail "only $n of 56 fd holders ready"
		sleep 0.1
	done
	"$PL" snapshot -d 0 >/dev/null 2>"$T/err" || fail "snapshot -d 0: $(cat "$T/err")"
	"$PL" snapshot -d 1 --json >"$T/s.json" 2>"$T/err" || fail "snapshot -d 1: $(cat "$T/err")"
	"$PL" doctor >/dev/null 2>"$T/err" || fail "doctor: $(cat "$T/err")"
	"$PL" top -b -n 2 -d 0.5 >/dev/null 2>"$T/err" || fail "top -b: $(cat "$T/err")"
	grep -q "failed" "$T/err" && fail "top -b: $(cat "$T/err")"
	"$PL" watch -n 2 -i 0.5 --json >/dev/null 2>"$T/err" || fail "watch: $(cat "$T/err")"
	grep -q "failed" "$T/err" && fail "watch: $(cat "$T/err")"
	serve_start -i 0.5
	reports 3
	[ "$(jq .report.failures "$T/snap.json")" = 0 ] || fail "serve: $(jq -c .report "$T/snap.json")"
	note "fds on the host: $(awk '{ s += $1 } END { print s }' < <(for p in "${PIDS[@]}"; do ls "/proc/$p/fd" | wc -l; done))"
}

# A report that takes over a second (200,000 established connections, 400,000
# sockets): /healthz answers from the last report meanwhile, so no answer
# waits as long as the report takes. The bound is serve's own figure
# (portleak_report_duration_seconds), not a fixed time.
test_serve_answers_while_a_slow_report_builds() {
	local i n=0 end lat max=0 dur
	for ((i = 0; i < 10; i++)); do
		(ulimit -n 20000 && exec "$TCPWORK" serve -m hold -r "$T/srv.$i") >/dev/null &
		PIDS+=($!)
	done
	end=$(($(now_s) + WAIT_S))
	until [ "$(cat "$T"/srv.* 2>/dev/null | wc -l)" -ge 10 ]; do
		[ "$(now_s)" -lt "$end" ] || fail "servers not ready"
		sleep 0.05
	done
	for ((i = 0; i < 10; i++)); do
		(ulimit -n 20000 && exec "$TCPWORK" connect -p "$(cat "$T/srv.$i")" -n 10000 -m hold -r "$T/cli.$i") >/dev/null &
		PIDS+=($!)
	done
	while [ "$n" -lt 10 ]; do
		n=$(cat "$T"/cli.* 2>/dev/null | grep -c "connected=10000 ")
		[ "$(now_s)" -lt "$end" ] || fail "only $n of 10 clients connected 10,000 times"
		sleep 0.1
	done
	serve_start -i 0.5
	until curl -sf -m 10 -o /dev/null "http://$LISTEN/api/snapshot"; do
		[ "$(now_s)" -lt "$end" ] || fail "no report within $WAIT_S s"
		sleep 0.2
	done
	for ((i = 0; i < 40; i++)); do
		lat=$(curl -sf -m 10 -o /dev/null -w '%{time_total}' "http://$LISTEN/healthz") || fail "/healthz did not answer"
		max=$(awk -v a="$max" -v b="$lat" 'BEGIN { print (b > a) ? b : a }')
		sleep 0.1
	done
	dur=$(curl -sf -m 10 "http://$LISTEN/metrics" | awk '$1 == "portleak_report_duration_seconds" { print $2 }')
	note "reports take ${dur:-?} s; the slowest of 40 /healthz answers took $max s"
	[ -n "$dur" ] || fail "no portleak_report_duration_seconds"
	awk -v d="$dur" 'BEGIN { exit !(d >= 0.3) }' || fail "a report took only $dur s: too fast to tell"
	awk -v d="$dur" -v m="$max" 'BEGIN { exit !(m < d / 2) }' ||
		fail "a /healthz answer took $max s, reports take $dur s: HTTP waits for the report"
}

# Without tracefs portleak mounts it for itself alone: the host's mount
# table is the same after it.
test_no_tracefs() {
	unshare -m bash -c '
		for m in /sys/kernel/debug/tracing /sys/kernel/tracing /sys/kernel/debug; do
			umount "$m" 2>/dev/null
		done
		before=$(grep -c tracefs /proc/self/mounts)
		"$1" snapshot -d 1 --hooks classic >/dev/null 2>"$2/err" || { echo "snapshot failed"; exit 1; }
		after=$(grep -c tracefs /proc/self/mounts)
		[ "$before" = 0 ] && [ "$after" = 0 ] || { echo "tracefs mounts $before before, $after after"; exit 1; }
		grep -q "mounted tracefs at /sys/kernel/tracing, for portleak alone" "$2/err" ||
			{ echo "the mount was not said: $(cat "$2/err")"; exit 1; }
	' - "$PL" "$T" >"$T/out" || fail "$(cat "$T/out")"
}

# --- runner ------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || { echo "hostile tests need root"; exit 1; }
[ -x "$PL" ] && [ -x "$HOSTILE" ] && [ -x "$TCPWORK" ] || { echo "build first: make"; exit 1; }
TESTS=${*:-$(declare -F | awk '$3 ~ /^test_/ { print $3 }')}
passed=0
failed=0
for t in $TESTS; do
	# A perf map left by a process that is gone (a JIT's, say) would stand
	# in the way of a hostile process given its pid: /tmp is sticky.
	for f in /tmp/perf-*.map; do
		p=${f#/tmp/perf-}
		p=${p%.map}
		[ -e "$f" ] && [ "$p" -gt 0 ] 2>/dev/null && ! kill -0 "$p" 2>/dev/null && rm -f "$f"
	done
	T=$(mktemp -d /tmp/portleak-hostile.XXXXXX)
	chmod 755 "$T"
	mkdir -m 777 "$T/w"
	began=$EPOCHREALTIME
	(
		trap cleanup EXIT
		$t
	)
	rc=$?
	secs=$(awk -v a="$began" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	if [ $rc -eq 0 ]; then
		echo "  ok   $t ($secs s)"
		passed=$((passed + 1))
	else
		echo "  FAIL $t ($secs s)"
		failed=$((failed + 1))
	fi
done
echo "hostile: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
