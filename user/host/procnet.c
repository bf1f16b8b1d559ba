// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/procnet.h"
#include "lib/array.h"

static int count_file(const char *path, __u64 *counts)
{
	char line[512];
	unsigned int state;
	FILE *f = fopen(path, "re");

	if (!f)
		return errno == ENOENT ? 0 : -errno; /* no IPv6: no tcp6 */
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return -EIO;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*s %*s %*s %x", &state) == 1 && state < PL_TCP_NR_STATES)
			counts[state]++;
	fclose(f);
	return 0;
}

int procnet__count_states(__u64 counts[PL_TCP_NR_STATES])
{
	int err;

	memset(counts, 0, PL_TCP_NR_STATES * sizeof(*counts));
	err = count_file("/proc/self/net/tcp", counts);
	return err ? err : count_file("/proc/self/net/tcp6", counts);
}

struct holders {
	struct pl_holder *items;
	size_t n, cap;
};

static int add_holder(struct holders *h, __u64 ino, __u32 pid)
{
	if (array__reserve(&h->items, &h->cap, h->n + 1, sizeof(*h->items), 1024))
		return -ENOMEM;
	h->items[h->n++] = (struct pl_holder){ ino, pid };
	return 0;
}

static int scan_fds(struct holders *h, __u32 pid)
{
	char dir[64], link[64];
	unsigned long long ino;
	struct dirent *d;
	DIR *dp;
	ssize_t len;
	int err = 0;

	snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
	dp = opendir(dir);
	if (!dp)
		return 0; /* exited, or a kernel thread */
	while (!err && (d = readdir(dp))) {
		len = readlinkat(dirfd(dp), d->d_name, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) == 1)
			err = add_holder(h, ino, pid);
	}
	closedir(dp);
	return err;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct pl_holder *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int procnet__holders(struct pl_holder **out, size_t *n)
{
	struct holders h = { 0 };
	struct dirent *d;
	DIR *dp = opendir("/proc");
	char *end;
	unsigned long pid;
	int err = 0;

	if (!dp)
		return -errno;
	while (!err && (d = readdir(dp))) {
		pid = strtoul(d->d_name, &end, 10);
		if (*end == '\0' && pid > 0)
			err = scan_fds(&h, (__u32)pid);
	}
	closedir(dp);
	if (err) {
		free(h.items);
		return err;
	}
	qsort(h.items, h.n, sizeof(*h.items), cmp_holder);
	*out = h.items;
	*n = h.n;
	return 0;
}

const struct pl_holder *procnet__find(const struct pl_holder *h, size_t n_h,
				      __u64 ino, size_t *n)
{
	size_t lo = 0, hi = n_h, mid;

	while (lo < hi) { /* the first with an inode >= @ino */
		mid = lo + (hi - lo) / 2;
		if (h[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (*n = 0; lo + *n < n_h && h[lo + *n].ino == ino; (*n)++)
		;
	return *n ? &h[lo] : NULL;
}

__u64 procnet__tcp_allocated(void)
{
	unsigned long long alloc = 0;
	char line[256];
	FILE *f = fopen("/proc/net/sockstat", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TCP: inuse %*u orphan %*u tw %*u alloc %llu", &alloc) == 1)
			break;
	if (f)
		fclose(f);
	return alloc;
}
