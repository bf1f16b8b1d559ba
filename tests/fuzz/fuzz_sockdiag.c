// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the reader of sock_diag's answers (portleak
 * close): whatever the bytes, sockdiag__answer returns one of its
 * outcomes and reads nothing outside them (ASan). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/sockdiag.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct inet_diag_msg msg;
	/* The kernel's answers are aligned; so is the buffer that reads them. */
	void *buf = malloc(size ? size : 1);
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = sockdiag__answer(buf, size, &msg);
	free(buf);
	if (r > 1)
		abort();
	return 0;
}
