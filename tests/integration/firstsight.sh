# portleak integration tests, sourced by run.sh: the first report is as
# right as the hundredth, from the kernel's own clocks of each socket —
# CLOSE_WAIT older than portleak (keepalive too), idle client pools
# (STALE), TIME_WAIT birth times, dead sockets still held — and for real
# software: a Go client, Apache HttpClient pools on OpenJDK, nginx.

# wait_state STATE PORT N: until the kernel has N sockets in STATE with
# local port PORT; prints nothing, fails on timeout.
wait_state() {
	local i n
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		n=$(ss -tanH state "$1" "( sport = :$2 )" | wc -l)
		[ "$n" -ge "$3" ] && return 0
		sleep 0.05
	done
	fail "no $3 $1 sockets on port $2 (last: $n)"
}

# age_since START: seconds since $EPOCHREALTIME was START, with decimals.
age_since() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'
}

# within WHAT VALUE LOW HIGH: LOW <= VALUE <= HIGH, as numbers.
within() {
	awk -v v="$2" -v l="$3" -v h="$4" 'BEGIN { exit !(v >= l && v <= h) }' ||
		fail "$1: $2 not within [$3, $4]"
}

# leak_before_portleak SECS: a server holding 10 CLOSE_WAIT sockets that
# are SECS old before portleak starts; sets server and BORN.
leak_before_portleak() {
	start_leak 10
	wait_state close-wait "$(cat "$T/server")" 10
	BORN=$EPOCHREALTIME
	sleep "$1" # the age under test: measured, not assumed
}

test_close_wait_older_than_portleak_is_leak_at_once() {
	local before after age
	leak_before_portleak 5
	before=$(age_since "$BORN")
	"$PL" snapshot -d 0 --json --leak-age 3 --hooks "$HOOKS" >"$T/out.json" 2>"$T/err" || fail "snapshot"
	after=$(age_since "$BORN")
	expect "server verdict on the first report" "$(proc "$server" .verdict)" leak
	expect "age exact" "$(proc "$server" .close_wait_age_exact)" false
	age=$(proc "$server" .close_wait_oldest_s)
	within "CLOSE_WAIT age from the kernel's clock" "$age" \
		"$(awk -v a="$before" 'BEGIN { print a - 1 }')" "$(awk -v a="$after" 'BEGIN { print a + 1 }')"
	# top -b: the first refresh has it on the first row, as LEAK.
	"$PL" top -b -n 1 -d 0.5 --leak-age 3 --hooks "$HOOKS" >"$T/top.txt" 2>"$T/err" || fail "top -b"
	local first
	first=$(sed -n '/^    PID COMM/{n;p;q}' "$T/top.txt")
	case $first in *" $server "*LEAK|"$server "*LEAK|*" $server tcpwork"*LEAK) ;;
	*) fail "first row of the first refresh: '$first'" ;;
	esac
	echo "    note: CLOSE_WAIT $before-$after s old: portleak says $age s (at least)" >&2
}

# The full screen, started after the leak, refreshing once a minute: its
# first screen already has the leak on the first row with LEAK.
test_top_screen_first_refresh_shows_old_leak() {
	local sock=portleak-first-$$ screen first i
	leak_before_portleak 4
	tmux -L "$sock" new-session -d -x 200 -y 50 \
		"$PL top -d 60 --leak-age 2 --hooks $HOOKS 2>$T/err; sleep 60" ||
		fail "cannot start tmux"
	PIDS+=($(tmux -L "$sock" list-panes -F '#{pane_pid}'))
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		screen=$(tmux -L "$sock" capture-pane -p)
		first=$(printf '%s\n' "$screen" | sed -n '/^ *PID COMM/{n;p;q}')
		[ -n "$first" ] && break
		sleep 0.05
	done
	tmux -L "$sock" kill-server
	case $first in *"$server "*LEAK*) ;;
	*) fail "first row of the first screen: '$first'" ;;
	esac
}

