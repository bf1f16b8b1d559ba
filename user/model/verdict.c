// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The leak model over time: see verdict.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/budget.h"
#include "model/calls.h"
#include "model/handshake.h"
#include "model/names.h"
#include "model/nat.h"
#include "model/verdict.h"

#define NS_PER_S 1e9

static void add_reason(struct pl_proc *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_reason(struct pl_proc *p, const char *fmt, ...)
{
	va_list ap;

	if (p->n_reasons == PL_MAX_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(p->reasons[p->n_reasons++], PL_REASON_LEN, fmt, ap);
	va_end(ap);
}

static void proc_hkey(const struct pl_proc *p, __u64 key[3])
{
	key[0] = p->pid;
	key[1] = p->start_ns;
	key[2] = 0;
}

static struct pl_sample proc_sample(const struct pl_proc *p, __u64 now_ns)
{
	return (struct pl_sample){
		.t_ns = now_ns, .opened = p->opened, .closed = p->closed,
		.failures = p->bind_failures + p->connect_failures, .held = p->held,
		.fds = p->fd_in_use, .listen_drops = p->listen_drops };
}

static double delta(__u64 now, __u64 then)
{
	return (double)now - (double)then;
}

/* The sample to compare with over @window_s, or NULL. */
static const struct pl_sample *earlier(const struct pl_model_input *in,
				       const __u64 key[3], double window_s, double min_s)
{
	return in->history ? history__since(in->history, key, window_s, min_s, in->now_ns)
			   : NULL;
}

static void proc_rates(const struct pl_model_input *in, struct pl_proc *p)
{
	struct pl_sample now = proc_sample(p, in->now_ns);
	const struct pl_sample *s;
	__u64 key[3];
	double dt;

	proc_hkey(p, key);
	p->opened_per_s = p->closed_per_s = -1;
	if ((s = earlier(in, key, PL_RATE_WINDOW_S, 0.5))) {
		dt = (double)(in->now_ns - s->t_ns) / NS_PER_S;
		p->opened_per_s = delta(now.opened, s->opened) / dt;
		p->closed_per_s = delta(now.closed, s->closed) / dt;
	}
	if ((s = earlier(in, key, PL_GROWTH_WINDOW_S, 0.5))) {
		dt = (double)(in->now_ns - s->t_ns) / NS_PER_S;
		p->growth_per_min = delta(now.held, s->held) / dt * 60;
		if (now.fds >= 0 && s->fds >= 0)
			p->fd_per_min = ((double)now.fds - (double)s->fds) / dt * 60;
	}
	if (p->fd_per_min > 0 && p->fd_limit > p->fd_in_use && p->fd_in_use >= 0)
		p->fd_seconds_to_limit = (double)(p->fd_limit - p->fd_in_use) / p->fd_per_min * 60;
}

/* What changed over the trend window. A process first seen in this report
 * started with nothing when portleak did: compare with zero. */
struct trend {
	double held, opened, closed, failures, span_s;
	/* SYNs its listeners dropped; 0 without an earlier sample: the
	 * kernel's count goes back to listen(), maybe days */
	double listen_drops;
};

static struct trend proc_trend(const struct pl_model_input *in, const struct pl_proc *p)
{
	struct pl_sample now = proc_sample(p, in->now_ns), zero = { 0 };
	const struct pl_sample *s, *first;
	__u64 key[3];
	struct trend t;

	proc_hkey(p, key);
	s = earlier(in, key, PL_TREND_WINDOW_S, PL_TREND_MIN_S);
	if (!s && in->history && (first = history__since(in->history, key, 1e9, 0, in->now_ns))) {
		/* Known, but too recently for held sockets to make a trend.
		 * Failures and drops are events, each one real: those since it
		 * was first seen count on the first screen already. */
		return (struct trend){
			.failures = delta(now.failures, first->failures),
			.listen_drops = delta(now.listen_drops, first->listen_drops),
			.span_s = (double)(in->now_ns - first->t_ns) / NS_PER_S };
	}
	if (!s)
		s = &zero;
	t.held = delta(now.held, s->held);
	t.opened = delta(now.opened, s->opened);
	t.closed = delta(now.closed, s->closed);
	t.failures = delta(now.failures, s->failures);
	t.listen_drops = s == &zero ? 0 : delta(now.listen_drops, s->listen_drops);
	t.span_s = s == &zero ? in->trace_s : (double)(in->now_ns - s->t_ns) / NS_PER_S;
	return t;
}

static void judge_leak(const struct pl_model_input *in, struct pl_proc *p)
{
	char peer[PL_ENDPOINT_LEN], age[32], sure[16], upto[16], traffic[96];
	__u64 cw = p->states[PL_TCP_CLOSE_WAIT];

	if (!cw)
		return;
	names__age_range(p->close_wait_oldest_s, p->close_wait_age_exact,
			 p->close_wait_oldest_max_s, age, sizeof(age));
	if (p->close_wait_oldest_s < in->leak_age_s && p->close_wait_oldest_max_s >= in->leak_age_s) {
		/* judged on what is sure: the lower bound */
		names__duration(in->leak_age_s, sure, sizeof(sure));
		names__duration(p->close_wait_oldest_max_s, upto, sizeof(upto));
		add_reason(p, "%llu CLOSE_WAIT, oldest %s: the peer may have closed %s ago, but keepalive ACKs keep the sure clock young (LEAK once %s are sure)",
			   (unsigned long long)cw, age, upto, sure);
		return;
	}
	if (p->close_wait_oldest_s < in->leak_age_s) {
		add_reason(p, "%llu CLOSE_WAIT, oldest %s", (unsigned long long)cw, age);
		return;
	}
	names__endpoint(p->close_wait_peer.family, p->close_wait_peer.addr,
			p->close_wait_peer.port, peer, sizeof(peer));
	if (p->close_wait_peer_active)
		snprintf(traffic, sizeof(traffic), "; it still talks to that peer on %llu others: an idle pool the peer closed",
			 (unsigned long long)p->close_wait_peer_active);
	else
		snprintf(traffic, sizeof(traffic), "; no connection to that peer moves data: held, never read to the end or closed");
	add_reason(p, "%llu CLOSE_WAIT (%llu to %s), oldest %s: the process does not close after the peer does%s",
		   (unsigned long long)cw, (unsigned long long)p->close_wait_peer_count,
		   peer, age, traffic);
	p->verdict = PL_VERDICT_LEAK;
}

/* Out of file descriptors, or nearly: the leak told by its consequence
 * (accept() fails with EMFILE and the service stops answering). */
static void judge_fds(struct pl_proc *p)
{
	unsigned long long cw = p->close_wait_fds;
	char used[128] = "", dead[40] = "", eta[32];

	if (!calls__fds_exhausted(p))
		return;
	if (p->dead_held)
		snprintf(dead, sizeof(dead), " and %llu dead ones",
			 (unsigned long long)p->dead_held);
	if (p->fd_in_use >= 0)
		snprintf(used, sizeof(used), "%lld of %lld fds in use, %llu of them CLOSE_WAIT sockets%s: ",
			 (long long)p->fd_in_use, (long long)p->fd_limit, cw, dead);
	if (p->accept_fd_failures) {
		add_reason(p, "%saccept() failed %llu times with EMFILE (too many open files)", used,
			   (unsigned long long)p->accept_fd_failures);
	} else if (p->fd_seconds_to_limit >= 0) {
		names__duration(p->fd_seconds_to_limit, eta, sizeof(eta));
		add_reason(p, "%saccept() fails with EMFILE in ~%s", used, eta);
	} else {
		add_reason(p, "%saccept() fails with EMFILE at %lld", used, (long long)p->fd_limit);
	}
	p->verdict = PL_VERDICT_LEAK;
}

/* Sockets whose connection is gone (a reset, an abort, `portleak close`)
 * and whose fds the process keeps: no port is held, but the fds leak. As
 * many as make STALE make a leak. */
static void judge_dead(const struct pl_model_input *in, struct pl_proc *p)
{
	if (!p->dead_held)
		return;
	add_reason(p, "holds %llu sockets whose connections are gone (reset or aborted, state CLOSE)%s",
		   (unsigned long long)p->dead_held,
		   p->dead_held >= in->stale_min ? ": the fds leak; only close() frees them" : "");
	if (p->dead_held >= in->stale_min)
		p->verdict = PL_VERDICT_LEAK;
}

/* The new connections the table of namespace @netns (@c) dropped (@for:
 * what for), lately or since the namespace began, said in @why; the
 * recent ones, or -1 at first sight. */
static __s64 drops_said(const struct pl_model_input *in, __u32 netns, const struct pl_conntrack *c,
			const char *for_what, char *why, size_t len)
{
	double since_s = 0;
	char ago[32];
	__s64 recent = budget__conntrack_drops_recent(in, netns, c->drop, &since_s);

	if (recent >= 0) {
		names__duration(since_s, ago, sizeof(ago));
		snprintf(why, len, "dropped %lld new connections%s in the last %s",
			 (long long)recent, for_what, ago);
	} else {
		snprintf(why, len, "dropped %llu new connections%s since the namespace began",
			 (unsigned long long)c->drop, for_what);
	}
	return recent;
}

/* The conntrack table of namespace @netns when it explains connects that
 * time out: full now, or it dropped new connections for want of room
 * (netfilter drops their SYNs, and no errno says so) lately, or at first
 * sight at all. NULL otherwise; the drops and since when in @why. */
static const struct pl_conntrack *conntrack_short(const struct pl_model_input *in, __u32 netns,
						  char *why, size_t len)
{
	size_t i;

	for (i = 0; i < in->n_netns; i++) {
		const struct pl_conntrack *c = &in->netns[i].conntrack;
		__s64 recent;

		if (in->netns[i].inum != netns || !c->present)
			continue;
		recent = drops_said(in, netns, c, " for want of room", why, len);
		if ((c->max && c->count >= c->max) || recent > 0 || (recent < 0 && c->drop))
			return c;
	}
	return NULL;
}

/* The NAT that gives connects toward @f's peer their source ports, when
 * it ran out of them lately: its drops in @why. */
static const struct pl_nat_use *nat_short(const struct pl_model_input *in,
					  const struct pl_report *r,
					  const struct pl_call_failure *f, char *why, size_t len)
{
	const struct pl_nat_use *u = nat__exhausted_toward(r, &f->peer);
	size_t i;

	for (i = 0; u && i < in->n_netns; i++)
		if (in->netns[i].inum == u->netns)
			drops_said(in, u->netns, &in->netns[i].conntrack, "", why, len);
	return u;
}

/* Connects toward a peer that time out, by the kernel's SYN retries or
 * the application's own timeout: with how long they waited and the SYNs
 * sent; not OK while the last is recent. */
static void judge_timeouts(const struct pl_model_input *in, const struct pl_report *r,
			   struct pl_proc *p, const struct pl_call_failure *f, const char *peer)
{
	const char *who = f->by == PL_BY_APPLICATION ? "the application" : "the kernel";
	char how[96], waited[32], dropped[128], source[64];
	const struct pl_conntrack *ct = conntrack_short(in, f->netns, dropped, sizeof(dropped));
	const struct pl_nat_use *nat = ct ? NULL : nat_short(in, r, f, dropped, sizeof(dropped));

	snprintf(how, sizeof(how), "%s gave up", who);
	if (f->attempts) { /* the state hook saw them end */
		double s = calls__waited_avg_s(f);

		if (s < 10)
			snprintf(waited, sizeof(waited), "%.1fs", s);
		else
			names__duration(s, waited, sizeof(waited));
		snprintf(how, sizeof(how), "%s gave up after %s, %.1f SYNs each", who, waited,
			 calls__syns_avg(f));
	}
	if (ct) {
		add_reason(p, "%llu connect() to %s timed out: %s: the conntrack table of namespace %u holds %llu of %llu entries and %s: netfilter drops the SYNs (raise nf_conntrack_max, or shorten nf_conntrack_tcp_timeout_time_wait)",
			   (unsigned long long)f->count, peer, how, f->netns,
			   (unsigned long long)ct->count, (unsigned long long)ct->max, dropped);
	} else if (nat) {
		names__addr(nat->family, nat->source, source, sizeof(source));
		/* Short, to fit: how they waited is in the failures. */
		add_reason(p, "%llu connect() to %s timed out: NAT (netns %u, from %s) holds %llu ports toward it and %s: no port left (widen its --to-ports)",
			   (unsigned long long)f->count, peer, nat->netns, source,
			   (unsigned long long)nat->ports_used, dropped);
	} else
		add_reason(p, "%llu connect() to %s timed out: %s: the peer does not answer (its accept queue is full, a filter drops the SYNs, or the host is down)",
			   (unsigned long long)f->count, peer, how);
	if (p->verdict == PL_VERDICT_OK &&
	    (double)(in->now_ns - f->last_ns) <= PL_TREND_WINDOW_S * 1e9)
		p->verdict = PL_VERDICT_TIMEOUT;
}

/* Connects in flight whose SYN went unanswered and was sent again (after
 * 1 s, where a handshake takes milliseconds): seen at first sight, before
 * any timeout. */
static void judge_connecting(struct pl_proc *p)
{
	const struct pl_connecting *c = handshake__unanswered(p);
	char peer[PL_ENDPOINT_LEN], oldest[32];

	if (!c)
		return;
	names__endpoint(c->peer.family, c->peer.addr, c->peer.port, peer, sizeof(peer));
	names__duration(c->oldest_s, oldest, sizeof(oldest));
	add_reason(p, "%llu connect() to %s unanswered, the oldest for %s (%llu SYNs sent again): the peer does not answer",
		   (unsigned long long)c->unanswered, peer, oldest,
		   (unsigned long long)c->syn_retransmits);
	if (p->verdict == PL_VERDICT_OK)
		p->verdict = PL_VERDICT_TIMEOUT;
}

/* A server that does not accept() fast enough: an accept queue full now,
 * or SYNs its listeners dropped over the trend window. */
static void judge_listeners(struct pl_proc *p, const struct trend *t)
{
	const struct pl_listen_queue *l = p->n_listeners ? &p->listeners[0] : NULL;
	char addr[PL_ENDPOINT_LEN];

	if (!l || (!handshake__full(l) && t->listen_drops <= 0))
		return;
	names__endpoint(l->addr.family, l->addr.addr, l->addr.port, addr, sizeof(addr));
	if (handshake__full(l))
		add_reason(p, "the accept queue of %s is full (%u waiting, backlog %u), %llu SYNs dropped since it listened: this process does not call accept() fast enough",
			   addr, l->queued, l->backlog, (unsigned long long)l->drops);
	else
		add_reason(p, "its listeners dropped %.0f SYNs in %.0f s (%s: %u waiting, backlog %u): accept() falls behind",
			   t->listen_drops, t->span_s, addr, l->queued, l->backlog);
	if (p->verdict == PL_VERDICT_OK)
		p->verdict = PL_VERDICT_BACKLOG;
}

/* What its failed connects say about the peer (no local port is
 * judge_ports' story). */
static void judge_calls(const struct pl_model_input *in, const struct pl_report *r,
			struct pl_proc *p)
{
	const struct pl_call_failure *f = calls__peer_failure(p);
	char peer[PL_ENDPOINT_LEN];
	const char *why;

	if (!f)
		return;
	names__endpoint(f->peer.family, f->peer.addr, f->peer.port, peer, sizeof(peer));
	if (f->err == ETIMEDOUT) {
		judge_timeouts(in, r, p, f, peer);
		return;
	}
	why = f->err == ECONNREFUSED ? ": nothing listens there" :
	      f->err == EHOSTUNREACH || f->err == ENETUNREACH ? ": no route" : "";
	add_reason(p, "%llu connect() failures toward %s with %s%s", (unsigned long long)f->count,
		   peer, names__errno(f->err), why);
}

/* Client connections it opened and stopped using, without closing them:
 * the pool leak. Servers hold idle clients legitimately: their accepted
 * sockets never count. */
static void judge_stale(const struct pl_model_input *in, struct pl_proc *p)
{
	char peer[PL_ENDPOINT_LEN], idle[32], oldest[32];

	if (!p->stale || p->stale < in->stale_min)
		return;
	names__endpoint(p->stale_peer.family, p->stale_peer.addr, p->stale_peer.port,
			peer, sizeof(peer));
	names__duration(in->idle_age_s, idle, sizeof(idle));
	names__duration(p->idle_oldest_s, oldest, sizeof(oldest));
	add_reason(p, "%llu ESTABLISHED idle >= %s (%llu to %s, oldest %s), opened by this process: connections abandoned without close",
		   (unsigned long long)p->stale, idle, (unsigned long long)p->stale_peer_count,
		   peer, oldest);
	if (p->verdict == PL_VERDICT_OK)
		p->verdict = PL_VERDICT_STALE;
}

bool verdict__hoards_ports(const struct pl_proc *p)
{
	return p->budget.usable && p->ports_bound >= PL_BOUND_SHARE * p->budget.usable;
}

static void judge_ports(struct pl_proc *p, const struct trend *t)
{
	char dest[PL_ENDPOINT_LEN];

	if (p->connect_failures) {
		names__endpoint(p->connect_dest.family, p->connect_dest.addr,
				p->connect_dest.port, dest, sizeof(dest));
		add_reason(p, "%llu connect() failures: no free local port toward %s",
			   (unsigned long long)p->connect_failures, dest);
	}
	if (p->bind_failures)
		add_reason(p, "%llu bind() failures, last on port %u: %s",
			   (unsigned long long)p->bind_failures, p->bind_port,
			   names__errno(p->bind_err));
	if (p->hot_dest_utilization >= PL_HOT_UTILIZATION) {
		names__endpoint(p->hot_dest.family, p->hot_dest.addr, p->hot_dest.port,
				dest, sizeof(dest));
		add_reason(p, "holds %llu local ports toward %s: %.0f%% of the range is in use",
			   (unsigned long long)p->hot_dest_ports, dest,
			   100 * p->hot_dest_utilization);
	}
	if (verdict__hoards_ports(p))
		add_reason(p, "holds %llu ports by bind() before connect(): each is lost to every destination (%.0f%% of the namespace's %u usable ports)",
			   (unsigned long long)p->ports_bound,
			   100.0 * (double)p->ports_bound / p->budget.usable, p->budget.usable);
	if (p->verdict == PL_VERDICT_OK &&
	    (t->failures > 0 || p->hot_dest_utilization >= PL_HOT_UTILIZATION ||
	     verdict__hoards_ports(p)))
		p->verdict = PL_VERDICT_PORTS;
}

/* Held sockets that grow while few close. A pool filling up is no leak:
 * only after a minute of watching, and while it still grows over the last
 * minute (a pool that filled has stopped). */
static void judge_growth(const struct pl_model_input *in, struct pl_proc *p,
			 const struct trend *t)
{
	const struct pl_sample *minute;
	char span[32], recent[48] = "";
	__u64 key[3];

	if (t->held < PL_GROWING_MIN || t->closed * 2 >= t->opened ||
	    t->span_s < PL_GROWING_WATCH_S)
		return;
	proc_hkey(p, key);
	minute = earlier(in, key, 1.5 * PL_GROWING_WATCH_S, 0.5 * PL_GROWING_WATCH_S);
	if (minute && p->held <= minute->held)
		return;
	if (minute)
		snprintf(recent, sizeof(recent), ", +%.0f in the last %.0f s", delta(p->held, minute->held),
			 (double)(in->now_ns - minute->t_ns) / NS_PER_S);
	names__duration(t->span_s, span, sizeof(span));
	add_reason(p, "+%.0f held sockets in %s of watching%s (opened %.0f, closed %.0f): connections are opened and not closed",
		   t->held, span, recent, t->opened, t->closed);
	if (p->verdict == PL_VERDICT_OK)
		p->verdict = PL_VERDICT_GROWING;
}

/* A wrong OK is worse than none: when sockets, owners or events were lost,
 * an OK is only "nothing seen". */
static void judge_losses(const struct pl_losses *lost, struct pl_proc *p)
{
	char text[PL_REASON_LEN];

	if (!lost->recent || p->verdict != PL_VERDICT_OK)
		return;
	p->verdict = PL_VERDICT_INCOMPLETE;
	losses__text(lost, ", ", text, sizeof(text));
	add_reason(p, "portleak lost data in the last %d min (%llu; since start %s): counts may be low",
		   PL_LOSS_WINDOW_S / 60, (unsigned long long)lost->recent, text);
}

/* The history series of the losses (no process or destination key has
 * all bits set); their total is kept as the sample's failures. */
static const __u64 loss_hkey[3] = { ~0ull, ~0ull, ~0ull };

void verdict__recent_losses(const struct pl_model_input *in, struct pl_losses *l)
{
	const struct pl_sample *s;

	l->recent = l->total;
	if (!in->history || in->trace_s <= PL_LOSS_WINDOW_S)
		return; /* all of it lost since start, in the window */
	s = history__since(in->history, loss_hkey, PL_LOSS_WINDOW_S, 0, in->now_ns);
	if (s && s->failures <= l->total)
		l->recent = l->total - s->failures;
}

void verdict__judge(const struct pl_model_input *in, const struct pl_report *r,
		    struct pl_proc *p)
{
	struct trend t;

	proc_rates(in, p);
	if (p->unknown) { /* nobody to blame, but a leak is a leak */
		judge_leak(in, p);
		return;
	}
	t = proc_trend(in, p);
	judge_fds(p);
	judge_leak(in, p);
	judge_dead(in, p);
	judge_stale(in, p);
	judge_ports(p, &t);
	judge_growth(in, p, &t);
	judge_calls(in, r, p);
	judge_connecting(p);
	judge_listeners(p, &t);
	judge_losses(&r->losses, p);
}

/* Does @p's endpoint @ep, in @p's namespace, name @u's hot destination? */
static bool toward_hot_dest(const struct pl_proc *u, const struct pl_proc *p,
			    const struct pl_endpoint *ep)
{
	return u->budget.netns == p->budget.netns && pl_same_endpoint(ep, &u->hot_dest);
}

/* The known process that holds most ports toward @u's hot destination
 * (@failing false), or fails most connect() calls toward it (true). */
static const struct pl_proc *most_toward(const struct pl_proc *u, const struct pl_proc *procs,
					 size_t n, bool failing)
{
	const struct pl_proc *best = NULL;
	__u64 count, most = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		count = failing ? procs[i].connect_failures : procs[i].hot_dest_ports;
		if (!procs[i].unknown && count > most &&
		    toward_hot_dest(u, &procs[i],
				    failing ? &procs[i].connect_dest : &procs[i].hot_dest)) {
			best = &procs[i];
			most = count;
		}
	}
	return best;
}

/* The known process that holds most ports toward @u's hot destination, or
 * else fails most connect() calls toward it. */
static const struct pl_proc *probable_owner(const struct pl_proc *u, const struct pl_proc *procs,
					    size_t n, bool *holds)
{
	const struct pl_proc *best = most_toward(u, procs, n, false);

	if ((*holds = best != NULL))
		return best;
	return most_toward(u, procs, n, true);
}

void verdict__probable_owners(struct pl_proc *procs, size_t n)
{
	char dest[PL_ENDPOINT_LEN], comm[4 * PL_COMM_LEN + 1];
	const struct pl_proc *owner;
	struct pl_proc *u;
	bool holds;
	size_t i;

	for (i = 0; i < n; i++) {
		u = &procs[i];
		if (!u->unknown || u->hot_dest_utilization < 1 || u->verdict > PL_VERDICT_PORTS)
			continue;
		names__endpoint(u->hot_dest.family, u->hot_dest.addr, u->hot_dest.port, dest,
				sizeof(dest));
		add_reason(u, "holds %llu local ports toward %s, where no port is left",
			   (unsigned long long)u->hot_dest_ports, dest);
		u->verdict = PL_VERDICT_PORTS;
		if (!(owner = probable_owner(u, procs, n, &holds)))
			continue;
		u->probable_pid = owner->pid;
		memcpy(u->probable_comm, owner->comm, sizeof(u->probable_comm));
		names__printable(owner->comm, strnlen(owner->comm, PL_COMM_LEN), comm, sizeof(comm));
		add_reason(u, "probably pid %u (%s): it %s toward %s now", owner->pid, comm,
			   holds ? "holds connections" : "fails to connect", dest);
	}
}

/* The listener of this host that client @c's connects to @peer wait on,
 * when it is full or drops: both sides are told of the other. */
static void join_at_listener(struct pl_proc *c, __u32 netns, const struct pl_endpoint *peer,
			     __u64 timeouts, __u64 unanswered, struct pl_proc *procs, size_t n)
{
	char addr[PL_ENDPOINT_LEN], comm[4 * PL_COMM_LEN + 1];
	const struct pl_listen_queue *l = NULL;
	struct pl_proc *s = NULL;
	size_t i;

	for (i = 0; i < n && !l; i++)
		if (&procs[i] != c && !procs[i].unknown &&
		    (l = handshake__listener_for(&procs[i], netns, peer)))
			s = &procs[i];
	if (!l)
		return;
	names__endpoint(peer->family, peer->addr, peer->port, addr, sizeof(addr));
	names__printable(s->comm, strnlen(s->comm, PL_COMM_LEN), comm, sizeof(comm));
	add_reason(c, "%s is a listener of this host that %s (%u waiting, backlog %u, %llu SYNs dropped): pid %u (%s) does not accept() fast enough",
		   addr, handshake__full(l) ? "is full" : "drops", l->queued, l->backlog,
		   (unsigned long long)l->drops, s->pid, comm);
	names__printable(c->comm, strnlen(c->comm, PL_COMM_LEN), comm, sizeof(comm));
	add_reason(s, "pid %u (%s) waits on %s: %llu connect() timed out, %llu unanswered now",
		   c->pid, comm, addr, (unsigned long long)timeouts, (unsigned long long)unanswered);
}

void verdict__join_handshakes(struct pl_proc *procs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct pl_proc *c = &procs[i];
		const struct pl_call_failure *f = calls__peer_failure(c);
		const struct pl_connecting *u = handshake__unanswered(c);

		if (c->verdict != PL_VERDICT_TIMEOUT)
			continue;
		if (f && f->err == ETIMEDOUT)
			join_at_listener(c, f->netns, &f->peer, f->count,
					 u && pl_same_endpoint(&u->peer, &f->peer)
						 ? u->unanswered : 0,
					 procs, n);
		else if (u)
			join_at_listener(c, u->netns, &u->peer, 0, u->unanswered, procs, n);
	}
}

