// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/budget.h"
#include "model/history.h"
#include "model/losses.h"

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

static void add_ns(struct pl_budget_ns *ns, const struct pl_netns *in)
{
	const __u64 *reserved = in->reserved;
	__u16 low = in->port_low, high = in->port_high;
	unsigned int p;

	ns->sum = (struct pl_port_budget){ .netns = in->inum, .low = low, .high = high,
					   .tw_reuse = in->tw_reuse,
					   .tw_reuse_delay_ms = in->tw_reuse_delay_ms,
					   .conntrack = in->conntrack };
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
		add_ns(&b->ns[0], &(struct pl_netns){ .port_low = in->port_low,
						      .port_high = in->port_high });
	for (i = 0; i < in->n_netns; i++)
		add_ns(&b->ns[i], &in->netns[i]);
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

static bool loopback(__u8 family, const __u8 *addr)
{
	static const __u8 v6_loopback[PL_ADDR_LEN] = { [15] = 1 };
	__u8 f = family, a[PL_ADDR_LEN];

	memcpy(a, addr, sizeof(a));
	budget__unmap_v4(&f, a);
	return f == PL_AF_INET ? a[0] == 127 : !memcmp(a, v6_loopback, sizeof(a));
}

bool budget__tw_reuse_applies(const struct pl_budget_ns *ns, const struct pl_endpoint *src,
			      const struct pl_endpoint *dst)
{
	if (ns->sum.tw_reuse == 2)
		return loopback(src->family, src->addr) || loopback(dst->family, dst->addr);
	return ns->sum.tw_reuse == 1;
}

bool budget__tw_reusable(const struct pl_budget_ns *ns, const struct pl_tcp_record *r,
			 double age_s)
{
	struct pl_endpoint src = { .family = r->tuple.family }, dst = { .family = r->tuple.family };

	if (r->kind != PL_REC_TIMEWAIT || r->state != PL_TCP_TIME_WAIT || !r->tw_stamped ||
	    age_s * 1000 < ns->sum.tw_reuse_delay_ms)
		return false;
	memcpy(src.addr, r->tuple.saddr, sizeof(src.addr));
	memcpy(dst.addr, r->tuple.daddr, sizeof(dst.addr));
	return budget__tw_reuse_applies(ns, &src, &dst);
}

void budget__dest_endpoint(const struct pl_tuple *t, struct pl_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = t->family;
	memcpy(ep->addr, t->daddr, sizeof(ep->addr));
	ep->port = t->dport;
	budget__unmap_v4(&ep->family, ep->addr);
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

void budget__conntrack_hkey(__u32 netns, __u64 key[3])
{
	key[0] = 2ull << 40 | netns;
	key[1] = ~0ull;
	key[2] = 0;
}

__s64 budget__conntrack_drops_recent(const struct pl_model_input *in, __u32 netns, __u64 drop,
				     double *since_s)
{
	const struct pl_sample *s;
	__u64 key[3];

	budget__conntrack_hkey(netns, key);
	s = in->history ? history__since(in->history, key, PL_LOSS_WINDOW_S, 0, in->now_ns) : NULL;
	if (!s || s->t_ns >= in->now_ns)
		return -1;
	*since_s = (double)(in->now_ns - s->t_ns) / 1e9;
	/* fewer than before: a new namespace at the same inode */
	return (__s64)(s->failures <= drop ? drop - s->failures : drop);
}
