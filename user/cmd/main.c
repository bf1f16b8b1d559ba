// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak: which process leaks TCP connections or eats the port space. */
#include "cmd/commands.h"

int main(int argc, char **argv)
{
	struct pl_options o;

	if (options__parse(argc, argv, &o))
		return PL_EXIT_USAGE;
	switch (o.cmd) {
	case PL_CMD_SNAPSHOT:
		return cmd_snapshot(&o);
	case PL_CMD_WATCH:
		return cmd_watch(&o);
	case PL_CMD_TOP:
		return cmd_top(&o);
	case PL_CMD_SERVE:
		return cmd_serve(&o);
	case PL_CMD_DOCTOR:
		return cmd_doctor(&o);
	case PL_CMD_CLOSE:
		return cmd_close(&o);
	case PL_CMD_VERSION:
		return cmd_version(&o);
	default:
		return 0;
	}
}
