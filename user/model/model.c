// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A report from the kernel's rows: see model.h. The join (join.c), then
 * destinations (dests.c) and processes (procs.c), then the verdicts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/calls.h"
#include "model/dests.h"
#include "model/nat.h"
#include "model/origins.h"
#include "model/procs.h"
#include "model/verdict.h"

/* Each conntrack table's drops of late, from the history. */
static void conntrack_recent(const struct pl_model_input *in, struct pl_report *out)
{
	double since_s;
	size_t i;

	for (i = 0; i < out->n_budgets; i++) {
		struct pl_conntrack *c = &out->budgets[i].conntrack;

		if (c->present)
			c->drop_recent = budget__conntrack_drops_recent(in, out->budgets[i].netns,
									c->drop, &since_s);
	}
}

int model__build(const struct pl_model_input *in, struct pl_report *out)
{
	struct pl_budgets budgets = { 0 };
	struct attrib *attribs;
	struct index ix;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	losses__sum(in->lost, in->failures_dropped, in->missed_runs, &out->losses);
	verdict__recent_losses(in, &out->losses);
	out->hz = in->hz;
	out->trace_s = in->trace_s;
	out->port_low = in->port_low;
	out->port_high = in->port_high;
	attribs = calloc(in->n_tcp ? in->n_tcp : 1, sizeof(*attribs));
	err = attribs ? join__index_build(in, &ix) : -ENOMEM;
	if (err)
		goto out;
	for (i = 0; i < in->n_tcp; i++) {
		join__prefetch(in, &ix, i);
		join__attribute(in, &ix, &in->tcp[i], &attribs[i]);
		attribs[i].selected = join__socket_selected(in, &attribs[i]);
		if (in->tcp[i].state < PL_TCP_NR_STATES)
			out->totals[in->tcp[i].state]++;
	}
	err = budget__build(in, &budgets);
	if (!err)
		err = dests__build(in, &budgets, attribs, in->n_tcp, out);
	if (!err && !(out->budgets = budget__sums(&budgets)))
		err = -ENOMEM;
	out->n_budgets = out->budgets ? budgets.n : 0;
	conntrack_recent(in, out);
	if (!err)
		err = procs__build(in, &ix, attribs, in->n_tcp, out);
	if (!err)
		err = calls__dests(in, out);
	if (!err)
		err = nat__build(in, attribs, in->n_tcp, out);
	if (err)
		goto out;
	dests__find_hot(attribs, in->n_tcp, out);
	dests__count_bound_ports(&budgets, attribs, in->n_tcp, out);
	for (i = 0; i < out->n_procs; i++)
		verdict__judge(in, out, &out->procs[i]);
	verdict__probable_owners(out->procs, out->n_procs);
	verdict__join_handshakes(out->procs, out->n_procs);
	qsort(out->procs, out->n_procs, sizeof(*out->procs), verdict__cmp_suspicion);
	qsort(out->dests, out->n_dests, sizeof(*out->dests), dests__cmp_usage);
out:
	if (attribs)
		join__index_free(&ix);
	budget__free(&budgets);
	free(attribs);
	if (err)
		model__free(out);
	return err;
}

/* The owner in @rows nearest to (@pid, @start_ns), if nearer than *@best. */
static void nearest_owner(const struct pl_ledger_row *rows, size_t n, __u32 pid,
			  __u64 start_ns, __u64 *best, struct pl_owner *owner)
{
	__u64 d;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pl_owner *o = &rows[i].s.owner;

		if (o->tgid != pid)
			continue;
		d = o->start_ns > start_ns ? o->start_ns - start_ns : start_ns - o->start_ns;
		if (d < *best) {
			*best = d;
			*owner = *o;
		}
	}
}

int model__owner_near(const struct pl_model_input *in, __u32 pid, __u64 start_ns,
		      __u64 slack_ns, struct pl_owner *owner)
{
	__u64 best = slack_ns + 1;

	nearest_owner(in->ledger, in->n_ledger, pid, start_ns, &best, owner);
	nearest_owner(in->holders, in->n_holders, pid, start_ns, &best, owner);
	return best <= slack_ns ? 0 : -ENOENT;
}

/* Whether @owner holds @a's socket (charged to it, or among its holders),
 * and who else does, into @h. */
static bool held_by(const struct pl_model_input *in, const struct attrib *a,
		    const struct pl_owner *owner, struct pl_held *h)
{
	const struct pl_ledger_row *rows;
	bool mine = a->entry && !pl_cmp_owner(&a->owner, owner);
	size_t n, i;

	h->others = 0;
	rows = join__holders_of(in, a->rec->sk, &n);
	for (i = 0; i < n; i++) {
		if (!pl_cmp_owner(&rows[i].s.owner, owner)) {
			mine = true;
			continue;
		}
		if (join__listed_before(rows, i))
			continue; /* another fd of a holder counted already */
		if (!h->others++) {
			h->other = rows[i].s.owner;
			memcpy(h->other_comm, rows[i].s.comm, sizeof(h->other_comm));
		}
	}
	return mine;
}

int model__held(const struct pl_model_input *in, const struct pl_owner *owner,
		struct pl_held **out, size_t *n)
{
	struct pl_held *held = calloc(in->n_tcp ? in->n_tcp : 1, sizeof(*held));
	struct attrib a;
	struct index ix;
	size_t i;
	int err = held ? join__index_build(in, &ix) : -ENOMEM;

	*out = NULL;
	*n = 0;
	if (err) {
		free(held);
		return err;
	}
	for (i = 0; i < in->n_tcp; i++) {
		join__attribute(in, &ix, &in->tcp[i], &a);
		if (!held_by(in, &a, owner, &held[*n]))
			continue;
		held[*n].rec = in->tcp[i];
		held[*n].age_s = join__state_age_s(in, &a, &held[*n].age_exact, &held[*n].age_max_s);
		held[*n].idle_s = a.rec->state == PL_TCP_ESTABLISHED ?
				  clocks__idle_s(&a.rec->clocks, in->hz, NULL) : -1;
		(*n)++;
	}
	join__index_free(&ix);
	*out = held;
	return 0;
}

void model__free(struct pl_report *report)
{
	size_t i;

	for (i = 0; report->procs && i < report->n_procs; i++)
		origins__free(&report->procs[i]);
	free(report->procs);
	free(report->dests);
	free(report->budgets);
	free(report->dest_failures);
	free(report->nat);
	report->nat = NULL;
	report->n_nat = 0;
	report->procs = NULL;
	report->dests = NULL;
	report->budgets = NULL;
	report->n_budgets = 0;
	report->dest_failures = NULL;
	report->n_procs = report->n_dests = report->n_dest_failures = 0;
}
