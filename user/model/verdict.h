/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The leak model over time, for model.c: rates and trends from the history
 * of earlier reports, verdicts with their reasons, the order of suspicion.
 * Plain C. */
#ifndef PORTLEAK_VERDICT_H
#define PORTLEAK_VERDICT_H

#include "model/model.h"

/* Rates, trends and verdict of a process whose counts are final; with any
 * of @lost, an OK becomes INCOMPLETE. */
void verdict__judge(const struct pl_model_input *in, const struct pl_losses *lost,
		    struct pl_proc *p);
/* For qsort: most suspicious first (CLOSE_WAIT count and age, growth,
 * failures, sockets held). */
int verdict__cmp_suspicion(const void *a, const void *b);
/* Net new local ports per second toward @d over the last minute; 0 while
 * there is no earlier report to compare with. */
double verdict__dest_growth(const struct pl_model_input *in, const struct pl_dest *d);

#endif
