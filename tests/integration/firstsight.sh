# portleak integration tests, sourced by run.sh: the first report is as
# right as the hundredth, from the kernel's own clocks of each socket —
# CLOSE_WAIT older than portleak, idle client pools (STALE), TIME_WAIT
# birth times.

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
