/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Closing chosen TCP sockets from outside their process (portleak close),
 * by the best mechanism this kernel offers:
 *   kfunc:     an iter/tcp program calling bpf_sock_destroy() (6.5+), which
 *              re-checks each socket in the kernel while it holds its lock;
 *   sock-diag: the SOCK_DESTROY request of sock_diag (what `ss -K` uses;
 *              CONFIG_INET_DIAG_DESTROY), re-checked by a lookup first.
 * Both enter each socket's network namespace. */
#ifndef PORTLEAK_REMEDY_USER_H
#define PORTLEAK_REMEDY_USER_H

#include <stdbool.h>
#include <sys/types.h>

#include "host/why.h"
#include "walk.h"

enum pl_remedy_mech {
	PL_REMEDY_AUTO,      /* the best that works */
	PL_REMEDY_KFUNC,
	PL_REMEDY_SOCK_DIAG,
};

/* One socket to close, and what became of it: 0 closed, -ESTALE changed
 * state or 4-tuple since it was chosen (left alone), -ENOENT gone, or the
 * kernel's refusal. */
struct pl_doom {
	struct pl_tcp_record rec;
	int result;
};

/* Which mechanism @want resolves to on this kernel: 0 with *got set, or
 * -ENOTSUP with @why saying what the kernel lacks (or -EPERM). */
int remedy__choose(enum pl_remedy_mech want, enum pl_remedy_mech *got, struct pl_why *why);
/* Close @n sockets with @mech (as chosen above); @pid is the process that
 * holds them (its namespace is tried first). Each one's result is set;
 * returns 0, or a negative errno when no socket could be tried at all. */
int remedy__close(enum pl_remedy_mech mech, pid_t pid, struct pl_doom *d, size_t n,
		  struct pl_why *why);
/* "bpf_sock_destroy", "sock_diag SOCK_DESTROY". */
const char *remedy__name(enum pl_remedy_mech mech);

#endif
