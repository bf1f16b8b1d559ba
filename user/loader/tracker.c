// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/cgroups.h"
#include "host/process.h"
#include "host/procnet.h"
#include "host/runtimes.h"
#include "host/symbols.h"
#include "host/sysinfo.h"
#include "loader/pin.h"
#include "loader/tracker.h"

#define TRACE_POLL_MS 100
#define FAILURES_KEPT_NS (PL_HISTORY_SPAN_S * 1000000000ull)
/* Sockets change hands (fork, fd passing) without a hook seeing it; the fd
 * walk finds the new holder. It costs a pass over every fd of the host. */
#define WALK_EVERY_NS (10 * 1000000000ull)
/* Collecting the maps, expiring failures and forgetting the symbols of
 * processes gone: at most this often, however often a view refreshes. */
#define UPKEEP_EVERY_NS (2 * 1000000000ull)

/* The kernel's tick, once known (0: not yet), and with it the BPF side's
 * clock for socket times (maps__set_clock): until then, or if that fails,
 * the BPF side reads the monotonic clock itself, which is right but costs
 * more at every transition. */
static void learn_hz(struct pl_tracker *t, unsigned int hz, __u64 jiffies, __u64 mono_ns)
{
	t->hz = hz;
	if (hz)
		maps__set_clock(t->agent.skel, hz, jiffies, mono_ns);
}

/* The model's view of who runs in a cgroup: the path says the container
 * and pod uid, the runtime's files the names. */
static void identify(const char *path, struct pl_identity *out, void *runtimes)
{
	struct pl_runtime_names n;

	identity__parse(path, out);
	if (!out->id[0] || runtimes__lookup(runtimes, out->runtime, out->id, &n))
		return;
	snprintf(out->runtime, sizeof(out->runtime), "%s", n.runtime);
	snprintf(out->name, sizeof(out->name), "%s", n.name);
	snprintf(out->pod, sizeof(out->pod), "%s", n.pod);
	snprintf(out->namespace, sizeof(out->namespace), "%s", n.namespace);
}

static int fd_budget(__u32 pid, __s64 *in_use, __s64 *limit, void *ctx)
{
	(void)ctx;
	return process__fd_budget((pid_t)pid, in_use, limit);
}

/* The frames of a stack, newest first: the system call stub, the function
 * that called it (when the frame-pointer chain skips it), then the chain.
 * Addresses in no executable mapping (the chain's last, bogus link) are
 * left out; depth counts the chain's frames that were code. */
static int stack_frames(const struct pl_owner *owner, __u64 stack, struct pl_frames *out,
			void *tracker)
{
	struct pl_tracker *t = tracker;
	char name[PL_FRAME_LEN];
	struct pl_stack s;
	__u32 i, nr;

	memset(out, 0, sizeof(*out));
	if (!t->agent.skel || maps__stack(t->agent.skel, stack, &s))
		return -ENOENT;
	nr = s.nr < PL_STACK_DEPTH ? s.nr : PL_STACK_DEPTH;
	for (i = 0; i < nr; i++) {
		if (s.ips[i] && symbols__name(t->symbols, owner->tgid, owner->start_ns, s.ips[i],
					      name, sizeof(name)) == 0) {
			out->depth++;
			if (out->n < PL_MAX_FRAMES)
				memcpy(out->names[out->n++], name, sizeof(name));
		}
		if (i || !s.caller || (nr > 1 && s.ips[1] == s.caller) || out->n == PL_MAX_FRAMES)
			continue;
		if (symbols__name(t->symbols, owner->tgid, owner->start_ns, s.caller, name,
				  sizeof(name)) == 0)
			memcpy(out->names[out->n++], name, sizeof(name));
	}
	return 0;
}

/* Without hooks, nothing keeps a ledger: every look lists the fd tables. */
static bool listing(const struct pl_tracker *t)
{
	return !t->agent.plan;
}

