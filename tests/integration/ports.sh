# shellcheck shell=bash
# The port budget as the kernel's allocator counts it (DESIGN.md fact 13):
# sourced by run.sh. The truth is how many connect() calls then succeed.

# budget_case: in a namespace of its own, a range of 200 ports with 20
# reserved, a listener inside the range, a client that holds 100 ports by
# bind() before connect() toward A, and a Java-style client with 20
# IPv4-mapped connections toward B. Sets NS_INUM, A, B, binder, mapped.
budget_case() {
	local ns=plports$$
	ip netns add "$ns" || fail "ip netns add"
	NETNS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -q -w net.ipv4.ip_local_port_range="40000 40199" || fail "sysctl"
	ip netns exec "$ns" sysctl -q -w net.ipv4.ip_local_reserved_ports=40010-40029 || fail "sysctl"
	NS_INUM=$(stat -L -c %i "/run/netns/$ns")
	IN_NS=(ip netns exec "$ns")
	start a "${IN_NS[@]}" "$WORKLOAD" serve -p 7001 -m hold -r "$T/a"
	start b "${IN_NS[@]}" "$WORKLOAD" serve -p 7002 -m hold -r "$T/b"
	start inside "${IN_NS[@]}" "$WORKLOAD" serve -p 40190 -m hold -r "$T/inside"
	wait_for "$T/a"
	wait_for "$T/b"
	wait_for "$T/inside"
}

budget_clients() {
	start binder "${IN_NS[@]}" "$WORKLOAD" connect -B -p 7001 -n 100 -m hold -r "$T/binder"
	start mapped "${IN_NS[@]}" "$WORKLOAD" connect -M -p 7002 -n 20 -m hold -r "$T/mapped"
	wait_for "$T/binder" "connected=100 "
	wait_for "$T/mapped" "connected=20 "
}

# dest PORT FILTER: jq FILTER of the destination rows toward 127.0.0.1:PORT
# in the test's namespace (an array: there must be one).
dest() {
	jq -c --argjson ns "$NS_INUM" --argjson port "$1" \
		"[.destinations[] | select(.netns == \$ns and .dport == \$port) | $2]" "$T/out.json"
}

budget_expect() { # WHEN
	expect "$1: the namespace's budget" \
		"$(jq -c --argjson ns "$NS_INUM" '.port_budgets[] | select(.netns == $ns) | [.low, .high, .usable, .reserved, .bound]' "$T/out.json")" \
		"[40000,40199,180,20,101]"
	expect "$1: rows toward B (IPv4 and IPv4-mapped are one)" "$(dest 7002 '[.daddr, .ports_in_use, .bound]')" '[["127.0.0.1",20,101]]'
	expect "$1: ports held by bind()" "$(proc "$binder" .ports_bound)" 100
	expect "$1: ports held by bind(), the mapped client" "$(proc "$mapped" .ports_bound)" 0
	expect "$1: the binder's verdict" "$(proc "$binder" .verdict)" ports
	proc "$binder" '.reasons | join(" ")' |
		grep -q "holds 100 ports by bind() before connect(): each is lost to every destination (56% of the namespace's 180 usable ports)" ||
		fail "$1: the binder's reasons: $(proc "$binder" .reasons)"
	FREE_B=$(dest 7002 .ports_free | jq '.[0]')
}

test_port_budget_is_the_allocators() {
	local truth
	budget_case
	agent_start
	budget_clients
	agent_report
	budget_expect "watching"
	snapshot_now
	budget_expect "at first sight"
	# The kernel's answer: plain connect() calls toward B until one fails.
	start plain "${IN_NS[@]}" "$WORKLOAD" connect -p 7002 -n 300 -m hold -r "$T/plain"
	wait_for "$T/plain" "errno=99"
	truth=$(sed -n 's/^connected=\([0-9]*\) .*/\1/p' "$T/plain")
	expect "ports free toward B against the connect() calls that succeeded" "$FREE_B" "$truth"
}

