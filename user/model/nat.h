/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Source NAT's ports, per (namespace, translated source, destination,
 * protocol), from the conntrack entries, charged to the processes whose
 * sockets made them. */
#ifndef PORTLEAK_NAT_H
#define PORTLEAK_NAT_H

#include "model/join.h"

/* out->nat from in->nat: @attribs (@n, one per in->tcp) name each
 * entry's sender; out->budgets give each namespace's drops (after
 * conntrack drops_recent are known). 0 or -ENOMEM. */
int nat__build(const struct pl_model_input *in, const struct attrib *attribs, size_t n,
	       struct pl_report *out);
/* The NAT use toward @peer (a connect's destination) that ran out of
 * ports lately, if any: the one with the most ports used. */
const struct pl_nat_use *nat__exhausted_toward(const struct pl_report *r,
					       const struct pl_endpoint *peer);

#endif
