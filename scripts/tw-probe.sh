#!/bin/bash
# Does portleak's presence change how many TIME_WAIT sockets the kernel
# keeps? Bursts of short connections, each to a fresh loopback server,
# with the client closing first (so each connection leaves one TIME_WAIT),
# counted with ss once each burst's teardown is over; and the kernel's own
# counters (TcpExt TW, TWKilled, TWRecycled, TCPTimeWaitOverflow; Tcp
# OutRsts, EstabResets) around each arm. Runs on the host, or in the test VMs:
#
#   scripts/tw-probe.sh [-n CONNECTIONS] [-b BURST] [ARM...]
#   PORTLEAK_VM_SCRIPT=scripts/tw-probe.sh scripts/vm-test.sh 6.1 6.12
#
# Arms: none (no portleak), serve (the daemon: hooks and a report every
# second), walks (the iterators only: snapshot -d 0 over and over, no
# tracing program), hooks (tracing programs only: watch with one report at
# start and none during the bursts). One line per arm:
#   probe: kernel=K arm=A connections=N time_wait=M short=S TW=.. TWKilled=.. ...
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PL=${PORTLEAK_BIN:-$ROOT/build/portleak}
WORKLOAD=$ROOT/build/tests/tcpwork
CONNS=10000
BURST=500
while getopts n:b: opt; do
	case $opt in
	n) CONNS=$OPTARG ;;
	b) BURST=$OPTARG ;;
	*) echo "usage: $0 [-n CONNECTIONS] [-b BURST] [none|serve|walks|hooks]..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
ARMS=${*:-none serve walks hooks}
T=$(mktemp -d /tmp/tw-probe.XXXXXX)
AGENT=
trap 'kill -9 $AGENT 2>/dev/null; pkill -9 -f "$T/" 2>/dev/null; rm -rf "$T"' EXIT

counters() { # the counters that say where TIME_WAIT sockets went
	awk '/^TcpExt:/ { if (!n) { n = split($0, h); next }
		for (i = 2; i <= NF; i++) if (h[i] ~ /^(TW|TWKilled|TWRecycled|TCPTimeWaitOverflow)$/) printf "%s=%s ", h[i], $i }' \
		/proc/net/netstat
	# A RST kills a TIME_WAIT (RFC 1337 protection is off by default).
	awk '/^Tcp:/ { if (!n) { n = split($0, h); next }
		for (i = 2; i <= NF; i++) if (h[i] ~ /^(OutRsts|EstabResets)$/) printf "%s=%s ", h[i], $i }' \
		/proc/net/snmp
}

wait_file() { # FILE: up to 60 s
	local i
	for ((i = 0; i < 1200; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	echo "tw-probe: timed out waiting for $1" >&2
	return 1
}

# look PORT: "TIME_WAIT others" toward PORT, the most of three dumps: a
# dump of the socket table is not atomic, and sockets that leave it while
# it runs (other TIME_WAIT expiring) can make it skip some that stay.
look() {
	local i best=-1 counts
	for i in 1 2 3; do
		# shellcheck disable=SC2046
		set -- $(ss -tanH "( dport = :$1 or sport = :$1 )" | awk '
			$1 == "TIME-WAIT" { tw++ } $1 != "TIME-WAIT" && $1 != "LISTEN" { o++ }
			END { print tw + 0, o + 0 }') "$1"
		[ "$1" -gt "$best" ] && best=$1
		counts="$best $2"
		set -- "$3"
	done
	echo "$counts"
}

# settled PORT: the TIME_WAIT count toward PORT once nothing else is left
# there and the count has held for 2 s (at most 30 s).
settled() {
	local i look prev=-1 same=0
	for ((i = 0; i < 300; i++)); do
		look=$(look "$1")
		if [ "${look#* }" = 0 ] && [ "${look% *}" = "$prev" ]; then
			same=$((same + 1))
			[ "$same" -ge 20 ] && break
		else
			same=0
		fi
		prev=${look% *}
		sleep 0.1
	done
	echo "$prev"
}

burst() { # N: one burst; prints the TIME_WAIT it left
	local server client port
	rm -f "$T/server" "$T/client"
	"$WORKLOAD" serve -m close -r "$T/server" & server=$!
	wait_file "$T/server" || return 1
	port=$(cat "$T/server")
	"$WORKLOAD" connect -p "$port" -n "$1" -m close -r "$T/client" & client=$!
	wait_file "$T/client" || return 1
	case $(cat "$T/client") in "connected=$1 failed=0"*) ;; *) echo "tw-probe: $(cat "$T/client")" >&2 ;; esac
	settled "$port"
	kill -9 "$server" "$client" 2>/dev/null
	wait "$server" "$client" 2>/dev/null
	return 0
}

start_arm() {
	AGENT=
	case $1 in
	none) ;;
	serve)
		"$PL" serve --listen 127.0.0.1:9599 -i 1 2>"$T/agent.log" & AGENT=$!
		until grep -q serving "$T/agent.log" 2>/dev/null; do sleep 0.1; done ;;
	walks)
		(while :; do "$PL" snapshot -d 0 >/dev/null 2>&1; done) & AGENT=$! ;;
	hooks)
		"$PL" watch -i 3600 >/dev/null 2>"$T/agent.log" & AGENT=$!
		until grep -q "^portleak: tracing," "$T/agent.log" 2>/dev/null; do sleep 0.1; done ;;
	*) echo "tw-probe: no arm '$1'" >&2; exit 2 ;;
	esac
}

stop_arm() {
	[ -n "$AGENT" ] || return 0
	pkill -9 -P "$AGENT" 2>/dev/null
	kill -9 "$AGENT" 2>/dev/null
	wait "$AGENT" 2>/dev/null
}

for arm in $ARMS; do
	start_arm "$arm"
	before=$(counters)
	made=0 kept=0 short=''
	while [ "$made" -lt "$CONNS" ]; do
		n=$((CONNS - made < BURST ? CONNS - made : BURST))
		got=$(burst "$n") || break
		made=$((made + n)) kept=$((kept + got))
		[ "$got" = "$n" ] || short+=" $got/$n"
	done
	after=$(counters)
	stop_arm
	echo "probe: kernel=$(uname -r) arm=$arm connections=$made time_wait=$kept" \
		"missing=$((made - kept)) before: $before after: $after${short:+ short bursts:$short}"
done
