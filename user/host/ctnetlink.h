/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The conntrack table of the calling thread's network namespace, entry by
 * entry, as the kernel's ctnetlink dump gives it (what `conntrack -L`
 * reads). */
#ifndef PORTLEAK_CTNETLINK_H
#define PORTLEAK_CTNETLINK_H

#include <stddef.h>
#include <linux/types.h>

#include "ledger.h"

/* One tracked connection: its tuple as its sender made it (orig) and as
 * the answers carry it (reply); source NAT shows as a reply whose
 * destination is not the original source. Tuples' netns is 0 (the
 * caller knows the namespace); ports in host order. */
struct pl_ct_row {
	struct pl_tuple orig, reply;
	__u32 status;    /* IPS_* bits: IPS_SRC_NAT, IPS_ASSURED, ... */
	__u32 timeout_s; /* until the entry expires */
	__u8 proto;      /* IPPROTO_TCP, IPPROTO_UDP, ... */
	__u8 tcp_state;  /* TCP_CONNTRACK_*: 0 when not TCP or not said */
};

/* Called for each entry; a nonzero return ends the dump with it. */
typedef int (*pl_ct_fn)(const struct pl_ct_row *row, void *ctx);

/* Dump the table: @fn for each entry, for @timeout_ms at most. 0 when
 * the dump ended, -ETIMEDOUT when the time ran out first, what @fn
 * returned, or a negative errno (-EPROTONOSUPPORT: no ctnetlink). */
int ctnetlink__dump(int timeout_ms, pl_ct_fn fn, void *ctx);
/* Read one buffer of the kernel's answers (@len bytes): @fn for each
 * entry. 1 at the end of the dump, 0 when more follow, what @fn returned,
 * or a negative errno: the kernel's, or -EPROTO when they are not
 * ctnetlink's answers. */
int ctnetlink__answers(const void *buf, size_t len, pl_ct_fn fn, void *ctx);

#endif
