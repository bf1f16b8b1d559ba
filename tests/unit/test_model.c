// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of the pure model: attribution, aggregation, sorting,
 * destinations, verdicts, and the JSON and text encoders. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/advice.h"
#include "model/handshake.h"
#include "views/json.h"
#include "views/metrics.h"
#include "model/model.h"
#include "model/origins.h"
#include "model/names.h"
#include "model/skindex.h"
#include "views/report.h"
#include "views/top.h"

static int passed, failed;

#define CHECK(cond) check(!!(cond), #cond, __FILE__, __LINE__)

static void check(int ok, const char *what, const char *file, int line)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
}

/* --- a tiny synthetic host ------------------------------------------------ */

#define NS 4026531840u
#define SEC 1000000000ull
#define NOW (1000 * SEC)

struct host {
	struct pl_tcp_record tcp[128];
	size_t n_tcp;
	struct pl_ledger_row ledger[128];
	size_t n_ledger;
	struct pl_timewait_row tw[16];
	size_t n_tw;
	struct pl_owner_row owners[16];
	size_t n_owners;
	struct pl_failure failures[16];
	size_t n_failures;
};

static struct pl_owner owner(__u32 pid)
{
	return (struct pl_owner){ .tgid = pid, .start_ns = pid * 10ull };
}

static struct pl_tuple tuple4(__u16 sport, __u32 daddr, __u16 dport)
{
	struct pl_tuple t = { .netns = NS, .family = PL_AF_INET, .sport = sport, .dport = dport };
	__u32 lo = 0x0100007f; /* 127.0.0.1 in network order on little endian */

	memcpy(t.saddr, &lo, 4);
	memcpy(t.daddr, &daddr, 4);
	return t;
}

/* A full socket held by @pid (0: no ledger entry) in @state since @age_s. */
static __u64 add_sock(struct host *h, __u32 pid, __u8 state, struct pl_tuple t,
		      double age_s)
{
	__u64 sk = 0xffff000000000000ull + h->n_tcp * 0x100;

	h->tcp[h->n_tcp++] = (struct pl_tcp_record){
		.sk = sk, .tuple = t, .state = state, .kind = PL_REC_FULL };
	if (pid) {
		struct pl_ledger_row *r = &h->ledger[h->n_ledger++];

		memset(r, 0, sizeof(*r));
		r->sk = sk;
		r->s.owner = owner(pid);
		r->s.state = state;
		r->s.tuple = t;
		r->s.created_ns = r->s.changed_ns = NOW - (__u64)(age_s * SEC);
		snprintf(r->s.comm, sizeof(r->s.comm), "proc%u", pid);
	}
	return sk;
}

static void add_timewait(struct host *h, __u32 pid, struct pl_tuple t)
{
	h->tcp[h->n_tcp++] = (struct pl_tcp_record){
		.sk = 0xeeee000000000000ull + h->n_tcp, .tuple = t,
		.state = PL_TCP_TIME_WAIT, .kind = PL_REC_TIMEWAIT };
	if (!pid)
		return;
	h->tw[h->n_tw].key = t;
	h->tw[h->n_tw].v.owner = owner(pid);
	snprintf(h->tw[h->n_tw].v.comm, PL_COMM_LEN, "proc%u", pid);
	h->n_tw++;
}

static void add_stats(struct host *h, __u32 pid, __u64 opened, __u64 closed,
		      __u64 bind_f, __u64 connect_f)
{
	struct pl_owner_row *r = &h->owners[h->n_owners++];

	memset(r, 0, sizeof(*r));
	r->key = owner(pid);
	r->v.opened = opened;
	r->v.closed = closed;
	r->v.bind_failures = bind_f;
	r->v.connect_failures = connect_f;
}

static struct pl_model_input input(const struct host *h)
{
	return (struct pl_model_input){
		.tcp = h->tcp, .n_tcp = h->n_tcp,
		.ledger = h->ledger, .n_ledger = h->n_ledger,
		.timewait = h->tw, .n_timewait = h->n_tw,
		.owners = h->owners, .n_owners = h->n_owners,
		.failures = h->failures, .n_failures = h->n_failures,
		.now_ns = NOW, .trace_s = 10,
		.port_low = 32768, .port_high = 60999,
		.leak_age_s = 60,
		.filter = { .port = -1 },
	};
}

static const struct pl_proc *find(const struct pl_report *r, __u32 pid)
{
	size_t i;

	for (i = 0; i < r->n_procs; i++)
		if (r->procs[i].pid == pid && !r->procs[i].unknown)
			return &r->procs[i];
	return NULL;
}

static const struct pl_proc *find_unknown(const struct pl_report *r)
{
	size_t i;

	for (i = 0; i < r->n_procs; i++)
		if (r->procs[i].unknown)
			return &r->procs[i];
	return NULL;
}

/* --- tests ---------------------------------------------------------------- */

static void test_attribution_and_aggregation(void)
{
	struct host h = { 0 };
	struct pl_report r;
	const struct pl_proc *p;

	add_sock(&h, 100, PL_TCP_LISTEN, tuple4(8080, 0, 0), 500);
	add_sock(&h, 100, PL_TCP_CLOSE_WAIT, tuple4(8080, 0x0500000a, 40001), 900);
	add_sock(&h, 100, PL_TCP_CLOSE_WAIT, tuple4(8080, 0x0500000a, 40002), 30);
	add_sock(&h, 200, PL_TCP_ESTABLISHED, tuple4(40001, 0x0100007f, 8080), 5);
	add_timewait(&h, 200, tuple4(40003, 0x0100007f, 8080));
	add_timewait(&h, 0, tuple4(40004, 0x0100007f, 8080));
	add_sock(&h, 0, PL_TCP_LISTEN, tuple4(22, 0, 0), 0);
	CHECK(model__build(&(struct pl_model_input){ 0 }, &r) == 0 && r.n_procs == 0);
	model__free(&r);
	struct pl_model_input in = input(&h);
	CHECK(model__build(&in, &r) == 0);
	CHECK(r.n_procs == 3);
	p = find(&r, 100);
	CHECK(p && p->states[PL_TCP_CLOSE_WAIT] == 2 && p->states[PL_TCP_LISTEN] == 1);
	CHECK(p && p->close_wait_oldest_s > 899 && p->close_wait_oldest_s < 901);
	CHECK(p && p->total == 3);
	p = find(&r, 200);
	CHECK(p && p->states[PL_TCP_ESTABLISHED] == 1 && p->states[PL_TCP_TIME_WAIT] == 1);
	CHECK(p && strcmp(p->comm, "proc200") == 0);
	p = find_unknown(&r);
	CHECK(p && p->states[PL_TCP_TIME_WAIT] == 1 && p->states[PL_TCP_LISTEN] == 1);
	CHECK(r.totals[PL_TCP_TIME_WAIT] == 2 && r.totals[PL_TCP_CLOSE_WAIT] == 2);
	/* Most suspicious first. */
	CHECK(r.procs[0].pid == 100);
	model__free(&r);
}

static void test_accept_queue_and_request_sockets_go_to_listener(void)
{
	struct host h = { 0 };
	struct pl_report r;
	const struct pl_proc *p;
	__u64 listener = add_sock(&h, 300, PL_TCP_LISTEN, tuple4(9000, 0, 0), 10);

	add_sock(&h, 0, PL_TCP_ESTABLISHED, tuple4(9000, 0x0100007f, 50000), 0);
	h.tcp[h.n_tcp++] = (struct pl_tcp_record){
		.sk = 1, .listener = listener, .tuple = tuple4(9000, 0x0100007f, 50001),
		.state = PL_TCP_SYN_RECV, .kind = PL_REC_REQUEST };
	struct pl_model_input in = input(&h);
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 300);
	CHECK(p && p->states[PL_TCP_ESTABLISHED] == 1 && p->states[PL_TCP_SYN_RECV] == 1);
	CHECK(p && p->pending_accept == 1);
	CHECK(find_unknown(&r) == NULL);
	/* Local port 9000 is a listener's: no ephemeral port is held. */
	CHECK(r.n_dests == 0);
	model__free(&r);
}

/* Children the state hook charged to their listener's owner: the one
 * without a struct socket is still queued, the accepted one (held by one)
 * and a closed one (past CLOSE_WAIT) are not. */
static void test_children_charged_in_the_kernel_are_queued_until_accepted(void)
{
	struct host h = { 0 };
	struct pl_report r;
	const struct pl_proc *p;
	size_t i;

	add_sock(&h, 300, PL_TCP_LISTEN, tuple4(9000, 0, 0), 10);
	add_sock(&h, 300, PL_TCP_CLOSE_WAIT, tuple4(9000, 0x0100007f, 50000), 1);
	add_sock(&h, 300, PL_TCP_CLOSE_WAIT, tuple4(9000, 0x0100007f, 50001), 1);
	h.tcp[h.n_tcp - 1].held = 1;
	add_sock(&h, 300, PL_TCP_LAST_ACK, tuple4(9000, 0x0100007f, 50002), 1);
	for (i = 1; i < h.n_ledger; i++) {
		h.ledger[i].s.origin = PL_ORIGIN_ACCEPT;
		h.ledger[i].s.flags = PL_FLAG_QUEUED | PL_FLAG_ESTABLISHED;
	}
	struct pl_model_input in = input(&h);
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 300);
	CHECK(p && p->states[PL_TCP_CLOSE_WAIT] == 2 && p->pending_accept == 1);
	model__free(&r);
}

static void test_sort_order(void)
{
	struct host h = { 0 };
	struct pl_report r;

	add_sock(&h, 1, PL_TCP_ESTABLISHED, tuple4(40000, 0x0100007f, 80), 1);
	add_sock(&h, 2, PL_TCP_CLOSE_WAIT, tuple4(8080, 0x0100007f, 40010), 10);
	add_sock(&h, 3, PL_TCP_CLOSE_WAIT, tuple4(8081, 0x0100007f, 40011), 100);
	add_sock(&h, 4, PL_TCP_ESTABLISHED, tuple4(40001, 0x0100007f, 80), 1);
	add_stats(&h, 4, 500, 10, 0, 0);
	add_stats(&h, 1, 1, 0, 0, 3);
	struct pl_model_input in = input(&h);
	CHECK(model__build(&in, &r) == 0 && r.n_procs == 4);
	/* The verdict first (LEAK, then PORTS); among the OK ones, the same
	 * CLOSE_WAIT count: the older first; then growth. */
	CHECK(r.procs[0].pid == 3 && r.procs[0].verdict == PL_VERDICT_LEAK);
	CHECK(r.procs[1].pid == 1 && r.procs[1].verdict == PL_VERDICT_PORTS);
	CHECK(r.procs[2].pid == 2 && r.procs[3].pid == 4);
	CHECK(r.procs[3].verdict == PL_VERDICT_OK); /* holds 1: not growing */
	model__free(&r);
}

static void test_leak_verdict_needs_age(void)
{
	struct host h = { 0 };
	struct pl_report r;
	const struct pl_proc *p;
	int i;

	add_sock(&h, 7, PL_TCP_LISTEN, tuple4(8080, 0, 0), 100);
	for (i = 0; i < 5; i++)
		add_sock(&h, 7, PL_TCP_CLOSE_WAIT, tuple4(8080, 0x0500000a, 40000 + i), 61 + i);
	add_sock(&h, 8, PL_TCP_CLOSE_WAIT, tuple4(8081, 0x0500000a, 41000), 5);
	struct pl_model_input in = input(&h);
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 7);
	CHECK(p && p->verdict == PL_VERDICT_LEAK && p->n_reasons >= 1);
	CHECK(p && strstr(p->reasons[0], "5 CLOSE_WAIT") && strstr(p->reasons[0], "oldest 1m05s"));
	/* Different client ports of one address: a server groups them. */
	CHECK(p && p->close_wait_peer_count == 5 && p->close_wait_peer.port == 0);
	CHECK(p && strstr(p->reasons[0], "(5 to 10.0.0.5)"));
	p = find(&r, 8);
	CHECK(p && p->verdict == PL_VERDICT_OK);
	model__free(&r);
}

