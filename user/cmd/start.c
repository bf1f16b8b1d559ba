// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Everything a command needs before its first map read. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "loader/pin.h"
#include "host/sysinfo.h"

/* Fill cfg->ledger_size from the pinned ledger, unless the user asked for
 * another size. An exit status. */
static int check_pin_dir(const struct pl_options *o, struct pl_agent_config *cfg)
{
	__u32 pinned;
	int err = pin__check(o->pin_dir, &pinned);

	if (err)
		return err == -ENOTSUP ? PL_EXIT_KERNEL : PL_EXIT_RUNTIME;
	if (pinned && cfg->ledger_size && cfg->ledger_size != pinned) {
		fprintf(stderr, "portleak: --max-sockets %u differs from the ledger pinned in %s (%u entries): drop the flag, or remove the pinned maps\n",
			cfg->ledger_size, o->pin_dir, pinned);
		return PL_EXIT_USAGE;
	}
	if (pinned)
		cfg->ledger_size = pinned;
	cfg->pin_dir = o->pin_dir;
	return 0;
}

static int load_failed(const struct pl_options *o, int err)
{
	char mode[32];

	if (sysinfo__lockdown(mode, sizeof(mode)) && !strcmp(mode, "confidentiality"))
		fprintf(stderr, "portleak: the kernel is locked down in confidentiality mode (%s): it lets no BPF program read kernel memory, which portleak must; boot without lockdown=confidentiality\n",
			PL_LOCKDOWN_PATH);
	else
		fprintf(stderr, "portleak: failed to load the BPF programs (hooks %s): %s%s\n",
			hooks__mode_name(o->hooks), strerror(-err),
			o->verbose ? "" : " (run 'portleak doctor', or add -v for libbpf's log)");
	return PL_EXIT_KERNEL;
}

int commands__start_agent(const struct pl_options *o, bool walk_only, struct pl_agent *a)
{
	struct pl_agent_config cfg = {
		.hooks = o->hooks,
		.ledger_size = o->ledger_size,
		.events_bytes = o->events_kib * 1024,
		.verbose = o->verbose,
		.walk_only = walk_only,
	};
	const char *missing = sysinfo__missing_caps();
	int status, err;

	memset(a, 0, sizeof(*a));
	if (missing) {
		fprintf(stderr, "portleak: needs root, or %s (effective uid %u)\n",
			missing, (unsigned int)geteuid());
		return PL_EXIT_PRIVILEGE;
	}
	if (!sysinfo__has_btf()) {
		fprintf(stderr, "portleak: this kernel has no BTF (%s): portleak needs CONFIG_DEBUG_INFO_BTF=y\n",
			PL_BTF_PATH);
		return PL_EXIT_KERNEL;
	}
	sysinfo__mount_pseudo_fs();
	if (o->pin_dir && (status = check_pin_dir(o, &cfg)))
		return status;
	err = agent__start(a, &cfg);
	return err ? load_failed(o, err) : 0;
}
