// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Accepted sockets are born in softirq; their owner is the process that
 * accept()s them. Three ways to see that moment, best first; userspace
 * loads one (user/loader/hooks.c). Sockets still in an accept queue have no entry
 * and are charged to their listener's owner by userspace. */
#include "calls.bpf.h"
#include "origins.bpf.h"
#include <bpf/bpf_tracing.h>

static __always_inline int pl_on_accept(void *ctx, struct sock *sk)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pl_owner_stats *stats;
	struct pl_socket *entry;
	__u8 state;

	if (!sk || !pl_is_tcp(sk))
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == PL_TCP_CLOSE)
		return 0; /* reset before accept(): its CLOSE has come and gone */
	entry = pl_ledger_add(sk, task, state, PL_ORIGIN_ACCEPT, PL_FLAG_ESTABLISHED);
	if (!entry)
		return 0;
	stats = bpf_map_lookup_elem(&owners, &entry->owner);
	if (stats)
		__sync_fetch_and_add(&stats->opened, 1);
	pl_capture_origin(ctx, entry);
	return 0;
}

/* Since 6.10: inet_csk_accept(sk, arg) (see core_fixes.bpf.h). */
SEC("fexit/inet_csk_accept")
int BPF_PROG(accept_fexit, struct sock *sk, void *arg, struct sock *ret)
{
	return pl_on_accept(ctx, ret);
}

/* Before 6.10: inet_csk_accept(sk, flags, err, kern). */
SEC("fexit/inet_csk_accept")
int BPF_PROG(accept_fexit_old, struct sock *sk, int flags, int *err, bool kern,
	     struct sock *ret)
{
	return pl_on_accept(ctx, ret);
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(accept_kretprobe, struct sock *sk)
{
	return pl_on_accept(ctx, sk);
}

/* The syscall plan: the new fd's socket, or the failure (the listening
 * fd saved by fails.bpf.c at the syscall's entry). */
static __always_inline int pl_on_accept_exit(void *ctx, long ret)
{
	struct pl_call_args args;
	int saved = pl_take_call(&args);

	if (ret < 0)
		return saved ? 0 : pl_on_accept_failure(args.fd, ret);
	return pl_on_accept(ctx, pl_sock_of_fd(ret));
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
