/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The destination rows of a report (model-internal): ports in use toward
 * each (namespace, source, destination), its TIME_WAIT and when they free
 * their ports, its share of the namespace's budget and the time until
 * connect() fails; and what each process holds of the busiest. */
#ifndef PORTLEAK_DESTS_H
#define PORTLEAK_DESTS_H

#include "model/budget.h"
#include "model/join.h"

/* @out's destinations from the @n joined sockets @attribs. 0 or -ENOMEM. */
int dests__build(const struct pl_model_input *in, const struct pl_budgets *budgets,
		 const struct attrib *attribs, size_t n, struct pl_report *out);
/* Each process's ports held by bind(), against its namespace's budget. */
void dests__count_bound_ports(const struct pl_budgets *budgets, const struct attrib *attribs,
			      size_t n, struct pl_report *out);
/* Each process's busiest destination and its share of the range. */
void dests__find_hot(const struct attrib *attribs, size_t n, struct pl_report *out);
/* qsort order of destinations: most ports in use first. */
int dests__cmp_usage(const void *a, const void *b);

#endif
