// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One row per process from the joined sockets: see procs.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/budget.h"
#include "model/calls.h"
#include "model/handshake.h"
#include "model/origins.h"
#include "model/procs.h"

static struct pl_proc *proc_new(const struct pl_model_input *in,
				struct pl_report *out, const struct pl_owner *owner,
				const char *comm, __u64 cgroup_id)
{
	struct pl_proc *p = &out->procs[out->n_procs++];

	memset(p, 0, sizeof(*p));
	p->pid = owner->tgid;
	p->start_ns = owner->start_ns;
	p->unknown = owner->tgid == 0 && owner->start_ns == 0;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->cgroup_id = cgroup_id;
	if (!p->unknown) {
		join__identify(in, cgroup_id, p->cgroup, sizeof(p->cgroup), &p->who);
	}
	p->close_wait_oldest_s = p->close_wait_oldest_max_s = -1;
	p->idle_oldest_s = -1;
	return p;
}

/* The other end, as a person would group it: a client's sockets by the
 * server's address and port, a server's by the client's address only. */
static void peer_of(const struct attrib *a, struct pl_endpoint *ep)
{
	budget__dest_endpoint(&a->rec->tuple, ep);
	if (a->server_side)
		ep->port = 0;
}

/* The peer holding most of this process's CLOSE_WAIT sockets. @group holds
 * its sockets in no order of peer, so count each distinct peer against it. */
static void close_wait_peer(struct pl_proc *p, const struct attrib *group, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		struct pl_endpoint ep, other;
		__u64 count = 0;

		if (!group[i].selected || group[i].rec->state != PL_TCP_CLOSE_WAIT)
			continue;
		peer_of(&group[i], &ep);
		if (p->close_wait_peer_count && pl_same_endpoint(&ep, &p->close_wait_peer))
			continue;
		for (j = i; j < n; j++) {
			if (!group[j].selected || group[j].rec->state != PL_TCP_CLOSE_WAIT)
				continue;
			peer_of(&group[j], &other);
			count += pl_same_endpoint(&ep, &other);
		}
		if (count > p->close_wait_peer_count) {
			p->close_wait_peer = ep;
			p->close_wait_peer_count = count;
		}
		if (count * 2 > p->states[PL_TCP_CLOSE_WAIT])
			break; /* a majority: nobody can beat it */
	}
}

/* An ESTABLISHED socket this process opened as a client: by connect(), or
 * found by the walk on a local port no listener of the host holds. */
static bool opened_as_client(const struct attrib *a)
{
	const struct pl_socket *e = a->entry;

	return e && !a->server_side &&
	       (e->origin == PL_ORIGIN_CONNECT || e->origin == PL_ORIGIN_WALK);
}

static struct pl_peer_group *add_to_group(struct pl_proc *p, const struct attrib *a,
					   double age)
{
	struct pl_endpoint peer = { 0 };
	struct pl_peer_group *g;
	size_t i;

	if (a->rec->state != PL_TCP_LISTEN) {
		peer_of(a, &peer);
	} else { /* listeners: the local port, no address */
		peer.family = a->rec->tuple.family;
		peer.port = a->rec->tuple.sport;
	}
	for (i = 0; i < p->n_groups; i++) {
		g = &p->groups[i];
		if (g->state == a->rec->state && pl_same_endpoint(&g->peer, &peer))
			break;
	}
	if (i == p->n_groups) {
		if (p->n_groups == PL_MAX_GROUPS)
			return NULL; /* the busiest groups come first once sorted */
		g = &p->groups[p->n_groups++];
		*g = (struct pl_peer_group){ .peer = peer, .state = a->rec->state,
					     .idle_oldest_s = -1, .idle_newest_s = -1 };
	}
	g->count++;
	if (age > g->oldest_s)
		g->oldest_s = age;
	return g;
}

