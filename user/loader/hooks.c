// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader/hooks.h"
#include "loader/kernel_btf.h"

/* Best first: fexit costs a few ns per call, a kretprobe more, and a
 * syscall tracepoint slows every syscall on the host (about 40 ns each,
 * measured: getppid 125 -> 164 ns).
 * Indexed by mode. */
static const struct pl_hook_plan plans[] = {
	[PL_HOOKS_FEXIT] = { PL_HOOKS_FEXIT, PL_STATE_TP_BTF, PL_FN_FEXIT, PL_FN_FEXIT },
	[PL_HOOKS_KPROBE] = { PL_HOOKS_KPROBE, PL_STATE_TP_BTF, PL_FN_KPROBE, PL_FN_KPROBE },
	[PL_HOOKS_TRACEPOINT] = { PL_HOOKS_TRACEPOINT, PL_STATE_TP_BTF, PL_FN_SYSCALL, PL_FN_SYSCALL },
	[PL_HOOKS_CLASSIC] = { PL_HOOKS_CLASSIC, PL_STATE_TRACEPOINT, PL_FN_SYSCALL, PL_FN_SYSCALL },
};

/* The plans each mode tries, in order; PL_HOOKS_AUTO (0) ends a list. */
static const enum pl_hooks_mode tries[][PL_MAX_ATTEMPTS] = {
	[PL_HOOKS_AUTO] = { PL_HOOKS_FEXIT, PL_HOOKS_KPROBE, PL_HOOKS_TRACEPOINT, PL_HOOKS_CLASSIC },
	[PL_HOOKS_FEXIT] = { PL_HOOKS_FEXIT },
	[PL_HOOKS_KPROBE] = { PL_HOOKS_KPROBE },
	/* Forced tracepoints may still fall back to the classic state hook. */
	[PL_HOOKS_TRACEPOINT] = { PL_HOOKS_TRACEPOINT, PL_HOOKS_CLASSIC },
	[PL_HOOKS_CLASSIC] = { PL_HOOKS_CLASSIC },
};

_Static_assert(sizeof(plans) / sizeof(plans[0]) == PL_NR_HOOK_MODES,
	       "one plan per mode but auto");
_Static_assert(sizeof(tries) / sizeof(tries[0]) == PL_NR_HOOK_MODES,
	       "a list of plans for every mode");
_Static_assert(PL_NR_HOOK_MODES - 1 <= PL_MAX_ATTEMPTS, "auto tries every plan");

static const char *const mode_names[] = {
	[PL_HOOKS_AUTO] = "auto",
	[PL_HOOKS_FEXIT] = "fexit",
	[PL_HOOKS_KPROBE] = "kprobe",
	[PL_HOOKS_TRACEPOINT] = "tracepoint",
	[PL_HOOKS_CLASSIC] = "classic",
};

/* Which signature inet_csk_accept() has (see bpf/core_fixes.bpf.h). */
static bool accept_takes_arg_struct(void)
{
	return kernel_btf__has("proto_accept_arg", BTF_KIND_STRUCT);
}

static bool accept_takes_flags(void)
{
	return !accept_takes_arg_struct();
}

/* Every BPF program, the hook it serves, the variant of that hook, and
 * what the kernel must have besides. A program loads when the plan uses
 * its variant; a walk by whether there is a plan (walk-only mode has none,
 * and loads walks alone). A program of the object with no row here fails
 * every plan: adding a hook is one .bpf.c function and one row. */
static const struct pl_prog_row {
	const char *prog;
	enum pl_hook hook;
	int variant;              /* enum pl_state_hook, pl_fn_hook or pl_walk_use */
	bool (*kernel_has)(void); /* NULL: nothing more */
} progs[] = {
	{ "state_btf", PL_HOOK_STATE, PL_STATE_TP_BTF, NULL },
	{ "state_tracepoint", PL_HOOK_STATE, PL_STATE_TRACEPOINT, NULL },
	{ "accept_fexit", PL_HOOK_ACCEPT, PL_FN_FEXIT, accept_takes_arg_struct },
	{ "accept_fexit_old", PL_HOOK_ACCEPT, PL_FN_FEXIT, accept_takes_flags },
	{ "accept_kretprobe", PL_HOOK_ACCEPT, PL_FN_KPROBE, NULL },
	{ "accept_exit", PL_HOOK_ACCEPT, PL_FN_SYSCALL, NULL },
	{ "accept4_exit", PL_HOOK_ACCEPT, PL_FN_SYSCALL, NULL },
	{ "bind_fexit", PL_HOOK_BIND, PL_FN_FEXIT, NULL },
	{ "bind_kprobe", PL_HOOK_BIND, PL_FN_KPROBE, NULL },
	{ "bind_kretprobe", PL_HOOK_BIND, PL_FN_KPROBE, NULL },
	{ "bind_exit", PL_HOOK_BIND, PL_FN_SYSCALL, NULL },
	{ "connect_fexit", PL_HOOK_ACCEPT, PL_FN_FEXIT, NULL },
	{ "connect_kprobe", PL_HOOK_ACCEPT, PL_FN_KPROBE, NULL },
	{ "connect_kretprobe", PL_HOOK_ACCEPT, PL_FN_KPROBE, NULL },
	{ "connect_exit", PL_HOOK_ACCEPT, PL_FN_SYSCALL, NULL },
	{ "accept_fail_fexit", PL_HOOK_ACCEPT, PL_FN_FEXIT, NULL },
	{ "accept_fail_kprobe", PL_HOOK_ACCEPT, PL_FN_KPROBE, NULL },
	{ "accept_fail_kretprobe", PL_HOOK_ACCEPT, PL_FN_KPROBE, NULL },
	{ "walk_fds", PL_HOOK_WALK, PL_WALK_WITH_HOOKS, NULL },
	{ "list_fds", PL_HOOK_WALK, PL_WALK_WITHOUT_HOOKS, NULL },
	{ "walk_tcp", PL_HOOK_WALK, PL_WALK_ALWAYS, NULL },
};

