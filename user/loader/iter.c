// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/iter.h"

/* A read of an iterator fails with EAGAIN when it visited a million
 * objects (fds, sockets) without writing, and carries on where it stopped
 * at the next read (bpf_seq_read): a host with 1.1 million fds is a host
 * like another. Each EAGAIN is a million objects of progress; this many
 * in one walk means the kernel is not moving on. */
#define ITER_AGAIN_MAX 100000

/* Run an iterator to its end; its output, records of @rec_size bytes,
 * goes to @sink (may be NULL). Each read asks for whole records, and
 * every run of the program writes one, so none is ever split. */
int iter__run(struct bpf_link *link, size_t rec_size,
	      int (*sink)(void *ctx, const char *buf, size_t len), void *ctx)
{
	char buf[8192];
	size_t want = sizeof(buf) / rec_size * rec_size;
	int fd = bpf_iter_create(bpf_link__fd(link)), err = 0, again = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf, want);
		if (n < 0 && (errno == EINTR || (errno == EAGAIN && ++again < ITER_AGAIN_MAX)))
			continue;
		if (n <= 0 || (sink && (err = sink(ctx, buf, (size_t)n))))
			break;
	}
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}
