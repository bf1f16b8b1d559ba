// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The walks (user/loader/walk.c runs them).
 * walk_fds:  every fd of every process, in two passes of one walk (user/loader/walk.c
 *            sets walk_gen and walk_pass before each), with hooks attached:
 *            MARK:  a TCP socket the ledger does not know yet is recorded
 *                   under the process holding it (sockets opened before
 *                   portleak started); one held by its owner is marked seen;
 *            ADOPT: a socket its owner no longer holds (closed its copy after
 *                   fork, passed it over a unix socket, exited) is charged to
 *                   the first process found holding it; a socket its owner
 *                   holds and another process too is written out, as two
 *                   struct pl_fd_record (the other holder, then the owner):
 *                   only shared sockets cost output, and dead ones (a
 *                   connection gone, its fd still held: .dead).
 * list_fds:  every fd of every process, with no hooks attached (a one-shot
 *            snapshot, close), and so no ledger: every IP stream socket is
 *            written out with the process holding it, as struct
 *            pl_fd_record, and no map is touched (the inserts were half of
 *            the walk's time). A program of its own: it names 9 kernel
 *            types where walk_fds names 12, and libbpf searches the
 *            kernel's BTF once for each at every load.
 * walk_tcp:  every TCP socket of the reader's network namespace, TIME_WAIT
 *            and request sockets included, as struct pl_tcp_record, with
 *            the kernel's own clocks of each socket. */
#include "common.bpf.h"
#include "iter_ctx.bpf.h"
#include "walk.h"

__u32 walk_gen;  /* which walk this is */
__u32 walk_pass; /* enum pl_walk_pass */
__u32 walk_ino;  /* walk_tcp: 1 to read each held socket's inode number too */

/* A socket charged to its listener's owner and accepted by another
 * process, unseen by the accept hook: its opening moves with it. */
static __always_inline void pl_adopt(struct pl_socket *e, struct task_struct *task, bool btf)
{
	struct pl_owner_stats *stats;
	bool moves = (e->flags & PL_FLAG_QUEUED) && (e->flags & PL_FLAG_ESTABLISHED);

	if (moves && (stats = bpf_map_lookup_elem(&owners, &e->owner)))
		__sync_fetch_and_add(&stats->opened, -1);
	pl_owner_of(task, &e->owner, &e->cgroup_id, e->comm, btf);
	e->seen_walk = walk_gen;
	e->flags &= ~PL_FLAG_QUEUED;
	stats = pl_owner_stats(&e->owner, e->comm, e->cgroup_id);
	if (moves && stats)
		__sync_fetch_and_add(&stats->opened, 1);
}

/* Was @sock given a connection: accept() made it, or connect() was
 * called on it? A non-blocking connect() leaves it SS_CONNECTING for
 * good (Go, Java NIO, nginx): only a socket never connected, bound or
 * listening is SS_UNCONNECTED. In TCP state CLOSE, such a socket's
 * connection, or its attempt, is over. */
static __always_inline bool pl_was_connected(struct socket *sock, bool btf)
{
	int state = PL_READ(btf, sock, state);

	return state == SS_CONNECTING || state == SS_CONNECTED || state == SS_DISCONNECTING;
}

/* list_fds: who holds @sock, known from the struct socket alone: its type
 * and family tell a TCP socket from most others, and the TCP walk's record
 * of it has its state and tuple (MPTCP and SCTP sockets, and TCP sockets
 * not yet connected, bound or listening, have none and are left out
 * there). Not reading the struct sock saves two cache misses a socket:
 * most of the fd walk's time at 54,000 sockets. */
static __always_inline int pl_list_holder(struct seq_file *seq, struct task_struct *task,
					  struct socket *sock, bool btf)
{
	struct pl_fd_record rec = {};
	const struct proto_ops *ops;
	struct sock *sk;
	int family;

	if (!sock || PL_READ(btf, sock, type) != PL_SOCK_STREAM)
		return 0;
	ops = PL_READ(btf, sock, ops);
	family = ops ? PL_READ(btf, ops, family) : 0;
	if (family != PL_AF_INET && family != PL_AF_INET6)
		return 0;
	sk = PL_READ(btf, sock, sk);
	if (!sk)
		return 0;
	rec.sk = (__u64)sk;
	/* the socket's state costs a cache miss, paid for connected ones only */
	rec.dead = pl_was_connected(sock, btf) &&
		   PL_READ(btf, sk, __sk_common.skc_state) == PL_TCP_CLOSE;
	pl_owner_of(task, &rec.owner, &rec.cgroup_id, rec.comm, btf);
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

/* ADOPT: @task holds @sk, whose connection is gone. */
static __always_inline void pl_write_dead(struct seq_file *seq, struct task_struct *task,
					  struct sock *sk, bool btf)
{
	struct pl_fd_record rec = { .sk = (__u64)sk, .dead = 1 };

	pl_owner_of(task, &rec.owner, &rec.cgroup_id, rec.comm, btf);
	bpf_seq_write(seq, &rec, sizeof(rec));
}

/* ADOPT: @sk, charged to @e's owner who holds it, is held by @task too. */
static __always_inline void pl_write_shared(struct seq_file *seq, struct task_struct *task,
					    struct sock *sk, const struct pl_socket *e, bool btf)
{
	struct pl_fd_record rec = { .sk = (__u64)sk };

	pl_owner_of(task, &rec.owner, &rec.cgroup_id, rec.comm, btf);
	bpf_seq_write(seq, &rec, sizeof(rec));
	rec.owner = e->owner;
	rec.cgroup_id = e->cgroup_id;
	__builtin_memcpy(rec.comm, e->comm, sizeof(rec.comm));
	bpf_seq_write(seq, &rec, sizeof(rec));
}

/* One socket in @task's fd table; with @btf, both are BTF pointers. */
static __always_inline int pl_walk_socket(struct seq_file *seq, struct task_struct *task,
					  struct socket *sock, struct sock *sk, bool btf)
{
	struct pl_socket *e, found;
	struct pl_owner owner;
	__u8 state;

	if (!sk || !(btf ? pl_is_tcp_btf(sk) : pl_is_tcp(sk)))
		return 0;
	state = PL_READ(btf, sk, __sk_common.skc_state);
	if (state == PL_TCP_CLOSE) { /* no port, no ledger entry */
		if (walk_pass == PL_WALK_ADOPT && pl_was_connected(sock, btf))
			pl_write_dead(seq, task, sk, btf);
		return 0;
	}
	e = pl_ledger_find(sk);
	if (!e) {
		/* Never over a live entry, nor over this socket's own closed
		 * one: it may have closed since its state was read; over the
		 * closed entry of the socket that had its address before, when
		 * the hook that should have taken it missed (pl_ledger_put). */
		if (walk_pass != PL_WALK_MARK ||
		    pl_ledger_add(sk, task, state, PL_ORIGIN_WALK, 0, PL_OVER_OTHERS_CLOSED, btf,
				  &found) ||
		    !(e = pl_ledger_find(sk)))
			return 0;
		e->seen_walk = walk_gen;
		pl_owner_stats(&e->owner, e->comm, e->cgroup_id);
		if (state == PL_TCP_LISTEN)
			pl_listener_add(sk, e, btf);
		return 0;
	}
	owner.tgid = PL_READ(btf, task, tgid);
	owner.start_ns = btf ? task->group_leader->start_time
			     : BPF_CORE_READ(task, group_leader, start_time);
	if (owner.tgid == e->owner.tgid && owner.start_ns == e->owner.start_ns) {
		e->seen_walk = walk_gen;
		if (state == PL_TCP_LISTEN && walk_pass == PL_WALK_MARK)
			pl_listener_add(sk, e, btf);
	} else if (walk_pass == PL_WALK_ADOPT && e->seen_walk != walk_gen) {
		pl_adopt(e, task, btf);
	} else if (walk_pass == PL_WALK_ADOPT) {
		pl_write_shared(seq, task, sk, e, btf);
	}
	return 0;
}

/* One socket in @task's fd table. */
static __always_inline int pl_walk_file(struct seq_file *seq, struct task_struct *task,
					struct socket *sock, bool btf)
{
	return sock ? pl_walk_socket(seq, task, sock, PL_READ(btf, sock, sk), btf) : 0;
}

/* Both fd walks: bpf_sock_from_file() (5.11) gives the socket as a BTF
 * pointer, plain loads from there on, cheaper than probe reads at 54,000
 * fds; 5.10 goes through the file. */
SEC("iter/task_file")
int walk_fds(struct pl_iter_task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;

	if (!task || !file)
		return 0;
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_sock_from_file))
		return pl_walk_file(ctx->meta->seq, task, pl_socket_of_file(file), false);
	return pl_walk_file(ctx->meta->seq, task, bpf_sock_from_file(file), true);
}

