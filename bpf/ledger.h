/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Socket ledger, per-owner counters and TIME_WAIT owners: the types shared
 * by the BPF programs and userspace. Only __u types here, never vmlinux.h. */
#ifndef PORTLEAK_LEDGER_H
#define PORTLEAK_LEDGER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PL_COMM_LEN 16
#define PL_ADDR_LEN 16 /* IPv4 uses the first 4 bytes */

/* TCP states as the kernel numbers them (include/net/tcp_states.h). */
enum pl_tcp_state {
	PL_TCP_ESTABLISHED = 1,
	PL_TCP_SYN_SENT,
	PL_TCP_SYN_RECV,
	PL_TCP_FIN_WAIT1,
	PL_TCP_FIN_WAIT2,
	PL_TCP_TIME_WAIT,
	PL_TCP_CLOSE,
	PL_TCP_CLOSE_WAIT,
	PL_TCP_LAST_ACK,
	PL_TCP_LISTEN,
	PL_TCP_CLOSING,
	PL_TCP_NEW_SYN_RECV,
	PL_TCP_NR_STATES,
};

#define PL_AF_INET 2
#define PL_AF_INET6 10
#define PL_SOCK_STREAM 1

/* How a ledger entry got its owner. */
enum pl_origin {
	PL_ORIGIN_CONNECT = 1, /* CLOSE->SYN_SENT inside connect() */
	PL_ORIGIN_LISTEN,      /* CLOSE->LISTEN inside listen() */
	PL_ORIGIN_ACCEPT,      /* returned by accept()/accept4() */
	PL_ORIGIN_WALK,        /* found in an fd table by the start-up walk */
};

/* The fd walk with hooks runs in two passes (bpf/walk.bpf.c, user/loader/walk.c). */
enum pl_walk_pass {
	PL_WALK_MARK = 1, /* record unknown sockets; mark the ones whose owner holds them */
	PL_WALK_ADOPT,    /* charge sockets their owner no longer holds to a holder */
};

/* Ledger entry flags. */
#define PL_FLAG_ESTABLISHED 0x1 /* reached ESTABLISHED: counts as opened */
#define PL_FLAG_QUEUED 0x2      /* a listener's child, charged to the listener's
				 * owner; no accept seen (it may still be queued) */

/* A process: tgid plus its start time, so a reused pid is a new process. */
struct pl_owner {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns; /* task->group_leader->start_time, CLOCK_MONOTONIC */
};

struct pl_tuple {
	__u32 netns; /* inode number of the network namespace */
	__u8 family;
	__u8 pad;
	__u16 sport; /* host byte order */
	__u16 dport; /* host byte order */
	__u16 pad2;
	__u8 saddr[PL_ADDR_LEN];
	__u8 daddr[PL_ADDR_LEN];
};

/* Value of the ledger map, keyed by the kernel's struct sock address. */
struct pl_socket {
	struct pl_owner owner;
	__u64 cgroup_id;
	__u64 created_ns;
	__u64 changed_ns; /* last state transition */
	/* As when the entry was written: a connect()'s has no local port yet.
	 * Reports take live sockets' tuples from iter/tcp; its netns tells
	 * which network namespace the socket is in. */
	struct pl_tuple tuple;
	__u8 state;
	__u8 origin;
	__u8 flags;
	/* 1: the socket reached CLOSE, and the entry waits for the next socket
	 * the kernel puts at its address (pl_ledger_put, common.bpf.h). A byte
	 * of its own, not a flag: accept and the fd walk change flags by
	 * read-modify-write, which could undo a close that lands meanwhile. */
	__u8 closed;
	__u32 seen_walk; /* last fd walk that found it in its owner's fd table */
	char comm[PL_COMM_LEN];
	__u64 stack; /* stacks.h: the stack that opened it; 0: not captured */
};

/* Key of the listeners map: a listening port. */
struct pl_port_key {
	__u32 netns;
	__u16 port; /* host byte order */
	__u16 pad;
};

/* Value of the listeners map: who listens there, for the listener's
 * children, which are born in softirq. */
struct pl_listener {
	struct pl_owner owner;
	__u64 cgroup_id;
	__u64 sk; /* the listening socket */
	char comm[PL_COMM_LEN];
};

