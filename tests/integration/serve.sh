# portleak integration tests, sourced by run.sh: serve against hostile
# local clients, and cgroup paths on whatever layout the host has. Neither
# depends on the kernel: the VM matrix leaves them out.

# scrape_within SECS WHAT: one /metrics scrape must answer 200 within SECS
# (times SETTLE); its time is printed for the logs.
scrape_within() {
	local limit out
	limit=$(awk -v s="$1" -v f="$SETTLE" 'BEGIN { print s * (f < 1 ? 1 : f) }')
	out=$(curl -s -o "$T/scrape.txt" -w '%{http_code} %{time_total}' --max-time "$limit" \
		"http://127.0.0.1:$SERVE_PORT/metrics")
	echo "    note: scrape beside $2: $out s" >&2
	[ "${out% *}" = 200 ] || fail "scrape beside $2: '$out' (limit $limit s): $(tail -n 3 "$T/serve.log")"
	grep -q '^portleak_build_info' "$T/scrape.txt" || fail "scrape beside $2: no metrics"
}

# A client that sends one byte every half second, reconnecting whenever
# the server hangs up: it must not hold the scrapes up.
test_serve_dripping_client_cannot_stall_it() {
	local i
	serve_start
	scrape_within 2 "nothing"
	(
		trap '' PIPE
		while :; do
			exec 3<>"/dev/tcp/127.0.0.1/$SERVE_PORT" || exit 1
			printf 'G' >&3
			while sleep 0.5 && printf 'E' >&3 2>/dev/null; do :; done
			exec 3>&-
		done
	) &
	PIDS+=($!)
	sleep 0.5
	for i in 1 2 3 4; do
		scrape_within 2 "a dripping client"
		sleep 0.4
	done
}

# Hundreds of connections that send nothing, and a request head over the
# limit: scrapes still answer, the head gets a 431.
test_serve_idle_connections_and_huge_heads() {
	local n status
	serve_start
	(
		for ((n = 0; n < 300; n++)); do
			exec {fd}<>"/dev/tcp/127.0.0.1/$SERVE_PORT" || break
		done
		echo "$n" >"$T/idle"
		sleep 600
	) &
	PIDS+=($!)
	wait_for "$T/idle"
	expect "idle connections opened" "$(cat "$T/idle")" 300
	scrape_within 2 "300 idle connections"
	exec {fd}<>"/dev/tcp/127.0.0.1/$SERVE_PORT" || fail "connect"
	# serve answers once it has 8 KiB and hangs up: the rest of the write
	# may meet a closed socket (EPIPE), which must not end the test.
	(trap '' PIPE; printf 'GET /metrics HTTP/1.1\r\nX-Pad: %s\r\n\r\n' \
		"$(head -c 20000 /dev/zero | tr '\0' a)") >&$fd 2>/dev/null
	read -r -t 5 status <&$fd
	exec {fd}>&-
	case $status in "HTTP/1.1 431 "*) ;; *) fail "oversized head answered '$status'" ;; esac
	scrape_within 2 "300 idle connections and an oversized head"
}

# fd_count: serve's open fds at rest, the least of 20 readings over a
# second: its engine thread, building a report beside the HTTP thread,
# holds an iterator's and a namespace's fd for a moment; a leak raises
# every reading.
fd_count() {
	local i
	for ((i = 0; i < 20; i++)); do
		ls "/proc/$SERVE/fd" | wc -l
		sleep 0.05
	done | sort -n | head -n 1
}
# rss_kib: serve's resident memory at rest, the least of 20 readings over
# a second: a report in flight holds its arrays for a moment (megabytes on
# a busy host), which is not memory kept; a leak raises every reading.
rss_kib() {
	local i
	for ((i = 0; i < 20; i++)); do
		awk '/^VmRSS:/ { print $2 }' "/proc/$SERVE/status"
		sleep 0.05
	done | sort -n | head -n 1
}