static struct pl_model_input model_input(struct pl_tracker *t,
					 const struct pl_tcp_walk *w,
					 const struct pl_maps *m, __u64 now_ns)
{
	const struct pl_failures *f = &t->agent.failures;
	struct pl_model_input in = {
		.tcp = w->recs, .n_tcp = w->n,
		.netns = w->netns, .n_netns = w->n_netns,
		.ledger = m->ledger, .n_ledger = m->n_ledger,
		.ledger_index = m->ledger_index.slots ? &m->ledger_index : NULL,
		/* with hooks, from the last fd walk */
		.holders = listing(t) ? m->holders : t->fd_rows.shared,
		.n_holders = listing(t) ? m->n_holders : t->fd_rows.n_shared,
		.dead = listing(t) ? m->dead : t->fd_rows.dead,
		.n_dead = listing(t) ? m->n_dead : t->fd_rows.n_dead,
		.timewait = m->timewait, .n_timewait = m->n_timewait,
		.owners = m->owners, .n_owners = m->n_owners,
		.failures = f->items, .n_failures = f->n,
		.fails = m->fails, .n_fails = m->n_fails,
		.dest_fails = m->dest_fails, .n_dest_fails = m->n_dest_fails,
		.failures_dropped = f->dropped,
		.missed_runs = agent__missed_runs(&t->agent),
		.now_ns = now_ns,
		.trace_s = (double)(now_ns - t->started_ns) / 1e9,
		.leak_age_s = t->cfg.leak_age_s,
		.idle_age_s = t->cfg.idle_age_s,
		.stale_min = t->cfg.stale_min,
		.hz = t->hz,
		.filter = t->cfg.filter,
		.cgroup_path = cgroups__path,
		.cgroup_ctx = t->cgroups,
		.identity = identify,
		.identity_ctx = t->runtimes,
		.fd_budget = fd_budget,
		.origins = m->origins, .n_origins = m->n_origins,
		.nat = t->nat, .n_nat = t->n_nat,
		.nat_left_out = t->nat_left_out, .nat_cut = t->nat_cut,
		.frames = t->symbols ? stack_frames : NULL,
		.frames_ctx = t,
		.history = &t->history,
	};

	memcpy(in.lost, m->counters, sizeof(in.lost));
	sysinfo__port_range(&in.port_low, &in.port_high);
	return in;
}

static unsigned int netns_flags(const struct pl_tracker *t)
{
	return t->cfg.own_netns ? 0 : PL_WALK_ALL_NETNS;
}

/* Take the NAT entries @w dumped, in place of the last ones. */
static void take_nat(struct pl_tracker *t, struct pl_tcp_walk *w)
{
	free(t->nat);
	t->nat = w->nat;
	t->n_nat = w->n_nat;
	t->nat_left_out = w->nat_left_out;
	t->nat_cut = w->nat_cut;
	w->nat = NULL;
	w->n_nat = w->cap_nat = 0;
}

/* The fd walk (when @walk_fds), the maps, then the TCP walk (with
 * PL_WALK_NAT in @walk_flags, the conntrack tables' NAT entries too). */
static int read_kernel(struct pl_tracker *t, bool walk_fds, unsigned int walk_flags,
		       struct pl_maps *m, struct pl_tcp_walk *w)
{
	int err = walk_fds && !listing(t) ? walk__fds(t->agent.skel, &t->fd_rows) : 0;

	memset(m, 0, sizeof(*m));
	memset(w, 0, sizeof(*w));
	if (!err && walk_fds)
		t->walked_ns = sysinfo__now_ns();
	/* Maps first: a socket the walk lists has its ledger entry already. */
	if (!err)
		err = maps__read(t->agent.skel, m);
	/* The ledger overflowed once: the fd walk names what it lacks. */
	if (!err && walk_fds && !listing(t) && m->counters[PL_CNT_LEDGER_FULL])
		err = walk__fill_ledger_gaps(&t->agent, m);
	if (!err && listing(t))
		err = walk__list_fds_and_tcp(&t->agent, m, walk_flags | netns_flags(t), w);
	else if (!err)
		err = walk__tcp(t->agent.skel, walk_flags | netns_flags(t), w);
	if (!err)
		t->netns_failed = w->netns_failed;
	if (!err && (walk_flags & PL_WALK_NAT))
		take_nat(t, w);
	if (!err && !t->hz && w->n) {
		const struct pl_sock_clocks *c = &w->recs[0].clocks;

		learn_hz(t, clocks__hz(c->jiffies, c->now_ns), c->jiffies, c->now_ns);
	}
	return err;
}

