// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "portleak.skel.h"

struct row_layout {
	size_t size;       /* sizeof the row struct */
	size_t key_size;   /* the key sits at offset 0 */
	size_t value_off;
	size_t value_size;
};

#define ROW_LAYOUT(type, k, v)                                               \
	((struct row_layout){ sizeof(type), sizeof(((type *)0)->k),           \
			      offsetof(type, v), sizeof(((type *)0)->v) })

/* Copy every entry of a hash map into an array of rows. Entries inserted
 * while we read may be missed; entries deleted meanwhile are skipped. */
static int read_hash(const struct bpf_map *map, struct row_layout l,
		     void **rows, size_t *n)
{
	size_t cap = bpf_map__max_entries(map);
	int fd = bpf_map__fd(map);
	char *out = calloc(cap ? cap : 1, l.size);
	char *keys = malloc(2 * l.key_size), *row;
	char *prev = NULL, *next = keys;

	*n = 0;
	*rows = out;
	if (!out || !keys) {
		free(keys);
		return -ENOMEM;
	}
	while (*n < cap && bpf_map_get_next_key(fd, prev, next) == 0) {
		row = out + *n * l.size;
		memcpy(row, next, l.key_size);
		if (bpf_map_lookup_elem(fd, next, row + l.value_off) == 0)
			(*n)++;
		prev = next;
		next = next == keys ? keys + l.key_size : keys;
	}
	free(keys);
	return 0;
}

static int read_counters(const struct bpf_map *map, __u64 *sums)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(map);
	__u64 *per_cpu;
	__u32 i;
	int c;

	if (ncpu < 0)
		return ncpu;
	per_cpu = calloc(ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	for (i = 0; i < PL_NR_COUNTERS; i++) {
		sums[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, per_cpu))
			continue;
		for (c = 0; c < ncpu; c++)
			sums[i] += per_cpu[c];
	}
	free(per_cpu);
	return 0;
}

int maps__read(struct portleak_bpf *skel, struct pl_maps *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	err = read_hash(skel->maps.ledger, ROW_LAYOUT(struct pl_ledger_row, sk, s),
			(void **)&m->ledger, &m->n_ledger);
	if (!err)
		err = read_hash(skel->maps.timewait,
				ROW_LAYOUT(struct pl_timewait_row, key, v),
				(void **)&m->timewait, &m->n_timewait);
	if (!err)
		err = read_hash(skel->maps.owners, ROW_LAYOUT(struct pl_owner_row, key, v),
				(void **)&m->owners, &m->n_owners);
	if (!err)
		err = read_counters(skel->maps.counters, m->counters);
	if (err)
		maps__free(m);
	return err;
}

void maps__free(struct pl_maps *m)
{
	free(m->ledger);
	free(m->timewait);
	free(m->owners);
	memset(m, 0, sizeof(*m));
}