/* How long an ESTABLISHED socket has moved no data, from its own clocks. */
static void add_idle(const struct pl_model_input *in, struct pl_proc *p,
		     struct pl_peer_group *g, const struct attrib *a)
{
	double idle = clocks__idle_s(&a->rec->clocks, in->hz, NULL);

	if (idle < 0)
		return;
	if (idle > p->idle_oldest_s)
		p->idle_oldest_s = idle;
	if (g && idle > g->idle_oldest_s)
		g->idle_oldest_s = idle;
	if (g && (g->idle_newest_s < 0 || idle < g->idle_newest_s))
		g->idle_newest_s = idle;
	if (idle < in->idle_age_s) {
		if (g)
			g->active++;
		return;
	}
	p->established_idle++;
	if (!opened_as_client(a))
		return;
	p->stale++;
	if (g)
		g->stale++;
}

/* The oldest CLOSE_WAIT: the most that is sure, and the most it can be
 * (unknown once one socket's is). */
static void add_close_wait_age(struct pl_proc *p, double age, bool exact, double max)
{
	if (age > p->close_wait_oldest_s) {
		p->close_wait_oldest_s = age;
		p->close_wait_age_exact = exact;
	}
	if (max < 0)
		p->close_wait_max_unknown = true;
	if (max > p->close_wait_oldest_max_s)
		p->close_wait_oldest_max_s = max;
	if (p->close_wait_max_unknown)
		p->close_wait_oldest_max_s = -1;
}

static void proc_add_socket(const struct pl_model_input *in, struct pl_proc *p,
			    const struct attrib *a)
{
	unsigned int state = a->rec->state;
	struct pl_peer_group *g;
	bool exact;
	double max, age = join__state_age_s(in, a, &exact, &max);

	if (state < PL_TCP_NR_STATES)
		p->states[state]++;
	p->total++;
	p->held += state == PL_TCP_ESTABLISHED || state == PL_TCP_CLOSE_WAIT ||
		   state == PL_TCP_SYN_SENT;
	p->pending_accept += a->pending_accept;
	p->close_wait_fds += state == PL_TCP_CLOSE_WAIT && !a->pending_accept;
	g = add_to_group(p, a, age);
	if (state == PL_TCP_CLOSE_WAIT)
		add_close_wait_age(p, age, exact, max);
	if (a->rec->kind != PL_REC_FULL)
		return;
	if (state == PL_TCP_ESTABLISHED) {
		add_idle(in, p, g, a);
	} else if (state == PL_TCP_SYN_SENT) {
		struct pl_endpoint peer;

		peer_of(a, &peer);
		handshake__add_connect(p, a->rec, &peer, age);
	} else if (state == PL_TCP_LISTEN) {
		handshake__add_listener(p, a->rec);
	}
}

/* Does the process still talk to the peer of its CLOSE_WAIT sockets? */
static void close_wait_peer_traffic(struct pl_proc *p)
{
	size_t i;

	p->close_wait_peer_idle_s = -1;
	for (i = 0; p->close_wait_peer_count && i < p->n_groups; i++) {
		const struct pl_peer_group *g = &p->groups[i];

		if (g->state == PL_TCP_ESTABLISHED && pl_same_endpoint(&g->peer, &p->close_wait_peer)) {
			p->close_wait_peer_active = g->active;
			p->close_wait_peer_idle_s = g->idle_newest_s;
		}
	}
}

/* The peer toward which most of the process's idle client connections go.
 * Idle connections toward a peer that others of the process's still carry
 * data to are a pool in use, not abandoned: they leave the count. */
static void stale_peer(struct pl_proc *p)
{
	size_t i;

	for (i = 0; i < p->n_groups; i++) {
		if (p->groups[i].active && p->groups[i].stale) {
			p->stale -= p->groups[i].stale;
			p->groups[i].stale = 0;
		}
	}
	for (i = 0; i < p->n_groups; i++) {
		if (p->groups[i].stale > p->stale_peer_count) {
			p->stale_peer = p->groups[i].peer;
			p->stale_peer_count = p->groups[i].stale;
		}
	}
}

