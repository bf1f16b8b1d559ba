/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers shared by the BPF programs: owners, tuples, the ledger, counters
 * and failure events. */
#ifndef PORTLEAK_COMMON_BPF_H
#define PORTLEAK_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "failures.h"

#define PL_IPPROTO_TCP 6
#define PL_S_IFMT 00170000
#define PL_S_IFSOCK 0140000
#define PL_EADDRINUSE 98
#define PL_EADDRNOTAVAIL 99
#define PL_ETIMEDOUT 110
#define PL_E2BIG 7
#define PL_EEXIST 17

static __always_inline void pl_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1; /* per-CPU slot: no atomic needed */
}

/* Now, on CLOCK_MONOTONIC, for the times of sockets (struct pl_clock):
 * an array lookup and bpf_jiffies64(), both inlined by the verifier and
 * the JIT, where bpf_ktime_get_ns() is a helper call that reads the clock
 * (about 35 ns a call here, five calls a connection). */
static __always_inline __u64 pl_now_ns(void)
{
	__u32 zero = 0;
	struct pl_clock *c = bpf_map_lookup_elem(&clock, &zero);

	if (c && c->tick_ns)
		return c->base_ns + bpf_jiffies64() * c->tick_ns;
	return bpf_ktime_get_ns();
}

/* Owner of a task: its thread group leader, identified by tgid and start
 * time, with the leader's comm and cgroup v2 id. With @btf, @task is a
 * BTF pointer, read by plain loads. */
static __always_inline void pl_owner_of(struct task_struct *task,
					 struct pl_owner *owner,
					 __u64 *cgroup_id, char *comm, bool btf)
{
	struct task_struct *leader;

	if (btf) {
		leader = task->group_leader;
		owner->tgid = task->tgid;
		owner->pad = 0;
		owner->start_ns = leader->start_time;
		*cgroup_id = task->cgroups->dfl_cgrp->kn->id;
		__builtin_memcpy(comm, leader->comm, PL_COMM_LEN);
		return;
	}
	leader = BPF_CORE_READ(task, group_leader);

	owner->tgid = BPF_CORE_READ(task, tgid);
	owner->pad = 0;
	owner->start_ns = BPF_CORE_READ(leader, start_time);
	*cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	bpf_probe_read_kernel_str(comm, PL_COMM_LEN, &leader->comm);
}

/* Is @owner the process of @task? */
static __always_inline bool pl_is_owner(struct task_struct *task, const struct pl_owner *owner)
{
	return (__u32)BPF_CORE_READ(task, tgid) == owner->tgid &&
	       BPF_CORE_READ(task, group_leader, start_time) == owner->start_ns;
}

static __always_inline int pl_is_tcp(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family != PL_AF_INET && family != PL_AF_INET6)
		return 0;
	return pl_sk_protocol(sk) == PL_IPPROTO_TCP;
}

/* The same for a BTF pointer, by plain loads (sk_protocol is a whole u16
 * on every kernel with socket BTF pointers here: 5.6+, core_fixes.bpf.h). */
static __always_inline int pl_is_tcp_btf(const struct sock *sk)
{
	return (sk->__sk_common.skc_family == PL_AF_INET ||
		sk->__sk_common.skc_family == PL_AF_INET6) &&
	       sk->sk_protocol == PL_IPPROTO_TCP;
}

/* A field of a kernel object: a plain load when @btf says the pointer is
 * BTF-typed (tp_btf, fexit, iterators: CO-RE relocated, no helper call),
 * a probe read otherwise. @btf is a constant at every call site. */
#define PL_READ(btf, ptr, field) ((btf) ? (ptr)->field : BPF_CORE_READ(ptr, field))

