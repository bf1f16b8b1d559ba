/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Running the iterators of bpf/walk.bpf.c. */
#ifndef PORTLEAK_WALK_USER_H
#define PORTLEAK_WALK_USER_H

#include <stdbool.h>

#include "model/model.h"

struct pl_agent;
struct pl_maps;
struct portleak_bpf;

/* The kernel's own per-state count of one namespace (/proc/net/tcp{,6}),
 * read just before and just after the iterator ran there. */
struct pl_kernel_counts {
	__u64 before[PL_TCP_NR_STATES];
	__u64 after[PL_TCP_NR_STATES];
};

struct pl_tcp_walk {
	struct pl_tcp_record *recs;
	size_t n, cap;
	struct pl_netns *netns; /* every namespace walked */
	size_t n_netns, cap_netns;
	size_t netns_failed;    /* namespaces that could not be entered */
	struct pl_kernel_counts *kernel; /* with PL_WALK_KERNEL_COUNTS: one per netns */
	/* With PL_WALK_NAT: the source-NAT entries of every conntrack table,
	 * at most PL_WALK_NAT_MAX; those beyond, and the namespaces whose
	 * dump failed or ran out of time */
	struct pl_nat_entry *nat;
	size_t n_nat, cap_nat;
	__u64 nat_left_out;
	size_t nat_cut;
};

#define PL_WALK_NAT_MAX 65536 /* about 4 MB of entries */

enum pl_walk_flags {
	PL_WALK_ALL_NETNS = 1,     /* every namespace, not only portleak's */
	PL_WALK_KERNEL_COUNTS = 2, /* fill pl_tcp_walk.kernel */
	PL_WALK_INODES = 4,        /* fill each held socket's pl_tcp_record.ino */
	PL_WALK_NAT = 8,           /* dump each conntrack table's source-NAT entries */
};

/* What an fd walk with hooks leaves beside the ledger. */
struct pl_fd_rows {
	/* every holder of each socket its owner and another process hold
	 * (fork, fd passing), sorted by socket */
	struct pl_ledger_row *shared;
	size_t n_shared;
	/* dead sockets still held: one row per fd (struct pl_fd_record.dead) */
	struct pl_ledger_row *dead;
	size_t n_dead;
};

/* Record the owner of every TCP socket held in an fd table: sockets the
 * ledger does not know yet, and sockets their owner no longer holds (they
 * go to a process that does). Into @out, replacing what it held: shared
 * sockets and dead ones. */
int walk__fds(struct portleak_bpf *skel, struct pl_fd_rows *out);
void walk__free_fd_rows(struct pl_fd_rows *rows);
/* With no hooks attached, and so no ledger: the rows the ledger would hold
 * after walk__fds, for every TCP socket held in an fd table, each under
 * the first process found holding it, into @m's ledger and its index
 * (replacing what they held); every holder of a socket that more than
 * one process holds into @m's holders, dead sockets into @m's dead. Beside it, in another
 * thread, walk__tcp(): with no ledger to fill, neither waits for the
 * other. The fd walk's thread first gets its object from
 * agent__fd_walker(), which loads it the first time. */
int walk__list_fds_and_tcp(struct pl_agent *agent, struct pl_maps *m, unsigned int flags,
			   struct pl_tcp_walk *w);
/* With hooks, after the ledger overflowed: list the holders of every
 * socket that has an fd and add a row, as the listing walk makes them,
 * for each socket @m's ledger lacks, so that no socket with an owner is
 * charged to nobody. 0, or negative errno. */
int walk__fill_ledger_gaps(struct pl_agent *agent, struct pl_maps *m);
/* List every TCP socket of portleak's network namespace and, with
 * PL_WALK_ALL_NETNS in @flags, of every namespace that has a process in it
 * or a name under /run/netns (entering them needs CAP_SYS_ADMIN). */
int walk__tcp(struct portleak_bpf *skel, unsigned int flags, struct pl_tcp_walk *out);
/* Was the namespace with this inode number walked? */
bool walk__has_netns(const struct pl_tcp_walk *w, __u32 inum);
void walk__free(struct pl_tcp_walk *w);

#endif
