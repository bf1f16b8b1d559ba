// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak top: the lines of the view, for batch mode and the full screen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/calls.h"
#include "model/names.h"
#include "views/top.h"

static const char *const sort_names[PL_NR_SORTS] = {
	"suspicion", "PID", "COMM", "ESTAB", "CLOSE_WAIT", "TIME_WAIT",
	"OPEN/s", "NET/min", "CW_AGE", "FAIL",
};

const char *top__sort_name(enum pl_sort s)
{
	return sort_names[s];
}

static enum pl_sort sort_key;

static double sort_value(const struct pl_proc *p)
{
	switch (sort_key) {
	case PL_SORT_PID:
		return -(double)p->pid; /* ascending */
	case PL_SORT_ESTAB:
		return (double)p->states[PL_TCP_ESTABLISHED];
	case PL_SORT_CLOSE_WAIT:
		return (double)p->states[PL_TCP_CLOSE_WAIT];
	case PL_SORT_TIME_WAIT:
		return (double)p->states[PL_TCP_TIME_WAIT];
	case PL_SORT_OPENED:
		return p->opened_per_s;
	case PL_SORT_GROWTH:
		return p->growth_per_min;
	case PL_SORT_CW_AGE:
		return p->close_wait_oldest_s;
	case PL_SORT_FAILURES:
		return (double)(p->bind_failures + p->call_failures_total);
	default:
		return 0;
	}
}

