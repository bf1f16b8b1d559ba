/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A minimal HTTP/1.1 server for the metrics endpoint: GET only, one request
 * per connection, served from the caller's loop. No TLS: bind it to
 * loopback or put a proxy in front. */
#ifndef PORTLEAK_HTTP_H
#define PORTLEAK_HTTP_H

#include <stddef.h>
#include <stdio.h>

struct pl_http_response {
	int status;               /* 200, 404, ... */
	const char *content_type;
	FILE *body;               /* the handler writes the body here */
};

/* Fills @res for @path; the body stream is open_memstream()ed by http.c. */
typedef void (*pl_http_handler)(const char *path, struct pl_http_response *res, void *ctx);

/* Parse "ADDR:PORT" ("[::1]:9530" for IPv6) and listen there. Returns the
 * socket, or negative errno (-EINVAL for a bad address). */
int http__listen(const char *addr_port);
/* Wait up to @timeout_ms for a connection, then serve it. 1 if one was
 * served, 0 on timeout, negative errno on a listening socket failure. */
int http__serve(int fd, int timeout_ms, pl_http_handler handler, void *ctx);

#endif
