/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Files that another process controls, read by a root agent: a JIT's perf
 * map, a mapped library, a container runtime's config. Their owner may
 * make them a FIFO (open and read never return), a symlink to /dev/zero
 * (endless bytes) or into the host's root, a file of gigabytes, a mount of
 * procfs or of a FUSE server that never answers. So a file is opened
 * without following its owner's symlinks out of the root it lives in,
 * without blocking, and kept only if it is a regular file on a filesystem
 * whose reads end; its bytes are read, never mapped (its owner could
 * truncate it under the mapping: SIGBUS), up to a bound in bytes and in
 * time. */
#ifndef PORTLEAK_UNTRUSTED_H
#define PORTLEAK_UNTRUSTED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* How long one file may take to read. */
#define PL_UNTRUSTED_READ_NS (500 * 1000000ull)

/* Open @rel, a relative path, as if @root (a directory) were "/": its
 * symlinks resolve inside @root, never to a magic link (/proc/PID/...).
 * An fd with @st filled, or negative errno: -EINVAL when it is not a
 * regular file, -EREMOTE when its filesystem may never answer or is not
 * made of files (FUSE, NFS, procfs, sysfs, ...). */
int untrusted__open_in(const char *root, const char *rel, struct stat *st);
/* The same checks for @path opened as it is: for the kernel's own links
 * to a process's files (/proc/PID/map_files/...), which are followed. */
int untrusted__open(const char *path, struct stat *st);
/* Read at most @max bytes of @fd (@st: its fstat): the first ones, or
 * with @tail the last ones (a file that grows at its end, such as a perf
 * map), NUL-terminated in a new buffer. 0, or negative errno: -ETIMEDOUT
 * past PL_UNTRUSTED_READ_NS. */
int untrusted__read(int fd, const struct stat *st, size_t max, bool tail, char **buf,
		    size_t *len);

#endif
