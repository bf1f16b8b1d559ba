// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The collection of the maps: what the kernel no longer has, deleted from
 * the maps that recorded it, each entry read again first (the BPF side
 * may have reused it since the report read it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/collect.h"
#include "portleak.skel.h"
#include "loader/walk_user.h"
#include "model/skindex.h"

#define LEDGER_GRACE_NS (2 * 1000000000ull)   /* a socket may be mid-connect */
#define TIMEWAIT_GRACE_NS (5 * 1000000000ull) /* the timewait socket may lag */
#define FAILS_KEPT_NS (60 * 1000000000ull)    /* an exited process's failures, shown */

/* Was @stamp more than @grace before @now? One after @now is not: the
 * BPF side's stamps come from its own clock (struct pl_clock). */
static bool older_than(__u64 stamp, __u64 now_ns, __u64 grace)
{
	return now_ns > stamp && now_ns - stamp > grace;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static int cmp_tuple(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pl_tuple));
}

struct live_sets {
	struct pl_skindex socks; /* full and request sockets, by address */
	struct pl_tuple *timewait;
	size_t n_timewait;
};

static int live_sets(const struct pl_tcp_walk *w, struct live_sets *l)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	if (skindex__init(&l->socks, w->n))
		return -ENOMEM;
	l->timewait = calloc(w->n + 1, sizeof(*l->timewait));
	if (!l->timewait)
		return -ENOMEM;
	for (i = 0; i < w->n; i++) {
		if (w->recs[i].kind == PL_REC_TIMEWAIT)
			l->timewait[l->n_timewait++] = w->recs[i].tuple;
		else
			skindex__add(&l->socks, w->recs[i].sk, &w->recs[i]);
	}
	qsort(l->timewait, l->n_timewait, sizeof(*l->timewait), cmp_tuple);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Without CAP_KILL, kill(pid, 0) cannot tell; /proc can. */
static bool process_alive(__u32 tgid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%u", tgid);
	return access(path, F_OK) == 0;
}

/* Sorted tgids that a ledger or timewait entry still refers to. */
static __u32 *referenced_tgids(const struct pl_maps *m, size_t *n)
{
	__u32 *t = calloc(m->n_ledger + m->n_timewait + 1, sizeof(*t));
	size_t i;

	*n = 0;
	if (!t)
		return NULL;
	for (i = 0; i < m->n_ledger; i++)
		t[(*n)++] = m->ledger[i].s.owner.tgid;
	for (i = 0; i < m->n_timewait; i++)
		t[(*n)++] = m->timewait[i].v.owner.tgid;
	qsort(t, *n, sizeof(*t), cmp_u32);
	return t;
}

/* Sorted stacks that a socket, a failed call or a live process's origin
 * refers to; origins of exited processes are deleted on the way. */
static __u64 *used_stacks(struct portleak_bpf *skel, const struct pl_maps *m, size_t *n)
{
	__u64 *used = calloc(m->n_ledger + m->n_timewait + m->n_fails + m->n_origins + 1,
			     sizeof(*used));
	int origins = bpf_map__fd(skel->maps.origins);
	__u32 dead = 0, alive = 0;
	size_t i;

	*n = 0;
	if (!used)
		return NULL;
	for (i = 0; i < m->n_ledger; i++)
		used[(*n)++] = m->ledger[i].s.stack;
	for (i = 0; i < m->n_timewait; i++)
		used[(*n)++] = m->timewait[i].v.stack;
	for (i = 0; i < m->n_fails; i++)
		used[(*n)++] = m->fails[i].v.stack;
	for (i = 0; i < m->n_origins; i++) {
		const struct pl_origin_key *k = &m->origins[i].key;

		/* Rows of one process tend to follow each other. */
		if (k->owner.tgid != alive && (k->owner.tgid == dead || !process_alive(k->owner.tgid))) {
			dead = k->owner.tgid;
			bpf_map_delete_elem(origins, k);
			continue;
		}
		alive = k->owner.tgid;
		used[(*n)++] = k->stack;
	}
	qsort(used, *n, sizeof(*used), cmp_u64);
	return used;
}

/* Clear the bits of armed processes that have exited: the words read in
 * batches (a few system calls; on the stack, so that no large buffer
 * moves malloc's mmap threshold), the few set bits checked in /proc. */