static __always_inline void pl_read_tuple(const struct sock_common *skc,
					  struct pl_tuple *t, bool btf)
{
	t->netns = btf ? skc->skc_net.net->ns.inum : BPF_CORE_READ(skc, skc_net.net, ns.inum);
	t->family = PL_READ(btf, skc, skc_family);
	t->sport = PL_READ(btf, skc, skc_num);
	t->dport = bpf_ntohs(PL_READ(btf, skc, skc_dport));
	if (t->family == PL_AF_INET6 && btf) {
		__builtin_memcpy(t->saddr, skc->skc_v6_rcv_saddr.in6_u.u6_addr8, PL_ADDR_LEN);
		__builtin_memcpy(t->daddr, skc->skc_v6_daddr.in6_u.u6_addr8, PL_ADDR_LEN);
	} else if (t->family == PL_AF_INET6) {
		bpf_core_read(t->saddr, PL_ADDR_LEN, &skc->skc_v6_rcv_saddr);
		bpf_core_read(t->daddr, PL_ADDR_LEN, &skc->skc_v6_daddr);
	} else {
		*(__u32 *)t->saddr = PL_READ(btf, skc, skc_rcv_saddr);
		*(__u32 *)t->daddr = PL_READ(btf, skc, skc_daddr);
	}
}

/* The tuple of a full socket. On the way to CLOSE, tcp_set_state() gives the
 * port back (inet_num = 0) before the tracepoint fires; inet_sport keeps it,
 * and it is what the timewait socket left behind carries. */
static __always_inline void pl_read_sock_tuple(const struct sock *sk,
					       struct pl_tuple *t, bool btf)
{
	pl_read_tuple(&sk->__sk_common, t, btf);
	/* A probe read even from a BTF pointer: the verifier knows the
	 * pointer as a struct sock, and struct inet_sock extends it. */
	t->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
}

/* The counters of one process, created on first use. */
static __always_inline struct pl_owner_stats *
pl_owner_stats(const struct pl_owner *owner, const char *comm, __u64 cgroup_id)
{
	struct pl_owner_stats *stats = bpf_map_lookup_elem(&owners, owner);
	struct pl_owner_stats init = {};
	int err;

	if (stats)
		return stats;
	__builtin_memcpy(init.comm, comm, PL_COMM_LEN);
	init.cgroup_id = cgroup_id;
	err = pl_map_update(&owners, owner, &init, BPF_NOEXIST);
	if (err && err != -PL_EEXIST)
		pl_count(PL_CNT_OWNERS_FULL);
	return bpf_map_lookup_elem(&owners, owner);
}

/* The owner of the current task and its comm, by plain loads where the
 * kernel has bpf_get_current_task_btf() (5.11) and the caller is
 * BTF-typed, else by probe reads. */
