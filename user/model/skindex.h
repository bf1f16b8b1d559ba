/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Socket addresses to rows: an open-addressing hash table built once per
 * report, so that joining 54,000 sockets costs one probe each instead of a
 * sort and a binary search. */
#ifndef PORTLEAK_SKINDEX_H
#define PORTLEAK_SKINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct pl_skindex_slot {
	__u64 key; /* 0: an empty slot (no socket lives at address 0) */
	const void *row;
};

/* A key and its row side by side: a probe costs one cache miss, not two. */
struct pl_skindex {
	struct pl_skindex_slot *slots;
	size_t mask;       /* slots - 1 */
	size_t used;       /* keys added: at most half the slots for what init was told */
};

/* Room for @n keys: 0, or -ENOMEM. */
int skindex__init(struct pl_skindex *ix, size_t n);
/* Add @row under @sk unless @sk is there already (the first row stays):
 * true when added. @sk must not be 0. A table already full refuses it. */
bool skindex__add(struct pl_skindex *ix, __u64 sk, const void *row);
/* Start loading the slot where a lookup of @sk begins. */
void skindex__prefetch(const struct pl_skindex *ix, __u64 sk);
/* The row added under @sk, or NULL. */
const void *skindex__find(const struct pl_skindex *ix, __u64 sk);
/* An index of @n rows of @size bytes, each under the __u64 socket address
 * at @sk_offset in it (the first row of an address stays): 0, or -ENOMEM. */
int skindex__of_rows(struct pl_skindex *ix, const void *rows, size_t n, size_t size,
		     size_t sk_offset);
void skindex__free(struct pl_skindex *ix);

#endif
