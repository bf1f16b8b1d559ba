// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What every command does before its first report, and its errors. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"

struct pl_tracker_config commands__config(const struct pl_options *o)
{
	return (struct pl_tracker_config){
		.hooks = o->hooks,
		.ledger_size = o->ledger_size,
		.events_bytes = o->events_kib * 1024,
		.pin_dir = o->pin_dir,
		.verbose = o->verbose,
		.own_netns = o->own_netns,
		.host_root = o->host_root,
		.stacks = o->stacks,
		.leak_age_s = o->leak_age_s,
		.idle_age_s = o->idle_age_s,
		.stale_min = o->stale_min,
		.filter = o->filter,
	};
}

int commands__status(int err)
{
	switch (-err) {
	case 0:
		return 0;
	case EPERM:
	case EACCES:
		return PL_EXIT_PRIVILEGE;
	case ENOTSUP:
		return PL_EXIT_KERNEL;
	case EINVAL:
		return PL_EXIT_USAGE;
	default:
		return PL_EXIT_RUNTIME;
	}
}

int commands__fail(int err, const struct pl_why *why, const char *doing)
{
	if (why && why->text[0])
		fprintf(stderr, "portleak: %s\n", why->text);
	else
		fprintf(stderr, "portleak: failed to %s: %s\n", doing, strerror(-err));
	return commands__status(err);
}

void commands__report_failed(int err, double retry_s)
{
	fprintf(stderr, "portleak: failed to build the report: %s; trying again in %.1fs\n",
		strerror(-err), retry_s);
}

int commands__start(struct pl_tracker *t, const struct pl_options *o, bool trace)
{
	struct pl_tracker_config cfg = commands__config(o);
	struct pl_why why = { "" };
	int err = tracker__start(t, &cfg, trace, &why);

	if (!err)
		return 0;
	tracker__stop(t);
	return commands__fail(err, &why, "start");
}