static void test_busy_healthy_process_is_ok(void)
{
	struct host h = { 0 };
	struct pl_report r;
	const struct pl_proc *p;

	add_sock(&h, 9, PL_TCP_ESTABLISHED, tuple4(40000, 0x0100007f, 443), 1);
	add_timewait(&h, 9, tuple4(40001, 0x0100007f, 443));
	add_stats(&h, 9, 100000, 99999, 0, 0);
	struct pl_model_input in = input(&h);
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 9);
	CHECK(p && p->verdict == PL_VERDICT_OK && p->n_reasons == 0);
	model__free(&r);
}

static void test_filters(void)
{
	struct host h = { 0 };
	struct pl_report r;

	add_sock(&h, 10, PL_TCP_ESTABLISHED, tuple4(40000, 0x0100007f, 443), 1);
	add_sock(&h, 11, PL_TCP_ESTABLISHED, tuple4(40001, 0x0100007f, 80), 1);
	struct pl_model_input in = input(&h);
	in.filter.pid = 11;
	CHECK(model__build(&in, &r) == 0 && r.n_procs == 1 && r.procs[0].pid == 11);
	CHECK(r.n_dests == 1 && r.dests[0].dst.port == 80);
	CHECK(r.totals[PL_TCP_ESTABLISHED] == 2); /* totals ignore filters */
	model__free(&r);
	in.filter.pid = 0;
	in.filter.port = 443;
	CHECK(model__build(&in, &r) == 0 && r.n_procs == 1 && r.procs[0].pid == 10);
	model__free(&r);
	in.filter.port = -1;
	in.filter.comm = "proc11";
	CHECK(model__build(&in, &r) == 0 && r.n_procs == 1 && r.procs[0].pid == 11);
	model__free(&r);
}

static void test_destinations_and_exhaustion(void)
{
	struct host h = { 0 };
	struct pl_netns ns = { .inum = NS, .port_low = 40000, .port_high = 40099 };
	struct pl_history hist = { 0 };
	struct pl_report r;
	int i;

	/* 10 s ago: 4 ports in use toward 10.0.0.5:8080. */
	for (i = 0; i < 4; i++)
		add_sock(&h, 12, PL_TCP_ESTABLISHED, tuple4(40000 + i, 0x0500000a, 8080), 1);
	struct pl_model_input in = input(&h);
	in.netns = &ns;
	in.n_netns = 1;
	in.now_ns = NOW - 10 * SEC;
	CHECK(model__build(&in, &r) == 0 && r.n_dests == 1 && r.dests[0].growth_per_s == 0);
	CHECK(model__remember(&r, &hist, in.now_ns) == 0);
	model__free(&r);
	/* Now: 51. */
	for (i = 4; i < 50; i++)
		add_sock(&h, 12, PL_TCP_ESTABLISHED, tuple4(40000 + i, 0x0500000a, 8080), 1);
	add_timewait(&h, 12, tuple4(40050, 0x0500000a, 8080));
	h.failures[h.n_failures++] = (struct pl_failure){
		.owner = owner(12), .kind = PL_FAIL_CONNECT, .err = 99,
		.tuple = tuple4(0, 0x0500000a, 8080) };
	add_stats(&h, 12, 50, 0, 0, 1);
	in = input(&h);
	in.netns = &ns;
	in.n_netns = 1;
	in.history = &hist;
	CHECK(model__build(&in, &r) == 0 && r.n_dests == 1);
	CHECK(r.dests[0].in_use == 51 && r.dests[0].time_wait == 1);
	CHECK(r.dests[0].range == 100);
	CHECK(r.dests[0].utilization > 0.50 && r.dests[0].utilization < 0.52);
	CHECK(r.dests[0].growth_per_s > 4.69 && r.dests[0].growth_per_s < 4.71);
	/* 49 ports left at 4.7 new ports per second. */
	CHECK(r.dests[0].seconds_to_exhaustion > 10.4 && r.dests[0].seconds_to_exhaustion < 10.5);
	CHECK(r.dests[0].new_ports_per_s > 4.71 && r.dests[0].new_ports_per_s < 4.73);
	CHECK(r.dests[0].connect_failures == 1);
	/* The process holds 51 of 100 ports toward it: not yet a PORTS verdict
	 * by itself, but its connect failure is. */
	CHECK(r.procs[0].hot_dest_ports == 51 && r.procs[0].verdict == PL_VERDICT_PORTS);
	model__free(&r);
	history__free(&hist);
}

/* The allocator's budget (DESIGN.md fact 13): a range of 200 with 20
 * reserved, a listener inside it, 100 ports held by bind() toward A, 20
 * IPv4-mapped connects toward B: 59 ports are left toward B, in one row. */
static void test_port_budget_counts_bind_reserved_and_mapped(void)
{
	struct host h = { 0 };
	__u64 reserved[PL_PORT_WORDS] = { 0 };
	struct pl_netns ns = { .inum = NS, .port_low = 40000, .port_high = 40199,
			       .reserved = reserved };
	const struct pl_dest *b = NULL;
	struct pl_tuple t;
	struct pl_report r;
	int i;

	for (i = 40010; i < 40030; i++)
		reserved[i / 64] |= 1ull << (i % 64);
	add_sock(&h, 11, PL_TCP_LISTEN, tuple4(40190, 0, 0), 1);
	h.tcp[h.n_tcp - 1].bound = 1;
	for (i = 0; i < 100; i++) { /* bind(port 0), then connect() toward A */
		add_sock(&h, 12, PL_TCP_ESTABLISHED, tuple4(40030 + i, 0x0100007f, 7001), 1);
		h.tcp[h.n_tcp - 1].bound = 1;
	}
	for (i = 0; i < 20; i++) { /* ::ffff:127.0.0.1 toward B, ports from connect() */
		t = tuple4(40140 + i, 0, 7002);
		t.family = PL_AF_INET6;
		memset(t.saddr, 0, sizeof(t.saddr));
		t.saddr[10] = t.saddr[11] = t.daddr[10] = t.daddr[11] = 0xff;
		t.saddr[12] = t.daddr[12] = 127;
		t.saddr[15] = t.daddr[15] = 1;
		add_sock(&h, 13, PL_TCP_ESTABLISHED, t, 1);
	}
	add_sock(&h, 14, PL_TCP_ESTABLISHED, tuple4(40160, 0x0100007f, 7002), 1);
	struct pl_model_input in = input(&h);
	in.netns = &ns;
	in.n_netns = 1;
	CHECK(model__build(&in, &r) == 0);
	CHECK(r.n_budgets == 1 && r.budgets[0].usable == 180 && r.budgets[0].reserved == 20 &&
	      r.budgets[0].bound == 101);
	CHECK(r.n_dests == 2); /* A, and B once: the mapped and the plain IPv4 */
	for (i = 0; i < (int)r.n_dests; i++)
		if (r.dests[i].dst.port == 7002)
			b = &r.dests[i];
	CHECK(b && b->dst.family == PL_AF_INET && b->dst.addr[0] == 127 && b->in_use == 21);
	CHECK(b && b->budget.bound == 101 && b->ports_free == 180 - 101 - 21);
	CHECK(find(&r, 12) && find(&r, 12)->ports_bound == 100);
	CHECK(find(&r, 11) && find(&r, 11)->ports_bound == 0); /* listening */
	CHECK(find(&r, 13) && find(&r, 13)->ports_bound == 0);
	model__free(&r);
}

/* Reports of one process at times @t_s (from NOW): held sockets, opened,
 * closed at each; the verdict of the last, and its reasons in @r0. */
static enum pl_verdict series_verdict(int n, const double *t_s, const __u64 *held,
				      const __u64 *opened, const __u64 *closed,
				      double *opened_per_s, char *r0, size_t r0_len)
{
	struct pl_history hist = { 0 };
	struct pl_report r;
	enum pl_verdict v = PL_VERDICT_OK;
	__u64 i;

	for (int step = 0; step < n; step++) {
		struct host h = { 0 };

		for (i = 0; i < held[step] && i < 60; i++)
			add_sock(&h, 20, PL_TCP_ESTABLISHED, tuple4((__u16)(40000 + i), 0x0100007f, 80), 1);
		add_stats(&h, 20, opened[step], closed[step], 0, 0);
		struct pl_model_input in = input(&h);
		in.history = &hist;
		in.now_ns = NOW + (__u64)(t_s[step] * SEC);
		if (model__build(&in, &r))
			return PL_VERDICT_OK;
		v = r.procs[0].verdict;
		*opened_per_s = r.procs[0].opened_per_s;
		if (r0)
			snprintf(r0, r0_len, "%s", r.procs[0].n_reasons ? r.procs[0].reasons[0] : "");
		model__remember(&r, &hist, in.now_ns);
		model__free(&r);
	}
	history__free(&hist);
	return v;
}

/* Two reports @dt_s apart of one process: held sockets, opened, closed. */
static enum pl_verdict trend_verdict(__u64 held0, __u64 opened0, __u64 closed0,
				     __u64 held1, __u64 opened1, __u64 closed1,
				     double dt_s, double *opened_per_s)
{
	const double t[] = { 0, dt_s };
	const __u64 held[] = { held0, held1 }, opened[] = { opened0, opened1 },
		    closed[] = { closed0, closed1 };

	return series_verdict(2, t, held, opened, closed, opened_per_s, NULL, 0);
}

/* Sockets toward three destinations, interleaved as a walk lists them:
 * one row per destination, each with its own count, whether the model
 * indexes the ledger itself or is given the index the fd walk made. */
static void test_interleaved_destinations_are_counted_apart(void)
{
	static const __u32 addr[] = { 0x0500000a, 0x0500000a, 0x0600000a };
	static const __u16 port[] = { 8080, 8081, 8080 };
	struct host h = { 0 };
	struct pl_skindex ix;
	struct pl_report r;
	int i, pass;

	for (i = 0; i < 120; i++)
		add_sock(&h, 12, PL_TCP_ESTABLISHED, tuple4(40000 + i, addr[i % 3], port[i % 3]), 1);
	CHECK(skindex__of_rows(&ix, h.ledger, h.n_ledger, sizeof(h.ledger[0]),
			       offsetof(struct pl_ledger_row, sk)) == 0);
	for (pass = 0; pass < 2; pass++) {
		struct pl_model_input in = input(&h);

		in.ledger_index = pass ? &ix : NULL;
		CHECK(model__build(&in, &r) == 0 && r.n_dests == 3);
		for (i = 0; i < (int)r.n_dests; i++)
			CHECK(r.dests[i].in_use == 40);
		CHECK(r.n_dests == 3 && (r.dests[0].dst.port != r.dests[1].dst.port ||
					 memcmp(r.dests[0].dst.addr, r.dests[1].dst.addr, 4)));
		CHECK(r.n_procs == 1 && r.procs[0].total == 120 && r.procs[0].hot_dest_ports == 40);
		model__free(&r);
	}
	skindex__free(&ix);
}

