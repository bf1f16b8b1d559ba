/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The subcommands. Each returns the process exit status; this layer alone
 * prints errors (one line each) and maps them to exit statuses. */
#ifndef PORTLEAK_COMMANDS_H
#define PORTLEAK_COMMANDS_H

#include "cmd/options.h"
#include "host/why.h"
#include "loader/tracker.h"

int cmd_snapshot(const struct pl_options *o);
/* snapshot --verify: exit 0 when portleak agrees with /proc,
 * PL_EXIT_MISMATCH when not. */
int cmd_verify(const struct pl_options *o);
int cmd_watch(const struct pl_options *o);
int cmd_top(const struct pl_options *o);
int cmd_serve(const struct pl_options *o);
int cmd_doctor(const struct pl_options *o);
/* portleak close: a dry run, or with --yes the close, of one process's sockets. */
int cmd_close(const struct pl_options *o);
/* portleak version [--json]. */
int cmd_version(const struct pl_options *o);

/* The session settings the command line asks for. */
struct pl_tracker_config commands__config(const struct pl_options *o);
/* tracker__start for a command: 0, or the exit status after one line
 * (the tracker is stopped then). */
int commands__start(struct pl_tracker *t, const struct pl_options *o, bool trace);
/* Print "portleak: <why>", or "portleak: failed to <doing>: <errno>" when
 * @why is empty or NULL, and return the exit status for negative @err.
 * With @o->json, {"error": {message, errno, exit_status}} on stdout too.
 * @o may be NULL (before the options are known). */
int commands__fail(const struct pl_options *o, int err, const struct pl_why *why,
		   const char *doing);
/* A report of a running loop (top, watch) failed: one line (and with
 * --json an {"error": {message, errno, retry_s}} line), and the loop goes
 * on. */
void commands__report_failed(const struct pl_options *o, int err, double retry_s);
/* The exit status for a negative errno. */
int commands__status(int err);

#endif
