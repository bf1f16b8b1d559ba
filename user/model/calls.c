// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/budget.h"
#include "model/calls.h"
#include "lib/array.h"

static int cmp_row(const void *a, const void *b)
{
	return pl_cmp_owner(&(*(const struct pl_fail_row *const *)a)->key.owner,
			 &(*(const struct pl_fail_row *const *)b)->key.owner);
}

const struct pl_fail_row **calls__by_owner(const struct pl_model_input *in)
{
	return (const struct pl_fail_row **)array__sorted_ptrs(in->fails, in->n_fails,
								sizeof(*in->fails), cmp_row);
}

static struct pl_call_failure failure_of(const struct pl_fail_row *r)
{
	struct pl_call_failure f = { .call = (__u8)r->key.call, .err = r->key.err,
				     .by = (__u8)r->key.by, .netns = r->key.peer.netns,
				     .count = r->v.count, .last_ns = r->v.last_ns,
				     .attempts = r->v.attempts, .sum = r->v.sum,
				     .stack = r->v.stack };

	budget__dest_endpoint(&r->key.peer, &f.peer);
	return f;
}

/* Keep the PL_MAX_CALL_FAILURES biggest, most first. */
static void keep(struct pl_proc *p, const struct pl_call_failure *f)
{
	size_t i;

	if (p->n_call_failures == PL_MAX_CALL_FAILURES &&
	    p->call_failures[PL_MAX_CALL_FAILURES - 1].count >= f->count)
		return;
	i = p->n_call_failures < PL_MAX_CALL_FAILURES ? p->n_call_failures++
						       : PL_MAX_CALL_FAILURES - 1;
	for (; i > 0 && p->call_failures[i - 1].count < f->count; i--)
		p->call_failures[i] = p->call_failures[i - 1];
	p->call_failures[i] = *f;
}

void calls__count_errno(struct pl_proc *p, const struct pl_call_failure *f)
{
	struct pl_call_failure *e;
	size_t i;

	for (i = 0; i < p->n_call_errnos; i++)
		if (p->call_errnos[i].call == f->call && p->call_errnos[i].err == f->err &&
		    p->call_errnos[i].by == f->by)
			break;
	if (i == PL_MAX_CALL_FAILURES)
		return; /* more kinds of failure than anyone reads */
	e = &p->call_errnos[i];
	if (i == p->n_call_errnos) {
		*e = (struct pl_call_failure){ .call = f->call, .err = f->err, .by = f->by };
		p->n_call_errnos++;
	}
	e->count += f->count;
	e->attempts += f->attempts;
	e->sum.syns += f->sum.syns;
	e->sum.waited_ns += f->sum.waited_ns;
	if (f->last_ns > e->last_ns)
		e->last_ns = f->last_ns;
}

void calls__fill(const struct pl_fail_row **sorted, size_t n, struct pl_proc *p)
{
	struct pl_owner o = { .tgid = p->pid, .start_ns = p->start_ns };
	size_t lo = 0, hi = n, i;

	while (lo < hi) { /* the first row of @o */
		size_t mid = lo + (hi - lo) / 2;

		if (pl_cmp_owner(&sorted[mid]->key.owner, &o) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < n && !pl_cmp_owner(&sorted[i]->key.owner, &o); i++) {
		struct pl_call_failure f = failure_of(sorted[i]);

		p->call_failures_total += f.count;
		calls__count_errno(p, &f);
		if (f.call == PL_CALL_ACCEPT && (f.err == EMFILE || f.err == ENFILE))
			p->accept_fd_failures += f.count;
		keep(p, &f);
	}
}

static int cmp_dest_failure(const void *a, const void *b)
{
	const struct pl_dest_failure *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

int calls__dests(const struct pl_model_input *in, struct pl_report *out)
{
	int port = in->filter.port;
	size_t i;

	out->dest_failures = calloc(in->n_dest_fails + 1, sizeof(*out->dest_failures));
	if (!out->dest_failures)
		return -ENOMEM;
	for (i = 0; i < in->n_dest_fails; i++) {
		const struct pl_dest_fail_row *r = &in->dest_fails[i];
		struct pl_dest_failure *d = &out->dest_failures[out->n_dest_failures];

		if (port >= 0 && r->key.peer.dport != port)
			continue;
		d->netns = r->key.peer.netns;
		budget__dest_endpoint(&r->key.peer, &d->peer);
		d->err = r->key.err;
		d->count = r->count;
		out->n_dest_failures++;
	}
	qsort(out->dest_failures, out->n_dest_failures, sizeof(*out->dest_failures),
	      cmp_dest_failure);
	return 0;
}

bool calls__fds_exhausted(const struct pl_proc *p)
{
	return p->accept_fd_failures ||
	       (p->fd_limit > 0 && p->fd_in_use >= PL_FD_FULL * (double)p->fd_limit);
}

const struct pl_call_failure *calls__peer_failure(const struct pl_proc *p)
{
	const struct pl_call_failure *f = &p->call_failures[0];

	if (!p->n_call_failures || f->call != PL_CALL_CONNECT || f->err == EADDRNOTAVAIL)
		return NULL;
	return f;
}

const char *calls__name(unsigned int call)
{
	return call == PL_CALL_ACCEPT ? "accept" : "connect";
}

double calls__syns_avg(const struct pl_call_failure *f)
{
	return (double)f->sum.syns / (double)f->attempts;
}

double calls__waited_avg_s(const struct pl_call_failure *f)
{
	return (double)f->sum.waited_ns / 1e9 / (double)f->attempts;
}

const char *calls__by(unsigned int by)
{
	return by == PL_BY_APPLICATION ? "application" : "kernel";
}