static void test_growing_verdict_over_time(void)
{
	double rate = 0;

	static const double t[] = { 0, 5, 40, 100 };
	static const __u64 none[] = { 0, 0, 0, 0 }, warm[] = { 5, 40, 40, 40 },
			   leak[] = { 5, 20, 40, 60 };
	char reason[PL_REASON_LEN];

	/* 10 -> 50 held in 90 s, 45 opened, 5 closed: GROWING. */
	CHECK(trend_verdict(10, 100, 90, 50, 145, 95, 90, &rate) == PL_VERDICT_GROWING);
	/* The same in 30 s: too short to tell growth from a pool warming up. */
	CHECK(trend_verdict(10, 100, 90, 50, 145, 95, 30, &rate) == PL_VERDICT_OK);
	/* A pool that filled in 40 s and stayed full for a minute: OK. */
	CHECK(series_verdict(4, t, warm, warm, none, &rate, reason, sizeof(reason)) == PL_VERDICT_OK);
	/* Still growing over the last minute: GROWING, saying how long it watched. */
	CHECK(series_verdict(4, t, leak, leak, none, &rate, reason, sizeof(reason)) == PL_VERDICT_GROWING);
	CHECK(strstr(reason, "+55 held sockets in 1m40s of watching, +20 in the last 60 s") != NULL ||
	      !fprintf(stderr, "reason: %s\n", reason));
	/* Busy but healthy: 10000 opened and closed in 30 s, held steady. */
	CHECK(trend_verdict(10, 1000, 990, 12, 11000, 10988, 30, &rate) == PL_VERDICT_OK);
	/* Rates come from the 10 s window only. */
	CHECK(trend_verdict(10, 1000, 990, 10, 1500, 1490, 5, &rate) == PL_VERDICT_OK);
	CHECK(rate > 99.9 && rate < 100.1);
	/* Too short a span says nothing. */
	CHECK(trend_verdict(10, 0, 0, 50, 40, 0, 1, &rate) == PL_VERDICT_OK);
}

/* The first refresh after the start of top: 2 s after the first report,
 * too soon for a trend of held sockets, but 146 failed connect() are 146
 * failures already (PORTS, not OK). */
static void test_failures_count_on_the_first_refresh(void)
{
	struct pl_history hist = { 0 };
	struct pl_report r;
	int step;

	for (step = 0; step < 2; step++) {
		struct host h = { 0 };

		add_sock(&h, 20, PL_TCP_ESTABLISHED, tuple4(40000, 0x0100007f, 80), 1);
		add_stats(&h, 20, 1, 0, 0, step ? 146 : 0);
		struct pl_model_input in = input(&h);
		in.history = &hist;
		in.now_ns = NOW + (__u64)step * 2 * SEC;
		CHECK(model__build(&in, &r) == 0);
		CHECK(r.procs[0].verdict == (step ? PL_VERDICT_PORTS : PL_VERDICT_OK));
		model__remember(&r, &hist, in.now_ns);
		model__free(&r);
	}
	history__free(&hist);
}

static void test_advice(void)
{
	struct pl_host_facts facts = { .port_low = 32768, .port_high = 60999, .tw_reuse = 2,
				       .somaxconn = 4096 };
	char lines[12][PL_ADVICE_LEN];
	struct pl_proc p = { .pid = 1, .close_wait_oldest_s = 120 };
	size_t n;

	p.states[PL_TCP_CLOSE_WAIT] = 812;
	n = advice__lines(&p, &facts, lines, 12);
	CHECK(n >= 2 && strstr(lines[0], "812 sockets sit in CLOSE_WAIT"));
	p.states[PL_TCP_CLOSE_WAIT] = 0;
	p.states[PL_TCP_TIME_WAIT] = 5000;
	n = advice__lines(&p, &facts, lines, 12);
	CHECK(n >= 4 && strstr(lines[1], "28232 / 60 s = 471 new connections per second"));
	CHECK(strstr(lines[2], "tcp_tw_reuse = 2 (loopback only)"));
	p.states[PL_TCP_TIME_WAIT] = 1;
	n = advice__lines(&p, &facts, lines, 12);
	CHECK(n == 1 && strstr(lines[0], "Nothing wrong"));
}

static void test_server_time_wait_is_not_a_destination(void)
{
	struct host h = { 0 };
	struct pl_report r;

	/* The listener is gone; its accepted socket left TIME_WAIT behind, on
	 * an in-range local port: it holds no ephemeral port. */
	add_timewait(&h, 40, tuple4(41000, 0x0100007f, 52000));
	h.tw[0].v.origin = PL_ORIGIN_ACCEPT;
	add_timewait(&h, 41, tuple4(52001, 0x0100007f, 41000));
	h.tw[1].v.origin = PL_ORIGIN_CONNECT;
	struct pl_model_input in = input(&h);
	CHECK(model__build(&in, &r) == 0 && r.n_dests == 1);
	CHECK(r.dests[0].dst.port == 41000 && r.dests[0].time_wait == 1);
	model__free(&r);
}

static void test_failing_process_without_sockets_is_listed(void)
{
	struct host h = { 0 };
	struct pl_report r;
	const struct pl_proc *p;

	h.failures[h.n_failures++] = (struct pl_failure){
		.owner = owner(13), .kind = PL_FAIL_BIND, .err = 98,
		.tuple = tuple4(8080, 0, 0), .comm = "binder" };
	add_stats(&h, 13, 0, 0, 1, 0);
	struct pl_model_input in = input(&h);
	CHECK(model__build(&in, &r) == 0 && r.n_procs == 1);
	p = find(&r, 13);
	CHECK(p && p->bind_failures == 1 && p->bind_port == 8080 && p->bind_err == 98);
	CHECK(p && p->verdict == PL_VERDICT_PORTS && strstr(p->reasons[0], "EADDRINUSE"));
	model__free(&r);
}

static char *escaped(const char *s, size_t len)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	json__escape(f, s, len);
	fclose(f);
	return buf;
}

