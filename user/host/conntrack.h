/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The connection-tracking table (netfilter) of the calling thread's
 * network namespace: how full it is and what the kernel dropped for it. */
#ifndef PORTLEAK_CONNTRACK_H
#define PORTLEAK_CONNTRACK_H

#include <stddef.h>
#include <linux/types.h>

/* What the kernel counted for the table since the namespace began, summed
 * over every CPU (/proc/net/stat/nf_conntrack). */
struct pl_conntrack_counters {
	__u64 drop;          /* new connections dropped: the table was full */
	__u64 early_drop;    /* entries evicted to make room */
	__u64 insert_failed; /* entries that could not be inserted (a race, or full) */
};

/* The table's entries now and the most it may hold: 0, or -ENOENT when
 * the namespace has no table (conntrack not loaded). @max is 0 where the
 * namespace cannot read nf_conntrack_max. */
int conntrack__size(__u64 *count, __u64 *max);
/* The counters of the calling thread's namespace: 0 or negative errno. */
int conntrack__counters(struct pl_conntrack_counters *c);
/* The counters from the text of /proc/net/stat/nf_conntrack (@len bytes):
 * a header of column names, then one row of hex numbers per CPU. 0, or
 * -EINVAL when the text is not that. */
int conntrack__parse_counters(const char *text, size_t len, struct pl_conntrack_counters *c);

#endif
