// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The walks (user/walk.c runs them).
 * walk_fds:  every fd of every process; a TCP socket that the ledger does
 *            not know yet is recorded under the process holding it. This is
 *            how sockets opened before portleak started get their owner.
 * walk_tcp:  every TCP socket of the reader's network namespace, TIME_WAIT
 *            and request sockets included, as struct pl_tcp_record. */
#include "common.bpf.h"
#include "walk.h"

SEC("iter/task_file")
int walk_fds(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct sock *sk;
	__u8 state;

	if (!task)
		return 0;
	sk = pl_sock_of_file(ctx->file);
	if (!sk || !pl_is_tcp(sk))
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == PL_TCP_CLOSE)
		return 0; /* not connected, bound or listening: nothing held */
	pl_ledger_add(sk, task, state, PL_ORIGIN_WALK, 0);
	return 0;
}

SEC("iter/tcp")
int walk_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct pl_tcp_record rec = {};

	if (!skc)
		return 0;
	rec.sk = (__u64)skc;
	pl_read_tuple(skc, &rec.tuple);
	rec.state = BPF_CORE_READ(skc, skc_state);
	rec.kind = PL_REC_FULL;
	if (rec.state == PL_TCP_TIME_WAIT) {
		rec.kind = PL_REC_TIMEWAIT;
		rec.state = BPF_CORE_READ((struct inet_timewait_sock *)skc,
					  tw_substate);
	} else if (rec.state == PL_TCP_NEW_SYN_RECV) {
		rec.kind = PL_REC_REQUEST;
		rec.state = PL_TCP_SYN_RECV;
		rec.listener = (__u64)BPF_CORE_READ(skc, skc_listener);
	}
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