int tracker__look(struct pl_tracker *t, unsigned int walk_flags, struct pl_maps *m,
		  struct pl_tcp_walk *w)
{
	return read_kernel(t, true, walk_flags, m, w);
}

int tracker__held(struct pl_tracker *t, __u32 pid, __u64 start_ns, __u64 slack_ns,
		  struct pl_owner *owner, struct pl_held **held, size_t *n)
{
	struct pl_tcp_walk w;
	struct pl_maps m;
	int err = read_kernel(t, true, PL_WALK_INODES, &m, &w);

	*held = NULL;
	*n = 0;
	if (!err) {
		struct pl_model_input in = model_input(t, &w, &m, sysinfo__now_ns());

		err = model__owner_near(&in, pid, start_ns, slack_ns, owner);
		if (!err)
			err = model__held(&in, owner, held, n);
	}
	walk__free(&w);
	maps__free(&m);
	return err;
}

/* Armed mode: the processes that look wrong get their new sockets'
 * origins captured from now on. */
static void arm_suspects(struct pl_tracker *t, const struct pl_report *r)
{
	size_t i;

	if (t->cfg.stacks != PL_STACKS_ARMED || !t->agent.plan)
		return;
	for (i = 0; i < r->n_procs; i++)
		if (!r->procs[i].unknown && r->procs[i].verdict > PL_VERDICT_INCOMPLETE)
			maps__arm(t->agent.skel, r->procs[i].pid);
}

/* Count a report's outcome for the meta. */
static int note_report(struct pl_tracker *t, int err, __u64 began_ns)
{
	t->last_failure = err;
	if (err) {
		t->report_failures++;
		return err;
	}
	t->reported_ns = sysinfo__now_ns();
	t->report_took_ns = t->reported_ns - began_ns;
	return 0;
}

/* What the agent needs kept in order, from a report's read of the maps
 * and sockets (@m, @w): the ledger and the maps collected, old failures
 * expired, the symbols of processes gone forgotten. */
static void upkeep(struct pl_tracker *t, const struct pl_maps *m, const struct pl_tcp_walk *w,
		   __u64 now)
{
	if (!listing(t))
		collect__maps(t->agent.skel, m, w, &t->gc_marks, now);
	if (now > FAILURES_KEPT_NS)
		failures__expire(&t->agent.failures, now - FAILURES_KEPT_NS);
	symbols__forget_exited(t->symbols);
	t->upkept_ns = now;
}

int tracker__report(struct pl_tracker *t, struct pl_report *out)
{
	__u64 began = sysinfo__now_ns(), now;
	bool walk_fds = began - t->walked_ns >= t->walk_every_ns;
	struct pl_tcp_walk w;
	struct pl_maps m;
	/* NAT's tables are dumped with the fds, not at every refresh. */
	int err = read_kernel(t, walk_fds, walk_fds ? PL_WALK_NAT : 0, &m, &w);

	if (!err) {
		now = sysinfo__now_ns();
		struct pl_model_input in = model_input(t, &w, &m, now);

		err = model__build(&in, out);
		if (!err && (err = model__remember(out, &t->history, now)))
			model__free(out);
		if (!err)
			arm_suspects(t, out);
		if (!err && now - t->upkept_ns >= UPKEEP_EVERY_NS)
			upkeep(t, &m, &w, now);
	}
	walk__free(&w);
	maps__free(&m);
	if ((err = note_report(t, err, began)))
		return err;
	tracker__meta(t, &out->meta);
	/* the port range as the report read it, not read again */
	out->meta.facts.port_low = out->port_low;
	out->meta.facts.port_high = out->port_high;
	return 0;
}

/* Fill @ac->ledger_size from the pinned ledger, unless the user asked for
 * another size. */
static int check_pin_dir(const struct pl_tracker_config *c, struct pl_agent_config *ac,
			 struct pl_why *why)
{
	__u32 pinned;
	int err = pin__check(c->pin_dir, &pinned, why);

