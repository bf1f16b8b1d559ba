/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The port allocator's arithmetic, per network namespace (DESIGN.md fact
 * 13): which ports of the ephemeral range connect() may never take there —
 * reserved ones, and those whose bind bucket bind() made (explicit ports,
 * port 0, listeners) — and how many are left toward one destination.
 * IPv4-mapped IPv6 addresses are IPv4 here: they share ports and
 * 4-tuples with IPv4 sockets. Plain C. */
#ifndef PORTLEAK_BUDGET_H
#define PORTLEAK_BUDGET_H

#include <stdbool.h>

#include "model/types.h"

/* One namespace's budget and the ports it may not give to connect(). */
struct pl_budget_ns {
	struct pl_port_budget sum;
	__u64 taken[PL_PORT_WORDS]; /* reserved or bound, in the range */
};

struct pl_budgets {
	struct pl_budget_ns *ns; /* sorted by netns */
	size_t n;
};

/* Every namespace of @in (or portleak's own range when none was walked),
 * with the bound ports of @in's sockets. 0, or -ENOMEM. */
int budget__build(const struct pl_model_input *in, struct pl_budgets *b);
void budget__free(struct pl_budgets *b);
/* The budget of @netns; NULL when that namespace was not walked. */
const struct pl_budget_ns *budget__of(const struct pl_budgets *b, __u32 netns);
bool budget__in_range(const struct pl_budget_ns *ns, __u16 port);
/* Is @port of the range one connect() may never take (reserved, bound)? */
bool budget__taken(const struct pl_budget_ns *ns, __u16 port);
/* A sum per namespace for the report: a new array of @b->n, or NULL. */
struct pl_port_budget *budget__sums(const struct pl_budgets *b);
/* May connect() reuse the port of timewait socket @r toward its peer
 * (DESIGN.md fact 14)? tcp_tw_reuse 1, or 2 and a loopback address; the
 * peer's timestamps seen; older than the reuse delay (@age_s: its age
 * from its timer, negative when unknown). */
bool budget__tw_reusable(const struct pl_budget_ns *ns, const struct pl_tcp_record *r,
			 double age_s);
/* Does tcp_tw_reuse apply toward @dst from @src in @ns? */
bool budget__tw_reuse_applies(const struct pl_budget_ns *ns, const struct pl_endpoint *src,
			      const struct pl_endpoint *dst);
/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is,
 * in place; other addresses as they are. */
void budget__unmap_v4(__u8 *family, __u8 *addr);
/* The destination of @t as an endpoint, an IPv4-mapped address as the IPv4
 * one (Java's sockets): one peer, as the model names peers everywhere. */
void budget__dest_endpoint(const struct pl_tuple *t, struct pl_endpoint *ep);
/* The history series of namespace @netns's conntrack table: its drops as
 * the sample's failures, its entries as held. */
void budget__conntrack_hkey(__u32 netns, __u64 key[3]);
/* Of @drop, the new connections that namespace @netns's conntrack table
 * dropped in the last PL_LOSS_WINDOW_S (since the first report, if
 * later), and since when in *@since_s; -1 while there is no earlier
 * report to compare with. */
__s64 budget__conntrack_drops_recent(const struct pl_model_input *in, __u32 netns, __u64 drop,
				     double *since_s);

#endif
