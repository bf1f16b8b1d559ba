/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A tracing session, and the one way to the BPF side: it starts the agent,
 * keeps the history of earlier reports and the upkeep between them. Every
 * command (snapshot, watch, top, serve, verify, doctor) is a loop of
 * tracker__trace and tracker__report, or tracker__look. */
#ifndef PORTLEAK_TRACKER_H
#define PORTLEAK_TRACKER_H

#include "host/why.h"
#include "loader/agent.h"
#include "loader/collect.h"
#include "loader/maps.h"
#include "loader/walk_user.h"
#include "model/history.h"
#include "model/model.h"

struct pl_cgroups;
struct pl_runtimes;
struct pl_symbols;

/* What a session is asked to do, from the command line. */
struct pl_tracker_config {
	enum pl_hooks_mode hooks;
	__u32 ledger_size;   /* 0: the default */
	__u32 events_bytes;  /* ring buffer; 0: the default */
	const char *pin_dir; /* serve --pin: keep the counting maps there */
	bool verbose;        /* libbpf's own log on stderr */
	bool own_netns;      /* walk only portleak's network namespace */
	const char *host_root; /* where the container runtimes' files are; NULL: / */
	enum pl_stacks_mode stacks; /* whose leak origins are captured */
	double leak_age_s;
	double idle_age_s;
	__u64 stale_min;
	struct pl_filter filter;
};

struct pl_tracker {
	struct pl_tracker_config cfg;
	struct pl_agent agent;
	struct pl_history history;
	struct pl_cgroups *cgroups;
	struct pl_runtimes *runtimes;
	struct pl_symbols *symbols; /* names of the origins' frames */
	__u64 started_ns;
	__u64 walked_ns;     /* last fd walk (owners of sockets) */
	__u64 upkept_ns;     /* last upkeep (map collection, expiry) */
	struct pl_fd_rows fd_rows; /* of the last fd walk */
	struct pl_gc_marks gc_marks; /* what the last collection's walk lacked */
	/* The source-NAT entries of the conntrack tables, from the last fd
	 * walk's dump (a table may be large: not every report) */
	struct pl_nat_entry *nat;
	size_t n_nat;
	__u64 nat_left_out;
	size_t nat_cut;
	__u64 walk_every_ns; /* a report walks the fds when the last walk is older */
	size_t netns_failed; /* in the last walk */
	unsigned int hz;     /* of the kernel's clocks, from the first walk; 0 unknown */
	char kernel[PL_KERNEL_LEN];
	__u64 reported_ns;   /* when the last good report was built; 0: none yet */
	__u64 report_took_ns;
	__u64 report_failures;
	int last_failure;    /* of the newest failed report; 0: the newest worked */
};

/* Start the agent and walk existing sockets. With @trace, attach the hooks
 * and take a first report, kept in the history only; without, load only
 * what a report of the present needs. 0, or negative errno with @why
 * filled; on a load failure t->agent.failed still
 * lists the plans that were refused (doctor shows them), and
 * tracker__stop must be called all the same. */
int tracker__start(struct pl_tracker *t, const struct pl_tracker_config *cfg, bool trace,
		   struct pl_why *why);
/* Take the settings of @cfg that may change while the agent runs (serve's
 * SIGHUP): the ages that judge leaks and idle sockets. */
void tracker__retune(struct pl_tracker *t, const struct pl_tracker_config *cfg);
/* Walk the fds at every report, not every 10 s (snapshot -d N: its one
 * report sees who holds what at its end). */
void tracker__walk_at_every_report(struct pl_tracker *t);
/* Collect failure events for @seconds, or until SIGINT/SIGTERM once
 * tracker__catch_signals() was called. */
int tracker__trace(struct pl_tracker *t, double seconds);
void tracker__catch_signals(void);
bool tracker__interrupted(void);
/* Build a report, with the meta of the agent at its instant (out->meta).
 * A failure (negative errno) is counted, and the loops of top, watch and
 * serve keep their last report (tracker__standing says how it stands) and
 * try again at the next interval: nothing on the host ends them. */
int tracker__report(struct pl_tracker *t, struct pl_report *out);
/* The raw material of a report, without the model: walk the fds, read the
 * maps, walk the TCP sockets (@walk_flags: enum pl_walk_flags). Free both
 * with walk__free and maps__free, also on error. */
int tracker__look(struct pl_tracker *t, unsigned int walk_flags, struct pl_maps *m,
		  struct pl_tcp_walk *w);
/* The full sockets that process @pid, started at @start_ns (give or take
 * @slack_ns), holds now, after a fd walk: 0 with *held allocated (free()
 * it), -ENOENT when that process holds no socket portleak knows. */
int tracker__held(struct pl_tracker *t, __u32 pid, __u64 start_ns, __u64 slack_ns,
		  struct pl_owner *owner, struct pl_held **held, size_t *n);
/* The agent's meta now (what tracker__report puts in each report): the
 * hooks, the kernel, program statistics, tallies. */
void tracker__meta(const struct pl_tracker *t, struct pl_report_meta *m);
/* How the last good report stands now: failures since, its age. */
void tracker__standing(const struct pl_tracker *t, struct pl_report_standing *s);
void tracker__stop(struct pl_tracker *t);

#endif
