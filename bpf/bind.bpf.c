// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* bind() failures. inet_csk_get_port() runs for bind() with a port and for
 * autobind in listen(); its failure is EADDRINUSE. It has no tracepoint, so
 * three ways, best first (user/loader/hooks.c loads one):
 *   fexit      inet_csk_get_port: EADDRINUSE, bind() and listen() autobind;
 *   kprobe     the same through kprobe + kretprobe;
 *   syscall    sys_exit_bind: every errno of bind() (EADDRINUSE,
 *              EADDRNOTAVAIL, EACCES, ...), but listen() autobind is not
 *              seen, and every syscall on the host pays for the hook. The
 *              arguments come from the saved user registers. */
#include "common.bpf.h"
#include <bpf/bpf_tracing.h>

static __always_inline void pl_on_bind_failure(struct sock *sk, __u16 port,
					       __s32 err)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pl_owner_stats *stats;
	struct pl_tuple tuple = {};
	struct pl_owner owner;
	char comm[PL_COMM_LEN];
	__u64 cgroup_id;

	if (!sk || !pl_is_tcp(sk))
		return;
	pl_owner_of(task, &owner, &cgroup_id, comm, false);
	pl_read_sock_tuple(sk, &tuple, false);
	tuple.sport = port;
	stats = pl_owner_stats(&owner, comm, cgroup_id);
	if (stats)
		__sync_fetch_and_add(&stats->bind_failures, 1);
	pl_emit_failure(PL_FAIL_BIND, err, &owner, comm, cgroup_id, &tuple);
}

static __always_inline void pl_save_bind_args(struct pl_bind_args *args)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (bpf_map_update_elem(&bind_args, &id, args, BPF_ANY))
		pl_count(PL_CNT_PENDING_FULL);
}

/* Returns the saved arguments in @args and forgets them; 0 if found. */
static __always_inline int pl_take_bind_args(struct pl_bind_args *args)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pl_bind_args *saved = bpf_map_lookup_elem(&bind_args, &id);

	if (!saved)
		return -1;
	*args = *saved;
	bpf_map_delete_elem(&bind_args, &id);
	return 0;
}

SEC("fexit/inet_csk_get_port")
int BPF_PROG(bind_fexit, struct sock *sk, unsigned short snum, int ret)
{
	if (ret)
		pl_on_bind_failure(sk, snum, PL_EADDRINUSE);
	return 0;
}

SEC("kprobe/inet_csk_get_port")
int BPF_KPROBE(bind_kprobe, struct sock *sk, unsigned short snum)
{
	struct pl_bind_args args = { .sk = (__u64)sk, .port = snum };

	pl_save_bind_args(&args);
	return 0;
}

SEC("kretprobe/inet_csk_get_port")
int BPF_KRETPROBE(bind_kretprobe, int ret)
{
	struct pl_bind_args args;

	if (pl_take_bind_args(&args) == 0 && ret)
		pl_on_bind_failure((struct sock *)args.sk, args.port, PL_EADDRINUSE);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int bind_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct sockaddr_in *addr;
	__u16 family = 0, port = 0;

	if (ctx->ret >= 0)
		return 0;
	/* sin_family and sin_port sit at the same place in sockaddr_in6. */
	addr = (struct sockaddr_in *)pl_syscall_arg1();
	bpf_probe_read_user(&family, sizeof(family), &addr->sin_family);
	if (family != PL_AF_INET && family != PL_AF_INET6)
		return 0;
	bpf_probe_read_user(&port, sizeof(port), &addr->sin_port);
	pl_on_bind_failure(pl_sock_of_fd(pl_syscall_arg0()), bpf_ntohs(port), (__s32)-ctx->ret);
	return 0;
}
