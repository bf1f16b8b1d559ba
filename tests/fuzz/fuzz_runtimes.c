// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the reader of the container runtimes' files: the
 * first byte picks the runtime's layout, the rest is the file. Whatever it
 * is, runtimes__parse accepts it or refuses it (-EINVAL), and what it
 * accepts fits its buffers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/runtimes.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const runtimes[] = { "containerd", "cri-o", "docker" };
	struct pl_runtime_names n;
	int err;

	if (!size)
		return 0;
	err = runtimes__parse(runtimes[data[0] % 3], (const char *)data + 1, size - 1, &n);
	if (err && err != -EINVAL)
		abort();
	if (!err && (strnlen(n.name, sizeof(n.name)) == sizeof(n.name) ||
		     strnlen(n.pod, sizeof(n.pod)) == sizeof(n.pod) ||
		     strnlen(n.namespace, sizeof(n.namespace)) == sizeof(n.namespace) ||
		     strcmp(n.runtime, runtimes[data[0] % 3])))
		abort();
	return 0;
}
