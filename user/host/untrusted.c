// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "host/sysinfo.h"
#include "host/untrusted.h"

#define OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
#define CHUNK (1u << 20)

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif
#ifndef NFS_SUPER_MAGIC
#define NFS_SUPER_MAGIC 0x6969
#endif
#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570
#endif
#define FUSECTL_MAGIC 0x65735543

/* Filesystems whose reads may wait on another process or a network
 * forever (FUSE, NFS, SMB), or whose "files" are the kernel's own
 * (procfs, sysfs, ...: /proc/kcore is a regular file). A process can bind
 * one of them over its perf map in its own mount namespace. */
static bool refused_fs(int fd)
{
	static const long refused[] = {
		FUSE_SUPER_MAGIC, FUSECTL_MAGIC, NFS_SUPER_MAGIC, CIFS_SUPER_MAGIC,
		SMB2_SUPER_MAGIC, PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC,
		TRACEFS_MAGIC, SECURITYFS_MAGIC, BPF_FS_MAGIC, CGROUP_SUPER_MAGIC,
		CGROUP2_SUPER_MAGIC, CONFIGFS_MAGIC, PSTOREFS_MAGIC, EFIVARFS_MAGIC,
	};
	struct statfs fs;
	size_t i;

	if (fstatfs(fd, &fs))
		return true;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if ((long)fs.f_type == refused[i])
			return true;
	return false;
}

/* Keep @fd only if it is a regular file on a filesystem we read. */
static int checked(int fd, struct stat *st)
{
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st))
		err = -errno;
	else if (!S_ISREG(st->st_mode))
		err = -EINVAL;
	else if (refused_fs(fd))
		err = -EREMOTE;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* Where openat2() is refused (a seccomp profile that predates it), each
 * component is opened in turn and no symlink is followed at all. */
static int open_no_links(int dir, const char *rel)
{
	char part[256];
	const char *p = rel, *slash;
	int fd = dup(dir), next;
	size_t n;

	while (fd >= 0 && (slash = strchr(p, '/'))) {
		n = (size_t)(slash - p);
		if (n >= sizeof(part) || (n == 2 && !strncmp(p, "..", 2))) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		memcpy(part, p, n);
		part[n] = 0;
		next = n ? openat(fd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : dup(fd);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	if (fd < 0)
		return -1;
	next = strcmp(p, "..") ? openat(fd, p, OPEN_FLAGS | O_NOFOLLOW) : (errno = EINVAL, -1);
	close(fd);
	return next;
}

int untrusted__open_in(const char *root, const char *rel, struct stat *st)
{
	struct open_how how = {
		.flags = OPEN_FLAGS | O_NOFOLLOW,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (dir < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		fd = open_no_links(dir, rel);
	fd = checked(fd, st);
	close(dir);
	return fd;
}

int untrusted__open(const char *path, struct stat *st)
{
	return checked(open(path, OPEN_FLAGS), st);
}

int untrusted__read(int fd, const struct stat *st, size_t max, bool tail, char **buf,
		    size_t *len)
{
	size_t size = (size_t)st->st_size, want = size < max ? size : max, got = 0;
	off_t from = tail && size > max ? (off_t)(size - max) : 0;
	__u64 deadline = sysinfo__now_ns() + PL_UNTRUSTED_READ_NS;
	char *b = malloc(want + 1);
	ssize_t n = 1;

	if (!b)
		return -ENOMEM;
	/* Never past @want, even if the file grew since fstat (a FIFO in
	 * disguise cannot get here: it is not a regular file). */
	while (got < want && n > 0) {
		if (sysinfo__now_ns() > deadline) {
			free(b);
			return -ETIMEDOUT;
		}
		n = pread(fd, b + got, want - got < CHUNK ? want - got : CHUNK, from + (off_t)got);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n > 0)
			got += (size_t)n;
	}
	if (n < 0) {
		free(b);
		return -errno;
	}
	b[got] = 0; /* a file truncated while read: what was there */
	*buf = b;
	*len = got;
	return 0;
}
