// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stddef.h>
#include <string.h>

#include "failures.h"
#include "model/calls.h"
#include "views/metrics.h"
#include "model/names.h"

void metrics__escape(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;

	while (i < len && s[i]) {
		if (s[i] == '\\' || s[i] == '"') {
			fprintf(out, "\\%c", s[i]);
		} else if (s[i] == '\n') {
			fputs("\\n", out);
		} else if ((n = names__utf8_len(s + i, len - i)) > 0) {
			fwrite(s + i, 1, n, out);
			i += n;
			continue;
		} else {
			fputs("\xef\xbf\xbd", out); /* U+FFFD */
		}
		i++;
	}
}

static void help(FILE *out, const char *name, const char *type, const char *text)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* The labels of one process series. */
struct who {
	const char *pid;
	const char *comm;
	size_t comm_len;
	const char *cgroup;
	const struct pl_identity *id; /* NULL: the "other" series */
};

static void label(FILE *out, const char *name, const char *value)
{
	fprintf(out, ",%s=\"", name);
	metrics__escape(out, value, strlen(value));
	fputc('"', out);
}

static void who_labels(FILE *out, const struct who *w)
{
	fprintf(out, "pid=\"%s\",comm=\"", w->pid);
	metrics__escape(out, w->comm, w->comm_len);
	fputc('"', out);
	label(out, "cgroup", w->cgroup);
	label(out, "namespace", w->id ? w->id->namespace : "");
	label(out, "pod", w->id ? w->id->pod : "");
	label(out, "container", w->id ? w->id->name : "");
}

/* How a plain family takes its value from struct pl_proc. */
enum proc_value {
	PROC_CUSTOM, /* its own emitter writes its series */
	PROC_COUNT,  /* a __u64; "other" is the sum */
	PROC_SECS,   /* a double, -1 when unknown (no series); "other" is the most */
};

struct proc_metric;
typedef void proc_metric_fn(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
			    const struct who *w);

/* A per-process metric family: one row. A plain one names a field of
 * struct pl_proc, its series has the process's labels alone, and the
 * "other" series follows from the field's kind; a family with labels of
 * its own has an emitter (its "other" values are summed in sum_rest). */
struct proc_metric {
	const char *name, *type, *text;
	enum proc_value value;
	size_t at;       /* PROC_COUNT, PROC_SECS: offsetof(struct pl_proc, field) */
	bool skip_zero;  /* PROC_COUNT: no series while 0 */
	proc_metric_fn *fn; /* PROC_CUSTOM */
};

static __u64 count_of(const struct proc_metric *m, const struct pl_proc *p)
{
	return *(const __u64 *)((const char *)p + m->at);
}

static double secs_of(const struct proc_metric *m, const struct pl_proc *p)
{
	return *(const double *)((const char *)p + m->at);
}

/* The start of one series: the family's name and the process's labels;
 * the caller adds its own labels, then "} VALUE\n". */
static void series(FILE *out, const struct proc_metric *m, const struct who *w)
{
	fprintf(out, "%s{", m->name);
	who_labels(out, w);
}

/* The one series of a plain row. */
static void proc_plain(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
		       const struct who *w)
{
	if (m->value == PROC_SECS && secs_of(m, p) >= 0) {
		series(out, m, w);
		fprintf(out, "} %.3f\n", secs_of(m, p));
	} else if (m->value == PROC_COUNT && (count_of(m, p) || !m->skip_zero)) {
		series(out, m, w);
		fprintf(out, "} %llu\n", (unsigned long long)count_of(m, p));
	}
}

/* One metric family over the top K processes and the "other" series. */
static void per_proc(FILE *out, const struct pl_report *r, size_t k,
		     const struct pl_proc *rest, const struct proc_metric *m)
{
	proc_metric_fn *fn = m->value == PROC_CUSTOM ? m->fn : proc_plain;
	char pid[16];
	size_t i;

	for (i = 0; i < r->n_procs && i < k; i++) {
		const struct pl_proc *p = &r->procs[i];
		struct who w = { pid, p->comm, sizeof(p->comm), p->cgroup, &p->who };

		snprintf(pid, sizeof(pid), "%u", p->pid);
		fn(out, m, p, &w);
	}
	if (r->n_procs > k) {
		struct who w = { "other", "other", 5, "", NULL };

		fn(out, m, rest, &w);
	}
}