static void gc_armed(struct portleak_bpf *skel)
{
	enum { CHUNK = 1024 };
	int fd = bpf_map__fd(skel->maps.armed), err;
	/* Zeroed: valgrind cannot see the kernel fill them. */
	__u32 keys[CHUNK] = { 0 }, count, batch = 0, next = 0, i, bit;
	__u64 words[CHUNK] = { 0 }, bits;
	bool first = true;

	do {
		count = CHUNK;
		err = bpf_map_lookup_batch(fd, first ? NULL : &batch, &next, keys, words, &count, NULL);
		if (err && err != -ENOENT)
			return;
		for (i = 0; i < count; i++) {
			if (!(bits = words[i]))
				continue;
			for (bit = 0; bit < 64; bit++)
				if ((bits >> bit & 1) && !process_alive(keys[i] * 64 + bit))
					bits &= ~(1ull << bit);
			if (bits != words[i])
				bpf_map_update_elem(fd, &keys[i], &bits, BPF_ANY);
		}
		batch = next;
		first = false;
	} while (!err);
}

/* Stacks nothing refers to, origins and armed bits of exited processes. */
static void gc_origins(struct portleak_bpf *skel, const struct pl_maps *m)
{
	int stacks = bpf_map__fd(skel->maps.stacks);
	size_t i, n_used;
	__u64 *used = used_stacks(skel, m, &n_used);

	for (i = 0; used && i < m->n_stacks; i++)
		if (!bsearch(&m->stacks[i], used, n_used, sizeof(*used), cmp_u64))
			bpf_map_delete_elem(stacks, &m->stacks[i]);
	free(used);
	gc_armed(skel);
}

/* Whether the ledger entry of @sk is still what the report read: the
 * kernel hands a freed socket's address to the next socket at once, and
 * the new one's entry must not go with the old one's. */
static bool entry_as_read(int ledger, __u64 sk, const struct pl_socket *read)
{
	struct pl_socket now;

	return !bpf_map_lookup_elem(ledger, &sk, &now) && now.changed_ns == read->changed_ns &&
	       now.created_ns == read->created_ns && now.closed == read->closed;
}

/* The same for a TIME_WAIT owner: the 4-tuple may have been used again. */
static bool timewait_as_read(int timewait, const struct pl_timewait_row *r)
{
	struct pl_timewait now;

	return !bpf_map_lookup_elem(timewait, &r->key, &now) && now.closed_ns == r->v.closed_ns;
}

/* Delete the entries of sockets that closed at least a grace ago, unless
 * a new socket took the address since they were read: each is read again
 * first, which leaves a window of two system calls, not of a whole report
 * (a socket created in it is recorded by the next fd walk). */
static void gc_closed(int ledger, const struct pl_maps *m, __u64 now_ns)
{
	struct pl_socket now = { 0 };
	size_t i;

	for (i = 0; i < m->n_closed; i++) {
		const struct pl_closed_row *c = &m->closed[i];

		if (older_than(c->changed_ns, now_ns, LEDGER_GRACE_NS) &&
		    !bpf_map_lookup_elem(ledger, &c->sk, &now) && now.closed &&
		    now.changed_ns == c->changed_ns)
			bpf_map_delete_elem(ledger, &c->sk);
	}
}

static int cmp_sock_mark(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pl_sock_mark));
}

static int cmp_timewait_mark(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pl_timewait_mark));
}

/* Delete the entries of sockets the TCP walk no longer lists, nor the
 * collection's before it (@marks), each read again first, as gc_closed
 * does: between the maps' read and the walk, the socket read may have
 * closed and a new socket taken its address (seen: a client making 700
 * short connections lost 1 to 4 of them to nobody, closed and TIME_WAIT
 * alike, with no loss counted). @next: this walk's marks, @n_next. */
static void gc_vanished(int ledger, const struct pl_maps *m, const struct pl_tcp_walk *live,
			const struct pl_skindex *socks, const struct pl_gc_marks *marks,
			struct pl_sock_mark *next, size_t *n_next, __u64 now_ns)
{
	size_t i;

	for (i = 0; i < m->n_ledger; i++) {
		const struct pl_ledger_row *r = &m->ledger[i];
		struct pl_sock_mark k = { .sk = r->sk, .created_ns = r->s.created_ns };

		if (!walk__has_netns(live, r->s.tuple.netns) ||
		    !older_than(r->s.changed_ns, now_ns, LEDGER_GRACE_NS) ||
		    skindex__find(socks, r->sk))
			continue;
		next[(*n_next)++] = k;
		if (marks->n_socks &&
		    bsearch(&k, marks->socks, marks->n_socks, sizeof(k), cmp_sock_mark) &&
		    entry_as_read(ledger, r->sk, &r->s))
			bpf_map_delete_elem(ledger, &r->sk);
	}
}

