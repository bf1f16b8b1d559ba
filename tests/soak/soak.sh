#!/bin/bash
# portleak soak: mixed churn, then reconcile portleak with the kernel.
#
#   tests/soak/soak.sh [-t SECS] [-v]     (make soak: 600 s; the integration
#                                          suite runs it for a few seconds)
#
# While `portleak snapshot -d SECS+settle --verify` traces, this runs at once:
#  - a server that never closes (CLOSE_WAIT leak) and clients that keep
#    connecting to it and get killed (process exits, orphaned FIN_WAIT2);
#  - a server that closes, clients that close first (TIME_WAIT storm);
#  - connections handed over by fork and over a unix socket;
#  - the same leak and storm inside a network namespace of its own.
# Then portleak's verdict on itself: per namespace and state its socket
# counts equal /proc/net/tcp{,6}, and every socket in an fd table is charged
# to a process that holds it. Finally portleak's host totals for this
# namespace are compared with `ss -tan` at the same moment.
# Beside it, for the whole run, a `portleak serve` as a fleet runs it: its
# /healthz must answer every second within 2 s, no report may fail, and its
# RSS at the end must be within 16 MiB of what it was after the first
# tenth of the run (no growth with time).
# Exit 0 only if everything reconciles. Run as root.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PL=$ROOT/build/portleak
W=$ROOT/build/tests/tcpwork
SECS=300
VERBOSE=0
while getopts "t:v" c; do
	case $c in
	t) SECS=$OPTARG ;;
	v) VERBOSE=1 ;;
	*) echo "usage: soak.sh [-t SECS] [-v]" >&2; exit 2 ;;
	esac
done

T=$(mktemp -d /tmp/portleak-soak.XXXXXX)
NS=portleak-soak-$$
WATCH=   # the loop that probes serve
PIDS=()  # held until the end
CHURN=() # the churn loops
cleanup() {
	{
		kill -9 "${PIDS[@]}" "${CHURN[@]}" $WATCH
		pkill -9 -f "$T/" # every workload writes its ready file there
		wait
		ip netns del "$NS"
	} 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

say() { echo "soak: $*"; }

# server NAME MODE [NETNS]: a tcpwork server; its port on stdout (it runs in
# a command substitution: cleanup finds it by its ready file).
server() {
	local run=()
	[ -n "${3:-}" ] && run=(ip netns exec "$3")
	"${run[@]}" "$W" serve -m "$2" -r "$T/$1" >/dev/null &
	for _ in $(seq 100); do [ -s "$T/$1" ] && break; sleep 0.05; done
	cat "$T/$1"
}

# churn SECS PORT N MODE [NETNS]: short-lived clients, killed after a while.
churn() {
	local end=$((SECONDS + $1)) i=0 p run=()
	[ -n "${5:-}" ] && run=(ip netns exec "$5")
	while [ $SECONDS -lt $end ]; do
		i=$((i + 1))
		"${run[@]}" "$W" connect -p "$2" -n "$3" -m "$4" -r "$T/churn.$BASHPID.$i" &
		p=$!
		sleep 0.2
		kill -9 $p 2>/dev/null
		wait $p 2>/dev/null
		rm -f "$T/churn.$BASHPID.$i"
	done
}

ip netns add "$NS" && ip -n "$NS" link set lo up || { say "cannot create a network namespace"; exit 1; }

"$PL" snapshot -d "$((SECS + 3))" --verify >"$T/verify" 2>"$T/err" &
AGENT=$!
for _ in $(seq 200); do grep -q "^portleak: tracing," "$T/err" 2>/dev/null && break; sleep 0.05; done

# serve on a loopback port below the ephemeral range, free in every state.
for port in $(shuf -i 20000-30000 -n 50); do [ -z "$(ss -tanH "( sport = :$port )")" ] && break; done
LISTEN=127.0.0.1:$port
"$PL" serve --listen "$LISTEN" -i 1 2>"$T/serve.err" &
SERVE=$!
PIDS+=("$SERVE")
for _ in $(seq 300); do curl -sf -m 2 -o /dev/null "http://$LISTEN/healthz" && break; sleep 0.1; done

# watch_serve: one line a second, "RSS_KB OK|DOWN", until killed.
watch_serve() {
	while :; do
		if curl -sf -m 2 -o /dev/null "http://$LISTEN/healthz"; then h=OK; else h=DOWN; fi
		echo "$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVE/status" 2>/dev/null || echo 0) $h"
		sleep 1
	done
}
watch_serve >"$T/serve.log" &
WATCH=$!

