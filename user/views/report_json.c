// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Snapshot JSON, version 1: the names the README documents are kept;
 * fields are only ever added. */
#include <string.h>
#include <netinet/in.h>

#include "views/json.h"
#include "model/calls.h"
#include "model/handshake.h"
#include "model/names.h"
#include "model/origins.h"
#include "views/report.h"

static void json_states(struct pl_json *j, const char *key, const __u64 *states)
{
	unsigned int s;

	json__object_begin(j, key);
	for (s = 0; s < PL_TCP_NR_STATES; s++)
		if (states[s])
			json__uint(j, names__tcp_state(s), states[s]);
	json__object_end(j);
}

static void json_endpoint(struct pl_json *j, const char *key, const struct pl_endpoint *ep)
{
	char buf[PL_ENDPOINT_LEN];

	names__endpoint(ep->family, ep->addr, ep->port, buf, sizeof(buf));
	json__string(j, key, buf);
}

/* A duration, or null when unknown (negative). */
static void json_seconds(struct pl_json *j, const char *key, double s)
{
	if (s >= 0)
		json__double(j, key, s);
	else
		json__null(j, key);
}

/* "container": {...} or null, and "unit" (null when none). */
static void json_identity(struct pl_json *j, const struct pl_identity *id)
{
	if (id->id[0]) {
		json__object_begin(j, "container");
		json__string(j, "runtime", id->runtime[0] ? id->runtime : "unknown");
		json__string(j, "id", id->id);
		json__string(j, "name", id->name);
		json__string(j, "pod", id->pod);
		json__string(j, "namespace", id->namespace);
		json__string(j, "pod_uid", id->pod_uid);
		json__object_end(j);
	} else {
		json__null(j, "container");
	}
	if (id->unit[0])
		json__string(j, "unit", id->unit);
	else
		json__null(j, "unit");
}

/* The peer, or null for a call without one (accept). */
static void json_peer(struct pl_json *j, const struct pl_endpoint *ep)
{
	if (ep->family)
		json_endpoint(j, "peer", ep);
	else
		json__null(j, "peer");
}

static void json_call_failures(struct pl_json *j, const struct pl_proc *p)
{
	size_t i;

	json__uint(j, "failures_total", p->call_failures_total);
	json__array_begin(j, "failures");
	for (i = 0; i < p->n_call_failures; i++) {
		const struct pl_call_failure *f = &p->call_failures[i];

		json__object_begin(j, NULL);
		json__string(j, "call", calls__name(f->call));
		json__string(j, "errno", names__errno(f->err));
		json__string(j, "by", calls__by(f->by));
		json__uint(j, "count", f->count);
		json_peer(j, &f->peer);
		if (f->attempts) { /* connects seen ending in SYN_SENT */
			json__double(j, "syns_avg", calls__syns_avg(f));
			json__double(j, "waited_avg_s", calls__waited_avg_s(f));
		}
		json__object_end(j);
	}
	json__array_end(j);
}

/* Connections not started yet: its connects waiting for an answer, and
 * its listeners' accept queues. */
static void json_handshakes(struct pl_json *j, const struct pl_proc *p)
{
	char addr[PL_ADDRSTR_LEN];
	size_t i;

	json__array_begin(j, "connecting");
	for (i = 0; i < p->n_connecting; i++) {
		const struct pl_connecting *c = &p->connecting[i];

		json__object_begin(j, NULL);
		json_endpoint(j, "peer", &c->peer);
		json__uint(j, "count", c->count);
		json__double(j, "oldest_s", c->oldest_s);
		json__uint(j, "syn_retransmits", c->syn_retransmits);
		json__uint(j, "unanswered", c->unanswered);
		json__object_end(j);
	}
	json__array_end(j);
	json__array_begin(j, "listeners");
	for (i = 0; i < p->n_listeners; i++) {
		const struct pl_listen_queue *l = &p->listeners[i];

		names__addr(l->addr.family, l->addr.addr, addr, sizeof(addr));
		json__object_begin(j, NULL);
		json__string(j, "addr", addr);
		json__uint(j, "port", l->addr.port);
		json__uint(j, "queued", l->queued);
		json__uint(j, "backlog", l->backlog);
		json__bool(j, "full", handshake__full(l));
		json__uint(j, "drops", l->drops);
		json__object_end(j);
	}
	json__array_end(j);
}

/* A count, or null when unknown (negative). */
static void json_count(struct pl_json *j, const char *key, __s64 v)
{
	if (v >= 0)
		json__int(j, key, v);
	else
		json__null(j, key);
}

