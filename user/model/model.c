// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Attribution and aggregation: see model.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/budget.h"
#include "model/calls.h"
#include "model/handshake.h"
#include "model/model.h"
#include "model/names.h"
#include "model/origins.h"
#include "model/skindex.h"
#include "model/verdict.h"

#define NS_PER_S 1e9

static const struct pl_owner unknown_owner;

/* One live socket and who it is charged to. */
struct attrib {
	const struct pl_tcp_record *rec;
	const struct pl_socket *entry; /* ledger entry, if any */
	const struct pl_timewait *tw;  /* timewait owner, if any */
	struct pl_owner owner;
	const char *comm;
	__u64 cgroup_id;
	bool unknown;
	bool pending_accept;
	bool server_side; /* its local port is a listener's: the peer's port is noise */
	bool active;      /* holds an ephemeral port toward a destination */
	bool selected; /* passes the filters */
	size_t proc;   /* 1 + index of its row in the report; 0: none */
};

struct listener {
	__u32 netns;
	__u16 port;
	const struct pl_socket *entry;
};

struct index {
	const struct pl_skindex *ledger; /* sk -> const struct pl_ledger_row * */
	struct pl_skindex own_ledger;    /* made here when the input has none */
	const struct pl_timewait_row **timewait;
	const struct pl_owner_row **owners;
	struct listener *listeners;
	size_t n_listeners;
};

static int cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

static int cmp_owner(const struct pl_owner *a, const struct pl_owner *b)
{
	int c = cmp_u64(a->tgid, b->tgid);

	return c ? c : cmp_u64(a->start_ns, b->start_ns);
}

static int cmp_timewait(const void *a, const void *b)
{
	return memcmp(&(*(const struct pl_timewait_row *const *)a)->key,
		      &(*(const struct pl_timewait_row *const *)b)->key,
		      sizeof(struct pl_tuple));
}

static int cmp_owner_row(const void *a, const void *b)
{
	return cmp_owner(&(*(const struct pl_owner_row *const *)a)->key,
			 &(*(const struct pl_owner_row *const *)b)->key);
}

static int cmp_listener(const void *a, const void *b)
{
	const struct listener *x = a, *y = b;
	int c = cmp_u64(x->netns, y->netns);

	return c ? c : cmp_u64(x->port, y->port);
}

/* An array of pointers to @n rows of @size bytes, sorted with @cmp. */
static const void **sorted_ptrs(const void *rows, size_t n, size_t size,
				int (*cmp)(const void *, const void *))
{
	const void **p = calloc(n ? n : 1, sizeof(*p));
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < n; i++)
		p[i] = (const char *)rows + i * size;
	qsort(p, n, sizeof(*p), cmp);
	return p;
}

static const struct pl_socket *find_ledger(const struct index *ix, __u64 sk)
{
	const struct pl_ledger_row *hit = skindex__find(ix->ledger, sk);

	return hit ? &hit->s : NULL;
}

/* The ledger row of a TCP record: its own, or its listener's. */
static __u64 ledger_key(const struct pl_tcp_record *r)
{
	return r->kind == PL_REC_REQUEST ? r->listener : r->sk;
}

/* The walks list sockets in unrelated orders, so each record's ledger row
 * is a cache miss, behind another for its index slot: ask for the slot of
 * the record JOIN_AHEAD * 2 on and for the row of the one JOIN_AHEAD on,
 * and both are there when their turn comes. */
#define JOIN_AHEAD 8
static void prefetch_join(const struct pl_model_input *in, const struct index *ix, size_t i)
{
	const void *row;

	if (i + 2 * JOIN_AHEAD < in->n_tcp)
		skindex__prefetch(ix->ledger, ledger_key(&in->tcp[i + 2 * JOIN_AHEAD]));
	if (i + JOIN_AHEAD < in->n_tcp &&
	    (row = skindex__find(ix->ledger, ledger_key(&in->tcp[i + JOIN_AHEAD]))))
		__builtin_prefetch(row);
}

static const struct pl_timewait *find_timewait(const struct pl_model_input *in,
					       const struct index *ix,
					       const struct pl_tuple *t)
{
	struct pl_timewait_row key = { .key = *t };
	const struct pl_timewait_row *kp = &key, **hit;

	hit = bsearch(&kp, ix->timewait, in->n_timewait, sizeof(*ix->timewait),
		      cmp_timewait);
	return hit ? &(*hit)->v : NULL;
}

