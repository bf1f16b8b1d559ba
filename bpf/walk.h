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

/* The kernel's own clocks of one socket (what `ss -ti` shows as lastsnd,
 * lastrcv and lastack), read as they are: 32-bit tcp_jiffies32 stamps of
 * full sockets, the expiry of a timewait socket's timer in jiffies, and
 * the iterator's jiffies_64 and CLOCK_MONOTONIC, read together, so that
 * userspace converts them without knowing CONFIG_HZ (model/clocks.h). */
struct pl_sock_clocks {
	__u64 jiffies;     /* bpf_jiffies64() when the socket was read */
	__u64 now_ns;      /* bpf_ktime_get_ns() at the same moment */
	__u64 tw_expires;  /* timewait sockets: tw_timer.expires (jiffies); 0: unknown */
	__u32 rcv_tstamp;  /* full sockets: last ACK received */
	__u32 lrcvtime;    /* last data received */
	__u32 lsndtime;    /* last data sent */
	__u32 pad;
};

/* One record of the iter/tcp output, read by userspace. */
struct pl_tcp_record {
	__u64 sk;       /* struct sock address: the ledger key */
	__u64 listener; /* request sockets: their listener's address */
	struct pl_tuple tuple;
	__u8 state;     /* timewait sockets: their substate */
	__u8 kind;      /* enum pl_record_kind */
	__u8 held;      /* full sockets: 1 when a struct socket holds it (an fd may) */
	/* 1 when the socket's local port is held by bind() (an explicit port,
	 * port 0, listen()): its bind bucket was made by bind(), not by
	 * connect(), so connect() may not take that port toward any
	 * destination (DESIGN.md fact 13). Full and timewait sockets. */
	__u8 bound;
	/* timewait sockets: 1 when the peer's TCP timestamps were seen
	 * (tw_ts_recent_stamp), which tcp_tw_reuse needs (DESIGN.md fact 14) */
	__u8 tw_stamped;
	__u8 syn_retransmits; /* SYN_SENT: SYNs sent again, unanswered (icsk_retransmits) */
	__u8 pad[2];
	__u64 ino;      /* held sockets, when walk_ino asks: socket:[ino]; else 0 */
	/* LISTEN: the accept queue: connections waiting for accept()
	 * (sk_ack_backlog), its size (sk_max_ack_backlog: listen()'s backlog
	 * capped by net.core.somaxconn) and the SYNs and ACKs the listener
	 * dropped since it listened, a full queue's among them (sk_drops) */
	__u32 queued;
	__u32 backlog;
	__u64 drops;
	struct pl_sock_clocks clocks;
};

/* One record of list_fds (iter/task_file, with no hooks): an IP stream
 * socket held in an fd table, and the process holding it (a socket held
 * by several processes comes once per holder). Its state and tuple are
 * in the TCP walk's record of it; a socket that walk does not list is
 * not TCP, or holds nothing yet. */
struct pl_fd_record {
	__u64 sk;
	struct pl_owner owner;
	__u64 cgroup_id;
	char comm[PL_COMM_LEN];
	/* 1: a dead socket still held: its connection, or the attempt, is
	 * over (reset, aborted, `portleak close`, closed both ways, refused)
	 * and its TCP state is CLOSE, yet the process keeps the fd, which
	 * only close() frees. Told by the struct socket (connect() called or
	 * accept()ed) and the state of its struct sock. walk_fds writes these
	 * records only (with the shared ones); list_fds writes every socket. */
	__u8 dead;
	__u8 pad[7];
};

#endif
