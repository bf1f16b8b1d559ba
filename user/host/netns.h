/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Network namespaces by inode number: finding one, entering it, leaving. */
#ifndef PORTLEAK_NETNS_H
#define PORTLEAK_NETNS_H

#include <sys/types.h>
#include <linux/types.h>

/* An fd for the network namespace with inode number @inum: that of @pid
 * first (0: none), then portleak's, /run/netns, every process's. A
 * negative errno (-ENOENT: no process and no name is in it). */
int netns__open(__u32 inum, pid_t pid);
/* Call @fn with the path of each namespace named under /run/netns or with
 * a process in it (/proc/PID/ns/net): one namespace may come more than
 * once, @fn tells them apart by inode. Stops at the first non-zero return
 * of @fn, and returns it. */
int netns__each(int (*fn)(const char *path, void *ctx), void *ctx);
/* Enter the namespace @fd refers to; *home gets an fd of the one the
 * thread was in, for netns__leave. 0, or a negative errno. */
int netns__enter(int fd, int *home);
/* Back to @home (and close it); a negative errno if that fails, after
 * which the thread must not go on (it is in the wrong namespace). */
int netns__leave(int home);

#endif
