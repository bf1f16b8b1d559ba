// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/budget.h"

static bool bit(const __u64 *bits, __u16 port)
{
	return bits[port / 64] >> (port % 64) & 1;
}

static void set_bit(__u64 *bits, __u16 port)
{
	bits[port / 64] |= 1ull << (port % 64);
}

static int cmp_ns(const void *a, const void *b)
{
	const struct pl_budget_ns *x = a, *y = b;

	return x->sum.netns < y->sum.netns ? -1 : x->sum.netns > y->sum.netns;
}

static void add_ns(struct pl_budget_ns *ns, __u32 inum, __u16 low, __u16 high,
		   const __u64 *reserved)
{
	unsigned int p;

	ns->sum = (struct pl_port_budget){ .netns = inum, .low = low, .high = high };
	for (p = low; p <= high && low <= high; p++) {
		if (reserved && bit(reserved, (__u16)p)) {
			set_bit(ns->taken, (__u16)p);
			ns->sum.reserved++;
		}
	}
	ns->sum.usable = (low <= high ? high - low + 1u : 0) - ns->sum.reserved;
}

int budget__build(const struct pl_model_input *in, struct pl_budgets *b)
{
	struct pl_budget_ns *last = NULL;
	size_t i, n = in->n_netns ? in->n_netns : 1;
	const struct pl_tcp_record *r;

	memset(b, 0, sizeof(*b));
	if (!(b->ns = calloc(n, sizeof(*b->ns))))
		return -ENOMEM;
	if (!in->n_netns) /* no walk: the range portleak's namespace has */
		add_ns(&b->ns[0], 0, in->port_low, in->port_high, NULL);
	for (i = 0; i < in->n_netns; i++)
		add_ns(&b->ns[i], in->netns[i].inum, in->netns[i].port_low,
		       in->netns[i].port_high, in->netns[i].reserved);
	b->n = n;
	qsort(b->ns, b->n, sizeof(*b->ns), cmp_ns);
	/* The walk lists one namespace after another: a one-entry cache. */
	for (i = 0; i < in->n_tcp; i++) {
		r = &in->tcp[i];
		if (!r->bound)
			continue;
		if (!last || last->sum.netns != r->tuple.netns)
			last = (struct pl_budget_ns *)budget__of(b, r->tuple.netns);
		if (!last || !budget__in_range(last, r->tuple.sport) ||
		    bit(last->taken, r->tuple.sport))
			continue;
		set_bit(last->taken, r->tuple.sport);
		last->sum.bound++;
	}
	return 0;
}

void budget__free(struct pl_budgets *b)
{
	free(b->ns);
	memset(b, 0, sizeof(*b));
}

const struct pl_budget_ns *budget__of(const struct pl_budgets *b, __u32 netns)
{
	struct pl_budget_ns key = { .sum.netns = netns };

	if (b->n == 1 && !b->ns[0].sum.netns)
		return &b->ns[0]; /* no walk: one range for all */
	return bsearch(&key, b->ns, b->n, sizeof(*b->ns), cmp_ns);
}

bool budget__in_range(const struct pl_budget_ns *ns, __u16 port)
{
	return port >= ns->sum.low && port <= ns->sum.high;
}

bool budget__taken(const struct pl_budget_ns *ns, __u16 port)
{
	return bit(ns->taken, port);
}

struct pl_port_budget *budget__sums(const struct pl_budgets *b)
{
	struct pl_port_budget *sums = calloc(b->n ? b->n : 1, sizeof(*sums));
	size_t i;

	for (i = 0; sums && i < b->n; i++)
		sums[i] = b->ns[i].sum;
	return sums;
}

void budget__unmap_v4(__u8 *family, __u8 *addr)
{
	static const __u8 prefix[12] = { [10] = 0xff, [11] = 0xff };

	if (*family != PL_AF_INET6 || memcmp(addr, prefix, sizeof(prefix)))
		return;
	*family = PL_AF_INET;
	memmove(addr, addr + 12, 4);
	memset(addr + 4, 0, PL_ADDR_LEN - 4);
}