# A client that opened connections and left them idle is STALE; the server
# holding the accepted ends is not; nor is a client whose connections carry
# a byte every second, nor one that opens and closes.
test_idle_client_pool_is_stale() {
	local port i
	start server "$WORKLOAD" serve -m hold -r "$T/server"
	wait_for "$T/server"
	port=$(cat "$T/server")
	start idle "$WORKLOAD" connect -p "$port" -n 8 -m hold -r "$T/idle"
	start busy "$WORKLOAD" connect -p "$port" -n 8 -m hold -k 1 -r "$T/busy"
	start churn "$WORKLOAD" connect -p "$port" -n 30 -m close -r "$T/churn"
	wait_for "$T/idle"
	wait_for "$T/busy"
	wait_for "$T/churn"
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		"$PL" snapshot -d 0 --json --idle-age 3 --stale-min 5 --hooks "$HOOKS" \
			>"$T/out.json" 2>"$T/err" || fail "snapshot"
		# All 8 idle long enough, not just the 5 that make it stale: an
		# emulated kernel spreads the connects over more than a second.
		[ "$(proc "$idle" .established_idle)" = 8 ] && break
		sleep 0.2
	done
	expect "idle client" "$(proc "$idle" .verdict)" stale
	expect "idle client's idle connections" "$(proc "$idle" .established_idle)" 8
	grep -q "8 ESTABLISHED idle >= 3s" <<<"$(proc "$idle" '.reasons[0]')" ||
		fail "reason: $(proc "$idle" '.reasons[0]')"
	expect "server (accepted ends)" "$(proc "$server" .verdict)" ok
	[ "$(proc "$server" .established_idle)" -ge 8 ] || fail "server idle: $(proc "$server" .established_idle)"
	expect "busy client" "$(proc "$busy" .verdict)" ok
	expect "busy client's idle connections" "$(proc "$busy" .established_idle)" 0
	expect "churning client" "$(proc "$churn" '.verdict // "ok"')" ok
}

# ss_tw_left PORT: whole seconds left on the youngest and the oldest
# TIME_WAIT toward PORT, as the kernel's timers say.
ss_tw_left() {
	ss -tnoH state time-wait "( dport = :$1 )" |
		sed -n 's/.*timer:(timewait,\([0-9]*\)sec.*/\1/p' | sort -n | sed -n '1p;$p' | tr '\n' ' '
}

test_time_wait_ages_agree_with_the_kernel() {
	local port before after oldest
	start server "$WORKLOAD" serve -m close -r "$T/server"
	wait_for "$T/server"
	port=$(cat "$T/server")
	time_wait_burst client "$port" 10
	sleep 2 # old enough that a wrong clock cannot look right
	read -r before _ <<<"$(ss_tw_left "$port")"
	"$PL" snapshot -d 0 --json --hooks "$HOOKS" >"$T/out.json" 2>"$T/err" || fail "snapshot"
	read -r after _ <<<"$(ss_tw_left "$port")"
	oldest=$(jq --argjson p "$port" '[.destinations[] | select(.dport == $p)] | first | .time_wait_oldest_s' "$T/out.json")
	# ss shows whole seconds left (rounded down): the oldest is 60 - left - [0, 1) s old.
	within "oldest TIME_WAIT toward the port" "$oldest" $((60 - before - 2)) $((60 - after + 1))
	expect "TIME_WAIT toward the port" \
		"$(jq --argjson p "$port" '[.destinations[] | select(.dport == $p)] | first | .time_wait' "$T/out.json")" "$TW"
	echo "    note: oldest TIME_WAIT $oldest s; ss: ${before}s then ${after}s left" >&2
}

