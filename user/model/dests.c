// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One row per destination from the joined sockets: see dests.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/budget.h"
#include "model/dests.h"
#include "model/verdict.h"

/* What tells destinations apart: the leading fields of struct pl_dest. */
struct dest_id {
	__u32 netns;
	struct pl_endpoint src; /* port unused */
	struct pl_endpoint dst;
};

static void dest_id_of(const struct pl_tuple *t, struct dest_id *id)
{
	memset(id, 0, sizeof(*id));
	id->netns = t->netns;
	id->src.family = t->family;
	memcpy(id->src.addr, t->saddr, sizeof(id->src.addr));
	budget__unmap_v4(&id->src.family, id->src.addr);
	budget__dest_endpoint(t, &id->dst);
}

static int cmp_ids(__u32 netns_a, const struct pl_endpoint *src_a, const struct pl_endpoint *dst_a,
		   __u32 netns_b, const struct pl_endpoint *src_b, const struct pl_endpoint *dst_b)
{
	int c = pl_cmp_u64(netns_a, netns_b);

	if (c)
		return c;
	if ((c = memcmp(src_a, src_b, sizeof(*src_a))))
		return c;
	return memcmp(dst_a, dst_b, sizeof(*dst_a));
}

static int cmp_dest_id(const void *a, const void *b)
{
	const struct dest_id *x = a, *y = b;

	return cmp_ids(x->netns, &x->src, &x->dst, y->netns, &y->src, &y->dst);
}

/* bsearch's order: the key (a struct dest_id), then a row. */
static int cmp_id_dest(const void *key, const void *row)
{
	const struct dest_id *x = key;
	const struct pl_dest *y = row;

	return cmp_ids(x->netns, &x->src, &x->dst, y->netns, &y->src, &y->dst);
}

static struct pl_dest *find_dest(struct pl_report *out, const struct pl_tuple *t)
{
	struct dest_id id;

	dest_id_of(t, &id);
	return bsearch(&id, out->dests, out->n_dests, sizeof(*out->dests), cmp_id_dest);
}

static size_t dest_id_hash(const struct dest_id *id)
{
	__u32 w[sizeof(*id) / sizeof(__u32)];
	__u64 h = 0;
	size_t i;

	memcpy(w, id, sizeof(w));
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h ^ h >> 32);
}

/* Keep the first of each of the *@n ids, in place, and their number in
 * *@n, by open addressing: a few destinations behind 54,000 sockets made a
 * sort of 54,000 ids. 0, or -ENOMEM. */
static int distinct_ids(struct dest_id *ids, size_t *n)
{
	size_t slots = 16, mask, i, j, kept = 0;
	__u32 *slot; /* 1 + index in ids of a kept id; 0: empty */

	while (slots < 2 * *n)
		slots *= 2;
	mask = slots - 1;
	if (!(slot = calloc(slots, sizeof(*slot))))
		return -ENOMEM;
	for (i = 0; i < *n; i++) {
		for (j = dest_id_hash(&ids[i]) & mask; slot[j]; j = (j + 1) & mask)
			if (!cmp_dest_id(&ids[slot[j] - 1], &ids[i]))
				break;
		if (slot[j])
			continue;
		ids[kept] = ids[i];
		slot[j] = (__u32)++kept;
	}
	free(slot);
	*n = kept;
	return 0;
}

/* One row per destination that any selected socket or failure points to,
 * in the order of cmp_dest_id: the distinct ids are found and sorted
 * first, small, and only they become (large) rows. */
