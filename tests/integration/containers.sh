# portleak integration tests, sourced by run.sh: which container, pod and
# unit a process runs in, from real cgroups (made under the real cgroup2
# mount, below a parent of the test's own) and the runtimes' files under a
# --host-root. Not kernel-dependent: the VM matrix leaves them out.

CID_A=4f1c0a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a29180716f5e4d3c2b1a09f8e
CID_B=b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1
CID_C=c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00
CID_E=e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0

# host_root_files DIR: the runtimes' files of containers A (containerd),
# B (CRI-O), C (Docker), and a garbled one for E.
host_root_files() {
	local d=$1/run/containerd/io.containerd.runtime.v2.task/k8s.io
	mkdir -p "$d/$CID_A" "$d/$CID_E" "$1/run/containers/storage/overlay-containers/$CID_B/userdata" \
		"$1/var/lib/docker/containers/$CID_C"
	cat >"$d/$CID_A/config.json" <<-JSON
		{"ociVersion": "1.1.0", "annotations": {
		 "io.kubernetes.cri.container-type": "container",
		 "io.kubernetes.cri.sandbox-name": "shop-api-7d9f5c-x2k4q",
		 "io.kubernetes.cri.sandbox-namespace": "shop",
		 "io.kubernetes.cri.container-name": "checkout"}}
	JSON
	printf '{"annotations": {"io.kubernetes.cri.sandbox-name": ' >"$d/$CID_E/config.json"
	cat >"$1/run/containers/storage/overlay-containers/$CID_B/userdata/config.json" <<-JSON
		{"annotations": {"io.kubernetes.pod.name": "cart-5c8d", "io.kubernetes.pod.namespace": "shop",
		 "io.kubernetes.container.name": "cart"}}
	JSON
	echo '{"ID": "'"$CID_C"'", "Name": "/web"}' >"$1/var/lib/docker/containers/$CID_C/config.v2.json"
}

# make_cgroup REL: a cgroup REL below the test's parent, parents first;
# prints its path. Removed (deepest first) by cleanup.
make_cgroup() {
	local path=$CG_PARENT part rel=$1
	for part in ${rel//\// }; do
		path=$path/$part
		if [ ! -d "$path" ]; then
			mkdir "$path" || fail "cannot create cgroup $path"
			CGROUPS=("$path" "${CGROUPS[@]}")
		fi
	done
	echo "$path"
}

test_containers_pods_and_units_are_named() {
	local root a b c d e
	root=$(cgroup2_mount)
	[ -n "$root" ] || fail "no cgroup2 mount"
	CG_PARENT=$root/portleak-test-$$-$RANDOM
	mkdir "$CG_PARENT" || fail "cannot create a cgroup under $root"
	CGROUPS=("$CG_PARENT")
	host_root_files "$T/root"
	# Each cgroup is made in this shell (CGROUPS is the test's own list).
	make_cgroup "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0c8b1234_5678_9abc_def0_123456789abc.slice/cri-containerd-$CID_A.scope" >"$T/cg"
	start_in_cgroup a "$(cat "$T/cg")" "$WORKLOAD" serve -m hold -r "$T/a"
	make_cgroup "kubepods/besteffort/pod7e57f00d-0000-4000-8000-000000000001/$CID_B" >"$T/cg"
	start_in_cgroup b "$(cat "$T/cg")" "$WORKLOAD" serve -m hold -r "$T/b"
	make_cgroup "system.slice/docker-$CID_C.scope" >"$T/cg"
	start_in_cgroup c "$(cat "$T/cg")" "$WORKLOAD" serve -m hold -r "$T/c"
	make_cgroup "system.slice/portleak-test.service" >"$T/cg"
	start_in_cgroup d "$(cat "$T/cg")" "$WORKLOAD" serve -m hold -r "$T/d"
	make_cgroup "kubepods.slice/kubepods-podffff.slice/cri-containerd-$CID_E.scope" >"$T/cg"
	start_in_cgroup e "$(cat "$T/cg")" "$WORKLOAD" serve -m hold -r "$T/e"
	for f in a b c d e; do wait_for "$T/$f"; done
	"$PL" snapshot -d 0 --json --host-root "$T/root" --hooks "$HOOKS" >"$T/out.json" 2>"$T/err" ||
		fail "snapshot"
	expect "A container" "$(proc "$a" '.container | [.runtime, .namespace, .pod, .name, .pod_uid] | join(" ")')" \
		"containerd shop shop-api-7d9f5c-x2k4q checkout 0c8b1234-5678-9abc-def0-123456789abc"
	expect "B container" "$(proc "$b" '.container | [.runtime, .namespace, .pod, .name, .id] | join(" ")')" \
		"cri-o shop cart-5c8d cart $CID_B"
	expect "C container" "$(proc "$c" '.container | [.runtime, .name, .pod] | join(" ")')" "docker web "
	expect "D unit" "$(proc "$d" '[.container, .unit] | tostring')" '[null,"portleak-test.service"]'
	expect "E (garbled file) container" "$(proc "$e" '.container | [.id, .name] | join(" ")')" "$CID_E "
	# Filters: namespace, pod, container by name and by id prefix.
	filtered() { # FLAGS...: the pids of the processes that pass
		"$PL" snapshot -d 0 --json --host-root "$T/root" --hooks "$HOOKS" "$@" 2>>"$T/err" |
			jq -c '[.processes[] | select(.unknown_owner | not) | .pid] | sort'
	}
	expect "--namespace shop" "$(filtered --namespace shop)" "$(jq -nc --argjson a "$a" --argjson b "$b" '[$a, $b] | sort')"
	expect "--pod cart-5c8d" "$(filtered --pod cart-5c8d)" "[$b]"
	expect "--container checkout" "$(filtered --container checkout)" "[$a]"
	expect "--container ID prefix" "$(filtered --container "${CID_C:0:12}")" "[$c]"
	# The tables say where each runs.
	"$PL" snapshot -d 0 --host-root "$T/root" --hooks "$HOOKS" -p "$a" >"$T/out.txt" 2>"$T/err" || fail "text"
	grep -q "shop/shop-api-7d9f5c-x2k4q/checkout" "$T/out.txt" || fail "WHERE: $(cat "$T/out.txt")"
	"$PL" top -b -n 1 -d 0.2 --host-root "$T/root" --hooks "$HOOKS" --pod cart-5c8d >"$T/top.txt" 2>"$T/err" ||
		fail "top -b"
	grep -qE "^ *$b tcpwork +shop/cart-5c8d/cart " "$T/top.txt" || fail "top -b WHERE: $(cat "$T/top.txt")"
	# Prometheus: namespace, pod and container labels on the process series.
	serve_start --host-root "$T/root"
	metrics >"$T/metrics.txt"
	grep -q "^portleak_process_sockets{pid=\"$a\",comm=\"tcpwork\",cgroup=\"[^\"]*\",namespace=\"shop\",pod=\"shop-api-7d9f5c-x2k4q\",container=\"checkout\",state=\"LISTEN\"} 1" \
		"$T/metrics.txt" || fail "labels: $(grep "pid=\"$a\"" "$T/metrics.txt" | head -2)"
}

