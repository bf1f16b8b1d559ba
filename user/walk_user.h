/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Running the iterators of bpf/walk.bpf.c. */
#ifndef PORTLEAK_WALK_USER_H
#define PORTLEAK_WALK_USER_H

#include <stdbool.h>

#include "model.h"

struct portleak_bpf;

struct pl_tcp_walk {
	struct pl_tcp_record *recs;
	size_t n, cap;
	struct pl_netns *netns; /* every namespace walked */
	size_t n_netns, cap_netns;
	size_t netns_failed;    /* namespaces that could not be entered */
};

/* Record the owner of every TCP socket held in an fd table. */
int walk__fds(struct portleak_bpf *skel);
/* List every TCP socket of portleak's network namespace and, with
 * @all_netns, of every namespace that has a process in it or a name under
 * /run/netns (entering them needs CAP_SYS_ADMIN). */
int walk__tcp(struct portleak_bpf *skel, bool all_netns, struct pl_tcp_walk *out);
/* Was the namespace with this inode number walked? */
bool walk__has_netns(const struct pl_tcp_walk *w, __u32 inum);
void walk__free(struct pl_tcp_walk *w);

#endif