# A CLOSE_WAIT on which the application keeps writing after the peer's FIN:
# the peer's ACKs make it look younger, never older.
test_close_wait_with_writes_is_younger_never_older() {
	local age now
	start server "$WORKLOAD" serve -m hold -k 1 -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 3 -m half -r "$T/client"
	wait_for "$T/client"
	wait_state close-wait "$(cat "$T/server")" 3
	BORN=$EPOCHREALTIME
	sleep 4
	"$PL" snapshot -d 0 --json --hooks "$HOOKS" >"$T/out.json" 2>"$T/err" || fail "snapshot"
	now=$(age_since "$BORN")
	age=$(proc "$server" .close_wait_oldest_s)
	within "CLOSE_WAIT age with writes after the FIN" "$age" 0 "$(awk -v a="$now" 'BEGIN { print a - 1.5 }')"
	echo "    note: CLOSE_WAIT $now s old, written to every second: portleak says at least $age s" >&2
}

# The first line of watch and the first report of serve judge the old leak
# too: a restarted serve opens no blind window for the alert.
test_first_watch_line_and_serve_report_see_old_leak() {
	leak_before_portleak 4
	"$PL" watch -i 0.5 -n 1 --json --leak-age 2 --hooks "$HOOKS" >"$T/out.json" 2>"$T/err" ||
		fail "watch"
	expect "first watch line: server verdict" "$(proc "$server" .verdict)" leak
	serve_start --leak-age 2
	pinned_serve_report
	expect "first serve report: server verdict" "$(proc "$server" .verdict)" leak
	metrics | grep -q "^portleak_process_close_wait_oldest_seconds{pid=\"$server\"" ||
		fail "no CLOSE_WAIT age for the server in the first scrape"
}

# ss_clocks PORT FIELD: the largest FIELD (lastrcv, lastack: ms) of the
# CLOSE_WAIT sockets toward PORT, as the kernel tells ss; seconds.
ss_clocks() {
	ss -tnoiH state close-wait "( dport = :$1 )" |
		grep -o "$2:[0-9]*" | cut -d: -f2 | sort -n | tail -n 1 |
		awk '{ printf "%.3f", $1 / 1000 }'
}

# socket_fds PID: the socket fds of PID, as /proc lists them.
socket_fds() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'socket:\['
}

# dead_sockets PID: socket fds of PID whose TCP socket ss does not list
# (it lists none in CLOSE), once every one of them is gone from ss.
dead_sockets() {
	local i
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		[ "$(ss -tanpH | grep -c "pid=$1,")" -eq 0 ] && break
		sleep 0.05
	done
	echo $(($(socket_fds "$1") - $(ss -tanpH | grep -c "pid=$1,")))
}

# A client holds 20 connections its server then resets at once: 20 fds of
# dead sockets, which ss no longer lists, found by the listing walk and
# by the walk of a tracing agent.
test_dead_sockets_held_after_a_reset() {
	local dead
	start server "$WORKLOAD" serve -m reset -r "$T/server"
	wait_for "$T/server"
	start client "$WORKLOAD" connect -p "$(cat "$T/server")" -n 20 -m hold -r "$T/client"
	wait_for "$T/client" "connected=20"
	kill -USR1 "$server"
	wait_for "$T/server.reset" "reset=20"
	dead=$(dead_sockets "$client")
	expect "kernel: the client's dead sockets" "$dead" 20
	snapshot_now
	expect "snapshot: dead sockets held" "$(proc "$client" .dead_held)" "$dead"
	expect "snapshot: verdict" "$(proc "$client" .verdict)" leak
	proc "$client" '.reasons | join(" ")' |
		grep -q "holds 20 sockets whose connections are gone (reset or aborted, state CLOSE): the fds leak" ||
		fail "client reasons: $(proc "$client" .reasons)"
	agent_start
	agent_report
	expect "tracing: dead sockets held" "$(proc "$client" .dead_held)" "$dead"
	expect "tracing: verdict" "$(proc "$client" .verdict)" leak
	expect "server: none" "$(proc "$server" .dead_held)" 0
}

