/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The model: joins what the kernel walks report (every live TCP socket) with
 * what the hooks recorded (owners, TIME_WAIT owners, counters, failures) and
 * builds the report: processes, destinations, verdicts. Plain C, no BPF: the
 * unit tests feed it synthetic input. */
#ifndef PORTLEAK_MODEL_H
#define PORTLEAK_MODEL_H

#include "model/types.h"

int model__build(const struct pl_model_input *in, struct pl_report *out);

/* The process with tgid @pid whose start (CLOCK_MONOTONIC) is nearest to
 * @start_ns, among the owners and holders of sockets in @in, within
 * @slack_ns: 0 with *owner set, or -ENOENT. */
int model__owner_near(const struct pl_model_input *in, __u32 pid, __u64 start_ns,
		      __u64 slack_ns, struct pl_owner *owner);
/* The full sockets charged to @owner, not those still waiting in its
 * accept queues, and (with @in->holders) those it holds in its fd table
 * while charged to another holder; each says who else holds it. *out is
 * allocated (free() it). 0 or -ENOMEM. */
int model__held(const struct pl_model_input *in, const struct pl_owner *owner,
		struct pl_held **out, size_t *n);
/* Add this report's processes and destinations to @h, as of @now_ns. */
int model__remember(const struct pl_report *r, struct pl_history *h, __u64 now_ns);
void model__free(struct pl_report *report);

/* "OK", "LEAK", ... as the views and the metrics name a verdict. */
const char *model__verdict_name(enum pl_verdict verdict);

#endif
