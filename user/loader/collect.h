/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The collection of the maps (user/loader/collect.c): the upkeep that
 * deletes what the kernel no longer has. */
#ifndef PORTLEAK_COLLECT_H
#define PORTLEAK_COLLECT_H

#include "loader/maps.h"

/* The entries one collection found missing from its walk, kept for the
 * next: an entry goes only when two walks in a row lack its socket. The
 * TCP iterator resumes a hash bucket by position, so a bucket that
 * changes while it is read can hide one of its sockets from one walk
 * (seen: 1 TIME_WAIT owner of 1,500 lost beside a pool renewing its
 * connections, every loss counter at 0). Owned by the caller of
 * collect__maps; collect__free_marks frees it. */
struct pl_sock_mark {
	__u64 sk;
	__u64 created_ns;
};
struct pl_timewait_mark {
	struct pl_tuple key;
	__u64 closed_ns;
};
struct pl_gc_marks {
	struct pl_sock_mark *socks;
	size_t n_socks;
	struct pl_timewait_mark *timewait;
	size_t n_timewait;
};

/* Delete what no longer exists, as shown by @live (a walk taken after @m was
 * read) and by the walk of the collection before (@marks, updated):
 * ledger entries of vanished sockets and closed entries no socket took,
 * TIME_WAIT owners of expired timewait sockets, counters, failure counts,
 * origins and armed entries of exited processes nothing refers to, stacks
 * nothing refers to. */
struct pl_tcp_walk;
void collect__maps(struct portleak_bpf *skel, const struct pl_maps *m,
		   const struct pl_tcp_walk *live, struct pl_gc_marks *marks, __u64 now_ns);
void collect__free_marks(struct pl_gc_marks *marks);

#endif
