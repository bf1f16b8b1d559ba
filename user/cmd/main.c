// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak: which process leaks TCP connections or eats the port space. */
#include "cmd/commands.h"

/* What each command runs; help printed its text while parsing. */
static int (*const runs[])(const struct pl_options *) = {
	[PL_CMD_SNAPSHOT] = cmd_snapshot,
	[PL_CMD_WATCH] = cmd_watch,
	[PL_CMD_TOP] = cmd_top,
	[PL_CMD_SERVE] = cmd_serve,
	[PL_CMD_DOCTOR] = cmd_doctor,
	[PL_CMD_CLOSE] = cmd_close,
	[PL_CMD_VERSION] = cmd_version,
};

int main(int argc, char **argv)
{
	struct pl_options o;

	if (options__parse(argc, argv, &o))
		return PL_EXIT_USAGE;
	return runs[o.cmd] ? runs[o.cmd](&o) : 0;
}