# bad_requests N FILE: N malformed or abandoned requests to serve, then
# "done" in FILE.
bad_requests() {
	local i fd long
	long=$(head -c 400 /dev/zero | tr '\0' x) # made once: a pipeline per request is slow
	(
		trap '' PIPE
		for ((i = 0; i < $1; i++)); do
			exec {fd}<>"/dev/tcp/127.0.0.1/$SERVE_PORT" || continue
			case $((i % 4)) in
			0) printf 'BREW /pot HTCPCP/1.0\r\n\r\n' >&$fd ;;
			1) printf 'GET /%s HTTP/1.1\r\n\r\n' "$long" >&$fd ;;
			2) printf '\x00\xff\r\n\r\n' >&$fd ;;
			3) printf 'GET /metrics' >&$fd ;; # and hang up
			esac 2>/dev/null
			exec {fd}>&-
		done
		echo done >"$2"
	) &
	PIDS+=($!)
	wait_long "$2" done "$T/serve.log"
}

# Thousands of bad requests leave serve's fds and memory where they were.
# The memory is measured after a first thousand: by then malloc's heap has
# its working size (the start-up's BTF parse is freed, and may or may not
# be given back, before the reports' arrays grow it again); a leak grows
# with every request.
test_serve_survives_thousands_of_bad_requests() {
	local fds rss after i
	serve_start
	scrape_within 2 "nothing"
	fds=$(fd_count)
	bad_requests 1000 "$T/warm"
	scrape_within 2 "1000 bad requests"
	rss=$(rss_kib)
	bad_requests 3000 "$T/bad"
	for ((i = 0; i < TIMEOUT_STEPS / 20; i++)); do # each look takes a second
		[ "$(fd_count)" -le "$fds" ] && break
	done
	expect "serve's fds after 3000 bad requests" "$(fd_count)" "$fds"
	scrape_within 2 "3000 bad requests"
	after=$(rss_kib)
	echo "    note: serve RSS at rest $rss -> $after KiB, fds $fds -> $(fd_count)" >&2
	if [ "${PORTLEAK_TEST_ASAN:-0}" = 1 ]; then
		# AddressSanitizer keeps freed memory in quarantine: the RSS says
		# nothing; its leak check at exit does.
		kill -TERM "$SERVE"
		wait "$SERVE" || fail "serve exited with $? (a sanitizer report?): $(tail -n 20 "$T/serve.log")"
	else
		[ $((after - rss)) -lt 4096 ] ||
			fail "serve's memory grew from $rss to $after KiB over 3000 bad requests"
	fi
}

# cgroup2_mount: where this host mounts cgroup v2 (hybrid hosts: not at
# /sys/fs/cgroup).
cgroup2_mount() {
	awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' \
		/proc/self/mountinfo | head -n 1
}

# start_in_cgroup NAME DIR CMD...: run a workload inside cgroup DIR.
start_in_cgroup() {
	local name=$1 dir=$2
	shift 2
	bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' - "$dir" "$@" &
	PIDS+=($!)
	printf -v "$name" '%s' $!
}

# Processes in cgroups made before and after serve started are named by
# their path below the cgroup2 mount, wherever it is.
test_cgroup_paths_before_and_after_serve_starts() {
	local root name before after
	root=$(cgroup2_mount)
	[ -n "$root" ] || fail "no cgroup2 mount in /proc/self/mountinfo"
	name=portleak-test-$$-$RANDOM
	CGROUPS=("$root/$name-before" "$root/$name-after")
	mkdir "${CGROUPS[0]}" || fail "cannot create a cgroup under $root"
	start_in_cgroup before "${CGROUPS[0]}" "$WORKLOAD" serve -m hold -r "$T/before"
	wait_for "$T/before"
	serve_start
	pinned_serve_report
	expect "cgroup made before serve" "$(proc "$before" .cgroup)" "/$name-before"
	mkdir "${CGROUPS[1]}" || fail "cannot create a cgroup under $root"
	start_in_cgroup after "${CGROUPS[1]}" "$WORKLOAD" serve -m hold -r "$T/after"
	wait_for "$T/after"
	local i
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		pinned_serve_report
		[ "$(proc "$after" .cgroup)" = "/$name-after" ] && break
		sleep 0.1
	done
	expect "cgroup made after serve" "$(proc "$after" .cgroup)" "/$name-after"
	"$PL" snapshot -d 0 --json --cgroup "/$name-after" >"$T/out.json" 2>"$T/err" || fail "snapshot"
	expect "--cgroup filter" "$(jq -c '[.processes[] | select(.unknown_owner | not) | .pid]' "$T/out.json")" "[$after]"
}