static void proc_sockets(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
			 const struct who *w)
{
	unsigned int s;

	for (s = 0; s < PL_TCP_NR_STATES; s++) {
		if (!p->states[s])
			continue;
		series(out, m, w);
		fprintf(out, ",state=\"%s\"} %llu\n", names__tcp_state(s),
			(unsigned long long)p->states[s]);
	}
}

static void proc_idle(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
		      const struct who *w)
{
	series(out, m, w);
	fprintf(out, ",side=\"client\"} %llu\n", (unsigned long long)p->stale);
	series(out, m, w);
	fprintf(out, ",side=\"server\"} %llu\n",
		(unsigned long long)(p->established_idle - p->stale));
}

static void proc_failures(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
			  const struct who *w)
{
	if (p->connect_failures) {
		series(out, m, w);
		fprintf(out, ",kind=\"connect\",errno=\"EADDRNOTAVAIL\"} %llu\n",
			(unsigned long long)p->connect_failures);
	}
	if (p->bind_failures) {
		series(out, m, w);
		fprintf(out, ",kind=\"bind\",errno=\"%s\"} %llu\n",
			p->bind_err ? names__errno(p->bind_err) : "EADDRINUSE",
			(unsigned long long)p->bind_failures);
	}
}

static void proc_call_failures(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
			       const struct who *w)
{
	size_t i;

	for (i = 0; i < p->n_call_errnos; i++) {
		series(out, m, w);
		fprintf(out, ",call=\"%s\",errno=\"%s\",by=\"%s\"} %llu\n",
			calls__name(p->call_errnos[i].call), names__errno(p->call_errnos[i].err),
			calls__by(p->call_errnos[i].by), (unsigned long long)p->call_errnos[i].count);
	}
}

static void proc_fds(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
		     const struct who *w)
{
	if (p->fd_in_use < 0)
		return; /* unknown, or the "other" sum */
	series(out, m, w);
	fprintf(out, ",kind=\"in_use\"} %lld\n", (long long)p->fd_in_use);
	if (p->fd_limit < 0)
		return;
	series(out, m, w);
	fprintf(out, ",kind=\"limit\"} %lld\n", (long long)p->fd_limit);
}

/* Each listener kept for the process (at most PL_MAX_LISTENERS, fullest
 * first): the bound of these series. */
static void listener_series(FILE *out, const struct proc_metric *m, const struct who *w,
			    const struct pl_listen_queue *l)
{
	char addr[PL_ADDRSTR_LEN];

	names__addr(l->addr.family, l->addr.addr, addr, sizeof(addr));
	series(out, m, w);
	fprintf(out, ",addr=\"%s\",port=\"%u\"", addr, l->addr.port);
}

static void proc_listen_queue(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
			      const struct who *w)
{
	size_t i;

	for (i = 0; i < p->n_listeners; i++) {
		listener_series(out, m, w, &p->listeners[i]);
		fprintf(out, ",kind=\"queued\"} %u\n", p->listeners[i].queued);
		listener_series(out, m, w, &p->listeners[i]);
		fprintf(out, ",kind=\"backlog\"} %u\n", p->listeners[i].backlog);
	}
}

static void proc_listen_drops(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
			      const struct who *w)
{
	size_t i;

	for (i = 0; i < p->n_listeners; i++) {
		listener_series(out, m, w, &p->listeners[i]);
		fprintf(out, "} %llu\n", (unsigned long long)p->listeners[i].drops);
	}
}

static void proc_connecting(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
			    const struct who *w)
{
	if (!p->states[PL_TCP_SYN_SENT])
		return;
	series(out, m, w);
	fprintf(out, "} %llu\n", (unsigned long long)p->states[PL_TCP_SYN_SENT]);
}

static void proc_verdict(FILE *out, const struct proc_metric *m, const struct pl_proc *p,
			 const struct who *w)
{
	if (!w->id)
		return; /* a sum has no verdict */
	series(out, m, w);
	fprintf(out, ",verdict=\"%s\"} 1\n", model__verdict_name(p->verdict));
}

/* The offset of @field, which must be of @type (else the build fails). */
#define FIELD_OF(field, type)                                                              \
	(offsetof(struct pl_proc, field) +                                                 \
	 0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((struct pl_proc *)0)->field), \
						      type) ? 1 : -1]))
#define CUSTOM(emitter) .value = PROC_CUSTOM, .fn = (emitter)
#define COUNT(field) .value = PROC_COUNT, .at = FIELD_OF(field, __u64)
#define COUNT_NONZERO(field) COUNT(field), .skip_zero = true
#define SECS(field) .value = PROC_SECS, .at = FIELD_OF(field, double)

