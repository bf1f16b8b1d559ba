/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Failed connect() and accept() calls at their exits (fails.bpf.c, and
 * accept.bpf.c for the syscall plan): the arguments kept from the entry,
 * and the counting. */
#ifndef PORTLEAK_CALLS_BPF_H
#define PORTLEAK_CALLS_BPF_H

#include "origins.bpf.h"

#define PL_EINTR 4
#define PL_EAGAIN 11
#define PL_EALREADY 114
#define PL_EINPROGRESS 115
#define PL_EISCONN 106
#define PL_ERESTARTSYS 512
#define PL_ERESTART_RESTARTBLOCK 516

/* Not a failure of the call: try again, still going, interrupted. */
static __always_inline int pl_not_a_failure(long ret)
{
	long err = -ret;

	return ret >= 0 || err == PL_EAGAIN || err == PL_EINPROGRESS || err == PL_EALREADY ||
	       err == PL_EISCONN || err == PL_EINTR ||
	       (err >= PL_ERESTARTSYS && err <= PL_ERESTART_RESTARTBLOCK);
}

/* Count a failure of the current process's call; a failed connect's
 * stack with it (origins.bpf.h). */
static __always_inline void pl_count_mine(void *ctx, __u32 call, __s32 err,
					  const struct pl_tuple *peer)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pl_owner owner;
	char comm[PL_COMM_LEN];
	__u64 cgroup_id, stack;

	pl_owner_of(task, &owner, &cgroup_id, comm, false);
	stack = call == PL_CALL_CONNECT ? pl_capture_failure(ctx, owner.tgid) : 0;
	pl_count_failure(&owner, comm, cgroup_id, call, err, PL_BY_KERNEL, peer, NULL, stack);
}

static __always_inline int pl_on_accept_failure(void *ctx, long fd, long ret)
{
	struct pl_tuple none = {};
	struct sock *sk;

	if (pl_not_a_failure(ret))
		return 0;
	sk = pl_sock_of_fd(fd);
	if (!sk || !pl_is_tcp(sk))
		return 0; /* a unix socket's accept, say */
	pl_count_mine(ctx, PL_CALL_ACCEPT, (__s32)-ret, &none);
	return 0;
}

static __always_inline void pl_save_call(long fd, const void *addr)
{
	struct pl_call_args args = { .addr = (__u64)addr, .fd = (__s32)fd };
	__u64 id = bpf_get_current_pid_tgid();

	if (bpf_map_update_elem(&call_args, &id, &args, BPF_ANY))
		pl_count(PL_CNT_PENDING_FULL);
}

/* The arguments saved at the entry, forgotten now; 0 if found. */
static __always_inline int pl_take_call(struct pl_call_args *args)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pl_call_args *saved = bpf_map_lookup_elem(&call_args, &id);

	if (!saved)
		return -1;
	*args = *saved;
	bpf_map_delete_elem(&call_args, &id);
	return 0;
}

#endif
