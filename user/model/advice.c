// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "model/advice.h"
#include "model/calls.h"
#include "model/handshake.h"
#include "model/names.h"
#include "model/verdict.h"

#define TIMEWAIT_S 60
#define MANY_TIME_WAIT 50

struct out {
	char (*lines)[PL_ADVICE_LEN];
	size_t n, max;
};

static void say(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->n == o->max)
		return;
	va_start(ap, fmt);
	vsnprintf(o->lines[o->n++], PL_ADVICE_LEN, fmt, ap);
	va_end(ap);
}

static void not_closing(struct out *o, const struct pl_proc *p)
{
	char peer[PL_ENDPOINT_LEN], age[16];

	names__endpoint(p->close_wait_peer.family, p->close_wait_peer.addr,
			p->close_wait_peer.port, peer, sizeof(peer));
	names__duration(p->close_wait_oldest_s, age, sizeof(age));
	say(o, "Not closing after the peer closes: %llu sockets sit in CLOSE_WAIT (oldest %s, most to %s).",
	    (unsigned long long)p->states[PL_TCP_CLOSE_WAIT], age, peer);
	if (p->close_wait_peer_active)
		say(o, "  The process still talks to %s on %llu other connections: these are idle connections of a pool that the peer closed and the pool never checks. Evict idle connections before the peer's idle timeout (HttpClient: evictIdleConnections; Go: Transport.IdleConnTimeout; a stale-connection check) so the pool closes them.",
		    peer, (unsigned long long)p->close_wait_peer_active);
	else
		say(o, "  No other connection to %s moves data: the code holds them, never reading to the end or closing. Look for responses or streams left open on error paths (close the response, its body or stream in a finally block); only close() by this process frees them.",
		    peer);
}

static void short_connections(struct out *o, const struct pl_proc *p, unsigned int range)
{
	say(o, "No keep-alive or pooling? %llu TIME_WAIT sockets: each connection this process closes first keeps its local port for %d s.",
	    (unsigned long long)p->states[PL_TCP_TIME_WAIT], TIMEWAIT_S);
	say(o, "  Toward one destination this host allows %u / %d s = %.0f new connections per second. Reuse connections (HTTP keep-alive, a connection pool).",
	    range, TIMEWAIT_S, (double)range / TIMEWAIT_S);
}

static void port_failures(struct out *o, const struct pl_proc *p, unsigned int range)
{
	char dest[PL_ENDPOINT_LEN];

	if (p->connect_failures) {
		names__endpoint(p->connect_dest.family, p->connect_dest.addr,
				p->connect_dest.port, dest, sizeof(dest));
		say(o, "connect() found no free local port %llu times (EADDRNOTAVAIL): all %u ports toward %s were taken, in use or in TIME_WAIT.",
		    (unsigned long long)p->connect_failures, range, dest);
	}
	if (p->bind_failures)
		say(o, "bind() failed %llu times on port %u (%s): another socket holds the port; a restarted server needs SO_REUSEADDR to bind over its old TIME_WAIT sockets.",
		    (unsigned long long)p->bind_failures, p->bind_port, names__errno(p->bind_err));
}

static void bound_ports(struct out *o, const struct pl_proc *p)
{
	say(o, "%llu ports held by bind() before connect() (a local address, port 0): each such port is gone for every destination of the namespace, not only this one.",
	    (unsigned long long)p->ports_bound);
	say(o, "  Set IP_BIND_ADDRESS_NO_PORT before bind() (the port is then chosen at connect(), per destination), or let connect() choose the source.");
}

static void fd_budget(struct out *o, const struct pl_proc *p)
{
	if (!calls__fds_exhausted(p))
		return;
	say(o, "Out of file descriptors: %lld of %lld in use%s. accept() fails with EMFILE and clients wait in the queue while the service looks alive.",
	    (long long)p->fd_in_use, (long long)p->fd_limit,
	    p->states[PL_TCP_CLOSE_WAIT] ? ", the CLOSE_WAIT sockets among them" : "");
	say(o, "  Fix the leak first; raise LimitNOFILE= (systemd) or ulimit -n only then, or it only takes longer to fail.");
}