static const struct proc_metric proc_metrics[] = {
	{ "portleak_process_sockets", "gauge",
	  "TCP sockets held by a process, by state (top-K processes, the rest as pid=\"other\").",
	  CUSTOM(proc_sockets) },
	{ "portleak_process_close_wait_oldest_seconds", "gauge",
	  "Age of the process's oldest CLOSE_WAIT socket (or a lower bound, from the kernel's clock of its last ACK, for sockets older than portleak).",
	  SECS(close_wait_oldest_s) },
	{ "portleak_process_close_wait_oldest_max_seconds", "gauge",
	  "The most the oldest CLOSE_WAIT socket's age can be: since data last came (keepalive ACKs make the lower bound young; no data follows the peer's FIN). Absent when unknown.",
	  SECS(close_wait_oldest_max_s) },
	{ "portleak_process_established_idle", "gauge",
	  "ESTABLISHED sockets idle past --idle-age: side=client for those it opened (STALE counts them), server for accepted ones.",
	  CUSTOM(proc_idle) },
	{ "portleak_process_opened_total", "counter",
	  "Connections the process established (connect or accept) since portleak started.",
	  COUNT(opened) },
	{ "portleak_process_closed_total", "counter",
	  "Of those, connections that reached CLOSE.", COUNT(closed) },
	{ "portleak_process_port_failures_total", "counter",
	  "connect() without a free local port and failed bind()/listen(), by errno.",
	  CUSTOM(proc_failures) },
	{ "portleak_process_ports_bound", "gauge",
	  "Ports of the ephemeral range a process holds by bind() on sockets past listening: each is lost to every destination of its namespace.",
	  COUNT_NONZERO(ports_bound) },
	{ "portleak_process_dead_sockets", "gauge",
	  "Socket fds a process keeps whose connection is gone (reset, aborted, closed both ways: state CLOSE): an fd leak that holds no port. From the last fd walk.",
	  COUNT_NONZERO(dead_held) },
	{ "portleak_process_failures_total", "counter",
	  "Failed connect() and accept() calls, by call, errno (ECONNREFUSED, ETIMEDOUT, EMFILE, ...) and who ended them: by=kernel, or by=application for a connect it closed before the kernel gave up (ETIMEDOUT).",
	  CUSTOM(proc_call_failures) },
	{ "portleak_process_connecting", "gauge",
	  "Connects of the process waiting for the peer's answer (SYN_SENT) now.",
	  CUSTOM(proc_connecting) },
	{ "portleak_listener_queue", "gauge",
	  "A listener's accept queue: connections waiting for accept() (kind=queued) and the queue's size (kind=backlog); the kernel drops SYNs once queued exceeds backlog.",
	  CUSTOM(proc_listen_queue) },
	{ "portleak_listener_drops_total", "counter",
	  "SYNs and ACKs a listener dropped since it listened (sk_drops: a full accept queue's among them).",
	  CUSTOM(proc_listen_drops) },
	{ "portleak_process_fds", "gauge",
	  "File descriptors the process has open (kind=in_use) and its soft RLIMIT_NOFILE (kind=limit).",
	  CUSTOM(proc_fds) },
	{ "portleak_process_verdict", "gauge",
	  "1 for the process's verdict: leak, stale, backlog, timeout, ports, growing, incomplete or ok.",
	  CUSTOM(proc_verdict) },
};

static const size_t n_proc_metrics = sizeof(proc_metrics) / sizeof(proc_metrics[0]);

/* The processes past the top K, summed into one series: the plain rows by
 * their kind, the fields of the custom ones here. */
static void sum_rest(const struct pl_report *r, size_t k, struct pl_proc *rest)
{
	size_t i, s;

	memset(rest, 0, sizeof(*rest));
	rest->fd_in_use = rest->fd_limit = -1;
	for (s = 0; s < n_proc_metrics; s++)
		if (proc_metrics[s].value == PROC_SECS)
			*(double *)((char *)rest + proc_metrics[s].at) = -1;
	for (i = k; i < r->n_procs; i++) {
		const struct pl_proc *p = &r->procs[i];

		for (s = 0; s < PL_TCP_NR_STATES; s++)
			rest->states[s] += p->states[s];
		rest->bind_failures += p->bind_failures;
		rest->connect_failures += p->connect_failures;
		rest->established_idle += p->established_idle;
		rest->stale += p->stale;
		for (s = 0; s < p->n_call_errnos; s++)
			calls__count_errno(rest, &p->call_errnos[s]);
		for (s = 0; s < n_proc_metrics; s++) {
			const struct proc_metric *m = &proc_metrics[s];
			void *sum = (char *)rest + m->at;

			if (m->value == PROC_COUNT)
				*(__u64 *)sum += count_of(m, p);
			else if (m->value == PROC_SECS && secs_of(m, p) > *(double *)sum)
				*(double *)sum = secs_of(m, p);
		}
	}
}

