// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/names.h"
#include "model/origins.h"
#include "lib/array.h"

static int cmp_key(const struct pl_origin_key *a, const struct pl_origin_key *b)
{
	if (a->owner.tgid != b->owner.tgid)
		return a->owner.tgid < b->owner.tgid ? -1 : 1;
	if (a->owner.start_ns != b->owner.start_ns)
		return a->owner.start_ns < b->owner.start_ns ? -1 : 1;
	return a->stack < b->stack ? -1 : a->stack > b->stack;
}

static int cmp_row(const void *a, const void *b)
{
	return cmp_key(&(*(const struct pl_origin_row *const *)a)->key,
		       &(*(const struct pl_origin_row *const *)b)->key);
}

const struct pl_origin_row **origins__sorted(const struct pl_model_input *in)
{
	return (const struct pl_origin_row **)array__sorted_ptrs(in->origins, in->n_origins,
								  sizeof(*in->origins), cmp_row);
}

static __u64 opened(const struct pl_model_input *in, const struct pl_origin_row **sorted,
		    const struct pl_proc *p, __u64 stack)
{
	struct pl_origin_row key = { .key = { { p->pid, 0, p->start_ns }, stack } };
	const struct pl_origin_row *kp = &key, **hit;

	hit = bsearch(&kp, sorted, in->n_origins, sizeof(*sorted), cmp_row);
	return hit ? (*hit)->opened : 0;
}

static int cmp_stack(const void *a, const void *b)
{
	__u64 x = ((const struct pl_socket_origin *)a)->stack;
	__u64 y = ((const struct pl_socket_origin *)b)->stack;

	return x < y ? -1 : x > y;
}

/* The sockets of one stack, while they are counted. */
struct group {
	__u64 stack;
	struct pl_origin_counts held;
};

static int cmp_held(const void *a, const void *b)
{
	__u64 x = ((const struct group *)a)->held.sockets;
	__u64 y = ((const struct group *)b)->held.sockets;

	return x > y ? -1 : x < y;
}

static void count(struct pl_origin_counts *c, __u8 state)
{
	c->sockets++;
	if (state < PL_TCP_NR_STATES)
		c->states[state]++;
}

/* Count the sockets without a stack into @p->uncaptured, and move the
 * others to the front of @socks: how many they are. Only those need a
 * sort, and with no stacks captured (a snapshot) there are none. */
static size_t split_uncaptured(struct pl_socket_origin *socks, size_t n, struct pl_proc *p)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (socks[i].stack)
			socks[k++] = socks[i];
		else
			count(&p->uncaptured, socks[i].state);
	}
	return k;
}

/* One group per distinct stack of @socks (each has one, sorted by stack),
 * into @groups. */
static size_t group(const struct pl_socket_origin *socks, size_t n, struct group *groups)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (!k || groups[k - 1].stack != socks[i].stack)
			groups[k++].stack = socks[i].stack;
		count(&groups[k - 1].held, socks[i].state);
	}
	return k;
}

static size_t distinct_stacks(const struct pl_socket_origin *socks, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += !i || socks[i].stack != socks[i - 1].stack;
	return k;
}

/* A JIT frame without its offset: the tiers of one method (interpreted,
 * C1, C2) are one code path, at different addresses. Native frames keep
 * theirs: there the return address is the call site. */
static void drop_jit_offset(char *frame)
{
	char *plus = strrchr(frame, '+'), *tail = strstr(frame, " ([jit])");

	if (plus && tail && plus < tail && !strncmp(plus, "+0x", 3))
		memmove(plus, tail, strlen(tail) + 1);
}

/* The code path @o's frames name: JIT offsets dropped, a run of the same
 * frame (the interpreter calling itself) kept once. */
static void name_path(struct pl_code_origin *o)
{
	size_t i, k = 0;

	for (i = 0; i < o->frames.n; i++) {
		drop_jit_offset(o->frames.names[i]);
		if (k && !strcmp(o->frames.names[k - 1], o->frames.names[i]))
			continue;
		if (k != i)
			memcpy(o->frames.names[k], o->frames.names[i], sizeof(o->frames.names[k]));
		k++;
	}
	o->frames.n = k;
}

static bool same_path(const struct pl_code_origin *a, const struct pl_code_origin *b)
{
	size_t i;

	if (!a->frames.n || a->frames.n != b->frames.n)
		return false; /* a stack no longer known is a path of its own */
	for (i = 0; i < a->frames.n; i++)
		if (strcmp(a->frames.names[i], b->frames.names[i]))
			return false;
	return true;
}

/* Merge the origins of @o that name the same code path into the first of
 * them, in place: how many are left. */
static size_t merge_paths(struct pl_code_origin *o, size_t n)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < k && !same_path(&o[j], &o[i]); j++)
			;
		if (j < k) {
			size_t s;

			o[j].held.sockets += o[i].held.sockets;
			for (s = 0; s < PL_TCP_NR_STATES; s++)
				o[j].held.states[s] += o[i].held.states[s];
			o[j].opened += o[i].opened;
			continue;
		}
		if (k != i)
			o[k] = o[i];
		k++;
	}
	return k;
}

static int cmp_origin_held(const void *a, const void *b)
{
	__u64 x = ((const struct pl_code_origin *)a)->held.sockets;
	__u64 y = ((const struct pl_code_origin *)b)->held.sockets;

	return x > y ? -1 : x < y;
}

int origins__fill(const struct pl_model_input *in, const struct pl_origin_row **sorted,
		  struct pl_proc *p, struct pl_socket_origin *socks, size_t n)
{
	struct pl_owner owner = { .tgid = p->pid, .start_ns = p->start_ns };
	struct group *groups;
	size_t i, k;

