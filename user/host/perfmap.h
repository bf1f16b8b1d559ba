/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The perf map a JIT writes for profilers (/tmp/perf-PID.map): one line
 * per piece of generated code, "START SIZE name", START and SIZE in hex.
 * The process writes it, so every byte of it is untrusted; our own small
 * reader (no library reads this format), fuzzed by tests/fuzz/fuzz_perfmap.c. */
#ifndef PORTLEAK_PERFMAP_H
#define PORTLEAK_PERFMAP_H

#include <stdio.h>
#include <linux/types.h>

#define PL_PERFMAP_MAX 1000000 /* symbols kept from one map */
#define PL_PERFMAP_OVERLAP 8   /* earlier symbols tried for an address */

struct pl_jit_sym {
	__u64 start, size;
	char *name;
};

/* Every well-formed line of @f, sorted by start: 0, or -ENOMEM. */
int perfmap__read(FILE *f, struct pl_jit_sym **syms, size_t *n);
/* The latest-starting symbol covering @ip in @syms (sorted), of the
 * PL_PERFMAP_OVERLAP that start last at or below it; or NULL. */
const struct pl_jit_sym *perfmap__find(const struct pl_jit_sym *syms, size_t n, __u64 ip);
void perfmap__free(struct pl_jit_sym *syms, size_t n);

#endif