static void test_json_escaping(void)
{
	CHECK(strcmp(escaped("java", 4), "\"java\"") == 0);
	CHECK(strcmp(escaped("a\"b\\c", 5), "\"a\\\"b\\\\c\"") == 0);
	CHECK(strcmp(escaped("l1\nl2\t", 6), "\"l1\\nl2\\t\"") == 0);
	CHECK(strcmp(escaped("\x1b[31mred", 8), "\"\\u001b[31mred\"") == 0);
	CHECK(strcmp(escaped("caf\xc3\xa9", 5), "\"caf\xc3\xa9\"") == 0);
	CHECK(strcmp(escaped("bad\xff\xc3", 5), "\"bad\\ufffd\\ufffd\"") == 0);
	CHECK(strcmp(escaped("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"") == 0); /* overlong */
	/* A 16-byte comm with no terminator stops at the length. */
	CHECK(strcmp(escaped("0123456789abcdefXYZ", 16), "\"0123456789abcdef\"") == 0);
}

static void test_text_names(void)
{
	char buf[128];

	names__printable("evil\n\x1b[2J\\", 16, buf, sizeof(buf));
	CHECK(strcmp(buf, "evil\\x0a\\x1b[2J\\\\") == 0);
	names__duration(65, buf, sizeof(buf));
	CHECK(strcmp(buf, "1m05s") == 0);
	names__duration(7300, buf, sizeof(buf));
	CHECK(strcmp(buf, "2h01m") == 0);
	names__duration(4.5e240, buf, sizeof(buf)); /* a forecast at a crawl */
	CHECK(strcmp(buf, ">9999d") == 0);
	names__duration(0.0 / 0.0, buf, sizeof(buf));
	CHECK(strcmp(buf, "0s") == 0);
	__u8 v6[16] = { [15] = 1 };
	names__endpoint(PL_AF_INET6, v6, 443, buf, sizeof(buf));
	CHECK(strcmp(buf, "[::1]:443") == 0);
}

static void test_json_report_is_complete(void)
{
	struct host h = { 0 };
	struct pl_report r;
	char *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);
	struct pl_report_meta meta = { .time = "2026-01-01T00:00:00Z", .kernel = "6.18",
				       .hook_state = "tp_btf", .hook_accept = "syscall",
				       .hook_bind = "syscall" };

	add_sock(&h, 14, PL_TCP_CLOSE_WAIT, tuple4(8080, 0x0500000a, 40001), 70);
	snprintf(h.ledger[0].s.comm, PL_COMM_LEN, "a\"b\nc");
	struct pl_model_input in = input(&h);
	CHECK(model__build(&in, &r) == 0);
	r.meta = meta;
	report__json(f, &r);
	fclose(f);
	CHECK(strstr(doc, "\"version\":1") != NULL);
	CHECK(strstr(doc, "\"hooks\":{\"state\":\"tp_btf\",\"accept\":\"syscall\",\"bind\":\"syscall\"}") != NULL);
	CHECK(strstr(doc, "\"sockets\":{\"CLOSE_WAIT\":1}") != NULL);
	CHECK(strstr(doc, "\"comm\":\"a\\\"b\\nc\"") != NULL);
	CHECK(strstr(doc, "\"verdict\":\"leak\"") != NULL);
	CHECK(strstr(doc, "\"lost\":{\"events\":0,\"ledger_full\":0") != NULL);
	CHECK(doc[len - 1] == '\n' && strchr(doc, '\n') == doc + len - 1);
	free(doc);
	model__free(&r);
}

static void test_metrics_escaping_and_top_k(void)
{
	struct host h = { 0 };
	struct pl_report r;
	char *doc = NULL;
	size_t len = 0, series = 0;
	FILE *f = open_memstream(&doc, &len);
	struct pl_report_meta meta = { .time = "t", .kernel = "6.18", .hook_state = "tp_btf",
				       .hook_accept = "syscall", .hook_bind = "syscall" };
	struct pl_metrics_extra x = { .version = "test", .top_k = 2 };
	__u32 pid;
	char *line;

	for (pid = 30; pid < 35; pid++)
		add_sock(&h, pid, PL_TCP_ESTABLISHED, tuple4((__u16)(40000 + pid), 0x0100007f, 80), 1);
	snprintf(h.ledger[0].s.comm, PL_COMM_LEN, "a\"b\\c\nd\xff");
	struct pl_model_input in = input(&h);
	CHECK(model__build(&in, &r) == 0 && r.n_procs == 5);
	r.meta = meta;
	metrics__write(f, &r, &x);
	fclose(f);
	CHECK(strstr(doc, "comm=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\"") != NULL);
	CHECK(strstr(doc, "portleak_process_sockets{pid=\"other\",comm=\"other\",cgroup=\"\",namespace=\"\",pod=\"\",container=\"\",state=\"ESTABLISHED\"} 3\n") != NULL);
	for (line = strstr(doc, "\nportleak_process_sockets{"); line;
	     line = strstr(line + 1, "\nportleak_process_sockets{"))
		series++;
	CHECK(series == 3);
	CHECK(strstr(doc, "portleak_sockets{state=\"ESTABLISHED\"} 5\n") != NULL);
	free(doc);
	model__free(&r);
}

/* Render @r every way a user sees it, into one string in *@doc. */
static void render_all(const struct pl_report *r, char **doc)
{
	struct pl_report_meta meta = { .time = "t", .kernel = "6.18", .hook_state = "tp_btf",
				       .hook_accept = "syscall", .hook_bind = "syscall" };
	struct pl_metrics_extra x = { .version = "test", .top_k = 5 };
	char head[3][PL_LINE_LEN];
	size_t len = 0;
	FILE *f = open_memstream(doc, &len);

	struct pl_report with_meta = *r;

	with_meta.meta = meta;
	report__json(f, &with_meta);
	fputs("\n--text--\n", f);
	report__text(f, &with_meta);
	fputs("\n--metrics--\n", f);
	metrics__write(f, &with_meta, &x);
	top__header(&with_meta, head);
	fprintf(f, "\n--top--\n%s\n", head[2]);
	fclose(f);
}

/* Every kind of loss, alone, shows in JSON, text, metrics and the top
 * header, and turns an OK process into INCOMPLETE. */
static void test_every_loss_shows_everywhere(void)
{
	char want[128], *doc = NULL, *text, *metrics, *top;
	const struct pl_loss_kind *k;
	unsigned int kind;
	struct pl_report r;

	for (kind = 0; kind < PL_NR_LOSSES; kind++) {
		struct host h = { 0 };

		k = losses__kind(kind);
		CHECK(k && k->key && k->label && k->metric && k->help);
		add_sock(&h, 40, PL_TCP_ESTABLISHED, tuple4(40001, 0x0100007f, 80), 1);
		struct pl_model_input in = input(&h);

		if (kind == PL_LOSS_MISSED_RUNS)
			in.missed_runs = 7;
		else
			in.lost[kind] = 7;
		CHECK(model__build(&in, &r) == 0 && r.n_procs == 1);
		CHECK(r.losses.n[kind] == 7 && r.losses.total == 7);
		CHECK(r.procs[0].verdict == PL_VERDICT_INCOMPLETE);
		render_all(&r, &doc);
		text = strstr(doc, "--text--");
		metrics = strstr(doc, "--metrics--");
		top = strstr(doc, "--top--");
		CHECK(text && metrics && top);
		snprintf(want, sizeof(want), "\"%s\":7", k->key);
		CHECK(strstr(doc, want) && strstr(doc, want) < text);
		snprintf(want, sizeof(want), "%s 7", k->label);
		CHECK(strstr(text, want) && strstr(text, want) < metrics);
		CHECK(strstr(top, want) != NULL);
		snprintf(want, sizeof(want), "\n%s 7\n", k->metric);
		CHECK(strstr(metrics, want) && strstr(metrics, want) < top);
		free(doc);
		doc = NULL;
		model__free(&r);
	}
	CHECK(losses__kind(PL_NR_LOSSES) == NULL);
}

#define HZ_TEST 1000
#define J_NOW (4294967296ull - 300 * HZ_TEST + HZ_TEST * 5000ull) /* jiffies at NOW */

/* The last record added, with the kernel's clocks at NOW: data moved
 * @idle_s ago, the last ACK came @ack_s ago. */
static void set_clocks(struct host *h, double idle_s, double ack_s)
{
	struct pl_sock_clocks *c = &h->tcp[h->n_tcp - 1].clocks;

	c->jiffies = J_NOW;
	c->now_ns = NOW;
	c->lsndtime = c->lrcvtime = (__u32)(J_NOW - (__u64)(idle_s * HZ_TEST));
	c->rcv_tstamp = (__u32)(J_NOW - (__u64)(ack_s * HZ_TEST));
}

static void set_origin(struct host *h, __u8 origin)
{
	h->ledger[h->n_ledger - 1].s.origin = origin;
}

/* What the kernel's clocks tell on the first report: CLOSE_WAIT ages of
 * sockets older than portleak, STALE client pools, TIME_WAIT birth times. */
static void test_first_sight(void)
{
	static struct host h;
	const struct pl_proc *p;
	const struct pl_dest *d;
	struct pl_report r;
	unsigned int i;

	memset(&h, 0, sizeof(h));
	/* found by the walk half a second ago; the peer's FIN 40 s ago */
	add_sock(&h, 50, PL_TCP_CLOSE_WAIT, tuple4(9001, 0x0100007f, 41000), 0.5);
	set_origin(&h, PL_ORIGIN_WALK);
	set_clocks(&h, 40, 40);
	/* traced into CLOSE_WAIT 5 s ago: exact, whatever the clocks say */
	add_sock(&h, 51, PL_TCP_CLOSE_WAIT, tuple4(9002, 0x0100007f, 41001), 5);
	set_origin(&h, PL_ORIGIN_ACCEPT);
	set_clocks(&h, 40, 40);
	/* a pool that opened 25 connections and left them idle for 700 s */
	for (i = 0; i < 25; i++) {
		add_sock(&h, 52, PL_TCP_ESTABLISHED, tuple4((__u16)(40100 + i), 0x0500000a, 8080), 1);
		set_origin(&h, PL_ORIGIN_WALK);
		set_clocks(&h, 700, 700);
	}
	/* a server whose 25 accepted clients are as idle: not STALE */
	add_sock(&h, 53, PL_TCP_LISTEN, tuple4(7000, 0, 0), 100);
	for (i = 0; i < 25; i++) {
		add_sock(&h, 53, PL_TCP_ESTABLISHED, tuple4(7000, 0x0600000a, (__u16)(50000 + i)), 1);
		set_origin(&h, i % 2 ? PL_ORIGIN_ACCEPT : PL_ORIGIN_WALK);
		set_clocks(&h, 700, 700);
	}
	/* a busy client: 25 connections that carry data every second */
	for (i = 0; i < 25; i++) {
		add_sock(&h, 54, PL_TCP_ESTABLISHED, tuple4((__u16)(40200 + i), 0x0500000a, 8080), 1);
		set_origin(&h, PL_ORIGIN_CONNECT);
		set_clocks(&h, 1, 1);
	}
	struct pl_model_input in = input(&h);

	in.hz = HZ_TEST;
	in.leak_age_s = 30;
	in.idle_age_s = 600;
	in.stale_min = 20;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 50);
	CHECK(p && p->verdict == PL_VERDICT_LEAK && !p->close_wait_age_exact);
	CHECK(p && p->close_wait_oldest_s > 39.9 && p->close_wait_oldest_s < 40.1);
	p = find(&r, 51);
	CHECK(p && p->verdict == PL_VERDICT_OK && p->close_wait_age_exact);
	CHECK(p && p->close_wait_oldest_s > 4.9 && p->close_wait_oldest_s < 5.1);
	p = find(&r, 52);
	CHECK(p && p->verdict == PL_VERDICT_STALE && p->stale == 25 && p->established_idle == 25);
	CHECK(p && p->idle_oldest_s > 699 && p->idle_oldest_s < 701 && p->stale_peer.port == 8080);
	CHECK(p && p->n_reasons && strstr(p->reasons[0], "25 ESTABLISHED idle >= 10m00s") != NULL);
	p = find(&r, 53);
	CHECK(p && p->verdict == PL_VERDICT_OK && p->stale == 0 && p->established_idle == 25);
	p = find(&r, 54);
	CHECK(p && p->verdict == PL_VERDICT_OK && p->established_idle == 0);
	CHECK(r.procs[0].pid == 50 && r.procs[1].pid == 52); /* LEAK, then STALE */
	model__free(&r);

	/* TIME_WAIT toward 10.0.0.5:80: 3 born 5 s ago, 2 born 55 s ago */
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 5; i++) {
		add_timewait(&h, 60, tuple4((__u16)(40300 + i), 0x0500000a, 80));
		h.tcp[h.n_tcp - 1].clocks = (struct pl_sock_clocks){
			.jiffies = J_NOW, .tw_expires = J_NOW + (i < 3 ? 55 : 5) * HZ_TEST };
	}
	in = input(&h);
	in.hz = HZ_TEST;
	CHECK(model__build(&in, &r) == 0 && r.n_dests == 1);
	d = &r.dests[0];
	CHECK(d->time_wait == 5 && d->time_wait_dated == 5 && d->time_wait_freeing == 2);
	CHECK(d->time_wait_oldest_s > 54.9 && d->time_wait_oldest_s < 55.1);
	CHECK(d->new_ports_per_s > 0.29 && d->new_ports_per_s < 0.31); /* 3 in 10 s */
	CHECK(d->seconds_to_exhaustion < 0);
	model__free(&r);
	/* a tiny range: 4 ports, all TIME_WAIT, 5 born a second: out of ports now */
	in.port_low = 40300;
	in.port_high = 40303;
	CHECK(model__build(&in, &r) == 0 && r.n_dests == 1);
	CHECK(r.dests[0].seconds_to_exhaustion == 0);
	model__free(&r);
}

static void test_identity_from_cgroup_paths(void)
{
	static const char id[] = "4f1c0a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a29180716f5e4d3c2b1a09f8e";
	char path[512], where[PL_WHERE_LEN];
	struct pl_identity w;

	/* containerd, systemd driver */
	snprintf(path, sizeof(path), "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0c8b1234_5678_9abc_def0_123456789abc.slice/cri-containerd-%s.scope", id);
	CHECK(identity__parse(path, &w) && !strcmp(w.runtime, "containerd") && !strcmp(w.id, id));
	CHECK(!strcmp(w.pod_uid, "0c8b1234-5678-9abc-def0-123456789abc") && !w.unit[0]);
	/* containerd or CRI-O, cgroupfs driver (QoS class, or none for guaranteed) */
	snprintf(path, sizeof(path), "/kubepods/besteffort/pod0c8b1234-5678-9abc-def0-123456789abc/%s", id);
	CHECK(identity__parse(path, &w) && !w.runtime[0] && !strcmp(w.id, id));
	CHECK(!strcmp(w.pod_uid, "0c8b1234-5678-9abc-def0-123456789abc"));
	snprintf(path, sizeof(path), "/kubepods/podabc/%s", id);
	CHECK(identity__parse(path, &w) && !strcmp(w.pod_uid, "abc") && !strcmp(w.id, id));
	/* CRI-O, Docker, Podman under systemd; Docker under cgroupfs */
	snprintf(path, sizeof(path), "/kubepods.slice/kubepods-podx.slice/crio-%s.scope", id);
	CHECK(identity__parse(path, &w) && !strcmp(w.runtime, "cri-o") && !strcmp(w.pod_uid, "x"));
	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id);
	CHECK(identity__parse(path, &w) && !strcmp(w.runtime, "docker") && !w.unit[0]);
	snprintf(path, sizeof(path), "/machine.slice/libpod-%s.scope", id);
	CHECK(identity__parse(path, &w) && !strcmp(w.runtime, "podman"));
	snprintf(path, sizeof(path), "/docker/%s", id);
	CHECK(identity__parse(path, &w) && !strcmp(w.runtime, "docker") && !strcmp(w.id, id));
	/* systemd units; nothing */
	CHECK(identity__parse("/system.slice/nginx.service", &w) && !strcmp(w.unit, "nginx.service"));
	CHECK(!w.id[0] && !w.runtime[0]);
	CHECK(identity__parse("/user.slice/user-1000.slice/session-3.scope", &w) &&
	      !strcmp(w.unit, "session-3.scope"));
	CHECK(!identity__parse("/", &w) && !identity__parse("", &w) && !identity__parse("/a/b", &w));
	/* not ids: too short, upper case, no .scope */
	CHECK(!identity__parse("/system.slice/docker-abc.scope", &w) || !w.id[0]);
	snprintf(path, sizeof(path), "/system.slice/docker-%s", id);
	CHECK(!identity__parse(path, &w) || !w.id[0]);
	/* where: names, else the id, else the unit, else the path */
	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id);
	identity__parse(path, &w);
	identity__where(&w, path, where, sizeof(where));
	CHECK(!strcmp(where, "docker:4f1c0a9e8d7b"));
	snprintf(w.pod, sizeof(w.pod), "shop-api-7d9f5c-x2k4q");
	snprintf(w.namespace, sizeof(w.namespace), "shop");
	snprintf(w.name, sizeof(w.name), "checkout");
	identity__where(&w, path, where, sizeof(where));
	CHECK(!strcmp(where, "shop/shop-api-7d9f5c-x2k4q/checkout"));
	identity__parse("/system.slice/nginx.service", &w);
	identity__where(&w, "/system.slice/nginx.service", where, sizeof(where));
	CHECK(!strcmp(where, "nginx.service"));
	identity__parse("/a/b", &w);
	identity__where(&w, "/a/b", where, sizeof(where));
	CHECK(!strcmp(where, "/a/b"));
}

