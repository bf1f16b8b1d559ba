/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel differences: the CO-RE fixes live here, each with the kernel
 * version (and commit) where the layout or signature changed. The few that
 * are not a field or a signature are handled where they bite, and listed
 * here so that this file stays the index of them all:
 *  - bpf_sock_from_file() exists from 5.11 only: the fd walk (walk.bpf.c)
 *    uses it there and reads the socket by plain loads; on 5.10
 *    pl_sock_of_file() (common.bpf.h) goes from the file to its socket
 *    through the socket inode, by probe reads.
 *  - bpf_get_current_task_btf() (5.11): BTF-typed hooks read the current
 *    process by plain loads (pl_current_owner, common.bpf.h), probe reads
 *    before.
 *  - socket storage for tracing programs (5.11): not used; the ledger is a
 *    hash map on every kernel (maps.bpf.h).
 *  - hash maps allocate their elements on insert, from the BPF memory
 *    allocator, from 6.1: user/loader/agent.c asks for that there
 *    (BPF_F_NO_PREALLOC), and preallocates before.
 *  - inet_csk_accept()'s two signatures (6.10, below): one fexit program
 *    each in accept.bpf.c; user/loader/hooks.c loads the one that matches.
 *  - bpf_prog_info.recursion_misses (5.12): user/loader/agent.c reads it;
 *    older kernels report 0 missed runs.
 *  - the ring buffer (5.8): required; doctor says when it is missing.
 *  - CONFIG_HZ differs between kernels: the walk reads jiffies_64 with
 *    CLOCK_MONOTONIC and user/model/clocks.c derives HZ from them.
 *  - the bpf_sock_destroy() kfunc (6.5): bpf/remedy/close.bpf.c is an
 *    object of its own; user/loader/remedy.c looks for the kfunc in the
 *    kernel's BTF and falls back to sock_diag's SOCK_DESTROY (a module
 *    option, CONFIG_INET_DIAG_DESTROY).
 *  - the user registers of the current task: bpf_task_pt_regs() (5.15)
 *    where it exists, else found below the task's kernel stack
 *    (pl_user_regs, below): the origins' caller and the arguments of a
 *    system call at its exit.
 *  - map operations returned int until 6.4 (commit d7ba4cc900bf "bpf:
 *    return long from bpf_map_ops funcs"): a helper inlined into a call
 *    of the map's own function leaves the upper half of the error 0, so
 *    -EEXIST reads as 4294967279. Errors are compared as int
 *    (pl_map_update, below).
 *  - the state hook runs after tcp_set_state() gave the port back
 *    (inet_num = 0) on every kernel: ledger.bpf.c tells a connect that got
 *    no port by inet_sport, which only a bind or a connect sets. */
#ifndef PORTLEAK_CORE_FIXES_BPF_H
#define PORTLEAK_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "walk.h"

/* sk_protocol was an 8-bit bitfield until 5.6 (commit bf9765145b85 "sock:
 * make sk_protocol a 16-bit value"); the probed bitfield read handles both. */
static __always_inline __u16 pl_sk_protocol(const struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/* inet_csk_accept() lost its flags/err/kern arguments in 6.10 (commit
 * 92ef0fd55ac8 "net: change proto and proto_ops accept type"), which moves
 * the fexit return value. A ctx offset must be a constant, so accept.bpf.c
 * has one program per signature and userspace loads the one that matches
 * (the program table of user/loader/hooks.c). */

/* The per-socket clocks of a full TCP socket, 32-bit tcp_jiffies32 stamps
 * that tcp_get_info() turns into lastsnd/lastrcv/lastack. All three have
 * been in struct tcp_sock / inet_connection_sock since long before 5.10;
 * a kernel without one leaves it 0 (read as "unknown"). */
static __always_inline void pl_tcp_clocks(struct tcp_sock *tp, struct pl_sock_clocks *c,
					 bool btf)
{
	if (bpf_core_field_exists(tp->rcv_tstamp))
		c->rcv_tstamp = btf ? tp->rcv_tstamp : BPF_CORE_READ(tp, rcv_tstamp);
	if (bpf_core_field_exists(tp->lsndtime))
		c->lsndtime = btf ? tp->lsndtime : BPF_CORE_READ(tp, lsndtime);
	if (bpf_core_field_exists(tp->inet_conn.icsk_ack.lrcvtime))
		c->lrcvtime = btf ? tp->inet_conn.icsk_ack.lrcvtime
				  : BPF_CORE_READ(tp, inet_conn.icsk_ack.lrcvtime);
}

/* When a timewait socket's timer fires, in jiffies: the kernel set it to
 * the moment of entry plus TCP_TIMEWAIT_LEN. tw_timer is a struct
 * timer_list on every kernel portleak supports (5.10+) but has been
 * reworked around; a kernel without tw_timer.expires reports 0, and the
 * socket's age is then unknown. */
static __always_inline __u64 pl_tw_expires(struct inet_timewait_sock *tw)
{
	if (!bpf_core_field_exists(tw->tw_timer.expires))
		return 0;
	return BPF_CORE_READ(tw, tw_timer.expires);
}

/* The packets a socket dropped: sk_drops, plus on 6.17+ the per-NUMA-node
 * counters a socket may have beside it (sk_drop_counters, NULL for TCP
 * listeners today; sk_drops_read() adds both). */
struct numa_drop_counters___pl {
	atomic_t drops0;
	atomic_t drops1;
} __attribute__((preserve_access_index));

struct sock___drops {
	struct numa_drop_counters___pl *sk_drop_counters;
} __attribute__((preserve_access_index));

static __always_inline __u64 pl_sk_drops(struct sock *sk)
{
	struct sock___drops *s = (void *)sk;
	struct numa_drop_counters___pl *c;
	__u64 drops = (__u32)BPF_CORE_READ(sk, sk_drops.counter);

	if (!bpf_core_field_exists(s->sk_drop_counters))
		return drops;
	c = BPF_CORE_READ(s, sk_drop_counters);
	if (c)
		drops += (__u32)BPF_CORE_READ(c, drops0.counter) +
			 (__u32)BPF_CORE_READ(c, drops1.counter);
	return drops;
}

/* bpf_map_update_elem()'s result as an int: 0 or a negative errno on
 * every kernel (see above). */
static __always_inline int pl_map_update(void *map, const void *key, const void *value,
					 __u64 flags)
{
	return (int)bpf_map_update_elem(map, key, value, flags);
}

/* x86-64's THREAD_SIZE without KASAN (arch/x86/include/asm/page_64_types.h):
 * the user registers sit at the top of the task's kernel stack. */
#define PL_THREAD_SIZE (4096 << 2)

/* The user registers of the current task, in process context, for probe
 * reads. bpf_task_pt_regs() came in 5.15 (commit dd6e10fbd9fb); 5.10
 * finds them where task_pt_regs() does. */
static __always_inline struct pt_regs *pl_user_regs(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return (struct pt_regs *)((char *)BPF_CORE_READ(task, stack) + PL_THREAD_SIZE) - 1;
}

/* The user stack pointer of the current task; 0 when unknown. */
static __always_inline __u64 pl_user_sp(void)
{
	return BPF_CORE_READ(pl_user_regs(), sp);
}

/* A system call's first two arguments, at its exit: x86-64 passes them in
 * rdi and rsi, which the saved user registers keep through the call, so
 * a syscall exit needs no entry program to remember them. */
static __always_inline long pl_syscall_arg0(void)
{
	return (long)BPF_CORE_READ(pl_user_regs(), di);
}

static __always_inline long pl_syscall_arg1(void)
{
	return (long)BPF_CORE_READ(pl_user_regs(), si);
}

#endif
