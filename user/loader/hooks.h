/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Which BPF programs to load: the hook plans, best first. */
#ifndef PORTLEAK_HOOKS_H
#define PORTLEAK_HOOKS_H

#include <stddef.h>

struct bpf_object;

#define PL_MAX_ATTEMPTS 4 /* plans one start may try */

enum pl_hooks_mode {
	PL_HOOKS_AUTO,       /* the best plan that loads and attaches */
	PL_HOOKS_FEXIT,      /* fexit for accept and bind */
	PL_HOOKS_KPROBE,     /* kretprobes for accept and bind */
	PL_HOOKS_TRACEPOINT, /* syscall tracepoints for accept and bind */
	PL_HOOKS_CLASSIC,    /* tracepoints only: no BTF-typed state hook */
	PL_NR_HOOK_MODES,
};

/* What a BPF program serves. */
/* ACCEPT: accepted sockets, and the failures of accept() and connect(). */
enum pl_hook { PL_HOOK_STATE, PL_HOOK_ACCEPT, PL_HOOK_BIND, PL_HOOK_WALK };

enum pl_state_hook { PL_STATE_TP_BTF, PL_STATE_TRACEPOINT };
/* When a walk loads: with hooks (walk_fds fills their ledger), without
 * (list_fds lists owners instead), or always (walk_tcp). */
enum pl_walk_use { PL_WALK_ALWAYS, PL_WALK_WITH_HOOKS, PL_WALK_WITHOUT_HOOKS };
enum pl_fn_hook { PL_FN_FEXIT, PL_FN_KPROBE, PL_FN_SYSCALL };

struct pl_hook_plan {
	enum pl_hooks_mode mode;
	enum pl_state_hook state;
	enum pl_fn_hook accept;
	enum pl_fn_hook bind;
};

/* The plans to try, in order, for @mode; returns how many. */
size_t hooks__plans(enum pl_hooks_mode mode, const struct pl_hook_plan *plans[PL_MAX_ATTEMPTS]);
/* Before load: autoload on for the plan's programs and its walks, off for
 * every other; with a NULL plan, for the walks that need no hooks only.
 * -ENOENT when the object has a program that hooks.c does not know. */
int hooks__select(struct bpf_object *obj, const struct pl_hook_plan *plan);
/* 0, or -EINVAL if @name is not a mode. */
int hooks__parse(const char *name, enum pl_hooks_mode *mode);
const char *hooks__mode_name(enum pl_hooks_mode mode);
/* The names of the plan's hooks; "none" for a NULL plan. */
const char *hooks__state_name(const struct pl_hook_plan *plan);
const char *hooks__accept_name(const struct pl_hook_plan *plan);
const char *hooks__bind_name(const struct pl_hook_plan *plan);
const char *hooks__fn_name(enum pl_fn_hook hook);
/* One line on what the choice means for a user. */
const char *hooks__accept_note(enum pl_fn_hook hook);
const char *hooks__bind_note(enum pl_fn_hook hook);

#endif
