// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak serve: a Prometheus endpoint for a fleet. Two threads: the
 * engine traces and builds a report every interval; the main thread
 * answers HTTP from the last report the engine published, so /healthz and
 * /metrics answer at once however long a report takes (500,000 sockets, a
 * slow /proc). */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "views/http.h"
#include "views/metrics.h"
#include "host/privileges.h"
#include "host/sysinfo.h"
#include "views/report.h"
#include "cmd/version.h"

#define HTTP_WAIT_MS 100

/* What HTTP answers from: one report, the agent's meta of its instant in
 * it, and how it stands (failures since). */
struct published {
	struct pl_report report;
	__u64 reported_ns;
	size_t top_k; /* of the settings at its instant: SIGHUP may change them */
	bool has_report;
};

struct server {
	struct pl_tracker tracker; /* the engine thread's alone once it runs */
	struct pl_options opts;    /* a copy: SIGHUP may change it */
	__u64 lost_logged;         /* losses already reported in the log */
	pthread_mutex_t lock;      /* guards pub */
	struct published *pub;     /* NULL until the first report */
	atomic_bool engine_done;   /* the engine stopped: engine_err says why */
	int engine_err;
};

static volatile sig_atomic_t reload;

static void on_hup(int sig)
{
	(void)sig;
	reload = 1;
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_line(const char *fmt, ...)
{
	char when[32];
	va_list ap;

	sysinfo__rfc3339(when, sizeof(when));
	fprintf(stderr, "%s portleak: ", when);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void write_metrics(struct server *s, FILE *out, __u64 started)
{
	struct pl_metrics_extra x = { .version = PORTLEAK_VERSION, .top_k = s->pub->top_k };

	x.scrape_s = (double)(sysinfo__now_ns() - started) / 1e9;
	metrics__write(out, &s->pub->report, &x);
}

/* Called with s->lock held. */
static void answer(struct server *s, const char *path, struct pl_http_response *res,
		   __u64 started)
{
	if (!strcmp(path, "/healthz")) {
		fputs("ok\n", res->body);
	} else if (!s->pub || !s->pub->has_report) {
		res->status = 503;
		fputs("no report yet\n", res->body);
	} else if (!strcmp(path, "/metrics")) {
		res->content_type = PL_METRICS_CONTENT_TYPE;
		s->pub->report.meta.standing.report_age_s =
			(double)(started - s->pub->reported_ns) / 1e9;
		write_metrics(s, res->body, started);
	} else if (!strcmp(path, "/api/snapshot")) {
		res->content_type = "application/json";
		report__json(res->body, &s->pub->report);
	} else {
		res->status = 404;
		fputs("not found: try /metrics, /api/snapshot or /healthz\n", res->body);
	}
}

static void handle(const char *path, struct pl_http_response *res, void *ctx)
{
	struct server *s = ctx;
	__u64 started = sysinfo__now_ns();

	res->status = 200;
	res->content_type = "text/plain; charset=utf-8";
	pthread_mutex_lock(&s->lock);
	answer(s, path, res, started);
	pthread_mutex_unlock(&s->lock);
}

/* serve runs on every host, all the time: its resident memory should be
 * its working set. Large arrays (a report's, the BTF parsed at start-up)
 * get their own mappings, unmapped when freed, and after each report the
 * heap gives its free top back. Without this glibc raises its mmap
 * threshold to the largest block freed and keeps that much heap. */
static void return_memory_after_reports(void)
{
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024);
}

/* Hand a new report (or, with @r NULL, the news that one failed: the
 * last report stays) to the HTTP side. */
static int publish(struct server *s, struct pl_report *r)
{
	struct published *p = calloc(1, sizeof(*p)), *old;

	if (!p) {
		if (r)
			model__free(r);
		return -ENOMEM;
	}
	p->reported_ns = sysinfo__now_ns();
	p->top_k = s->opts.top_k;
	pthread_mutex_lock(&s->lock);
	old = s->pub;
	if (r) {
		p->report = *r;
		p->has_report = true;
	} else if (old && old->has_report) { /* moved, not copied */
		p->report = old->report;
		p->has_report = true;
		p->reported_ns = old->reported_ns;
		old->has_report = false;
		tracker__standing(&s->tracker, &p->report.meta.standing);
	}
	s->pub = p;
	pthread_mutex_unlock(&s->lock);
	if (old && old->has_report)
		model__free(&old->report);
	free(old);
	return 0;
}

static int refresh(struct server *s)
{
	char lost[PL_LOSSES_TEXT_LEN];
	struct pl_report r;
	int err = tracker__report(&s->tracker, &r);

	if (err) { /* the last report stays; the next interval tries again */
		log_line("failed to build the report: %s; serving the last one, trying again in %.1fs",
			 strerror(-err), s->opts.interval_s);
		return publish(s, NULL);
	}
	if ((err = publish(s, &r)))
		return err;
	malloc_trim(0);
	if (r.losses.total > s->lost_logged) {
		losses__text(&r.losses, ", ", lost, sizeof(lost));
		log_line("losing data: %s", lost);
		s->lost_logged = r.losses.total;
	}
	return 0;
}

static void reread_config(struct server *s)
{
	struct pl_options o = s->opts;
	struct pl_tracker_config cfg;

	reload = 0;
	if (!s->opts.config) {
		log_line("SIGHUP: no --config file; nothing to re-read");
		return;
	}
	if (options__read_config(s->opts.config, &o)) {
		log_line("SIGHUP: keeping the old settings");
		return;
	}
	s->opts = o;
	cfg = commands__config(&o);
	tracker__retune(&s->tracker, &cfg);
	log_line("SIGHUP: re-read %s: top_k %lu, interval %.1fs, leak_age %.0fs", o.config,
		 o.top_k, o.interval_s, o.leak_age_s);
}

/* The engine thread: trace, and a report every interval. */
static void *engine(void *arg)
{
	struct server *s = arg;
	__u64 next = 0, now;
	int err = 0;

	while (!err && !tracker__interrupted()) {
		if (reload)
			reread_config(s);
		now = sysinfo__now_ns();
		if (now >= next) {
			err = refresh(s);
			next = now + (__u64)(s->opts.interval_s * 1e9);
		}
		if (!err)
			err = tracker__trace(&s->tracker, (double)HTTP_WAIT_MS / 1000);
	}
	s->engine_err = err;
	atomic_store(&s->engine_done, true);
	return NULL;
}

/* HTTP on this thread while the engine runs on its own. */
static int loop(struct server *s, struct pl_http *http)
{
	pthread_t thread;
	int err = pthread_create(&thread, NULL, engine, s);

	if (err)
		return -err;
	while (!err && !atomic_load(&s->engine_done) && !tracker__interrupted())
		err = http__serve(http, HTTP_WAIT_MS, handle, s);
	if (err)
		raise(SIGTERM); /* the engine stops too */
	pthread_join(thread, NULL);
	return err ? err : s->engine_err;
}

int cmd_serve(const struct pl_options *o)
{
	struct sigaction hup = { .sa_handler = on_hup };
	struct server s = { .opts = *o, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct pl_report_meta m;
	struct pl_why why = { "" };
	struct pl_http *http;
	int fd, err, status;

	return_memory_after_reports();
	tracker__catch_signals();
	sigaction(SIGHUP, &hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = http__listen(o->listen);
	if (fd == -EINVAL) {
		fprintf(stderr, "portleak: invalid --listen '%s': expected ADDR:PORT, e.g. 127.0.0.1:9530 or [::1]:9530\n",
			o->listen);
		return PL_EXIT_USAGE;
	}
	if (fd < 0) {
		fprintf(stderr, "portleak: failed to listen on %s: %s\n", o->listen, strerror(-fd));
		return PL_EXIT_RUNTIME;
	}
	http = http__new(fd);
	if (!http) {
		close(fd);
		return commands__fail(o, -ENOMEM, NULL, "start the HTTP server");
	}
	if ((status = commands__start(&s.tracker, &s.opts, true))) {
		http__free(http);
		return status;
	}
	err = privileges__drop(o->user, !o->own_netns, &why);
	if (!err) {
		tracker__meta(&s.tracker, &m);
		log_line("serving http://%s/metrics (hooks %s/%s/%s, ledger of %u sockets, capabilities %016llx%s%s)",
			 o->listen, m.hook_state, m.hook_accept, m.hook_bind, m.ledger_size,
			 privileges__effective(), o->user ? ", user " : "", o->user ? o->user : "");
		err = loop(&s, http);
	}
	if (err && why.text[0])
		log_line("stopping: %s", why.text);
	else if (err)
		log_line("stopping on error: %s", strerror(-err));
	else
		log_line("stopping: signal received");
	if (s.pub && s.pub->has_report)
		model__free(&s.pub->report);
	free(s.pub);
	pthread_mutex_destroy(&s.lock);
	tracker__stop(&s.tracker);
	http__free(http);
	return commands__status(err);
}
