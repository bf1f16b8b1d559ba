/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Leak origins: the user stack of the call that opened a socket (connect,
 * listen, accept), kept by the content's hash, the hash kept with the
 * socket, and how many sockets each (process, stack) opened. Shared by the
 * BPF programs and userspace. */
#ifndef PORTLEAK_STACKS_H
#define PORTLEAK_STACKS_H

#include "ledger.h"

#define PL_STACK_DEPTH 32 /* user frames kept per stack */

/* When stacks are captured (the rodata pl_stacks_mode). */
enum pl_stacks_mode {
	PL_STACKS_OFF,   /* --no-stacks */
	PL_STACKS_ARMED, /* only for the processes userspace put in the armed map */
	PL_STACKS_ALL,   /* --stacks */
};

/* Value of the stacks map, keyed by its own hash (never 0). ips[0] is the
 * instruction in the system call stub; the frame-pointer chain gives the
 * rest. A stub that builds no frame hides its caller from that chain, so
 * @caller is the return address found at the user stack pointer: the
 * function that called connect() (0 when none was found). */
struct pl_stack {
	__u64 caller;
	__u32 nr; /* frames in ips */
	__u32 pad;
	__u64 ips[PL_STACK_DEPTH];
};

/* Key of the origins map (value: a __u64 count of sockets opened). */
struct pl_origin_key {
	struct pl_owner owner;
	__u64 stack; /* key of the stacks map */
};

#define PL_STACKS_DEFAULT 4096   /* distinct stacks */
#define PL_ORIGINS_DEFAULT 8192  /* (process, stack) */
#define PL_ARMED_WORDS (4194304 / 64) /* one bit per pid up to PID_MAX_LIMIT */

#endif