static int cmp_group(const void *a, const void *b)
{
	const struct pl_peer_group *x = a, *y = b;

	return pl_cmp_u64(y->count, x->count);
}

static struct pl_proc *find_proc(struct pl_report *out, const struct pl_owner *o)
{
	size_t i;

	for (i = 0; i < out->n_procs; i++)
		if (out->procs[i].pid == o->tgid && out->procs[i].start_ns == o->start_ns)
			return &out->procs[i];
	return NULL;
}

static void add_failure_detail(struct pl_proc *p, const struct pl_failure *f)
{
	if (f->kind == PL_FAIL_BIND) {
		p->bind_port = f->tuple.sport;
		p->bind_err = f->err;
	} else {
		budget__dest_endpoint(&f->tuple, &p->connect_dest);
	}
}

/* Processes with failed calls, and their counts; @sorted by owner. */
static int add_call_failures(const struct pl_model_input *in, const struct pl_fail_row **sorted,
			     struct pl_report *out, size_t cap)
{
	size_t i;

	for (i = 0; i < in->n_fails; i++) {
		const struct pl_fail_row *r = sorted[i];

		if ((i && !pl_cmp_owner(&sorted[i - 1]->key.owner, &r->key.owner)) ||
		    !join__call_failure_selected(in, r) || find_proc(out, &r->key.owner))
			continue;
		if (out->n_procs == cap)
			return -ENOMEM;
		proc_new(in, out, &r->key.owner, r->v.comm, r->v.cgroup_id);
	}
	for (i = 0; i < out->n_procs; i++) {
		calls__fill(sorted, in->n_fails, &out->procs[i]);
		if (origins__fill_failed(in, &out->procs[i]))
			return -ENOMEM;
	}
	return 0;
}

static void fd_budget(const struct pl_model_input *in, struct pl_proc *p)
{
	p->fd_in_use = p->fd_limit = -1;
	p->fd_seconds_to_limit = -1;
	if (p->unknown || !in->fd_budget ||
	    in->fd_budget(p->pid, &p->fd_in_use, &p->fd_limit, in->fd_budget_ctx))
		p->fd_in_use = p->fd_limit = -1;
}

static int cmp_row_owner(const void *a, const void *b)
{
	return pl_cmp_owner(&(*(const struct pl_ledger_row *const *)a)->s.owner,
			 &(*(const struct pl_ledger_row *const *)b)->s.owner);
}

/* Dead sockets still held, counted for each process that holds them
 * (listed when it holds nothing else). They have no tuple: a port filter
 * leaves them out. */
static int add_dead_held(const struct pl_model_input *in, struct pl_report *out, size_t cap)
{
	const struct pl_ledger_row **sorted = calloc(in->n_dead + 1, sizeof(*sorted));
	struct pl_proc *p = NULL;
	size_t i, n = 0;

	if (!sorted)
		return -ENOMEM;
	for (i = 0; in->filter.port < 0 && i < in->n_dead; i++)
		if (join__owner_selected(in, in->dead[i].s.owner.tgid, in->dead[i].s.comm,
				   in->dead[i].s.cgroup_id))
			sorted[n++] = &in->dead[i];
	qsort(sorted, n, sizeof(*sorted), cmp_row_owner);
	for (i = 0; i < n; i++) {
		const struct pl_socket *s = &sorted[i]->s;

		if (!i || pl_cmp_owner(&sorted[i - 1]->s.owner, &s->owner)) {
			if (!(p = find_proc(out, &s->owner)) && out->n_procs == cap)
				break;
			if (!p)
				p = proc_new(in, out, &s->owner, s->comm, s->cgroup_id);
		}
		p->dead_held++;
	}
	free(sorted);
	return i < n ? -ENOMEM : 0;
}

/* Processes that hold no socket but failed to get a port, or whose
 * connect() or accept() failed, are listed too. */
