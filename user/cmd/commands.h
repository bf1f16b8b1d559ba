/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The subcommands. Each returns the process exit status. */
#ifndef PORTLEAK_COMMANDS_H
#define PORTLEAK_COMMANDS_H

#include "loader/agent.h"
#include "cmd/options.h"

int cmd_snapshot(const struct pl_options *o);
/* snapshot --verify: exit 0 when portleak agrees with /proc,
 * PL_EXIT_MISMATCH when not. */
int cmd_verify(const struct pl_options *o);
int cmd_watch(const struct pl_options *o);
int cmd_top(const struct pl_options *o);
int cmd_serve(const struct pl_options *o);
int cmd_doctor(const struct pl_options *o);

/* Checks BTF and privileges, mounts what is missing and starts the agent.
 * 0, or an exit status (PL_EXIT_PRIVILEGE, PL_EXIT_KERNEL, ...) after one
 * line on stderr saying what failed; on a load failure @a still lists the
 * plans that were refused. */
int commands__start_agent(const struct pl_options *o, bool walk_only, struct pl_agent *a);

#endif