leak=$(server leak hold)
storm=$(server storm close)
ns_leak=$(server nsleak hold "$NS")
ns_storm=$(server nsstorm close "$NS")
say "servers up: leak $leak, storm $storm, in $NS: leak $ns_leak, storm $ns_storm; churn for ${SECS}s"

churn "$SECS" "$leak" 20 close & CHURN+=($!)
churn "$SECS" "$storm" 40 close & CHURN+=($!)
churn "$SECS" "$leak" 10 hold & CHURN+=($!)
churn "$SECS" "$ns_leak" 10 close "$NS" & CHURN+=($!)
churn "$SECS" "$ns_storm" 30 close "$NS" & CHURN+=($!)
"$W" connect -p "$leak" -n 15 -H fork -r "$T/fork" & PIDS+=($!)
"$W" connect -p "$leak" -n 15 -H pass -r "$T/pass" & PIDS+=($!)
sleep 1
for f in fork pass; do
	child=$(sed -n 's/.* child=\([0-9]*\).*/\1/p' "$T/$f")
	[ -n "$child" ] && PIDS+=("$child")
done
wait "${CHURN[@]}" 2>/dev/null
CHURN=()
kill "$WATCH" 2>/dev/null

wait $AGENT
rc=$?
cat "$T/verify"
[ "$VERBOSE" = 1 ] && cat "$T/err"
[ $rc -eq 0 ] || { say "portleak snapshot --verify exited with $rc"; exit 1; }

# serve's run: never down, no failed report, no growth after the first tenth.
failures=$(curl -sf -m 5 "http://$LISTEN/metrics" | awk '$1 == "portleak_report_failures_total" { print $2 }')
kill -0 "$SERVE" 2>/dev/null || { say "serve is gone: $(tail -n 3 "$T/serve.err")"; exit 1; }
down=$(grep -c DOWN "$T/serve.log")
samples=$(wc -l <"$T/serve.log")
early=$(awk -v n="$samples" 'NR == int(n / 10) + 1 { print $1 }' "$T/serve.log")
late=$(tail -n 1 "$T/serve.log" | cut -d' ' -f1)
say "serve: $samples /healthz probes, $down unanswered; ${failures:-?} failed reports; RSS ${early} kB early, ${late} kB at the end"
[ "$down" = 0 ] || { say "serve did not answer /healthz within 2 s $down times"; exit 1; }
[ "$failures" = 0 ] || { say "serve: ${failures:-no} failed reports"; exit 1; }
[ "$late" -le $((early + 16384)) ] || { say "serve grew by $(((late - early) / 1024)) MiB"; exit 1; }

# portleak's totals for this namespace against ss, taken back to back; the
# kernel may move in between, so a few tries.
for try in 1 2 3 4 5; do
	"$PL" snapshot -d 0 --own-netns --json 2>/dev/null | jq -S '.totals' >"$T/mine"
	ss -tanH | awk '{ n[$1]++ } END { for (s in n) print s, n[s] }' | sort >"$T/ss"
	jq -r 'to_entries[] | select(.value > 0) | "\(.key) \(.value)"' "$T/mine" |
		sed 's/^ESTABLISHED/ESTAB/; s/^SYN_SENT/SYN-SENT/; s/^SYN_RECV/SYN-RECV/;
		     s/^FIN_WAIT1/FIN-WAIT-1/; s/^FIN_WAIT2/FIN-WAIT-2/; s/^TIME_WAIT/TIME-WAIT/;
		     s/^CLOSE_WAIT/CLOSE-WAIT/; s/^LAST_ACK/LAST-ACK/; s/^CLOSE /UNCONN /' |
		sort >"$T/mine.txt"
	if cmp -s "$T/mine.txt" "$T/ss"; then
		say "totals equal ss -tan: $(tr '\n' ' ' <"$T/ss")"
		say "ok"
		exit 0
	fi
	sleep 0.2
done
say "totals differ from ss -tan (portleak | ss):"
paste "$T/mine.txt" "$T/ss"
exit 1