static void json_frames(struct pl_json *j, const struct pl_code_origin *o)
{
	size_t i;

	json__array_begin(j, "frames");
	for (i = 0; o && i < o->frames.n; i++)
		json__string(j, NULL, o->frames.names[i]);
	json__array_end(j);
}

/* The code path of its commonest failed connect() with a stack, or null. */
static void json_failed_origin(struct pl_json *j, const struct pl_proc *p)
{
	const struct pl_call_failure *f = &p->failed_call;
	char peer[PL_ENDPOINT_LEN];

	if (!p->failed_origin) {
		json__null(j, "failed_connect_origin");
		return;
	}
	names__endpoint(f->peer.family, f->peer.addr, f->peer.port, peer, sizeof(peer));
	json__object_begin(j, "failed_connect_origin");
	json__string(j, "peer", peer);
	json__string(j, "errno", names__errno(f->err));
	json__string(j, "by", calls__by(f->by));
	json__uint(j, "count", f->count);
	json_frames(j, p->failed_origin);
	json__object_end(j);
}

static void json_origin(struct pl_json *j, const struct pl_origin_counts *held,
			const struct pl_code_origin *o)
{
	json__object_begin(j, NULL);
	json__uint(j, "sockets", held->sockets);
	json_states(j, "states", held->states);
	json__bool(j, "captured", o != NULL);
	if (o)
		json__uint(j, "opened", o->opened);
	json_frames(j, o);
	json__object_end(j);
}

/* The code paths of the sockets it holds, most first; then those opened
 * before capture, with no frames. */
static void json_origins(struct pl_json *j, const struct pl_proc *p)
{
	const char *hint = origins__hint(p);
	size_t i;

	json__array_begin(j, "origins");
	for (i = 0; i < p->n_origins; i++)
		json_origin(j, &p->origins[i].held, &p->origins[i]);
	if (p->uncaptured.sockets)
		json_origin(j, &p->uncaptured, NULL);
	json__array_end(j);
	if (hint)
		json__string(j, "origins_hint", hint);
	else
		json__null(j, "origins_hint");
	json_failed_origin(j, p);
}

/* Other processes that hold this one's sockets too. */
static void json_co_holders(struct pl_json *j, const struct pl_proc *p)
{
	size_t i;

	json__array_begin(j, "holders");
	for (i = 0; i < p->n_holders; i++) {
		json__object_begin(j, NULL);
		json__uint(j, "pid", p->holders[i].owner.tgid);
		json__uint(j, "start_ns", p->holders[i].owner.start_ns);
		json__string_n(j, "comm", p->holders[i].comm, sizeof(p->holders[i].comm));
		json__uint(j, "sockets", p->holders[i].sockets);
		json__object_end(j);
	}
	json__array_end(j);
}

/* The oldest CLOSE_WAIT: its sure age, the most it may be, its peer. */
static void json_close_wait(struct pl_json *j, const struct pl_proc *p)
{
	json_seconds(j, "close_wait_oldest_s", p->close_wait_oldest_s);
	if (p->close_wait_oldest_s >= 0)
		json__bool(j, "close_wait_age_exact", p->close_wait_age_exact);
	else
		json__null(j, "close_wait_age_exact");
	json_seconds(j, "close_wait_oldest_max_s", p->close_wait_oldest_max_s);
	if (p->close_wait_peer_count) {
		json_endpoint(j, "close_wait_peer", &p->close_wait_peer);
		json__uint(j, "close_wait_peer_active", p->close_wait_peer_active);
	}
}