/* The BPF side's jiffies clock: stamps never ahead of CLOCK_MONOTONIC,
 * less than four ticks behind, whether jiffies were read with the clock,
 * a tick before it or a tick after it, at every HZ; across jiffies' 2^32
 * as well. */
static void test_jiffies_clock(void)
{
	static const unsigned int hzs[] = { 100, 250, 300, 1000 };
	__u64 up, j, t, stamp, now, read_j;
	unsigned int i;
	struct pl_clock c;
	int k;

	for (i = 0; i < sizeof(hzs) / sizeof(hzs[0]); i++) {
		__u64 tick = (1000000000ull + hzs[i] / 2) / hzs[i];

		for (up = 7; up < 100000; up = up * 7 + 3) {
			/* jiffies_64 counts whole ticks since 300 s before 2^32 */
			__u64 boot = 4294967296ull - 300ull * hzs[i];
			__u64 mono = up * 1000000000ull + 123457;

			for (k = -1; k <= 1; k++) {
				read_j = boot + mono / tick + k; /* k: ticks late */
				c = clocks__of_jiffies(hzs[i], read_j, mono);
				CHECK(c.tick_ns == tick);
				for (t = 0; t < 5; t++) {
					now = mono + t * 777777777ull;
					j = boot + now / tick;
					stamp = c.base_ns + j * c.tick_ns;
					CHECK(stamp <= now && now - stamp < 4 * tick);
				}
			}
		}
	}
}

/* tcp_tw_reuse (DESIGN.md fact 14): a TIME_WAIT older than the reuse delay
 * whose peer sent timestamps frees its port toward that peer; with 2, only
 * toward loopback. */
static void test_time_wait_reuse_frees_ports(void)
{
	static const __s8 policy[] = { 0, 1, 2, 2 };
	static const __u32 expect_free[] = { 95, 98, 98, 95 };
	struct pl_netns ns = { .inum = NS, .port_low = 40000, .port_high = 40099,
			       .tw_reuse_delay_ms = 1000 };
	struct host h;
	struct pl_report r;
	size_t k;
	int i;

	for (k = 0; k < sizeof(policy); k++) {
		memset(&h, 0, sizeof(h));
		for (i = 0; i < 5; i++) {
			struct pl_tuple t = tuple4((__u16)(40000 + i), 0x0500000a, 80);

			if (k == 3) /* from 10.0.0.2: not loopback */
				memcpy(t.saddr, &(__u32){ 0x0200000a }, 4);
			add_timewait(&h, 60, t);
			/* 3 in TIME_WAIT for 5 s with timestamps; one for 0.5 s;
			 * one for 5 s without */
			h.tcp[h.n_tcp - 1].clocks = (struct pl_sock_clocks){
				.jiffies = J_NOW,
				.tw_expires = J_NOW + (i == 3 ? 59500 : 55000) * HZ_TEST / 1000 };
			h.tcp[h.n_tcp - 1].tw_stamped = i != 4;
		}
		ns.tw_reuse = policy[k];
		struct pl_model_input in = input(&h);
		in.netns = &ns;
		in.n_netns = 1;
		in.hz = HZ_TEST;
		CHECK(model__build(&in, &r) == 0 && r.n_dests == 1);
		CHECK(r.n_dests == 1 && r.dests[0].ports_free == expect_free[k] &&
		      r.dests[0].time_wait == 5 &&
		      r.dests[0].time_wait_reusable == (expect_free[k] == 98 ? 3u : 0u));
		model__free(&r);
	}
}

static void test_clocks_arithmetic(void)
{
	/* jiffies_64 = 2^32 - 300 HZ + HZ * uptime */
	__u64 boot = 4294967296ull - 300 * 250, j = boot + 250ull * 2287;
	struct pl_sock_clocks c = { .jiffies = j, .now_ns = 2287000000000ull };
	bool exact = true;

	CHECK(clocks__hz(j, c.now_ns) == 250);
	CHECK(clocks__hz(j - 62, c.now_ns) == 250); /* jiffies a little behind */
	CHECK(clocks__hz(4294967296ull - 300 * 1000 + 1000ull * 10, 10000000000ull) == 1000);
	CHECK(clocks__hz(4294967296ull - 300 * 100 + 100ull * 90000, 90000000000000ull) == 100);
	CHECK(clocks__hz(12345, 10000000000ull) == 0); /* fits nothing */
	/* around uptime 300 s every HZ fits: the tick rate must tell */
	CHECK(clocks__hz(4294967296ull + 250 * 2 + 300, 302000000000ull) == 0);
	CHECK(clocks__hz_rate(1000, 0, 1025, 100000000ull) == 250);
	CHECK(clocks__hz_rate(1000, 0, 1031, 100000000ull) == 300);
	CHECK(clocks__hz_rate(1000, 0, 1101, 100000000ull) == 1000);
	CHECK(clocks__hz_rate(1000, 0, 1010, 100000000ull) == 100);
	CHECK(clocks__hz_rate(1000, 0, 1050, 100000000ull) == 0); /* 500: none */
	CHECK(clocks__hz_rate(1000, 5, 1025, 5) == 0);
	/* 32-bit stamps: 40 s ago at HZ=250, across the 2^32 boundary too */
	CHECK(clocks__age_s(&c, (__u32)j - 40 * 250, 250, &exact) == 40 && exact);
	c.jiffies = 4294967296ull + 5; /* (u32) 5 */
	CHECK(clocks__age_s(&c, (__u32)(c.jiffies - 2500), 250, &exact) == 10 && exact);
	CHECK(clocks__age_s(&c, 0, 250, &exact) == -1);
	CHECK(clocks__age_s(&c, 7, 0, &exact) == -1);
	/* 60 days up at HZ=1000: 2^32 jiffies have passed, a stamp may have wrapped */
	c.jiffies = 4294967296ull - 300 * 1000 + 1000ull * 86400 * 60;
	CHECK(clocks__age_s(&c, (__u32)c.jiffies - 3000, 1000, &exact) == 3 && !exact);
	/* idle: the more recent of sent and received */
	c = (struct pl_sock_clocks){ .jiffies = j, .lsndtime = (__u32)j - 2500, .lrcvtime = (__u32)j - 500 };
	exact = true;
	CHECK(clocks__idle_s(&c, 250, &exact) == 2 && exact);
	c.lrcvtime = 0;
	CHECK(clocks__idle_s(&c, 250, &exact) == 10);
	/* TIME_WAIT: 20 s left of 60 -> 40 s old; a due timer is 60 s old */
	c = (struct pl_sock_clocks){ .jiffies = j, .tw_expires = j + 20 * 250 };
	CHECK(clocks__timewait_left_s(&c, 250) == 20 && clocks__timewait_age_s(&c, 250) == 40);
	c.tw_expires = j - 3;
	CHECK(clocks__timewait_left_s(&c, 250) == 0 && clocks__timewait_age_s(&c, 250) == 60);
	c.tw_expires = 0;
	CHECK(clocks__timewait_age_s(&c, 250) == -1);
}

static int fds_of_700(__u32 pid, __s64 *in_use, __s64 *limit, void *ctx)
{
	(void)ctx;
	if (pid != 700)
		return -ENOENT;
	*in_use = 58;
	*limit = 64;
	return 0;
}

static struct pl_fail_row fail_row(__u32 pid, __u32 call, __s32 err, __u16 dport, __u64 n)
{
	struct pl_fail_row r = { .key = { .owner = owner(pid), .call = call, .err = err },
				 .v = { .count = n } };

	if (dport)
		r.key.peer = tuple4(0, 0x0500000a, dport);
	snprintf(r.v.comm, sizeof(r.v.comm), "proc%u", pid);
	return r;
}

static void test_fd_budget_and_call_failures(void)
{
	struct host h = { 0 };
	struct pl_fail_row fails[3];
	struct pl_dest_fail_row dest = { .key = { .peer = tuple4(0, 0x0500000a, 8080),
						  .err = ECONNREFUSED }, .count = 5 };
	const struct pl_proc *p;
	struct pl_report r;
	int i;

	add_sock(&h, 700, PL_TCP_LISTEN, tuple4(7000, 0, 0), 100);
	for (i = 0; i < 50; i++)
		add_sock(&h, 700, PL_TCP_CLOSE_WAIT, tuple4(7000, 0x0500000a, (__u16)(40000 + i)), 5);
	struct pl_model_input in = input(&h);

	in.fd_budget = fds_of_700;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 700);
	CHECK(p && p->fd_in_use == 58 && p->fd_limit == 64 && p->verdict == PL_VERDICT_LEAK);
	CHECK(p && strstr(p->reasons[0], "58 of 64 fds in use, 50 of them CLOSE_WAIT sockets: accept() fails with EMFILE at 64"));
	model__free(&r);

	fails[0] = fail_row(700, PL_CALL_ACCEPT, EMFILE, 0, 7);
	fails[1] = fail_row(800, PL_CALL_CONNECT, ECONNREFUSED, 8080, 5);
	fails[2] = fail_row(800, PL_CALL_CONNECT, ETIMEDOUT, 8081, 2);
	in.fails = fails;
	in.n_fails = 3;
	in.dest_fails = &dest;
	in.n_dest_fails = 1;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 700);
	CHECK(p && p->accept_fd_failures == 7 && p->call_failures_total == 7);
	CHECK(p && strstr(p->reasons[0], "accept() failed 7 times with EMFILE"));
	p = find(&r, 800); /* no socket, but failed calls: listed */
	CHECK(p && p->total == 0 && p->call_failures_total == 7 && p->n_call_failures == 2);
	CHECK(p && p->call_failures[0].err == ECONNREFUSED && p->call_failures[0].peer.port == 8080);
	CHECK(p && p->n_call_errnos == 2 && p->fd_in_use == -1);
	CHECK(p && p->n_reasons && strstr(p->reasons[0], "ECONNREFUSED: nothing listens there"));
	CHECK(r.n_dest_failures == 1 && r.dest_failures[0].count == 5);
	model__free(&r);
	in.filter.pid = 700; /* filters apply to the failing processes too */
	CHECK(model__build(&in, &r) == 0 && !find(&r, 800) && find(&r, 700));
	model__free(&r);
}

/* Does one of @p's reasons say @text? */
static bool said(const struct pl_proc *p, const char *text)
{
	size_t i;

	for (i = 0; i < p->n_reasons; i++)
		if (strstr(p->reasons[i], text))
			return true;
	return false;
}

/* Connects that time out while their namespace's conntrack table is full:
 * the reason names the table, not the peer; with room in it and nothing
 * dropped, the peer's story again. The table is in the report too. */
static void test_timeouts_with_a_full_conntrack_table(void)
{
	struct host h = { 0 };
	struct pl_fail_row fail = fail_row(803, PL_CALL_CONNECT, ETIMEDOUT, 80, 6);
	struct pl_netns ns = { .inum = NS, .port_low = 40000, .port_high = 40099,
			       .conntrack = { .present = true, .count = 150, .max = 150, .drop = 12 } };
	const struct pl_proc *p;
	struct pl_report r;

	add_sock(&h, 803, PL_TCP_ESTABLISHED, tuple4(40001, 0x0500000a, 80), 5);
	fail.v.last_ns = NOW - SEC;
	struct pl_model_input in = input(&h);

	in.fails = &fail;
	in.n_fails = 1;
	in.netns = &ns;
	in.n_netns = 1;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 803);
	CHECK(p && p->verdict == PL_VERDICT_TIMEOUT);
	CHECK(p && said(p, "6 connect() to 10.0.0.5:80 timed out: the kernel gave up: the conntrack table of namespace"));
	CHECK(p && said(p, "holds 150 of 150 entries and dropped 12 new connections for want of room"));
	CHECK(r.n_budgets == 1 && r.budgets[0].conntrack.present && r.budgets[0].conntrack.drop == 12);
	model__free(&r);
	ns.conntrack = (struct pl_conntrack){ .present = true, .count = 10, .max = 150 };
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 803);
	CHECK(p && !said(p, "conntrack") && said(p, "the peer does not answer"));
	model__free(&r);
}