	n = split_uncaptured(socks, n, p);
	qsort(socks, n, sizeof(*socks), cmp_stack);
	k = distinct_stacks(socks, n);
	if (!(groups = calloc(k + 1, sizeof(*groups))))
		return -ENOMEM;
	k = group(socks, n, groups);
	qsort(groups, k, sizeof(*groups), cmp_held);
	if (k > PL_NAMED_STACKS)
		k = PL_NAMED_STACKS;
	if (k && !(p->origins = calloc(k, sizeof(*p->origins)))) {
		free(groups);
		return -ENOMEM;
	}
	for (i = 0; i < k; i++) {
		struct pl_code_origin *o = &p->origins[i];

		o->stack = groups[i].stack;
		o->held = groups[i].held;
		o->opened = opened(in, sorted, p, o->stack);
		if (in->frames)
			in->frames(&owner, o->stack, &o->frames, in->frames_ctx);
		name_path(o);
	}
	free(groups);
	if (!k)
		return 0;
	k = merge_paths(p->origins, k);
	qsort(p->origins, k, sizeof(*p->origins), cmp_origin_held);
	p->n_origins = k < PL_MAX_ORIGINS ? k : PL_MAX_ORIGINS;
	if (p->n_origins < k) { /* the rest is never shown: give it back */
		struct pl_code_origin *kept = realloc(p->origins, p->n_origins * sizeof(*kept));

		if (kept)
			p->origins = kept;
	}
	p->origins_shallow = p->n_origins > 0;
	for (i = 0; i < p->n_origins; i++)
		if (p->origins[i].frames.depth > PL_SHALLOW_FRAMES)
			p->origins_shallow = false;
	return 0;
}

int origins__fill_failed(const struct pl_model_input *in, struct pl_proc *p)
{
	struct pl_owner owner = { .tgid = p->pid, .start_ns = p->start_ns };
	const struct pl_call_failure *f = NULL;
	size_t i;

	for (i = 0; !f && i < p->n_call_failures; i++)
		if (p->call_failures[i].call == PL_CALL_CONNECT && p->call_failures[i].stack)
			f = &p->call_failures[i];
	if (!f)
		return 0;
	if (!(p->failed_origin = calloc(1, sizeof(*p->failed_origin))))
		return -ENOMEM;
	p->failed_call = *f;
	p->failed_origin->stack = f->stack;
	if (in->frames)
		in->frames(&owner, f->stack, &p->failed_origin->frames, in->frames_ctx);
	name_path(p->failed_origin);
	return 0;
}

void origins__failed_title(const struct pl_proc *p, char *out, size_t len)
{
	const struct pl_call_failure *f = &p->failed_call;
	char peer[PL_ENDPOINT_LEN];

	names__endpoint(f->peer.family, f->peer.addr, f->peer.port, peer, sizeof(peer));
	snprintf(out, len, "failed connect() to %s (%s%s, %llu times), the latest from:", peer,
		 names__errno(f->err), f->by == PL_BY_APPLICATION ? " by the application" : "",
		 (unsigned long long)f->count);
}

static void states_text(const struct pl_origin_counts *c, char *out, size_t len)
{
	bool used[PL_TCP_NR_STATES] = { false };
	size_t at = 0, i, best;

	*out = 0;
	for (;;) {
		best = 0;
		for (i = 1; i < PL_TCP_NR_STATES; i++)
			if (!used[i] && c->states[i] && (!best || c->states[i] > c->states[best]))
				best = i;
		if (!best || at >= len)
			return;
		used[best] = true;
		at += snprintf(out + at, len - at, "%s%s %llu", at ? ", " : "",
			       names__tcp_state((unsigned int)best),
			       (unsigned long long)c->states[best]);
	}
}

void origins__title(const struct pl_origin_counts *held, const struct pl_code_origin *o,
		    char *out, size_t len)
{
	char states[160];

	states_text(held, states, sizeof(states));
	if (o)
		snprintf(out, len, "%llu sockets (%s), %llu opened, from:",
			 (unsigned long long)held->sockets, states, (unsigned long long)o->opened);
	else
		snprintf(out, len, "%llu sockets (%s) opened before capture",
			 (unsigned long long)held->sockets, states);
}

/* Does a kept origin end in Go's dialer (net/http dials from a goroutine
 * of its own, so nothing above it is the code that asked)? */
static bool ends_in_go_dialer(const struct pl_proc *p)
{
	size_t i;

	for (i = 0; i < p->n_origins; i++) {
		const struct pl_frames *f = &p->origins[i].frames;

		if (f->n && (!strncmp(f->names[f->n - 1], "net.(*Dialer).DialContext", 25) ||
			     !strncmp(f->names[f->n - 1], "net/http.(*Transport).", 22)))
			return true;
	}
	return false;
}

const char *origins__hint(const struct pl_proc *p)
{
	if (!p->n_origins)
		return NULL;
	if (p->origins_shallow)
		return "its stacks stop after one or two frames: it runs without frame pointers; build it with -fno-omit-frame-pointer (Java: run it with -XX:+PreserveFramePointer)";
	if (ends_in_go_dialer(p))
		return "Go's net/http dials in a goroutine of its own: the stack ends in the dialer, never in the code that sent the request; look for response bodies left unclosed (resp.Body.Close) and a Transport without IdleConnTimeout";
	return NULL;
}

void origins__free(struct pl_proc *p)
{
	free(p->failed_origin);
	p->failed_origin = NULL;
	free(p->origins);
	p->origins = NULL;
	p->n_origins = 0;
}
