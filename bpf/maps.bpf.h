/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every map of portleak, defined once. maps.bpf.c defines them; the other
 * BPF files see them as extern and the BPF linker joins them. Sizes are the
 * defaults of ledger.h; userspace resizes them before load. */
#ifndef PORTLEAK_MAPS_BPF_H
#define PORTLEAK_MAPS_BPF_H

#include "failures.h"
#include "ledger.h"
#include "stacks.h"

#ifndef PL_MAP
#define PL_MAP extern
#endif

/* Socket ledger: struct sock address -> owner, tuple, state, times.
 * Inserted by ledger.bpf.c (connect and listen, in process context; a
 * listener's child when established, charged to the listener's owner),
 * accept.bpf.c (accept) and walk.bpf.c (the fd walk).
 * Rewritten by walk.bpf.c when the fd walk finds that the owner no longer
 * holds the socket (the ADOPT pass: it goes to a process that does).
 * Marked closed by ledger.bpf.c on the transition to CLOSE, and taken over
 * in place by the next socket the kernel creates at that address
 * (pl_ledger_put in common.bpf.h). Deleted by userspace: closed entries no
 * socket took within a grace, and entries whose socket no longer exists
 * (collect__maps in user/loader/collect.c). */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_LEDGER_DEFAULT);
	__type(key, __u64);
	__type(value, struct pl_socket);
} ledger SEC(".maps");

/* Listening ports: (netns, port) -> the listener's owner, which a new
 * child of the listener is charged to until an accept or the fd walk says
 * otherwise (SO_REUSEPORT groups of several processes, pre-fork servers).
 * Inserted by ledger.bpf.c (listen) and walk.bpf.c (listeners found by the
 * walk). Deleted by ledger.bpf.c when that listener closes. */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_LISTENERS_DEFAULT);
	__type(key, struct pl_port_key);
	__type(value, struct pl_listener);
} listeners SEC(".maps");

/* Per-process counters: struct pl_owner -> opened, closed, failures.
 * Inserted by any BPF program that counts for a process (common.bpf.h).
 * Deleted by userspace once the process has exited and nothing refers to it
 * (collect__maps in user/loader/collect.c). */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_OWNERS_DEFAULT);
	__type(key, struct pl_owner);
	__type(value, struct pl_owner_stats);
} owners SEC(".maps");

/* The state hook's opened and closed counts, per CPU, on their way to the
 * owners map: a write-back cache of slot tgid % PL_TALLY_SLOTS -> struct
 * pl_tally. Counting there is an array access the verifier inlines, where
 * the owners map is a hash lookup and, shared by the CPUs that count for
 * one process, an atomic add whose cache line moves between them.
 * Written by ledger.bpf.c only: the state hook never runs nested in itself
 * on one CPU, so a slot has one writer. A process takes a slot when it
 * first counts there, after its owners entry exists; the counts of the
 * process it takes the slot from are moved to that one's owners entry
 * then (pl_tally_of in common.bpf.h). Read by userspace, which adds the
 * counts to the owners entries (maps__read); never deleted. */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PL_TALLY_SLOTS);
	__type(key, __u32);
	__type(value, struct pl_tally);
} tallies SEC(".maps");

/* TIME_WAIT owners: (netns, 4-tuple) -> the last owner of the socket.
 * Inserted by ledger.bpf.c when a FIN_WAIT2 or CLOSING socket closes.
 * Deleted by userspace when no timewait socket has that tuple any more
 * (collect__maps in user/loader/collect.c). */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_TIMEWAIT_DEFAULT);
	__type(key, struct pl_tuple);
	__type(value, struct pl_timewait);
} timewait SEC(".maps");

/* inet_csk_get_port() arguments between kprobe and kretprobe, keyed by
 * pid_tgid. Inserted by bind.bpf.c at the kprobe; deleted by bind.bpf.c
 * at the kretprobe. */
struct pl_bind_args {
	__u64 sk;
	__u16 port; /* host byte order; 0 = any */
	__u16 pad[3];
};

PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_PENDING_DEFAULT);
	__type(key, __u64);
	__type(value, struct pl_bind_args);
} bind_args SEC(".maps");

