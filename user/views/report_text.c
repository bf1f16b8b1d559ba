// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The snapshot as tables: processes, most suspicious first, then the
 * destinations whose local ports are in use. */
#include <string.h>

#include "model/names.h"
#include "model/origins.h"
#include "views/report.h"
#include "views/top.h"

#define MAX_DEST_ROWS 20

#define TEXT_BUDGETS 8 /* namespaces whose budget is shown */

/* The budget of each namespace where it is not simply the range: reserved
 * ports, ports held by bind(), or a range of its own. */
static void text_budgets(FILE *out, const struct pl_report *r)
{
	size_t i, shown = 0, more = 0;

	for (i = 0; i < r->n_budgets; i++) {
		const struct pl_port_budget *b = &r->budgets[i];

		if (!b->reserved && !b->bound && b->low == r->port_low && b->high == r->port_high)
			continue;
		if (shown++ == TEXT_BUDGETS) {
			more++;
			continue;
		}
		fprintf(out, "  netns %u: ports %u-%u, %u usable (%u reserved), %u held by bind(): %u for connect()\n",
			b->netns, b->low, b->high, b->usable, b->reserved, b->bound,
			b->usable > b->bound ? b->usable - b->bound : 0);
	}
	if (more)
		fprintf(out, "  (%zu more namespaces: see --json port_budgets)\n", more);
}

/* A conntrack table at 90% or more, or that dropped connections: the
 * other budget a namespace can run out of. */
static void text_conntrack(FILE *out, const struct pl_report *r)
{
	size_t i;

	for (i = 0; i < r->n_budgets; i++) {
		const struct pl_conntrack *c = &r->budgets[i].conntrack;

		if (!c->present || (c->count * 10 < c->max * 9 && !c->drop) || (!c->max && !c->drop))
			continue;
		fprintf(out, "  netns %u: conntrack table %llu/%llu%s, %llu new connections dropped",
			r->budgets[i].netns, (unsigned long long)c->count,
			(unsigned long long)c->max, c->max && c->count >= c->max ? " (full)" : "",
			(unsigned long long)c->drop);
		if (c->drop_recent >= 0 && r->trace_s >= PL_LOSS_WINDOW_S)
			fprintf(out, " (%lld in the last %d min)", (long long)c->drop_recent,
				PL_LOSS_WINDOW_S / 60);
		else if (c->drop_recent >= 0)
			fprintf(out, " (%lld since portleak started)", (long long)c->drop_recent);
		fprintf(out, ", %llu entries evicted, %llu inserts failed\n",
			(unsigned long long)c->early_drop, (unsigned long long)c->insert_failed);
	}
}

/* Source NAT's pools that ran out of ports lately, and the biggest
 * others (at most 3 in all): where the ports go, and to whom. */
static void text_nat(FILE *out, const struct pl_report *r)
{
	char source[PL_ENDPOINT_LEN], dest[PL_ENDPOINT_LEN], line[PL_LINE_LEN];
	size_t i;

	for (i = 0; i < r->n_nat && i < 3; i++) {
		const struct pl_nat_use *u = &r->nat[i];

		names__addr(u->family, u->source, source, sizeof(source));
		names__endpoint(u->family, u->dest, u->dport, dest, sizeof(dest));
		fprintf(out, "  netns %u: NAT %s -> %s: %llu ports in use%s", u->netns, source, dest,
			(unsigned long long)u->ports_used,
			u->exhausted ? ", none left (new connections dropped)" : "");
		top__nat_holders(u, line, sizeof(line));
		if (u->n_holders)
			fprintf(out, "; held by %s", line);
		if (u->unexplained)
			fprintf(out, "%s%llu by no socket", u->n_holders ? ", " : "; ",
				(unsigned long long)u->unexplained);
		fputc('\n', out);
	}
	if (top__nat_cut_line(r, line, sizeof(line)))
		fprintf(out, "  %s\n", line);
}

