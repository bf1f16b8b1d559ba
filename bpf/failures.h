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

/* Every failed connect() and accept(), counted in the kernel (no event):
 * per process, call, errno and peer, and per peer and errno. */
enum pl_call {
	PL_CALL_CONNECT = 1,
	PL_CALL_ACCEPT,
};

/* Who ended a failed call: the kernel (the call returned the errno, or a
 * connect's socket closed with it), or the application, which closed a
 * connecting socket before the kernel gave up (its own timeout; counted
 * as ETIMEDOUT). */
enum pl_fail_by {
	PL_BY_KERNEL,
	PL_BY_APPLICATION,
};

/* Key of the fails map. peer: netns, family, dport and daddr of the
 * destination (connect); all zero for accept. */
struct pl_fail_key {
	struct pl_owner owner;
	struct pl_tuple peer;
	__u32 call; /* enum pl_call */
	__s32 err;  /* positive errno */
	__u32 by;   /* enum pl_fail_by */
};

/* A connect that never completed: the SYNs it sent, how long it waited. */
struct pl_connect_try {
	__u64 syns;
	__u64 waited_ns;
};

struct pl_fail_count {
	__u64 count;
	__u64 last_ns;
	__u64 cgroup_id;
	/* sums over the connects whose socket the state hook saw end in
	 * SYN_SENT (attempts of them), for averages */
	struct pl_connect_try sum;
	__u64 attempts;
	/* the user stack of the latest failing call seen in its caller's
	 * context (key of the stacks map; 0: none captured) */
	__u64 stack;
	char comm[PL_COMM_LEN];
};

/* Key of the dest_fails map (value: a __u64 count). */
struct pl_dest_fail_key {
	struct pl_tuple peer;
	__s32 err;
};

#endif
