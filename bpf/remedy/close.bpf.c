// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak close on kernels with the bpf_sock_destroy() kfunc (6.5+): walk
 * the TCP sockets of the reader's network namespace and destroy the ones
 * userspace chose, each only if it still is what was chosen (same socket,
 * namespace, 4-tuple and state). A separate object from the agent: a
 * kernel without the kfunc still loads the agent. The iterator holds the
 * socket's lock while this runs, as bpf_sock_destroy() requires. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "doomed.h"
#include "iter_ctx.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern int bpf_sock_destroy(struct sock_common *sk) __ksym;

/* Chosen sockets, keyed by struct sock address. Userspace inserts them
 * before a walk and deletes the map with the program; the program only
 * updates the result of an entry it meets. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_DOOMED_MAX);
	__type(key, __u64);
	__type(value, struct pl_doomed);
} doomed SEC(".maps");

static __always_inline int same_tuple(const struct sock_common *skc, const struct pl_tuple *t)
{
	__u32 i;

	if (skc->skc_net.net->ns.inum != t->netns || skc->skc_family != t->family ||
	    skc->skc_num != t->sport || bpf_ntohs(skc->skc_dport) != t->dport)
		return 0;
	if (t->family == PL_AF_INET)
		return skc->skc_rcv_saddr == *(const __u32 *)t->saddr &&
		       skc->skc_daddr == *(const __u32 *)t->daddr;
	for (i = 0; i < PL_ADDR_LEN; i++)
		if (skc->skc_v6_rcv_saddr.in6_u.u6_addr8[i] != t->saddr[i] ||
		    skc->skc_v6_daddr.in6_u.u6_addr8[i] != t->daddr[i])
			return 0;
	return 1;
}

SEC("iter/tcp")
int close_chosen(struct pl_iter_tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct pl_doomed *d;
	__u64 key;
	int err;

	if (!skc)
		return 0;
	key = (__u64)skc;
	d = bpf_map_lookup_elem(&doomed, &key);
	if (!d || d->result != PL_DOOM_PENDING)
		return 0;
	if (skc->skc_state != d->state || !same_tuple(skc, &d->tuple)) {
		d->result = PL_DOOM_CHANGED;
		return 0;
	}
	err = bpf_sock_destroy(skc);
	d->err = err;
	d->result = err ? PL_DOOM_FAILED : PL_DOOM_DESTROYED;
	return 0;
}