static void json_proc(struct pl_json *j, const struct pl_proc *p)
{
	size_t i;

	json__object_begin(j, NULL);
	json__uint(j, "pid", p->pid);
	json__uint(j, "start_ns", p->start_ns);
	json__string_n(j, "comm", p->comm, sizeof(p->comm));
	json__string(j, "cgroup", p->cgroup);
	json_identity(j, &p->who);
	json__bool(j, "unknown_owner", p->unknown);
	if (p->probable_pid) {
		json__object_begin(j, "probable_owner");
		json__uint(j, "pid", p->probable_pid);
		json__string_n(j, "comm", p->probable_comm, sizeof(p->probable_comm));
		json__object_end(j);
	} else if (p->unknown) {
		json__null(j, "probable_owner");
	}
	json_states(j, "sockets", p->states);
	json__uint(j, "sockets_total", p->total);
	json__uint(j, "pending_accept", p->pending_accept);
	json__uint(j, "dead_held", p->dead_held);
	json_close_wait(j, p);
	json__uint(j, "established_idle", p->established_idle);
	json_seconds(j, "idle_oldest_s", p->idle_oldest_s);
	json__uint(j, "established_idle_opened", p->stale);
	if (p->stale_peer_count)
		json_endpoint(j, "idle_peer", &p->stale_peer);
	json__uint(j, "opened", p->opened);
	json__uint(j, "closed", p->closed);
	json__uint(j, "ports_bound", p->ports_bound);
	json__uint(j, "bind_failures", p->bind_failures);
	if (p->bind_failures) {
		json__uint(j, "bind_failure_port", p->bind_port);
		json__string(j, "bind_failure_errno", names__errno(p->bind_err));
	}
	json__uint(j, "connect_failures", p->connect_failures);
	if (p->connect_failures)
		json_endpoint(j, "connect_failure_destination", &p->connect_dest);
	json_call_failures(j, p);
	json_handshakes(j, p);
	json_count(j, "fd_in_use", p->fd_in_use);
	json_count(j, "fd_limit", p->fd_limit);
	json_seconds(j, "fd_seconds_to_limit", p->fd_seconds_to_limit);
	json_co_holders(j, p);
	json_origins(j, p);
	json__string(j, "verdict", model__verdict_name(p->verdict));
	json__array_begin(j, "reasons");
	for (i = 0; i < p->n_reasons; i++)
		json__string(j, NULL, p->reasons[i]);
	json__array_end(j);
	json__object_end(j);
}

static void json_dest(struct pl_json *j, const struct pl_dest *d)
{
	char addr[PL_ADDRSTR_LEN];

	json__object_begin(j, NULL);
	names__addr(d->dst.family, d->dst.addr, addr, sizeof(addr));
	json__string(j, "daddr", addr);
	json__uint(j, "dport", d->dst.port);
	names__addr(d->src.family, d->src.addr, addr, sizeof(addr));
	json__string(j, "saddr", addr);
	json__uint(j, "netns", d->netns);
	json__uint(j, "ports_in_use", d->in_use);
	json__uint(j, "time_wait", d->time_wait);
	json_seconds(j, "time_wait_oldest_s", d->time_wait_oldest_s);
	json__uint(j, "time_wait_freeing_10s", d->time_wait_freeing);
	json__uint(j, "time_wait_reusable", d->time_wait_reusable);
	json__uint(j, "range", d->range);
	json__uint(j, "bound", d->budget.bound); /* lost to it too */
	json__uint(j, "ports_free", d->ports_free);
	json__double(j, "utilization", d->utilization);
	json__double(j, "growth_per_s", d->growth_per_s);
	json__double(j, "new_ports_per_s", d->new_ports_per_s);
	json_seconds(j, "seconds_to_exhaustion", d->seconds_to_exhaustion);
	json__uint(j, "connect_failures", d->connect_failures);
	json__uint(j, "connecting", d->connecting);
	json__object_end(j);
}

static void json_budget(struct pl_json *j, const struct pl_port_budget *b)
{
	json__object_begin(j, NULL);
	json__uint(j, "netns", b->netns);
	json__uint(j, "low", b->low);
	json__uint(j, "high", b->high);
	json__uint(j, "usable", b->usable);
	json__uint(j, "reserved", b->reserved);
	json__uint(j, "bound", b->bound);
	json__uint(j, "tw_reuse", (__u64)b->tw_reuse);
	json__object_end(j);
}

/* The conntrack table of each namespace that has one. */
static void json_conntrack(struct pl_json *j, const struct pl_report *r)
{
	size_t i;

	json__array_begin(j, "conntrack");
	for (i = 0; i < r->n_budgets; i++) {
		const struct pl_conntrack *c = &r->budgets[i].conntrack;

		if (!c->present)
			continue;
		json__object_begin(j, NULL);
		json__uint(j, "netns", r->budgets[i].netns);
		json__uint(j, "count", c->count);
		if (c->max)
			json__uint(j, "max", c->max);
		else
			json__null(j, "max");
		json__uint(j, "drops", c->drop);
		json_count(j, "drops_recent", c->drop_recent);
		json__uint(j, "early_drops", c->early_drop);
		json__uint(j, "insert_failed", c->insert_failed);
		json__object_end(j);
	}
	json__array_end(j);
}

