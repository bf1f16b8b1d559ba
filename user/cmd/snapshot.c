// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak snapshot: walk, trace for a while, report once.
 * portleak watch: report every interval, until interrupted. */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "views/report.h"

static void print(const struct pl_options *o, const struct pl_report *r)
{
	if (o->json)
		report__json(stdout, r);
	else
		report__text(stdout, r);
	fflush(stdout);
	if (r->meta.netns_failed)
		fprintf(stderr, "portleak: %zu network namespaces could not be entered: their sockets are missing\n",
			r->meta.netns_failed);
}

/* One interval: trace, then report. An exit status; with @again, a failed
 * report is said and the next interval tries again. */
static int step(const struct pl_options *o, struct pl_tracker *t, double seconds, bool again)
{
	struct pl_report r;
	int err = tracker__trace(t, seconds);

	if (err)
		return commands__fail(o, err, NULL, "trace");
	if ((err = tracker__report(t, &r)) && again) {
		commands__report_failed(o, err, seconds);
		return 0;
	}
	if (err)
		return commands__fail(o, err, NULL, "build the report");
	print(o, &r);
	model__free(&r);
	return 0;
}

static void announce(const struct pl_tracker *t, const char *what, double seconds)
{
	struct pl_report_meta m;

	tracker__meta(t, &m);
	fprintf(stderr, "portleak: tracing, %s %.1fs (hooks: state=%s accept=%s bind=%s)\n",
		what, seconds, m.hook_state, m.hook_accept, m.hook_bind);
}

int cmd_snapshot(const struct pl_options *o)
{
	struct pl_tracker t;
	int status;

	if (o->verify)
		return cmd_verify(o);
	tracker__catch_signals();
	if ((status = commands__start(&t, o, o->duration_s > 0)))
		return status;
	if (o->duration_s > 0)
		tracker__walk_at_every_report(&t);
	announce(&t, "report after", o->duration_s);
	status = step(o, &t, o->duration_s, false);
	tracker__stop(&t);
	return status;
}

int cmd_watch(const struct pl_options *o)
{
	struct pl_tracker t;
	unsigned long n;
	int status;

	tracker__catch_signals();
	if ((status = commands__start(&t, o, true)))
		return status;
	announce(&t, "one report every", o->interval_s);
	for (n = 0; !status && !tracker__interrupted() && (!o->count || n < o->count); n++)
		status = step(o, &t, o->interval_s, true);
	tracker__stop(&t);
	return status;
}
