// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>

#include "portleak.skel.h"
#include "host/conntrack.h"
#include "host/ctnetlink.h"
#include "host/netns.h"
#include "host/procnet.h"
#include "host/sysinfo.h"
#include "loader/agent.h"
#include "loader/iter.h"
#include "loader/maps.h"
#include "loader/walk_user.h"
#include "model/skindex.h"
#include "lib/array.h"

struct fd_list {
	struct pl_ledger_row *rows;
	size_t n, cap;
	struct fd_list *dead; /* NULL: dead sockets go with the others */
	__u64 walked_ns;
};

/* @rec as the MARK pass would enter it in the ledger, but for its state
 * (0, none): the model takes that from the TCP walk, and ages a walked
 * socket from when the walk found it either way. */
static int keep_fd_record(struct fd_list *l, const struct pl_fd_record *rec)
{
	struct pl_ledger_row *row;
	struct pl_socket *s;

	if (rec->dead && l->dead)
		l = l->dead;
	if (array__reserve(&l->rows, &l->cap, l->n + 1, sizeof(*l->rows), 256))
		return -ENOMEM;
	row = &l->rows[l->n++];
	memset(row, 0, sizeof(*row));
	row->sk = rec->sk;
	s = &row->s;
	s->owner = rec->owner;
	s->cgroup_id = rec->cgroup_id;
	memcpy(s->comm, rec->comm, sizeof(s->comm));
	s->origin = PL_ORIGIN_WALK;
	s->created_ns = s->changed_ns = l->walked_ns;
	return 0;
}

static int keep_fd_records(void *ctx, const char *buf, size_t len)
{
	const struct pl_fd_record *rec = (const void *)buf;
	size_t i, n = len / sizeof(*rec);
	int err = 0;

	if (len % sizeof(*rec))
		return -EPROTO; /* the walks write whole records: a layout mismatch */
	for (i = 0; i < n && !err; i++)
		err = keep_fd_record(ctx, &rec[i]);
	return err;
}

static int cmp_row_sk(const void *a, const void *b)
{
	const struct pl_ledger_row *x = a, *y = b;

	return x->sk < y->sk ? -1 : x->sk > y->sk;
}

static void sort_by_sk(struct fd_list *l)
{
	if (l->n)
		qsort(l->rows, l->n, sizeof(*l->rows), cmp_row_sk);
}

void walk__free_fd_rows(struct pl_fd_rows *rows)
{
	free(rows->shared);
	free(rows->dead);
	memset(rows, 0, sizeof(*rows));
}

int walk__fds(struct portleak_bpf *skel, struct pl_fd_rows *out)
{
	__u64 now = sysinfo__now_ns();
	struct fd_list dead = { .walked_ns = now }, l = { .dead = &dead, .walked_ns = now };
	int err;

	/* Generations count from the boot-time millisecond of the first walk,
	 * so a restart on pinned maps never repeats an earlier one. */
	if (!skel->bss->walk_gen)
		skel->bss->walk_gen = (__u32)(sysinfo__now_ns() / 1000000);
	skel->bss->walk_gen++;
	skel->bss->walk_pass = PL_WALK_MARK;
	err = iter__run(skel->links.walk_fds, 1, NULL, NULL);
	if (err)
		return err;
	skel->bss->walk_pass = PL_WALK_ADOPT;
	err = iter__run(skel->links.walk_fds, sizeof(struct pl_fd_record), keep_fd_records, &l);
	if (err) {
		free(l.rows);
		free(dead.rows);
		return err;
	}
	sort_by_sk(&l);
	walk__free_fd_rows(out);
	*out = (struct pl_fd_rows){ .shared = l.rows, .n_shared = l.n,
				    .dead = dead.rows, .n_dead = dead.n };
	return 0;
}

/* The first holder of each socket, as the MARK pass keeps it (the walk
 * visits processes in the same order), and the index of them that the
 * model would make: here it is off the TCP walk's path. Every holder of
 * a socket that more than one process holds goes to @shared too. */
