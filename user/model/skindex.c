// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/skindex.h"

/* Kernel objects are aligned: the low bits say nothing, the multiply
 * spreads the rest over the table. */
static size_t slot_of(const struct pl_skindex *ix, __u64 sk)
{
	return (size_t)(((sk >> 6) * 0x9e3779b97f4a7c15ull) >> 32) & ix->mask;
}

int skindex__init(struct pl_skindex *ix, size_t n)
{
	size_t slots = 16;

	while (slots < 2 * n)
		slots *= 2;
	ix->mask = slots - 1;
	ix->used = 0;
	ix->slots = calloc(slots, sizeof(*ix->slots));
	return ix->slots ? 0 : -ENOMEM;
}

bool skindex__add(struct pl_skindex *ix, __u64 sk, const void *row)
{
	size_t i;

	for (i = slot_of(ix, sk); ix->slots[i].key; i = (i + 1) & ix->mask)
		if (ix->slots[i].key == sk)
			return false;
	if (ix->used == ix->mask)
		return false; /* more than asked for: one slot stays empty, or lookups never end */
	ix->used++;
	ix->slots[i] = (struct pl_skindex_slot){ sk, row };
	return true;
}

void skindex__prefetch(const struct pl_skindex *ix, __u64 sk)
{
	__builtin_prefetch(&ix->slots[slot_of(ix, sk)]);
}

const void *skindex__find(const struct pl_skindex *ix, __u64 sk)
{
	size_t i;

	if (!sk)
		return NULL;
	for (i = slot_of(ix, sk); ix->slots[i].key; i = (i + 1) & ix->mask)
		if (ix->slots[i].key == sk)
			return ix->slots[i].row;
	return NULL;
}

int skindex__of_rows(struct pl_skindex *ix, const void *rows, size_t n, size_t size,
		     size_t sk_offset)
{
	const char *row = rows;
	__u64 sk;
	size_t i;

	if (skindex__init(ix, n))
		return -ENOMEM;
	for (i = 0; i < n; i++, row += size) {
		memcpy(&sk, row + sk_offset, sizeof(sk));
		skindex__add(ix, sk, row);
	}
	return 0;
}

void skindex__free(struct pl_skindex *ix)
{
	free(ix->slots);
	ix->slots = NULL;
}