static int cmp_procs(const void *a, const void *b)
{
	const struct pl_proc *x = a, *y = b;
	double vx, vy;

	if (sort_key == PL_SORT_COMM)
		return strncmp(x->comm, y->comm, PL_COMM_LEN);
	vx = sort_value(x);
	vy = sort_value(y);
	if (vx != vy)
		return vx < vy ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

void top__sort(struct pl_proc *procs, size_t n, enum pl_sort s)
{
	if (s == PL_SORT_SUSPICION)
		return;
	sort_key = s;
	qsort(procs, n, sizeof(*procs), cmp_procs);
}

/* The destination with the fewest free ports, in its own namespace's
 * budget; NULL when there is none. */
static const struct pl_dest *tightest(const struct pl_report *r)
{
	const struct pl_dest *best = NULL;
	size_t i;

	for (i = 0; i < r->n_dests; i++)
		if (r->dests[i].budget.usable &&
		    (!best || r->dests[i].ports_free < best->ports_free))
			best = &r->dests[i];
	return best;
}

/* The conntrack table that is fullest, of those at 90% or more or that
 * dropped connections lately (at first sight: ever); NULL when none is. */
static const struct pl_port_budget *short_conntrack(const struct pl_report *r)
{
	const struct pl_port_budget *best = NULL;
	size_t i;

	for (i = 0; i < r->n_budgets; i++) {
		const struct pl_conntrack *c = &r->budgets[i].conntrack;
		bool dropped = c->drop_recent > 0 || (c->drop_recent < 0 && c->drop);

		if (!c->present || (!dropped && (!c->max || c->count * 10 < c->max * 9)))
			continue;
		if (!best || c->count * best->conntrack.max > best->conntrack.count * c->max)
			best = &r->budgets[i];
	}
	return best;
}

/* The conntrack table that is short, at the end of header line @line
 * (@o bytes in use). */
static size_t conntrack_note(const struct pl_report *r, char *line, size_t o)
{
	const struct pl_port_budget *b = short_conntrack(r);
	const struct pl_conntrack *c;

	if (!b || o >= PL_LINE_LEN)
		return o;
	c = &b->conntrack;
	o += (size_t)snprintf(line + o, PL_LINE_LEN - o, "   conntrack %llu of %llu (netns %u)",
			      (unsigned long long)c->count, (unsigned long long)c->max, b->netns);
	if (o < PL_LINE_LEN && (c->drop_recent > 0 || (c->drop_recent < 0 && c->drop)))
		o += (size_t)snprintf(line + o, PL_LINE_LEN - o, ", %llu dropped%s",
				      (unsigned long long)(c->drop_recent >= 0 ? (__u64)c->drop_recent
									 : c->drop),
				      c->drop_recent >= 0 ? " lately" : " since it began");
	return o;
}

void top__header(const struct pl_report *r, char lines[3][PL_LINE_LEN])
{
	const struct pl_report_meta *m = &r->meta;
	char host[64] = "?", up[32], lost[PL_LOSSES_TEXT_LEN], dest[PL_ENDPOINT_LEN];
	const struct pl_dest *d;
	unsigned int s;
	size_t o;

	gethostname(host, sizeof(host) - 1);
	names__duration(r->trace_s, up, sizeof(up));
	snprintf(lines[0], PL_LINE_LEN,
		 "portleak top - %s - kernel %s - hooks state=%s accept=%s bind=%s - up %s",
		 host, m->kernel, m->hook_state, m->hook_accept, m->hook_bind, up);
	o = (size_t)snprintf(lines[1], PL_LINE_LEN, "TCP:");
	for (s = 0; s < PL_TCP_NR_STATES && o < PL_LINE_LEN; s++)
		if (r->totals[s])
			o += (size_t)snprintf(lines[1] + o, PL_LINE_LEN - o, " %s %llu",
					      names__tcp_state(s),
					      (unsigned long long)r->totals[s]);
	losses__text(&r->losses, "  ", lost, sizeof(lost));
	o = (size_t)snprintf(lines[2], PL_LINE_LEN, "lost: %s   ports %u-%u", lost, r->port_low,
			     r->port_high);
	if ((d = tightest(r)) && o < PL_LINE_LEN) {
		names__endpoint(d->dst.family, d->dst.addr, d->dst.port, dest, sizeof(dest));
		o += (size_t)snprintf(lines[2] + o, PL_LINE_LEN - o, " (least free: %u of %u toward %s)",
				      d->ports_free, d->budget.usable, dest);
	}
	if (m->files_open >= 0 && o < PL_LINE_LEN)
		o += (size_t)snprintf(lines[2] + o, PL_LINE_LEN - o, "   files %lld of %lld",
				      m->files_open, m->files_max);
	o = conntrack_note(r, lines[2], o);
	if (m->standing.last_report_failed && o < PL_LINE_LEN)
		snprintf(lines[2] + o, PL_LINE_LEN - o,
			 "   REPORT FAILED (%s, %llu so far): showing the one of %.0fs ago",
			 strerror(-m->standing.last_failure),
			 (unsigned long long)m->standing.report_failures, m->standing.report_age_s);
}

const char *top__proc_columns(void)
{
	return "    PID COMM             WHERE                                ESTAB CLOSE_WAIT TIME_WAIT  OTHER  OPEN/s CLOSE/s NET/min      CW_AGE  IDLE FD%         FAILS             VERDICT";
}

static void rate(double v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", v);
}

#define PL_WHERE_WIDTH 36 /* "shop/shop-api-7d9f5c-x2k4q/checkout" fits */

/* The last @width bytes of where a process runs (model/identity.h) as
 * safe text, marked when cut. */
static void tail(const struct pl_proc *p, size_t width, char *buf, size_t len)
{
	char raw[PL_WHERE_LEN], path[4 * PL_WHERE_LEN + 1];
	size_t n;

	identity__where(&p->who, p->cgroup, raw, sizeof(raw));
	names__printable(raw, strnlen(raw, sizeof(raw)), path, sizeof(path));
	n = strlen(path);

	if (!*path)
		snprintf(buf, len, "-");
	else if (n <= width)
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "..%s", path + n - width + 2);
}

