/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The command line: subcommands, flags, help text. */
#ifndef PORTLEAK_OPTIONS_H
#define PORTLEAK_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "loader/hooks.h"
#include "loader/remedy_user.h"
#include "model/model.h"

/* Exit statuses, as --help documents them. */
#define PL_EXIT_RUNTIME 1   /* failed while running */
#define PL_EXIT_USAGE 2     /* bad command line or settings */
#define PL_EXIT_MISMATCH 3  /* snapshot --verify disagrees with the kernel */
#define PL_EXIT_PRIVILEGE 4 /* not root, nor CAP_BPF + CAP_PERFMON */
#define PL_EXIT_KERNEL 5    /* the kernel cannot: no BTF, no bpffs, lockdown, refused */

enum pl_command {
	PL_CMD_HELP,
	PL_CMD_VERSION,
	PL_CMD_SNAPSHOT,
	PL_CMD_TOP,
	PL_CMD_WATCH,
	PL_CMD_SERVE,
	PL_CMD_DOCTOR,
	PL_CMD_CLOSE,
};

struct pl_options {
	enum pl_command cmd;
	double duration_s;   /* snapshot: how long to trace */
	double interval_s;   /* top, watch: between reports */
	unsigned long count; /* top -n, watch -n: reports to print; 0 = forever */
	bool batch;          /* top -b */
	bool json;
	bool verify;         /* snapshot --verify */
	struct pl_filter filter;
	enum pl_hooks_mode hooks;
	__u32 ledger_size;
	__u32 events_kib;    /* --event-buffer; 0 = the default */
	double leak_age_s;
	double idle_age_s;   /* --idle-age */
	unsigned long stale_min; /* --stale-min */
	bool own_netns;      /* walk only portleak's network namespace */
	const char *host_root; /* --host-root: the runtimes' files are below it */
	enum pl_stacks_mode stacks; /* --stacks, --no-stacks; armed by default */
	bool stacks_given;
	bool verbose;
	/* serve */
	const char *listen;  /* ADDR:PORT */
	unsigned long top_k;
	const char *user;    /* switch to this user after start-up */
	const char *config;  /* settings re-read on SIGHUP */
	const char *pin_dir; /* --pin: keep the counting maps in bpffs there */
	/* close */
	struct pl_endpoint peer; /* --peer; family 0: any */
	bool peer_port;      /* --peer names a port too */
	__u8 state;          /* --state: PL_TCP_CLOSE_WAIT or PL_TCP_ESTABLISHED */
	double older_s;      /* --older; -1: not given */
	unsigned long long started; /* --started: /proc/PID/stat start time; 0: not given */
	bool yes;            /* --yes: close, not a dry run */
	bool shared;         /* --shared: close sockets other processes hold too */
	enum pl_remedy_mech via; /* --via */
};

/* Read top_k, interval, leak_age and idle_age from @path ("key = value" lines).
 * 0, or -EINVAL after one line on stderr. */
int options__read_config(const char *path, struct pl_options *o);

/* 0, or -EINVAL after one line on stderr saying what is wrong. */
int options__parse(int argc, char **argv, struct pl_options *o);
void options__usage(FILE *out, enum pl_command cmd);

#endif
