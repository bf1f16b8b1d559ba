/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The kernel's own view of TCP sockets through /proc, independent of BPF:
 * per-state counts from /proc/self/net/tcp and tcp6 (what netstat reads;
 * ss gets the same list over netlink) and the socket inodes in every
 * /proc/PID/fd. snapshot --verify checks portleak against them. */
#ifndef PORTLEAK_PROCNET_H
#define PORTLEAK_PROCNET_H

#include <stddef.h>
#include <linux/types.h>

#include "ledger.h"

/* A process holding socket:[ino] in its fd table. */
struct pl_holder {
	__u64 ino;
	__u32 pid;
};

/* Count the TCP sockets of the calling thread's network namespace by
 * state, TIME_WAIT and request sockets included. 0 or negative errno. */
int procnet__count_states(__u64 counts[PL_TCP_NR_STATES]);
/* TCP sockets allocated in the calling thread's network namespace, from
 * /proc/net/sockstat ("TCP: ... alloc N"); 0 when unknown. */
__u64 procnet__tcp_allocated(void);
/* Every (socket inode, pid) of every process, sorted by inode. Processes
 * that exit meanwhile are skipped. 0 or negative errno. */
int procnet__holders(struct pl_holder **out, size_t *n);
/* The holders of @ino in a sorted array: a pointer to the first, and how
 * many in @n (0: none). */
const struct pl_holder *procnet__find(const struct pl_holder *h, size_t n_h,
				      __u64 ino, size_t *n);

#endif
