/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The leak model over time, for model.c (after procs.c): rates and trends from the history
 * of earlier reports, verdicts with their reasons, the order of suspicion.
 * Plain C. */
#ifndef PORTLEAK_VERDICT_H
#define PORTLEAK_VERDICT_H

#include "model/model.h"

/* @l->recent: of @l->total, what was lost in the last PL_LOSS_WINDOW_S
 * (from the history of earlier reports; all of it in the first window). */
void verdict__recent_losses(const struct pl_model_input *in, struct pl_losses *l);
/* Rates, trends and verdict of a process whose counts are final; with
 * recent losses (@r->losses.recent), an OK becomes INCOMPLETE; @r's NAT
 * rows may explain its connects that time out. An (unknown) row is judged
 * on its CLOSE_WAIT alone. */
void verdict__judge(const struct pl_model_input *in, const struct pl_report *r,
		    struct pl_proc *p);
/* For qsort: most suspicious first (CLOSE_WAIT count and age, growth,
 * failures, sockets held). */
int verdict__cmp_suspicion(const void *a, const void *b);
/* Net new local ports per second toward @d over the last minute; 0 while
 * there is no earlier report to compare with. */
double verdict__dest_growth(const struct pl_model_input *in, const struct pl_dest *d);

/* After every process was judged: an (unknown) row whose hot destination
 * has no port left is PORTS, with the process that holds or fails most
 * connections toward it named as its probable owner. */
void verdict__probable_owners(struct pl_proc *procs, size_t n);
/* A client whose connects time out toward a listener of this host that is
 * full or drops, and that listener's process: each reason names the other. */
void verdict__join_handshakes(struct pl_proc *procs, size_t n);
/* Does @p hold a real share of its namespace's ports by bind() before
 * connect() (PL_BOUND_SHARE)? */
bool verdict__hoards_ports(const struct pl_proc *p);

#endif
