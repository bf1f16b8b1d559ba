/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Consumer of the failure ring buffer (bpf/failures.h). */
#ifndef PORTLEAK_FAILURES_USER_H
#define PORTLEAK_FAILURES_USER_H

#include <stddef.h>
#include <linux/types.h>

#include "failures.h"
#include "model/model.h" /* PL_ERRNO_MAX */

#define PL_FAILURES_KEPT 65536 /* more are counted in .dropped */

struct ring_buffer;

struct pl_failures {
	struct ring_buffer *rb;
	struct pl_failure *items;
	size_t n, cap;
	__u64 dropped;
	__u64 tally[PL_FAIL_BIND + 1][PL_ERRNO_MAX]; /* [kind][errno], never expired */
};

int failures__open(struct pl_failures *f, int ringbuf_fd);
/* Read what arrived, waiting at most @timeout_ms: how many events were
 * read, or negative errno. */
int failures__poll(struct pl_failures *f, int timeout_ms);
/* Forget events older than @before_ns (their counts stay in the kernel). */
void failures__expire(struct pl_failures *f, __u64 before_ns);
void failures__close(struct pl_failures *f);

#endif