# A Go client (keepalive on, every second here) holds 25 connections the
# server closed: the ACKs to its probes keep the clock of the last ACK
# young, so the age is a range whose top, since data last came, is what
# ss calls lastrcv. Then the server resets them, as keepalive probes to a
# peer that is gone do: the client keeps 25 fds of dead sockets.
test_go_keepalive_close_wait_age_and_dead_sockets() {
	local port born since_fin age max rcv1 rcv2 dead i
	command -v go >/dev/null || fail "no go: make test-deps installs golang-go"
	GOCACHE=$T/gocache HOME=$T go build -o "$T/keepalive" \
		"$ROOT/tests/integration/workloads/go/keepalive.go" || fail "go build"
	start server "$T/keepalive" server "$T/server"
	wait_for "$T/server"
	port=$(cat "$T/server")
	start client "$T/keepalive" client "127.0.0.1:$port" 25 "$T/client"
	wait_for "$T/client" "connected=25"
	wait_for "$T/server.fin" "fin=25"
	born=$EPOCHREALTIME
	# until the kernel shows what keepalive does: data 6 s old, ACKs fresh
	for ((i = 0; i < TIMEOUT_STEPS * 2; i++)); do
		awk -v r="$(ss_clocks "$port" lastrcv)" -v a="$(ss_clocks "$port" lastack)" \
			'BEGIN { exit !(r >= 6 && a < 3) }' && break
		sleep 0.05
	done
	rcv1=$(ss_clocks "$port" lastrcv)
	since_fin=$(age_since "$born")
	"$PL" snapshot -d 0 --json --leak-age 5 --hooks "$HOOKS" >"$T/out.json" 2>"$T/err" || fail "snapshot"
	rcv2=$(ss_clocks "$port" lastrcv)
	age=$(proc "$client" .close_wait_oldest_s)
	max=$(proc "$client" .close_wait_oldest_max_s)
	within "sure CLOSE_WAIT age (keepalive ACKs)" "$age" 0 3
	within "most CLOSE_WAIT age vs ss lastrcv" "$max" \
		"$(awk -v a="$rcv1" 'BEGIN { print a - 0.1 }')" "$(awk -v a="$rcv2" 'BEGIN { print a + 0.1 }')"
	within "most CLOSE_WAIT age vs the FIN" "$max" "$since_fin" 1000
	expect "verdict on what is sure" "$(proc "$client" .verdict)" ok
	proc "$client" '.reasons[0]' | grep -q "^25 CLOSE_WAIT, oldest [0-9]*s-[0-9]*s: the peer may have closed" ||
		fail "client reason: $(proc "$client" .reasons)"
	echo "    note: keepalive CLOSE_WAIT: portleak ${age}s-${max}s; ss lastrcv ${rcv1}s..${rcv2}s" >&2

	# the server resets them: the Go client keeps 25 fds of dead sockets
	kill -USR1 "$server"
	wait_for "$T/server.reset" "reset=25"
	dead=$(dead_sockets "$client")
	expect "kernel: the client's dead sockets" "$dead" 25
	"$PL" snapshot -d 0 --json --hooks "$HOOKS" >"$T/out.json" 2>"$T/err" || fail "snapshot"
	expect "snapshot: dead sockets held" "$(proc "$client" .dead_held)" "$dead"
	expect "snapshot: verdict" "$(proc "$client" .verdict)" leak
}