	if (err)
		return err;
	if (pinned && ac->ledger_size && ac->ledger_size != pinned)
		return why__set(why, -EINVAL, "--max-sockets %u differs from the ledger pinned in %s (%u entries): drop the flag, or remove the pinned maps",
				ac->ledger_size, c->pin_dir, pinned);
	if (pinned)
		ac->ledger_size = pinned;
	ac->pin_dir = c->pin_dir;
	return 0;
}

static int load_failed(const struct pl_tracker_config *c, int err, struct pl_why *why)
{
	char mode[32];

	if (sysinfo__lockdown(mode, sizeof(mode)) && !strcmp(mode, "confidentiality"))
		return why__set(why, -ENOTSUP, "the kernel is locked down in confidentiality mode (%s): it lets no BPF program read kernel memory, which portleak must; boot without lockdown=confidentiality",
				PL_LOCKDOWN_PATH);
	if (!sysinfo__has_tracefs())
		return why__set(why, -ENOTSUP, "failed to load the BPF programs (hooks %s): %s; tracefs is not mounted (/sys/kernel/tracing) and portleak could not mount it: mount it with 'mount -t tracefs tracefs /sys/kernel/tracing'",
				hooks__mode_name(c->hooks), strerror(-err));
	return why__set(why, -ENOTSUP, "failed to load the BPF programs (hooks %s): %s%s",
			hooks__mode_name(c->hooks), strerror(-err),
			c->verbose ? "" : " (run 'portleak doctor', or add -v for libbpf's log)");
}

/* Checks privileges and BTF, mounts what is missing and loads the agent. */
static int start_agent(struct pl_tracker *t, bool walk_only, struct pl_why *why)
{
	const struct pl_tracker_config *c = &t->cfg;
	struct pl_agent_config ac = {
		.hooks = c->hooks,
		.ledger_size = c->ledger_size,
		.host_sockets = procnet__tcp_allocated(),
		.events_bytes = c->events_bytes,
		.verbose = c->verbose,
		.walk_only = walk_only,
		.stacks = c->stacks,
	};
	const char *missing = sysinfo__missing_caps();
	int err;

	if (missing)
		return why__set(why, -EPERM, "needs root, or %s (effective uid %u)", missing,
				(unsigned int)geteuid());
	if (!sysinfo__has_btf())
		return why__set(why, -ENOTSUP, "this kernel has no BTF (%s): portleak needs CONFIG_DEBUG_INFO_BTF=y",
				PL_BTF_PATH);
	sysinfo__mount_pseudo_fs(c->pin_dir);
	if (c->pin_dir && (err = check_pin_dir(c, &ac, why)))
		return err;
	err = agent__start(&t->agent, &ac);
	return err ? load_failed(c, err, why) : 0;
}

#define HZ_SAMPLE_NS 100000000ull /* two readings of jiffies this far apart */

/* CONFIG_HZ, from the kernel's jiffies and CLOCK_MONOTONIC: one reading
 * when uptime tells HZ apart, else the tick rate over 100 ms; 0 when
 * /proc/timer_list cannot be read (the walk's own clocks are tried then).
 * @j and @ns: the last reading. */
static unsigned int measure_hz(__u64 *j, __u64 *ns)
{
	__u64 j1, ns1;
	unsigned int hz;

	if (sysinfo__jiffies(&j1, &ns1))
		return 0;
	*j = j1;
	*ns = ns1;
	if ((hz = clocks__hz(j1, ns1)))
		return hz;
	while (sysinfo__now_ns() < ns1 + HZ_SAMPLE_NS)
		usleep(10000);
	if (sysinfo__jiffies(j, ns))
		return 0;
	return clocks__hz_rate(j1, ns1, *j, *ns);
}

