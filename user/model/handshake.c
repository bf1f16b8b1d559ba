// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "model/handshake.h"

/* TCP_TIMEOUT_INIT: a SYN is sent again after 1 s at the soonest (then
 * 2, 4, ... s; from 6.5 the first net.ipv4.tcp_syn_linear_timeouts ones
 * after 1 s each) */
#define SYN_RTO_S 1.0

void handshake__add_connect(struct pl_proc *p, const struct pl_tcp_record *r,
			    const struct pl_endpoint *peer, double age_s)
{
	/* n SYNs sent again: at least n s since the first */
	double floor_s = SYN_RTO_S * r->syn_retransmits;
	struct pl_connecting *c;
	size_t i;

	for (i = 0; i < p->n_connecting; i++)
		if (p->connecting[i].netns == r->tuple.netns &&
		    pl_same_endpoint(&p->connecting[i].peer, peer))
			break;
	if (i == PL_MAX_CONNECTING)
		return; /* more peers than a reader follows: counted in states[] */
	c = &p->connecting[i];
	if (i == p->n_connecting) {
		*c = (struct pl_connecting){ .netns = r->tuple.netns, .peer = *peer };
		p->n_connecting++;
	}
	c->count++;
	c->syn_retransmits += r->syn_retransmits;
	c->unanswered += r->syn_retransmits > 0;
	if (floor_s > age_s)
		age_s = floor_s;
	if (age_s > c->oldest_s)
		c->oldest_s = age_s;
}

bool handshake__full(const struct pl_listen_queue *l)
{
	/* sk_acceptq_is_full(): one more than the backlog may wait */
	return l->queued > l->backlog;
}

static bool worse(const struct pl_listen_queue *a, const struct pl_listen_queue *b)
{
	if (handshake__full(a) != handshake__full(b))
		return handshake__full(a);
	return a->drops > b->drops;
}

void handshake__add_listener(struct pl_proc *p, const struct pl_tcp_record *r)
{
	struct pl_listen_queue l = { .netns = r->tuple.netns, .queued = r->queued,
				     .backlog = r->backlog, .drops = r->drops };
	size_t i;

	l.addr.family = r->tuple.family;
	memcpy(l.addr.addr, r->tuple.saddr, sizeof(l.addr.addr));
	l.addr.port = r->tuple.sport;
	p->listen_drops += l.drops;
	if (p->n_listeners == PL_MAX_LISTENERS && !worse(&l, &p->listeners[PL_MAX_LISTENERS - 1]))
		return;
	/* the fullest, then the most dropping, first */
	i = p->n_listeners < PL_MAX_LISTENERS ? p->n_listeners++ : PL_MAX_LISTENERS - 1;
	for (; i > 0 && worse(&l, &p->listeners[i - 1]); i--)
		p->listeners[i] = p->listeners[i - 1];
	p->listeners[i] = l;
}

static bool any_addr(const struct pl_endpoint *e)
{
	static const __u8 zero[PL_ADDR_LEN];

	return !memcmp(e->addr, zero, sizeof(zero));
}

/* Does a listener on @l take a connection to @peer? A wildcard listener
 * takes any address of its family; one on :: takes IPv4 too (unless
 * IPV6_V6ONLY, which the walk does not read). */
static bool takes(const struct pl_listen_queue *l, const struct pl_endpoint *peer)
{
	if (l->addr.port != peer->port)
		return false;
	if (any_addr(&l->addr))
		return l->addr.family == peer->family || l->addr.family == PL_AF_INET6;
	return pl_same_endpoint(&l->addr, peer);
}

const struct pl_listen_queue *handshake__listener_for(const struct pl_proc *p, __u32 netns,
						      const struct pl_endpoint *peer)
{
	size_t i;

	for (i = 0; i < p->n_listeners; i++) {
		const struct pl_listen_queue *l = &p->listeners[i];

		if ((!netns || l->netns == netns) && takes(l, peer) &&
		    (handshake__full(l) || l->drops))
			return l;
	}
	return NULL;
}

const struct pl_connecting *handshake__unanswered(const struct pl_proc *p)
{
	const struct pl_connecting *most = NULL;
	size_t i;

	for (i = 0; i < p->n_connecting; i++)
		if (p->connecting[i].unanswered &&
		    (!most || p->connecting[i].unanswered > most->unanswered))
			most = &p->connecting[i];
	return most;
}