# Names in the runtime's files are the runtime's users' text: a quote, a
# newline and a terminal escape come out safe in JSON, the tables, top -b
# and the metrics.
test_hostile_container_names_come_out_safe() {
	local root d
	root=$(cgroup2_mount)
	[ -n "$root" ] || fail "no cgroup2 mount"
	CG_PARENT=$root/portleak-test-$$-$RANDOM
	mkdir "$CG_PARENT" || fail "cannot create a cgroup under $root"
	CGROUPS=("$CG_PARENT")
	d=$T/root/run/containerd/io.containerd.runtime.v2.task/k8s.io/$CID_A
	mkdir -p "$d"
	printf '%s\n' '{"annotations": {"io.kubernetes.cri.sandbox-name": "p\"o\nd\u001b[2J",' \
		'"io.kubernetes.cri.sandbox-namespace": "ns", "io.kubernetes.cri.container-name": "c\\x"}}' \
		>"$d/config.json"
	make_cgroup "kubepods.slice/kubepods-podabc.slice/cri-containerd-$CID_A.scope" >"$T/cg"
	start_in_cgroup a "$(cat "$T/cg")" "$WORKLOAD" serve -m hold -r "$T/a"
	wait_for "$T/a"
	"$PL" snapshot -d 0 --json --host-root "$T/root" --hooks "$HOOKS" >"$T/out.json" 2>"$T/err" ||
		fail "snapshot"
	expect "pod name, through JSON" "$(proc "$a" '.container.pod | @json')" '"p\"o\nd\u001b[2J"'
	"$PL" snapshot -d 0 --host-root "$T/root" --hooks "$HOOKS" -p "$a" >"$T/out.txt" 2>&1 || fail "text"
	"$PL" top -b -n 1 -d 0.2 --host-root "$T/root" --hooks "$HOOKS" -p "$a" >"$T/top.txt" 2>&1 || fail "top -b"
	! grep -q $'\e' "$T/out.txt" "$T/top.txt" || fail "a raw escape reached the terminal"
	grep -qF 'ns/p"o\x0ad\x1b[2J/c\\x' "$T/out.txt" || fail "WHERE: $(grep tcpwork "$T/out.txt" | cat -v)"
	serve_start --host-root "$T/root"
	metrics | grep -qF "pod=\"p\\\"o\\nd"$'\e'"[2J\",container=\"c\\\\x\"" ||
		fail "labels: $(metrics | grep "pid=\"$a\"" | head -1 | cat -v)"
}
