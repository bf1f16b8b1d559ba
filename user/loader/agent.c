// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader/agent.h"
#include "loader/pin.h"
#include "loader/kernel_btf.h"
#include "portleak.skel.h"

static bool libbpf_verbose;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!libbpf_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Hash maps whose elements are allocated when inserted, from the BPF
 * memory allocator (6.1, commit 7c8199e24fa0), which is safe in any
 * context. Before it, the kernel warns against that in tracing programs:
 * those kernels keep preallocated maps. */
static bool kernel_allocates_hash_elements(void)
{
	return kernel_btf__has("bpf_mem_alloc", BTF_KIND_STRUCT);
}

/* With elements allocated on insert, a larger ledger costs 16 bytes a
 * slot (its hash buckets) until used: the default, or twice the sockets
 * the host has now, whichever is more, so that no host outgrows it at
 * first sight. */
static __u32 ledger_room(__u64 host_sockets)
{
	__u64 room = PL_LEDGER_DEFAULT;

	while (room < 2 * host_sockets && room < PL_LEDGER_MAX)
		room *= 2;
	return (__u32)room;
}

/* The hash maps that a traced host fills. */
#define GROWING_MAPS 10
static void growing_maps(struct portleak_bpf *skel, struct bpf_map *out[GROWING_MAPS])
{
	struct bpf_map *growing[GROWING_MAPS] = {
		skel->maps.ledger, skel->maps.owners,	  skel->maps.timewait,
		skel->maps.fails,  skel->maps.dest_fails, skel->maps.stacks,
		skel->maps.origins, skel->maps.listeners, skel->maps.bind_args,
		skel->maps.call_args,
	};

	memcpy(out, growing, sizeof(growing));
}

/* Each map at its smallest, and no question to the kernel. */
static int shrink_maps(struct portleak_bpf *skel)
{
	struct bpf_map *growing[GROWING_MAPS];
	int err = bpf_map__set_max_entries(skel->maps.armed, 1);
	size_t i;

	growing_maps(skel, growing);
	for (i = 0; !err && i < GROWING_MAPS; i++)
		err = bpf_map__set_max_entries(growing[i], 1);
	return err ? err : bpf_map__set_max_entries(skel->maps.events, (__u32)getpagesize());
}

static int size_maps(struct portleak_bpf *skel, const struct pl_agent_config *cfg)
{
	struct bpf_map *growing[GROWING_MAPS];
	int err = 0;
	size_t i;

	if (cfg->ledger_size)
		err = bpf_map__set_max_entries(skel->maps.ledger, cfg->ledger_size);
	else if (kernel_allocates_hash_elements())
		err = bpf_map__set_max_entries(skel->maps.ledger, ledger_room(cfg->host_sockets));
	if (!err && cfg->events_bytes)
		err = bpf_map__set_max_entries(skel->maps.events, cfg->events_bytes);
	growing_maps(skel, growing);
	for (i = 0; !err && kernel_allocates_hash_elements() && i < GROWING_MAPS; i++)
		err = bpf_map__set_map_flags(growing[i],
					     bpf_map__map_flags(growing[i]) | BPF_F_NO_PREALLOC);
	return err;
}

/* With hooks: @plan's programs, and maps sized for the host. */
static int select_plan(struct portleak_bpf *skel, const struct pl_agent_config *cfg,
		       const struct pl_hook_plan *plan)
{
	int err = hooks__select(skel->obj, plan);

	skel->rodata->pl_stacks_mode = cfg->stacks;
	return err ? err : size_maps(skel, cfg);
}

/* Walk-only: one of the walks, @skip being the other's program (each loads
 * in an object of its own: struct pl_fd_walker). No program writes a map
 * (the walks write their output to the reader). */
static int select_walk(struct portleak_bpf *skel, struct bpf_program *skip)
{
	int err = hooks__select(skel->obj, NULL);

	skel->rodata->pl_stacks_mode = PL_STACKS_OFF;
	if (!err)
		err = bpf_program__set_autoload(skip, false);
	return err ? err : shrink_maps(skel);
}