/* Drops a conntrack table counted long ago do not explain today's
 * timeouts: at first sight only the total since the namespace began is
 * known, and it is said so; from the second report on, only the drops
 * since the earlier one (up to 5 min back) count. */
static void test_conntrack_drops_count_while_recent(void)
{
	struct host h = { 0 };
	struct pl_fail_row fail = fail_row(804, PL_CALL_CONNECT, ETIMEDOUT, 80, 2);
	struct pl_netns ns = { .inum = NS, .port_low = 40000, .port_high = 40099,
			       .conntrack = { .present = true, .count = 10, .max = 150, .drop = 12 } };
	struct pl_history hist = { 0 };
	char head[3][PL_LINE_LEN];
	const struct pl_proc *p;
	struct pl_report r;

	add_sock(&h, 804, PL_TCP_ESTABLISHED, tuple4(40001, 0x0500000a, 80), 5);
	struct pl_model_input in = input(&h);

	in.fails = &fail;
	in.n_fails = 1;
	in.netns = &ns;
	in.n_netns = 1;
	in.history = &hist;
	/* First sight, a minute ago: 12 drops, when is not known. */
	in.now_ns = NOW - 60 * SEC;
	fail.v.last_ns = in.now_ns - SEC;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 804);
	CHECK(p && said(p, "dropped 12 new connections for want of room since the namespace began"));
	CHECK(r.n_budgets == 1 && r.budgets[0].conntrack.drop_recent == -1);
	CHECK(model__remember(&r, &hist, in.now_ns) == 0);
	model__free(&r);
	/* Now: none since; the timeouts are the peer's. */
	in.now_ns = NOW;
	fail.v.last_ns = NOW - SEC;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 804);
	CHECK(p && !said(p, "conntrack") && said(p, "the peer does not answer"));
	CHECK(r.n_budgets == 1 && r.budgets[0].conntrack.drop_recent == 0);
	top__header(&r, head);
	CHECK(strstr(head[2], "conntrack") == NULL);
	model__free(&r);
	/* Or 3 since: those explain them. */
	ns.conntrack.drop = 15;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 804);
	CHECK(p && said(p, "holds 10 of 150 entries and dropped 3 new connections for want of room in the last"));
	CHECK(r.n_budgets == 1 && r.budgets[0].conntrack.drop_recent == 3);
	top__header(&r, head);
	CHECK(strstr(head[2], "   conntrack 10 of 150 (netns 4026531840), 3 dropped lately") != NULL);
	model__free(&r);
	history__free(&hist);
}

/* A NAT entry of namespace @netns for the sender's tuple @orig, given
 * source address 10.0.0.1 and port @port. */
static struct pl_nat_entry nat_entry(__u32 netns, struct pl_tuple orig, __u16 port)
{
	struct pl_nat_entry e = { .orig = orig, .nat_port = port, .proto = 6, .tcp_state = 3 };
	__u32 source = 0x0100000a;

	e.orig.netns = netns;
	memcpy(e.nat_addr, &source, 4);
	return e;
}

/* A node namespace masquerades a pod's connects toward 10.0.0.5:80 with
 * 3 ports: they are charged to the pod's process, one entry to no socket
 * (a connection that closed, still tracked); when the node's table drops
 * new connections while it has room, NAT is out of ports, and the
 * process's timeouts toward that destination say so. */
static void test_nat_ports_charged_and_exhausted(void)
{
	const __u32 node = NS + 1;
	struct host h = { 0 };
	struct pl_fail_row fail = fail_row(805, PL_CALL_CONNECT, ETIMEDOUT, 80, 6);
	struct pl_netns ns[2] = {
		{ .inum = NS, .port_low = 40000, .port_high = 40099 },
		{ .inum = node, .port_low = 40000, .port_high = 40099,
		  .conntrack = { .present = true, .count = 4, .max = 150, .drop = 12 } },
	};
	struct pl_nat_entry nat[4];
	const struct pl_nat_use *u;
	const struct pl_proc *p;
	struct pl_report r;
	int i;

	for (i = 0; i < 3; i++) {
		add_sock(&h, 805, PL_TCP_ESTABLISHED, tuple4(50001 + i, 0x0500000a, 80), 5);
		nat[i] = nat_entry(node, tuple4(50001 + i, 0x0500000a, 80), 60000 + i);
	}
	nat[3] = nat_entry(node, tuple4(50009, 0x0500000a, 80), 60009);
	nat[3].tcp_state = 7; /* TIME_WAIT: its socket is gone */
	fail.v.last_ns = NOW - SEC;
	struct pl_model_input in = input(&h);

	in.fails = &fail;
	in.n_fails = 1;
	in.netns = ns;
	in.n_netns = 2;
	in.nat = nat;
	in.n_nat = 4;
	CHECK(model__build(&in, &r) == 0);
	CHECK(r.n_nat == 1);
	u = r.n_nat ? &r.nat[0] : NULL;
	CHECK(u && u->netns == node && u->ports_used == 4 && u->dport == 80 && u->closed == 1);
	CHECK(u && u->n_holders == 1 && u->holders[0].pid == 805 && u->holders[0].entries == 3);
	CHECK(u && u->unexplained == 1 && u->exhausted && u->drops_recent == -1);
	p = find(&r, 805);
	CHECK(p && p->verdict == PL_VERDICT_TIMEOUT);
	CHECK(p && said(p, "6 connect() to 10.0.0.5:80 timed out: NAT (netns 4026531841, from 10.0.0.1) holds 4 ports toward it and dropped 12 new connections since the namespace began: no port left (widen its --to-ports)"));
	if (u) { /* top's n view */
		char line[PL_LINE_LEN];

		top__nat_line(u, line, sizeof(line));
		CHECK(strstr(line, "4026531841   10.0.0.1         10.0.0.5:80 ") == line);
		CHECK(strstr(line, "      4      1      1      -  ") && strstr(line, "[805] 3  EXHAUSTED"));
	}
	{
		char *doc = NULL;

		render_all(&r, &doc);
		CHECK(doc && strstr(doc, "  netns 4026531841: NAT 10.0.0.1 -> 10.0.0.5:80: 4 ports in use, none left (new connections dropped); held by "));
		CHECK(doc && strstr(doc, "[805] 3, 1 by no socket\n"));
		free(doc);
	}
	{
		char line[PL_LINE_LEN];
		struct pl_port_budget b = { .netns = node, .conntrack = ns[1].conntrack };

		b.conntrack.drop_recent = -1;
		top__conntrack_line(&b, line, sizeof(line));
		CHECK(!strcmp(line, "4026531841   4/150                  2.7      12       -        0              0"));
	}
	model__free(&r);
	/* Its table full: the table's story, not NAT's. */
	ns[1].conntrack.count = 150;
	fail.key.peer.netns = node;
	CHECK(model__build(&in, &r) == 0);
	CHECK(r.n_nat == 1 && !r.nat[0].exhausted);
	p = find(&r, 805);
	CHECK(p && !said(p, "NAT"));
	model__free(&r);
}

/* A full accept queue, the clients that time out on it (by the
 * application) or wait unanswered, the floor of a walked connect's age,
 * and both sides named to each other. */
static void test_handshakes_full_queue_and_timeouts(void)
{
	struct host h = { 0 };
	struct pl_fail_row fail = fail_row(801, PL_CALL_CONNECT, ETIMEDOUT, 7100, 7);
	const struct pl_proc *srv, *cli, *wait;
	struct pl_report r;

	add_sock(&h, 800, PL_TCP_LISTEN, tuple4(7100, 0, 0), 100);
	h.tcp[h.n_tcp - 1].queued = 3;
	h.tcp[h.n_tcp - 1].backlog = 2;
	h.tcp[h.n_tcp - 1].drops = 14;
	add_sock(&h, 800, PL_TCP_LISTEN, tuple4(7101, 0, 0), 100); /* an idle one */
	/* a walked connect (age unknown) that sent its SYN 3 more times */
	add_sock(&h, 802, PL_TCP_SYN_SENT, tuple4(40001, 0x0100007f, 7100), 0);
	h.ledger[h.n_ledger - 1].s.origin = PL_ORIGIN_WALK;
	h.tcp[h.n_tcp - 1].syn_retransmits = 3;
	add_sock(&h, 802, PL_TCP_SYN_SENT, tuple4(40002, 0x0100007f, 7100), 0.5);
	fail.key.peer = tuple4(0, 0x0100007f, 7100);
	fail.key.by = PL_BY_APPLICATION;
	fail.v.attempts = 7;
	fail.v.sum.syns = 14;
	fail.v.sum.waited_ns = 7 * SEC;
	fail.v.last_ns = NOW - SEC;
	struct pl_model_input in = input(&h);

	in.fails = &fail;
	in.n_fails = 1;
	CHECK(model__build(&in, &r) == 0);
	srv = find(&r, 800);
	cli = find(&r, 801);
	wait = find(&r, 802);
	CHECK(srv && srv->n_listeners == 2 && srv->listen_drops == 14);
	CHECK(srv && handshake__full(&srv->listeners[0]) && !handshake__full(&srv->listeners[1]));
	CHECK(srv && srv->listeners[0].addr.port == 7100 && srv->listeners[0].queued == 3);
	CHECK(srv && srv->verdict == PL_VERDICT_BACKLOG && srv->n_reasons >= 3);
	CHECK(srv && strstr(srv->reasons[0], "accept queue of 127.0.0.1:7100 is full (3 waiting, backlog 2), 14 SYNs dropped"));
	CHECK(srv && said(srv, "pid 801 (proc801) waits on 127.0.0.1:7100: 7 connect() timed out"));
	CHECK(srv && said(srv, "pid 802 (proc802) waits on 127.0.0.1:7100: 0 connect() timed out, 1 unanswered now"));
	CHECK(cli && cli->verdict == PL_VERDICT_TIMEOUT);
	CHECK(cli && strstr(cli->reasons[0], "7 connect() to 127.0.0.1:7100 timed out: the application gave up after 1.0s, 2.0 SYNs each"));
	CHECK(cli && cli->n_reasons == 2 && strstr(cli->reasons[1], "pid 800 (proc800) does not accept()"));
	CHECK(wait && wait->n_connecting == 1 && wait->connecting[0].count == 2);
	CHECK(wait && wait->connecting[0].unanswered == 1 && wait->connecting[0].syn_retransmits == 3);
	CHECK(wait && wait->connecting[0].oldest_s >= 3); /* 3 SYNs sent again: 3 s at least */
	CHECK(wait && wait->verdict == PL_VERDICT_TIMEOUT);
	if (srv) {
		struct pl_host_facts facts = { .somaxconn = 4096 };
		char lines[8][PL_ADVICE_LEN];
		size_t i, n = advice__lines(srv, &facts, lines, 8);

		for (i = 0; i < n && !strstr(lines[i], "capped by net.core.somaxconn = 4096"); i++)
			;
		CHECK(i < n);
	}
	model__free(&r);

	/* Long ago: the failures are told, the verdict no longer says so; a
	 * queue with room is no BACKLOG, whatever it dropped before. */
	fail.v.last_ns = NOW - 400 * SEC;
	h.tcp[0].queued = 1;
	h.n_tcp -= 2;
	h.n_ledger -= 2;
	in = input(&h);
	in.fails = &fail;
	in.n_fails = 1;
	CHECK(model__build(&in, &r) == 0);
	srv = find(&r, 800);
	cli = find(&r, 801);
	CHECK(srv && srv->verdict == PL_VERDICT_OK && srv->listeners[0].drops == 14);
	CHECK(cli && cli->verdict == PL_VERDICT_OK && cli->n_reasons == 1);
	model__free(&r);
}