/* What the most frequent failed connect() says about the peer. */
static void call_failures(struct out *o, const struct pl_proc *p)
{
	const struct pl_call_failure *f = calls__peer_failure(p);
	char peer[PL_ENDPOINT_LEN];

	if (!f)
		return;
	names__endpoint(f->peer.family, f->peer.addr, f->peer.port, peer, sizeof(peer));
	if (f->err == ECONNREFUSED)
		say(o, "connect() to %s was refused %llu times: nothing listens at that address and port (a service down, a wrong port, a listener bound to another address).",
		    peer, (unsigned long long)f->count);
	else if (f->err == ETIMEDOUT)
		say(o, "connect() to %s timed out %llu times (%s): no answer to the SYN. The peer's accept queue is full (its process does not call accept() fast enough: see its listeners), a firewall or security group drops the SYN, or the host is down or unreachable.",
		    peer, (unsigned long long)f->count,
		    f->by == PL_BY_APPLICATION ? "the application closed the socket on its own timeout" : "the kernel's SYN retries, net.ipv4.tcp_syn_retries, ran out");
	else
		say(o, "connect() to %s failed %llu times with %s.", peer, (unsigned long long)f->count,
		    names__errno(f->err));
}

/* A listener whose accept queue is full or drops SYNs. */
static void accept_queue(struct out *o, const struct pl_proc *p, const struct pl_host_facts *h)
{
	const struct pl_listen_queue *l = &p->listeners[0];
	char addr[PL_ENDPOINT_LEN], cap[48] = "";

	if (!p->n_listeners || (!handshake__full(l) && p->verdict != PL_VERDICT_BACKLOG))
		return;
	names__endpoint(l->addr.family, l->addr.addr, l->addr.port, addr, sizeof(addr));
	if (h->somaxconn >= 0)
		snprintf(cap, sizeof(cap), " = %ld", h->somaxconn);
	say(o, "The accept queue of %s holds %u + 1 connections (listen()'s backlog, capped by net.core.somaxconn%s): past that, SYNs are dropped and clients time out.",
	    addr, l->backlog, cap);
	say(o, "A queue that stays full means accept() is not called: threads stuck (on a lock, a slow backend) or too few of them. Look at its threads (jstack, py-spy dump, /proc/PID/task/*/stack); a bigger backlog only buys time.");
}

static void tuning(struct out *o, const struct pl_host_facts *h, const struct pl_port_budget *b,
		   unsigned int range)
{
	if (h->tw_reuse == 1)
		say(o, "net.ipv4.tcp_tw_reuse = 1: outgoing connections may already reuse TIME_WAIT ports.");
	else
		say(o, "net.ipv4.tcp_tw_reuse = %ld (%s): setting it to 1 lets outgoing connect() reuse TIME_WAIT ports safely (TCP timestamps).",
		    h->tw_reuse, h->tw_reuse == 2 ? "loopback only" : "off");
	say(o, "net.ipv4.ip_local_port_range = %u %u gives %u ports per destination%s; 1024 65535 gives 64512 (reserve service ports with ip_local_reserved_ports).",
	    b->low, b->high, range,
	    b->reserved || b->bound ? ", less the reserved and bind() ones" : "");
}

size_t advice__lines(const struct pl_proc *p, const struct pl_host_facts *h,
		     char (*lines)[PL_ADVICE_LEN], size_t max)
{
	struct out o = { .lines = lines, .max = max };
	/* The figures of the process's own namespace when it is known */
	struct pl_port_budget b = p->budget.usable ? p->budget
				  : (struct pl_port_budget){ .low = h->port_low, .high = h->port_high };
	unsigned int range = p->budget.usable ? b.usable - (b.bound < b.usable ? b.bound : b.usable)
			     : b.high >= b.low ? b.high - b.low + 1u : 0;
	bool hoards = verdict__hoards_ports(p);
	bool ports = p->connect_failures || p->bind_failures ||
		     p->hot_dest_utilization >= PL_HOT_UTILIZATION || hoards;

	fd_budget(&o, p);
	if (p->states[PL_TCP_CLOSE_WAIT])
		not_closing(&o, p);
	if (p->verdict == PL_VERDICT_GROWING)
		say(&o, "Held sockets grow faster than they are closed: a pool without a limit, or connections dropped without close() on error paths.");
	if (p->states[PL_TCP_TIME_WAIT] >= MANY_TIME_WAIT)
		short_connections(&o, p, range);
	port_failures(&o, p, range);
	if (hoards)
		bound_ports(&o, p);
	call_failures(&o, p);
	accept_queue(&o, p, h);
	if (ports || p->states[PL_TCP_TIME_WAIT] >= MANY_TIME_WAIT)
		tuning(&o, h, &b, range);
	if (!o.n)
		say(&o, "Nothing wrong seen for this process: its sockets are closed as fast as they are opened.");
	return o.n;
}
