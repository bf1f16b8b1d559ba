/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Giving up what the daemon no longer needs once it is attached. */
#ifndef PORTLEAK_PRIVILEGES_H
#define PORTLEAK_PRIVILEGES_H

#include <stdbool.h>

#include "host/why.h"

/* Keep CAP_BPF (CAP_SYS_ADMIN on kernels older than 5.8) and, with
 * @netns, CAP_SYS_ADMIN + CAP_SYS_PTRACE; drop every other capability from
 * every set, the bounding set included; then become @user if not NULL.
 * 0, or negative errno with @why filled. */
int privileges__drop(const char *user, bool netns, struct pl_why *why);
/* "CapEff: 0000000000000000"-style hex of the effective set. */
unsigned long long privileges__effective(void);

#endif
