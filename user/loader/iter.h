/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading a BPF iterator (iter/tcp, iter/task_file) to its end, however
 * many objects the host has. */
#ifndef PORTLEAK_ITER_H
#define PORTLEAK_ITER_H

#include <stddef.h>

struct bpf_link;

/* Run the iterator of @link to its end; its output, records of @rec_size
 * bytes, goes to @sink (may be NULL), which may stop the walk with a
 * negative errno. 0, or negative errno. */
int iter__run(struct bpf_link *link, size_t rec_size,
	      int (*sink)(void *ctx, const char *buf, size_t len), void *ctx);

#endif
