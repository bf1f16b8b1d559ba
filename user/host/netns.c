// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/netns.h"

/* An fd of @path if it is the namespace @inum, else -1. */
static int open_if(const char *path, __u32 inum)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd >= 0 && !fstat(fd, &st) && (__u32)st.st_ino == inum)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static int each_in(const char *dir, const char *suffix,
		   int (*fn)(const char *path, void *ctx), void *ctx)
{
	char path[512];
	struct dirent *d;
	DIR *dp = opendir(dir);
	int err = 0;

	if (!dp)
		return 0;
	while (!err && (d = readdir(dp))) {
		if (d->d_name[0] == '.' || (*suffix && (d->d_name[0] < '0' || d->d_name[0] > '9')))
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", dir, d->d_name, suffix);
		err = fn(path, ctx);
	}
	closedir(dp);
	return err;
}

int netns__each(int (*fn)(const char *path, void *ctx), void *ctx)
{
	int err = each_in("/run/netns", "", fn, ctx);

	return err ? err : each_in("/proc", "/ns/net", fn, ctx);
}

struct wanted {
	__u32 inum;
	int fd;
};

static int take_if_wanted(const char *path, void *ctx)
{
	struct wanted *w = ctx;

	w->fd = open_if(path, w->inum);
	return w->fd >= 0;
}

int netns__open(__u32 inum, pid_t pid)
{
	struct wanted w = { .inum = inum, .fd = -1 };
	char path[64];

	if (pid > 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		w.fd = open_if(path, inum);
	}
	if (w.fd < 0)
		w.fd = open_if("/proc/self/ns/net", inum);
	if (w.fd < 0)
		netns__each(take_if_wanted, &w);
	return w.fd < 0 ? -ENOENT : w.fd;
}

int netns__enter(int fd, int *home)
{
	*home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*home < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET)) {
		int err = -errno;

		close(*home);
		*home = -1;
		return err;
	}
	return 0;
}

int netns__leave(int home)
{
	int err = setns(home, CLONE_NEWNET) ? -errno : 0;

	close(home);
	return err;
}
