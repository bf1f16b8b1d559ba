/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Port-allocation failures: the one kind of event sent to userspace through
 * the ring buffer. They are rare by nature (a host that fails thousands of
 * connect()s a second has a bigger problem), and each carries details that
 * counters cannot: the destination or the port asked for. */
#ifndef PORTLEAK_FAILURES_H
#define PORTLEAK_FAILURES_H

#include "ledger.h"

enum pl_failure_kind {
	PL_FAIL_CONNECT = 1, /* connect(): no free local port (EADDRNOTAVAIL) */
	PL_FAIL_BIND,        /* bind() or listen() autobind */
};

struct pl_failure {
	struct pl_owner owner;
	__u64 cgroup_id;
	__u64 ts_ns;
	struct pl_tuple tuple; /* connect: destination; bind: sport = port asked */
	__u32 kind;
	__s32 err; /* positive errno */
	char comm[PL_COMM_LEN];
};

#endif