# nginx_run NAME WORKERS HTTP PORT...: Debian's nginx with the http block
# HTTP, its files in $T/NAME, until each PORT listens; WORKERS 0: one
# process (its pid in $NAME), else a master (in $NAME) and that many
# workers (in $NAME_workers), all of them killed by the test's cleanup.
nginx_run() {
	local name=$1 workers=$2 http=$3 dir=$T/$1 port pid i
	shift 3
	command -v nginx >/dev/null || fail "no nginx: make test-deps installs it"
	mkdir -p "$dir"
	{
		[ "$workers" -gt 0 ] && echo "user nobody nogroup; worker_processes $workers;"
		echo "error_log $dir/error.log; pid $dir/nginx.pid;"
		echo "events { worker_connections 256; }"
		echo "http { access_log off; $http }"
	} >"$dir/nginx.conf"
	if [ "$workers" -gt 0 ]; then
		start "$name" nginx -p "$dir/" -c "$dir/nginx.conf" -g "daemon off;"
	else
		start "$name" nginx -p "$dir/" -c "$dir/nginx.conf" -g "daemon off; master_process off;"
	fi
	for port in "$@"; do
		wait_listen "$port" "$dir"
	done
	if [ "$workers" -gt 0 ]; then
		for ((i = 0; i < TIMEOUT_STEPS; i++)); do
			[ "$(pgrep -c -P "${!name}")" -ge "$workers" ] && break
			sleep 0.05
		done
		for pid in $(pgrep -P "${!name}"); do
			PIDS+=("$pid")
		done
		printf -v "${name}_workers" '%s' "$(pgrep -P "${!name}" | tr '\n' ' ')"
	fi
}

# nginx_start PORT...: nginx serving "ok" on each loopback PORT, closing
# keep-alive connections idle for 2 s; its pid in $nginx.
nginx_start() {
	local port http="keepalive_timeout 2s;"
	for port in "$@"; do
		http+=" server { listen 127.0.0.1:$port; location / { return 200 \"ok\\n\"; } }"
	done
	nginx_run nginx 0 "$http" "$@"
}

# wait_listen PORT DIR: until something listens on loopback PORT (nginx's
# files in DIR, for the error).
wait_listen() {
	local i
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		[ -n "$(ss -ltnH "( sport = :$1 )")" ] && return 0
		sleep 0.05
	done
	fail "nothing listens on port $1: $(cat "$2/error.log" 2>/dev/null)"
}

