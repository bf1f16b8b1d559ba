/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The contexts of the iterators, declared without CO-RE. Their layout is
 * part of the program's interface with the kernel (the verifier checks
 * every load from them against the kernel's own type, one 8-byte slot per
 * field), so there is nothing to relocate, and libbpf need not search
 * the kernel's 126,000 types for each at every load: about 0.9 ms a type,
 * on the path of a snapshot. */
#ifndef PORTLEAK_ITER_CTX_BPF_H
#define PORTLEAK_ITER_CTX_BPF_H

#include "vmlinux.h"

/* struct bpf_iter_meta */
struct pl_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
};

/* struct bpf_iter__tcp */
struct pl_iter_tcp {
	struct pl_iter_meta *meta;
	struct sock_common *sk_common;
	__u64 uid; /* uid_t, in a slot of its own */
};

/* struct bpf_iter__task_file */
struct pl_iter_task_file {
	struct pl_iter_meta *meta;
	struct task_struct *task;
	__u64 fd; /* u32, in a slot of its own */
	struct file *file;
};

#endif
