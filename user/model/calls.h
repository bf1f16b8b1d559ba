/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Failed connect() and accept() calls: the kernel's counts per (process,
 * call, errno, peer) joined to the report's processes, and per destination. */
#ifndef PORTLEAK_CALLS_H
#define PORTLEAK_CALLS_H

#include "model/model.h"

/* The rows of @in->fails sorted by owner (an array of pointers to free()),
 * or NULL when out of memory (or none). */
const struct pl_fail_row **calls__by_owner(const struct pl_model_input *in);
/* Fill @p's call failures from rows sorted by calls__by_owner. */
void calls__fill(const struct pl_fail_row **sorted, size_t n, struct pl_proc *p);
/* Add @f to @p's failures of its call, errno and ender (any peer). */
void calls__count_errno(struct pl_proc *p, const struct pl_call_failure *f);
/* The destinations with failed connects, most first, into @out. 0 or -ENOMEM. */
int calls__dests(const struct pl_model_input *in, struct pl_report *out);
/* Is @p out of fds, or nearly: PL_FD_FULL of its limit in use, or accept()
 * failed with EMFILE/ENFILE? (The verdict and the advice ask alike.) */
bool calls__fds_exhausted(const struct pl_proc *p);
/* Its most frequent failed connect() when that one speaks of the peer
 * (refused, timed out, no route...), or NULL; no free local port
 * (EADDRNOTAVAIL) is the ports' story, told apart. */
const struct pl_call_failure *calls__peer_failure(const struct pl_proc *p);
/* "connect", "accept". */
const char *calls__name(unsigned int call);
/* Per connect of @f that the state hook saw end in SYN_SENT (f->attempts
 * of them, not 0): the SYNs it sent and how long it waited. */
double calls__syns_avg(const struct pl_call_failure *f);
double calls__waited_avg_s(const struct pl_call_failure *f);
/* "kernel", "application". */
const char *calls__by(unsigned int by);

#endif
