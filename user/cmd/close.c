// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak close: the sockets of one process that match the flags, listed
 * (dry run) or closed (--yes), one line per peer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cmd/commands.h"
#include "host/process.h"
#include "loader/remedy_user.h"
#include "model/names.h"

#define MATCH_SLACK_NS 20000000ull /* besides a tick: fork to exec, rounding */

/* Sockets of one state toward one peer: a client's toward a peer address
 * and port, a server's from one of its listening ports toward a peer
 * address (the peer's ports are the peer's ephemeral ones). */
struct peer_line {
	struct pl_endpoint peer; /* port 0 for a server's */
	__u16 local_port;        /* a server's listening port; 0 for a client's */
	__u8 state;
	size_t count, closed, left, failed;
	double oldest_s;
	bool oldest_exact;
};

struct choice {
	struct pl_doom *doom;   /* the chosen sockets */
	struct pl_held *held;   /* and what the model knows of each */
	size_t *line;           /* the peer line of each */
	size_t n;
	struct peer_line *lines;
	size_t n_lines;
	/* Matching sockets other processes hold too, left open without
	 * --shared (with it: of the chosen), and one of those holders. */
	size_t n_shared;
	struct pl_held shared;
};

static bool v4_mapped(const __u8 *a)
{
	static const __u8 prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

static bool peer_matches(const struct pl_options *o, const struct pl_tuple *t)
{
	const __u8 *addr = t->daddr;

	if (!o->peer.family)
		return true;
	if (o->peer_port && t->dport != o->peer.port)
		return false;
	if (o->peer.family == PL_AF_INET && t->family == PL_AF_INET6 && v4_mapped(t->daddr))
		addr = t->daddr + 12;
	else if (o->peer.family != t->family)
		return false;
	return !memcmp(addr, o->peer.addr, o->peer.family == PL_AF_INET ? 4 : 16);
}

static bool chosen(const struct pl_options *o, const struct pl_held *h)
{
	if (h->rec.state != o->state || !peer_matches(o, &h->rec.tuple))
		return false;
	if (o->older_s < 0)
		return true;
	return (o->state == PL_TCP_ESTABLISHED ? h->idle_s : h->age_s) >= o->older_s;
}

/* Its peer line: a client's peer address and port, or a server's
 * listening port and peer address. @listeners: the process's LISTEN. */
static struct peer_line key_of(const struct pl_held *h, const struct pl_held *const *listeners,
			       size_t n_listeners)
{
	const struct pl_tuple *t = &h->rec.tuple;
	struct peer_line key = { .peer.family = t->family, .state = h->rec.state };
	size_t i;

	memcpy(key.peer.addr, t->daddr, PL_ADDR_LEN);
	key.peer.port = t->dport;
	for (i = 0; i < n_listeners; i++)
		if (listeners[i]->rec.tuple.netns == t->netns &&
		    listeners[i]->rec.tuple.sport == t->sport) {
			key.local_port = t->sport;
			key.peer.port = 0;
		}
	return key;
}

static int cmp_key(const struct peer_line *x, const struct peer_line *y)
{
	int c = memcmp(&x->peer, &y->peer, sizeof(x->peer));

	if (c)
		return c;
	return x->local_port != y->local_port ? (x->local_port < y->local_port ? -1 : 1) : 0;
}

/* The chosen sockets with their lines, sorted by line: qsort's element. */
struct keyed {
	struct peer_line key;
	struct pl_held held;
};

static int cmp_keyed(const void *a, const void *b)
{
	return cmp_key(&((const struct keyed *)a)->key, &((const struct keyed *)b)->key);
}

/* Sorted by peer line, the lines are runs. */
static void fill_lines(struct choice *c, const struct keyed *k)
{
	struct peer_line *l = NULL;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (!l || cmp_key(l, &k[i].key)) {
			l = &c->lines[c->n_lines++];
			*l = k[i].key;
		}
		c->doom[i].rec = k[i].held.rec;
		c->held[i] = k[i].held;
		c->line[i] = c->n_lines - 1;
		l->count++;
		if (k[i].held.age_s > l->oldest_s) {
			l->oldest_s = k[i].held.age_s;
			l->oldest_exact = k[i].held.age_exact;
		}
	}
}

