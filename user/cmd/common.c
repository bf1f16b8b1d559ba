// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What every command does before its first report, and its errors. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "model/names.h"
#include "views/json.h"

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

/* The one printer of errors: a line on stderr and, for a JSON stream
 * (--json), {"error": {...}} on stdout too, so that a script reading the
 * stream learns why it ended (exit_status) or why a report is missing
 * (retry_s: the next one is tried then). */
static void say_error(const struct pl_options *o, int err, const char *text, double retry_s)
{
	struct pl_json j;

	fprintf(stderr, "portleak: %s\n", text);
	if (!o || !o->json)
		return;
	json__init(&j, stdout);
	json__object_begin(&j, NULL);
	json__object_begin(&j, "error");
	json__string(&j, "message", text);
	json__string(&j, "errno", names__errno(-err));
	if (retry_s >= 0)
		json__double(&j, "retry_s", retry_s);
	else
		json__uint(&j, "exit_status", (__u64)commands__status(err));
	json__object_end(&j);
	json__object_end(&j);
	fflush(stdout);
}

int commands__fail(const struct pl_options *o, int err, const struct pl_why *why,
		   const char *doing)
{
	char text[PL_WHY_LEN + 64];

	if (why && why->text[0])
		snprintf(text, sizeof(text), "%s", why->text);
	else
		snprintf(text, sizeof(text), "failed to %s: %s", doing, strerror(-err));
	say_error(o, err, text, -1);
	return commands__status(err);
}

void commands__report_failed(const struct pl_options *o, int err, double retry_s)
{
	char text[128];

	snprintf(text, sizeof(text), "failed to build the report: %s; trying again in %.1fs",
		 strerror(-err), retry_s);
	say_error(o, err, text, retry_s);
}

int commands__start(struct pl_tracker *t, const struct pl_options *o, bool trace)
{
	struct pl_tracker_config cfg = commands__config(o);
	struct pl_why why = { "" };
	int err = tracker__start(t, &cfg, trace, &why);

	if (!err)
		return 0;
	tracker__stop(t);
	return commands__fail(o, err, &why, "start");
}
