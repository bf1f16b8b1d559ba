#!/bin/bash
# make test-vm: the integration suite inside Debian kernels booted under
# qemu (TCG), one boot per kernel and hook mode.
#
#   scripts/vm-test.sh [KERNEL...]       5.10 6.1 6.12 by default
#   PORTLEAK_VM_CACHE=DIR                where kernels are kept (default
#                                        /var/cache/portleak-vm)
#   PORTLEAK_VM_MODES="auto kprobe ..."  hook modes (default: auto kprobe
#                                        tracepoint; classic runs on the host)
#   PORTLEAK_VM_TIMEOUT=SECS             per boot (default 1200)
#   PORTLEAK_VM_JOBS=N                   VMs at a time (default: host CPUs;
#                                        each runs on one host thread)
#   PORTLEAK_VM_TESTS="test_a test_b"     a subset of the tests below
#   PORTLEAK_VM_LOCKDOWN=0               skip the boot with lockdown=confidentiality
#   PORTLEAK_VM_SCRIPT=scripts/tw-probe.sh   run that script of the tree in
#                                        each kernel instead of the suite, and
#                                        print its "probe:" lines
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
CACHE=${PORTLEAK_VM_CACHE:-/var/cache/portleak-vm}
MODES=${PORTLEAK_VM_MODES:-auto kprobe tracepoint}
TIMEOUT=${PORTLEAK_VM_TIMEOUT:-1200}
JOBS=${PORTLEAK_VM_JOBS:-$(nproc)}
KERNELS=${*:-5.10 6.1 6.12}
# Every test but those that need tmux or promtool (the TUI and rule files
# do not depend on the kernel) and serve.sh (serve's HTTP server and cgroup
# paths do not either); the initramfs has bash, jq, ip, ss, curl,
# setpriv, unshare, bpftool and pkill besides busybox.
TESTS=(test_close_wait_charged_to_server test_established_growth_on_client
	test_sockets_opened_before_portleak test_time_wait_charged_to_active_closer
	test_time_wait_older_than_portleak_is_unknown test_ephemeral_exhaustion_in_netns
	test_ipv6_ephemeral_exhaustion_in_netns test_port_budget_is_the_allocators
	test_time_wait_reuse_on_loopback_and_veth
	test_bind_conflict_on_second_process
	test_ipv6_close_wait_charged_to_server test_leak_verdict_after_age test_filters
	test_text_view test_top_batch_puts_leak_first test_watch_json_lines test_doctor
	test_usage_errors_exit_2 test_full_accept_queue_and_timeouts_by_application
	test_forked_child_charged_once_parent_closes
	test_prefork_child_charged_for_what_it_accepts test_unaccepted_connection_is_pending_accept
	test_fd_passed_over_unix_socket_charged_to_receiver test_threads_count_for_their_process
	test_reused_pid_is_a_new_process test_closed_entries_are_reused_or_collected
	test_processes_exiting_during_walks
	test_verify_agrees_with_the_kernel test_verify_with_an_overflowing_ledger
	test_ledger_overflow_keeps_the_leaker_named
	test_ledger_overflow_is_visible test_event_flood_is_visible test_soak_reconciles
	test_serve_drops_capabilities test_serve_refuses_without_capabilities
	test_serve_sighup_rereads_config test_serve_top_k_bounds_series
	test_serve_pin_continues_after_kill_9 test_serve_pin_refuses_another_layout
	test_no_bpffs_for_pin_is_exit_5 test_no_btf_is_exit_5 test_not_root_is_exit_4
	test_lockdown_confidentiality_is_exit_5
	test_close_wait_older_than_portleak_is_leak_at_once test_idle_client_pool_is_stale
	test_dead_sockets_held_after_a_reset test_failed_connect_has_its_origin_in_default_mode
	test_time_wait_ages_agree_with_the_kernel test_close_wait_with_writes_is_younger_never_older
	test_first_watch_line_and_serve_report_see_old_leak
	test_close_dry_run_then_exactly_the_process test_close_by_sock_diag_and_kfunc
	test_close_refuses_other_states_and_a_reused_pid test_close_shared_sockets
	test_fd_limit_reached_by_close_wait_fails_accept_with_emfile
	test_connect_failures_by_errno_process_and_peer
	test_origins_name_the_leaking_call_site test_origins_armed_for_suspects_only)
# One more boot of the newest kernel, locked down: portleak must refuse
# to start with its own message (PORTLEAK_VM_LOCKDOWN=0 skips it).
LOCKDOWN_TESTS=(test_lockdown_confidentiality_is_exit_5)
[ -n "${PORTLEAK_VM_TESTS:-}" ] && read -r -a TESTS <<<"$PORTLEAK_VM_TESTS"

