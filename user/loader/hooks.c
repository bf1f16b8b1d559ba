// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include <bpf/btf.h>

#include "loader/hooks.h"
#include "portleak.skel.h"

/* Best first: fexit costs a few ns per call, a kretprobe more, and a
 * syscall tracepoint slows every syscall on the host (DESIGN.md 1.4). */
static const struct pl_hook_plan plans[] = {
	{ PL_HOOKS_FEXIT, PL_STATE_TP_BTF, PL_FN_FEXIT, PL_FN_FEXIT },
	{ PL_HOOKS_KPROBE, PL_STATE_TP_BTF, PL_FN_KPROBE, PL_FN_KPROBE },
	{ PL_HOOKS_TRACEPOINT, PL_STATE_TP_BTF, PL_FN_SYSCALL, PL_FN_SYSCALL },
	{ PL_HOOKS_CLASSIC, PL_STATE_TRACEPOINT, PL_FN_SYSCALL, PL_FN_SYSCALL },
};

static const char *const mode_names[] = {
	[PL_HOOKS_AUTO] = "auto",
	[PL_HOOKS_FEXIT] = "fexit",
	[PL_HOOKS_KPROBE] = "kprobe",
	[PL_HOOKS_TRACEPOINT] = "tracepoint",
	[PL_HOOKS_CLASSIC] = "classic",
};

size_t hooks__plans(enum pl_hooks_mode mode, const struct pl_hook_plan **out)
{
	size_t i, n = sizeof(plans) / sizeof(plans[0]);

	if (mode == PL_HOOKS_AUTO) {
		*out = plans;
		return n;
	}
	for (i = 0; i < n; i++)
		if (plans[i].mode == mode)
			break;
	*out = &plans[i];
	/* Forced tracepoints may still fall back to the classic state hook. */
	return mode == PL_HOOKS_TRACEPOINT ? 2 : 1;
}

/* Which signature inet_csk_accept() has (see bpf/core_fixes.bpf.h). */
static bool accept_takes_arg_struct(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool found;

	if (!vmlinux)
		return true;
	found = btf__find_by_name_kind(vmlinux, "proto_accept_arg", BTF_KIND_STRUCT) >= 0;
	btf__free(vmlinux);
	return found;
}

void hooks__select(struct portleak_bpf *skel, const struct pl_hook_plan *plan)
{
	static const struct pl_hook_plan none = { .state = -1, .accept = -1, .bind = -1 };
	typeof(skel->progs) *p = &skel->progs;

	if (!plan)
		plan = &none;
	bpf_program__set_autoload(p->state_btf, plan->state == PL_STATE_TP_BTF);
	bpf_program__set_autoload(p->state_tracepoint, plan->state == PL_STATE_TRACEPOINT);
	bool fexit = plan->accept == PL_FN_FEXIT, new_accept = fexit && accept_takes_arg_struct();

	bpf_program__set_autoload(p->accept_fexit, fexit && new_accept);
	bpf_program__set_autoload(p->accept_fexit_old, fexit && !new_accept);
	bpf_program__set_autoload(p->accept_kretprobe, plan->accept == PL_FN_KPROBE);
	bpf_program__set_autoload(p->accept_exit, plan->accept == PL_FN_SYSCALL);
	bpf_program__set_autoload(p->accept4_exit, plan->accept == PL_FN_SYSCALL);
	bpf_program__set_autoload(p->bind_fexit, plan->bind == PL_FN_FEXIT);
	bpf_program__set_autoload(p->bind_kprobe, plan->bind == PL_FN_KPROBE);
	bpf_program__set_autoload(p->bind_kretprobe, plan->bind == PL_FN_KPROBE);
	bpf_program__set_autoload(p->bind_enter, plan->bind == PL_FN_SYSCALL);
	bpf_program__set_autoload(p->bind_exit, plan->bind == PL_FN_SYSCALL);
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
	return -1;
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
		return "fexit/inet_csk_accept: every accepted socket, io_uring included";
	case PL_FN_KPROBE:
		return "kretprobe/inet_csk_accept: every accepted socket, io_uring included";
	default:
		return "accept/accept4 syscall exit; sockets accepted otherwise (io_uring) are charged to the listener's owner";
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
		return "bind syscall entry+exit: every bind() errno; listen() autobind not seen; costs every syscall ~40 ns";
	}
}
