/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The process rows of a report (model-internal): each owner's sockets by
 * state and peer, their ages and idle times, its listeners and connects
 * in flight, its failed calls, dead sockets it holds, co-holders and
 * origins; processes that hold nothing but failed are listed too. */
#ifndef PORTLEAK_PROCS_H
#define PORTLEAK_PROCS_H

#include "model/join.h"

/* @out's processes from the @n joined sockets @attribs (reordered:
 * grouped by owner). 0 or -ENOMEM. */
int procs__build(const struct pl_model_input *in, const struct index *ix,
		 struct attrib *attribs, size_t n, struct pl_report *out);

#endif
