/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What to do about a process, for the common causes, with this host's
 * numbers. Plain C. */
#ifndef PORTLEAK_ADVICE_H
#define PORTLEAK_ADVICE_H

#include <stddef.h>

#include "model/model.h"

#define PL_ADVICE_LEN 320

/* Fills up to @max lines; returns how many. */
size_t advice__lines(const struct pl_proc *p, const struct pl_host_facts *h,
		     char (*lines)[PL_ADVICE_LEN], size_t max);

#endif