static int choose(const struct pl_options *o, struct pl_held *all, size_t n_all,
		  struct choice *c)
{
	const struct pl_held **listeners = calloc(n_all + 1, sizeof(*listeners));
	struct keyed *k = calloc(n_all + 1, sizeof(*k));
	size_t i, n_listeners = 0;
	int err = 0;

	memset(c, 0, sizeof(*c));
	c->doom = calloc(n_all + 1, sizeof(*c->doom));
	c->held = calloc(n_all + 1, sizeof(*c->held));
	c->line = calloc(n_all + 1, sizeof(*c->line));
	c->lines = calloc(n_all + 1, sizeof(*c->lines));
	if (!listeners || !k || !c->doom || !c->held || !c->line || !c->lines) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_all; i++)
		if (all[i].rec.state == PL_TCP_LISTEN)
			listeners[n_listeners++] = &all[i];
	for (i = 0; i < n_all; i++) {
		if (!chosen(o, &all[i]))
			continue;
		if (all[i].others && !c->n_shared++)
			c->shared = all[i];
		if (!all[i].others || o->shared)
			k[c->n++] = (struct keyed){ key_of(&all[i], listeners, n_listeners), all[i] };
	}
	qsort(k, c->n, sizeof(*k), cmp_keyed);
	fill_lines(c, k);
out:
	free(listeners);
	free(k);
	return err;
}

static void choice_free(struct choice *c)
{
	free(c->doom);
	free(c->held);
	free(c->line);
	free(c->lines);
}

static const char *state_label(__u8 state)
{
	return state == PL_TCP_CLOSE_WAIT ? "CLOSE_WAIT" : "ESTABLISHED";
}

static void peer_text(const struct peer_line *l, char *buf, size_t len)
{
	char addr[PL_ENDPOINT_LEN];

	names__endpoint(l->peer.family, l->peer.addr, l->peer.port, addr, sizeof(addr));
	if (l->local_port)
		snprintf(buf, len, "%s (clients of port %u)", addr, l->local_port);
	else
		snprintf(buf, len, "%s", addr);
}

static void print_listing(const struct choice *c)
{
	char peer[PL_ENDPOINT_LEN + 40], age[32];
	size_t i;

	printf("  %-44s %-11s %7s  %s\n", "PEER", "STATE", "SOCKETS", "OLDEST");
	for (i = 0; i < c->n_lines; i++) {
		peer_text(&c->lines[i], peer, sizeof(peer));
		names__age(c->lines[i].oldest_s, c->lines[i].oldest_exact, age, sizeof(age));
		printf("  %-44s %-11s %7zu  %s\n", peer, state_label(c->lines[i].state),
		       c->lines[i].count, age);
	}
}

/* The command that closes exactly what this dry run listed. */
static void print_command(const struct pl_options *o, const struct pl_process *p)
{
	char peer[PL_ENDPOINT_LEN];

	printf("portleak close --pid %d --started %llu", (int)p->pid, p->started);
	if (o->peer.family) {
		names__endpoint(o->peer.family, o->peer.addr, o->peer_port ? o->peer.port : 0,
				peer, sizeof(peer));
		printf(" --peer %s", peer);
	}
	if (o->state == PL_TCP_ESTABLISHED)
		printf(" --state established");
	if (o->older_s >= 0)
		printf(" --older %g", o->older_s);
	if (o->shared)
		printf(" --shared");
	printf(" --yes");
}

