/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Connections that have not started: a client's connects waiting for the
 * peer's answer (SYN_SENT) and a server's accept queues (LISTEN), per
 * process, as the walk reads them at report time. */
#ifndef PORTLEAK_HANDSHAKE_H
#define PORTLEAK_HANDSHAKE_H

#include "model/model.h"

/* A SYN_SENT socket of @p toward its peer, @age_s in that state as far as
 * portleak knows; its unanswered SYNs raise that to what the kernel's
 * retransmission schedule implies at the least. */
void handshake__add_connect(struct pl_proc *p, const struct pl_tcp_record *r,
			    const struct pl_endpoint *peer, double age_s);
/* A LISTEN socket of @p: its accept queue. */
void handshake__add_listener(struct pl_proc *p, const struct pl_tcp_record *r);
/* Is the accept queue full now (the kernel drops the next SYN)? */
bool handshake__full(const struct pl_listen_queue *l);
/* A listener of @p that takes connections to @peer in @netns and is full
 * or has dropped, or NULL. */
const struct pl_listen_queue *handshake__listener_for(const struct pl_proc *p, __u32 netns,
						      const struct pl_endpoint *peer);
/* Its connects unanswered for a while (a SYN sent again), the most first:
 * NULL when none. */
const struct pl_connecting *handshake__unanswered(const struct pl_proc *p);

#endif