int tracker__start(struct pl_tracker *t, const struct pl_tracker_config *cfg, bool trace,
		   struct pl_why *why)
{
	struct pl_report first;
	__u64 j = 0, ns = 0;
	unsigned int hz;
	int err;

	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	sysinfo__kernel(t->kernel, sizeof(t->kernel));
	err = start_agent(t, !trace, why);
	if (err)
		return err;
	hz = measure_hz(&j, &ns);
	learn_hz(t, hz, j, ns);
	t->cgroups = cgroups__new();
	t->runtimes = runtimes__new(cfg->host_root);
	t->symbols = symbols__new();
	if (!t->cgroups || !t->runtimes || !t->symbols)
		return -ENOMEM;
	t->started_ns = sysinfo__now_ns();
	t->walk_every_ns = WALK_EVERY_NS;
	/* With hooks, pinned maps may hold owners from an earlier run. */
	err = listing(t) ? 0 : walk__fds(t->agent.skel, &t->fd_rows);
	t->walked_ns = sysinfo__now_ns();
	if (!err && trace)
		err = tracker__report(t, &first);
	if (err)
		return why__set(why, err, "failed to walk existing sockets: %s", strerror(-err));
	if (trace)
		model__free(&first);
	return 0;
}

void tracker__retune(struct pl_tracker *t, const struct pl_tracker_config *cfg)
{
	t->cfg.leak_age_s = cfg->leak_age_s;
	t->cfg.idle_age_s = cfg->idle_age_s;
}

void tracker__walk_at_every_report(struct pl_tracker *t)
{
	t->walk_every_ns = 0;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

void tracker__catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool tracker__interrupted(void)
{
	return interrupted;
}

int tracker__trace(struct pl_tracker *t, double seconds)
{
	__u64 end = sysinfo__now_ns() + (__u64)(seconds * 1e9);
	int n = 0;

	while (n >= 0 && !interrupted && sysinfo__now_ns() < end)
		n = failures__poll(&t->agent.failures, TRACE_POLL_MS);
	if (n >= 0)
		n = failures__poll(&t->agent.failures, 0);
	return n < 0 ? n : 0;
}

void tracker__meta(const struct pl_tracker *t, struct pl_report_meta *m)
{
	const struct pl_hook_plan *plan = t->agent.plan;

	memset(m, 0, sizeof(*m));
	sysinfo__rfc3339(m->time, sizeof(m->time));
	snprintf(m->kernel, sizeof(m->kernel), "%s", t->kernel);
	m->hook_state = hooks__state_name(plan);
	m->hook_accept = hooks__accept_name(plan);
	m->hook_bind = hooks__bind_name(plan);
	m->netns_failed = t->netns_failed;
	m->bpf_stats_enabled = -1;
	sysinfo__sysctl("/proc/sys/kernel/bpf_stats_enabled", &m->bpf_stats_enabled);
	sysinfo__files(&m->files_open, &m->files_max);
	m->facts = (struct pl_host_facts){ .tw_reuse = -1, .somaxconn = -1 };
	sysinfo__sysctl("/proc/sys/net/ipv4/tcp_tw_reuse", &m->facts.tw_reuse);
	sysinfo__sysctl("/proc/sys/net/core/somaxconn", &m->facts.somaxconn);
	m->report_duration_s = (double)t->report_took_ns / 1e9;
	tracker__standing(t, &m->standing);
	if (!t->agent.skel)
		return;
	m->n_progs = agent__prog_stats(&t->agent, m->progs);
	m->ledger_size = agent__ledger_size(&t->agent);
	memcpy(m->failure_tally, t->agent.failures.tally, sizeof(m->failure_tally));
}

void tracker__standing(const struct pl_tracker *t, struct pl_report_standing *s)
{
	s->report_failures = t->report_failures;
	s->last_failure = t->last_failure;
	s->last_report_failed = t->last_failure != 0;
	s->report_age_s = t->reported_ns ? (double)(sysinfo__now_ns() - t->reported_ns) / 1e9 : -1;
}

void tracker__stop(struct pl_tracker *t)
{
	agent__stop(&t->agent);
	history__free(&t->history);
	free(t->nat);
	cgroups__free(t->cgroups);
	runtimes__free(t->runtimes);
	symbols__free(t->symbols);
	walk__free_fd_rows(&t->fd_rows);
	collect__free_marks(&t->gc_marks);
	t->cgroups = NULL;
	t->runtimes = NULL;
	t->symbols = NULL;
	t->nat = NULL;
	t->n_nat = 0;
}
