#!/bin/bash
# make test-valgrind: portleak (a dynamic build: valgrind cannot follow a
# static one well) under memcheck while real workloads hold sockets. Any
# memory error, or a definite or indirect leak, fails. Run as root. The
# last one closes the server's CLOSE_WAIT sockets; --stacks names the
# code paths of a leaking client (ELF symbols read with libelf).
#
#   tests/valgrind/run.sh PORTLEAK
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PL=$1
WORKLOAD=$ROOT/build/tests/tcpwork
T=$(mktemp -d /tmp/portleak-valgrind.XXXXXX)
PIDS=()
trap '{ kill -9 "${PIDS[@]}"; wait; } 2>/dev/null; rm -rf "$T"' EXIT

"$WORKLOAD" serve -m hold -r "$T/server" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/server" ] && break; sleep 0.05; done
"$WORKLOAD" connect -p "$(cat "$T/server")" -n 20 -m close -r "$T/client" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/client" ] && break; sleep 0.05; done

# A client that leaks from one code path, twice more a second, so that
# --stacks records and names new origins while portleak runs.
"$WORKLOAD" serve -m drop -r "$T/dropper" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$T/dropper" ] && break; sleep 0.05; done
"$ROOT/build/tests/leaky" -p "$(cat "$T/dropper")" -n 2 -r "$T/leaky" &
PIDS+=($!)
leaky=$!
for _ in $(seq 100); do [ -s "$T/leaky" ] && break; sleep 0.05; done
while kill -USR1 "$leaky" 2>/dev/null; do sleep 0.5; done &
PIDS+=($!)

failed=0
while IFS= read -r args; do
	# shellcheck disable=SC2086
	valgrind -q --suppressions="$ROOT/tests/valgrind/bpf.supp" --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 "$PL" $args >"$T/out" 2>"$T/log"
	rc=$?
	# valgrind does not know every bpf(2) command; that is not an error.
	grep -v "unhandled eBPF command" "$T/log" | grep -E "^==[0-9]+==" >"$T/errors"
	if [ $rc -eq 99 ] || [ -s "$T/errors" ] || { [ $rc -ne 0 ] && [ $rc -ne 3 ]; }; then
		echo "valgrind: portleak $args: exit $rc"
		grep -v "unhandled eBPF command" "$T/log" | sed 's/^/    /' | head -n 60
		failed=1
	else
		echo "valgrind: portleak $args: no memory error, no leak"
	fi
done <<-EOF
	snapshot -d 1
	snapshot -d 0 --json
	watch -i 1 -n 3 --stacks --json
	snapshot -d 2 --stacks
	snapshot --verify
	doctor
	close --pid ${PIDS[0]}
	close --pid ${PIDS[0]} --yes
EOF
exit $failed