static int add_failing_procs(const struct pl_model_input *in, const struct index *ix,
			     struct pl_report *out, size_t cap)
{
	const struct pl_fail_row **sorted = calls__by_owner(in);
	size_t i;
	int err;

	if (!sorted)
		return -ENOMEM;
	err = add_call_failures(in, sorted, out, cap);
	free(sorted);
	if (!err)
		err = add_dead_held(in, out, cap);
	if (err)
		return err;

	for (i = 0; i < in->n_failures; i++) {
		const struct pl_failure *f = &in->failures[i];
		struct pl_proc *p;

		if (!join__failure_selected(in, f))
			continue;
		p = find_proc(out, &f->owner);
		if (!p) {
			if (out->n_procs == cap)
				return -ENOMEM;
			p = proc_new(in, out, &f->owner, f->comm, f->cgroup_id);
		}
		add_failure_detail(p, f);
	}
	for (i = 0; i < out->n_procs; i++) {
		struct pl_proc *p = &out->procs[i];
		struct pl_owner key = { .tgid = p->pid, .start_ns = p->start_ns };
		const struct pl_owner_stats *s = join__find_owner(in, ix, &key);

		fd_budget(in, p);
		if (!s)
			continue;
		p->opened = s->opened;
		p->closed = s->closed;
		p->bind_failures = s->bind_failures;
		p->connect_failures = s->connect_failures;
	}
	return 0;
}

/* The code path that opened the socket (0: not captured); sockets still
 * in an accept queue were opened by no code of their owner yet. */
static bool socket_origin(const struct attrib *a, struct pl_socket_origin *o)
{
	if (a->pending_accept || a->unknown)
		return false;
	o->stack = a->entry ? a->entry->stack : a->tw ? a->tw->stack : 0;
	o->state = a->rec->state;
	return true;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct pl_co_holder *x = a, *y = b;

	return pl_cmp_u64(y->sockets, x->sockets);
}

static void add_holder(struct pl_proc *p, const struct pl_ledger_row *row)
{
	size_t i;

	for (i = 0; i < p->n_holders; i++) {
		if (!pl_cmp_owner(&p->holders[i].owner, &row->s.owner)) {
			p->holders[i].sockets++;
			return;
		}
	}
	if (p->n_holders == PL_MAX_CO_HOLDERS)
		return;
	p->holders[p->n_holders].owner = row->s.owner;
	memcpy(p->holders[p->n_holders].comm, row->s.comm, sizeof(row->s.comm));
	p->holders[p->n_holders++].sockets = 1;
}

/* The other processes that hold @p's sockets (@run, its attributions). */
static void proc_holders(const struct pl_model_input *in, struct pl_proc *p,
			 const struct attrib *run, size_t n)
{
	const struct pl_ledger_row *rows;
	size_t i, j, m;

	for (i = 0; in->n_holders && i < n; i++) {
		if (!run[i].selected || !(rows = join__holders_of(in, run[i].rec->sk, &m)))
			continue;
		for (j = 0; j < m; j++)
			if (pl_cmp_owner(&rows[j].s.owner, &run[i].owner) && !join__listed_before(rows, j))
				add_holder(p, &rows[j]);
	}
	qsort(p->holders, p->n_holders, sizeof(*p->holders), cmp_holder);
}

/* One process's row from its run of sockets; @socks is room for them. */
static int add_proc(const struct pl_model_input *in, const struct pl_origin_row **sorted,
		    struct attrib *run, size_t n, struct pl_socket_origin *socks,
		    struct pl_report *out)
{
	struct pl_proc *p = NULL;
	size_t j, n_socks = 0;

