// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for serve's request parser: the input is what a client
 * sends, fed as the server reads it (one byte, then the rest, as on a slow
 * connection). Whatever it is, http__parse needs more bytes, or answers a
 * known status; a valid request names a path that starts with '/', has no
 * query, and came from a head within the limit. */
#include <stdlib.h>
#include <string.h>

#include "views/http.h"

static void check(const struct pl_http_request *r, size_t len)
{
	switch (r->status) {
	case 0:
		if (r->path[0] != '/' || strchr(r->path, '?') ||
		    strlen(r->path) >= sizeof(r->path) || len > PL_HTTP_HEAD_MAX)
			abort();
		break;
	case 400:
	case 405:
	case 414:
	case 431:
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pl_http_request req;
	size_t n = size < PL_HTTP_HEAD_MAX ? size : PL_HTTP_HEAD_MAX, cut;
	char *buf = malloc(n ? n : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, n);
	/* The prefixes a server sees while the bytes trickle in: once complete,
	 * a head stays complete with the same answer. */
	for (cut = n ? 1 : 0; cut <= n; cut = cut < n ? (cut * 2 > n ? n : cut * 2) : n + 1) {
		if (http__parse(buf, cut, &req)) {
			check(&req, cut);
			break;
		}
		if (cut == n && n == PL_HTTP_HEAD_MAX)
			abort(); /* a full buffer must be answered */
	}
	free(buf);
	return 0;
}