static const struct pl_owner_stats *find_owner(const struct pl_model_input *in,
					       const struct index *ix,
					       const struct pl_owner *owner)
{
	struct pl_owner_row key = { .key = *owner };
	const struct pl_owner_row *kp = &key, **hit;

	hit = bsearch(&kp, ix->owners, in->n_owners, sizeof(*ix->owners),
		      cmp_owner_row);
	return hit ? &(*hit)->v : NULL;
}

static const struct listener *find_listener(const struct index *ix, __u32 netns,
					    __u16 port)
{
	struct listener key = { .netns = netns, .port = port };

	return bsearch(&key, ix->listeners, ix->n_listeners, sizeof(key),
		       cmp_listener);
}

static int index_build(const struct pl_model_input *in, struct index *ix)
{
	size_t i;

	memset(ix, 0, sizeof(*ix));
	ix->ledger = in->ledger_index;
	if (!ix->ledger) {
		if (skindex__of_rows(&ix->own_ledger, in->ledger, in->n_ledger,
				     sizeof(*in->ledger), offsetof(struct pl_ledger_row, sk)))
			return -ENOMEM;
		ix->ledger = &ix->own_ledger;
	}
	ix->timewait = (const struct pl_timewait_row **)sorted_ptrs(
		in->timewait, in->n_timewait, sizeof(*in->timewait), cmp_timewait);
	ix->owners = (const struct pl_owner_row **)sorted_ptrs(
		in->owners, in->n_owners, sizeof(*in->owners), cmp_owner_row);
	ix->listeners = calloc(in->n_tcp ? in->n_tcp : 1, sizeof(*ix->listeners));
	if (!ix->timewait || !ix->owners || !ix->listeners)
		return -ENOMEM;
	for (i = 0; i < in->n_tcp; i++) {
		const struct pl_tcp_record *r = &in->tcp[i];
		const struct pl_socket *e;

		if (r->kind != PL_REC_FULL || r->state != PL_TCP_LISTEN)
			continue;
		e = find_ledger(ix, r->sk);
		if (!e)
			continue;
		ix->listeners[ix->n_listeners++] = (struct listener){
			.netns = r->tuple.netns, .port = r->tuple.sport, .entry = e };
	}
	qsort(ix->listeners, ix->n_listeners, sizeof(*ix->listeners), cmp_listener);
	return 0;
}

static void index_free(struct index *ix)
{
	skindex__free(&ix->own_ledger);
	free(ix->timewait);
	free(ix->owners);
	free(ix->listeners);
}

static void netns_range(const struct pl_model_input *in, __u32 netns,
			__u16 *low, __u16 *high)
{
	size_t i;

	*low = in->port_low;
	*high = in->port_high;
	for (i = 0; i < in->n_netns; i++) {
		if (in->netns[i].inum == netns) {
			*low = in->netns[i].port_low;
			*high = in->netns[i].port_high;
		}
	}
}

/* Does this socket hold an ephemeral port toward a destination? Known for
 * sockets whose connect() or accept() portleak saw; otherwise its local
 * port must be in the range, and no listener may own that port. */
static bool holds_ephemeral(const struct pl_model_input *in, const struct index *ix,
			    const struct pl_tcp_record *r, __u8 origin)
{
	__u16 low, high;

	if (r->kind == PL_REC_REQUEST || r->state == PL_TCP_LISTEN || !r->tuple.dport)
		return false;
	if (origin == PL_ORIGIN_CONNECT || origin == PL_ORIGIN_ACCEPT)
		return origin == PL_ORIGIN_CONNECT;
	netns_range(in, r->tuple.netns, &low, &high);
	if (r->tuple.sport < low || r->tuple.sport > high)
		return false;
	return !find_listener(ix, r->tuple.netns, r->tuple.sport);
}

static void charge(struct attrib *a, const struct pl_owner *owner,
		   const char *comm, __u64 cgroup_id)
{
	a->owner = *owner;
	a->comm = comm;
	a->cgroup_id = cgroup_id;
	a->unknown = false;
}

/* A listener's child that the state hook charged to the listener's owner,
 * no accept hook having seen it, and with no struct socket yet (an
 * accepted socket has one until it is closed, and then it is past
 * ESTABLISHED and CLOSE_WAIT): still in the accept queue. */
static bool still_queued(const struct pl_tcp_record *r, const struct pl_socket *e)
{
	return r->kind == PL_REC_FULL && (e->flags & PL_FLAG_QUEUED) && !r->held &&
	       (r->state == PL_TCP_ESTABLISHED || r->state == PL_TCP_CLOSE_WAIT ||
		r->state == PL_TCP_SYN_RECV);
}

