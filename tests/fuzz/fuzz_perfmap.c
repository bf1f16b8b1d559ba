// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the perf map reader: whatever a process writes to
 * its /tmp/perf-PID.map, perfmap__read keeps only well-formed symbols,
 * sorted; perfmap__find returns only a symbol that covers the address
 * asked, and always the last one to start at or below it when it does. */
#include <stdio.h>
#include <stdlib.h>

#include "host/perfmap.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	const struct pl_jit_sym *hit;
	struct pl_jit_sym *syms;
	size_t n, i;
	__u64 ip;

	if (!f || size == 0) {
		if (f)
			fclose(f);
		return 0;
	}
	if (perfmap__read(f, &syms, &n) == 0) {
		for (i = 0; i < n; i++) {
			if (!syms[i].size || !syms[i].name[0] || (i && syms[i - 1].start > syms[i].start))
				abort();
			ip = syms[i].start + syms[i].size / 2;
			hit = perfmap__find(syms, n, ip);
			if (hit && (hit->start > ip || ip - hit->start >= hit->size))
				abort();
			if (!hit && (i + 1 == n || syms[i + 1].start > ip))
				abort();
		}
		perfmap__free(syms, n);
	}
	fclose(f);
	return 0;
}