/* portleak close chooses among what model__held returns. */
static void test_held_sockets_of_one_process(void)
{
	struct host h = { 0 };
	struct pl_owner o, old = { .tgid = 500, .start_ns = 1 * SEC };
	struct pl_held *held;
	size_t n, i, close_wait = 0;

	add_sock(&h, 500, PL_TCP_LISTEN, tuple4(7000, 0, 0), 100);
	add_sock(&h, 500, PL_TCP_CLOSE_WAIT, tuple4(7000, 0x0500000a, 40001), 90);
	add_sock(&h, 500, PL_TCP_CLOSE_WAIT, tuple4(41000, 0x0600000a, 8080), 30);
	add_sock(&h, 0, PL_TCP_ESTABLISHED, tuple4(7000, 0x0500000a, 40002), 0); /* accept queue */
	add_sock(&h, 600, PL_TCP_CLOSE_WAIT, tuple4(41001, 0x0600000a, 8080), 30);
	add_timewait(&h, 500, tuple4(41002, 0x0600000a, 8080));
	/* An earlier process with the same pid, long gone but for one socket. */
	add_sock(&h, 500, PL_TCP_FIN_WAIT2, tuple4(41003, 0x0600000a, 8080), 2000);
	h.ledger[h.n_ledger - 1].s.owner = old;
	struct pl_model_input in = input(&h);

	CHECK(model__owner_near(&in, 500, owner(500).start_ns + 5000, 10000, &o) == 0);
	CHECK(o.start_ns == owner(500).start_ns);
	CHECK(model__owner_near(&in, 500, 2 * SEC, 1000, &o) == -ENOENT);
	CHECK(model__owner_near(&in, 501, owner(500).start_ns, 10000, &o) == -ENOENT);
	o = owner(500);
	CHECK(model__held(&in, &o, &held, &n) == 0);
	CHECK(n == 3); /* the listener and two CLOSE_WAIT: not the queued, the other's, the TIME_WAIT */
	for (i = 0; i < n; i++) {
		CHECK(held[i].rec.kind == PL_REC_FULL);
		if (held[i].rec.state != PL_TCP_CLOSE_WAIT)
			continue;
		close_wait++;
		CHECK(held[i].age_exact && (held[i].age_s > 29 && held[i].age_s < 91));
		CHECK(held[i].idle_s == -1);
	}
	CHECK(close_wait == 2);
	free(held);
}

/* Frames of the test's stacks: stack S has S frames, "f<S>_<i>". */
static int fake_frames(const struct pl_owner *o, __u64 stack, struct pl_frames *out, void *ctx)
{
	size_t i;

	(*(int *)ctx)++;
	memset(out, 0, sizeof(*out));
	if (o->tgid != 700 || stack > PL_MAX_FRAMES)
		return -ENOENT;
	for (i = 0; i < stack; i++)
		snprintf(out->names[out->n++], PL_FRAME_LEN, "f%llu_%zu", (unsigned long long)stack, i);
	out->depth = stack;
	return 0;
}

static void test_origins_group_held_sockets_by_stack(void)
{
	struct host h = { 0 };
	struct pl_origin_row rows[2] = {
		{ { owner(700), 5 }, 40 }, /* opened since capture */
		{ { owner(700), 3 }, 2 },
	};
	const struct pl_proc *p;
	struct pl_report r;
	int calls = 0, i;

	for (i = 0; i < 4; i++) { /* stack 5: CLOSE_WAIT 3, ESTABLISHED 1 */
		add_sock(&h, 700, i ? PL_TCP_CLOSE_WAIT : PL_TCP_ESTABLISHED,
			 tuple4((__u16)(41000 + i), 0x0600000a, 8080), 90);
		h.ledger[h.n_ledger - 1].s.stack = 5;
	}
	add_sock(&h, 700, PL_TCP_CLOSE_WAIT, tuple4(41010, 0x0600000a, 8080), 90);
	h.ledger[h.n_ledger - 1].s.stack = 3;
	add_sock(&h, 700, PL_TCP_LISTEN, tuple4(7000, 0, 0), 100); /* opened before capture */
	add_sock(&h, 701, PL_TCP_CLOSE_WAIT, tuple4(41020, 0x0600000a, 8080), 90);
	struct pl_model_input in = input(&h);

	in.origins = rows;
	in.n_origins = 2;
	in.frames = fake_frames;
	in.frames_ctx = &calls;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 700);
	CHECK(p && p->n_origins == 2);
	if (p && p->n_origins == 2) {
		CHECK(p->origins[0].stack == 5 && p->origins[0].held.sockets == 4);
		CHECK(p->origins[0].held.states[PL_TCP_CLOSE_WAIT] == 3);
		CHECK(p->origins[0].held.states[PL_TCP_ESTABLISHED] == 1);
		CHECK(p->origins[0].opened == 40);
		CHECK(p->origins[0].frames.n == 5 && !strcmp(p->origins[0].frames.names[4], "f5_4"));
		CHECK(p->origins[1].stack == 3 && p->origins[1].held.sockets == 1);
		CHECK(p->origins[1].opened == 2);
		CHECK(p->uncaptured.sockets == 1 && p->uncaptured.states[PL_TCP_LISTEN] == 1);
		CHECK(!p->origins_shallow && !origins__hint(p));
	}
	CHECK(calls == 2); /* frames only for the paths kept */
	p = find(&r, 701);
	CHECK(p && !p->origins && p->uncaptured.sockets == 1);
	model__free(&r);

	/* Only short stacks: the hint about frame pointers. */
	for (i = 0; i < (int)h.n_ledger; i++)
		if (h.ledger[i].s.stack)
			h.ledger[i].s.stack = 2;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 700);
	CHECK(p && p->n_origins == 1 && p->origins_shallow && origins__hint(p));
	model__free(&r);
}

/* Stacks of process 710: the tiers of one JIT method (C1, C2: other
 * offsets), and the interpreter calling itself two or three times. */
static int jit_frames(const struct pl_owner *o, __u64 stack, struct pl_frames *out, void *ctx)
{
	static const char *const paths[5][5] = {
		{ "connect+0x4b (libc.so.6)", "void A.call()+0x54 ([jit])", "main+0x1 (java)" },
		{ "connect+0x4b (libc.so.6)", "void A.call()+0x3f0 ([jit])", "main+0x1 (java)" },
		{ "connect+0x4b (libc.so.6)", "Interpreter+0x7f4 ([jit])", "Interpreter+0x7f4 ([jit])",
		  "main+0x1 (java)" },
		{ "connect+0x4b (libc.so.6)", "Interpreter+0x7f4 ([jit])", "Interpreter+0x100 ([jit])",
		  "Interpreter+0x7f4 ([jit])", "main+0x1 (java)" },
		{ "syscall.connect+0x8e (client)", "net.(*netFD).connect+0x51 (client)",
		  "net.(*Dialer).DialContext-fm+0x6a (client)" },
	};
	size_t i;

	(void)ctx;
	memset(out, 0, sizeof(*out));
	if ((o->tgid != 710 || stack < 1 || stack > 4) && (o->tgid != 711 || stack != 5))
		return -ENOENT;
	for (i = 0; i < 5 && paths[stack - 1][i]; i++)
		snprintf(out->names[out->n++], PL_FRAME_LEN, "%s", paths[stack - 1][i]);
	out->depth = out->n;
	return 0;
}

static void test_origins_merge_tiers_of_one_call_site(void)
{
	static struct host h;
	const struct pl_proc *p;
	struct pl_report r;
	int i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 10; i++) { /* stacks 1 2 3 4 1 2 3 4 1 2 */
		add_sock(&h, 710, PL_TCP_CLOSE_WAIT, tuple4((__u16)(42000 + i), 0x0600000a, 8080), 90);
		h.ledger[h.n_ledger - 1].s.stack = 1 + (__u64)i % 4;
	}
	add_sock(&h, 711, PL_TCP_CLOSE_WAIT, tuple4(42100, 0x0600000a, 8080), 90);
	h.ledger[h.n_ledger - 1].s.stack = 5;
	struct pl_model_input in = input(&h);

	in.frames = jit_frames;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 710);
	CHECK(p && p->n_origins == 2);
	if (p && p->n_origins == 2) {
		CHECK(p->origins[0].held.sockets == 6 && p->origins[0].frames.n == 3 &&
		      !strcmp(p->origins[0].frames.names[1], "void A.call() ([jit])"));
		CHECK(p->origins[1].held.sockets == 4 && p->origins[1].frames.n == 3 &&
		      !strcmp(p->origins[1].frames.names[1], "Interpreter ([jit])"));
		CHECK(!strcmp(p->origins[1].frames.names[0], "connect+0x4b (libc.so.6)"));
	}
	CHECK(p && !origins__hint(p));
	p = find(&r, 711); /* Go: the stack ends in the dialer's goroutine */
	CHECK(p && p->n_origins == 1 && origins__hint(p) && strstr(origins__hint(p), "net/http dials"));
	model__free(&r);
}

/* The socket index: every key found, the first row of a duplicate kept,
 * misses and 0 not found, a table filled past what it was sized for
 * refuses more rather than looping. */
static void test_socket_index(void)
{
	enum { N = 100000 };
	static int rows[N];
	struct pl_skindex ix;
	bool all_added = true, all_found = true;
	size_t i, refused = 0;

	CHECK(skindex__init(&ix, N) == 0);
	for (i = 0; i < N; i++) /* kernel objects: 2 KiB apart, as tcp_sock slabs */
		all_added &= skindex__add(&ix, 0xffff888000000000ull + i * 2048, &rows[i]);
	CHECK(all_added);
	CHECK(!skindex__add(&ix, 0xffff888000000000ull, &rows[1]));
	for (i = 0; i < N; i++)
		all_found &= skindex__find(&ix, 0xffff888000000000ull + i * 2048) == &rows[i];
	CHECK(all_found);
	CHECK(skindex__find(&ix, 0xffff888000000000ull + 1024) == NULL);
	CHECK(skindex__find(&ix, 0) == NULL);
	skindex__free(&ix);
	CHECK(skindex__init(&ix, 2) == 0);
	for (i = 1; i <= 64; i++)
		refused += !skindex__add(&ix, i * 64, &rows[0]);
	CHECK(refused == 64 - ix.mask && skindex__find(&ix, 64) == &rows[0]);
	skindex__free(&ix);
}

/* An index of ledger rows by their socket address: the first of two rows
 * of one socket stays (as the walk's first holder does). */
static void test_socket_index_of_rows(void)
{
	struct pl_ledger_row rows[3] = { { .sk = 0x1000 }, { .sk = 0x2000 }, { .sk = 0x1000 } };
	struct pl_skindex ix;

	CHECK(skindex__of_rows(&ix, rows, 3, sizeof(rows[0]), offsetof(struct pl_ledger_row, sk)) == 0);
	CHECK(skindex__find(&ix, 0x1000) == &rows[0]);
	CHECK(skindex__find(&ix, 0x2000) == &rows[1]);
	CHECK(ix.used == 2 && skindex__find(&ix, 0x3000) == NULL);
	skindex__free(&ix);
}