size_t hooks__plans(enum pl_hooks_mode mode, const struct pl_hook_plan *out[PL_MAX_ATTEMPTS])
{
	size_t n = 0;

	while (n < PL_MAX_ATTEMPTS && tries[mode][n] != PL_HOOKS_AUTO) {
		out[n] = &plans[tries[mode][n]];
		n++;
	}
	return n;
}

static bool plan_uses(const struct pl_hook_plan *plan, const struct pl_prog_row *row)
{
	switch (row->hook) {
	case PL_HOOK_WALK:
		return row->variant == PL_WALK_ALWAYS ||
		       (row->variant == PL_WALK_WITH_HOOKS) == (plan != NULL);
	case PL_HOOK_STATE:
		return plan && (int)plan->state == row->variant;
	case PL_HOOK_ACCEPT:
		return plan && (int)plan->accept == row->variant;
	default:
		return plan && (int)plan->bind == row->variant;
	}
}

static const struct pl_prog_row *row_of(const char *prog)
{
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (!strcmp(progs[i].prog, prog))
			return &progs[i];
	return NULL;
}

int hooks__select(struct bpf_object *obj, const struct pl_hook_plan *plan)
{
	const struct pl_prog_row *row;
	struct bpf_program *prog;
	bool on;

	bpf_object__for_each_program(prog, obj) {
		row = row_of(bpf_program__name(prog));
		if (!row)
			return -ENOENT;
		on = plan_uses(plan, row) && (!row->kernel_has || row->kernel_has());
		bpf_program__set_autoload(prog, on);
	}
	return 0;
}

int hooks__parse(const char *name, enum pl_hooks_mode *mode)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(name, mode_names[i]) == 0) {
			*mode = (enum pl_hooks_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *hooks__mode_name(enum pl_hooks_mode mode)
{
	return mode_names[mode];
}

const char *hooks__state_name(const struct pl_hook_plan *plan)
{
	if (!plan)
		return "none";
	return plan->state == PL_STATE_TP_BTF ? "tp_btf" : "tracepoint";
}

const char *hooks__accept_name(const struct pl_hook_plan *plan)
{
	return plan ? hooks__fn_name(plan->accept) : "none";
}

const char *hooks__bind_name(const struct pl_hook_plan *plan)
{
	return plan ? hooks__fn_name(plan->bind) : "none";
}

const char *hooks__fn_name(enum pl_fn_hook hook)
{
	switch (hook) {
	case PL_FN_FEXIT:
		return "fexit";
	case PL_FN_KPROBE:
		return "kprobe";
	default:
		return "syscall";
	}
}

const char *hooks__accept_note(enum pl_fn_hook hook)
{
	switch (hook) {
	case PL_FN_FEXIT:
		return "fexit/inet_csk_accept: every accepted socket, io_uring included; failed accept() and connect() at fexit/__sys_accept4, __sys_connect";
	case PL_FN_KPROBE:
		return "kretprobe/inet_csk_accept: every accepted socket, io_uring included; failed accept() and connect() at kretprobe/__sys_accept4, __sys_connect";
	default:
		return "accepted sockets charged to their listener's owner by the state hook; the accept/accept4 syscall exit looks one up only for a process whose stacks are captured, and the fd walk corrects one another process accepts (within 10 s); failed accept() and connect() at their syscall exits";
	}
}

const char *hooks__bind_note(enum pl_fn_hook hook)
{
	switch (hook) {
	case PL_FN_FEXIT:
		return "fexit/inet_csk_get_port: EADDRINUSE from bind() and listen() autobind";
	case PL_FN_KPROBE:
		return "kprobe+kretprobe/inet_csk_get_port: EADDRINUSE from bind() and listen() autobind";
	default:
		return "bind syscall exit: every bind() errno; listen() autobind not seen; costs every syscall ~40 ns";
	}
}