static void json_nat_use(struct pl_json *j, const struct pl_nat_use *u)
{
	char text[PL_ENDPOINT_LEN];
	size_t i;

	json__object_begin(j, NULL);
	json__uint(j, "netns", u->netns);
	json__string(j, "proto", u->proto == IPPROTO_TCP ? "tcp" : u->proto == IPPROTO_UDP ? "udp" : "other");
	names__addr(u->family, u->source, text, sizeof(text));
	json__string(j, "source", text);
	names__endpoint(u->family, u->dest, u->dport, text, sizeof(text));
	json__string(j, "destination", text);
	json__uint(j, "ports_used", u->ports_used);
	/* The rule's range (--to-ports) is not read: only drops tell where it ends. */
	json__null(j, "ports_range");
	json__null(j, "ports_free");
	if (u->exhausted)
		json__uint(j, "exhausted_at", u->ports_used);
	else
		json__null(j, "exhausted_at");
	json_count(j, "drops_recent", u->drops_recent);
	json__uint(j, "closed", u->closed);
	json__uint(j, "unexplained", u->unexplained);
	json__array_begin(j, "holders");
	for (i = 0; i < u->n_holders; i++) {
		json__object_begin(j, NULL);
		json__uint(j, "pid", u->holders[i].pid);
		json__string(j, "comm", u->holders[i].comm);
		json__uint(j, "count", u->holders[i].entries);
		json__object_end(j);
	}
	json__array_end(j);
	json__object_end(j);
}

/* Source NAT's ports per pool, and what the dump could not read. */
static void json_nat(struct pl_json *j, const struct pl_report *r)
{
	size_t i;

	json__array_begin(j, "nat");
	for (i = 0; i < r->n_nat; i++)
		json_nat_use(j, &r->nat[i]);
	json__array_end(j);
	json__object_begin(j, "nat_dump");
	json__uint(j, "left_out", r->nat_left_out);
	json__uint(j, "namespaces_cut", r->nat_cut);
	json__object_end(j);
}

/* What the report is of: the version, time, kernel, hooks, clocks and
 * the port range. */
static void json_head(struct pl_json *j, const struct pl_report *r, const struct pl_report_meta *m)
{
	json__uint(j, "version", PL_JSON_VERSION);
	json__string(j, "time", m->time);
	json__string(j, "kernel", m->kernel);
	json__double(j, "trace_s", r->trace_s);
	json__object_begin(j, "hooks");
	json__string(j, "state", m->hook_state);
	json__string(j, "accept", m->hook_accept);
	json__string(j, "bind", m->hook_bind);
	json__object_end(j);
	json__object_begin(j, "clocks");
	if (r->hz)
		json__uint(j, "hz", r->hz);
	else
		json__null(j, "hz");
	json__object_end(j);
	json__object_begin(j, "ephemeral_ports");
	json__uint(j, "low", r->port_low);
	json__uint(j, "high", r->port_high);
	json__object_end(j);
}

static void json_dest_failures(struct pl_json *j, const struct pl_report *r)
{
	size_t i;

	json__array_begin(j, "destination_failures");
	for (i = 0; i < r->n_dest_failures; i++) {
		json__object_begin(j, NULL);
		json_endpoint(j, "peer", &r->dest_failures[i].peer);
		json__uint(j, "netns", r->dest_failures[i].netns);
		json__string(j, "errno", names__errno(r->dest_failures[i].err));
		json__uint(j, "count", r->dest_failures[i].count);
		json__object_end(j);
	}
	json__array_end(j);
}

void report__json(FILE *out, const struct pl_report *r)
{
	const struct pl_report_meta *m = &r->meta;

	struct pl_json j;
	size_t i;

	json__init(&j, out);
	json__object_begin(&j, NULL);
	json_head(&j, r, m);
	json__array_begin(&j, "port_budgets");
	for (i = 0; i < r->n_budgets; i++)
		json_budget(&j, &r->budgets[i]);
	json__array_end(&j);
	json_conntrack(&j, r);
	json_nat(&j, r);
	json_states(&j, "totals", r->totals);
	json__array_begin(&j, "processes");
	for (i = 0; i < r->n_procs; i++)
		json_proc(&j, &r->procs[i]);
	json__array_end(&j);
	json__array_begin(&j, "destinations");
	for (i = 0; i < r->n_dests; i++)
		json_dest(&j, &r->dests[i]);
	json__array_end(&j);
	json_dest_failures(&j, r);
	json__object_begin(&j, "report");
	json__double(&j, "duration_s", m->report_duration_s);
	json__uint(&j, "failures", m->standing.report_failures);
	if (m->standing.last_failure)
		json__string(&j, "last_failure", strerror(-m->standing.last_failure));
	else
		json__null(&j, "last_failure");
	json__object_end(&j);
	json__object_begin(&j, "host");
	json_count(&j, "files_open", m->files_open);
	json_count(&j, "files_max", m->files_max);
	json__object_end(&j);
	json__object_begin(&j, "lost");
	for (i = 0; i < PL_NR_LOSSES; i++)
		json__uint(&j, losses__kind((unsigned int)i)->key, r->losses.n[i]);
	json__object_end(&j);
	json__object_end(&j);
}
