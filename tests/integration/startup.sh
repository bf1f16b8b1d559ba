# portleak integration tests, sourced by run.sh: serve --pin across
# restarts, and the start-ups portleak refuses, each with its own message
# and exit status (4 not permitted, 5 the kernel cannot).

# pinned_serve_report: /api/snapshot of the running serve into out.json,
# once its first report is there.
pinned_serve_report() {
	local i
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		curl -sf "http://127.0.0.1:$SERVE_PORT/api/snapshot" >"$T/out.json" && return 0
		sleep 0.05
	done
	fail "no /api/snapshot: $(cat "$T/serve.log")"
}

# pin_dir_on_own_bpffs: PINDIR, on a BPF filesystem of the test's own,
# mounted under $T (the host's /sys/fs/bpf may not be mounted, and is left
# alone; cleanup unmounts it).
pin_dir_on_own_bpffs() {
	mkdir -p "$T/bpffs"
	mount -t bpf bpf "$T/bpffs" || fail "mount -t bpf bpf $T/bpffs"
	PINDIR=$T/bpffs/portleak
}

test_serve_pin_continues_after_kill_9() {
	pin_dir_on_own_bpffs
	serve_start --pin-dir "$PINDIR"
	start_leak 5
	settle 3
	kill -9 "$SERVE"
	wait "$SERVE" 2>/dev/null
	for map in ledger owners timewait counters layout; do
		[ -e "$PINDIR/$map" ] || fail "$PINDIR/$map not pinned: $(ls "$PINDIR")"
	done
	serve_start --pin-dir "$PINDIR"
	pinned_serve_report
	expect_count "server opened, counted before the restart" "$(proc "$server" .opened)" 5
	expect "server CLOSE_WAIT" "$(proc "$server" .sockets.CLOSE_WAIT)" 5
	expect "CLOSE_WAIT age kept across the restart" \
		"$(proc "$server" '.close_wait_oldest_s >= 3')" true
	# New sockets are counted on top.
	start more "$WORKLOAD" connect -p "$(cat "$T/server")" -n 2 -m close -r "$T/more"
	wait_for "$T/more"
	wait_server_close_wait "$(cat "$T/server")" 7
	serve_report_after_now
	expect_count "server opened after the restart" "$(proc "$server" .opened)" 7
	# The control: without --pin, a restart starts from nothing.
	kill -9 "$SERVE"
	wait "$SERVE" 2>/dev/null
	serve_start
	pinned_serve_report
	expect "server opened, restarted without --pin" "$(proc "$server" .opened)" 0
}

# wait_server_close_wait PORT N: until the kernel holds N CLOSE_WAIT
# sockets on local port PORT.
wait_server_close_wait() {
	local i n
	for ((i = 0; i < TIMEOUT_STEPS; i++)); do
		n=$(ss -tanH state close-wait "( sport = :$1 )" | wc -l)
		[ "$n" = "$2" ] && return 0
		sleep 0.05
	done
	fail "$n of $2 CLOSE_WAIT sockets on port $1: $(ss_states "( sport = :$1 )")"
}

# serve_report_after_now: /api/snapshot once serve has built a report
# after this moment (its time is to the second: one of the next second).
serve_report_after_now() {
	local now i t
	now=$(date -u +%s)
	for ((i = 0; i < 2 * TIMEOUT_STEPS; i++)); do
		pinned_serve_report
		t=$(jq '.time | fromdateiso8601' "$T/out.json")
		[ "$t" -gt "$now" ] && return 0
		sleep 0.05
	done
	fail "no report of serve after $now s since the epoch: the last is of $(jq -r .time "$T/out.json")"
}

# refused_start WHAT STATUS PATTERN CMD...: CMD exits with STATUS and one
# line on stderr matching PATTERN.
refused_start() {
	local what=$1 status=$2 pattern=$3
	shift 3
	"$@" >"$T/stdout" 2>"$T/refusal"
	expect "$what: exit status" $? "$status"
	# Besides the notes of what portleak mounted for itself alone.
	expect "$what: stderr lines" "$(grep -vc '^portleak: mounted .* for portleak alone' "$T/refusal")" 1
	grep -qE "$pattern" "$T/refusal" || fail "$what: message: $(cat "$T/refusal")"
}

# A layout stamp like portleak's, of another version.
pin_foreign_layout() { # DIR VERSION
	mkdir -p "$1"
	bpftool map create "$1/layout" type array key 4 value 48 entries 1 name pl_layout ||
		fail "bpftool map create"
	bpftool map update pinned "$1/layout" key 0 0 0 0 \
		value 0x70 0x6f 0x72 0x74 0x6c 0x65 0x61 0x6b "$2" 0 0 0 $(printf '0 %.0s' {1..36}) ||
		fail "bpftool map update"
}

