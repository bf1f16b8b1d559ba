/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The kernel's sock_diag netlink interface (what `ss -K` uses): look a TCP
 * socket up by its 4-tuple and destroy it (CONFIG_INET_DIAG_DESTROY). All
 * in the network namespace of the calling thread. */
#ifndef PORTLEAK_SOCKDIAG_H
#define PORTLEAK_SOCKDIAG_H

#include <linux/types.h>

#include "ledger.h"

/* Destroy the socket with 4-tuple @t, if it is still in @state and its
 * inode (socket:[N]) is @ino. 0; -ESTALE when it is in another state or
 * is another socket; -ENOENT when there is none; -EOPNOTSUPP when the
 * kernel lacks CONFIG_INET_DIAG_DESTROY; or another negative errno. */
int sockdiag__destroy(const struct pl_tuple *t, __u8 state, __u64 ino);
/* Can this kernel destroy sockets over sock_diag? 0 yes, -EOPNOTSUPP
 * without CONFIG_INET_DIAG_DESTROY, -ENOENT without TCP sock_diag
 * (tcp_diag not built or loadable), -EPERM without CAP_NET_ADMIN. */
int sockdiag__probe(void);

#endif
