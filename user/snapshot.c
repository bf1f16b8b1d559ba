// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak snapshot: walk, trace for a while, walk again, report. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "maps.h"
#include "portleak.skel.h"
#include "report.h"
#include "sysinfo.h"
#include "walk_user.h"

#define POLL_MS 100

static volatile sig_atomic_t stop_early;

static void on_signal(int sig)
{
	(void)sig;
	stop_early = 1;
}

/* Wait @seconds (less after SIGINT/SIGTERM), collecting failure events. */
static int trace(struct pl_agent *a, double seconds)
{
	__u64 end = sysinfo__now_ns() + (__u64)(seconds * 1e9);
	struct sigaction sa = { .sa_handler = on_signal };
	int err = 0;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (err >= 0 && !stop_early && sysinfo__now_ns() < end)
		err = failures__poll(&a->failures, POLL_MS);
	if (err >= 0)
		err = failures__poll(&a->failures, 0);
	return err < 0 ? err : 0;
}

static void print_report(const struct pl_options *o, const struct pl_agent *a,
			 const struct pl_report *r)
{
	char when[32], kernel[128];
	struct pl_report_meta meta = {
		.time = when,
		.kernel = kernel,
		.hook_state = hooks__state_name(a->plan->state),
		.hook_accept = hooks__fn_name(a->plan->accept),
		.hook_bind = hooks__fn_name(a->plan->bind),
	};

	sysinfo__rfc3339(when, sizeof(when));
	sysinfo__kernel(kernel, sizeof(kernel));
	if (o->json)
		report__json(stdout, r, &meta);
	else
		report__text(stdout, r, &meta);
}

static int report(const struct pl_options *o, struct pl_agent *a,
		  const struct pl_tcp_walk *before, double traced_s)
{
	struct pl_cgroups *cgroups = cgroups__new();
	struct pl_tcp_walk after;
	struct pl_report r;
	struct pl_maps m;
	int err;

	err = walk__tcp(a->skel, &after);
	if (!err)
		err = maps__read(a->skel, &m);
	if (err) {
		walk__free(&after);
		cgroups__free(cgroups);
		return err;
	}
	struct pl_model_input in = {
		.tcp = after.recs, .n_tcp = after.n,
		.tcp_before = before->recs, .n_tcp_before = before->n,
		.netns = after.netns, .n_netns = after.n_netns,
		.ledger = m.ledger, .n_ledger = m.n_ledger,
		.timewait = m.timewait, .n_timewait = m.n_timewait,
		.owners = m.owners, .n_owners = m.n_owners,
		.failures = a->failures.items, .n_failures = a->failures.n,
		.failures_dropped = a->failures.dropped,
		.now_ns = sysinfo__now_ns(),
		.trace_s = traced_s,
		.leak_age_s = o->leak_age_s,
		.filter = o->filter,
		.cgroup_path = cgroups__path,
		.cgroup_ctx = cgroups,
	};
	memcpy(in.lost, m.counters, sizeof(in.lost));
	sysinfo__port_range(&in.port_low, &in.port_high);
	err = model__build(&in, &r);
	if (!err) {
		print_report(o, a, &r);
		model__free(&r);
	}
	if (after.netns_failed)
		fprintf(stderr, "portleak: %zu network namespaces could not be entered: their sockets are missing\n",
			after.netns_failed);
	maps__free(&m);
	walk__free(&after);
	cgroups__free(cgroups);
	return err;
}

int cmd_snapshot(const struct pl_options *o)
{
	struct pl_tcp_walk before = { 0 };
	struct pl_agent a;
	__u64 start;
	int err;

	if (commands__start_agent(o, &a))
		return PL_EXIT_RUNTIME;
	err = walk__fds(a.skel);
	if (!err)
		err = walk__tcp(a.skel, &before);
	if (err) {
		fprintf(stderr, "portleak: failed to walk existing sockets: %s\n", strerror(-err));
		goto out;
	}
	fprintf(stderr, "portleak: tracing for %.1fs (hooks: state=%s accept=%s bind=%s)\n",
		o->duration_s, hooks__state_name(a.plan->state),
		hooks__fn_name(a.plan->accept), hooks__fn_name(a.plan->bind));
	start = sysinfo__now_ns();
	err = trace(&a, o->duration_s);
	if (!err)
		err = report(o, &a, &before, (sysinfo__now_ns() - start) / 1e9);
	if (err)
		fprintf(stderr, "portleak: failed to build the report: %s\n", strerror(-err));
out:
	walk__free(&before);
	agent__stop(&a);
	return err ? PL_EXIT_RUNTIME : 0;
}