static double growth(const struct pl_proc *p)
{
	return p->growth_per_min ? p->growth_per_min : delta(p->opened, p->closed);
}

/* Most suspicious first: the verdict (LEAK, STALE, PORTS, GROWING,
 * INCOMPLETE, OK), then CLOSE_WAIT count and age, growth, failures. */
int verdict__cmp_suspicion(const void *a, const void *b)
{
	const struct pl_proc *x = a, *y = b;
	int c;

	if (x->verdict != y->verdict)
		return x->verdict < y->verdict ? 1 : -1;
	if ((c = pl_cmp_u64(y->states[PL_TCP_CLOSE_WAIT], x->states[PL_TCP_CLOSE_WAIT])))
		return c;
	if (x->close_wait_oldest_s != y->close_wait_oldest_s)
		return x->close_wait_oldest_s < y->close_wait_oldest_s ? 1 : -1;
	if (growth(x) != growth(y))
		return growth(x) < growth(y) ? 1 : -1;
	if ((c = pl_cmp_u64(y->connect_failures + y->bind_failures,
			 x->connect_failures + x->bind_failures)))
		return c;
	if ((c = pl_cmp_u64(y->total, x->total)))
		return c;
	return pl_cmp_u64(x->pid, y->pid);
}

static void dest_hkey(const struct pl_dest *d, __u64 key[3])
{
	__u64 h = 1469598103934665603ull; /* FNV-1a over both addresses */
	size_t i;

	for (i = 0; i < PL_ADDR_LEN; i++)
		h = (h ^ d->src.addr[i]) * 1099511628211ull;
	for (i = 0; i < PL_ADDR_LEN; i++)
		h = (h ^ d->dst.addr[i]) * 1099511628211ull;
	key[0] = 1ull << 40 | (__u64)d->dst.family << 32 | d->netns;
	key[1] = h;
	key[2] = d->dst.port;
}

