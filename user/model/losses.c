// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>

#include "model/losses.h"

static const struct pl_loss_kind kinds[] = {
	[PL_CNT_EVENTS_LOST] = { "events", "events", "portleak_lost_events_total",
				 "Failure events the ring buffer dropped or portleak could not keep." },
	[PL_CNT_LEDGER_FULL] = { "ledger_full", "ledger full", "portleak_ledger_full_total",
				 "Sockets not tracked: the ledger was full." },
	[PL_CNT_OWNERS_FULL] = { "owners_full", "owners full", "portleak_owners_full_total",
				 "Processes whose counters did not fit." },
	[PL_CNT_TIMEWAIT_FULL] = { "timewait_full", "timewait full", "portleak_timewait_full_total",
				   "TIME_WAIT owners that did not fit." },
	[PL_CNT_PENDING_FULL] = { "pending_full", "pending full", "portleak_pending_full_total",
				  "bind(), connect() or accept() calls not followed: the map of calls in flight was full." },
	[PL_CNT_FAILS_FULL] = { "failures_full", "failures full", "portleak_failures_full_total",
				"Failed connect() or accept() calls not counted: the failure maps were full." },
	[PL_CNT_STACKS_FULL] = { "stacks_full", "stacks full", "portleak_stacks_full_total",
				 "Socket origins (code paths) not kept: the stacks or origins map was full." },
	[PL_LOSS_MISSED_RUNS] = { "missed_runs", "missed runs", "portleak_bpf_missed_runs_total",
				  "Runs of portleak's BPF programs the kernel skipped (another BPF program was running on that CPU): their transitions are lost." },
};

_Static_assert(sizeof(kinds) / sizeof(kinds[0]) == PL_NR_LOSSES,
	       "one row per kind of loss");

const struct pl_loss_kind *losses__kind(unsigned int kind)
{
	return kind < PL_NR_LOSSES ? &kinds[kind] : NULL;
}

void losses__sum(const __u64 counters[PL_NR_COUNTERS], __u64 dropped, __u64 missed_runs,
		 struct pl_losses *out)
{
	unsigned int i;

	out->total = 0;
	for (i = 0; i < PL_NR_COUNTERS; i++)
		out->n[i] = counters[i];
	out->n[PL_CNT_EVENTS_LOST] += dropped;
	out->n[PL_LOSS_MISSED_RUNS] = missed_runs;
	for (i = 0; i < PL_NR_LOSSES; i++)
		out->total += out->n[i];
}

void losses__text(const struct pl_losses *l, const char *sep, char *buf, size_t len)
{
	size_t o = 0;
	unsigned int i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < PL_NR_LOSSES && o < len; i++) {
		n = snprintf(buf + o, len - o, "%s%s %llu", i ? sep : "", kinds[i].label,
			     (unsigned long long)l->n[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}
