// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "loader/maps.h"
#include "portleak.skel.h"
#include "host/sysinfo.h"
#include "loader/tracker.h"
#include "loader/walk_user.h"

#define TRACE_POLL_MS 100
#define FAILURES_KEPT_NS (PL_HISTORY_SPAN_S * 1000000000ull)
/* Sockets change hands (fork, fd passing) without a hook seeing it; the fd
 * walk finds the new holder. It costs a pass over every fd of the host. */
#define WALK_EVERY_NS (10 * 1000000000ull)

static struct pl_model_input model_input(const struct pl_tracker *t,
					 const struct pl_tcp_walk *w,
					 const struct pl_maps *m, __u64 now_ns)
{
	const struct pl_failures *f = &t->agent.failures;
	struct pl_model_input in = {
		.tcp = w->recs, .n_tcp = w->n,
		.netns = w->netns, .n_netns = w->n_netns,
		.ledger = m->ledger, .n_ledger = m->n_ledger,
		.timewait = m->timewait, .n_timewait = m->n_timewait,
		.owners = m->owners, .n_owners = m->n_owners,
		.failures = f->items, .n_failures = f->n,
		.failures_dropped = f->dropped,
		.missed_runs = agent__missed_runs(&t->agent),
		.now_ns = now_ns,
		.trace_s = (double)(now_ns - t->started_ns) / 1e9,
		.leak_age_s = t->opts->leak_age_s,
		.filter = t->opts->filter,
		.cgroup_path = cgroups__path,
		.cgroup_ctx = t->cgroups,
		.history = &t->history,
	};

	memcpy(in.lost, m->counters, sizeof(in.lost));
	sysinfo__port_range(&in.port_low, &in.port_high);
	return in;
}

int tracker__report(struct pl_tracker *t, struct pl_report *out)
{
	struct pl_tcp_walk w;
	struct pl_maps m;
	__u64 now;
	int err;

	if (sysinfo__now_ns() - t->walked_ns >= t->walk_every_ns) {
		err = walk__fds(t->agent.skel);
		if (err)
			return err;
		t->walked_ns = sysinfo__now_ns();
	}
	/* Maps first: a socket the walk lists has its ledger entry already. */
	err = maps__read(t->agent.skel, &m);
	if (err)
		return err;
	err = walk__tcp(t->agent.skel, t->opts->own_netns ? 0 : PL_WALK_ALL_NETNS, &w);
	if (!err) {
		now = sysinfo__now_ns();
		struct pl_model_input in = model_input(t, &w, &m, now);

		sysinfo__rfc3339(t->time, sizeof(t->time));
		t->netns_failed = w.netns_failed;
		err = model__build(&in, out);
		if (!err && (err = model__remember(out, &t->history, now)))
			model__free(out);
		if (!err)
			maps__gc(t->agent.skel, &m, &w, now);
		if (now > FAILURES_KEPT_NS)
			failures__expire(&t->agent.failures, now - FAILURES_KEPT_NS);
	}
	walk__free(&w);
	maps__free(&m);
	return err;
}

int tracker__start(struct pl_tracker *t, const struct pl_options *o, bool trace)
{
	struct pl_report first;
	int status, err;

	memset(t, 0, sizeof(*t));
	t->opts = o;
	sysinfo__kernel(t->kernel, sizeof(t->kernel));
	status = commands__start_agent(o, !trace, &t->agent);
	if (status)
		return status;
	t->cgroups = cgroups__new();
	t->started_ns = sysinfo__now_ns();
	t->walk_every_ns = WALK_EVERY_NS;
	err = walk__fds(t->agent.skel);
	t->walked_ns = sysinfo__now_ns();
	if (!err && trace)
		err = tracker__report(t, &first);
	if (err) {
		fprintf(stderr, "portleak: failed to walk existing sockets: %s\n", strerror(-err));
		tracker__stop(t);
		return PL_EXIT_RUNTIME;
	}
	if (trace)
		model__free(&first);
	return 0;
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

struct pl_report_meta tracker__meta(const struct pl_tracker *t)
{
	const struct pl_hook_plan *plan = t->agent.plan;

	return (struct pl_report_meta){
		.time = t->time,
		.kernel = t->kernel,
		.hook_state = hooks__state_name(plan),
		.hook_accept = hooks__accept_name(plan),
		.hook_bind = hooks__bind_name(plan),
	};
}

void tracker__stop(struct pl_tracker *t)
{
	agent__stop(&t->agent);
	history__free(&t->history);
	cgroups__free(t->cgroups);
	t->cgroups = NULL;
}