static const char *verdict_label(enum pl_verdict v)
{
	static const char *const labels[] = {
		[PL_VERDICT_OK] = "OK", [PL_VERDICT_INCOMPLETE] = "INCOMPL",
		[PL_VERDICT_GROWING] = "GROWING", [PL_VERDICT_PORTS] = "PORTS",
		[PL_VERDICT_TIMEOUT] = "TIMEOUT", [PL_VERDICT_BACKLOG] = "BACKLOG",
		[PL_VERDICT_STALE] = "STALE", [PL_VERDICT_LEAK] = "LEAK",
	};

	return labels[v];
}

/* In use of the open-files limit: "12%", with a bar past PL_FD_WARN. */
static void fd_share(const struct pl_proc *p, char *buf, size_t len)
{
	double use;
	int i, filled;
	size_t o;

	if (p->fd_in_use < 0 || p->fd_limit <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	use = (double)p->fd_in_use / (double)p->fd_limit;
	o = (size_t)snprintf(buf, len, "%.0f%%", 100 * use);
	if (use < PL_FD_WARN || o + 7 >= len)
		return;
	filled = (int)((use - PL_FD_WARN) / (1 - PL_FD_WARN) * 5 + 0.5);
	buf[o++] = '[';
	for (i = 0; i < 5; i++)
		buf[o++] = i < filled ? '#' : '.';
	buf[o++] = ']';
	buf[o] = '\0';
}

/* Failed calls (connect, accept, bind), with the most frequent errno. */
static void fails(const struct pl_proc *p, char *buf, size_t len)
{
	__u64 total = p->call_failures_total + p->bind_failures;
	int err = p->bind_err;

	if (p->n_call_failures && p->call_failures[0].count >= p->bind_failures)
		err = p->call_failures[0].err;
	if (!total)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu %s", (unsigned long long)total, names__errno(err));
}

void top__proc_line(const struct pl_proc *p, char *buf, size_t len)
{
	char comm[4 * PL_COMM_LEN + 1], cg[PL_WHERE_WIDTH + 4], opened[16], closed[16], age[16] = "-";
	char fd[16], failed[40];
	__u64 other = p->total - p->states[PL_TCP_ESTABLISHED] -
		      p->states[PL_TCP_CLOSE_WAIT] - p->states[PL_TCP_TIME_WAIT];

	names__printable(p->comm, sizeof(p->comm), comm, sizeof(comm));
	tail(p, PL_WHERE_WIDTH, cg, sizeof(cg));
	rate(p->opened_per_s, opened, sizeof(opened));
	rate(p->closed_per_s, closed, sizeof(closed));
	if (p->close_wait_oldest_s >= 0)
		names__age_range(p->close_wait_oldest_s, p->close_wait_age_exact,
				 p->close_wait_oldest_max_s, age, sizeof(age));
	fd_share(p, fd, sizeof(fd));
	fails(p, failed, sizeof(failed));
	snprintf(buf, len, "%7u %-16.16s %-36s %5llu %10llu %9llu %6llu %7s %7s %+7.0f %11s %5llu %-11s %-17.17s %s",
		 p->pid, comm, cg, (unsigned long long)p->states[PL_TCP_ESTABLISHED],
		 (unsigned long long)p->states[PL_TCP_CLOSE_WAIT],
		 (unsigned long long)p->states[PL_TCP_TIME_WAIT], (unsigned long long)other,
		 opened, closed, p->growth_per_min, age, (unsigned long long)p->established_idle,
		 fd, failed, verdict_label(p->verdict));
}

const char *top__dest_columns(void)
{
	return "DESTINATION                              SOURCE           PORTS TIME_WAIT TW_OLD FREE10   FREE   USE%  NEW/s  EXHAUSTED CONNF";
}

void top__dest_line(const struct pl_dest *d, int bar, char *buf, size_t len)
{
	char dst[PL_ENDPOINT_LEN], src[PL_ADDRSTR_LEN], eta[16] = "-", bars[64] = "", tw_age[16] = "-";
	int filled = (int)(d->utilization * bar + 0.5), i;

	names__endpoint(d->dst.family, d->dst.addr, d->dst.port, dst, sizeof(dst));
	names__addr(d->src.family, d->src.addr, src, sizeof(src));
	if (d->seconds_to_exhaustion >= 0)
		names__duration(d->seconds_to_exhaustion, eta, sizeof(eta));
	if (d->time_wait_oldest_s >= 0)
		names__duration(d->time_wait_oldest_s, tw_age, sizeof(tw_age));
	if (bar > 0 && bar < (int)sizeof(bars) - 2) {
		bars[0] = '[';
		for (i = 0; i < bar; i++)
			bars[i + 1] = i < filled ? '#' : '.';
		bars[bar + 1] = ']';
		bars[bar + 2] = '\0';
	}
	snprintf(buf, len, "%-40s %-16s %5llu %9llu %6s %6llu %6u %5.1f%% %6.1f %10s %5llu %s", dst,
		 src, (unsigned long long)d->in_use, (unsigned long long)d->time_wait, tw_age,
		 (unsigned long long)d->time_wait_freeing, d->ports_free, 100 * d->utilization, d->new_ports_per_s, eta,
		 (unsigned long long)d->connect_failures, bars);
}

const char *top__conntrack_columns(void)
{
	return "NETNS        CONNTRACK            USE%   DROPS  RECENT  EVICTED  INSERT_FAILED";
}

void top__conntrack_line(const struct pl_port_budget *b, char *buf, size_t len)
{
	const struct pl_conntrack *c = &b->conntrack;
	char used[48], recent[24] = "-";

	snprintf(used, sizeof(used), "%llu/%llu", (unsigned long long)c->count,
		 (unsigned long long)c->max);
	if (c->drop_recent >= 0)
		snprintf(recent, sizeof(recent), "%lld", (long long)c->drop_recent);
	snprintf(buf, len, "%-12u %-20s %5.1f %7llu %7s %8llu %14llu%s", b->netns, used,
		 c->max ? 100.0 * (double)c->count / (double)c->max : 0.0,
		 (unsigned long long)c->drop, recent, (unsigned long long)c->early_drop,
		 (unsigned long long)c->insert_failed,
		 c->max && c->count >= c->max ? "  FULL" : "");
}

const char *top__nat_columns(void)
{
	return "NETNS        SOURCE           DESTINATION                               PORTS CLOSED NOSOCK  DROPS  HOLDERS";
}

void top__nat_holders(const struct pl_nat_use *u, char *buf, size_t len)
{
	char comm[4 * PL_COMM_LEN + 1];
	size_t h, o = 0;

	if (len)
		buf[0] = '\0';
	for (h = 0; h < u->n_holders && o < len; h++) {
		names__printable(u->holders[h].comm, sizeof(u->holders[h].comm), comm, sizeof(comm));
		o += (size_t)snprintf(buf + o, len - o, "%s%s[%u] %llu", h ? ", " : "", comm,
				      u->holders[h].pid, (unsigned long long)u->holders[h].entries);
	}
}

bool top__nat_cut_line(const struct pl_report *r, char *buf, size_t len)
{
	snprintf(buf, len, "NAT: %llu entries beyond the bound, %zu tables not read whole",
		 (unsigned long long)r->nat_left_out, r->nat_cut);
	return r->nat_left_out || r->nat_cut;
}

void top__nat_line(const struct pl_nat_use *u, char *buf, size_t len)
{
	char source[PL_ADDRSTR_LEN], dest[PL_ENDPOINT_LEN], drops[24] = "-";
	char holders[PL_LINE_LEN];

	names__addr(u->family, u->source, source, sizeof(source));
	names__endpoint(u->family, u->dest, u->dport, dest, sizeof(dest));
	if (u->drops_recent >= 0)
		snprintf(drops, sizeof(drops), "%lld", (long long)u->drops_recent);
	top__nat_holders(u, holders, sizeof(holders));
	snprintf(buf, len, "%-12u %-16s %-40s %6llu %6llu %6llu %6s  %s%s", u->netns, source, dest,
		 (unsigned long long)u->ports_used, (unsigned long long)u->closed,
		 (unsigned long long)u->unexplained, drops, u->n_holders ? holders : "-",
		 u->exhausted ? "  EXHAUSTED" : "");
}

const char *top__group_columns(void)
{
	return "PEER                                     STATE         SOCKETS  OLDEST    IDLE";
}

void top__group_line(const struct pl_peer_group *g, char *buf, size_t len)
{
	char peer[PL_ENDPOINT_LEN], age[16], idle[16] = "-";

	if (g->state == PL_TCP_LISTEN)
		snprintf(peer, sizeof(peer), "(listening on port %u)", g->peer.port);
	else
		names__endpoint(g->peer.family, g->peer.addr, g->peer.port, peer, sizeof(peer));
	names__duration(g->oldest_s, age, sizeof(age));
	if (g->idle_oldest_s >= 0)
		names__duration(g->idle_oldest_s, idle, sizeof(idle));
	snprintf(buf, len, "%-40s %-12s %8llu  %6s  %6s", peer, names__tcp_state(g->state),
		 (unsigned long long)g->count, age, idle);
}

bool top__holders_line(const struct pl_proc *p, char *buf, size_t len)
{
	char comm[4 * PL_COMM_LEN + 1];
	size_t i, o;

	if (!p->n_holders)
		return false;
	o = (size_t)snprintf(buf, len, "also held by");
	for (i = 0; i < p->n_holders && o < len; i++) {
		names__printable(p->holders[i].comm, sizeof(p->holders[i].comm), comm, sizeof(comm));
		o += (size_t)snprintf(buf + o, len - o, "%s pid %u (%s) %llu socket%s",
				      i ? "," : "", p->holders[i].owner.tgid, comm,
				      (unsigned long long)p->holders[i].sockets,
				      p->holders[i].sockets == 1 ? "" : "s");
	}
	if (o < len)
		snprintf(buf + o, len - o, ": close --pid %u leaves them open without --shared", p->pid);
	return true;
}

void top__fd_line(const struct pl_proc *p, char *buf, size_t len)
{
	char eta[32] = "";
	size_t o;

	if (p->fd_in_use < 0) {
		snprintf(buf, len, "fds: unknown (the process is gone, or /proc/%u is not readable)", p->pid);
		return;
	}
	o = (size_t)snprintf(buf, len, "fds %lld in use of %lld (soft RLIMIT_NOFILE), %llu of them CLOSE_WAIT sockets",
			     (long long)p->fd_in_use, (long long)p->fd_limit,
			     (unsigned long long)p->close_wait_fds);
	if (p->dead_held && o < len)
		o += (size_t)snprintf(buf + o, len - o, ", %llu dead (connection gone, fd kept)",
				      (unsigned long long)p->dead_held);
	if (p->fd_per_min && o < len)
		o += (size_t)snprintf(buf + o, len - o, ", %+.0f/min", p->fd_per_min);
	if (p->fd_seconds_to_limit >= 0 && o < len) {
		names__duration(p->fd_seconds_to_limit, eta, sizeof(eta));
		snprintf(buf + o, len - o, ", full in ~%s", eta);
	}
}

const char *top__call_failure_columns(void)
{
	return "FAILED CALL  ERRNO          PEER                                       COUNT";
}

void top__call_failure_line(const struct pl_call_failure *f, char *buf, size_t len)
{
	char peer[PL_ENDPOINT_LEN] = "-";

	if (f->peer.family)
		names__endpoint(f->peer.family, f->peer.addr, f->peer.port, peer, sizeof(peer));
	snprintf(buf, len, "%-12s %-14s %-40s %8llu%s", calls__name(f->call), names__errno(f->err),
		 peer, (unsigned long long)f->count,
		 f->by == PL_BY_APPLICATION ? "  (the application gave up)" : "");
}