/* What closing a socket another process holds too would do, said. */
static void say_shared(const struct pl_options *o, const struct choice *c)
{
	char other[PL_COMM_LEN * 4 + 1];

	if (!c->n_shared)
		return;
	names__printable(c->shared.other_comm, strnlen(c->shared.other_comm, PL_COMM_LEN), other,
			 sizeof(other));
	printf("%zu matching %s socket%s also held by pid %u (%s)%s: ", c->n_shared,
	       state_label(o->state), c->n_shared == 1 ? " is" : "s are", c->shared.other.tgid,
	       other, c->shared.others > 1 ? " and others" : "");
	if (o->shared)
		printf("--shared: closed for every holder\n");
	else
		printf("left open, since closing one breaks every holder (--shared closes them too)\n");
}

static void dry_run(const struct pl_options *o, const struct pl_process *p, const char *comm,
		    const struct choice *c, enum pl_remedy_mech mech, const struct pl_why *no_mech)
{
	printf("pid %d (%s), started at %llu: %zu %s socket%s would be closed\n", (int)p->pid,
	       comm, p->started, c->n, state_label(o->state), c->n == 1 ? "" : "s");
	say_shared(o, c);
	if (!c->n)
		return;
	print_listing(c);
	printf("dry run: nothing closed. To close them: ");
	print_command(o, p);
	if (no_mech->text[0])
		printf("\n(but %s)\n", no_mech->text);
	else
		printf("\n(by %s)\n", remedy__name(mech));
}

static void log_close(const struct pl_process *p, const char *comm, const struct pl_held *h,
		      int result, enum pl_remedy_mech mech)
{
	char src[PL_ENDPOINT_LEN], dst[PL_ENDPOINT_LEN], age[32], line[400];
	const struct pl_tuple *t = &h->rec.tuple;

	names__endpoint(t->family, t->saddr, t->sport, src, sizeof(src));
	names__endpoint(t->family, t->daddr, t->dport, dst, sizeof(dst));
	names__age(h->age_s, h->age_exact, age, sizeof(age));
	snprintf(line, sizeof(line), "%s %s -> %s %s (age %s) of pid %d (%s) by %s%s%s",
		 result == 0 ? "closed" : result == -ESTALE ? "left alone (state changed)" :
		 result == -ENOENT ? "left alone (gone)" : "could not close",
		 src, dst, names__tcp_state(h->rec.state), age, (int)p->pid, comm,
		 remedy__name(mech), result && result != -ESTALE && result != -ENOENT ? ": " : "",
		 result && result != -ESTALE && result != -ENOENT ? strerror(-result) : "");
	fprintf(stderr, "portleak: %s\n", line);
	if (result == 0)
		syslog(LOG_NOTICE, "%s", line);
}

static int report_closes(const struct pl_process *p, const char *comm, struct choice *c,
			 enum pl_remedy_mech mech)
{
	size_t i, closed = 0, failed = 0, held_fds, n_inos = 0;
	char peer[PL_ENDPOINT_LEN + 40];
	__u64 *inos = calloc(c->n + 1, sizeof(*inos));
	struct peer_line *l;

	if (!inos)
		return PL_EXIT_RUNTIME;
	openlog("portleak", LOG_PID, LOG_DAEMON);
	for (i = 0; i < c->n; i++) {
		l = &c->lines[c->line[i]];
		log_close(p, comm, &c->held[i], c->doom[i].result, mech);
		if (c->doom[i].result == 0) {
			l->closed++;
			closed++;
			if (c->doom[i].rec.ino)
				inos[n_inos++] = c->doom[i].rec.ino;
		} else if (c->doom[i].result == -ESTALE || c->doom[i].result == -ENOENT) {
			l->left++;
		} else {
			l->failed++;
			failed++;
		}
	}
	closelog();
	for (i = 0; i < c->n_lines; i++) {
		l = &c->lines[i];
		peer_text(l, peer, sizeof(peer));
		printf("closed %zu %s socket%s of pid %d (%s) toward %s", l->closed,
		       state_label(l->state), l->closed == 1 ? "" : "s", (int)p->pid, comm, peer);
		if (l->left)
			printf("; %zu no longer %s or gone, left alone", l->left, state_label(l->state));
		if (l->failed)
			printf("; %zu could not be closed", l->failed);
		printf("\n");
	}
	held_fds = process__count_sockets(p, inos, n_inos);
	free(inos);
	printf("closed %zu of %zu sockets; the process still holds %zu file descriptor%s of them: the leak is in its code, and they stay open until it closes them\n",
	       closed, c->n, held_fds, held_fds == 1 ? "" : "s");
	return failed ? PL_EXIT_RUNTIME : 0;
}

