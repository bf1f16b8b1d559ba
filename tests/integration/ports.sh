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