declare -A SUITE=([5.10]=bullseye [6.1]=bookworm [6.12]=trixie)
declare -A PATTERN=([5.10]='linux-image-5\.10\.0-[0-9]+-cloud-amd64-unsigned'
	[6.1]='linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned'
	[6.12]='linux-image-6\.12\.[0-9]+\+deb13-cloud-amd64-unsigned')

log() { echo "vm-test: $*" >&2; }

# A private apt configuration that reuses the URIs the host already has.
apt_opts() {
	echo "-o Dir::Etc::SourceList=$CACHE/apt/sources.list -o Dir::Etc::SourceParts=/dev/null" \
		"-o Dir::State::Lists=$CACHE/apt/lists -o Dir::Cache=$CACHE/apt/cache"
}

apt_setup() {
	local uri keyring=/usr/share/keyrings/debian-archive-keyring.gpg suite
	[ -s "$CACHE/apt/sources.list" ] && return 0
	mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial"
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
		awk '/^deb / { print $2; exit }' /etc/apt/sources.list)
	[ -n "$uri" ] || { log "no Debian mirror configured on this host"; exit 1; }
	for suite in bullseye bookworm trixie; do
		echo "deb [signed-by=$keyring] $uri $suite main"
	done >"$CACHE/apt/sources.list"
	# shellcheck disable=SC2046
	apt-get -qq $(apt_opts) update
}

