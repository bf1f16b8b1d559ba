// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the command line: the input, split at NUL bytes,
 * is argv after "portleak". Whatever it is, options__parse returns 0 or
 * -EINVAL, and what it accepts is within the documented bounds. Run it
 * with -close_fd_mask=3: the parser explains every refusal on stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/options.h"

#define MAX_ARGS 24

static void check(const struct pl_options *o)
{
	if (o->cmd == PL_CMD_HELP || o->cmd == PL_CMD_VERSION)
		return;
	if (o->duration_s < 0 || o->interval_s < 0.1 || o->leak_age_s < 0 || o->idle_age_s < 0 ||
	    o->stale_min < 1)
		abort();
	if (o->filter.port != -1 && (o->filter.port < 1 || o->filter.port > 65535))
		abort();
	if (o->filter.comm && (!*o->filter.comm || strlen(o->filter.comm) >= PL_COMM_LEN))
		abort();
	if (o->filter.cgroup && o->filter.cgroup[0] != '/')
		abort();
	if (o->top_k < 1 || (o->count && o->cmd == PL_CMD_TOP && !o->batch))
		abort();
	if (o->events_kib && (o->events_kib < 4 || (o->events_kib & (o->events_kib - 1))))
		abort();
	if (o->pin_dir && (o->pin_dir[0] != '/' || o->cmd != PL_CMD_SERVE))
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2] = { "portleak" };
	struct pl_options o;
	size_t i, start = 0;
	int argc = 1, err;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (buf[i] != '\0')
			continue;
		argv[argc++] = buf + start;
		start = i + 1;
	}
	argv[argc] = NULL;
	err = options__parse(argc, argv, &o);
	if (err != 0 && err != -EINVAL)
		abort();
	if (!err)
		check(&o);
	free(buf);
	return 0;
}
