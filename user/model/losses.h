/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What portleak lost, summed once for every view: the BPF side's counters
 * (enum pl_counter), the events userspace read but could not keep, and the
 * BPF runs the kernel skipped. Adding a counter is one enum value in
 * bpf/ledger.h and one row in losses.c. Plain C. */
#ifndef PORTLEAK_LOSSES_H
#define PORTLEAK_LOSSES_H

#include <stddef.h>
#include <linux/types.h>

#include "ledger.h"

/* The kinds of loss: every enum pl_counter, then those userspace counts. */
#define PL_LOSS_MISSED_RUNS PL_NR_COUNTERS
#define PL_NR_LOSSES (PL_NR_COUNTERS + 1)

struct pl_loss_kind {
	const char *key;    /* JSON: "lost": {"<key>": n} */
	const char *label;  /* text: "lost: <label> n, ..." */
	const char *metric; /* Prometheus counter */
	const char *help;
};

/* Verdicts doubt what they see only while losses are recent: over this
 * window (the counters themselves stay cumulative, for Prometheus). */
#define PL_LOSS_WINDOW_S 300

struct pl_losses {
	__u64 n[PL_NR_LOSSES];
	__u64 total;
	__u64 recent; /* of total, lost in the last PL_LOSS_WINDOW_S */
};

const struct pl_loss_kind *losses__kind(unsigned int kind);
/* @dropped (events read but not kept) counts as lost events. */
void losses__sum(const __u64 counters[PL_NR_COUNTERS], __u64 dropped, __u64 missed_runs,
		 struct pl_losses *out);
#define PL_LOSSES_TEXT_LEN 160

/* "events 0, ledger full 3, ..." with @sep between the items. */
void losses__text(const struct pl_losses *l, const char *sep, char *buf, size_t len);

#endif