/* connect() and accept() arguments between kprobe and kretprobe, keyed by
 * pid_tgid (a thread is in one call at a time). Inserted by fails.bpf.c
 * at the kprobe; deleted by fails.bpf.c at the kretprobe. (The syscall
 * exits read the arguments from the saved user registers.) */
struct pl_call_args {
	__u64 addr; /* connect: the sockaddr in user memory */
	__s32 fd;
	__u32 pad;
};

PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_PENDING_DEFAULT);
	__type(key, __u64);
	__type(value, struct pl_call_args);
} call_args SEC(".maps");

/* Failed connect() and accept() calls: struct pl_fail_key -> count.
 * Inserted and incremented by fails.bpf.c (at the syscall's exit) and
 * ledger.bpf.c (a SYN_SENT socket that closes with an error). Deleted by
 * userspace once the process has exited (collect__maps in user/loader/collect.c). */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_FAILS_DEFAULT);
	__type(key, struct pl_fail_key);
	__type(value, struct pl_fail_count);
} fails SEC(".maps");

/* The same per destination: struct pl_dest_fail_key -> count. Inserted
 * and incremented with fails; never deleted (a destination's counters
 * must not go down); full is counted as fails_full. */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_DEST_FAILS_DEFAULT);
	__type(key, struct pl_dest_fail_key);
	__type(value, __u64);
} dest_fails SEC(".maps");

/* Sockets whose failed connect the state hook counted already, so that
 * connect()'s exit, which returns the same error, does not count it again:
 * struct sock address -> the inode of its struct socket (a later socket at
 * the same address has another). Inserted by ledger.bpf.c; deleted by
 * fails.bpf.c at the exit that finds it; the oldest go first when full (a
 * non-blocking connect nobody asks about again). */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PL_DONE_DEFAULT);
	__type(key, __u64);
	__type(value, __u64);
} connect_done SEC(".maps");

/* User stacks that opened sockets or failed to: their hash -> struct
 * pl_stack. Inserted by origins.bpf.h when a socket's origin is captured
 * (connect, listen, accept) or a connect fails in its caller's context.
 * Deleted by userspace once no ledger, timewait, fails or origins entry
 * refers to the hash (collect__maps in user/loader/collect.c). */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_STACKS_DEFAULT);
	__type(key, __u64);
	__type(value, struct pl_stack);
} stacks SEC(".maps");

/* Sockets opened per (process, stack): struct pl_origin_key -> count.
 * Inserted and incremented by origins.bpf.h with the stack. Deleted by
 * userspace once the process has exited and no socket refers to it
 * (collect__maps in user/loader/collect.c). */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_ORIGINS_DEFAULT);
	__type(key, struct pl_origin_key);
	__type(value, __u64);
} origins SEC(".maps");

/* Processes whose origins are captured in armed mode: bit tgid % 64 of
 * word tgid / 64 (an array lookup the verifier inlines: a process that is
 * not armed pays a load and a test). Set by userspace when a process gets
 * a verdict other than OK (user/loader/tracker.c), and by origins.bpf.h
 * when a connect of the process fails in its own context; cleared by
 * userspace when it exits (collect__maps in user/loader/collect.c). */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PL_ARMED_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} armed SEC(".maps");

/* Room for one stack per CPU while it is read and hashed (too big for
 * the BPF stack). Written and read by origins.bpf.h only. */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_stack);
} stack_scratch SEC(".maps");

/* Port-allocation failures for userspace (struct pl_failure).
 * Written by ledger.bpf.c (connect) and bind.bpf.c; read by user/loader/failures.c. */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PL_EVENTS_DEFAULT);
} events SEC(".maps");

/* How the BPF side tells time from jiffies (struct pl_clock). Written by
 * userspace once it knows the kernel's tick (user/loader/tracker.c);
 * read by common.bpf.h (pl_now_ns); never deleted. */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_clock);
} clock SEC(".maps");

/* What did not fit or was lost, per CPU (enum pl_counter).
 * Incremented by every BPF program; never deleted; summed by userspace. */
PL_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PL_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

#endif
