/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading the ledger, owners, timewait and counters maps into rows. */
#ifndef PORTLEAK_MAPS_H
#define PORTLEAK_MAPS_H

#include "model.h"

struct portleak_bpf;

struct pl_maps {
	struct pl_ledger_row *ledger;
	size_t n_ledger;
	struct pl_timewait_row *timewait;
	size_t n_timewait;
	struct pl_owner_row *owners;
	size_t n_owners;
	__u64 counters[PL_NR_COUNTERS]; /* summed over CPUs */
};

int maps__read(struct portleak_bpf *skel, struct pl_maps *out);
void maps__free(struct pl_maps *m);

#endif
