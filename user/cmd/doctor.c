// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak doctor: what the kernel offers, what portleak chose and why,
 * and the port arithmetic of this host. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cmd/commands.h"
#include "host/cgroups.h"
#include "host/conntrack.h"
#include "host/sysinfo.h"

#define TCP_TIMEWAIT_LEN_S 60 /* include/net/tcp.h: compiled in */
#define SYSCTL "/proc/sys/net/ipv4/"

static void row(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void row(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("  %-28s ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void print_kernel(void)
{
	char kernel[128], lockdown[32], cgroup[256];
	const char *missing = sysinfo__missing_caps();

	sysinfo__kernel(kernel, sizeof(kernel));
	puts("kernel");
	row("release", "%s", kernel);
	row("BTF", "%s", sysinfo__has_btf() ? "yes (" PL_BTF_PATH ")"
					    : "MISSING: CO-RE needs CONFIG_DEBUG_INFO_BTF=y");
	row("privileges", "%s%s", missing ? "MISSING " : "ok",
	    missing ? missing : "");
	if (!sysinfo__lockdown(lockdown, sizeof(lockdown)))
		row("lockdown", "not in this kernel");
	else
		row("lockdown", "%s%s", lockdown,
		    strcmp(lockdown, "confidentiality") ? ""
			: ": BPF programs may not read kernel memory; portleak CANNOT run");
	row("BPF filesystem", "%s", sysinfo__on_bpffs(PL_BPFFS_PATH)
		? "mounted at " PL_BPFFS_PATH " (serve --pin keeps its maps there)"
		: "not mounted at " PL_BPFFS_PATH ": portleak mounts it if it can; serve --pin needs it");
	row("cgroup v2", "%s", cgroups__find_mount(PL_MOUNTINFO_PATH, cgroup, sizeof(cgroup))
		? "not mounted: processes show no cgroup"
		: cgroup);
	row("ring buffer", "%s", libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1
					 ? "yes" : "no (needs 5.8)");
	row("kprobes", "%s", access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
				     access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0
			     ? "yes" : "no (CONFIG_KPROBES off or tracefs missing)");
}

static void print_hooks(const struct pl_agent *a)
{
	size_t i;

	puts("\nhooks (tried best first)");
	for (i = 0; i < a->n_failed; i++)
		row(hooks__mode_name(a->failed[i].plan->mode), "refused at %s: %s",
		    a->failed[i].stage, strerror(-a->failed[i].err));
	if (!a->plan) {
		row("result", "NO PLAN LOADED: portleak cannot run here (try -v)");
		return;
	}
	row(hooks__mode_name(a->plan->mode), "chosen");
	row("state", "%s/inet_sock_set_state", hooks__state_name(a->plan));
	row("accept", "%s: %s", hooks__fn_name(a->plan->accept),
	    hooks__accept_note(a->plan->accept));
	row("bind", "%s: %s", hooks__fn_name(a->plan->bind),
	    hooks__bind_note(a->plan->bind));
}

/* Which of the kernel's per-socket clocks the walk read, and HZ. */
static void print_clocks(const struct pl_tracker *t, const struct pl_tcp_walk *w)
{
	size_t i, full = 0, stamped = 0, tw = 0, timed = 0;

	for (i = 0; i < w->n; i++) {
		if (w->recs[i].kind == PL_REC_TIMEWAIT) {
			tw++;
			timed += w->recs[i].clocks.tw_expires != 0;
		} else if (w->recs[i].kind == PL_REC_FULL && w->recs[i].state != PL_TCP_LISTEN) {
			full++;
			stamped += w->recs[i].clocks.rcv_tstamp != 0;
		}
	}
	puts("\nclocks (read from each socket by iter/tcp)");
	if (t->hz)
		row("HZ", "%u (jiffies_64 against CLOCK_MONOTONIC, from /proc/timer_list or the walk)", t->hz);
	else
		row("HZ", "UNKNOWN: no walked socket, or jiffies fit no HZ; ages only from what portleak saw");
	row("connected sockets", "%zu of %zu with lastack/lastrcv/lastsnd: CLOSE_WAIT age (at least since the last ACK, at most since the last data) and idle time on the first report",
	    stamped, full);
	row("TIME_WAIT sockets", "%zu of %zu with their timer: birth = expiry - %d s, ports freeing, forecast",
	    timed, tw, PL_TIMEWAIT_S);
}

static void print_walk(struct pl_tracker *t)
{
	struct pl_tcp_walk w;
	struct pl_maps m;
	int err;

	puts("\nstart-up walk (iter/task_file + iter/tcp)");
	if (!t->agent.plan)
		return;
	err = tracker__look(t, 0, &m, &w);
	if (err)
		row("result", "FAILED: %s", strerror(-err));
	else
		row("result", "%zu TCP sockets in %zu network namespaces%s", w.n, w.n_netns,
		    w.netns_failed ? " (some namespaces could not be entered)" : "");
	print_clocks(t, &w);
	walk__free(&w);
	maps__free(&m);
}

static const char *stacks_mode_text(enum pl_stacks_mode m)
{
	switch (m) {
	case PL_STACKS_OFF:
		return "off (--no-stacks)";
	case PL_STACKS_ALL:
		return "every process (--stacks)";
	default:
		return "armed: processes whose verdict is not OK, from the report that finds them (the default; --stacks: every process, --no-stacks: none)";
	}
}

/* Leak origins: how code paths are recorded here and what they cost. */
static void print_origins(const struct pl_tracker *t)
{
	__u32 stacks = 0, origins = 0;

	puts("\nleak origins (the code paths of connect, accept and listen)");
	row("mode", "%s", stacks_mode_text(t->cfg.stacks));
	row("cost, process not recorded", "one hash lookup per connect(), accept() and listen()");
	row("cost, process recorded", "a walk of its user stack (frame pointers, up to %d frames) and two map updates per socket opened",
	    PL_STACK_DEPTH);
	row("caller of the syscall stub", "%s", agent__has_task_pt_regs() ? "from bpf_task_pt_regs() (5.15+)"
							   : "from the registers below the task's kernel stack (before 5.15)");
	agent__stack_maps(&t->agent, &stacks, &origins);
	if (stacks && origins)
		row("memory", "stacks %u x %zu B, origins %u x %zu B: at most %.1f MiB", stacks,
		    sizeof(struct pl_stack), origins, sizeof(struct pl_origin_row),
		    (stacks * (double)sizeof(struct pl_stack) +
		     origins * (double)sizeof(struct pl_origin_row)) / (1024 * 1024));
	row("frames named from", "the ELF symbols of the mapped files, perf maps (/tmp/perf-PID.map) for JIT code");
}

/* portleak close: which mechanisms this kernel offers, best first. */
static void print_remedy(void)
{
	static const enum pl_remedy_mech mechs[] = { PL_REMEDY_KFUNC, PL_REMEDY_SOCK_DIAG };
	enum pl_remedy_mech got;
	const char *chosen = NULL;
	struct pl_why why;
	size_t i;

	puts("\nclosing sockets (portleak close, best first)");
	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++) {
		why.text[0] = '\0';
		if (!remedy__choose(mechs[i], &got, &why) && !chosen)
			chosen = remedy__name(mechs[i]);
		row(remedy__name(mechs[i]), "%s", why.text[0] ? why.text : "yes");
	}
	row("chosen", "%s", chosen ? chosen : "NONE: portleak close exits with status 5 here");
}

/* How many ports of [low, high] net.ipv4.ip_local_reserved_ports holds. */
static long reserved_in_range(unsigned int low, unsigned int high, char *list, size_t len)
{
	FILE *f = fopen(SYSCTL "ip_local_reserved_ports", "re");
	char *p = list, *end;
	long count = 0;

	list[0] = '\0';
	if (!f)
		return 0;
	if (!fgets(list, (int)len, f))
		list[0] = '\0';
	fclose(f);
	list[strcspn(list, "\n")] = '\0';
	while (*p) {
		unsigned long a = strtoul(p, &end, 10), b = a;

		if (end == p)
			break;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (b >= low && a <= high)
			count += (long)((b < high ? b : high) - (a > low ? a : low) + 1);
		p = *end == ',' ? end + 1 : end;
	}
	return count;
}

/* How long a connect() the peer never answers waits before the kernel
 * gives up: its SYN sent 1 + @retries times, the wait doubling from 1 s up
 * to TCP_RTO_MAX (120 s). */
static long syn_give_up_s(long retries)
{
	long total = 0, rto = 1, i;

	for (i = 0; i <= retries && i < 64; i++, rto = rto * 2 > 120 ? 120 : rto * 2)
		total += rto;
	return total;
}

static void print_handshake_sysctls(void)
{
	long somaxconn = -1, syn_backlog = -1, syn_retries = -1;

	sysinfo__sysctl("/proc/sys/net/core/somaxconn", &somaxconn);
	sysinfo__sysctl(SYSCTL "tcp_max_syn_backlog", &syn_backlog);
	sysinfo__sysctl(SYSCTL "tcp_syn_retries", &syn_retries);
	row("net.core.somaxconn", "%ld: listen()'s backlog is capped to it; once backlog + 1 connections wait for accept(), SYNs are dropped (BACKLOG in top)",
	    somaxconn);
	row("net.ipv4.tcp_max_syn_backlog", "%ld half-open connections (SYN_RECV) a listener keeps",
	    syn_backlog);
	row("net.ipv4.tcp_syn_retries", "%ld: an unanswered connect() fails with ETIMEDOUT after ~%ld s; clients with their own timeout give up first (TIMEOUT in top)",
	    syn_retries, syn_retries >= 0 ? syn_give_up_s(syn_retries) : -1);
}

static void print_sysctls(void)
{
	long reuse = -1, fin = -1, buckets = -1, usable;
	long long files, files_max;
	char reserved[512];
	__u16 low, high;

	sysinfo__port_range(&low, &high);
	usable = (long)high - low + 1 - reserved_in_range(low, high, reserved, sizeof(reserved));
	sysinfo__sysctl(SYSCTL "tcp_tw_reuse", &reuse);
	sysinfo__sysctl(SYSCTL "tcp_fin_timeout", &fin);
	sysinfo__sysctl(SYSCTL "tcp_max_tw_buckets", &buckets);
	puts("\nsysctls (portleak's network namespace)");
	row("net.ipv4.ip_local_port_range", "%u %u (%ld usable ports)", low, high, usable);
	row("net.ipv4.ip_local_reserved_ports", "%s", reserved[0] ? reserved : "(none)");
	row("net.ipv4.tcp_tw_reuse", "%ld (%s)", reuse,
	    reuse == 1 ? "connect() may reuse TIME_WAIT ports"
		       : reuse == 2 ? "reuse on loopback only" : "no reuse");
	row("net.ipv4.tcp_fin_timeout", "%ld s: bounds orphaned FIN_WAIT2, NOT TIME_WAIT", fin);
	row("TIME_WAIT length", "%d s always (TCP_TIMEWAIT_LEN, compiled into the kernel)",
	    TCP_TIMEWAIT_LEN_S);
	row("net.ipv4.tcp_max_tw_buckets", "%ld (past it, TIME_WAIT is skipped, with a log line)",
	    buckets);
	sysinfo__files(&files, &files_max);
	row("fs.file-nr / fs.file-max", "%lld open of %lld on the host (each process has its own RLIMIT_NOFILE too: FD%% in top)",
	    files, files_max);
	print_handshake_sysctls();
	puts("\nport math");
	row("concurrent connections", "%ld per (source address, destination address:port)", usable);
	row("short-connection ceiling", "%ld / %d s = %.0f new connections per second per destination",
	    usable, TCP_TIMEWAIT_LEN_S, (double)usable / TCP_TIMEWAIT_LEN_S);
	row("", "when this host closes first (each close leaves TIME_WAIT)%s",
	    reuse == 1 ? "; tcp_tw_reuse=1 lifts it for outgoing connections" : "");
}

#define CONNTRACK_SYSCTL "/proc/sys/net/netfilter/nf_conntrack_"
#define NAT_PORTS 64512 /* 1024-65535: what MASQUERADE takes without --to-ports */

/* The connection-tracking table of portleak's namespace, and what it
 * bounds: new connections per second the table can carry while each
 * closed one stays tracked in TIME_WAIT, and a NAT's ports toward one
 * destination. */
static void print_conntrack(void)
{
	struct pl_conntrack_counters c;
	long tw = -1, est = -1;
	__u64 count, max;

	puts("\nconnection tracking (portleak's network namespace)");
	if (conntrack__size(&count, &max)) {
		row("conntrack", "not in use here (no nf_conntrack): no table to fill, no NAT");
		return;
	}
	sysinfo__sysctl(CONNTRACK_SYSCTL "tcp_timeout_time_wait", &tw);
	sysinfo__sysctl(CONNTRACK_SYSCTL "tcp_timeout_established", &est);
	row("table", "%llu entries of %llu (nf_conntrack_max, one for the host); at max new connections are dropped",
	    (unsigned long long)count, (unsigned long long)max);
	if (!conntrack__counters(&c))
		row("dropped", "%llu new connections (table full), %llu entries evicted, %llu inserts failed, since the namespace began",
		    (unsigned long long)c.drop, (unsigned long long)c.early_drop,
		    (unsigned long long)c.insert_failed);
	row("tcp_timeout_time_wait", "%ld s: a closed connection stays tracked this long", tw);
	row("tcp_timeout_established", "%ld s: an idle connection stays tracked this long", est);
	if (tw <= 0)
		return;
	row("table ceiling", "%llu / %ld s = %.0f new short connections per second",
	    (unsigned long long)max, tw, (double)max / (double)tw);
	row("NAT ceiling", "%d ports / %ld s = %.0f new connections per second toward one destination through MASQUERADE (1024-65535; --to-ports narrows it)",
	    NAT_PORTS, tw, (double)NAT_PORTS / (double)tw);
}

int cmd_doctor(const struct pl_options *o)
{
	struct pl_tracker_config cfg = commands__config(o);
	struct pl_why why = { "" };
	struct pl_tracker t;
	int err, status = 0;

	print_kernel();
	fflush(stdout);
	err = tracker__start(&t, &cfg, true, &why);
	if (err)
		status = commands__fail(o, err, &why, "start");
	print_hooks(&t.agent);
	print_walk(&t);
	print_origins(&t);
	print_remedy();
	print_sysctls();
	print_conntrack();
	tracker__stop(&t);
	return status;
}
