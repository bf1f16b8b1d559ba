// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak top: batch mode (-b) and the loop of the full screen. */
#include <stdio.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "host/sysinfo.h"
#include "views/top.h"

static void print_batch(const struct pl_report *r)
{
	char head[3][PL_LINE_LEN], line[PL_LINE_LEN];
	size_t i, j;

	top__header(r, head);
	printf("%s\n%s\n%s\n\n%s\n", head[0], head[1], head[2], top__proc_columns());
	for (i = 0; i < r->n_procs; i++) {
		top__proc_line(&r->procs[i], line, sizeof(line));
		puts(line);
		for (j = 0; r->procs[i].verdict != PL_VERDICT_OK && j < r->procs[i].n_reasons; j++)
			printf("        %s\n", r->procs[i].reasons[j]);
	}
	printf("\n%s\n", top__dest_columns());
	for (i = 0; i < r->n_dests && i < 10; i++) {
		top__dest_line(&r->dests[i], 0, line, sizeof(line));
		puts(line);
	}
	putchar('\n');
	fflush(stdout);
}

static int run_batch(struct pl_tracker *t, const struct pl_options *o)
{
	struct pl_report r;
	unsigned long n;
	int err = 0;

	for (n = 0; !err && !tracker__interrupted() && (!o->count || n < o->count); n++) {
		if ((err = tracker__trace(t, o->interval_s)))
			break;
		if ((err = tracker__report(t, &r))) {
			commands__report_failed(o, err, o->interval_s);
			err = 0;
			continue;
		}
		print_batch(&r);
		model__free(&r);
	}
	return err ? commands__fail(o, err, NULL, "build the report") : 0;
}

static int run_screen(struct pl_tracker *t, const struct pl_options *o)
{
	struct pl_tui_settings s = { .interval_s = o->interval_s };
	__u64 interval = (__u64)(o->interval_s * 1e9), next = 0, now;
	struct pl_report_standing standing;
	struct pl_report r;
	struct pl_tui *u;
	bool running = true;
	int err;

	err = tui__open(&u, &s);
	while (!err && running && !tracker__interrupted()) {
		now = sysinfo__now_ns();
		if (!tui__paused(u) && now >= next) {
			err = tracker__report(t, &r);
			tracker__standing(t, &standing);
			/* A failed report: the last one stays, its header says so. */
			err = err ? tui__failed(u, &standing) : tui__show(u, &r);
			if (err)
				break;
			next = now + interval;
		}
		running = tui__key(u);
		err = tracker__trace(t, 0);
	}
	tui__close(u);
	return err ? commands__fail(o, err, NULL, "refresh") : 0;
}

int cmd_top(const struct pl_options *o)
{
	struct pl_tracker t;
	int status;

	if (!o->batch && !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "portleak: top needs a terminal; use 'portleak top -b' for plain text\n");
		return PL_EXIT_USAGE;
	}
	tracker__catch_signals();
	if ((status = commands__start(&t, o, true)))
		return status;
	status = o->batch ? run_batch(&t, o) : run_screen(&t, o);
	tracker__stop(&t);
	return status;
}