static __always_inline void pl_current_owner(struct pl_owner *owner, __u64 *cgroup_id,
					     char *comm, bool btf)
{
	if (!btf || !bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
		pl_owner_of((struct task_struct *)bpf_get_current_task(), owner, cgroup_id, comm,
			    false);
	else
		pl_owner_of(bpf_get_current_task_btf(), owner, cgroup_id, comm, true);
}

/* This CPU's tally of @e's owner (struct pl_tally), for the state hook
 * only (maps.bpf.h): one array access when the process has the slot. A
 * process new to the slot first moves the counts there to their process's
 * owners entry and makes sure it has one itself, so that every count in a
 * tally belongs to a process with an owners entry; NULL when the owners
 * map is full (counted). */
static __always_inline struct pl_tally *pl_tally_of(const struct pl_socket *e)
{
	__u32 slot = e->owner.tgid % PL_TALLY_SLOTS;
	struct pl_tally *t = bpf_map_lookup_elem(&tallies, &slot);
	struct pl_owner_stats *stats;

	if (!t)
		return NULL;
	if (t->owner.tgid == e->owner.tgid && t->owner.start_ns == e->owner.start_ns)
		return t;
	if (t->owner.tgid && (t->opened || t->closed) &&
	    (stats = bpf_map_lookup_elem(&owners, &t->owner))) {
		/* moves is odd while the counts may be in both places: a
		 * read of the owners map that this overlapped is taken again
		 * (maps__read). Other CPUs see these stores in program order
		 * on x86; barrier() keeps the compiler to it. */
		t->moves++;
		barrier();
		__sync_fetch_and_add(&stats->opened, t->opened);
		__sync_fetch_and_add(&stats->closed, t->closed);
		t->opened = 0;
		t->closed = 0;
		barrier();
		t->moves++;
	}
	t->owner.tgid = 0; /* its counts are gone, whoever takes it */
	t->opened = 0;
	t->closed = 0;
	if (!pl_owner_stats(&e->owner, e->comm, e->cgroup_id))
		return NULL;
	t->owner = e->owner;
	return t;
}

/* The owner of @e opened a connection (established): in the state hook,
 * in this CPU's tally; elsewhere in the owners map. */
static __always_inline void pl_tally_opened(const struct pl_socket *e)
{
	struct pl_tally *t = pl_tally_of(e);

	if (t)
		t->opened++;
}

static __always_inline void pl_count_opened(const struct pl_socket *e)
{
	struct pl_owner_stats *stats = pl_owner_stats(&e->owner, e->comm, e->cgroup_id);

	if (stats)
		__sync_fetch_and_add(&stats->opened, 1);
}

/* The entry of a socket that has not reached CLOSE, or NULL. */
static __always_inline struct pl_socket *pl_ledger_find(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct pl_socket *e = bpf_map_lookup_elem(&ledger, &key);

	if (!e || e->closed)
		return NULL;
	barrier(); /* the rest of it is read after the closed byte (pl_ledger_put) */
	return e;
}

/* Where pl_ledger_put may write in place, besides a new map element. */
#define PL_OVER_CLOSED 0x1 /* a closed entry: the last socket at this address */
#define PL_OVER_LIVE 0x2   /* a live one: this socket's, or a missed close's */
/* a closed entry of another socket: its 4-tuple is not this one's, and this
 * one still has its port (a socket that closed gave its port back first) */
#define PL_OVER_OTHERS_CLOSED 0x4

static __always_inline bool pl_same_tuple(const struct pl_tuple *a, const struct pl_tuple *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	__u32 diff = 0;
	int i;

	for (i = 0; i < (int)(sizeof(*a) / sizeof(__u32)); i++)
		diff |= x[i] ^ y[i];
	return !diff;
}

/* May @entry, born now, take the place of @old (pl_ledger_put)? */
static __always_inline bool pl_may_take(const struct pl_socket *old, bool closed,
					const struct pl_socket *entry, __u8 over)
{
	if (over & (closed ? PL_OVER_CLOSED : PL_OVER_LIVE))
		return true;
	return closed && (over & PL_OVER_OTHERS_CLOSED) && entry->tuple.sport &&
	       !pl_same_tuple(&old->tuple, &entry->tuple);
}

/* Copy @src over the entry @dst, all but the closed byte. */
static __always_inline void pl_entry_copy(struct pl_socket *dst, const struct pl_socket *src)
{
	dst->owner = src->owner;
	dst->cgroup_id = src->cgroup_id;
	dst->created_ns = src->created_ns;
	dst->changed_ns = src->changed_ns;
	dst->tuple = src->tuple;
	dst->state = src->state;
	dst->origin = src->origin;
	dst->flags = src->flags;
	dst->seen_walk = src->seen_walk;
	__builtin_memcpy(dst->comm, src->comm, PL_COMM_LEN);
	dst->stack = src->stack;
}

/* Write @entry, born now, as the socket's; a full ledger is counted. 0, or
 * a negative errno (-EEXIST: an entry @over does not allow is there).
 *
 * The kernel gives a new socket the memory of one freed just before
 * (tcp_sock is a SLAB_TYPESAFE_BY_RCU cache), so the address usually has
 * the closed entry of the last socket there: that one is overwritten in
 * place, a lookup and a copy, where the insert and the delete at CLOSE
 * cost three times as much. Only a socket's creator takes a closed
 * entry's place (connect, listen, the softirq that makes a listener's
 * child): one writer per new socket, so the claim needs no atomic. accept
 * may run beside that softirq on another CPU, and the fd walk may have
 * read a socket that closed since, so accept never does, and the fd walk
 * only over another socket's closed entry (PL_OVER_OTHERS_CLOSED): when
 * the creator's run was missed, the socket is recorded by the next walk,
 * not only after userspace deleted that entry (a trace of minutes with no
 * report left such sockets charged to no one). The closed byte is cleared last: a reader that
 * sees the entry live sees all of it (x86-64 keeps stores in order; the
 * barrier keeps the compiler from merging or moving them). */
static __always_inline int pl_ledger_put(struct sock *sk, struct pl_socket *entry, __u8 over)
{
	__u64 key = (__u64)sk;
	struct pl_socket *old;
	bool closed;
	int err;

	entry->created_ns = pl_now_ns();
	entry->changed_ns = entry->created_ns;
	old = bpf_map_lookup_elem(&ledger, &key);
	if (old) {
		/* Read once: a live entry that closes meanwhile stays closed. */
		closed = *(volatile __u8 *)&old->closed;
		if (!pl_may_take(old, closed, entry, over))
			return -PL_EEXIST;
		pl_entry_copy(old, entry);
		barrier();
		if (closed)
			old->closed = 0;
		return 0;
	}
	err = pl_map_update(&ledger, &key, entry, BPF_NOEXIST);
	if (err && err != -PL_EEXIST)
		pl_count(PL_CNT_LEDGER_FULL);
	return err;
}

/* Record a socket under its owner, and in @entry: the current task's
 * process, or @task's for the walk (NULL otherwise). With @btf, the socket
 * and @task are BTF pointers. Process context only: this is the one place
 * where a socket gets its owner. @over as for pl_ledger_put: connect and
 * listen see a new socket and overwrite whatever is at its address. A
 * lookup and a write: the process's counters are created when first
 * counted. 0 when written, else a negative errno (-EEXIST: known already,
 * or closed). */
static __always_inline int pl_ledger_add(struct sock *sk, struct task_struct *task, __u8 state,
					 __u8 origin, __u8 flags, __u8 over, bool btf,
					 struct pl_socket *entry)
{
	__builtin_memset(entry, 0, sizeof(*entry));
	if (task)
		pl_owner_of(task, &entry->owner, &entry->cgroup_id, entry->comm, btf);
	else
		pl_current_owner(&entry->owner, &entry->cgroup_id, entry->comm, btf);
	/* Not CLOSE: skc_num holds the local port, if it has one yet. */
	pl_read_tuple(&sk->__sk_common, &entry->tuple, btf);
	entry->state = state;
	entry->origin = origin;
	entry->flags = flags;
	return pl_ledger_put(sk, entry, over);
}

/* The listening port of a listener, or of a child cloned from it. */
static __always_inline void pl_port_of(const struct sock *sk, struct pl_port_key *key, bool btf)
{
	key->netns = btf ? sk->__sk_common.skc_net.net->ns.inum
			 : BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	key->port = PL_READ(btf, sk, __sk_common.skc_num);
	key->pad = 0;
}

/* A listener (listen(), or found by the walk): its children go to its
 * owner. A listener without a port yet (listen() without bind() binds
 * later) is recorded by the next fd walk. */
static __always_inline void pl_listener_add(struct sock *sk, const struct pl_socket *e,
					    bool btf)
{
	struct pl_listener l = { .owner = e->owner, .cgroup_id = e->cgroup_id, .sk = (__u64)sk };
	struct pl_port_key key;

	pl_port_of(sk, &key, btf);
	if (!key.port)
		return;
	__builtin_memcpy(l.comm, e->comm, PL_COMM_LEN);
	if (pl_map_update(&listeners, &key, &l, BPF_ANY))
		pl_count(PL_CNT_LEDGER_FULL);
}

static __always_inline void pl_emit_failure(__u32 kind, __s32 err,
					    const struct pl_owner *owner,
					    const char *comm, __u64 cgroup_id,
					    const struct pl_tuple *tuple)
{
	struct pl_failure *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		pl_count(PL_CNT_EVENTS_LOST);
		return;
	}
	ev->owner = *owner;
	ev->cgroup_id = cgroup_id;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->tuple = *tuple;
	ev->kind = kind;
	ev->err = err;
	__builtin_memcpy(ev->comm, comm, PL_COMM_LEN);
	bpf_ringbuf_submit(ev, 0);
}