/* Losses make OK INCOMPLETE only while they are recent: 7 events lost at
 * start, then reports over 6 minutes with nothing more lost. The count
 * stays cumulative. */
static void test_losses_age_out(void)
{
	struct pl_history hist = { 0 };
	struct pl_report r;
	enum pl_verdict first = PL_VERDICT_OK, last = PL_VERDICT_OK;
	__u64 total = 0;
	int minute;

	for (minute = 0; minute <= 6; minute++) {
		struct host h = { 0 };

		add_sock(&h, 40, PL_TCP_ESTABLISHED, tuple4(40001, 0x0100007f, 80), 1);
		struct pl_model_input in = input(&h);

		in.lost[PL_CNT_LEDGER_FULL] = 7;
		in.history = &hist;
		in.now_ns = NOW + (__u64)minute * 60 * SEC;
		in.trace_s = 1 + minute * 60;
		CHECK(model__build(&in, &r) == 0 && r.n_procs == 1);
		if (minute == 0)
			first = r.procs[0].verdict;
		last = r.procs[0].verdict;
		total = r.losses.total;
		CHECK(model__remember(&r, &hist, in.now_ns) == 0);
		model__free(&r);
	}
	CHECK(first == PL_VERDICT_INCOMPLETE);
	CHECK(last == PL_VERDICT_OK);
	CHECK(total == 7);
	history__free(&hist);
}

/* Keepalive: the peer closed 78 s ago, its ACKs to keepalive probes came
 * until 14 s ago. The age is shown as the range it is, and judged on the
 * sure end; a traced socket's age is exact at both ends. */
static void test_close_wait_age_under_keepalive_is_a_range(void)
{
	static struct host h;
	const struct pl_proc *p;
	struct pl_report r;

	memset(&h, 0, sizeof(h));
	add_sock(&h, 70, PL_TCP_CLOSE_WAIT, tuple4(41000, 0x0500000a, 80), 0.5);
	set_origin(&h, PL_ORIGIN_WALK);
	set_clocks(&h, 78, 14);
	add_sock(&h, 71, PL_TCP_CLOSE_WAIT, tuple4(41001, 0x0500000a, 80), 5);
	set_origin(&h, PL_ORIGIN_CONNECT);
	set_clocks(&h, 78, 14);
	struct pl_model_input in = input(&h);

	in.hz = HZ_TEST;
	in.leak_age_s = 60;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 70);
	CHECK(p && p->close_wait_oldest_s > 13.9 && p->close_wait_oldest_s < 14.1);
	CHECK(p && p->close_wait_oldest_max_s > 77.9 && p->close_wait_oldest_max_s < 78.1);
	CHECK(p && p->verdict == PL_VERDICT_OK && p->n_reasons &&
	      strstr(p->reasons[0], "oldest 14s-1m18s: the peer may have closed 1m18s ago") != NULL);
	p = find(&r, 71);
	CHECK(p && p->close_wait_age_exact && p->close_wait_oldest_max_s == p->close_wait_oldest_s);
	model__free(&r);

	in.leak_age_s = 10; /* what is sure is enough */
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 70);
	CHECK(p && p->verdict == PL_VERDICT_LEAK && strstr(p->reasons[0], "oldest 14s-1m18s") != NULL);
	model__free(&r);
}

/* Pools told apart: idle connections toward a peer that another of the
 * process's connections still carries data to are a pool in use, not
 * STALE; CLOSE_WAIT toward a peer the process still talks to is an idle
 * pool the peer closed, else sockets held and never closed. */
static void test_pools_told_apart(void)
{
	static struct host h;
	const struct pl_proc *p;
	struct pl_report r;
	unsigned int i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 26; i++) { /* 25 idle for 700 s, one used 2 s ago */
		add_sock(&h, 90, PL_TCP_ESTABLISHED, tuple4((__u16)(40100 + i), 0x0500000a, 8080), 1);
		set_origin(&h, PL_ORIGIN_WALK);
		set_clocks(&h, i ? 700 : 2, i ? 700 : 2);
	}
	for (i = 0; i < 25; i++) { /* the same, and no connection in use */
		add_sock(&h, 91, PL_TCP_ESTABLISHED, tuple4((__u16)(40200 + i), 0x0500000a, 8080), 1);
		set_origin(&h, PL_ORIGIN_WALK);
		set_clocks(&h, 700, 700);
	}
	for (i = 0; i < 3; i++) { /* pool A: closed by the server, still used */
		add_sock(&h, 92, PL_TCP_CLOSE_WAIT, tuple4((__u16)(40300 + i), 0x0700000a, 80), 100);
		add_sock(&h, 92, PL_TCP_ESTABLISHED, tuple4((__u16)(40400 + i), 0x0700000a, 80), 1);
		set_clocks(&h, 1, 1);
	}
	for (i = 0; i < 3; i++) /* pool B: leased, never closed */
		add_sock(&h, 93, PL_TCP_CLOSE_WAIT, tuple4((__u16)(40500 + i), 0x0700000a, 80), 100);
	struct pl_model_input in = input(&h);

	in.hz = HZ_TEST;
	in.idle_age_s = 600;
	in.stale_min = 20;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 90);
	CHECK(p && p->verdict == PL_VERDICT_OK && p->established_idle == 25 && p->stale == 0);
	p = find(&r, 91);
	CHECK(p && p->verdict == PL_VERDICT_STALE && p->stale == 25);
	p = find(&r, 92);
	CHECK(p && p->verdict == PL_VERDICT_LEAK && p->close_wait_peer_active == 3 &&
	      strstr(p->reasons[0], "it still talks to that peer on 3 others: an idle pool the peer closed"));
	p = find(&r, 93);
	CHECK(p && p->verdict == PL_VERDICT_LEAK && p->close_wait_peer_active == 0 &&
	      strstr(p->reasons[0], "no connection to that peer moves data"));
	model__free(&r);
}

/* Dead sockets still held: counted per holder, listed when the process
 * holds nothing else, a leak from --stale-min of them on; never matched
 * by a port filter (they have no tuple). */
static void test_dead_sockets_held_are_an_fd_leak(void)
{
	static struct host h;
	struct pl_ledger_row dead[28];
	const struct pl_proc *p;
	struct pl_report r;
	int i;

	memset(&h, 0, sizeof(h));
	memset(dead, 0, sizeof(dead));
	for (i = 0; i < 28; i++) {
		dead[i].sk = 0x1000 + (__u64)i;
		dead[i].s.owner = owner(i % 2 && i < 6 ? 81 : 80); /* 81: 3, 80: 25 */
		snprintf(dead[i].s.comm, sizeof(dead[i].s.comm), "proc%d", i % 2 && i < 6 ? 81 : 80);
	}
	add_sock(&h, 81, PL_TCP_ESTABLISHED, tuple4(41000, 0x0500000a, 80), 5);
	struct pl_model_input in = input(&h);

	in.dead = dead;
	in.n_dead = 28;
	in.stale_min = 20;
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 80);
	CHECK(p && p->dead_held == 25 && p->total == 0 && p->verdict == PL_VERDICT_LEAK);
	CHECK(p && p->n_reasons && strstr(p->reasons[0], "holds 25 sockets whose connections are gone") &&
	      strstr(p->reasons[0], "the fds leak"));
	p = find(&r, 81);
	CHECK(p && p->dead_held == 3 && p->total == 1 && p->verdict == PL_VERDICT_OK);
	model__free(&r);

	in.filter.port = 80;
	CHECK(model__build(&in, &r) == 0);
	CHECK(find(&r, 80) == NULL);
	p = find(&r, 81);
	CHECK(p && p->dead_held == 0);
	model__free(&r);
}

/* Sockets nobody can be named for are still judged: an old CLOSE_WAIT
 * under (unknown) is a leak, never OK. */
static void test_unknown_old_close_wait_is_a_leak(void)
{
	struct host h = { 0 };
	struct pl_report r;
	const struct pl_proc *p;

	add_sock(&h, 0, PL_TCP_CLOSE_WAIT, tuple4(8080, 0x0500000a, 40001), 900);
	/* The kernel's clock of its last ACK: 900 s ago, at HZ 1000. */
	h.tcp[0].clocks = (struct pl_sock_clocks){ .jiffies = 1000000, .now_ns = NOW,
						   .rcv_tstamp = 1000000 - 900000 };
	struct pl_model_input in = input(&h);
	in.hz = 1000;
	CHECK(model__build(&in, &r) == 0);
	p = find_unknown(&r);
	CHECK(p && p->verdict == PL_VERDICT_LEAK);
	model__free(&r);
}

/* A socket its owner and a forked child hold: charged once, to the owner,
 * with the child listed as another holder (each of its fds counted once). */
static void test_shared_socket_lists_its_other_holders(void)
{
	struct host h = { 0 };
	struct pl_ledger_row holders[4];
	struct pl_report r;
	const struct pl_proc *p;
	__u64 sk = add_sock(&h, 100, PL_TCP_CLOSE_WAIT, tuple4(40001, 0x0500000a, 80), 5);

	add_sock(&h, 100, PL_TCP_CLOSE_WAIT, tuple4(40002, 0x0500000a, 80), 5);
	memset(holders, 0, sizeof(holders));
	for (int i = 0; i < 4; i++) {
		holders[i].sk = sk;
		holders[i].s.owner = owner(i == 0 ? 100 : 200);
		snprintf(holders[i].s.comm, sizeof(holders[i].s.comm), "proc%u", i == 0 ? 100 : 200);
	}
	struct pl_model_input in = input(&h);
	in.holders = holders;
	in.n_holders = 3; /* the owner, then the child twice (two fds) */
	CHECK(model__build(&in, &r) == 0);
	p = find(&r, 100);
	CHECK(p && p->states[PL_TCP_CLOSE_WAIT] == 2);
	CHECK(p && p->n_holders == 1 && p->holders[0].owner.tgid == 200 && p->holders[0].sockets == 1);
	CHECK(find(&r, 200) == NULL);
	model__free(&r);
}

int main(void)
{
	test_shared_socket_lists_its_other_holders();
	test_handshakes_full_queue_and_timeouts();
	test_timeouts_with_a_full_conntrack_table();
	test_conntrack_drops_count_while_recent();
	test_nat_ports_charged_and_exhausted();
	test_failures_count_on_the_first_refresh();
	test_losses_age_out();
	test_unknown_old_close_wait_is_a_leak();
	test_close_wait_age_under_keepalive_is_a_range();
	test_dead_sockets_held_are_an_fd_leak();
	test_pools_told_apart();
	test_attribution_and_aggregation();
	test_accept_queue_and_request_sockets_go_to_listener();
	test_children_charged_in_the_kernel_are_queued_until_accepted();
	test_sort_order();
	test_leak_verdict_needs_age();
	test_busy_healthy_process_is_ok();
	test_filters();
	test_destinations_and_exhaustion();
	test_port_budget_counts_bind_reserved_and_mapped();
	test_time_wait_reuse_frees_ports();
	test_interleaved_destinations_are_counted_apart();
	test_growing_verdict_over_time();
	test_advice();
	test_server_time_wait_is_not_a_destination();
	test_failing_process_without_sockets_is_listed();
	test_json_escaping();
	test_text_names();
	test_json_report_is_complete();
	test_metrics_escaping_and_top_k();
	test_every_loss_shows_everywhere();
	test_clocks_arithmetic();
	test_jiffies_clock();
	test_first_sight();
	test_identity_from_cgroup_paths();
	test_held_sockets_of_one_process();
	test_fd_budget_and_call_failures();
	test_origins_group_held_sockets_by_stack();
	test_origins_merge_tiers_of_one_call_site();
	test_socket_index();
	test_socket_index_of_rows();
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