static int first_holders(struct fd_list *l, struct pl_skindex *index, struct fd_list *shared)
{
	const struct pl_ledger_row *first;
	size_t i, kept = 0;

	if (skindex__init(index, l->n))
		return -ENOMEM;
	for (i = 0; i < l->n; i++) {
		if (skindex__add(index, l->rows[i].sk, &l->rows[kept])) {
			l->rows[kept++] = l->rows[i];
			continue;
		}
		first = skindex__find(index, l->rows[i].sk);
		if (array__reserve(&shared->rows, &shared->cap, shared->n + 2,
				   sizeof(*shared->rows), 256)) {
			skindex__free(index);
			return -ENOMEM;
		}
		shared->rows[shared->n++] = l->rows[i];
		shared->rows[shared->n++] = *first;
	}
	l->n = kept;
	sort_by_sk(shared);
	return 0;
}

/* The listing fd walk: into @m's ledger rows, each socket under its first
 * holder, and their index; every holder of a shared socket into @m's
 * holders. */
static int list_holders(struct portleak_bpf *skel, struct pl_maps *m)
{
	__u64 now = sysinfo__now_ns();
	struct fd_list dead = { .walked_ns = now }, l = { .dead = &dead, .walked_ns = now };
	struct fd_list shared = { 0 };
	struct pl_skindex made;
	int err;

	err = iter__run(skel->links.list_fds, sizeof(struct pl_fd_record), keep_fd_records, &l);
	if (!err)
		err = first_holders(&l, &made, &shared);
	if (err) {
		free(l.rows);
		free(shared.rows);
		free(dead.rows);
		return err;
	}
	free(m->ledger);
	skindex__free(&m->ledger_index);
	free(m->holders);
	free(m->dead);
	m->ledger = l.rows;
	m->n_ledger = l.n;
	m->ledger_index = made;
	m->holders = shared.rows;
	m->n_holders = shared.n;
	m->dead = dead.rows;
	m->n_dead = dead.n;
	return 0;
}

int walk__fill_ledger_gaps(struct pl_agent *agent, struct pl_maps *m)
{
	struct pl_maps list = { 0 };
	struct pl_ledger_row *listed;
	struct pl_skindex have;
	size_t n, i, cap = m->n_ledger, gaps = 0;
	int err = 0;
	struct portleak_bpf *skel = agent__fd_walker(agent, &err);

	if (!skel)
		return err;
	if ((err = list_holders(skel, &list)))
		return err;
	listed = list.ledger;
	n = list.n_ledger;
	skindex__free(&list.ledger_index);
	free(list.holders);
	free(list.dead);
	if (!(err = skindex__of_rows(&have, m->ledger, m->n_ledger, sizeof(*m->ledger),
				     offsetof(struct pl_ledger_row, sk)))) {
		for (i = 0; i < n; i++)
			if (!skindex__find(&have, listed[i].sk))
				listed[gaps++] = listed[i];
		skindex__free(&have);
	}
	if (!err && gaps &&
	    array__reserve(&m->ledger, &cap, m->n_ledger + gaps, sizeof(*m->ledger), 256))
		err = -ENOMEM;
	if (!err) {
		memcpy(m->ledger + m->n_ledger, listed, gaps * sizeof(*listed));
		m->n_ledger += gaps;
		skindex__free(&m->ledger_index); /* the model indexes the rows anew */
	}
	free(listed);
	return err;
}

struct list_job {
	struct pl_agent *agent;
	struct pl_maps *m;
	int err;
};

static void *list_fds(void *arg)
{
	struct list_job *job = arg;
	struct portleak_bpf *skel = agent__fd_walker(job->agent, &job->err);

	if (skel)
		job->err = list_holders(skel, job->m);
	return NULL;
}

int walk__list_fds_and_tcp(struct pl_agent *agent, struct pl_maps *m, unsigned int flags,
			   struct pl_tcp_walk *w)
{
	struct list_job job = { agent, m, 0 };
	pthread_t thread;
	bool apart = pthread_create(&thread, NULL, list_fds, &job) == 0;
	int err;

