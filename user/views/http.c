// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "views/http.h"

#define REQUEST_MAX 4096
#define CLIENT_TIMEOUT_S 2 /* a slow client cannot stall the agent longer */

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	unsigned long port;
	char *end;
	size_t n;

	if (!colon || colon == s)
		return -EINVAL;
	port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port == 0 || port > 65535)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (s[0] == '[' && colon[-1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

int http__listen(const char *addr_port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, err = parse_addr(addr_port, &ss, &len);

	if (err)
		return err;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Read until the end of the request head; 0 on success. */
static int read_head(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < size) {
		r = read(fd, buf + n, size - 1 - n);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
	}
	return -1;
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

static void write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n && (w = write(fd, p, n)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, struct pl_http_response *res, char *body, size_t len,
		    bool head_only)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 res->status, reason(res->status), res->content_type, len);

	write_all(fd, head, (size_t)n);
	if (!head_only)
		write_all(fd, body, len);
}

static void serve_client(int fd, pl_http_handler handler, void *ctx)
{
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
	struct pl_http_response res = { .status = 400, .content_type = "text/plain" };
	char req[REQUEST_MAX], method[8], path[256], *body = NULL;
	size_t len = 0;
	bool head_only = false;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	res.body = open_memstream(&body, &len);
	if (!res.body)
		return;
	if (read_head(fd, req, sizeof(req)) == 0 &&
	    sscanf(req, "%7s %255s HTTP/1.", method, path) == 2) {
		head_only = !strcmp(method, "HEAD");
		if (strcmp(method, "GET") && !head_only) {
			res.status = 405;
			fputs("only GET\n", res.body);
		} else {
			path[strcspn(path, "?")] = '\0';
			handler(path, &res, ctx);
		}
	} else {
		fputs("bad request\n", res.body);
	}
	fclose(res.body);
	respond(fd, &res, body, len, head_only);
	free(body);
}

int http__serve(int fd, int timeout_ms, pl_http_handler handler, void *ctx)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int c, n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 0;
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? 0 : -errno;
	serve_client(c, handler, ctx);
	close(c);
	return 1;
}
