// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Everything a command needs before its first map read. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "sysinfo.h"

int commands__start_agent(const struct pl_options *o, bool walk_only, struct pl_agent *a)
{
	struct pl_agent_config cfg = {
		.hooks = o->hooks,
		.ledger_size = o->ledger_size,
		.verbose = o->verbose,
		.walk_only = walk_only,
	};
	const char *missing = sysinfo__missing_caps();
	int err;

	memset(a, 0, sizeof(*a));
	if (missing) {
		fprintf(stderr, "portleak: needs root, or %s (effective uid %u)\n",
			missing, (unsigned int)geteuid());
		return -EPERM;
	}
	if (!sysinfo__has_btf()) {
		fprintf(stderr, "portleak: this kernel has no BTF (%s): portleak needs CONFIG_DEBUG_INFO_BTF=y\n",
			PL_BTF_PATH);
		return -ENOENT;
	}
	sysinfo__mount_pseudo_fs();
	err = agent__start(a, &cfg);
	if (err)
		fprintf(stderr, "portleak: failed to load the BPF programs (hooks %s): %s%s\n",
			hooks__mode_name(o->hooks), strerror(-err),
			o->verbose ? "" : " (run 'portleak doctor', or add -v for libbpf's log)");
	return err;
}