static int close_them(const struct pl_options *o, const struct pl_process *p, const char *comm,
		      struct choice *c, enum pl_remedy_mech mech)
{
	struct pl_why why = { "" };
	int err;

	say_shared(o, c);
	if (!c->n) {
		printf("nothing to close: pid %d (%s) holds no matching %s socket%s\n", (int)p->pid,
		       comm, state_label(o->state), c->n_shared ? " held by it alone" : "");
		return 0;
	}
	if (!process__same(p)) {
		fprintf(stderr, "portleak: pid %d exited while its sockets were chosen: nothing closed\n",
			(int)p->pid);
		return PL_EXIT_RUNTIME;
	}
	err = remedy__close(mech, p->pid, c->doom, c->n, &why);
	if (err)
		return commands__fail(o, err, &why, "close sockets");
	return report_closes(p, comm, c, mech);
}

/* Which process, and is it the one the dry run named? */
static int take_process(const struct pl_options *o, struct pl_process *p)
{
	int err = process__open((pid_t)o->filter.pid, p);

	if (err == -ESRCH) {
		fprintf(stderr, "portleak: no process %u: nothing closed\n", o->filter.pid);
		return PL_EXIT_RUNTIME;
	}
	if (err)
		return commands__fail(o, err, NULL, "read /proc of that process");
	if (o->started && o->started != p->started) {
		fprintf(stderr, "portleak: pid %u is another process now (started at %llu, not %llu): nothing closed\n",
			o->filter.pid, p->started, o->started);
		process__close(p);
		return PL_EXIT_RUNTIME;
	}
	return 0;
}

static int held_sockets(struct pl_tracker *t, const struct pl_process *p,
			struct pl_owner *owner, struct pl_held **held, size_t *n)
{
	int err = tracker__held(t, (__u32)p->pid, p->start_ns,
				process__tick_ns() + MATCH_SLACK_NS, owner, held, n);

	return err == -ENOENT ? 0 : err; /* it holds no socket portleak knows */
}

int cmd_close(const struct pl_options *o)
{
	struct pl_why no_mech = { "" };
	enum pl_remedy_mech mech;
	struct pl_owner owner = { 0 };
	char comm[PL_COMM_LEN * 4 + 1];
	struct pl_held *held = NULL;
	struct pl_process p;
	struct pl_tracker t;
	struct choice c = { 0 };
	size_t n = 0;
	int status, err;

	if ((status = take_process(o, &p)))
		return status;
	names__printable(p.comm, strlen(p.comm), comm, sizeof(comm));
	if ((status = commands__start(&t, o, false)))
		goto out_process;
	err = remedy__choose(o->via, &mech, &no_mech);
	if (err && o->yes) {
		status = commands__fail(o, err, &no_mech, "find a way to close sockets");
		goto out;
	}
	err = held_sockets(&t, &p, &owner, &held, &n);
	if (!err)
		err = choose(o, held, n, &c);
	if (err)
		status = commands__fail(o, err, NULL, "list the sockets of that process");
	else if (!o->yes)
		dry_run(o, &p, comm, &c, mech, &no_mech);
	else
		status = close_them(o, &p, comm, &c, mech);
out:
	choice_free(&c);
	free(held);
	tracker__stop(&t);
out_process:
	process__close(&p);
	return status;
}
