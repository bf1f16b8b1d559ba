// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "loader/failures_user.h"
#include "lib/array.h"

static int keep_failure(void *ctx, void *data, size_t size)
{
	const struct pl_failure *ev = data;
	struct pl_failures *f = ctx;

	if (size < sizeof(struct pl_failure))
		return 0;
	if (ev->kind <= PL_FAIL_BIND && ev->err >= 0 && ev->err < PL_ERRNO_MAX)
		f->tally[ev->kind][ev->err]++;
	if (f->n >= PL_FAILURES_KEPT ||
	    array__reserve(&f->items, &f->cap, f->n + 1, sizeof(*f->items), 64)) {
		f->dropped++;
		return 0;
	}
	memcpy(&f->items[f->n++], data, sizeof(struct pl_failure));
	return 0;
}

int failures__open(struct pl_failures *f, int ringbuf_fd)
{
	memset(f, 0, sizeof(*f));
	f->rb = ring_buffer__new(ringbuf_fd, keep_failure, f, NULL);
	return f->rb ? 0 : -errno;
}

int failures__poll(struct pl_failures *f, int timeout_ms)
{
	int n = ring_buffer__poll(f->rb, timeout_ms);

	return n == -EINTR ? 0 : n;
}

void failures__expire(struct pl_failures *f, __u64 before_ns)
{
	size_t i, kept = 0;

	for (i = 0; i < f->n; i++)
		if (f->items[i].ts_ns >= before_ns)
			f->items[kept++] = f->items[i];
	f->n = kept;
}

void failures__close(struct pl_failures *f)
{
	ring_buffer__free(f->rb);
	free(f->items);
	memset(f, 0, sizeof(*f));
}
