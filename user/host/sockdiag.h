/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The kernel's sock_diag netlink interface (what `ss -K` uses): look a TCP
 * socket up by its 4-tuple and destroy it (CONFIG_INET_DIAG_DESTROY). All
 * in the network namespace of the calling thread. */
#ifndef PORTLEAK_SOCKDIAG_H
#define PORTLEAK_SOCKDIAG_H

#include <stddef.h>
#include <linux/inet_diag.h>
#include <linux/types.h>

#include "ledger.h"

/* Destroy the socket with 4-tuple @t, if it is still in @state and its
 * inode (socket:[N]) is @ino. 0; -ESTALE when it is in another state or
 * is another socket; -ENOENT when there is none; -EOPNOTSUPP when the
 * kernel lacks CONFIG_INET_DIAG_DESTROY; or another negative errno. */
int sockdiag__destroy(const struct pl_tuple *t, __u8 state, __u64 ino);
/* One answer of the kernel, @n bytes: a socket's inet_diag_msg into @msg
 * (if not NULL) and 0, an ack (0), the end of a dump (1), or the negative
 * errno it carries (-EPROTO when it is none of these). */
int sockdiag__answer(const void *buf, size_t n, struct inet_diag_msg *msg);
/* Can this kernel destroy sockets over sock_diag? 0 yes, -EOPNOTSUPP
 * without CONFIG_INET_DIAG_DESTROY, -ENOENT without TCP sock_diag
 * (tcp_diag not built or loadable), -EPERM without CAP_NET_ADMIN. */
int sockdiag__probe(void);

#endif
