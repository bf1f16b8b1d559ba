// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The state hook: every TCP transition updates the ledger.
 *
 * Only connect() (CLOSE->SYN_SENT) and listen() (CLOSE->LISTEN) run in the
 * owner's process context, so only they create entries here. Every other
 * transition may run in softirq or timer context, where `current` is
 * whoever was interrupted: those only update the state of an entry that
 * already exists and never look at `current`. A listener's new child
 * (SYN_RECV->ESTABLISHED, in softirq) is charged to the owner of the
 * listener on that port (the listeners map): accept() costs nothing then,
 * and the rare socket another process accepts is corrected by the accept
 * hook where it sees the socket cheaply, and by the fd walk. */
#include "origins.bpf.h"
#include <bpf/bpf_tracing.h>

static __always_inline void pl_on_connect_failure(struct sock *sk,
						  struct pl_socket *entry, bool btf)
{
	struct pl_owner_stats *stats;
	struct pl_tuple tuple = {};

	pl_read_sock_tuple(sk, &tuple, btf);
	stats = pl_owner_stats(&entry->owner, entry->comm, entry->cgroup_id);
	if (stats)
		__sync_fetch_and_add(&stats->connect_failures, 1);
	pl_emit_failure(PL_FAIL_CONNECT, PL_EADDRNOTAVAIL, &entry->owner,
			entry->comm, entry->cgroup_id, &tuple);
}

/* A connect that ends in CLOSE, counted for the owner toward the peer with
 * @err and who ended it (@by), its SYNs and wait in @a. A kernel error is
 * remembered for connect()'s exit, which returns the same error when it
 * was waiting for it. */
static __always_inline void pl_count_connect_error(void *ctx, struct sock *sk,
						   const struct pl_socket *entry, __s32 err, __u32 by,
						   const struct pl_connect_try *a, bool btf)
{
	struct pl_tuple peer = {};
	__u64 key = (__u64)sk, ino, stack = 0;

	pl_read_tuple(&sk->__sk_common, &peer, btf);
	peer.sport = 0;
	__builtin_memset(peer.saddr, 0, PL_ADDR_LEN);
	/* In the owner's own context: connect() out of ports, or the close()
	 * of an application that gave up. The kernel's own errors arrive in
	 * softirq or timer context, where the user stack is no one's call. */
	if ((err == PL_EADDRNOTAVAIL || by == PL_BY_APPLICATION) &&
	    (__u32)(bpf_get_current_pid_tgid() >> 32) == entry->owner.tgid)
		stack = pl_capture_failure(ctx, entry->owner.tgid);
	pl_count_failure(&entry->owner, entry->comm, entry->cgroup_id, PL_CALL_CONNECT, err, by,
			 &peer, a, stack);
	ino = by == PL_BY_KERNEL ? pl_socket_ino(sk) : 0;
	if (ino) /* an fd still refers to it: connect() may return the error */
		bpf_map_update_elem(&connect_done, &key, &ino, BPF_ANY);
}

/* A connecting socket closes after its SYN went out. With an error, the
 * kernel ended it: a reset (ECONNREFUSED), the SYN retries spent
 * (ETIMEDOUT), an ICMP error. Without one, the application gave up before
 * the kernel did (close() on its own timeout): ETIMEDOUT by the
 * application, the commonest connect failure, which no call returns. No
 * SYN out and no error: connect() itself failed before sending, and its
 * exit counts that. Read with probe reads: a rare path, and tcp_sock lies
 * beyond the struct sock a BTF pointer may reach. */