/* Who holds this socket: the ledger for full sockets, the timewait map for
 * timewait sockets, the listener's owner for request sockets and for
 * sockets still waiting in an accept queue (in the ledger, charged to it
 * by the state hook, or found here by their port). Otherwise: unknown. */
static void attribute(const struct pl_model_input *in, const struct index *ix,
		      const struct pl_tcp_record *r, struct attrib *a)
{
	const struct pl_socket *e = NULL;
	const struct pl_timewait *tw;
	const struct listener *l;

	memset(a, 0, sizeof(*a));
	a->rec = r;
	a->owner = unknown_owner;
	a->comm = "(unknown)";
	a->unknown = true;
	if (r->kind == PL_REC_TIMEWAIT) {
		tw = find_timewait(in, ix, &r->tuple);
		if (tw)
			charge(a, &tw->owner, tw->comm, tw->cgroup_id);
		a->tw = tw;
		a->server_side = find_listener(ix, r->tuple.netns, r->tuple.sport);
		a->active = holds_ephemeral(in, ix, r, tw ? tw->origin : 0);
		return;
	}
	e = find_ledger(ix, ledger_key(r));
	if (e && r->kind == PL_REC_FULL)
		a->entry = e;
	a->server_side = r->kind == PL_REC_REQUEST ||
			 (r->state != PL_TCP_LISTEN &&
			  find_listener(ix, r->tuple.netns, r->tuple.sport));
	a->active = holds_ephemeral(in, ix, r, a->entry ? a->entry->origin : 0);
	if (e) {
		charge(a, &e->owner, e->comm, e->cgroup_id);
		a->pending_accept = still_queued(r, e);
		return;
	}
	if (r->state == PL_TCP_LISTEN)
		return;
	l = find_listener(ix, r->tuple.netns, r->tuple.sport);
	a->server_side = l != NULL;
	if (l) {
		charge(a, &l->entry->owner, l->entry->comm, l->entry->cgroup_id);
		a->pending_accept = true;
	}
}

static const char *cgroup_of(const struct pl_model_input *in, __u64 id)
{
	const char *path = in->cgroup_path ? in->cgroup_path(id, in->cgroup_ctx) : NULL;

	return path ? path : "";
}

static void identify(const struct pl_model_input *in, const char *cgroup,
		     struct pl_identity *out)
{
	if (in->identity)
		in->identity(cgroup, out, in->identity_ctx);
	else
		identity__parse(cgroup, out);
}

static bool same_or_prefix(const char *want, const char *name, const char *id)
{
	return !strcmp(want, name) || (*want && !strncmp(id, want, strlen(want)));
}

static bool identity_selected(const struct pl_model_input *in, __u64 cgroup_id)
{
	const struct pl_filter *f = &in->filter;
	struct pl_identity who;

	if (!f->namespace && !f->pod && !f->container)
		return true;
	identify(in, cgroup_of(in, cgroup_id), &who);
	return (!f->namespace || !strcmp(f->namespace, who.namespace)) &&
	       (!f->pod || !strcmp(f->pod, who.pod)) &&
	       (!f->container || same_or_prefix(f->container, who.name, who.id));
}

static bool owner_selected(const struct pl_model_input *in, __u32 pid,
			   const char *comm, __u64 cgroup_id)
{
	const struct pl_filter *f = &in->filter;

	if (f->pid && f->pid != pid)
		return false;
	if (f->comm && strncmp(f->comm, comm, PL_COMM_LEN - 1) != 0)
		return false;
	if (f->cgroup && strncmp(cgroup_of(in, cgroup_id), f->cgroup,
				 strlen(f->cgroup)) != 0)
		return false;
	return identity_selected(in, cgroup_id);
}

static bool socket_selected(const struct pl_model_input *in, const struct attrib *a)
{
	int port = in->filter.port;

	if (port >= 0 && a->rec->tuple.sport != port && a->rec->tuple.dport != port)
		return false;
	return owner_selected(in, a->owner.tgid, a->comm, a->cgroup_id);
}

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
		snprintf(p->cgroup, sizeof(p->cgroup), "%s", cgroup_of(in, cgroup_id));
		identify(in, p->cgroup, &p->who);
	}
	p->close_wait_oldest_s = p->close_wait_oldest_max_s = -1;
	p->idle_oldest_s = -1;
	return p;
}