SEC("iter/task_file")
int list_fds(struct pl_iter_task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;

	if (!task || !file)
		return 0;
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_sock_from_file))
		return pl_list_holder(ctx->meta->seq, task, pl_socket_of_file(file), false);
	return pl_list_holder(ctx->meta->seq, task, bpf_sock_from_file(file), true);
}

/* Was this bind bucket made by bind() (or listen()'s autobind)? connect()
 * makes its buckets with fastreuse and fastreuseport -1; bind() with 0 or
 * 1. No bucket: the port is held by nothing. */
static __always_inline __u8 pl_bucket_by_bind(struct inet_bind_bucket *tb)
{
	if (!tb)
		return 0;
	return BPF_CORE_READ(tb, fastreuse) >= 0 || BPF_CORE_READ(tb, fastreuseport) >= 0;
}

/* What a socket that is not yet a connection waits for: a listener's
 * accept queue, a connect's unanswered SYNs. */
static __always_inline void pl_read_connecting(struct tcp_sock *tp, struct pl_tcp_record *rec)
{
	struct sock *sk = &tp->inet_conn.icsk_inet.sk;

	if (rec->state == PL_TCP_LISTEN) {
		rec->queued = sk->sk_ack_backlog;
		rec->backlog = sk->sk_max_ack_backlog;
		rec->drops = pl_sk_drops(sk);
	} else if (rec->state == PL_TCP_SYN_SENT) {
		rec->syn_retransmits = tp->inet_conn.icsk_retransmits;
	}
}