# fetch VERSION: prints the path of its vmlinuz, downloading once.
fetch() {
	local v=$1 pkg deb dir
	dir=$(ls "$CACHE/kernels" 2>/dev/null | grep -E "^${PATTERN[$v]#linux-image-}$" | sort -V | tail -n 1)
	[ -z "$dir" ] || dir=$CACHE/kernels/$dir
	if [ -z "$dir" ]; then
		apt_setup
		# shellcheck disable=SC2046
		pkg=$(apt-cache $(apt_opts) pkgnames linux-image- | grep -E "^${PATTERN[$v]}$" | sort -V | tail -n 1)
		[ -n "$pkg" ] || { log "no $v cloud kernel in ${SUITE[$v]}"; exit 1; }
		log "downloading $pkg (${SUITE[$v]})"
		mkdir -p "$CACHE/kernels"
		# shellcheck disable=SC2046
		(cd "$CACHE" && apt-get -qq $(apt_opts) download "$pkg" 2>/dev/null)
		deb=$(ls "$CACHE"/"$pkg"_*.deb)
		dir=$CACHE/kernels/${pkg#linux-image-}
		dpkg -x "$deb" "$dir"
		rm -f "$deb"
	fi
	ls "$dir"/boot/vmlinuz-*
}

# Copy a dynamic binary and the libraries it loads into the initramfs.
copy_binary() { # BINARY DESTDIR
	local lib
	rm -f "$INITRD/bin/$(basename "$1")" # the busybox applet it replaces
	cp "$1" "$2/"
	for lib in $(ldd "$1" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }'); do
		mkdir -p "$INITRD$(dirname "$lib")"
		cp -n "$lib" "$INITRD$lib"
	done
}

# The modules of TCP sock_diag (inet_diag, tcp_diag) of each kernel, which
# Debian builds as modules: portleak close uses them where the kernel has
# no bpf_sock_destroy(), and ss where it finds them; and veth, for the
# port budget across a veth pair. init loads them.
add_modules() {
	local v dir ko mod release
	for v in $KERNELS; do
		dir=$(dirname "$(dirname "${VMLINUZ[$v]}")")
		for mod in inet_diag tcp_diag veth; do
			ko=$(find "$dir/lib/modules" "$dir/usr/lib/modules" -name "$mod.ko*" 2>/dev/null | head -n 1 || true)
			[ -n "$ko" ] || continue
			release=${ko#*/modules/}
			release=${release%%/*}
			mkdir -p "$INITRD/lib/modules/$release"
			case $ko in
			*.xz) xz -dc "$ko" >"$INITRD/lib/modules/$release/$mod.ko" ;;
			*) cp "$ko" "$INITRD/lib/modules/$release/$mod.ko" ;;
			esac
		done
	done
}

build_initramfs() {
	local applet tool
	INITRD=$BUILD/vm/root
	rm -rf "$INITRD"
	mkdir -p "$INITRD"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc}
	mkdir -p "$INITRD"/portleak/build/tests "$INITRD"/portleak/tests/integration "$INITRD"/lib64
	cp /bin/busybox "$INITRD/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[ -e "$INITRD/bin/$applet" ] || ln -s busybox "$INITRD/bin/$applet"
	done
	copy_binary /bin/bash "$INITRD/bin"
	copy_binary "$(command -v jq)" "$INITRD/usr/bin"
	for tool in ip ss curl setpriv unshare bpftool pkill; do
		copy_binary "$(command -v $tool)" "$INITRD/usr/bin"
	done
	cp "$BUILD/portleak" "$INITRD/portleak/build/"
	cp "$BUILD/tests/tcpwork" "$BUILD"/tests/leaky "$BUILD"/tests/leaky-pie \
		"$BUILD"/tests/leaky-stripped "$INITRD/portleak/build/tests/"
	mkdir -p "$INITRD/portleak/build/bench"
	cp "$BUILD/bench/churn" "$INITRD/portleak/build/bench/" # scripts/hook-cost.sh
	cp "$ROOT"/tests/integration/*.sh "$INITRD/portleak/tests/integration/"
	mkdir -p "$INITRD/portleak/tests/soak"
	cp "$ROOT"/tests/soak/soak.sh "$INITRD/portleak/tests/soak/"
	mkdir -p "$INITRD/portleak/scripts"
	cp "$ROOT"/scripts/*.sh "$INITRD/portleak/scripts/"
	cp "$ROOT/scripts/vm/init" "$INITRD/init"
	add_modules
	echo "root:x:0:0:root:/:/bin/sh" >"$INITRD/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$INITRD/etc/passwd"
	(cd "$INITRD" && find . | cpio -o -H newc --quiet | gzip -1) >"$BUILD/vm/initramfs.gz"
}

# Warnings and stack traces reach the console; a soft lockup or an oops
# ends the VM at once (panic=-1 reboots, -no-reboot stops qemu) with its
# stacks in the log, instead of after the timeout.
KERNEL_ARGS="loglevel=5 panic=-1 softlockup_panic=1 softlockup_all_cpu_backtrace=1 oops=panic"

# A guest reaches init (VM-BEGIN) within seconds. Seen here: qemu (TCG)
# now and then never starts the kernel at all (the console stops after
# SeaBIOS, qemu idle on a futex); such a boot is killed and made again.
BOOT_WAIT=120
BOOT_TRIES=3

# started QEMU_PID LOG: until the guest's init speaks (0), qemu exits (0:
# its status tells), or BOOT_WAIT seconds pass (1).
started() {
	local i
	for ((i = 0; i < BOOT_WAIT * 2; i++)); do
		grep -q VM-BEGIN "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.5
	done
	return 1
}

# boot VMLINUZ LOG MODES APPEND TEST...: one VM, its console in LOG;
# LOG.status gets qemu's exit status (124: timed out) and the seconds taken.
boot() {
	local vmlinuz=$1 logfile=$2 modes=${3// /,} append=$4 tests status start try pid
	shift 4
	# Without their test_ prefix: the kernel's command line holds 2048
	# bytes on x86, and a longer one leaves the boot hung after SeaBIOS.
	tests=$(IFS=,; echo "${*#test_}")
	start=$(date +%s)
	status=125 # no try reached init
	for ((try = 1; try <= BOOT_TRIES; try++)); do
		timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg,thread=single -smp 2 -m 1536 \
			-kernel "$vmlinuz" -initrd "$BUILD/vm/initramfs.gz" \
			-append "console=ttyS0 $KERNEL_ARGS $append portleak.modes=$modes portleak.tests=$tests" \
			-nographic -no-reboot -nic none -serial "file:$logfile" -monitor none >/dev/null 2>&1 &
		pid=$!
		if started "$pid" "$logfile"; then
			status=0
			wait "$pid" || status=$?
			break
		fi
		log "$(basename "$logfile" .log): the kernel did not start in ${BOOT_WAIT}s (try $try of $BOOT_TRIES)"
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	echo "$status $(($(date +%s) - start))" >"$logfile.status"
}

# boot_job ARGS...: boot in the background, at most JOBS VMs at a time.
boot_job() {
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n || true
	done
	boot "$@" &
}

# report VERSION LOG LABEL: one line per hook mode; 1 if anything failed.
report() {
	local v=$1 logfile=$2 label=$3 status took
	read -r status took <"$logfile.status" 2>/dev/null || status=unknown took=?
	if ! grep -q VM-END "$logfile"; then
		if [ "$status" = 124 ]; then
			echo "kernel $v$label: did not finish in ${TIMEOUT}s; see $logfile"
		else
			echo "kernel $v$label: the VM stopped after ${took}s (qemu status $status); see $logfile"
		fi
		tr -d '\r' <"$logfile" | grep -v '^suite:   ok \|^VM-RESULT' | tail -n 25 | sed 's/^/  | /'
		grep -h 'VM-RESULT' "$logfile" | tr -d '\r' | sed 's/^/  | /'
		return 1
	fi
	grep 'VM-RESULT' "$logfile" | tr -d '\r' | while read -r _ kernel hooks passed _ nfailed _; do
		echo "kernel ${kernel#kernel=}$label  ${hooks}  ${passed} passed, ${nfailed} failed"
	done
	log "$(basename "$logfile" .log)$label took ${took}s"
	grep -q 'VM-RESULT.* [1-9][0-9]* failed' "$logfile" || return 0
	# What the failed tests printed, with the mode each ran in.
	tr -d '\r' <"$logfile" | sed -n 's/^suite: //p' | grep -v '^  ok ' | head -n 120 | sed 's/^/  | /'
	return 1
}

[ -x "$BUILD/portleak" ] && [ -x "$BUILD/tests/tcpwork" ] && [ -x "$BUILD/tests/leaky-stripped" ] &&
	[ -x "$BUILD/bench/churn" ] ||
	{ log "build first: make all build/bench/churn"; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { log "needs qemu-system-x86"; exit 1; }
mkdir -p "$BUILD/vm"
rm -f "$BUILD"/vm/*.log "$BUILD"/vm/*.status
declare -A VMLINUZ
for v in $KERNELS; do
	VMLINUZ[$v]=$(fetch "$v") # downloads one at a time, before any VM runs
done
build_initramfs
newest=${KERNELS##* }
if [ -n "${PORTLEAK_VM_SCRIPT:-}" ]; then
	for v in $KERNELS; do
		boot_job "${VMLINUZ[$v]}" "$BUILD/vm/$v.log" none "portleak.script=$PORTLEAK_VM_SCRIPT"
	done
	wait
	cat "$BUILD"/vm/*.log | tr -d '\r' | grep '^probe:'
	exit 0
fi
# One boot per kernel and hook mode: JOBS VMs stay busy to the end, where
# one boot per kernel left a slot idle while the last kernel ran alone.
for v in $KERNELS; do
	for mode in $MODES; do
		boot_job "${VMLINUZ[$v]}" "$BUILD/vm/$v-$mode.log" "$mode" "${PORTLEAK_VM_APPEND:-}" "${TESTS[@]}"
	done
done
[ "${PORTLEAK_VM_LOCKDOWN:-1}" = 1 ] &&
	boot_job "${VMLINUZ[$newest]}" "$BUILD/vm/$newest-lockdown.log" auto "lockdown=confidentiality" \
		"${LOCKDOWN_TESTS[@]}"
wait
failed=0
for v in $KERNELS; do
	for mode in $MODES; do
		logfile=$BUILD/vm/$v-$mode.log
		default=$(sed -n 's/.*VM-DEFAULT kernel=[^ ]* hooks=\([^ \r]*\).*/\1/p' "$logfile" | tr -d '\r')
		report "$v" "$logfile" "  default hooks ${default:-none}" || failed=1
		[ "$default" = fexit ] || { echo "kernel $v: default hooks are '$default', not fexit"; failed=1; }
	done
done
if [ "${PORTLEAK_VM_LOCKDOWN:-1}" = 1 ]; then
	report "$newest" "$BUILD/vm/$newest-lockdown.log" "  lockdown=confidentiality" || failed=1
fi
# One closing line for all kernels and modes, after the names of the
# tests that failed (kernel, mode, test) and the first thing each said
# was wrong, which a log's tail then shows.
for logfile in "$BUILD"/vm/*.log; do
	tr -d '\r' <"$logfile" | awk -v file="${logfile##*/}" '
		/^suite: +ok / { why = "" }
		/^suite: +FAIL: / && why == "" { why = substr($0, index($0, "FAIL: ") + 6, 300) }
		/^suite: +FAIL / { fails[++n] = $3 ": " why; why = "" }
		/^VM-RESULT/ {
			sub(/.*hooks=/, "")
			for (i = 1; i <= n; i++) printf "vm: FAILED %s %s %s\n", file, $1, fails[i]
			n = 0
		}'
done
cat "$BUILD"/vm/*.log 2>/dev/null | tr -d '\r' |
	awk '/^VM-RESULT/ { p += $4; f += $6 } END { printf "vm: %d passed, %d failed\n", p, f }'
exit $failed