	if (!apart)
		list_fds(&job);
	err = walk__tcp(agent->skel, flags, w);
	if (apart)
		pthread_join(thread, NULL);
	return err ? err : job.err;
}

static int keep_records(void *ctx, const char *buf, size_t len)
{
	struct pl_tcp_walk *w = ctx;
	size_t n = len / sizeof(struct pl_tcp_record);

	/* Each run of walk_tcp writes one whole record, and reads ask for
	 * whole records: a partial one means a layout mismatch. */
	if (len % sizeof(struct pl_tcp_record))
		return -EPROTO;
	if (array__reserve(&w->recs, &w->cap, w->n + n, sizeof(*w->recs), 256))
		return -ENOMEM;
	memcpy(w->recs + w->n, buf, n * sizeof(*w->recs));
	w->n += n;
	return 0;
}

bool walk__has_netns(const struct pl_tcp_walk *w, __u32 inum)
{
	size_t i;

	for (i = 0; i < w->n_netns; i++)
		if (w->netns[i].inum == inum)
			return true;
	return false;
}

/* The reserved ports of the namespace the thread is in; NULL when none
 * are (the usual case: no bitmap to keep) or they cannot be read. */
static const __u64 *reserved_ports(void)
{
	__u64 *bits = malloc(PL_PORT_WORDS * sizeof(*bits));

	if (bits && sysinfo__reserved_ports(bits) > 0)
		return bits;
	free(bits);
	return NULL;
}

/* tcp_tw_reuse of the namespace the thread is in (off when unreadable),
 * and the age past which it applies (1 s before 6.13 made it a sysctl). */
static void tw_reuse(struct pl_netns *ns)
{
	long v;

	ns->tw_reuse = sysinfo__sysctl("/proc/sys/net/ipv4/tcp_tw_reuse", &v) ? 0 : (__s8)v;
	ns->tw_reuse_delay_ms =
		sysinfo__sysctl("/proc/sys/net/ipv4/tcp_tw_reuse_delay", &v) || v < 0 || v > 65535
			? 1000
			: (__u16)v;
}

/* The conntrack table of the namespace the thread is in, if it has one. */
static void conntrack(struct pl_conntrack *ct)
{
	struct pl_conntrack_counters c;

	ct->present = conntrack__size(&ct->count, &ct->max) == 0;
	if (ct->present && conntrack__counters(&c) == 0) {
		ct->drop = c.drop;
		ct->early_drop = c.early_drop;
		ct->insert_failed = c.insert_failed;
	}
}

#define NAT_DUMP_MS 1000 /* a namespace's table, at most */

struct nat_dump {
	struct pl_tcp_walk *w;
	__u32 inum;
};

/* Keep a TCP entry that source NAT rewrote (its reply goes to the
 * address and port NAT gave it): the sockets portleak walks are TCP's. */
static int keep_nat(const struct pl_ct_row *row, void *ctx)
{
	struct nat_dump *d = ctx;
	struct pl_tcp_walk *w = d->w;
	struct pl_nat_entry *e;

	if (!(row->status & IPS_SRC_NAT) || row->proto != IPPROTO_TCP)
		return 0;
	if (w->n_nat == PL_WALK_NAT_MAX) {
		w->nat_left_out++;
		return 0;
	}
	if (array__reserve(&w->nat, &w->cap_nat, w->n_nat + 1, sizeof(*w->nat), 64))
		return -ENOMEM;
	e = &w->nat[w->n_nat++];
	*e = (struct pl_nat_entry){ .orig = row->orig, .nat_port = row->reply.dport,
				    .proto = row->proto, .tcp_state = row->tcp_state };
	e->orig.netns = d->inum;
	memcpy(e->nat_addr, row->reply.daddr, PL_ADDR_LEN);
	return 0;
}

/* The source-NAT entries of the namespace the thread is in, when its
 * table has any entry at all (a namespace without one costs nothing). */
static void dump_nat(struct pl_tcp_walk *w, const struct pl_netns *ns)
{
	if (ns->conntrack.present && ns->conntrack.count &&
	    ctnetlink__dump(NAT_DUMP_MS, keep_nat, &(struct nat_dump){ w, ns->inum }))
		w->nat_cut++;
}

