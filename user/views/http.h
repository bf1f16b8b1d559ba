/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The HTTP/1.1 server of serve: GET and HEAD, one request per connection,
 * many connections at once, driven from the caller's loop. No client can
 * hold it: every connection has a deadline from accept to the last byte
 * of the response, the number of connections is capped (the oldest goes
 * when a new one needs its place), and a request head over the limit is
 * answered 431. Once answered, a connection is closed on our side and
 * dropped when the client hangs up (no reset loses the answer). No TLS: bind it to loopback or put a proxy in front.
 *
 * portleak keeps its own server because the Debian libraries made for it
 * cannot be linked into the one static file: libmicrohttpd's static
 * archive needs GnuTLS and p11-kit, which have none, and civetweb ships
 * no static archive. The request parser is fuzzed (tests/fuzz/fuzz_http.c). */
#ifndef PORTLEAK_HTTP_H
#define PORTLEAK_HTTP_H

#include <stddef.h>
#include <stdio.h>

#define PL_HTTP_HEAD_MAX 8192     /* bytes of request line and headers */
#define PL_HTTP_CLIENTS_MAX 64    /* connections served at once */
#define PL_HTTP_DEADLINE_MS 2000  /* accept to response sent */
#define PL_HTTP_PATH_MAX 256

struct pl_http_response {
	int status;               /* 200, 404, ... */
	const char *content_type;
	FILE *body;               /* the handler writes the body here */
};

/* Fills @res for @path; the body stream is open_memstream()ed by http.c. */
typedef void (*pl_http_handler)(const char *path, struct pl_http_response *res, void *ctx);

/* What a request head says. */
struct pl_http_request {
	int status;                  /* 0: complete and valid; else the error to answer */
	int head_only;               /* HEAD */
	char path[PL_HTTP_PATH_MAX]; /* without the query */
};

/* Parse the first @len bytes a client sent: 1 with @req filled once the
 * head is complete or cannot become valid (req->status says which), 0
 * when more bytes are needed. */
int http__parse(const char *buf, size_t len, struct pl_http_request *req);

/* Parse "ADDR:PORT" ("[::1]:9530" for IPv6) and listen there. Returns the
 * socket, or negative errno (-EINVAL for a bad address). */
int http__listen(const char *addr_port);

struct pl_http;
/* A server on the listening socket @fd (which it closes when freed). */
struct pl_http *http__new(int fd);
/* Wait up to @timeout_ms for work, then do all that is ready: accept,
 * read, answer, write, drop what is past its deadline. 0, or negative
 * errno on a failure of the listening socket. */
int http__serve(struct pl_http *h, int timeout_ms, pl_http_handler handler, void *ctx);
/* Connections open now. */
size_t http__clients(const struct pl_http *h);
void http__free(struct pl_http *h);

#endif