SEC("iter/tcp")
int walk_tcp(struct pl_iter_tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct pl_tcp_record rec = {};

	if (!skc)
		return 0;
	rec.sk = (__u64)skc;
	pl_read_tuple(skc, &rec.tuple, true);
	rec.state = skc->skc_state;
	rec.kind = PL_REC_FULL;
	rec.clocks.jiffies = bpf_jiffies64();
	rec.clocks.now_ns = bpf_ktime_get_ns();
	if (rec.state == PL_TCP_TIME_WAIT) {
		rec.kind = PL_REC_TIMEWAIT;
		rec.bound = pl_bucket_by_bind(BPF_CORE_READ((struct inet_timewait_sock *)skc, tw_tb));
		rec.tw_stamped = BPF_CORE_READ((struct tcp_timewait_sock *)skc,
					       tw_ts_recent_stamp) != 0;
		rec.state = BPF_CORE_READ((struct inet_timewait_sock *)skc,
					  tw_substate);
		rec.clocks.tw_expires = pl_tw_expires((struct inet_timewait_sock *)skc);
	} else if (rec.state == PL_TCP_NEW_SYN_RECV) {
		rec.kind = PL_REC_REQUEST;
		rec.state = PL_TCP_SYN_RECV;
		rec.listener = (__u64)BPF_CORE_READ(skc, skc_listener);
	} else {
		/* A BTF pointer; never NULL here (iter/tcp lists TCP sockets
		 * only), but the verifier must see it checked. */
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
		struct socket *sock = tp ? tp->inet_conn.icsk_inet.sk.sk_socket : NULL;

		if (tp) {
			pl_tcp_clocks(tp, &rec.clocks, true);
			rec.bound = pl_bucket_by_bind(tp->inet_conn.icsk_bind_hash);
			pl_read_connecting(tp, &rec);
		}
		rec.held = sock != NULL;
		/* The inode is a cache line of its own at 54,000 sockets: a
		 * tenth of the walk, read only for those who name sockets by
		 * it (close, verify). */
		if (walk_ino)
			rec.ino = pl_inode_of(sock);
	}
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
