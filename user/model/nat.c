// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* NAT's budget: entries grouped by what shares a pool of ports (the
 * namespace that translates, the address it gives, the destination and
 * the protocol), each entry joined to the socket whose original tuple it
 * carries, in whatever namespace that socket lives (a pod's, behind a
 * node that masquerades). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "lib/array.h"
#include "model/nat.h"

/* The order of the pools: entries of one pool follow each other. */
static int cmp_pool(const void *a, const void *b)
{
	const struct pl_nat_entry *x = *(const struct pl_nat_entry *const *)a;
	const struct pl_nat_entry *y = *(const struct pl_nat_entry *const *)b;
	int c;

	if ((c = pl_cmp_u64(x->orig.netns, y->orig.netns)) || (c = pl_cmp_u64(x->proto, y->proto)) ||
	    (c = pl_cmp_u64(x->orig.family, y->orig.family)) ||
	    (c = memcmp(x->nat_addr, y->nat_addr, PL_ADDR_LEN)) ||
	    (c = memcmp(x->orig.daddr, y->orig.daddr, PL_ADDR_LEN)))
		return c;
	return pl_cmp_u64(x->orig.dport, y->orig.dport);
}

static bool same_pool(const struct pl_nat_entry *x, const struct pl_nat_entry *y)
{
	return cmp_pool(&x, &y) == 0;
}

/* Sockets by their 4-tuple, whatever their namespace: a NAT entry's
 * original tuple is its sender's local and remote address. */
static int cmp_tuple(const struct pl_tuple *x, const struct pl_tuple *y)
{
	int c;

	if ((c = pl_cmp_u64(x->family, y->family)) || (c = pl_cmp_u64(x->sport, y->sport)) ||
	    (c = pl_cmp_u64(x->dport, y->dport)) || (c = memcmp(x->saddr, y->saddr, PL_ADDR_LEN)))
		return c;
	return memcmp(x->daddr, y->daddr, PL_ADDR_LEN);
}

static int cmp_attrib(const void *a, const void *b)
{
	return cmp_tuple(&(*(const struct attrib *const *)a)->rec->tuple,
			 &(*(const struct attrib *const *)b)->rec->tuple);
}

/* The socket that made entry @e: a full or timewait socket with its
 * original tuple; NULL when none is left. */