static void text_header(FILE *out, const struct pl_report *r,
			const struct pl_report_meta *m)
{
	unsigned int s;
	unsigned int range = r->port_high >= r->port_low
		? r->port_high - r->port_low + 1u : 0;
	char lost[PL_LOSSES_TEXT_LEN];

	fprintf(out, "portleak  %s  kernel %s  hooks: state=%s accept=%s bind=%s  traced %.1fs\n",
		m->time, m->kernel, m->hook_state, m->hook_accept, m->hook_bind,
		r->trace_s);
	losses__text(&r->losses, ", ", lost, sizeof(lost));
	fprintf(out, "ephemeral ports %u-%u (%u)   lost: %s\n", r->port_low, r->port_high, range,
		lost);
	text_budgets(out, r);
	text_conntrack(out, r);
	text_nat(out, r);
	fputs("host:", out);
	for (s = 0; s < PL_TCP_NR_STATES; s++)
		if (r->totals[s])
			fprintf(out, " %s %llu", names__tcp_state(s),
				(unsigned long long)r->totals[s]);
	fputs("\n\n", out);
}

#define TEXT_ORIGINS 3 /* code paths shown per suspicious process */

static void text_frames(FILE *out, const char *title, const struct pl_code_origin *o)
{
	char frame[4 * PL_FRAME_LEN + 1];
	size_t i;

	fprintf(out, "%9s%s\n", "", title);
	for (i = 0; o && i < o->frames.n; i++) {
		names__printable(o->frames.names[i], strlen(o->frames.names[i]), frame, sizeof(frame));
		fprintf(out, "%11s%s\n", "", frame);
	}
	if (o && !o->frames.n)
		fprintf(out, "%11s(stack no longer known)\n", "");
}

static void text_origin(FILE *out, const struct pl_origin_counts *held,
			const struct pl_code_origin *o)
{
	char title[256];

	origins__title(held, o, title, sizeof(title));
	text_frames(out, title, o);
}

/* Where a suspicious process's sockets come from, when it was recorded. */
static void text_origins(FILE *out, const struct pl_proc *p)
{
	const char *hint = origins__hint(p);
	size_t i;

	if (p->verdict <= PL_VERDICT_INCOMPLETE || (!p->n_origins && !p->failed_origin))
		return;
	fprintf(out, "%7s origins:\n", "");
	if (p->failed_origin) {
		char title[256];

		origins__failed_title(p, title, sizeof(title));
		text_frames(out, title, p->failed_origin);
	}
	for (i = 0; i < p->n_origins && i < TEXT_ORIGINS; i++)
		text_origin(out, &p->origins[i].held, &p->origins[i]);
	if (p->uncaptured.sockets)
		text_origin(out, &p->uncaptured, NULL);
	if (hint)
		fprintf(out, "%9shint: %s\n", "", hint);
}

static void text_proc(FILE *out, const struct pl_proc *p)
{
	char comm[4 * PL_COMM_LEN + 1], where[PL_WHERE_LEN], printable[4 * PL_WHERE_LEN + 1];
	char age[16] = "-", fds[24] = "-";
	__u64 other = p->total - p->states[PL_TCP_ESTABLISHED] -
		      p->states[PL_TCP_CLOSE_WAIT] - p->states[PL_TCP_TIME_WAIT];
	size_t i;

	names__printable(p->comm, sizeof(p->comm), comm, sizeof(comm));
	identity__where(&p->who, p->cgroup, where, sizeof(where));
	names__printable(where, strlen(where), printable, sizeof(printable));
	if (p->close_wait_oldest_s >= 0)
		names__age_range(p->close_wait_oldest_s, p->close_wait_age_exact,
				 p->close_wait_oldest_max_s, age, sizeof(age));
	if (p->fd_in_use >= 0 && p->fd_limit > 0)
		snprintf(fds, sizeof(fds), "%.0f%%", 100.0 * (double)p->fd_in_use / (double)p->fd_limit);
	fprintf(out, "%7u %-16s %6llu %10llu %9llu %6llu %11s %5llu %7llu %7llu %6llu %6llu %6llu %7s  %-7s %s\n",
		p->pid, comm, (unsigned long long)p->states[PL_TCP_ESTABLISHED],
		(unsigned long long)p->states[PL_TCP_CLOSE_WAIT],
		(unsigned long long)p->states[PL_TCP_TIME_WAIT],
		(unsigned long long)other, age, (unsigned long long)p->established_idle,
		(unsigned long long)p->opened,
		(unsigned long long)p->closed, (unsigned long long)p->bind_failures,
		(unsigned long long)p->connect_failures, (unsigned long long)p->call_failures_total,
		fds, model__verdict_name(p->verdict), p->unknown ? "" : printable);
	for (i = 0; i < p->n_reasons; i++)
		fprintf(out, "%7s %s\n", "", p->reasons[i]);
	text_origins(out, p);
}

