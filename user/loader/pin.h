/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* serve --pin: the maps that hold counters (ledger, owners, timewait,
 * counters) live in a bpffs directory, so that a restarted agent, even
 * after kill -9, continues them. A layout stamp pinned beside them makes a
 * portleak of another layout refuse them instead of misreading them. */
#ifndef PORTLEAK_PIN_H
#define PORTLEAK_PIN_H

#include <linux/types.h>

#include "host/why.h"

struct portleak_bpf;

#define PL_PIN_DIR_DEFAULT "/sys/fs/bpf/portleak"

/* Before the first load: check that @dir is on bpffs (creating it), that
 * any maps in it carry this layout, and read the size of a pinned ledger
 * into @ledger_size (0 when nothing is pinned yet). A directory with
 * nothing in it is stamped now, before any map is pinned; one that a
 * portleak killed during its start left without a stamp is emptied and
 * stamped. 0, or negative errno with @why filled: -ENOTSUP no bpffs,
 * -EEXIST another layout or maps that are not portleak's. */
int pin__check(const char *dir, __u32 *ledger_size, struct pl_why *why);
/* Before each load: reuse the pinned maps, or pin the new ones at load. */
int pin__use(struct portleak_bpf *skel, const char *dir);
/* Stamp the directory with this layout, unless it has a stamp. */
int pin__stamp(const char *dir);

#endif
