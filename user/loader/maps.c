// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/maps.h"
#include "portleak.skel.h"
#include "model/clocks.h"
#include "model/skindex.h"
#include "lib/array.h"

struct row_layout {
	size_t size;       /* sizeof the row struct */
	size_t key_size;   /* the key sits at offset 0 */
	size_t value_off;
	size_t value_size;
};

#define ROW_LAYOUT(type, k, v)                                               \
	((struct row_layout){ sizeof(type), sizeof(((type *)0)->k),           \
			      offsetof(type, v), sizeof(((type *)0)->v) })

#define BATCH_ROWS 1024 /* entries per batched read: a syscall per 1024 */
#define TALLY_READS 4   /* of the owners map, when counts move under a read */

/* Copy every entry of a hash map into an array of rows, grown as needed
 * (a full-size buffer would cost megabytes for a mostly empty map), in
 * batches: one system call reads a thousand entries, where one key and
 * one lookup each would take two calls per entry (108,000 calls for a
 * ledger of 54,000 sockets). Entries inserted while we read may be
 * missed; entries deleted meanwhile are skipped. */
static int read_hash(const struct bpf_map *map, struct row_layout l,
		     void **rows, size_t *n)
{
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, opts);
	/* Zeroed: valgrind cannot see the kernel fill them. */
	char *keys = calloc(BATCH_ROWS, l.key_size), *values = calloc(BATCH_ROWS, l.value_size);
	char *out = NULL;
	__u64 token = 0; /* the kernel's position: a bucket index for hash maps */
	size_t cap = 0, i;
	int fd = bpf_map__fd(map), err = keys && values ? 0 : -ENOMEM;
	bool more = true;
	__u32 count;

	*n = 0;
	while (!err && more) {
		count = BATCH_ROWS;
		err = bpf_map_lookup_batch(fd, *n ? &token : NULL, &token, keys, values, &count,
					   &opts);
		more = !err;
		if (err == -ENOENT)
			err = 0; /* the last batch, maybe empty */
		if (!err && count)
			err = array__reserve(&out, &cap, *n + count, l.size, 256);
		for (i = 0; !err && i < count; i++, (*n)++) {
			char *row = out + *n * l.size;

			memset(row, 0, l.size);
			memcpy(row, keys + i * l.key_size, l.key_size);
			memcpy(row + l.value_off, values + i * l.value_size, l.value_size);
		}
	}
	free(keys);
	free(values);
	*rows = out;
	return err;
}

/* Only the keys of a hash map. */
static int read_keys(const struct bpf_map *map, size_t key_size, void **rows, size_t *n)
{
	size_t cap = 0, max = bpf_map__max_entries(map);
	int fd = bpf_map__fd(map);
	char *out = NULL;

	*n = 0;
	*rows = NULL;
	while (*n < max) {
		if (array__reserve(&out, &cap, *n + 1, key_size, 256)) {
			free(out);
			return -ENOMEM;
		}
		if (bpf_map_get_next_key(fd, *n ? out + (*n - 1) * key_size : NULL,
					 out + *n * key_size))
			break;
		(*n)++;
	}
	*rows = out;
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

/* Only the keys of the stacks map: their frames are read when shown. */
struct stack_key_row {
	__u64 key;
};

_Static_assert(sizeof(struct pl_tally) % 8 == 0, "per-CPU values lie 8 bytes apart");

static int cmp_owner(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pl_owner));
}

/* Every slot of the tallies map, CPU by CPU: out[slot * ncpu + cpu]. */
static int read_tallies(int fd, int ncpu, struct pl_tally *out)
{
	__u32 slot;

	for (slot = 0; slot < PL_TALLY_SLOTS; slot++)
		if (bpf_map_lookup_elem(fd, &slot, out + (size_t)slot * ncpu))
			return -errno;
	return 0;
}

/* Whether counts may have moved from a tally to the owners map between
 * the reads @before and @after, or were moving then (odd moves). */
static bool tallies_moved(const struct pl_tally *before, const struct pl_tally *after,
			  size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (before[i].moves != after[i].moves || (after[i].moves & 1))
			return true;
	return false;
}

/* Add the tallies' counts to the owners rows. Every process in a tally
 * has an owners entry, unless userspace deleted it since (the process
 * exited): its counts go with it. */
static void add_tallies(const struct pl_tally *t, size_t n, struct pl_maps *m)
{
	struct pl_owner_row *row;
	size_t i;

	if (!m->n_owners)
		return; /* no process to add to */
	qsort(m->owners, m->n_owners, sizeof(*m->owners), cmp_owner);
	for (i = 0; i < n; i++) {
		if (!t[i].owner.tgid ||
		    !(row = bsearch(&t[i].owner, m->owners, m->n_owners, sizeof(*m->owners),
				    cmp_owner)))
			continue;
		row->v.opened += t[i].opened;
		row->v.closed += t[i].closed;
	}
}