static void write_processes(FILE *out, const struct pl_report *r, size_t k)
{
	struct pl_proc rest;
	size_t i;

	sum_rest(r, k, &rest);
	for (i = 0; i < n_proc_metrics; i++) {
		help(out, proc_metrics[i].name, proc_metrics[i].type, proc_metrics[i].text);
		per_proc(out, r, k, &rest, &proc_metrics[i]);
	}
}

static void dest_labels(FILE *out, const struct pl_dest *d)
{
	char src[PL_ADDRSTR_LEN], dst[PL_ADDRSTR_LEN];

	if (!d) {
		fputs("netns=\"other\",saddr=\"other\",daddr=\"other\",dport=\"other\"", out);
		return;
	}
	names__addr(d->src.family, d->src.addr, src, sizeof(src));
	names__addr(d->dst.family, d->dst.addr, dst, sizeof(dst));
	fprintf(out, "netns=\"%u\",saddr=\"%s\",daddr=\"%s\",dport=\"%u\"", d->netns, src,
		dst, d->dst.port);
}

static void write_destinations(FILE *out, const struct pl_report *r, size_t k)
{
	static const char *const names[] = {
		"portleak_destination_ports_in_use", "portleak_destination_time_wait",
		"portleak_destination_utilization", "portleak_destination_seconds_to_exhaustion",
		"portleak_destination_time_wait_oldest_seconds", "portleak_destination_ports_free",
	};
	static const char *const texts[] = {
		"Local ports in use toward a destination (top-K, the rest as \"other\").",
		"Of those, ports held by TIME_WAIT sockets.",
		"1 - ports free / usable ports of the namespace's range.",
		"Seconds until the range is used up at the current rates (absent when it is not).",
		"Age of the oldest TIME_WAIT toward the destination, from its timer.",
		"Ports connect() may still take toward the destination: the usable range, less ports held by bind(), less ports in use toward it.",
	};
	__u64 rest_use = 0, rest_tw = 0;
	size_t i, m;

	for (i = k; i < r->n_dests; i++) {
		rest_use += r->dests[i].in_use;
		rest_tw += r->dests[i].time_wait;
	}
	for (m = 0; m < sizeof(names) / sizeof(names[0]); m++) {
		help(out, names[m], "gauge", texts[m]);
		for (i = 0; i < r->n_dests && i < k; i++) {
			const struct pl_dest *d = &r->dests[i];
			double v[] = { (double)d->in_use, (double)d->time_wait, d->utilization,
				       d->seconds_to_exhaustion, d->time_wait_oldest_s,
				       (double)d->ports_free };

			if (m >= 3 && v[m] < 0)
				continue;
			fprintf(out, "%s{", names[m]);
			dest_labels(out, d);
			fprintf(out, "} %.6g\n", v[m]);
		}
		if (r->n_dests > k && m < 2) {
			fprintf(out, "%s{", names[m]);
			dest_labels(out, NULL);
			fprintf(out, "} %llu\n", (unsigned long long)(m ? rest_tw : rest_use));
		}
	}
}

/* Each namespace's budget, the first @k by namespace (the host's first). */
static void write_port_budgets(FILE *out, const struct pl_report *r, size_t k)
{
	size_t i;

	help(out, "portleak_port_budget", "gauge",
	     "Ports of a namespace's ephemeral range: usable (less reserved), reserved, and bound (usable ports bind() holds, lost to every destination).");
	for (i = 0; i < r->n_budgets && i < k; i++) {
		const struct pl_port_budget *b = &r->budgets[i];

		fprintf(out, "portleak_port_budget{netns=\"%u\",kind=\"usable\"} %u\n", b->netns, b->usable);
		fprintf(out, "portleak_port_budget{netns=\"%u\",kind=\"reserved\"} %u\n", b->netns, b->reserved);
		fprintf(out, "portleak_port_budget{netns=\"%u\",kind=\"bound\"} %u\n", b->netns, b->bound);
	}
}

/* The next namespace from *@i on that has a conntrack table; NULL after
 * the last. */