static double age_s(const struct pl_model_input *in, __u64 since_ns)
{
	return in->now_ns > since_ns ? (in->now_ns - since_ns) / NS_PER_S : 0;
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

/* How long the socket has been in its current state. Exact when portleak
 * saw it enter that state, or from a timewait socket's timer. Otherwise
 * the longest of what is known for sure: since the walk found it and, in
 * CLOSE_WAIT, since the last ACK it received (the peer's FIN carried one;
 * a later ACK only makes the socket look younger, never older). *@max is
 * the most it can be: the age itself when exact; in CLOSE_WAIT, since data
 * last came (no data follows a FIN, and the ACKs that answer keepalive
 * probes, which keep the sure clock young, do not move that one: DESIGN.md
 * fact 16); -1 when unknown. */
static double state_age_s(const struct pl_model_input *in, const struct attrib *a, bool *exact,
			  double *max)
{
	const struct pl_tcp_record *r = a->rec;
	const struct pl_socket *e = a->entry;
	double age = 0, kernel;
	bool in_state, known = true;

	*exact = false;
	*max = -1;
	if (r->kind == PL_REC_TIMEWAIT) {
		kernel = clocks__timewait_age_s(&r->clocks, in->hz);
		*exact = kernel >= 0;
		age = *exact ? kernel : a->tw ? age_s(in, a->tw->closed_ns) : 0;
		*max = *exact ? age : -1;
		return age;
	}
	if (e) {
		in_state = e->state == r->state;
		age = age_s(in, in_state ? e->changed_ns : e->created_ns);
		*exact = in_state && (e->origin != PL_ORIGIN_WALK || e->changed_ns != e->created_ns);
	}
	if (*exact) {
		*max = age;
	} else if (r->state == PL_TCP_CLOSE_WAIT) {
		kernel = clocks__age_s(&r->clocks, r->clocks.rcv_tstamp, in->hz, NULL);
		if (kernel > age)
			age = kernel;
		kernel = clocks__age_s(&r->clocks, r->clocks.lrcvtime, in->hz, &known);
		if (known && kernel >= 0)
			*max = kernel > age ? kernel : age;
	}
	return age;
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
	double max, age = state_age_s(in, a, &exact, &max);

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

	return cmp_u64(y->count, x->count);
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

static bool failure_selected(const struct pl_model_input *in, const struct pl_failure *f)
{
	int port = in->filter.port;

	if (port >= 0 && f->tuple.sport != port && f->tuple.dport != port)
		return false;
	return owner_selected(in, f->owner.tgid, f->comm, f->cgroup_id);
}

static bool call_failure_selected(const struct pl_model_input *in, const struct pl_fail_row *r)
{
	int port = in->filter.port;

	if (port >= 0 && r->key.peer.dport != port)
		return false;
	return owner_selected(in, r->key.owner.tgid, r->v.comm, r->v.cgroup_id);
}

/* Processes with failed calls, and their counts; @sorted by owner. */
static int add_call_failures(const struct pl_model_input *in, const struct pl_fail_row **sorted,
			     struct pl_report *out, size_t cap)
{
	size_t i;

	for (i = 0; i < in->n_fails; i++) {
		const struct pl_fail_row *r = sorted[i];

		if ((i && !cmp_owner(&sorted[i - 1]->key.owner, &r->key.owner)) ||
		    !call_failure_selected(in, r) || find_proc(out, &r->key.owner))
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
	return cmp_owner(&(*(const struct pl_ledger_row *const *)a)->s.owner,
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
		if (owner_selected(in, in->dead[i].s.owner.tgid, in->dead[i].s.comm,
				   in->dead[i].s.cgroup_id))
			sorted[n++] = &in->dead[i];
	qsort(sorted, n, sizeof(*sorted), cmp_row_owner);
	for (i = 0; i < n; i++) {
		const struct pl_socket *s = &sorted[i]->s;

		if (!i || cmp_owner(&sorted[i - 1]->s.owner, &s->owner)) {
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

		if (!failure_selected(in, f))
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
		const struct pl_owner_stats *s = find_owner(in, ix, &key);

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

/* One process's row from its run of sockets; @socks is room for them. */
/* The holders of @sk in @in->holders: the first, and how many. */
static const struct pl_ledger_row *holders_of(const struct pl_model_input *in, __u64 sk,
					      size_t *n)
{
	size_t lo = 0, hi = in->n_holders, i;

	while (lo < hi) { /* the first at or above sk */
		i = (lo + hi) / 2;
		if (in->holders[i].sk < sk)
			lo = i + 1;
		else
			hi = i;
	}
	for (i = lo; i < in->n_holders && in->holders[i].sk == sk; i++)
		;
	*n = i - lo;
	return *n ? &in->holders[lo] : NULL;
}

/* Whether rows[@j]'s holder appears before it (another fd of it). */
static bool listed_before(const struct pl_ledger_row *rows, size_t j)
{
	size_t i;

	for (i = 0; i < j; i++)
		if (!cmp_owner(&rows[i].s.owner, &rows[j].s.owner))
			return true;
	return false;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct pl_co_holder *x = a, *y = b;

	return cmp_u64(y->sockets, x->sockets);
}

static void add_holder(struct pl_proc *p, const struct pl_ledger_row *row)
{
	size_t i;

	for (i = 0; i < p->n_holders; i++) {
		if (!cmp_owner(&p->holders[i].owner, &row->s.owner)) {
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
		if (!run[i].selected || !(rows = holders_of(in, run[i].rec->sk, &m)))
			continue;
		for (j = 0; j < m; j++)
			if (cmp_owner(&rows[j].s.owner, &run[i].owner) && !listed_before(rows, j))
				add_holder(p, &rows[j]);
	}
	qsort(p->holders, p->n_holders, sizeof(*p->holders), cmp_holder);
}

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
		if (!cmp_owner(&g->owners[g->slots[i] - 1], o))
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

static int build_procs(const struct pl_model_input *in, const struct index *ix,
		       struct attrib *attribs, size_t n, struct pl_report *out)
{
	size_t cap = in->n_failures + in->n_fails + in->n_dead + 1, i = 0, j;
	const struct pl_origin_row **sorted = origins__sorted(in);
	struct pl_socket_origin *socks = calloc(n + 1, sizeof(*socks));
	int err = group_by_owner(attribs, n);

	for (j = 0; j < n; j++) /* an upper bound of the rows: distinct owners */
		cap += j == 0 || cmp_owner(&attribs[j].owner, &attribs[j - 1].owner);
	out->procs = calloc(cap, sizeof(*out->procs));
	if (!err && (!out->procs || !sorted || !socks))
		err = -ENOMEM;
	while (!err && i < n) {
		for (j = i; j < n && cmp_owner(&attribs[j].owner, &attribs[i].owner) == 0; j++)
			;
		err = add_proc(in, sorted, &attribs[i], j - i, socks, out);
		i = j;
	}
	free(sorted);
	free(socks);
	return err ? err : add_failing_procs(in, ix, out, cap);
}

/* --- destinations --------------------------------------------------------- */

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
	int c = cmp_u64(netns_a, netns_b);

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
		    failure_selected(in, &in->failures[i]))
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
static int build_dests(const struct pl_model_input *in, const struct pl_budgets *budgets,
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
static void count_bound_ports(const struct pl_budgets *budgets, const struct attrib *attribs,
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
static void find_hot_dests(const struct attrib *attribs, size_t n, struct pl_report *out)
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

static int cmp_dest_usage(const void *a, const void *b)
{
	const struct pl_dest *x = a, *y = b;
	int c = cmp_u64(y->in_use, x->in_use);

	return c ? c : cmp_u64(y->connect_failures, x->connect_failures);
}

/* --- entry point ---------------------------------------------------------- */

int model__build(const struct pl_model_input *in, struct pl_report *out)
{
	struct pl_budgets budgets = { 0 };
	struct attrib *attribs;
	struct index ix;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	losses__sum(in->lost, in->failures_dropped, in->missed_runs, &out->losses);
	verdict__recent_losses(in, &out->losses);
	out->hz = in->hz;
	out->trace_s = in->trace_s;
	out->port_low = in->port_low;
	out->port_high = in->port_high;
	attribs = calloc(in->n_tcp ? in->n_tcp : 1, sizeof(*attribs));
	err = attribs ? index_build(in, &ix) : -ENOMEM;
	if (err)
		goto out;
	for (i = 0; i < in->n_tcp; i++) {
		prefetch_join(in, &ix, i);
		attribute(in, &ix, &in->tcp[i], &attribs[i]);
		attribs[i].selected = socket_selected(in, &attribs[i]);
		if (in->tcp[i].state < PL_TCP_NR_STATES)
			out->totals[in->tcp[i].state]++;
	}
	err = budget__build(in, &budgets);
	if (!err)
		err = build_dests(in, &budgets, attribs, in->n_tcp, out);
	if (!err && !(out->budgets = budget__sums(&budgets)))
		err = -ENOMEM;
	out->n_budgets = out->budgets ? budgets.n : 0;
	if (!err)
		err = build_procs(in, &ix, attribs, in->n_tcp, out);
	if (!err)
		err = calls__dests(in, out);
	if (err)
		goto out;
	find_hot_dests(attribs, in->n_tcp, out);
	count_bound_ports(&budgets, attribs, in->n_tcp, out);
	for (i = 0; i < out->n_procs; i++)
		verdict__judge(in, &out->losses, &out->procs[i]);
	verdict__probable_owners(out->procs, out->n_procs);
	verdict__join_handshakes(out->procs, out->n_procs);
	qsort(out->procs, out->n_procs, sizeof(*out->procs), verdict__cmp_suspicion);
	qsort(out->dests, out->n_dests, sizeof(*out->dests), cmp_dest_usage);
out:
	if (attribs)
		index_free(&ix);
	budget__free(&budgets);
	free(attribs);
	if (err)
		model__free(out);
	return err;
}

/* The owner in @rows nearest to (@pid, @start_ns), if nearer than *@best. */
static void nearest_owner(const struct pl_ledger_row *rows, size_t n, __u32 pid,
			  __u64 start_ns, __u64 *best, struct pl_owner *owner)
{
	__u64 d;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pl_owner *o = &rows[i].s.owner;

		if (o->tgid != pid)
			continue;
		d = o->start_ns > start_ns ? o->start_ns - start_ns : start_ns - o->start_ns;
		if (d < *best) {
			*best = d;
			*owner = *o;
		}
	}
}

int model__owner_near(const struct pl_model_input *in, __u32 pid, __u64 start_ns,
		      __u64 slack_ns, struct pl_owner *owner)
{
	__u64 best = slack_ns + 1;

	nearest_owner(in->ledger, in->n_ledger, pid, start_ns, &best, owner);
	nearest_owner(in->holders, in->n_holders, pid, start_ns, &best, owner);
	return best <= slack_ns ? 0 : -ENOENT;
}

/* Whether @owner holds @a's socket (charged to it, or among its holders),
 * and who else does, into @h. */
static bool held_by(const struct pl_model_input *in, const struct attrib *a,
		    const struct pl_owner *owner, struct pl_held *h)
{
	const struct pl_ledger_row *rows;
	bool mine = a->entry && !cmp_owner(&a->owner, owner);
	size_t n, i;

	h->others = 0;
	rows = holders_of(in, a->rec->sk, &n);
	for (i = 0; i < n; i++) {
		if (!cmp_owner(&rows[i].s.owner, owner)) {
			mine = true;
			continue;
		}
		if (listed_before(rows, i))
			continue; /* another fd of a holder counted already */
		if (!h->others++) {
			h->other = rows[i].s.owner;
			memcpy(h->other_comm, rows[i].s.comm, sizeof(h->other_comm));
		}
	}
	return mine;
}

int model__held(const struct pl_model_input *in, const struct pl_owner *owner,
		struct pl_held **out, size_t *n)
{
	struct pl_held *held = calloc(in->n_tcp ? in->n_tcp : 1, sizeof(*held));
	struct attrib a;
	struct index ix;
	size_t i;
	int err = held ? index_build(in, &ix) : -ENOMEM;

	*out = NULL;
	*n = 0;
	if (err) {
		free(held);
		return err;
	}
	for (i = 0; i < in->n_tcp; i++) {
		attribute(in, &ix, &in->tcp[i], &a);
		if (!held_by(in, &a, owner, &held[*n]))
			continue;
		held[*n].rec = in->tcp[i];
		held[*n].age_s = state_age_s(in, &a, &held[*n].age_exact, &held[*n].age_max_s);
		held[*n].idle_s = a.rec->state == PL_TCP_ESTABLISHED ?
				  clocks__idle_s(&a.rec->clocks, in->hz, NULL) : -1;
		(*n)++;
	}
	index_free(&ix);
	*out = held;
	return 0;
}

void model__free(struct pl_report *report)
{
	size_t i;

	for (i = 0; report->procs && i < report->n_procs; i++)
		origins__free(&report->procs[i]);
	free(report->procs);
	free(report->dests);
	free(report->budgets);
	free(report->dest_failures);
	report->procs = NULL;
	report->dests = NULL;
	report->budgets = NULL;
	report->n_budgets = 0;
	report->dest_failures = NULL;
	report->n_procs = report->n_dests = report->n_dest_failures = 0;
}

