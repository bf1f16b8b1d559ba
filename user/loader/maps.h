/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading the ledger, owners, timewait, failure and counters maps into rows. */
#ifndef PORTLEAK_MAPS_H
#define PORTLEAK_MAPS_H

#include "model/model.h"

struct portleak_bpf;

/* A closed socket's entry, left in the ledger for the next socket the
 * kernel creates at its address: no socket any more, only for collect__maps. */
struct pl_closed_row {
	__u64 sk;
	__u64 changed_ns; /* when it closed */
};

struct pl_maps {
	struct pl_ledger_row *ledger; /* sockets that have not closed */
	size_t n_ledger;
	struct pl_skindex ledger_index; /* of ledger, when the fd walk's listing made it */
	/* Listing walk: every holder of each socket that more than one
	 * process holds (fork, fd passing), sorted by socket. */
	struct pl_ledger_row *holders;
	size_t n_holders;
	/* Listing walk: dead sockets still held, one row per fd */
	struct pl_ledger_row *dead;
	size_t n_dead;
	struct pl_closed_row *closed;
	size_t n_closed;
	struct pl_timewait_row *timewait;
	size_t n_timewait;
	struct pl_owner_row *owners;
	size_t n_owners;
	struct pl_fail_row *fails;
	size_t n_fails;
	struct pl_dest_fail_row *dest_fails;
	size_t n_dest_fails;
	struct pl_origin_row *origins;
	size_t n_origins;
	__u64 *stacks; /* keys of the stacks map, listed before the other maps */
	size_t n_stacks;
	__u64 counters[PL_NR_COUNTERS]; /* summed over CPUs */
};

int maps__read(struct portleak_bpf *skel, struct pl_maps *out);

void maps__free(struct pl_maps *m);
/* The stack with hash @stack: 0, or -ENOENT. */
int maps__stack(struct portleak_bpf *skel, __u64 stack, struct pl_stack *out);
/* Let the BPF side read socket times off jiffies (struct pl_clock in
 * ledger.h): @hz the kernel's, @jiffies read with CLOCK_MONOTONIC @mono_ns.
 * 0, or a negative errno. */
int maps__set_clock(struct portleak_bpf *skel, unsigned int hz, __u64 jiffies, __u64 mono_ns);
/* Capture the origins of process @tgid's new sockets (armed mode). */
void maps__arm(struct portleak_bpf *skel, __u32 tgid);

#endif