static __always_inline void pl_on_connect_end(void *ctx, struct sock *sk,
					      const struct pl_socket *entry, bool btf)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__s32 err = PL_READ(btf, sk, sk_err);
	__u32 by = PL_BY_KERNEL;
	struct pl_connect_try a = {};
	__u64 now;

	if (!err) {
		if (!BPF_CORE_READ(tp, packets_out))
			return;
		err = PL_ETIMEDOUT;
		by = PL_BY_APPLICATION;
	}
	a.syns = 1 + BPF_CORE_READ(tp, inet_conn.icsk_retransmits);
	now = pl_now_ns();
	if (entry->state == PL_TCP_SYN_SENT && now > entry->changed_ns)
		a.waited_ns = now - entry->changed_ns;
	pl_count_connect_error(ctx, sk, entry, err, by, &a, btf);
}

/* The socket leaves a timewait socket behind with the same (netns, tuple):
 * remember its owner, since the timewait socket has none. */
static __always_inline void pl_remember_timewait(struct sock *sk,
						 struct pl_socket *entry, bool btf)
{
	struct pl_tuple key = {};
	struct pl_timewait tw = {};
	long err;

	pl_read_sock_tuple(sk, &key, btf);
	tw.owner = entry->owner;
	tw.cgroup_id = entry->cgroup_id;
	tw.closed_ns = pl_now_ns();
	tw.origin = entry->origin;
	tw.stack = entry->stack;
	__builtin_memcpy(tw.comm, entry->comm, PL_COMM_LEN);
	err = bpf_map_update_elem(&timewait, &key, &tw, BPF_ANY);
	if (err)
		pl_count(PL_CNT_TIMEWAIT_FULL);
}

/* A listener closes: its port no longer charges children to it. */
static __always_inline void pl_listener_gone(struct sock *sk, bool btf)
{
	struct pl_listener *l;
	struct pl_port_key key;

	pl_port_of(sk, &key, btf);
	l = bpf_map_lookup_elem(&listeners, &key);
	if (l && l->sk == (__u64)sk)
		bpf_map_delete_elem(&listeners, &key);
}

/* A listener's new child, established (the first moment its tuple is
 * complete): charged to the listener's owner, and counted as opened. The
 * full child lives in SYN_RECV only within the softirq that makes it
 * ESTABLISHED, so LISTEN->SYN_RECV costs nothing. 0 when entered; -1 when
 * no listener is known on its port, or the socket has a live entry already
 * (a simultaneous open; a child that accept() took on another CPU while
 * this softirq ran; a fast-open child accepted before its handshake
 * ended): the caller updates that entry as any other transition. */
static __always_inline int pl_on_child(struct sock *sk, bool btf)
{
	struct pl_socket entry = { .state = PL_TCP_ESTABLISHED, .origin = PL_ORIGIN_ACCEPT,
				   .flags = PL_FLAG_QUEUED | PL_FLAG_ESTABLISHED };
	struct pl_listener *l;
	struct pl_port_key key;

	pl_port_of(sk, &key, btf);
	l = bpf_map_lookup_elem(&listeners, &key);
	if (!l)
		return -1; /* a listener portleak does not know yet: the fd walk will */
	entry.owner = l->owner;
	entry.cgroup_id = l->cgroup_id;
	__builtin_memcpy(entry.comm, l->comm, PL_COMM_LEN);
	pl_read_tuple(&sk->__sk_common, &entry.tuple, btf);
	if (pl_ledger_put(sk, &entry, PL_OVER_CLOSED))
		return -1;
	pl_tally_opened(&entry);
	return 0;
}

