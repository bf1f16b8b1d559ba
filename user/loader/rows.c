// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>

#include "loader/rows.h"

int rows__grow(char **rows, size_t *cap, size_t want, size_t row_size)
{
	size_t c = *cap ? *cap : 256;
	char *grown;

	if (want <= *cap)
		return 0;
	while (c < want)
		c *= 2;
	grown = realloc(*rows, c * row_size);
	if (!grown)
		return -ENOMEM;
	*rows = grown;
	*cap = c;
	return 0;
}
