// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the perf map parser: whatever a process writes to
 * its /tmp/perf-PID.map, perfmap__parse keeps only well-formed symbols,
 * sorted, with names inside the pool; perfmap__find returns only a symbol
 * that covers the address asked, and always the last one to start at or
 * below it when it does. The first byte says whether the text starts
 * inside a line (a map read from its end). */
#include <stdlib.h>
#include <string.h>

#include "host/perfmap.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const struct pl_jit_sym *hit;
	struct pl_perfmap m;
	size_t i, len;
	char *text;
	__u64 ip;

	if (size == 0 || !(text = malloc(size)))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	if (perfmap__parse(text, size - 1, data[0] & 1, &m) == 0) {
		for (i = 0; i < m.n; i++) {
			len = strlen(perfmap__name(&m, &m.syms[i]));
			if (!m.syms[i].size || !len || (i && m.syms[i - 1].start > m.syms[i].start))
				abort();
			ip = m.syms[i].start + m.syms[i].size / 2;
			hit = perfmap__find(&m, ip);
			if (hit && (hit->start > ip || ip - hit->start >= hit->size))
				abort();
			if (!hit && (i + 1 == m.n || m.syms[i + 1].start > ip))
				abort();
		}
		perfmap__free(&m);
	}
	free(text);
	return 0;
}
