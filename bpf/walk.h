/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The walks: iter/task_file records the owner of every TCP socket held in an
 * fd table, iter/tcp lists every TCP socket of one network namespace (the
 * reader's), TIME_WAIT and request sockets included. */
#ifndef PORTLEAK_WALK_H
#define PORTLEAK_WALK_H

#include "ledger.h"

enum pl_record_kind {
	PL_REC_FULL = 1, /* a full socket: may have a ledger entry */
	PL_REC_TIMEWAIT, /* inet_timewait_sock: owner from the timewait map */
	PL_REC_REQUEST,  /* request socket (SYN_RECV): owner is its listener's */
};

/* One record of the iter/tcp output, read by userspace. */
struct pl_tcp_record {
	__u64 sk;       /* struct sock address: the ledger key */
	__u64 listener; /* request sockets: their listener's address */
	struct pl_tuple tuple;
	__u8 state;     /* timewait sockets: their substate */
	__u8 kind;      /* enum pl_record_kind */
	__u8 pad[6];
	__u64 ino;      /* full sockets: inode of its struct socket (socket:[ino]); 0 if none */
};

#endif