# Three Apache HttpClient pools on OpenJDK behind nginx. Pool A gives its
# connections back and keeps using one: the others, closed by nginx after
# 2 s idle, sit in CLOSE_WAIT, an idle pool that still talks to its peer.
# Pool B never closes its responses: its connections stay leased, in
# CLOSE_WAIT, and nothing else talks to that peer. Pool C is A toward an
# nginx that keeps idle connections a minute: idle, but a pool in use, not
# STALE. The first report tells them apart, with the kernel's counts.
test_java_pools_told_apart() {
	local a b c http cp=/usr/share/java/httpclient.jar:/usr/share/java/httpcore.jar
	cp+=:/usr/share/java/commons-logging.jar:/usr/share/java/commons-codec.jar
	command -v javac >/dev/null || fail "no javac: make test-deps installs the JDK"
	[ -r /usr/share/java/httpclient.jar ] || fail "no HttpClient: make test-deps installs libhttpclient-java"
	javac -cp "$cp" -d "$T" "$ROOT/tests/integration/workloads/java/PoolClient.java" || fail "javac"
	a=$(free_port 20000 24999)
	b=$(free_port 25000 29999)
	c=$(free_port 30000 32000)
	http="server { listen 127.0.0.1:$a; keepalive_timeout 2s; location / { return 200 \"ok\\n\"; } }"
	http+=" server { listen 127.0.0.1:$b; keepalive_timeout 2s; location / { return 200 \"ok\\n\"; } }"
	http+=" server { listen 127.0.0.1:$c; keepalive_timeout 60s; location / { return 200 \"ok\\n\"; } }"
	nginx_run nginx 0 "$http" "$a" "$b" "$c"
	start idle java -cp "$T:$cp" PoolClient idle "http://127.0.0.1:$a/" 5 "$T/idle" 2>"$T/idle.err"
	start leased java -cp "$T:$cp" PoolClient leased "http://127.0.0.1:$b/" 5 "$T/leased" 2>"$T/leased.err"
	start used java -cp "$T:$cp" PoolClient idle "http://127.0.0.1:$c/" 5 "$T/used" 2>"$T/used.err"
	wait_long "$T/idle" "pooled=5" "$T/idle.err"
	wait_long "$T/leased" "leased=5" "$T/leased.err"
	wait_long "$T/used" "pooled=5" "$T/used.err"
	wait_close_wait "$idle" 4
	wait_close_wait "$leased" 5
	sleep 2.5 # past --leak-age 1 from the kernel's clock of the last ACK, and --idle-age 2
	"$PL" snapshot -d 0 --json --leak-age 1 --idle-age 2 --stale-min 3 --hooks "$HOOKS" \
		>"$T/out.json" 2>"$T/err" || fail "snapshot"
	expect "pool A: CLOSE_WAIT, as the kernel counts" \
		"$(proc "$idle" .sockets.CLOSE_WAIT)" "$(kernel_close_wait "$idle" "$a")"
	expect "pool A: verdict" "$(proc "$idle" .verdict)" leak
	proc "$idle" '.reasons[0]' | grep -q "it still talks to that peer on 1 others: an idle pool the peer closed" ||
		fail "pool A reason: $(proc "$idle" .reasons)"
	expect "pool B: CLOSE_WAIT, as the kernel counts" \
		"$(proc "$leased" .sockets.CLOSE_WAIT)" "$(kernel_close_wait "$leased" "$b")"
	expect "pool B: verdict" "$(proc "$leased" .verdict)" leak
	proc "$leased" '.reasons[0]' | grep -q "no connection to that peer moves data: held, never read to the end or closed" ||
		fail "pool B reason: $(proc "$leased" .reasons)"
	expect "pool C: idle connections" "$(proc "$used" .established_idle)" 4
	expect "pool C: none abandoned" "$(proc "$used" .established_idle_opened)" 0
	expect_ok "pool C: verdict" "$(proc "$used" .verdict)"
}

# nginx as a reverse proxy (a master, 2 workers) without upstream
# keep-alive, in front of another nginx: each request opens a connection
# to the backend, and one side closes it first. Every TIME_WAIT is
# charged to the nginx process that closed first: toward the backend's
# port to the proxy's workers, from it to the backend, as the kernel's
# tuples say.
test_nginx_proxy_time_wait_per_worker() {
	local front back i toward from workers_tw
	front=$(free_port 20000 29999)
	back=$(free_port 30000 32000)
	nginx_run backend 0 "server { listen 127.0.0.1:$back; location / { return 200 \"ok\\n\"; } }" "$back"
	nginx_run proxy 2 "server { listen 127.0.0.1:$front; location / { proxy_pass http://127.0.0.1:$back; } }" "$front"
	agent_start
	for ((i = 0; i < 40; i++)); do
		curl -fsS "http://127.0.0.1:$front/" >/dev/null || fail "request $i through the proxy"
	done
	toward=$(ss -tanH state time-wait "( dport = :$back )" | wc -l)
	from=$(ss -tanH state time-wait "( sport = :$back )" | wc -l)
	[ $((toward + from)) -ge 40 ] || fail "kernel: $toward + $from TIME_WAIT for 40 requests"
	agent_report
	workers_tw=0
	for pid in $proxy_workers; do
		workers_tw=$((workers_tw + $(proc "$pid" '.sockets.TIME_WAIT // 0')))
	done
	expect_count "proxy workers: TIME_WAIT toward the backend" "$workers_tw" "$toward"
	expect_count "backend: TIME_WAIT it closed first" "$(proc "$backend" '.sockets.TIME_WAIT // 0')" "$from"
	expect "proxy master: none" "$(proc "$proxy" '.sockets.TIME_WAIT // 0')" 0
	echo "    note: 40 requests: $toward TIME_WAIT on the proxy's side, $from on the backend's" >&2
}