# The text view's destination table: every value ends where its title
# ends (numbers are right-aligned), and a row has as many as the header.
test_text_destination_columns_line_up() {
	budget_case
	budget_clients
	"$PL" snapshot -d 0 --hooks "$HOOKS" >"$T/out.txt" 2>"$T/err" || fail "snapshot"
	awk '
		function ends(line, e,   n, i, inword) {
			n = 0; inword = 0
			for (i = 1; i <= length(line) + 1; i++) {
				c = substr(line, i, 1)
				if (c != " " && c != "") inword = 1
				else if (inword) { e[++n] = i - 1; inword = 0 }
			}
			return n
		}
		/^DESTINATION / { nh = ends($0, h); rows = 1; next }
		rows && NF == 0 { rows = 0 }
		rows && /^\(/ { next }
		rows {
			checked++
			if (ends($0, v) != nh) { print "a row of " ends($0, v) " values under " nh " titles: " $0; bad = 1; exit }
			for (i = 3; i <= nh; i++)
				if (v[i] != h[i]) { print "value " i " ends at " v[i] ", its title at " h[i] ": " $0; bad = 1; exit }
		}
		END { if (!checked) { print "no destination row"; bad = 1 }; exit bad }
	' "$T/out.txt" >"$T/columns" || fail "$(cat "$T/columns")"
}

# tw_case REUSE WHERE: a client namespace of 10 ports (40000-40009) with
# tcp_tw_reuse REUSE makes 10 connections toward a server and closes each
# first, on loopback (WHERE=lo) or across a veth pair to another namespace
# (WHERE=veth). Once every TIME_WAIT is past the reuse delay by its own
# timer, portleak's ports_free toward the server must be the number of
# connect() calls that then succeed.
tw_case() {
	local reuse=$1 where=$2 addr=127.0.0.1 inum free truth left i
	local c=plc$$$reuse$where s=pls$$$reuse$where
	ip netns add "$c" || fail "ip netns add"
	NETNS+=("$c")
	ip -n "$c" link set lo up
	ip netns exec "$c" sysctl -q -w net.ipv4.ip_local_port_range="40000 40009" || fail "sysctl"
	ip netns exec "$c" sysctl -q -w net.ipv4.tcp_tw_reuse="$reuse" || fail "sysctl"
	local srv=(ip netns exec "$c")
	if [ "$where" = veth ]; then
		ip netns add "$s" || fail "ip netns add"
		NETNS+=("$s")
		ip link add plv$$ netns "$c" type veth peer name plw$$ netns "$s" || fail "veth"
		ip -n "$c" addr add 10.201.0.1/24 dev plv$$
		ip -n "$s" addr add 10.201.0.2/24 dev plw$$
		ip -n "$c" link set plv$$ up
		ip -n "$s" link set plw$$ up
		srv=(ip netns exec "$s")
		addr=10.201.0.2
	fi
	start server "${srv[@]}" "$WORKLOAD" serve -a "$addr" -p 7003 -m close -r "$T/srv.$reuse.$where"
	wait_for "$T/srv.$reuse.$where"
	start closer ip netns exec "$c" "$WORKLOAD" connect -a "$addr" -p 7003 -n 10 -m close -r "$T/closer.$reuse.$where"
	wait_for "$T/closer.$reuse.$where" "connected=10 "
	# Every TIME_WAIT at least 2 s old (its timer shows 57 s or less), and
	# nothing else left toward the server. Under load the closer's own
	# connections may reuse a TIME_WAIT of its earlier ones: 10 or fewer.
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		left=$(ip netns exec "$c" ss -tanoH "( dport = :7003 )" |
			awk '$1 != "TIME-WAIT" { print "busy"; next }
			     { sub(/.*timer:\(timewait,/, ""); sub(/sec.*/, "")
			       print ($0 ~ /^[0-9]+$/) ? $0 : "busy" }' | sort -n)
		[ -n "$left" ] && ! grep -q busy <<<"$left" && [ "$(tail -n 1 <<<"$left")" -le 57 ] && break
		sleep 0.05
	done
	[ "$i" -lt "$TIMEOUT_STEPS" ] || fail "$where, tw_reuse $reuse: toward the server: $(ip netns exec "$c" ss -tanoH)"
	snapshot_now
	inum=$(stat -L -c %i "/run/netns/$c")
	free=$(jq --argjson ns "$inum" --arg a "$addr" \
		'[.destinations[] | select(.netns == $ns and .daddr == $a and .dport == 7003) | .ports_free] | first' "$T/out.json")
	start again ip netns exec "$c" "$WORKLOAD" connect -a "$addr" -p 7003 -n 20 -m hold -r "$T/again.$reuse.$where"
	wait_for "$T/again.$reuse.$where" "errno=99"
	truth=$(sed -n 's/^connected=\([0-9]*\) .*/\1/p' "$T/again.$reuse.$where")
	note_expect "$where, tcp_tw_reuse $reuse: ports free after $(wc -l <<<"$left") TIME_WAIT" "$free" "$truth"
	{
		kill -9 "$server" "$closer" "$again"
		wait "$server" "$closer" "$again"
	} 2>/dev/null
	ip netns del "$c"
	[ "$where" = veth ] && ip netns del "$s"
	return 0
}

note_expect() { # WHAT ACTUAL EXPECTED, and a line saying it
	expect "$1" "$2" "$3"
	echo "    $1: $2 (the kernel: $3)"
}

test_time_wait_reuse_on_loopback_and_veth() {
	local reuse where
	for where in lo veth; do
		for reuse in 0 1 2; do
			tw_case "$reuse" "$where"
		done
	done
}

# A client that takes a port toward B 5 times a second, beside one that
# holds 100 ports by bind(): a report at least 5 s before its first
# EADDRNOTAVAIL predicts that instant within 25 % of the time left.
test_forecast_meets_the_first_eaddrnotavail() {
	local actual pick t eta predicted i
	budget_case
	start binder "${IN_NS[@]}" "$WORKLOAD" connect -B -p 7001 -n 100 -m hold -r "$T/binder"
	wait_for "$T/binder" "connected=100 "
	rm -f "$T/err"
	"$PL" watch --json -i 1 --hooks "$HOOKS" \
		> >(while read -r line; do echo "$EPOCHREALTIME $line"; done >"$T/watch") 2>"$T/err" &
	AGENT=$!
	wait_for "$T/err" "$READY_LINE"
	start steady "${IN_NS[@]}" "$WORKLOAD" connect -p 7002 -n 300 -w 200 -m hold -r "$T/steady"
	for ((i = 0; i < 4 * TIMEOUT_STEPS; i++)); do [ -s "$T/steady.failed" ] && break; sleep 0.05; done
	[ -s "$T/steady.failed" ] || fail "no connect() failed: $(cat "$T/steady" 2>/dev/null)"
	kill "$AGENT"
	wait "$AGENT" 2>/dev/null
	AGENT=
	actual=$(cut -d' ' -f1 "$T/steady.failed")
	grep -q "errno=99" "$T/steady.failed" || fail "the first failure: $(cat "$T/steady.failed")"
	# The last report at least 5 s before, and its forecast toward B.
	pick=$(awk -v a="$actual" '$1 <= a - 5 { t = $1; $1 = ""; line = $0 } END { if (t) print t, line }' "$T/watch")
	[ -n "$pick" ] || fail "no report 5 s before the first failure"
	t=${pick%% *}
	eta=$(jq --argjson ns "$NS_INUM" '[.destinations[] | select(.netns == $ns and .dport == 7002) | .seconds_to_exhaustion] | first' <<<"${pick#* }")
	[ "$eta" != null ] || fail "no forecast toward B $(awk -v a="$actual" 'BEGIN { print a }') s: ${pick#* }"
	predicted=$(awk -v t="$t" -v e="$eta" 'BEGIN { printf "%.2f", t + e }')
	echo "    forecast at $(awk -v a="$actual" -v t="$t" 'BEGIN { printf "%.1f", a - t }') s before: exhausted in $eta s, off by $(awk -v a="$actual" -v p="$predicted" 'BEGIN { printf "%.2f", p - a }') s"
	awk -v a="$actual" -v t="$t" -v p="$predicted" 'BEGIN { d = p - a; if (d < 0) d = -d; exit !(d <= 0.25 * (a - t)) }' ||
		fail "predicted $predicted, the first EADDRNOTAVAIL came at $actual (report at $t)"
}

# Started during an exhaustion: 6 TIME_WAIT older than portleak (no owner
# can be known) and 4 connections a process holds fill a namespace of 10
# ports toward B. The (unknown) row is PORTS, not ok, and names that
# process as the probable owner.
test_first_sight_during_an_exhaustion() {
	local ns=plfs$$ inum
	ip netns add "$ns" || fail "ip netns add"
	NETNS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -q -w net.ipv4.ip_local_port_range="40000 40009" || fail "sysctl"
	ip netns exec "$ns" sysctl -q -w net.ipv4.tcp_tw_reuse=0 || fail "sysctl"
	start b ip netns exec "$ns" "$WORKLOAD" serve -p 7002 -m close -r "$T/b"
	wait_for "$T/b"
	start closer ip netns exec "$ns" "$WORKLOAD" connect -p 7002 -n 6 -m close -r "$T/closer"
	wait_for "$T/closer" "connected=6 "
	start holder ip netns exec "$ns" "$WORKLOAD" connect -p 7002 -n 10 -m hold -r "$T/holder"
	wait_for "$T/holder" "connected=4 failed=6 errno=99"
	snapshot_now --port 7002 # this namespace's sockets alone, beside a busy host
	inum=$(stat -L -c %i "/run/netns/$ns")
	expect "ports free toward B" "$(jq --argjson ns "$inum" \
		'[.destinations[] | select(.netns == $ns and .dport == 7002) | .ports_free] | first' "$T/out.json")" 0
	expect "(unknown) TIME_WAIT" "$(proc 0 .sockets.TIME_WAIT)" 6
	expect "(unknown) verdict" "$(proc 0 .verdict)" ports
	expect "(unknown) probable owner" "$(proc 0 .probable_owner.pid)" "$holder"
	proc 0 '.reasons | join(" ")' | grep -q "probably pid $holder (tcpwork): it holds connections toward 127.0.0.1:7002 now" ||
		fail "(unknown) reasons: $(proc 0 .reasons)"
}