static __always_inline void pl_on_close(void *ctx, struct sock *sk, int oldstate, bool btf)
{
	struct pl_socket *entry = pl_ledger_find(sk);
	struct pl_socket untracked = {};
	struct pl_tally *t;

	/* inet_hash_connect() found no local port: we are still inside
	 * connect(), so `current` is the owner even if the ledger was full.
	 * Every close gives the port back (inet_num = 0) before the
	 * tracepoint; inet_sport stays unless no port was ever taken. */
	if (oldstate == PL_TCP_SYN_SENT &&
	    BPF_CORE_READ((struct inet_sock *)sk, inet_sport) == 0) {
		if (!entry)
			pl_current_owner(&untracked.owner, &untracked.cgroup_id,
					 untracked.comm, btf);
		pl_on_connect_failure(sk, entry ? entry : &untracked, btf);
		pl_count_connect_error(ctx, sk, entry ? entry : &untracked, PL_EADDRNOTAVAIL,
				       PL_BY_KERNEL, NULL, btf);
	} else if (oldstate == PL_TCP_SYN_SENT && entry) {
		pl_on_connect_end(ctx, sk, entry, btf);
	}
	if (!entry)
		return;
	if ((entry->flags & PL_FLAG_ESTABLISHED) && (t = pl_tally_of(entry)))
		t->closed++;
	if (oldstate == PL_TCP_FIN_WAIT2 || oldstate == PL_TCP_CLOSING)
		pl_remember_timewait(sk, entry, btf);
	else if (oldstate == PL_TCP_LISTEN)
		pl_listener_gone(sk, btf);
	/* Kept, closed, for the next socket at this address (pl_ledger_put);
	 * userspace deletes the ones no socket takes (collect__maps). */
	entry->state = PL_TCP_CLOSE;
	entry->changed_ns = pl_now_ns();
	barrier();
	entry->closed = 1;
}

static __always_inline void pl_on_transition(struct sock *sk, int newstate)
{
	struct pl_socket *entry = pl_ledger_find(sk);

	if (!entry)
		return;
	entry->state = newstate;
	entry->changed_ns = pl_now_ns();
	if (newstate != PL_TCP_ESTABLISHED || (entry->flags & PL_FLAG_ESTABLISHED))
		return;
	/* SYN_SENT->ESTABLISHED. The tuple is not read again for the local
	 * port it has now: userspace takes live sockets' tuples from iter/tcp. */
	entry->flags |= PL_FLAG_ESTABLISHED;
	pl_tally_opened(entry);
}

static __always_inline int pl_on_state(void *ctx, struct sock *sk, int oldstate,
				       int newstate, bool btf)
{
	struct pl_socket entry;

	if (oldstate == PL_TCP_CLOSE &&
	    (newstate == PL_TCP_SYN_SENT || newstate == PL_TCP_LISTEN)) {
		if (pl_ledger_add(sk, NULL, newstate,
				  newstate == PL_TCP_LISTEN ? PL_ORIGIN_LISTEN : PL_ORIGIN_CONNECT,
				  0, PL_OVER_CLOSED | PL_OVER_LIVE, btf, &entry))
			return 0;
		if (newstate == PL_TCP_LISTEN)
			pl_listener_add(sk, &entry, btf);
		pl_capture_origin_at(ctx, sk, entry.owner.tgid);
	} else if (newstate == PL_TCP_CLOSE) {
		pl_on_close(ctx, sk, oldstate, btf);
	} else if (oldstate == PL_TCP_LISTEN) {
		return 0; /* a listener's child: entered once established */
	} else if (oldstate != PL_TCP_SYN_RECV || newstate != PL_TCP_ESTABLISHED ||
		   pl_on_child(sk, btf)) {
		pl_on_transition(sk, newstate);
	}
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(state_btf, struct sock *sk, int oldstate, int newstate)
{
	/* A BTF pointer: plain loads, cheaper than probe-read helper calls,
	 * on the one check every transition of the host pays for. */
	if (sk->sk_protocol != PL_IPPROTO_TCP)
		return 0;
	if (sk->__sk_common.skc_family != PL_AF_INET &&
	    sk->__sk_common.skc_family != PL_AF_INET6)
		return 0;
	return pl_on_state(ctx, sk, oldstate, newstate, true);
}

SEC("tracepoint/sock/inet_sock_set_state")
int state_tracepoint(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != PL_IPPROTO_TCP)
		return 0;
	return pl_on_state(ctx, (struct sock *)ctx->skaddr, ctx->oldstate,
			   ctx->newstate, false);
}
