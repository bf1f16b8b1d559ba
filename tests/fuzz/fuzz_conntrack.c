// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the reader of /proc/net/stat/nf_conntrack: any
 * text gives 0 or -EINVAL, never reads past it, and a refusal leaves no
 * counter set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/conntrack.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pl_conntrack_counters c;
	char *text = malloc(size ? size : 1);
	int err;

	if (!text)
		return 0;
	memcpy(text, data, size); /* exactly @size bytes: ASan sees a read past them */
	err = conntrack__parse_counters(text, size, &c);
	if (err != 0 && err != -EINVAL)
		abort();
	if (err && (c.drop || c.early_drop || c.insert_failed) && !memchr(text, '\n', size))
		abort();
	free(text);
	return 0;
}
