// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak snapshot --verify: reconcile what portleak would report with the
 * kernel's own view through /proc.
 *  - per network namespace and state, the sockets portleak lists equal the
 *    lines of /proc/net/tcp and tcp6 (TIME_WAIT and SYN_RECV included);
 *  - every socket in some process's fd table is charged to a process that
 *    holds it (/proc/PID/fd).
 * With -d, portleak traces first, so the ledger checked is the one its hooks
 * kept. Sockets come and go while this runs, so a mismatch counts only if the
 * same one is seen in every attempt, and a state is compared only when the
 * kernel's count did not move while portleak walked it. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "host/procnet.h"
#include "model/names.h"
#include "model/skindex.h"

#define ATTEMPTS 3
#define MAX_MISMATCHES 64

struct mismatch {
	__u64 key; /* netns << 8 | state, or the socket inode */
	bool is_socket;
	char text[200];
};

struct check {
	struct mismatch found[MAX_MISMATCHES];
	size_t n_found;  /* kept, at most MAX_MISMATCHES */
	size_t n_more;   /* past MAX_MISMATCHES */
	size_t states;   /* (netns, state) counts compared */
	size_t unstable; /* not compared: the kernel's count moved */
	size_t sockets, held, charged_ok;
};

static void add(struct check *c, __u64 key, bool is_socket, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(struct check *c, __u64 key, bool is_socket, const char *fmt, ...)
{
	struct mismatch *m;
	va_list ap;

	if (c->n_found == MAX_MISMATCHES) {
		c->n_more++;
		return;
	}
	m = &c->found[c->n_found++];
	m->key = key;
	m->is_socket = is_socket;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
}

static void check_states(const struct pl_tcp_walk *w, struct check *c)
{
	__u64 mine[PL_TCP_NR_STATES];
	const struct pl_kernel_counts *k;
	size_t i, r;
	unsigned int s;

	for (i = 0; i < w->n_netns; i++) {
		memset(mine, 0, sizeof(mine));
		for (r = 0; r < w->n; r++)
			if (w->recs[r].tuple.netns == w->netns[i].inum &&
			    w->recs[r].state < PL_TCP_NR_STATES)
				mine[w->recs[r].state]++;
		k = &w->kernel[i];
		for (s = 1; s < PL_TCP_NR_STATES; s++) {
			if (k->before[s] != k->after[s]) {
				c->unstable++;
				continue;
			}
			c->states++;
			if (mine[s] != k->before[s])
				add(c, (__u64)w->netns[i].inum << 8 | s, false,
				    "netns %u %s: portleak %llu, /proc/net/tcp %llu",
				    w->netns[i].inum, names__tcp_state(s),
				    (unsigned long long)mine[s],
				    (unsigned long long)k->before[s]);
		}
	}
}

static bool held_by(const struct pl_holder *h, size_t n, __u32 pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (h[i].pid == pid)
			return true;
	return false;
}

static void check_owner(const struct pl_tcp_record *rec, const struct pl_skindex *ledger,
			const struct pl_holder *h, size_t n_h, struct check *c)
{
	const struct pl_ledger_row *row = skindex__find(ledger, rec->sk);
	char where[2 * PL_ENDPOINT_LEN + 4], local[PL_ENDPOINT_LEN], peer[PL_ENDPOINT_LEN];
	char comm[4 * PL_COMM_LEN + 1];

	c->held++;
	if (row && held_by(h, n_h, row->s.owner.tgid)) {
		c->charged_ok++;
		return;
	}
	names__endpoint(rec->tuple.family, rec->tuple.saddr, rec->tuple.sport, local, sizeof(local));
	names__endpoint(rec->tuple.family, rec->tuple.daddr, rec->tuple.dport, peer, sizeof(peer));
	snprintf(where, sizeof(where), "%s->%s", local, peer);
	if (!row) {
		add(c, rec->ino, true, "socket:[%llu] %s %s held by pid %u: charged to no one",
		    (unsigned long long)rec->ino, where, names__tcp_state(rec->state), h[0].pid);
		return;
	}
	names__printable(row->s.comm, strnlen(row->s.comm, PL_COMM_LEN), comm, sizeof(comm));
	add(c, rec->ino, true, "socket:[%llu] %s %s held by pid %u: charged to pid %u (%s)",
	    (unsigned long long)rec->ino, where, names__tcp_state(rec->state), h[0].pid,
	    row->s.owner.tgid, comm);
}

static int check_owners(const struct pl_tcp_walk *w, const struct pl_maps *m,
			const struct pl_holder *h, size_t n_h, struct check *c)
{
	const struct pl_holder *holders;
	struct pl_skindex ledger;
	size_t r, n;

	if (skindex__of_rows(&ledger, m->ledger, m->n_ledger, sizeof(*m->ledger),
			     offsetof(struct pl_ledger_row, sk)))
		return -ENOMEM;
	for (r = 0; r < w->n; r++) {
		if (w->recs[r].kind != PL_REC_FULL)
			continue;
		c->sockets++;
		holders = w->recs[r].ino ? procnet__find(h, n_h, w->recs[r].ino, &n) : NULL;
		if (holders)
			check_owner(&w->recs[r], &ledger, holders, n, c);
	}
	skindex__free(&ledger);
	return 0;
}

/* One look: the owners walk, the ledger, the sockets, the kernel's view. */
static int look(struct pl_tracker *t, struct check *c)
{
	struct pl_holder *h = NULL;
	struct pl_tcp_walk w;
	struct pl_maps m;
	size_t n_h = 0;
	int err;

	memset(c, 0, sizeof(*c));
	err = tracker__look(t, PL_WALK_KERNEL_COUNTS | PL_WALK_INODES, &m, &w);
	if (!err)
		err = procnet__holders(&h, &n_h);
	if (!err) {
		check_states(&w, c);
		err = check_owners(&w, &m, h, n_h, c);
	}
	free(h);
	walk__free(&w);
	maps__free(&m);
	return err;
}

/* Keep in @kept only the mismatches that @now has too. */
static void keep_repeated(struct check *kept, const struct check *now)
{
	size_t i, j, n = 0;

	for (i = 0; i < kept->n_found; i++)
		for (j = 0; j < now->n_found; j++)
			if (kept->found[i].key == now->found[j].key &&
			    kept->found[i].is_socket == now->found[j].is_socket) {
				kept->found[n++] = now->found[j];
				break;
			}
	kept->n_found = n;
	kept->n_more = kept->n_more < now->n_more ? kept->n_more : now->n_more;
}

static size_t count_kind(const struct check *c, bool is_socket)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_found; i++)
		n += c->found[i].is_socket == is_socket;
	return n;
}