/* The owners rows, with the counts the state hook keeps per CPU (the
 * tallies map) added. A process's counts move from its tally to its owners
 * entry when another process takes the slot (pl_tally_of): a read of the
 * owners map that such a move overlapped could miss them, or count them
 * twice, so it is taken again, up to TALLY_READS times in all. Only when
 * moves overlap every one (processes that share a slot, churning on one
 * CPU) may this report miss the counts that moved during the last; the
 * next report has them. */
static int read_owners(struct portleak_bpf *skel, struct pl_maps *m)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(skel->maps.tallies), tries, err;
	struct pl_tally *reads, *before, *after, *swap;
	size_t n;

	if (ncpu < 0)
		return ncpu;
	n = (size_t)ncpu * PL_TALLY_SLOTS;
	reads = calloc(2 * n, sizeof(*reads));
	if (!reads)
		return -ENOMEM;
	before = reads;
	after = reads + n;
	err = read_tallies(fd, ncpu, before);
	for (tries = 1; !err; tries++) {
		err = read_hash(skel->maps.owners, ROW_LAYOUT(struct pl_owner_row, key, v),
				(void **)&m->owners, &m->n_owners);
		if (!err)
			err = read_tallies(fd, ncpu, after);
		if (err || !tallies_moved(before, after, n) || tries == TALLY_READS)
			break;
		free(m->owners);
		m->owners = NULL;
		m->n_owners = 0;
		swap = before;
		before = after;
		after = swap;
	}
	if (!err)
		add_tallies(after, n, m);
	free(reads);
	return err;
}

/* Closed sockets' entries out of m->ledger, into m->closed. */
static int split_closed(struct pl_maps *m)
{
	size_t i, live = 0;

	m->closed = calloc(m->n_ledger + 1, sizeof(*m->closed));
	if (!m->closed)
		return -ENOMEM;
	for (i = 0; i < m->n_ledger; i++) {
		const struct pl_ledger_row *r = &m->ledger[i];

		if (r->s.closed)
			m->closed[m->n_closed++] = (struct pl_closed_row){ r->sk, r->s.changed_ns };
		else
			m->ledger[live++] = *r;
	}
	m->n_ledger = live;
	return 0;
}

int maps__read(struct portleak_bpf *skel, struct pl_maps *m)
{
	int err;

	memset(m, 0, sizeof(*m));
	/* First: a stack listed here has its socket in the maps read after. */
	err = read_keys(skel->maps.stacks, sizeof(__u64), (void **)&m->stacks, &m->n_stacks);
	if (!err)
		err = read_hash(skel->maps.ledger, ROW_LAYOUT(struct pl_ledger_row, sk, s),
			(void **)&m->ledger, &m->n_ledger);
	if (!err)
		err = split_closed(m);
	if (!err)
		err = read_hash(skel->maps.timewait,
				ROW_LAYOUT(struct pl_timewait_row, key, v),
				(void **)&m->timewait, &m->n_timewait);
	if (!err)
		err = read_owners(skel, m);
	if (!err)
		err = read_hash(skel->maps.fails, ROW_LAYOUT(struct pl_fail_row, key, v),
				(void **)&m->fails, &m->n_fails);
	if (!err)
		err = read_hash(skel->maps.dest_fails,
				ROW_LAYOUT(struct pl_dest_fail_row, key, count),
				(void **)&m->dest_fails, &m->n_dest_fails);
	if (!err)
		err = read_hash(skel->maps.origins, ROW_LAYOUT(struct pl_origin_row, key, opened),
				(void **)&m->origins, &m->n_origins);
	if (!err)
		err = read_counters(skel->maps.counters, m->counters);
	if (err)
		maps__free(m);
	return err;
}

void maps__free(struct pl_maps *m)
{
	free(m->ledger);
	skindex__free(&m->ledger_index);
	free(m->holders);
	free(m->dead);
	free(m->closed);
	free(m->timewait);
	free(m->owners);
	free(m->fails);
	free(m->dest_fails);
	free(m->origins);
	free(m->stacks);
	memset(m, 0, sizeof(*m));
}

int maps__stack(struct portleak_bpf *skel, __u64 stack, struct pl_stack *out)
{
	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.stacks), &stack, out) ? -ENOENT : 0;
}

int maps__set_clock(struct portleak_bpf *skel, unsigned int hz, __u64 jiffies, __u64 mono_ns)
{
	struct pl_clock c = clocks__of_jiffies(hz, jiffies, mono_ns);
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.clock), &zero, &c, BPF_ANY))
		return -errno;
	return 0;
}

void maps__arm(struct portleak_bpf *skel, __u32 tgid)
{
	int fd = bpf_map__fd(skel->maps.armed);
	__u32 word = tgid / 64;
	__u64 bits;

	/* The kernel sets bits too, at a failed connect (origins.bpf.h): one
	 * it sets between this read and write is lost, and set again at the
	 * process's next failure or non-OK report. */
	if (word < PL_ARMED_WORDS && bpf_map_lookup_elem(fd, &word, &bits) == 0) {
		bits |= 1ull << (tgid % 64);
		bpf_map_update_elem(fd, &word, &bits, BPF_ANY);
	}
}
