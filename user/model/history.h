/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What each process and destination looked like at earlier reports, so the
 * model can speak of rates over 10 s, 1 min and 5 min. Plain C. */
#ifndef PORTLEAK_HISTORY_H
#define PORTLEAK_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "ledger.h"

#define PL_HISTORY_SPAN_S 300 /* the longest window: 5 min */
#define PL_HISTORY_SAMPLES 24 /* per series; older samples are thinned */

struct pl_sample {
	__u64 t_ns;
	__u64 opened, closed; /* cumulative, from the kernel's counters */
	__u64 failures;       /* bind + connect, cumulative */
	__u64 held;           /* sockets with an fd: ESTABLISHED, CLOSE_WAIT, SYN_SENT */
	__s64 fds;            /* fds open; -1: unknown */
	__u64 listen_drops;   /* SYNs its listeners dropped, as the kernel counts */
};

/* One series: a process (key = its pl_owner) or a destination (key = a
 * hash of netns, source and destination). */
struct pl_series {
	__u64 key[3];
	struct pl_sample s[PL_HISTORY_SAMPLES];
	size_t n;
	__u64 last_ns;
};

struct pl_history {
	struct pl_series *series;
	size_t n, cap;
	size_t sorted; /* series[0..sorted) are sorted; the rest are new */
};

/* Append @sample to the series @key (created if new). New series are kept
 * apart until history__commit() sorts them in, so that adding n series
 * costs O(n log n). */
int history__add(struct pl_history *h, const __u64 key[3], const struct pl_sample *sample);
void history__commit(struct pl_history *h);
/* The oldest sample of @key taken at least @min_s and at most @window_s
 * before @now_ns; NULL if there is none. */
const struct pl_sample *history__since(const struct pl_history *h, const __u64 key[3],
				       double window_s, double min_s, __u64 now_ns);
/* Forget series not updated for PL_HISTORY_SPAN_S. */
void history__expire(struct pl_history *h, __u64 now_ns);
void history__free(struct pl_history *h);

#endif