/* The value of @key in a failure map, inserted as @init if new. */
static __always_inline void *pl_fail_slot(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);
	int err;

	if (v)
		return v;
	err = pl_map_update(map, key, init, BPF_NOEXIST);
	if (err && err != -PL_EEXIST)
		pl_count(PL_CNT_FAILS_FULL);
	return bpf_map_lookup_elem(map, key);
}

/* Count one failed connect() or accept() of @owner, per peer too; @a: the
 * connect's SYNs and wait, when its socket was seen ending (or NULL);
 * @stack: the failing call's user stack (0: none). */
static __always_inline void pl_count_failure(const struct pl_owner *owner, const char *comm,
					     __u64 cgroup_id, __u32 call, __s32 err, __u32 by,
					     const struct pl_tuple *peer,
					     const struct pl_connect_try *a, __u64 stack)
{
	struct pl_fail_key key = { .owner = *owner, .peer = *peer, .call = call, .err = err,
				   .by = by };
	struct pl_dest_fail_key dkey = { .peer = *peer, .err = err };
	struct pl_fail_count init = { .cgroup_id = cgroup_id };
	struct pl_fail_count *f;
	__u64 zero = 0, *n;

	__builtin_memcpy(init.comm, comm, PL_COMM_LEN);
	f = pl_fail_slot(&fails, &key, &init);
	if (f) {
		__sync_fetch_and_add(&f->count, 1);
		f->last_ns = bpf_ktime_get_ns();
		if (stack)
			f->stack = stack;
		if (a) {
			__sync_fetch_and_add(&f->attempts, 1);
			__sync_fetch_and_add(&f->sum.syns, a->syns);
			__sync_fetch_and_add(&f->sum.waited_ns, a->waited_ns);
		}
	}
	if (!peer->family)
		return;
	n = pl_fail_slot(&dest_fails, &dkey, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/* The inode behind socket:[N] in /proc/PID/fd, or 0 for a socket without
 * a struct socket (orphaned). struct socket is the first member of struct
 * socket_alloc, which holds the inode. */
static __always_inline __u64 pl_inode_of(const struct socket *sock)
{
	return sock ? BPF_CORE_READ((struct socket_alloc *)sock, vfs_inode.i_ino) : 0;
}

static __always_inline __u64 pl_socket_ino(const struct sock *sk)
{
	return pl_inode_of(BPF_CORE_READ(sk, sk_socket));
}

/* The struct socket behind @file, or NULL when it is not a socket.
 * Through the socket's own back pointer rather than bpf_sock_from_file()
 * (5.11+), so that 5.10 resolves sockets too. */
static __always_inline struct socket *pl_socket_of_file(struct file *file)
{
	struct socket *sock;
	umode_t mode;

	if (!file)
		return 0;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & PL_S_IFMT) != PL_S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return 0;
	return sock;
}

static __always_inline struct sock *pl_sock_of_file(struct file *file)
{
	struct socket *sock = pl_socket_of_file(file);

	return sock ? BPF_CORE_READ(sock, sk) : 0;
}

/* The socket behind fd @fd of the current process, or NULL. */
static __always_inline struct sock *pl_sock_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return pl_sock_of_file(file);
}

#endif