	for (j = 0; j < n; j++) {
		if (!run[j].selected)
			continue;
		if (!p)
			p = proc_new(in, out, &run[j].owner, run[j].comm, run[j].cgroup_id);
		proc_add_socket(in, p, &run[j]);
		run[j].proc = out->n_procs;
		n_socks += socket_origin(&run[j], &socks[n_socks]);
	}
	if (!p)
		return 0;
	proc_holders(in, p, run, n);
	close_wait_peer(p, run, n);
	close_wait_peer_traffic(p);
	stale_peer(p);
	qsort(p->groups, p->n_groups, sizeof(*p->groups), cmp_group);
	return origins__fill(in, sorted, p, socks, n_socks);
}

/* Owners to their group, by open addressing: a report groups its 54,000
 * sockets by owner in one pass, where a sort compared each 16 times. */
struct owner_groups {
	struct pl_owner *owners; /* distinct, in order of appearance */
	size_t *start;           /* per owner: its sockets, then where they go */
	__u32 *slots;            /* 1 + index in owners; 0: empty */
	size_t n, mask;
};

static size_t owner_group(struct owner_groups *g, const struct pl_owner *o)
{
	size_t i = (size_t)((o->tgid * 0x9e3779b97f4a7c15ull) ^ (o->start_ns * 0xff51afd7ed558ccdull));

	for (i = (i ^ i >> 29) & g->mask; g->slots[i]; i = (i + 1) & g->mask)
		if (!pl_cmp_owner(&g->owners[g->slots[i] - 1], o))
			return g->slots[i] - 1;
	g->owners[g->n] = *o;
	g->slots[i] = (__u32)++g->n;
	return g->n - 1;
}

/* Order @attribs so that each owner's sockets are contiguous, in the order
 * they came: 0, or -ENOMEM. */
static int group_by_owner(struct attrib *attribs, size_t n)
{
	size_t slots = 2, i, at = 0, count, *group = malloc((n + 1) * sizeof(*group));
	struct attrib *grouped = malloc((n + 1) * sizeof(*grouped));
	struct owner_groups g = { 0 };
	int err = -ENOMEM;

	while (slots < 2 * n)
		slots *= 2;
	g.owners = malloc((n + 1) * sizeof(*g.owners));
	g.start = calloc(n + 1, sizeof(*g.start));
	g.slots = calloc(slots, sizeof(*g.slots));
	g.mask = slots - 1;
	if (group && grouped && g.owners && g.start && g.slots) {
		for (i = 0; i < n; i++)
			g.start[group[i] = owner_group(&g, &attribs[i].owner)]++;
		for (i = 0; i < g.n; i++, at += count) {
			count = g.start[i];
			g.start[i] = at;
		}
		for (i = 0; i < n; i++)
			grouped[g.start[group[i]]++] = attribs[i];
		memcpy(attribs, grouped, n * sizeof(*attribs));
		err = 0;
	}
	free(g.owners);
	free(g.start);
	free(g.slots);
	free(grouped);
	free(group);
	return err;
}

int procs__build(const struct pl_model_input *in, const struct index *ix,
		       struct attrib *attribs, size_t n, struct pl_report *out)
{
	size_t cap = in->n_failures + in->n_fails + in->n_dead + 1, i = 0, j;
	const struct pl_origin_row **sorted = origins__sorted(in);
	struct pl_socket_origin *socks = calloc(n + 1, sizeof(*socks));
	int err = group_by_owner(attribs, n);

	for (j = 0; j < n; j++) /* an upper bound of the rows: distinct owners */
		cap += j == 0 || pl_cmp_owner(&attribs[j].owner, &attribs[j - 1].owner);
	out->procs = calloc(cap, sizeof(*out->procs));
	if (!err && (!out->procs || !sorted || !socks))
		err = -ENOMEM;
	while (!err && i < n) {
		for (j = i; j < n && pl_cmp_owner(&attribs[j].owner, &attribs[i].owner) == 0; j++)
			;
		err = add_proc(in, sorted, &attribs[i], j - i, socks, out);
		i = j;
	}
	free(sorted);
	free(socks);
	return err ? err : add_failing_procs(in, ix, out, cap);
}