static const struct pl_port_budget *next_table(const struct pl_report *r, size_t *i)
{
	while (*i < r->n_budgets && !r->budgets[*i].conntrack.present)
		(*i)++;
	return *i < r->n_budgets ? &r->budgets[(*i)++] : NULL;
}

/* The conntrack table of each namespace that has one, the first @k by
 * namespace (the host's first). */
static void write_conntrack(FILE *out, const struct pl_report *r, size_t k)
{
	static const char *const drops[] = { "drop", "early_drop", "insert_failed" };
	const struct pl_port_budget *b;
	size_t i, shown, d;

	help(out, "portleak_conntrack_entries", "gauge",
	     "A namespace's connection-tracking table: entries now (kind=count) and the most it may hold (kind=max, nf_conntrack_max); at max, new connections are dropped.");
	for (i = shown = 0; shown < k && (b = next_table(r, &i)); shown++) {
		fprintf(out, "portleak_conntrack_entries{netns=\"%u\",kind=\"count\"} %llu\n",
			b->netns, (unsigned long long)b->conntrack.count);
		if (b->conntrack.max)
			fprintf(out, "portleak_conntrack_entries{netns=\"%u\",kind=\"max\"} %llu\n",
				b->netns, (unsigned long long)b->conntrack.max);
	}
	help(out, "portleak_conntrack_drops_total", "counter",
	     "What the kernel counted for a namespace's conntrack table: new connections dropped for want of room (kind=drop), entries evicted (kind=early_drop), inserts that failed (kind=insert_failed).");
	for (i = shown = 0; shown < k && (b = next_table(r, &i)); shown++) {
		const __u64 counts[] = { b->conntrack.drop, b->conntrack.early_drop,
					 b->conntrack.insert_failed };

		for (d = 0; d < sizeof(drops) / sizeof(drops[0]); d++)
			fprintf(out, "portleak_conntrack_drops_total{netns=\"%u\",kind=\"%s\"} %llu\n",
				b->netns, drops[d], (unsigned long long)counts[d]);
	}
}

/* Source NAT's pools, the first @k (those out of ports first): ports
 * used, and whether the pool ran out. */
static void write_nat(FILE *out, const struct pl_report *r, size_t k)
{
	static const char *const families[][2] = {
		{ "portleak_nat_ports_used",
		  "Ports source NAT gives from one address (source) toward one destination, in the namespace that translates: its conntrack entries (top-K, those out of ports first)." },
		{ "portleak_nat_exhausted",
		  "1 when that namespace's table dropped new connections lately while it had room: NAT found no free port." },
	};
	char src[PL_ADDRSTR_LEN], dst[PL_ADDRSTR_LEN];
	size_t f, i;

	for (f = 0; f < 2; f++) {
		help(out, families[f][0], "gauge", families[f][1]);
		for (i = 0; i < r->n_nat && i < k; i++) {
			const struct pl_nat_use *u = &r->nat[i];

			names__addr(u->family, u->source, src, sizeof(src));
			names__addr(u->family, u->dest, dst, sizeof(dst));
			fprintf(out, "%s{netns=\"%u\",source=\"%s\",daddr=\"%s\",dport=\"%u\"} %llu\n",
				families[f][0], u->netns, src, dst, u->dport,
				f ? (unsigned long long)u->exhausted : (unsigned long long)u->ports_used);
		}
	}
}

static void write_destination_failures(FILE *out, const struct pl_report *r, size_t k)
{
	char dst[PL_ADDRSTR_LEN];
	size_t i;

	help(out, "portleak_destination_failures_total", "counter",
	     "Failed connect() calls toward a destination, of every process, by errno (top-K).");
	for (i = 0; i < r->n_dest_failures && i < k; i++) {
		const struct pl_dest_failure *f = &r->dest_failures[i];

		names__addr(f->peer.family, f->peer.addr, dst, sizeof(dst));
		fprintf(out, "portleak_destination_failures_total{netns=\"%u\",daddr=\"%s\",dport=\"%u\",errno=\"%s\"} %llu\n",
			f->netns, dst, f->peer.port, names__errno(f->err),
			(unsigned long long)f->count);
	}
}