static const struct attrib *sender(const struct attrib **by_tuple, size_t n,
				   const struct pl_nat_entry *e)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_tuple(&by_tuple[mid]->rec->tuple, &e->orig);

		if (c == 0)
			return by_tuple[mid]->rec->kind == PL_REC_REQUEST ? NULL : by_tuple[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_holder_pid(const void *a, const void *b)
{
	return pl_cmp_u64(((const struct pl_nat_holder *)a)->pid,
			  ((const struct pl_nat_holder *)b)->pid);
}

static int cmp_holder(const void *a, const void *b)
{
	const struct pl_nat_holder *x = a, *y = b;

	return x->entries != y->entries ? pl_cmp_u64(y->entries, x->entries)
					: pl_cmp_u64(x->pid, y->pid);
}

/* @n holders of one entry each, into one per process, the most first:
 * their number. */
static size_t merge_holders(struct pl_nat_holder *h, size_t n)
{
	size_t i, k = 0;

	qsort(h, n, sizeof(*h), cmp_holder_pid);
	for (i = 0; i < n; i++) {
		if (k && h[k - 1].pid == h[i].pid)
			h[k - 1].entries++;
		else
			h[k++] = h[i];
	}
	qsort(h, k, sizeof(*h), cmp_holder);
	return k;
}

/* The drops of @u's namespace's table of late, and whether NAT ran out:
 * drops while the table had room. */
static void namespace_drops(const struct pl_report *r, struct pl_nat_use *u)
{
	size_t i;

	u->drops_recent = 0;
	for (i = 0; i < r->n_budgets; i++) {
		const struct pl_conntrack *c = &r->budgets[i].conntrack;

		if (r->budgets[i].netns != u->netns || !c->present)
			continue;
		u->drops_recent = c->drop_recent;
		u->exhausted = (c->drop_recent > 0 || (c->drop_recent < 0 && c->drop)) &&
			       !(c->max && c->count >= c->max);
	}
}

/* One pool: its @n entries at @pool; @scratch has room for n holders. */
static void build_use(const struct pl_nat_entry **pool, size_t n, const struct attrib **by_tuple,
		      size_t n_socks, struct pl_nat_holder *scratch, struct pl_nat_use *u)
{
	const struct pl_nat_entry *e = pool[0];
	size_t i, n_all = 0;

	memset(u, 0, sizeof(*u));
	u->netns = e->orig.netns;
	u->family = e->orig.family;
	u->proto = e->proto;
	u->dport = e->orig.dport;
	memcpy(u->source, e->nat_addr, PL_ADDR_LEN);
	memcpy(u->dest, e->orig.daddr, PL_ADDR_LEN);
	for (i = 0; i < n; i++) {
		const struct attrib *a = sender(by_tuple, n_socks, pool[i]);

		u->ports_used++;
		u->closed += pool[i]->tcp_state >= TCP_CONNTRACK_TIME_WAIT &&
			     pool[i]->tcp_state <= TCP_CONNTRACK_CLOSE;
		if (!a || a->unknown) {
			u->unexplained++;
			continue;
		}
		scratch[n_all] = (struct pl_nat_holder){ .pid = a->owner.tgid, .entries = 1 };
		memcpy(scratch[n_all++].comm, a->comm ? a->comm : "", PL_COMM_LEN - 1);
	}
	n_all = merge_holders(scratch, n_all);
	u->n_holders = n_all < PL_MAX_NAT_HOLDERS ? n_all : PL_MAX_NAT_HOLDERS;
	memcpy(u->holders, scratch, u->n_holders * sizeof(*scratch));
}

/* Those that ran out of ports first, then the most ports used. */
static int cmp_use(const void *a, const void *b)
{
	const struct pl_nat_use *x = a, *y = b;

	if (x->exhausted != y->exhausted)
		return x->exhausted ? -1 : 1;
	return pl_cmp_u64(y->ports_used, x->ports_used);
}

int nat__build(const struct pl_model_input *in, const struct attrib *attribs, size_t n,
	       struct pl_report *out)
{
	const struct pl_nat_entry **pool;
	const struct attrib **by_tuple;
	struct pl_nat_holder *scratch;
	size_t i = 0, j;
	int err = 0;

	out->nat_left_out = in->nat_left_out;
	out->nat_cut = in->nat_cut;
	if (!in->n_nat) /* the usual case: no sort of every socket */
		return 0;
	pool = (const struct pl_nat_entry **)array__sorted_ptrs(in->nat, in->n_nat,
								sizeof(*in->nat), cmp_pool);
	by_tuple = (const struct attrib **)array__sorted_ptrs(attribs, n, sizeof(*attribs),
							      cmp_attrib);
	scratch = calloc(in->n_nat, sizeof(*scratch));
	out->nat = calloc(in->n_nat, sizeof(*out->nat));
	if (!pool || !by_tuple || !scratch || !out->nat)
		err = -ENOMEM;
	while (!err && i < in->n_nat) {
		for (j = i + 1; j < in->n_nat && same_pool(pool[j], pool[i]); j++)
			;
		build_use(pool + i, j - i, by_tuple, n, scratch, &out->nat[out->n_nat]);
		namespace_drops(out, &out->nat[out->n_nat++]);
		i = j;
	}
	if (!err)
		qsort(out->nat, out->n_nat, sizeof(*out->nat), cmp_use);
	free(pool);
	free(by_tuple);
	free(scratch);
	return err;
}

const struct pl_nat_use *nat__exhausted_toward(const struct pl_report *r,
					       const struct pl_endpoint *peer)
{
	size_t i;

	for (i = 0; i < r->n_nat; i++) {
		const struct pl_nat_use *u = &r->nat[i];

		if (u->exhausted && u->family == peer->family && u->dport == peer->port &&
		    !memcmp(u->dest, peer->addr, PL_ADDR_LEN))
			return u;
	}
	return NULL;
}
