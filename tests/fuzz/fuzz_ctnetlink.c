// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the reader of ctnetlink's dump answers (the NAT
 * ports of each conntrack table): whatever the bytes, ctnetlink__answers
 * returns one of its outcomes, reads nothing outside them (ASan), and
 * each entry it hands over has a family it knows or none. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/ctnetlink.h"

static int check(const struct pl_ct_row *row, void *ctx)
{
	const struct pl_tuple *t[2] = { &row->orig, &row->reply };
	int i;

	for (i = 0; i < 2; i++)
		if (t[i]->family && t[i]->family != PL_AF_INET && t[i]->family != PL_AF_INET6)
			abort();
	(*(size_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	/* The kernel's answers are aligned; so is the buffer that reads them. */
	void *buf = malloc(size ? size : 1);
	size_t rows = 0;
	int r;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	r = ctnetlink__answers(buf, size, check, &rows);
	free(buf);
	if (r > 1 || r <= -4096)
		abort();
	return 0;
}
