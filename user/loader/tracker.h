/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A tracing session: the agent, the history of earlier reports and the
 * upkeep between them. Every view (snapshot, watch, top) is a loop of
 * tracker__poll and tracker__report. */
#ifndef PORTLEAK_TRACKER_H
#define PORTLEAK_TRACKER_H

#include "loader/agent.h"
#include "model/history.h"
#include "cmd/options.h"
#include "views/report.h"

struct pl_cgroups;

struct pl_tracker {
	struct pl_agent agent;
	struct pl_history history;
	struct pl_cgroups *cgroups;
	const struct pl_options *opts;
	__u64 started_ns;
	__u64 walked_ns;     /* last fd walk (owners of sockets) */
	__u64 walk_every_ns; /* a report walks the fds when the last walk is older */
	size_t netns_failed; /* in the last walk */
	char kernel[128];
	char time[32];       /* of the last report */
};

/* Start the agent and walk existing sockets. With @trace, attach the hooks
 * and take a first report, kept in the history only; without, load only
 * what a report of the present needs. 0, or an exit status after a
 * message. */
int tracker__start(struct pl_tracker *t, const struct pl_options *o, bool trace);
/* Collect failure events for @seconds, or until SIGINT/SIGTERM once
 * tracker__catch_signals() was called. */
int tracker__trace(struct pl_tracker *t, double seconds);
void tracker__catch_signals(void);
bool tracker__interrupted(void);
int tracker__report(struct pl_tracker *t, struct pl_report *out);
struct pl_report_meta tracker__meta(const struct pl_tracker *t);
void tracker__stop(struct pl_tracker *t);

#endif