test_serve_pin_refuses_another_layout() {
	pin_dir_on_own_bpffs
	local listen=127.0.0.1:$(free_port 20000 30000)
	pin_foreign_layout "$PINDIR" 99
	refused_start "another layout" 1 "have layout 99, this portleak has layout [0-9]+: refusing" \
		"$PL" serve --listen "$listen" --pin-dir "$PINDIR"
	expect "pinned maps left alone" "$(ls "$PINDIR")" layout
	rm -rf "$PINDIR"
	mkdir "$PINDIR"
	bpftool map create "$PINDIR/ledger" type hash key 8 value 8 entries 4 name ledger ||
		fail "bpftool map create"
	refused_start "maps of someone else" 1 "not portleak's, or of an unknown layout" \
		"$PL" serve --listen "$listen" --pin-dir "$PINDIR"
	refused_start "a --pin-dir off bpffs" 5 "is not on the BPF filesystem" \
		"$PL" serve --listen "$listen" --pin-dir "$T"
	rm -rf "$PINDIR"
	serve_start --pin-dir "$PINDIR" --max-sockets 64
	kill -9 "$SERVE"
	wait "$SERVE" 2>/dev/null
	refused_start "--max-sockets against the pinned ledger" 2 "differs from the ledger pinned" \
		"$PL" serve --listen "$listen" --pin-dir "$PINDIR" --max-sockets 128
}

# A host with nothing mounted at /sys/fs/bpf (a mount namespace made so):
# serve --pin mounts bpffs there in the namespace it was started in, not
# in a namespace of its own, where the pins would die with it. So after a
# kill -9 the maps are still pinned, for the next start.
test_serve_pin_mounts_bpffs_that_outlives_it() {
	local listen=127.0.0.1:$(free_port 20000 30000)
	unshare -m bash -c "
		while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || exit 1; done
		'$PL' serve --pin --listen $listen --hooks $HOOKS 2>'$T/serve.log' &
		for ((i = 0; i < $TIMEOUT_STEPS; i++)); do
			grep -q serving '$T/serve.log' && break
			sleep 0.05
		done
		kill -9 \$!
		wait
		ls /sys/fs/bpf/portleak" >"$T/pinned" 2>&1
	grep -q "mounted bpffs at /sys/fs/bpf on the host" "$T/serve.log" ||
		fail "no note of the mount: $(cat "$T/serve.log")"
	expect "maps pinned after kill -9" \
		"$(grep -cxE 'ledger|owners|timewait|counters|layout' "$T/pinned")" 5
}

test_no_bpffs_for_pin_is_exit_5() {
	# A mount namespace whose /sys/fs is empty: nowhere to mount bpffs.
	refused_start "no bpffs" 5 "no BPF filesystem for --pin-dir /sys/fs/bpf/portleak: mount one" \
		unshare -m bash -c "mount -t tmpfs none /sys/fs && exec '$PL' serve --pin \
			--listen 127.0.0.1:$(free_port 20000 30000)"
}

test_no_btf_is_exit_5() {
	# A mount namespace where /sys/kernel/btf is empty, as on a kernel
	# built without CONFIG_DEBUG_INFO_BTF.
	refused_start "no BTF" 5 "this kernel has no BTF \(/sys/kernel/btf/vmlinux\)" \
		unshare -m bash -c "mount -t tmpfs none /sys/kernel/btf && exec '$PL' snapshot -d 0"
	unshare -m bash -c "mount -t tmpfs none /sys/kernel/btf && exec '$PL' doctor" \
		>"$T/doctor" 2>"$T/err"
	expect "doctor exit status without BTF" $? 5
	grep -qE "BTF +MISSING: CO-RE needs CONFIG_DEBUG_INFO_BTF=y" "$T/doctor" ||
		fail "doctor does not explain: $(cat "$T/doctor")"
}

test_not_root_is_exit_4() {
	refused_start "not root" 4 "needs root, or CAP_BPF and CAP_PERFMON \(effective uid [0-9]+\)" \
		setpriv --reuid nobody --clear-groups "$PL" snapshot -d 0
	# a JSON stream says it too, on stdout, with the exit status
	setpriv --reuid nobody --clear-groups "$PL" watch --json >"$T/out" 2>"$T/err"
	expect "watch --json exit status when not root" $? 4
	expect "watch --json: one JSON error on stdout" \
		"$(jq -r '.error | "\(.errno) \(.exit_status) \(.message | test("needs root"))"' "$T/out")" \
		"EPERM 4 true"
	setpriv --reuid nobody --clear-groups "$PL" doctor >"$T/doctor" 2>"$T/err"
	expect "doctor exit status when not root" $? 4
	grep -qE "privileges +MISSING CAP_BPF and CAP_PERFMON" "$T/doctor" ||
		fail "doctor does not explain: $(cat "$T/doctor")"
}

# Only where the kernel was booted with lockdown=confidentiality (the
# kernel matrix boots one VM so); elsewhere it checks what doctor says.
test_lockdown_confidentiality_is_exit_5() {
	if ! grep -q '\[confidentiality\]' /sys/kernel/security/lockdown 2>/dev/null; then
		"$PL" doctor >"$T/doctor" 2>"$T/err" || fail "doctor exited with $?"
		grep -qE "^  lockdown +(none|integrity|not in this kernel)" "$T/doctor" ||
			fail "doctor says nothing about lockdown: $(cat "$T/doctor")"
		return 0
	fi
	refused_start "lockdown" 5 "locked down in confidentiality mode" \
		"$PL" snapshot -d 0 --hooks "$HOOKS"
	"$PL" doctor >"$T/doctor" 2>"$T/err"
	expect "doctor exit status under lockdown" $? 5
	grep -qE "lockdown +confidentiality: .*portleak CANNOT run" "$T/doctor" ||
		fail "doctor does not explain: $(cat "$T/doctor")"
}
