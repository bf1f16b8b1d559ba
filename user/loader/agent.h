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

/* Walk-only, the fd walk's program loads in an object of its own when the
 * fd walk first runs: in its own thread, while the TCP walk runs on the
 * agent's object. The TCP walk alone loads in 14 ms, both walks in 25: a
 * snapshot's TCP walk starts 11 ms sooner, and the fd walk, loaded and
 * run beside it, ends about when it does. */
struct pl_fd_walker {
	struct portleak_bpf *skel;
	int err; /* of the load, once tried */
};

struct pl_agent {
	struct portleak_bpf *skel; /* walk-only: the TCP walk alone */
	struct pl_fd_walker fds;   /* walk-only */
	const struct pl_hook_plan *plan; /* the one in use; NULL if walk_only */
	struct pl_attempt failed[PL_MAX_ATTEMPTS];
	size_t n_failed;
	struct pl_failures failures;
};

/* Negative errno; every failed plan is in a->failed. */
int agent__start(struct pl_agent *a, const struct pl_agent_config *cfg);
/* The object that runs the listing fd walk (list_fds): an object of its
 * own, loaded by the first call, with or without hooks (with hooks, once
 * the ledger overflowed). NULL with *@err set when it failed to load.
 * Call it from one thread at a time. */
struct portleak_bpf *agent__fd_walker(struct pl_agent *a, int *err);
/* The sockets the ledger has room for (it is sized at load and cannot
 * grow: past it, the fd walk names holders); 0 without hooks. */
__u32 agent__ledger_size(const struct pl_agent *a);
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