/* Walk-only: load the fd walk alone (struct pl_fd_walker). */
static void load_fd_walker(struct pl_fd_walker *w)
{
	struct portleak_bpf *skel = portleak_bpf__open();
	int err = skel ? select_walk(skel, skel->progs.walk_tcp) : -errno;

	if (!err)
		err = portleak_bpf__load(skel);
	if (!err)
		err = portleak_bpf__attach(skel);
	if (err) {
		portleak_bpf__destroy(skel);
		skel = NULL;
	}
	w->skel = skel;
	w->err = err;
}

/* One plan, start to finish. On failure everything is undone. */
static int try_plan(struct pl_agent *a, const struct pl_agent_config *cfg,
		    const struct pl_hook_plan *plan)
{
	struct pl_attempt *why = &a->failed[a->n_failed];
	int err;

	why->plan = plan;
	why->stage = "open";
	a->skel = portleak_bpf__open();
	if (!a->skel) {
		err = -errno;
		goto fail;
	}
	err = cfg->walk_only ? select_walk(a->skel, a->skel->progs.list_fds)
			     : select_plan(a->skel, cfg, plan);
	if (!err && cfg->pin_dir)
		err = pin__use(a->skel, cfg->pin_dir);
	if (!err) {
		why->stage = "load";
		err = portleak_bpf__load(a->skel);
	}
	if (!err) {
		why->stage = "attach";
		err = portleak_bpf__attach(a->skel);
	}
	if (!err && cfg->pin_dir) {
		why->stage = "pin";
		err = pin__stamp(cfg->pin_dir);
	}
	if (!err) {
		a->plan = cfg->walk_only ? NULL : plan;
		return 0;
	}
fail:
	why->err = err;
	a->n_failed++;
	portleak_bpf__destroy(a->skel);
	a->skel = NULL;
	return err;
}

int agent__start(struct pl_agent *a, const struct pl_agent_config *cfg)
{
	const struct pl_hook_plan *plans[PL_MAX_ATTEMPTS];
	size_t i, n;
	int err = -ENOENT;

	memset(a, 0, sizeof(*a));
	libbpf_verbose = cfg->verbose;
	libbpf_set_print(libbpf_log);
	n = hooks__plans(cfg->hooks, plans);
	for (i = 0; i < n; i++) {
		err = try_plan(a, cfg, plans[i]);
		if (!err)
			break;
	}
	kernel_btf__release(); /* what the plans asked; a long-running agent keeps no copy */
	if (err)
		return err;
	err = failures__open(&a->failures, bpf_map__fd(a->skel->maps.events));
	if (err)
		agent__stop(a);
	return err;
}

struct portleak_bpf *agent__fd_walker(struct pl_agent *a, int *err)
{
	*err = 0;
	if (!a->fds.skel && !a->fds.err)
		load_fd_walker(&a->fds);
	*err = a->fds.err;
	return a->fds.skel;
}

__u32 agent__ledger_size(const struct pl_agent *a)
{
	return a->plan ? bpf_map__max_entries(a->skel->maps.ledger) : 0;
}

size_t agent__prog_stats(const struct pl_agent *a, struct pl_prog_stat *out)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, a->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || n == PL_MAX_PROGS || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		out[n++] = (struct pl_prog_stat){ bpf_program__name(prog), info.run_time_ns,
						  info.run_cnt, info.recursion_misses };
	}
	return n;
}

__u64 agent__missed_runs(const struct pl_agent *a)
{
	struct pl_prog_stat progs[PL_MAX_PROGS];
	size_t i, n = agent__prog_stats(a, progs);
	__u64 missed = 0;

	for (i = 0; i < n; i++)
		missed += progs[i].missed;
	return missed;
}

bool agent__has_task_pt_regs(void)
{
	return kernel_btf__has_enum_value("bpf_func_id", "BPF_FUNC_task_pt_regs");
}

void agent__stack_maps(const struct pl_agent *a, __u32 *stacks, __u32 *origins)
{
	*stacks = a->skel ? bpf_map__max_entries(a->skel->maps.stacks) : 0;
	*origins = a->skel ? bpf_map__max_entries(a->skel->maps.origins) : 0;
}

void agent__stop(struct pl_agent *a)
{
	portleak_bpf__destroy(a->fds.skel);
	a->fds = (struct pl_fd_walker){ 0 };
	failures__close(&a->failures);
	portleak_bpf__destroy(a->skel);
	a->skel = NULL;
}
