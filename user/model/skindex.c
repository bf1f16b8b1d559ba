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
	ix->keys = calloc(slots, sizeof(*ix->keys));
	ix->rows = calloc(slots, sizeof(*ix->rows));
	if (ix->keys && ix->rows)
		return 0;
	skindex__free(ix);
	return -ENOMEM;
}

bool skindex__add(struct pl_skindex *ix, __u64 sk, const void *row)
{
	size_t i;

	for (i = slot_of(ix, sk); ix->keys[i]; i = (i + 1) & ix->mask)
		if (ix->keys[i] == sk)
			return false;
	if (ix->used == ix->mask)
		return false; /* more than asked for: one slot stays empty, or lookups never end */
	ix->used++;
	ix->keys[i] = sk;
	ix->rows[i] = row;
	return true;
}

const void *skindex__find(const struct pl_skindex *ix, __u64 sk)
{
	size_t i;

	if (!sk)
		return NULL;
	for (i = slot_of(ix, sk); ix->keys[i]; i = (i + 1) & ix->mask)
		if (ix->keys[i] == sk)
			return ix->rows[i];
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
	free(ix->keys);
	free(ix->rows);
	ix->keys = NULL;
	ix->rows = NULL;
}