/* The destination table: its header and rows in one format, so that each
 * value sits under its title. */
#define DEST_COLUMNS "%-40s %-16s %7s %9s %6s %6s %6s %6s %8s %8s %10s %8s\n"

static void text_dest(FILE *out, const struct pl_dest *d)
{
	char dst[PL_ENDPOINT_LEN], src[PL_ADDRSTR_LEN], eta[16] = "-", tw_old[16] = "-";
	char ports[24], tw[24], freeing[24], free_now[24], used[16], growth[24], rate[24],
		fails[24];

	names__endpoint(d->dst.family, d->dst.addr, d->dst.port, dst, sizeof(dst));
	names__addr(d->src.family, d->src.addr, src, sizeof(src));
	if (d->seconds_to_exhaustion >= 0)
		names__duration(d->seconds_to_exhaustion, eta, sizeof(eta));
	if (d->time_wait_oldest_s >= 0)
		names__duration(d->time_wait_oldest_s, tw_old, sizeof(tw_old));
	snprintf(ports, sizeof(ports), "%llu", (unsigned long long)d->in_use);
	snprintf(tw, sizeof(tw), "%llu", (unsigned long long)d->time_wait);
	snprintf(freeing, sizeof(freeing), "%llu", (unsigned long long)d->time_wait_freeing);
	snprintf(free_now, sizeof(free_now), "%u", d->ports_free);
	snprintf(used, sizeof(used), "%.1f%%", 100.0 * d->utilization);
	snprintf(growth, sizeof(growth), "%.1f", d->growth_per_s);
	snprintf(rate, sizeof(rate), "%.1f", d->new_ports_per_s);
	snprintf(fails, sizeof(fails), "%llu", (unsigned long long)d->connect_failures);
	fprintf(out, DEST_COLUMNS, dst, src, ports, tw, tw_old, freeing, free_now, used, growth,
		rate, eta, fails);
}

void report__text(FILE *out, const struct pl_report *r)
{
	const struct pl_report_meta *m = &r->meta;

	size_t i;

	text_header(out, r, m);
	fprintf(out, "%7s %-16s %6s %10s %9s %6s %11s %5s %7s %7s %6s %6s %6s %7s  %-7s %s\n",
		"PID", "COMM", "ESTAB", "CLOSE_WAIT", "TIME_WAIT", "OTHER", "CW_AGE", "IDLE",
		"OPENED", "CLOSED", "BINDF", "CONNF", "FAILS", "FD%", "VERDICT", "WHERE");
	for (i = 0; i < r->n_procs; i++)
		text_proc(out, &r->procs[i]);
	if (!r->n_procs)
		fputs("(no process holds a TCP socket that matches)\n", out);
	fputc('\n', out);
	fprintf(out, DEST_COLUMNS, "DESTINATION", "SOURCE", "PORTS", "TIME_WAIT", "TW_OLD",
		"FREE10", "FREE", "USED", "GROWTH/S", "NEW/S", "EXHAUSTED", "CONNFAIL");
	for (i = 0; i < r->n_dests && i < MAX_DEST_ROWS; i++)
		text_dest(out, &r->dests[i]);
	if (r->n_dests > MAX_DEST_ROWS)
		fprintf(out, "(%zu more destinations: see --json)\n",
			r->n_dests - MAX_DEST_ROWS);
	if (!r->n_dests)
		fputs("(no local ports in use toward any destination)\n", out);
}
