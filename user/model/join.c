// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Each socket to who holds it: see join.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/join.h"
#include "lib/array.h"

#define NS_PER_S 1e9

static const struct pl_owner unknown_owner;

static int cmp_timewait(const void *a, const void *b)
{
	return memcmp(&(*(const struct pl_timewait_row *const *)a)->key,
		      &(*(const struct pl_timewait_row *const *)b)->key,
		      sizeof(struct pl_tuple));
}

static int cmp_owner_row(const void *a, const void *b)
{
	return pl_cmp_owner(&(*(const struct pl_owner_row *const *)a)->key,
			 &(*(const struct pl_owner_row *const *)b)->key);
}

static int cmp_listener(const void *a, const void *b)
{
	const struct listener *x = a, *y = b;
	int c = pl_cmp_u64(x->netns, y->netns);

	return c ? c : pl_cmp_u64(x->port, y->port);
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
void join__prefetch(const struct pl_model_input *in, const struct index *ix, size_t i)
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

const struct pl_owner_stats *join__find_owner(const struct pl_model_input *in,
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

int join__index_build(const struct pl_model_input *in, struct index *ix)
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
	ix->timewait = (const struct pl_timewait_row **)array__sorted_ptrs(
		in->timewait, in->n_timewait, sizeof(*in->timewait), cmp_timewait);
	ix->owners = (const struct pl_owner_row **)array__sorted_ptrs(
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

void join__index_free(struct index *ix)
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
void join__attribute(const struct pl_model_input *in, const struct index *ix,
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

bool join__owner_selected(const struct pl_model_input *in, __u32 pid,
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

bool join__socket_selected(const struct pl_model_input *in, const struct attrib *a)
{
	int port = in->filter.port;

	if (port >= 0 && a->rec->tuple.sport != port && a->rec->tuple.dport != port)
		return false;
	return join__owner_selected(in, a->owner.tgid, a->comm, a->cgroup_id);
}
static double age_s(const struct pl_model_input *in, __u64 since_ns)
{
	return in->now_ns > since_ns ? (in->now_ns - since_ns) / NS_PER_S : 0;
}

bool join__failure_selected(const struct pl_model_input *in, const struct pl_failure *f)
{
	int port = in->filter.port;

	if (port >= 0 && f->tuple.sport != port && f->tuple.dport != port)
		return false;
	return join__owner_selected(in, f->owner.tgid, f->comm, f->cgroup_id);
}

bool join__call_failure_selected(const struct pl_model_input *in, const struct pl_fail_row *r)
{
	int port = in->filter.port;

	if (port >= 0 && r->key.peer.dport != port)
		return false;
	return join__owner_selected(in, r->key.owner.tgid, r->v.comm, r->v.cgroup_id);
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
double join__state_age_s(const struct pl_model_input *in, const struct attrib *a, bool *exact,
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

/* The holders of @sk in @in->holders: the first, and how many. */
const struct pl_ledger_row *join__holders_of(const struct pl_model_input *in, __u64 sk,
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
bool join__listed_before(const struct pl_ledger_row *rows, size_t j)
{
	size_t i;

	for (i = 0; i < j; i++)
		if (!pl_cmp_owner(&rows[i].s.owner, &rows[j].s.owner))
			return true;
	return false;
}


void join__identify(const struct pl_model_input *in, __u64 cgroup_id, char *cgroup, size_t len,
		    struct pl_identity *who)
{
	snprintf(cgroup, len, "%s", cgroup_of(in, cgroup_id));
	identify(in, cgroup, who);
}
