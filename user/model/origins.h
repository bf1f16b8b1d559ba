/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Leak origins: a process's sockets grouped by the code path that opened
 * them (the stack kept with each socket), most sockets first, with the
 * kernel's count of sockets each path opened and its frames, named only
 * for the paths kept. */
#ifndef PORTLEAK_ORIGINS_MODEL_H
#define PORTLEAK_ORIGINS_MODEL_H

#include "model/types.h"

/* One socket of a process: its stack (0: not captured) and state. */
struct pl_socket_origin {
	__u64 stack;
	__u8 state;
};

/* The rows of @in->origins sorted by key (an array of pointers to free()),
 * or NULL when out of memory. */
const struct pl_origin_row **origins__sorted(const struct pl_model_input *in);
/* Fill @p's origins from its @n sockets (reordered). 0 or -ENOMEM. */
int origins__fill(const struct pl_model_input *in, const struct pl_origin_row **sorted,
		  struct pl_proc *p, struct pl_socket_origin *socks, size_t n);
/* @p's failed_origin: the code path of its commonest failed connect()
 * with a captured stack (its call failures filled first). 0 or -ENOMEM. */
int origins__fill_failed(const struct pl_model_input *in, struct pl_proc *p);
/* "failed connect() to 10.0.0.5:80 (EADDRNOTAVAIL, 146 times), the latest from:" */
void origins__failed_title(const struct pl_proc *p, char *out, size_t len);
/* "40 sockets (CLOSE_WAIT 40, ESTABLISHED 2), 42 opened, from:", or for
 * @o NULL "3 sockets (LISTEN 3) opened before capture". */
void origins__title(const struct pl_origin_counts *held, const struct pl_code_origin *o,
		    char *out, size_t len);
/* What the views say when @p's stacks are too short to show a caller (no
 * frame pointers) or end in Go's dialer goroutine, or NULL. */
const char *origins__hint(const struct pl_proc *p);
void origins__free(struct pl_proc *p);

#endif