/* The one value of the clock map: socket times (created_ns, changed_ns,
 * closed_ns) are CLOCK_MONOTONIC read off jiffies_64, as
 * base_ns + jiffies_64 * tick_ns, once userspace knows the tick
 * (clocks__of_jiffies): a load the JIT inlines instead of a clock read at
 * every transition, less than four ticks behind the monotonic clock
 * (4 ms to 40 ms), never ahead. While tick_ns is 0, bpf_ktime_get_ns(). */
struct pl_clock {
	__u64 base_ns; /* modulo 2^64: jiffies_64 starts 300 s before 2^32 */
	__u64 tick_ns;
};

/* Value of the owners map, keyed by struct pl_owner. */
struct pl_owner_stats {
	char comm[PL_COMM_LEN];
	__u64 cgroup_id;
	__u64 opened;           /* connections established by connect or accept */
	__u64 closed;           /* of those, the ones that reached CLOSE */
	__u64 connect_failures; /* connect() found no free local port */
	__u64 bind_failures;    /* bind()/listen() could not get its port */
};

/* Value of the tallies map: the state hook's counts for one process, on
 * one CPU, not yet added to its owners entry (maps.bpf.h). */
struct pl_tally {
	struct pl_owner owner; /* tgid 0: the slot is free */
	__u64 opened;
	__u64 closed;
	/* Twice the times its counts moved to their owners entry, odd while
	 * one moves (pl_tally_of): a sequence count for maps__read. Last, so
	 * that a read sees the counts before it. */
	__u64 moves;
};

/* Value of the timewait map, keyed by struct pl_tuple: who held the socket
 * that left a TIME_WAIT (or orphaned FIN_WAIT2) timewait socket behind. */
struct pl_timewait {
	struct pl_owner owner;
	__u64 cgroup_id;
	__u64 closed_ns;
	char comm[PL_COMM_LEN];
	__u8 origin; /* of the socket: did it take an ephemeral port? */
	__u8 pad[7];
	__u64 stack; /* of the socket (stacks.h); 0: not captured */
};

/* Indexes of the per-CPU counters array: what did not fit or was lost. */
enum pl_counter {
	PL_CNT_EVENTS_LOST,   /* ring buffer full */
	PL_CNT_LEDGER_FULL,   /* ledger map full: socket not tracked */
	PL_CNT_OWNERS_FULL,   /* owners map full: counters not kept */
	PL_CNT_TIMEWAIT_FULL, /* timewait map full: TIME_WAIT owner unknown */
	PL_CNT_PENDING_FULL,  /* bind_args or call_args map full: failure not seen */
	PL_CNT_FAILS_FULL,    /* fails or dest_fails map full: failure not counted */
	PL_CNT_STACKS_FULL,   /* stacks or origins map full: origin not kept */
	PL_NR_COUNTERS,
};

/* Default map sizes; userspace may change them before load. */
#define PL_LEDGER_DEFAULT 131072
#define PL_LEDGER_MAX (1u << 24) /* what the ledger grows to for a big host (agent.c) */
#define PL_OWNERS_DEFAULT 16384
#define PL_TALLY_SLOTS 64 /* per CPU; a process counts in slot tgid % 64 */
#define PL_LISTENERS_DEFAULT 4096
#define PL_TIMEWAIT_DEFAULT 65536
#define PL_PENDING_DEFAULT 4096
#define PL_FAILS_DEFAULT 8192      /* (process, call, errno, peer) */
#define PL_DEST_FAILS_DEFAULT 4096 /* (peer, errno) */
#define PL_DONE_DEFAULT 1024       /* connects whose failure the state hook counted */
#define PL_EVENTS_DEFAULT (256 * 1024) /* ring buffer bytes */

/* What the maps above hold, for maps kept in bpffs (serve --pin): bump it
 * whenever a struct or enum here changes meaning, even at the same size.
 * user/loader/pin.c refuses pinned maps stamped with another layout.
 * 4: hash maps allocate on insert where the kernel can (other map flags);
 *    a listener's children are in the ledger before accept (PL_FLAG_QUEUED).
 * 5: a closed socket's entry stays, marked closed, until the next socket at
 *    its address takes it or userspace deletes it.
 * 6: a tally counts the moves of its counts to the owners map. */
#define PL_LAYOUT_VERSION 6

#endif
