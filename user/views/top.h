/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The lines of the top view, shared by batch mode and the full screen. */
#ifndef PORTLEAK_TOP_H
#define PORTLEAK_TOP_H

#include <stddef.h>

#include <stdbool.h>

#include "model/advice.h"
#include "model/model.h"

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
void top__header(const struct pl_report *r, char lines[3][PL_LINE_LEN]);
const char *top__proc_columns(void);
void top__proc_line(const struct pl_proc *p, char *buf, size_t len);
const char *top__dest_columns(void);
/* @bar: width of the utilization bar, 0 for none. */
void top__dest_line(const struct pl_dest *d, int bar, char *buf, size_t len);
/* The drill-down's line of the other processes that hold some of @p's
 * sockets too ("also held by pid 4243 (java) 20 sockets, ..."); false
 * when there are none. */
bool top__holders_line(const struct pl_proc *p, char *buf, size_t len);
/* The drill-down's fd budget ("fds 1010 of 1024, ..."), and its table of
 * failed calls. */
void top__fd_line(const struct pl_proc *p, char *buf, size_t len);
const char *top__call_failure_columns(void);
void top__call_failure_line(const struct pl_call_failure *f, char *buf, size_t len);
/* The node's netfilter budgets (the n view): a namespace's conntrack
 * table, and a source NAT pool with the processes that hold its ports. */
const char *top__conntrack_columns(void);
void top__conntrack_line(const struct pl_port_budget *b, char *buf, size_t len);
const char *top__nat_columns(void);
void top__nat_line(const struct pl_nat_use *u, char *buf, size_t len);
/* Its holders as "comm[pid] entries, ..."; "" when none. */
void top__nat_holders(const struct pl_nat_use *u, char *buf, size_t len);
/* What the NAT dump left out; false when it left out nothing. */
bool top__nat_cut_line(const struct pl_report *r, char *buf, size_t len);
const char *top__group_columns(void);
void top__group_line(const struct pl_peer_group *g, char *buf, size_t len);

/* The full screen (tui.c). The command's loop shows each new report and
 * hands it the keys between reports. */
struct pl_tui;

struct pl_tui_settings {
	double interval_s; /* between reports, as shown in the status line */
};

/* 0, or negative errno; *out is NULL then. */
int tui__open(struct pl_tui **out, const struct pl_tui_settings *s);
/* Draw @r, which the screen takes over (and frees); negative errno when
 * it cannot. */
int tui__show(struct pl_tui *u, struct pl_report *r);
/* The newest report failed (@standing says how): the last one stays on
 * screen, its header saying so. 0, or negative errno. */
int tui__failed(struct pl_tui *u, const struct pl_report_standing *standing);
/* Wait a moment for a key and act on it; false once the user quits. */
bool tui__key(struct pl_tui *u);
/* The user paused refreshing (tracing goes on). */
bool tui__paused(const struct pl_tui *u);
void tui__close(struct pl_tui *u);

#endif