static void write_host(FILE *out, const struct pl_report *r, const struct pl_report_meta *m,
		       const struct pl_metrics_extra *x)
{
	static const char *const kinds[] = { [PL_FAIL_CONNECT] = "connect", [PL_FAIL_BIND] = "bind" };
	unsigned int s, k;
	int e;

	help(out, "portleak_build_info", "gauge", "portleak's version.");
	fprintf(out, "portleak_build_info{version=\"%s\"} 1\n", x->version);
	help(out, "portleak_hooks_info", "gauge", "The kernel hooks in use.");
	fprintf(out, "portleak_hooks_info{state=\"%s\",accept=\"%s\",bind=\"%s\"} 1\n",
		m->hook_state, m->hook_accept, m->hook_bind);
	help(out, "portleak_trace_seconds", "gauge", "How long portleak has been tracing.");
	fprintf(out, "portleak_trace_seconds %.3f\n", r->trace_s);
	help(out, "portleak_sockets", "gauge", "TCP sockets on the host, by state.");
	for (s = 0; s < PL_TCP_NR_STATES; s++)
		if (r->totals[s])
			fprintf(out, "portleak_sockets{state=\"%s\"} %llu\n", names__tcp_state(s),
				(unsigned long long)r->totals[s]);
	if (m->files_open >= 0) {
		help(out, "portleak_host_files", "gauge",
		     "Open files of the whole host (kind=open, from fs.file-nr) and fs.file-max (kind=max).");
		fprintf(out, "portleak_host_files{kind=\"open\"} %lld\n", m->files_open);
		fprintf(out, "portleak_host_files{kind=\"max\"} %lld\n", m->files_max);
	}
	help(out, "portleak_port_failures_total", "counter",
	     "Port-allocation failures on the host since portleak started, by errno.");
	for (k = PL_FAIL_CONNECT; k <= PL_FAIL_BIND; k++)
		for (e = 0; e < PL_ERRNO_MAX; e++)
			if (m->failure_tally[k][e])
				fprintf(out, "portleak_port_failures_total{kind=\"%s\",errno=\"%s\"} %llu\n",
					kinds[k], names__errno(e),
					(unsigned long long)m->failure_tally[k][e]);
}

static void write_self(FILE *out, const struct pl_report *r, const struct pl_report_meta *m,
		       const struct pl_metrics_extra *x)
{
	const struct pl_loss_kind *k;
	unsigned int l;
	size_t i;

	for (l = 0; l < PL_NR_LOSSES; l++) {
		k = losses__kind(l);
		help(out, k->metric, "counter", k->help);
		fprintf(out, "%s %llu\n", k->metric, (unsigned long long)r->losses.n[l]);
	}
	help(out, "portleak_bpf_stats_enabled", "gauge",
	     "kernel.bpf_stats_enabled: BPF run times below are counted only when 1.");
	fprintf(out, "portleak_bpf_stats_enabled %ld\n", m->bpf_stats_enabled);
	help(out, "portleak_bpf_run_seconds_total", "counter", "Time spent in each BPF program.");
	for (i = 0; i < m->n_progs; i++)
		fprintf(out, "portleak_bpf_run_seconds_total{program=\"%s\"} %.9f\n",
			m->progs[i].name, m->progs[i].run_ns / 1e9);
	help(out, "portleak_bpf_runs_total", "counter", "Runs of each BPF program.");
	for (i = 0; i < m->n_progs; i++)
		fprintf(out, "portleak_bpf_runs_total{program=\"%s\"} %llu\n", m->progs[i].name,
			(unsigned long long)m->progs[i].runs);
	help(out, "portleak_report_failures_total", "counter",
	     "Reports that failed; the last good one is served meanwhile.");
	fprintf(out, "portleak_report_failures_total %llu\n",
		(unsigned long long)m->standing.report_failures);
	help(out, "portleak_report_duration_seconds", "gauge",
	     "Time to build the report served (walks, maps and model).");
	fprintf(out, "portleak_report_duration_seconds %.6f\n", m->report_duration_s);
	help(out, "portleak_report_age_seconds", "gauge", "Age of the report served.");
	fprintf(out, "portleak_report_age_seconds %.3f\n", m->standing.report_age_s);
	help(out, "portleak_scrape_duration_seconds", "gauge",
	     "Time to write this response from the report served (no walk).");
	fprintf(out, "portleak_scrape_duration_seconds %.6f\n", x->scrape_s);
}

void metrics__write(FILE *out, const struct pl_report *r, const struct pl_metrics_extra *x)
{
	const struct pl_report_meta *m = &r->meta;

	write_host(out, r, m, x);
	write_processes(out, r, x->top_k);
	write_port_budgets(out, r, x->top_k);
	write_conntrack(out, r, x->top_k);
	write_nat(out, r, x->top_k);
	write_destinations(out, r, x->top_k);
	write_destination_failures(out, r, x->top_k);
	write_self(out, r, m, x);
}
