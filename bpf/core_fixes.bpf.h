/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel differences, all in one place. Each fix names the kernel version
 * (and commit) where the layout or signature changed. */
#ifndef PORTLEAK_CORE_FIXES_BPF_H
#define PORTLEAK_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/* sk_protocol was an 8-bit bitfield until 5.6 (commit bf9765145b85 "sock:
 * make sk_protocol a 16-bit value"); the probed bitfield read handles both. */
static __always_inline __u16 pl_sk_protocol(const struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/* kernfs_node::id became a plain u64 in 5.5 (commit 67c0496e87d1); before
 * that it was union kernfs_node_id, whose .id member holds the same value. */
union kernfs_node_id___old {
	struct {
		__u32 ino;
		__u32 generation;
	};
	__u64 id;
};

struct kernfs_node___old {
	union kernfs_node_id___old id;
};

static __always_inline __u64 pl_kernfs_id(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(((struct kernfs_node___old *)0)->id.ino))
		return BPF_CORE_READ((struct kernfs_node___old *)kn, id.id);
	return BPF_CORE_READ(kn, id);
}

/* inet_csk_accept() lost its flags/err/kern arguments in 6.10 (commit
 * 92ef0fd55ac8 "net: change proto and proto_ops accept type"), which moves
 * the fexit return value. A ctx offset must be a constant, so accept.bpf.c
 * has one program per signature and userspace loads the one that matches
 * (hooks__select). */

#endif
