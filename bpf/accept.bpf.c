// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Accepted sockets are born in softirq, where the state hook charges them
 * to their listener's owner; their owner is the process that accept()s
 * them. Three ways to see that moment, best first; userspace loads one
 * (user/loader/hooks.c). */
#include "calls.bpf.h"
#include "origins.bpf.h"
#include <bpf/bpf_tracing.h>

/* An accept() of a socket the state hook charged to its listener's owner
 * (PL_FLAG_QUEUED): by that owner, it only confirms it (true); by another
 * process (a pre-fork server), the socket's opening moves to that one. */
static __always_inline bool pl_confirm_child(struct pl_socket *entry, struct task_struct *task)
{
	struct pl_owner_stats *stats;

	entry->flags &= ~PL_FLAG_QUEUED;
	if (pl_is_owner(task, &entry->owner))
		return true;
	if (entry->flags & PL_FLAG_ESTABLISHED) {
		stats = bpf_map_lookup_elem(&owners, &entry->owner);
		if (stats)
			__sync_fetch_and_add(&stats->opened, -1);
	}
	return false;
}

static __always_inline int pl_on_accept(void *ctx, struct sock *sk, bool btf)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pl_socket *entry, new;
	__u8 state;

	if (!sk || !pl_is_tcp(sk))
		return 0;
	entry = pl_ledger_find(sk);
	if (entry && (entry->flags & PL_FLAG_QUEUED) && pl_confirm_child(entry, task)) {
		pl_capture_origin(ctx, entry);
		return 0;
	}
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == PL_TCP_CLOSE)
		return 0; /* reset before accept(): its CLOSE has come and gone */
	/* Never over a closed entry: the softirq that makes the child may be
	 * taking its place on another CPU right now (pl_ledger_put). */
	if (pl_ledger_add(sk, NULL, state, PL_ORIGIN_ACCEPT, PL_FLAG_ESTABLISHED, PL_OVER_LIVE,
			  btf, &new))
		return 0;
	pl_count_opened(&new);
	pl_capture_origin_at(ctx, sk, new.owner.tgid);
	return 0;
}

/* Since 6.10: inet_csk_accept(sk, arg) (see core_fixes.bpf.h). */
SEC("fexit/inet_csk_accept")
int BPF_PROG(accept_fexit, struct sock *sk, void *arg, struct sock *ret)
{
	return pl_on_accept(ctx, ret, true);
}

/* Before 6.10: inet_csk_accept(sk, flags, err, kern). */
SEC("fexit/inet_csk_accept")
int BPF_PROG(accept_fexit_old, struct sock *sk, int flags, int *err, bool kern,
	     struct sock *ret)
{
	return pl_on_accept(ctx, ret, true);
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(accept_kretprobe, struct sock *sk)
{
	return pl_on_accept(ctx, sk, false);
}

/* The syscall plan: the failure of accept() on the listening fd, its
 * first argument; or the new fd's socket, which the state hook charged to
 * its listener's owner already. Looking it up through the fd table costs
 * more than the rest of a connection's tracing, so that is done only for
 * a process whose stacks are wanted; another process that accepts it is
 * found by the fd walk. */
static __always_inline int pl_on_accept_exit(void *ctx, long ret)
{
	if (ret < 0)
		return pl_on_accept_failure(ctx, pl_syscall_arg0(), ret);
	if (!pl_wants_stack(bpf_get_current_pid_tgid() >> 32))
		return 0;
	return pl_on_accept(ctx, pl_sock_of_fd(ret), false);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return pl_on_accept_exit(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return pl_on_accept_exit(ctx, ctx->ret);
}
