/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The BPF side's lifecycle: open, size, load and attach the best hook plan
 * that this kernel accepts, then hand out the maps. */
#ifndef PORTLEAK_AGENT_H
#define PORTLEAK_AGENT_H

#include <stdbool.h>
#include <linux/types.h>

#include "loader/failures_user.h"
#include "loader/hooks.h"
#include "model/model.h"

struct pl_agent_config {
	enum pl_hooks_mode hooks;
	__u32 ledger_size;   /* 0: the default, or room for host_sockets */
	__u64 host_sockets;  /* TCP sockets on the host now (0: unknown) */
	__u32 events_bytes; /* ring buffer; 0 = PL_EVENTS_DEFAULT */
	bool verbose; /* libbpf's own log on stderr */
	bool walk_only; /* load the iterators only: a report of what exists now */
	const char *pin_dir; /* keep the counting maps there (user/pin.h) */
	__u32 stacks;        /* enum pl_stacks_mode: whose origins are captured */
};

/* Why a hook plan was not taken. */
struct pl_attempt {
	const struct pl_hook_plan *plan;
	const char *stage; /* "open", "load", "attach", "pin" */
	int err;           /* negative errno */
};

struct pl_agent {
	struct portleak_bpf *skel;
	const struct pl_hook_plan *plan; /* the one in use; NULL if walk_only */
	struct pl_attempt failed[PL_MAX_ATTEMPTS];
	size_t n_failed;
	struct pl_failures failures;
};

/* Negative errno; every failed plan is in a->failed. */
int agent__start(struct pl_agent *a, const struct pl_agent_config *cfg);
/* The loaded programs' statistics, at most PL_MAX_PROGS; returns how many. */
size_t agent__prog_stats(const struct pl_agent *a, struct pl_prog_stat *out);
/* The sum of their missed runs. */
__u64 agent__missed_runs(const struct pl_agent *a);
/* Does this kernel have bpf_task_pt_regs() (5.15+), which the origins'
 * capture uses to find the caller of a system call stub? From its BTF. */
bool agent__has_task_pt_regs(void);
/* The sizes of the stacks and origins maps; 0 when not loaded. */
void agent__stack_maps(const struct pl_agent *a, __u32 *stacks, __u32 *origins);
void agent__stop(struct pl_agent *a);

#endif
