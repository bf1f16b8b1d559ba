/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Arrays of rows read from the kernel (maps, iterators), grown as they fill. */
#ifndef PORTLEAK_ROWS_H
#define PORTLEAK_ROWS_H

#include <stddef.h>

/* Room for @want rows of @row_size bytes in @rows (capacity @cap), grown by
 * doubling: 0, or -ENOMEM with @rows unchanged. */
int rows__grow(char **rows, size_t *cap, size_t want, size_t row_size);

#endif