/* @c: the mismatches seen in every look; @last: the counts of the last. */
static void print(const struct check *c, const struct check *last, int looks)
{
	size_t i;

	for (i = 0; i < c->n_found; i++)
		printf("verify: MISMATCH %s\n", c->found[i].text);
	if (c->n_more)
		printf("verify: MISMATCH ... and %zu more\n", c->n_more);
	printf("verify: states: %zu (namespace, state) counts compared with /proc/net/tcp{,6}: "
	       "%zu differ; %zu not compared (moved while walked)\n",
	       last->states, count_kind(c, false), last->unstable);
	printf("verify: owners: %zu sockets in fd tables (of %zu walked): %zu charged to a "
	       "process holding them, %zu not\n",
	       last->held, last->sockets, last->charged_ok, count_kind(c, true));
	printf("verify: %s after %d look%s\n", c->n_found || c->n_more ? "MISMATCH" : "ok",
	       looks, looks > 1 ? "s" : "");
}

int cmd_verify(const struct pl_options *o)
{
	struct pl_tracker t;
	struct check kept, now;
	int i, status, err;

	tracker__catch_signals();
	if ((status = commands__start(&t, o, o->duration_s > 0)))
		return status;
	if (o->duration_s > 0)
		fprintf(stderr, "portleak: tracing, verify after %.1fs\n", o->duration_s);
	err = tracker__trace(&t, o->duration_s);
	if (!err)
		err = look(&t, &kept);
	now = kept;
	for (i = 1; !err && i < ATTEMPTS && (kept.n_found || kept.n_more); i++) {
		err = look(&t, &now);
		keep_repeated(&kept, &now);
	}
	tracker__stop(&t);
	if (err)
		return commands__fail(o, err, NULL, "verify");
	print(&kept, &now, i);
	return kept.n_found || kept.n_more ? PL_EXIT_MISMATCH : 0;
}
