#!/bin/bash
# Kernel time of portleak's hooks per connection, per hook plan, in one run:
# serve --no-stacks with each plan in turn (interleaved rounds), over a
# full-speed loopback churn that closes with resets; the run time the
# kernel's BPF statistics give its hook programs, divided by the
# connections made. For the kernels where the plans differ (the test VMs;
# emulated timings are not absolute, so compare the plans by ratio):
#
#   scripts/hook-cost.sh [-r ROUNDS] [-s SECONDS] [PLAN...]
#   PORTLEAK_VM_SCRIPT=scripts/hook-cost.sh scripts/vm-test.sh 6.1 6.12
#
# Plans: fexit, kprobe, tracepoint (default: all three). One line per plan:
#   probe: kernel=K plan=P ns_per_connection=MEDIAN (MIN-MAX) ratio_to_tracepoint=R
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PL=${PORTLEAK_BIN:-$ROOT/build/portleak}
CHURN=$ROOT/build/bench/churn
ROUNDS=9
SECONDS_PER_RUN=3
while getopts r:s: opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	s) SECONDS_PER_RUN=$OPTARG ;;
	*) echo "usage: $0 [-r ROUNDS] [-s SECONDS] [fexit|kprobe|tracepoint]..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
PLANS=${*:-fexit kprobe tracepoint}
T=$(mktemp -d /tmp/hook-cost.XXXXXX)
AGENT=
trap 'kill -9 $AGENT 2>/dev/null; rm -rf "$T"; sysctl -q -w kernel.bpf_stats_enabled=0' EXIT

[ -x "$CHURN" ] || { echo "hook-cost: build the churn first: make build/bench/churn" >&2; exit 2; }

# Total run time, in ns, of the hook programs (not the walks) AGENT holds.
hooks_ns() {
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$AGENT"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un | paste -sd, -)
	bpftool prog show -j | jq --argjson ids "[$ids]" '[.[] | select(.id as $i | $ids | index($i))
		| select(.name | test("^(state_|accept|bind_|connect_)")) | .run_time_ns // 0] | add // 0'
}

# One run: PLAN's ns per connection, or nothing when serve cannot use PLAN.
run() { # PLAN
	local i t0 conns
	"$PL" serve --no-stacks --hooks "$1" --listen 127.0.0.1:9598 2>"$T/agent.log" & AGENT=$!
	for ((i = 0; i < 3000; i++)); do # up to 5 min: an emulated kernel loads slowly
		grep -q serving "$T/agent.log" 2>/dev/null && break
		kill -0 "$AGENT" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q serving "$T/agent.log"; then
		t0=$(hooks_ns)
		conns=$("$CHURN" -t 2 -s "$SECONDS_PER_RUN" -m rst | sed 's/.*connections=\([0-9]*\).*/\1/')
		awk -v a="$t0" -v b="$(hooks_ns)" -v n="$conns" 'BEGIN { if (n > 0) printf "%.0f\n", (b - a) / n }'
	elif kill -0 "$AGENT" 2>/dev/null; then
		echo "hook-cost: serve --hooks $1: no 'serving' line in time" >&2
	else
		wait "$AGENT"
		echo "hook-cost: serve --hooks $1: exited with status $?: $(tail -n 1 "$T/agent.log")" >&2
	fi
	kill -INT "$AGENT" 2>/dev/null
	wait "$AGENT" 2>/dev/null
	AGENT=
}

sysctl -q -w kernel.bpf_stats_enabled=1
for ((r = 0; r < ROUNDS; r++)); do
	for plan in $PLANS; do run "$plan" >>"$T/$plan"; done
done
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
base=$([ -s "$T/tracepoint" ] && median <"$T/tracepoint")
for plan in $PLANS; do
	[ -s "$T/$plan" ] || { echo "probe: kernel=$(uname -r) plan=$plan unavailable"; continue; }
	med=$(median <"$T/$plan")
	echo "probe: kernel=$(uname -r) plan=$plan ns_per_connection=$med" \
		"($(sort -g "$T/$plan" | sed -n '1p;$p' | paste -sd-)) runs=$(wc -l <"$T/$plan")" \
		"ratio_to_tracepoint=$(awk -v a="$med" -v b="${base:-0}" 'BEGIN { printf (b > 0) ? "%.3f" : "-", a / b }')"
done
