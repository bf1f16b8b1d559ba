/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The perf map a JIT writes for profilers (/tmp/perf-PID.map): one line
 * per piece of generated code, "START SIZE name", START and SIZE in hex.
 * The process writes it, so every byte of it is untrusted; our own small
 * parser (no library reads this format), fuzzed by tests/fuzz/fuzz_perfmap.c.
 * It works on text already read with bounds (host/untrusted.h), and keeps
 * the names in one pool, so that a map's memory is two blocks, given back
 * whole when it is freed. */
#ifndef PORTLEAK_PERFMAP_H
#define PORTLEAK_PERFMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PL_PERFMAP_MAX 250000      /* symbols kept from one map */
#define PL_PERFMAP_BYTES (16u << 20) /* of a map's text read: its newest lines */
#define PL_PERFMAP_OVERLAP 8       /* earlier symbols tried for an address */

struct pl_jit_sym {
	__u64 start, size;
	size_t name; /* offset in the map's name pool */
};

struct pl_perfmap {
	struct pl_jit_sym *syms; /* sorted by start */
	size_t n;
	char *names;
	size_t bytes; /* memory the map holds */
};

/* Every well-formed line of @text (@len bytes, NUL-terminated), into @m.
 * With @partial, the text starts inside a line: that line is skipped.
 * 0, or -ENOMEM. */
int perfmap__parse(const char *text, size_t len, bool partial, struct pl_perfmap *m);
/* The latest-starting symbol covering @ip, of the PL_PERFMAP_OVERLAP that
 * start last at or below it; or NULL. */
const struct pl_jit_sym *perfmap__find(const struct pl_perfmap *m, __u64 ip);
static inline const char *perfmap__name(const struct pl_perfmap *m, const struct pl_jit_sym *s)
{
	return m->names + s->name;
}
void perfmap__free(struct pl_perfmap *m);

#endif
