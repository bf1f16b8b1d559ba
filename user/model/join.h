/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The join at the heart of the model (model-internal): each socket the
 * walk listed, to who holds it (its ledger entry, its timewait owner, its
 * listener's owner, or nobody), whether the filters select it, how long
 * it has been in its state, and the other processes that hold it too.
 * procs.c and dests.c aggregate what this joins. */
#ifndef PORTLEAK_JOIN_H
#define PORTLEAK_JOIN_H

#include "model/model.h"
#include "model/skindex.h"

struct attrib {
	const struct pl_tcp_record *rec;
	const struct pl_socket *entry; /* ledger entry, if any */
	const struct pl_timewait *tw;  /* timewait owner, if any */
	struct pl_owner owner;
	const char *comm;
	__u64 cgroup_id;
	bool unknown;
	bool pending_accept;
	bool server_side; /* its local port is a listener's: the peer's port is noise */
	bool active;      /* holds an ephemeral port toward a destination */
	bool selected; /* passes the filters */
	size_t proc;   /* 1 + index of its row in the report; 0: none */
};

struct listener {
	__u32 netns;
	__u16 port;
	const struct pl_socket *entry;
};

struct index {
	const struct pl_skindex *ledger; /* sk -> const struct pl_ledger_row * */
	struct pl_skindex own_ledger;    /* made here when the input has none */
	const struct pl_timewait_row **timewait;
	const struct pl_owner_row **owners;
	struct listener *listeners;
	size_t n_listeners;
};

/* The index of @in's rows that the join looks sockets up in. 0 or -ENOMEM. */
int join__index_build(const struct pl_model_input *in, struct index *ix);
void join__index_free(struct index *ix);
/* Fetch what the join of @in->tcp[@i] a few rows on will read. */
void join__prefetch(const struct pl_model_input *in, const struct index *ix, size_t i);
/* Who holds @r, into @a. */
void join__attribute(const struct pl_model_input *in, const struct index *ix,
		     const struct pl_tcp_record *r, struct attrib *a);
const struct pl_owner_stats *join__find_owner(const struct pl_model_input *in,
					      const struct index *ix, const struct pl_owner *o);
/* Do the filters select this process, this socket? */
bool join__owner_selected(const struct pl_model_input *in, __u32 pid, const char *comm,
			  __u64 cgroup_id);
bool join__socket_selected(const struct pl_model_input *in, const struct attrib *a);
/* ... this port failure, this failed call? */
bool join__failure_selected(const struct pl_model_input *in, const struct pl_failure *f);
bool join__call_failure_selected(const struct pl_model_input *in, const struct pl_fail_row *r);
/* The cgroup path of @cgroup_id into @cgroup, and who runs there. */
void join__identify(const struct pl_model_input *in, __u64 cgroup_id, char *cgroup, size_t len,
		    struct pl_identity *who);
/* How long @a's socket has been in its state: exact (*@exact), or the
 * most that is sure; *@max the most it can be (-1: unknown). */
double join__state_age_s(const struct pl_model_input *in, const struct attrib *a, bool *exact,
			 double *max);
/* The holders of @sk in @in->holders: the first, and how many (*@n). */
const struct pl_ledger_row *join__holders_of(const struct pl_model_input *in, __u64 sk,
					     size_t *n);
/* Whether rows[@j]'s holder appears before it (another fd of it). */
bool join__listed_before(const struct pl_ledger_row *rows, size_t j);

#endif
