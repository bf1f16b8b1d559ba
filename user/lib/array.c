// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"

int array__reserve(void *items, size_t *cap, size_t want, size_t size, size_t first)
{
	size_t c = *cap ? *cap : (first ? first : 1);
	void *old, *grown;

	if (want <= *cap)
		return 0;
	while (c < want) {
		if (c > SIZE_MAX / 2)
			return -ENOMEM;
		c *= 2;
	}
	if (size && c > SIZE_MAX / size)
		return -ENOMEM;
	/* The array's pointer is copied out and back: @items may point to
	 * any object pointer type. */
	memcpy(&old, items, sizeof(old));
	grown = realloc(old, c * size);
	if (!grown)
		return -ENOMEM;
	memcpy(items, &grown, sizeof(grown));
	*cap = c;
	return 0;
}

const void **array__sorted_ptrs(const void *rows, size_t n, size_t size,
				int (*cmp)(const void *, const void *))
{
	const void **p = calloc(n ? n : 1, sizeof(*p));
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < n; i++)
		p[i] = (const char *)rows + i * size;
	qsort(p, n, sizeof(*p), cmp);
	return p;
}