double verdict__dest_growth(const struct pl_model_input *in, const struct pl_dest *d)
{
	const struct pl_sample *s;
	__u64 key[3];

	dest_hkey(d, key);
	s = earlier(in, key, PL_GROWTH_WINDOW_S, 0.5);
	return s ? delta(d->in_use, s->held) / ((double)(in->now_ns - s->t_ns) / NS_PER_S) : 0;
}

int model__remember(const struct pl_report *r, struct pl_history *h, __u64 now_ns)
{
	struct pl_sample sample;
	__u64 key[3];
	size_t i;
	int err = 0;

	for (i = 0; i < r->n_procs && !err; i++) {
		if (r->procs[i].unknown)
			continue;
		proc_hkey(&r->procs[i], key);
		sample = proc_sample(&r->procs[i], now_ns);
		err = history__add(h, key, &sample);
	}
	sample = (struct pl_sample){ .t_ns = now_ns, .failures = r->losses.total };
	if (!err)
		err = history__add(h, loss_hkey, &sample);
	for (i = 0; i < r->n_budgets && i < PL_HISTORY_DESTS && !err; i++) {
		if (!r->budgets[i].conntrack.present)
			continue;
		budget__conntrack_hkey(r->budgets[i].netns, key);
		sample = (struct pl_sample){ .t_ns = now_ns, .failures = r->budgets[i].conntrack.drop,
					     .held = r->budgets[i].conntrack.count };
		err = history__add(h, key, &sample);
	}
	/* Destinations are sorted fullest first; the tail has no forecast. */
	for (i = 0; i < r->n_dests && i < PL_HISTORY_DESTS && !err; i++) {
		dest_hkey(&r->dests[i], key);
		sample = (struct pl_sample){ .t_ns = now_ns, .held = r->dests[i].in_use };
		err = history__add(h, key, &sample);
	}
	history__commit(h);
	history__expire(h, now_ns);
	return err;
}

const char *model__verdict_name(enum pl_verdict verdict)
{
	switch (verdict) {
	case PL_VERDICT_LEAK:
		return "leak";
	case PL_VERDICT_STALE:
		return "stale";
	case PL_VERDICT_PORTS:
		return "ports";
	case PL_VERDICT_TIMEOUT:
		return "timeout";
	case PL_VERDICT_BACKLOG:
		return "backlog";
	case PL_VERDICT_GROWING:
		return "growing";
	case PL_VERDICT_INCOMPLETE:
		return "incomplete";
	default:
		return "ok";
	}
}
