// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Failed connect() and accept() calls, counted at the syscall's exit in
 * the caller's context: the errors that never reach the state hook.
 *   connect: what fails before the SYN (no route: ENETUNREACH,
 *            EHOSTUNREACH; a filter or an LSM: EACCES, EPERM; ...). The
 *            outcomes after it (ECONNREFUSED, ETIMEDOUT, EADDRNOTAVAIL)
 *            are the state hook's (ledger.bpf.c): connect_done tells
 *            which failures it counted, so that none counts twice.
 *   accept:  EMFILE, ENFILE, ENOBUFS, ENOMEM, ...: the fd or the memory for
 *            a new socket is not there; the connection waits in the queue.
 * Three ways, as for accept (user/loader/hooks.c loads one):
 *   fexit     __sys_connect, __sys_accept4;
 *   kprobe    the same through kprobe + kretprobe;
 *   syscall   sys_exit_connect, and sys_exit_accept(4) in accept.bpf.c;
 *             the arguments from the saved user registers (pl_syscall_arg0). */
#include "calls.bpf.h"
#include <bpf/bpf_tracing.h>

/* The destination connect() was asked for, from its sockaddr. */
static __always_inline void pl_read_peer(const void *uaddr, struct sock *sk,
					 struct pl_tuple *peer)
{
	struct sockaddr_in6 sa = {};

	bpf_probe_read_user(&sa, sizeof(sa), uaddr);
	peer->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	peer->family = (__u8)sa.sin6_family;
	peer->dport = bpf_ntohs(sa.sin6_port);
	if (peer->family == PL_AF_INET)
		__builtin_memcpy(peer->daddr, &((struct sockaddr_in *)&sa)->sin_addr, 4);
	else if (peer->family == PL_AF_INET6)
		__builtin_memcpy(peer->daddr, &sa.sin6_addr, PL_ADDR_LEN);
	else
		peer->family = 0;
}

static __always_inline int pl_on_connect_exit(void *ctx, long fd, const void *uaddr, long ret)
{
	struct pl_tuple peer = {};
	struct sock *sk;
	__u64 key, *ino;
	bool counted;

	if (pl_not_a_failure(ret))
		return 0;
	sk = pl_sock_of_fd(fd);
	if (!sk || !pl_is_tcp(sk))
		return 0;
	key = (__u64)sk;
	ino = bpf_map_lookup_elem(&connect_done, &key);
	if (ino) {
		counted = *ino == pl_socket_ino(sk); /* else: an earlier socket's */
		bpf_map_delete_elem(&connect_done, &key);
		if (counted)
			return 0; /* the state hook counted it */
	}
	pl_read_peer(uaddr, sk, &peer);
	pl_count_mine(ctx, PL_CALL_CONNECT, (__s32)-ret, &peer);
	return 0;
}

SEC("fexit/__sys_connect")
int BPF_PROG(connect_fexit, int fd, void *uaddr, int addrlen, int ret)
{
	return pl_on_connect_exit(ctx, fd, uaddr, ret);
}

SEC("kprobe/__sys_connect")
int BPF_KPROBE(connect_kprobe, int fd, void *uaddr)
{
	pl_save_call(fd, uaddr);
	return 0;
}

SEC("kretprobe/__sys_connect")
int BPF_KRETPROBE(connect_kretprobe, int ret)
{
	struct pl_call_args args;

	if (pl_take_call(&args) == 0)
		pl_on_connect_exit(ctx, args.fd, (void *)args.addr, ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (pl_not_a_failure(ctx->ret))
		return 0;
	return pl_on_connect_exit(ctx, pl_syscall_arg0(), (void *)pl_syscall_arg1(), ctx->ret);
}

SEC("fexit/__sys_accept4")
int BPF_PROG(accept_fail_fexit, int fd, void *upeer, int *upeer_len, int flags, int ret)
{
	return pl_on_accept_failure(ctx, fd, ret);
}

SEC("kprobe/__sys_accept4")
int BPF_KPROBE(accept_fail_kprobe, int fd)
{
	pl_save_call(fd, 0);
	return 0;
}

SEC("kretprobe/__sys_accept4")
int BPF_KRETPROBE(accept_fail_kretprobe, int ret)
{
	struct pl_call_args args;

	if (pl_take_call(&args) == 0)
		pl_on_accept_failure(ctx, args.fd, ret);
	return 0;
}