static int add_netns(struct pl_tcp_walk *w, __u32 inum, bool kernel_counts)
{
	size_t cap = w->cap_netns, cap_kernel = w->kernel ? w->cap_netns : 0;

	/* The two grow alike, so one capacity holds for both. */
	if (array__reserve(&w->netns, &cap, w->n_netns + 1, sizeof(*w->netns), 16) ||
	    (kernel_counts && array__reserve(&w->kernel, &cap_kernel, w->n_netns + 1,
					     sizeof(*w->kernel), 16)))
		return -ENOMEM;
	w->cap_netns = cap;
	w->netns[w->n_netns] = (struct pl_netns){ .inum = inum };
	sysinfo__port_range(&w->netns[w->n_netns].port_low,
			    &w->netns[w->n_netns].port_high);
	w->netns[w->n_netns].reserved = reserved_ports();
	tw_reuse(&w->netns[w->n_netns]);
	conntrack(&w->netns[w->n_netns].conntrack);
	w->n_netns++;
	return 0;
}

/* Walk the namespace the thread is in. */
static int walk_here(struct portleak_bpf *skel, struct pl_tcp_walk *w,
		     __u32 inum, unsigned int flags)
{
	bool kernel_counts = flags & PL_WALK_KERNEL_COUNTS;
	struct pl_kernel_counts *k;
	int err = add_netns(w, inum, kernel_counts);

	if (err)
		return err;
	if (flags & PL_WALK_NAT)
		dump_nat(w, &w->netns[w->n_netns - 1]);
	k = kernel_counts ? &w->kernel[w->n_netns - 1] : NULL;
	if (k && (err = procnet__count_states(k->before)))
		return err;
	err = iter__run(skel->links.walk_tcp, sizeof(struct pl_tcp_record), keep_records, w);
	if (!err && k)
		err = procnet__count_states(k->after);
	return err;
}

/* iter/tcp lists the namespace of the task that creates the iterator, so
 * enter each namespace once to create one there. */
static int walk_netns(struct portleak_bpf *skel, struct pl_tcp_walk *w,
		      const char *path, int home, unsigned int flags)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : home, err = 0;
	struct stat st;

	if (fd < 0)
		return 0; /* the process is gone: nothing to walk */
	if (fstat(fd, &st) || walk__has_netns(w, (__u32)st.st_ino))
		goto out;
	if (fd != home && setns(fd, CLONE_NEWNET)) {
		w->netns_failed++;
		goto out;
	}
	err = walk_here(skel, w, (__u32)st.st_ino, flags);
	if (fd != home && setns(home, CLONE_NEWNET))
		err = -errno; /* we entered it, so we can leave; never go on elsewhere */
out:
	if (fd != home)
		close(fd);
	return err;
}

struct walk_ctx {
	struct portleak_bpf *skel;
	struct pl_tcp_walk *w;
	int home;
	unsigned int flags;
};

static int walk_path(const char *path, void *ctx)
{
	struct walk_ctx *c = ctx;

	return walk_netns(c->skel, c->w, path, c->home, c->flags);
}

int walk__tcp(struct portleak_bpf *skel, unsigned int flags, struct pl_tcp_walk *w)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), err;
	bool all_netns = flags & PL_WALK_ALL_NETNS;

	memset(w, 0, sizeof(*w));
	if (home < 0)
		return -errno;
	skel->bss->walk_ino = !!(flags & PL_WALK_INODES);
	err = walk_netns(skel, w, NULL, home, flags);
	if (!err && all_netns)
		err = netns__each(walk_path, &(struct walk_ctx){ skel, w, home, flags });
	close(home);
	return err;
}

void walk__free(struct pl_tcp_walk *w)
{
	size_t i;

	for (i = 0; i < w->n_netns; i++)
		free((void *)w->netns[i].reserved);
	free(w->recs);
	free(w->netns);
	free(w->kernel);
	free(w->nat);
	memset(w, 0, sizeof(*w));
}
