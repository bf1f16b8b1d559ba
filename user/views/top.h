/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The lines of the top view, shared by batch mode and the full screen. */
#ifndef PORTLEAK_TOP_H
#define PORTLEAK_TOP_H

#include <stddef.h>

#include "model/model.h"
#include "loader/tracker.h"

#define PL_LINE_LEN 512

enum pl_sort {
	PL_SORT_SUSPICION, /* the model's order */
	PL_SORT_PID,
	PL_SORT_COMM,
	PL_SORT_ESTAB,
	PL_SORT_CLOSE_WAIT,
	PL_SORT_TIME_WAIT,
	PL_SORT_OPENED,
	PL_SORT_GROWTH,
	PL_SORT_CW_AGE,
	PL_SORT_FAILURES,
	PL_NR_SORTS,
};

const char *top__sort_name(enum pl_sort s);
/* Sort @procs in place; PL_SORT_SUSPICION leaves the model's order. */
void top__sort(struct pl_proc *procs, size_t n, enum pl_sort s);

/* Three header lines: who/where, totals per state, losses. */
void top__header(const struct pl_tracker *t, const struct pl_report *r,
		 char lines[3][PL_LINE_LEN]);
const char *top__proc_columns(void);
void top__proc_line(const struct pl_proc *p, char *buf, size_t len);
const char *top__dest_columns(void);
/* @bar: width of the utilization bar, 0 for none. */
void top__dest_line(const struct pl_dest *d, int bar, char *buf, size_t len);
const char *top__group_columns(void);
void top__group_line(const struct pl_peer_group *g, char *buf, size_t len);

/* The full screen (tui.c); returns the exit status. */
int tui__run(struct pl_tracker *t, const struct pl_options *o);

#endif
