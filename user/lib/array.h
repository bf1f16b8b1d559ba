/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Arrays every layer grows and sorts, written once: plain C, no BPF. */
#ifndef PORTLEAK_ARRAY_H
#define PORTLEAK_ARRAY_H

#include <stddef.h>

/* Room for @want items of @size bytes in the array whose pointer is at
 * @items (a `struct x **`), of capacity *@cap: the capacity doubles, from
 * @first, until it holds them. 0, or -ENOMEM with the array and *@cap as
 * they were. */
int array__reserve(void *items, size_t *cap, size_t want, size_t size, size_t first);

/* Pointers to the @n rows of @size bytes at @rows, sorted with @cmp
 * (which compares two pointers to rows): a sorted view that leaves the
 * rows where they are. Never NULL for n == 0 unless out of memory; the
 * caller frees it. */
const void **array__sorted_ptrs(const void *rows, size_t n, size_t size,
				int (*cmp)(const void *, const void *));

#endif