/* The same for TIME_WAIT owners whose timewait socket the walk no longer
 * lists: expired, or killed for a new connection that took its tuple. */
static void gc_timewait(int timewait, const struct pl_maps *m, const struct pl_tcp_walk *live,
			const struct live_sets *l, const struct pl_gc_marks *marks,
			struct pl_timewait_mark *next, size_t *n_next, __u64 now_ns)
{
	size_t i;

	for (i = 0; i < m->n_timewait; i++) {
		const struct pl_timewait_row *r = &m->timewait[i];
		struct pl_timewait_mark k;

		if (!walk__has_netns(live, r->key.netns) ||
		    !older_than(r->v.closed_ns, now_ns, TIMEWAIT_GRACE_NS) ||
		    bsearch(&r->key, l->timewait, l->n_timewait, sizeof(r->key), cmp_tuple))
			continue;
		memset(&k, 0, sizeof(k));
		k.key = r->key;
		k.closed_ns = r->v.closed_ns;
		next[(*n_next)++] = k;
		if (marks->n_timewait &&
		    bsearch(&k, marks->timewait, marks->n_timewait, sizeof(k), cmp_timewait_mark) &&
		    timewait_as_read(timewait, r))
			bpf_map_delete_elem(timewait, &r->key);
	}
}

/* The collections that need the walk: each deletes only what the walk
 * before it lacked too, and marks what this one lacks for the next. */
static void gc_unlisted(struct portleak_bpf *skel, const struct pl_maps *m,
			const struct pl_tcp_walk *live, struct pl_gc_marks *marks, __u64 now_ns)
{
	struct pl_gc_marks next = {
		.socks = calloc(m->n_ledger + 1, sizeof(*next.socks)),
		.timewait = calloc(m->n_timewait + 1, sizeof(*next.timewait)),
	};
	struct live_sets l = { 0 };

	if (next.socks && next.timewait && live_sets(live, &l) == 0) {
		gc_vanished(bpf_map__fd(skel->maps.ledger), m, live, &l.socks, marks,
			    next.socks, &next.n_socks, now_ns);
		gc_timewait(bpf_map__fd(skel->maps.timewait), m, live, &l, marks,
			    next.timewait, &next.n_timewait, now_ns);
		qsort(next.socks, next.n_socks, sizeof(*next.socks), cmp_sock_mark);
		qsort(next.timewait, next.n_timewait, sizeof(*next.timewait), cmp_timewait_mark);
		collect__free_marks(marks);
		*marks = next;
		next = (struct pl_gc_marks){ 0 };
	}
	skindex__free(&l.socks);
	free(l.timewait);
	collect__free_marks(&next);
}

void collect__free_marks(struct pl_gc_marks *marks)
{
	free(marks->socks);
	free(marks->timewait);
	memset(marks, 0, sizeof(*marks));
}

void collect__maps(struct portleak_bpf *skel, const struct pl_maps *m,
		   const struct pl_tcp_walk *live, struct pl_gc_marks *marks, __u64 now_ns)
{
	int ledger = bpf_map__fd(skel->maps.ledger);
	int owners = bpf_map__fd(skel->maps.owners);
	size_t i, n_refs;
	__u32 *refs;

	gc_closed(ledger, m, now_ns);
	gc_unlisted(skel, m, live, marks, now_ns);
	refs = referenced_tgids(m, &n_refs);
	for (i = 0; refs && i < m->n_owners; i++) {
		const struct pl_owner *o = &m->owners[i].key;

		if (!process_alive(o->tgid) &&
		    !bsearch(&o->tgid, refs, n_refs, sizeof(*refs), cmp_u32))
			bpf_map_delete_elem(owners, o);
	}
	free(refs);
	gc_origins(skel, m);
	for (i = 0; i < m->n_fails; i++) {
		const struct pl_fail_row *r = &m->fails[i];

		if (now_ns - r->v.last_ns > FAILS_KEPT_NS && !process_alive(r->key.owner.tgid))
			bpf_map_delete_elem(bpf_map__fd(skel->maps.fails), &r->key);
	}
}