static int dest_rows(const struct pl_model_input *in, const struct attrib *attribs,
		     size_t n, struct pl_report *out)
{
	size_t i, k = 0, cap = in->n_failures + 1;
	struct dest_id *ids;
	int err;

	for (i = 0; i < n; i++)
		cap += attribs[i].selected && attribs[i].active;
	ids = calloc(cap, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (attribs[i].selected && attribs[i].active)
			dest_id_of(&attribs[i].rec->tuple, &ids[k++]);
	for (i = 0; i < in->n_failures; i++)
		if (in->failures[i].kind == PL_FAIL_CONNECT &&
		    join__failure_selected(in, &in->failures[i]))
			dest_id_of(&in->failures[i].tuple, &ids[k++]);
	err = distinct_ids(ids, &k);
	qsort(ids, k, sizeof(*ids), cmp_dest_id);
	out->dests = err ? NULL : calloc(k + 1, sizeof(*out->dests));
	for (i = 0; out->dests && i < k; i++) {
		struct pl_dest *d = &out->dests[out->n_dests];

		d->netns = ids[i].netns;
		/* Whole, padding too: the rows are compared with memcmp. */
		memcpy(&d->src, &ids[i].src, sizeof(d->src));
		memcpy(&d->dst, &ids[i].dst, sizeof(d->dst));
		d->time_wait_oldest_s = -1;
		out->n_dests++;
	}
	free(ids);
	return out->dests ? 0 : -ENOMEM;
}

/* One TIME_WAIT toward @d whose timer was read: when it frees its port. */
static void dest_add_timewait(const struct pl_model_input *in, struct pl_dest *d,
			      const struct pl_tcp_record *r)
{
	double left = clocks__timewait_left_s(&r->clocks, in->hz), age;
	unsigned int sec;

	if (left < 0)
		return;
	sec = left >= PL_TIMEWAIT_S ? PL_TIMEWAIT_S - 1 : (unsigned int)left;
	d->expiring[sec]++;
	d->time_wait_dated++;
	d->time_wait_freeing += left < PL_FREEING_S;
	age = clocks__timewait_age_s(&r->clocks, in->hz);
	if (age > d->time_wait_oldest_s)
		d->time_wait_oldest_s = age;
}

/* TIME_WAIT sockets born per second toward @d: those of the last
 * PL_RATE_WINDOW_S from their timers; the undated ones as if spread evenly
 * over their 60 s. */
static double timewait_births_per_s(const struct pl_dest *d)
{
	unsigned int sec, born = 0;

	for (sec = PL_TIMEWAIT_S - (unsigned int)PL_RATE_WINDOW_S; sec < PL_TIMEWAIT_S; sec++)
		born += d->expiring[sec];
	return born / PL_RATE_WINDOW_S +
	       (double)(d->time_wait - d->time_wait_dated) / PL_TIMEWAIT_S;
}

/* When the ports toward @d run out within the next TIME_WAIT length, if
 * connections keep closing at @births per second: the held ports stay,
 * each TIME_WAIT frees its port when its timer says, new ones come at that
 * rate. -1 when they do not run out. */
static double timewait_exhaustion_s(const struct pl_dest *d, const struct pl_budget_ns *ns,
				    __u32 capacity, double births)
{
	__u64 young = d->time_wait - d->time_wait_reusable;
	__u64 alive = young < d->ports_used ? young : d->ports_used;
	__u64 held = d->ports_used - alive;
	unsigned int t;

	/* With tcp_tw_reuse a TIME_WAIT holds its port only for the delay:
	 * the ports run out only if that many are born within it. */
	if (d->tw_reuse)
		return held + births * ns->sum.tw_reuse_delay_ms / 1000.0 >= capacity ? 0 : -1;
	for (t = 0; t < PL_TIMEWAIT_S; t++) {
		if (held + alive + births * t >= capacity)
			return t;
		alive -= d->expiring[t]; /* those with t..t+1 s left are gone at t+1 */
	}
	return -1;
}

/* The allocator's figures for @d (DESIGN.md fact 13): of the usable ports
 * of its namespace, bind() holds some for no destination, and it uses some
 * more; connect() may take the rest. When they run out at the rate ports
 * are taken now. */
static void dest_finish(const struct pl_model_input *in, const struct pl_budget_ns *ns,
			struct pl_dest *d)
{
	__u32 usable = ns ? ns->sum.usable : 0, capacity;
	double births, by_timewait;

	d->range = ns && ns->sum.high >= ns->sum.low ? ns->sum.high - ns->sum.low + 1u : 0;
	d->budget = ns ? ns->sum : (struct pl_port_budget){ .netns = d->netns };
	d->tw_reuse = ns && budget__tw_reuse_applies(ns, &d->src, &d->dst);
	capacity = usable > d->budget.bound ? usable - d->budget.bound : 0;
	d->ports_free = capacity > d->ports_used ? capacity - d->ports_used : 0;
	d->utilization = usable ? 1 - (double)d->ports_free / usable : 0;
	d->growth_per_s = verdict__dest_growth(in, d);
	births = timewait_births_per_s(d);
	d->new_ports_per_s = (d->growth_per_s > 0 ? d->growth_per_s : 0) + births;
	d->seconds_to_exhaustion = -1;
	if (!usable)
		return;
	if (!d->ports_free) {
		d->seconds_to_exhaustion = 0;
		return;
	}
	if (d->growth_per_s > 0)
		d->seconds_to_exhaustion = d->ports_free / d->growth_per_s;
	by_timewait = d->time_wait_dated ? timewait_exhaustion_s(d, ns, capacity, births) : -1;
	if (by_timewait >= 0 &&
	    (d->seconds_to_exhaustion < 0 || by_timewait < d->seconds_to_exhaustion))
		d->seconds_to_exhaustion = by_timewait;
}

/* Count @r's local port toward @d: used when it is in the range, not held
 * by bind() already (that one counts as bound), and not a TIME_WAIT that
 * connect() may reuse (counted apart). */
static void count_port(const struct pl_model_input *in, const struct pl_budget_ns *ns,
		       const struct pl_tcp_record *r, struct pl_dest *d)
{
	if (!ns || !budget__in_range(ns, r->tuple.sport) || budget__taken(ns, r->tuple.sport))
		return;
	if (budget__tw_reusable(ns, r, clocks__timewait_age_s(&r->clocks, in->hz)))
		d->time_wait_reusable++;
	else
		d->ports_used++;
}

/* @attribs are still in the order of in->tcp here. */
int dests__build(const struct pl_model_input *in, const struct pl_budgets *budgets,
		       const struct attrib *attribs, size_t n, struct pl_report *out)
{
	struct pl_dest *d;
	size_t i;
	int err = dest_rows(in, attribs, n, out);

	if (err)
		return err;
	/* Counts are host-wide: the port budget is shared by every process. */
	for (i = 0; i < n; i++) {
		if (!attribs[i].active)
			continue;
		if (!(d = find_dest(out, &in->tcp[i].tuple)))
			continue;
		d->in_use++;
		d->connecting += in->tcp[i].state == PL_TCP_SYN_SENT;
		count_port(in, budget__of(budgets, d->netns), &in->tcp[i], d);
		if (in->tcp[i].kind == PL_REC_TIMEWAIT && in->tcp[i].state == PL_TCP_TIME_WAIT) {
			d->time_wait++;
			dest_add_timewait(in, d, &in->tcp[i]);
		}
	}
	for (i = 0; i < in->n_failures; i++) {
		if (in->failures[i].kind != PL_FAIL_CONNECT)
			continue;
		if ((d = find_dest(out, &in->failures[i].tuple)))
			d->connect_failures++;
	}
	for (i = 0; i < out->n_dests; i++)
		dest_finish(in, budget__of(budgets, out->dests[i].netns), &out->dests[i]);
	return 0;
}

/* Per process, its sockets past listening that hold a port of the range by
 * bind(): not a listener's, nor those it accepted (they share its port). */
void dests__count_bound_ports(const struct pl_budgets *budgets, const struct attrib *attribs,
			      size_t n, struct pl_report *out)
{
	const struct pl_budget_ns *ns;
	const struct pl_tcp_record *r;
	struct pl_proc *p;
	size_t i;

	for (i = 0; i < n; i++) {
		r = attribs[i].rec;
		if (!attribs[i].proc || !r->bound || r->state == PL_TCP_LISTEN ||
		    r->kind == PL_REC_REQUEST || attribs[i].server_side)
			continue;
		ns = budget__of(budgets, r->tuple.netns);
		if (!ns || !budget__in_range(ns, r->tuple.sport))
			continue;
		p = &out->procs[attribs[i].proc - 1];
		p->ports_bound++;
		if (!p->budget.usable)
			p->budget = ns->sum;
	}
}

/* For each process, the destination toward which it holds most local
 * ports. @attribs are grouped by owner: each process's run is contiguous. */
void dests__find_hot(const struct attrib *attribs, size_t n, struct pl_report *out)
{
	enum { CANDIDATES = 8 };
	struct { const struct pl_dest *d; __u64 n; } top[CANDIDATES];
	size_t i = 0, j, k, used;

	while (i < n) {
		used = 0;
		for (j = i; j < n && attribs[j].proc == attribs[i].proc; j++) {
			const struct pl_dest *d;

			if (!attribs[j].proc || !attribs[j].active)
				continue;
			if (!(d = find_dest(out, &attribs[j].rec->tuple)))
				continue;
			for (k = 0; k < used && top[k].d != d; k++)
				;
			if (k == used && used < CANDIDATES)
				top[used++] = (typeof(top[0])){ d, 0 };
			if (k < used)
				top[k].n++;
		}
		for (k = 0; k < used; k++) {
			struct pl_proc *p = &out->procs[attribs[i].proc - 1];

			if (top[k].n > p->hot_dest_ports) {
				p->hot_dest = top[k].d->dst;
				p->hot_dest_ports = top[k].n;
				p->hot_dest_utilization = top[k].d->utilization;
				p->budget = top[k].d->budget;
			}
		}
		i = j;
	}
}

int dests__cmp_usage(const void *a, const void *b)
{
	const struct pl_dest *x = a, *y = b;
	int c = pl_cmp_u64(y->in_use, x->in_use);

	return c ? c : pl_cmp_u64(y->connect_failures, x->connect_failures);
}
