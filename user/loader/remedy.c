// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "host/netns.h"
#include "host/sockdiag.h"
#include "loader/iter.h"
#include "loader/remedy_user.h"
#include "loader/kernel_btf.h"
#include "doomed.h"
#include "remedy.skel.h"

const char *remedy__name(enum pl_remedy_mech mech)
{
	return mech == PL_REMEDY_KFUNC ? "bpf_sock_destroy" :
	       mech == PL_REMEDY_SOCK_DIAG ? "sock_diag SOCK_DESTROY" : "auto";
}

/* Does the kernel's BTF know the kfunc (6.5+)? */
static bool has_kfunc(void)
{
	return kernel_btf__has("bpf_sock_destroy", BTF_KIND_FUNC);
}

/* Load the program, to know the verifier takes it; NULL with @err set. */
static struct remedy_bpf *load_kfunc(int *err)
{
	struct remedy_bpf *skel = remedy_bpf__open();

	if (!skel) {
		*err = -errno;
		return NULL;
	}
	*err = remedy_bpf__load(skel);
	if (*err) {
		remedy_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static int kfunc_usable(struct pl_why *why)
{
	struct remedy_bpf *skel;
	int err;

	if (!has_kfunc())
		return why__set(why, -ENOTSUP, "this kernel has no bpf_sock_destroy() kfunc (Linux 6.5+)");
	skel = load_kfunc(&err);
	if (!skel)
		return why__set(why, -ENOTSUP, "the kernel refused the bpf_sock_destroy() program: %s",
				strerror(-err));
	remedy_bpf__destroy(skel);
	return 0;
}

static int sock_diag_usable(struct pl_why *why)
{
	int err = sockdiag__probe();

	if (err == -EOPNOTSUPP)
		return why__set(why, -ENOTSUP, "this kernel was built without CONFIG_INET_DIAG_DESTROY (sock_diag cannot destroy sockets)");
	if (err == -ENOENT)
		return why__set(why, -ENOTSUP, "this kernel has no TCP sock_diag (the tcp_diag module is neither built in nor loadable)");
	if (err == -EPERM || err == -EACCES)
		return why__set(why, -EPERM, "destroying sockets over sock_diag needs CAP_NET_ADMIN");
	if (err)
		return why__set(why, -ENOTSUP, "sock_diag failed: %s", strerror(-err));
	return 0;
}

int remedy__choose(enum pl_remedy_mech want, enum pl_remedy_mech *got, struct pl_why *why)
{
	struct pl_why kfunc = { "" }, diag = { "" };
	int err;

	if (want == PL_REMEDY_KFUNC || want == PL_REMEDY_AUTO) {
		err = kfunc_usable(want == PL_REMEDY_KFUNC ? why : &kfunc);
		if (!err || want == PL_REMEDY_KFUNC) {
			*got = PL_REMEDY_KFUNC;
			return err;
		}
	}
	err = sock_diag_usable(want == PL_REMEDY_SOCK_DIAG ? why : &diag);
	*got = PL_REMEDY_SOCK_DIAG;
	if (err && want == PL_REMEDY_AUTO)
		return why__set(why, err, "cannot close sockets: %s; and %s", kfunc.text, diag.text);
	return err;
}

/* The kfunc path in the namespace the thread is in: every pending socket
 * of @netns goes into the map, one walk closes them, results come back. */
static int kfunc_here(struct remedy_bpf *skel, struct bpf_link *link, __u32 netns,
		      struct pl_doom *d, size_t n)
{
	int map = bpf_map__fd(skel->maps.doomed), err;
	struct pl_doomed v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (d[i].rec.tuple.netns != netns || d[i].result != -ENOENT)
			continue;
		v = (struct pl_doomed){ .tuple = d[i].rec.tuple, .state = d[i].rec.state };
		if (bpf_map_update_elem(map, &d[i].rec.sk, &v, BPF_ANY))
			return -errno;
	}
	if ((err = iter__run(link, 1, NULL, NULL)))
		return err;
	for (i = 0; i < n; i++) {
		if (d[i].rec.tuple.netns != netns || d[i].result != -ENOENT ||
		    bpf_map_lookup_elem(map, &d[i].rec.sk, &v))
			continue;
		d[i].result = v.result == PL_DOOM_DESTROYED ? 0 :
			      v.result == PL_DOOM_CHANGED ? -ESTALE :
			      v.result == PL_DOOM_FAILED ? v.err : -ENOENT;
		bpf_map_delete_elem(map, &d[i].rec.sk);
	}
	return 0;
}

static void sock_diag_here(__u32 netns, struct pl_doom *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i].rec.tuple.netns == netns && d[i].result == -ENOENT)
			d[i].result = sockdiag__destroy(&d[i].rec.tuple, d[i].rec.state, d[i].rec.ino);
}

/* Close the chosen sockets of namespace @netns, from inside it. */
static int in_namespace(enum pl_remedy_mech mech, struct remedy_bpf *skel, struct bpf_link *link,
			pid_t pid, __u32 netns, struct pl_doom *d, size_t n)
{
	int fd = netns__open(netns, pid), home, err, left;

	if (fd < 0)
		return 0; /* nobody is in it any more: its sockets stay -ENOENT */
	err = netns__enter(fd, &home);
	close(fd);
	if (err)
		return err;
	if (mech == PL_REMEDY_KFUNC)
		err = kfunc_here(skel, link, netns, d, n);
	else
		sock_diag_here(netns, d, n);
	left = netns__leave(home);
	return left ? left : err; /* never go on in a foreign namespace */
}

/* Each namespace in turn (a process's sockets live in one or a few). */
static int by_namespace(enum pl_remedy_mech mech, struct remedy_bpf *skel,
			struct bpf_link *link, pid_t pid, struct pl_doom *d, size_t n)
{
	__u32 *done = calloc(n + 1, sizeof(*done));
	size_t i, j, n_done = 0;
	int err = done ? 0 : -ENOMEM;

	for (i = 0; i < n && !err; i++) {
		for (j = 0; j < n_done && done[j] != d[i].rec.tuple.netns; j++)
			;
		if (j < n_done)
			continue;
		done[n_done++] = d[i].rec.tuple.netns;
		err = in_namespace(mech, skel, link, pid, d[i].rec.tuple.netns, d, n);
	}
	free(done);
	return err;
}

int remedy__close(enum pl_remedy_mech mech, pid_t pid, struct pl_doom *d, size_t n,
		  struct pl_why *why)
{
	struct remedy_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	size_t i;
	int err = 0;

	for (i = 0; i < n; i++)
		d[i].result = -ENOENT; /* until a walk meets it */
	if (mech == PL_REMEDY_KFUNC) {
		skel = load_kfunc(&err);
		if (!skel)
			return why__set(why, -ENOTSUP, "the kernel refused the bpf_sock_destroy() program: %s",
					strerror(-err));
		link = bpf_program__attach_iter(skel->progs.close_chosen, NULL);
		if (!link) {
			err = -errno;
			remedy_bpf__destroy(skel);
			return why__set(why, -ENOTSUP, "cannot attach the bpf_sock_destroy() iterator: %s",
					strerror(-err));
		}
	}
	for (i = 0; i < n && !err; i += PL_DOOMED_MAX) /* as many as the map holds */
		err = by_namespace(mech, skel, link, pid, d + i,
				   n - i < PL_DOOMED_MAX ? n - i : PL_DOOMED_MAX);
	bpf_link__destroy(link);
	remedy_bpf__destroy(skel);
	if (err)
		return why__set(why, err, "failed while closing sockets: %s", strerror(-err));
	return 0;
}
