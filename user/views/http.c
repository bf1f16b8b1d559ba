// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include "views/http.h"

struct client {
	int fd;          /* -1: free slot */
	__u64 deadline;  /* CLOCK_MONOTONIC ms */
	__u64 accepted;
	char head[PL_HTTP_HEAD_MAX];
	size_t n_head;
	char *out;       /* the response, once there is one */
	size_t n_out, sent;
	bool draining;   /* response sent: read what the client still sends, then close */
};

struct pl_http {
	int fd;
	struct client c[PL_HTTP_CLIENTS_MAX];
};

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

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
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 128)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* --- parsing ------------------------------------------------------------- */

/* The end of the head: the blank line, CRLF or bare LF. */
static const char *head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return buf + i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return buf + i + 3;
	}
	return NULL;
}

/* "METHOD SP PATH SP HTTP/1.x" at the start of @line (@len bytes). */
static int parse_request_line(const char *line, size_t len, struct pl_http_request *req)
{
	const char *sp1 = memchr(line, ' ', len), *sp2, *end = line + len;
	size_t n;

	if (!sp1)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2 || (size_t)(end - sp2 - 1) < 8 || memcmp(sp2 + 1, "HTTP/1.", 7))
		return 400;
	n = (size_t)(sp2 - sp1 - 1);
	if (n == 0 || sp1[1] != '/' || memchr(sp1 + 1, '\0', n))
		return 400;
	if (n >= sizeof(req->path))
		return 414;
	memcpy(req->path, sp1 + 1, n);
	req->path[n] = '\0';
	req->path[strcspn(req->path, "?")] = '\0';
	if ((size_t)(sp1 - line) == 4 && !memcmp(line, "HEAD", 4))
		req->head_only = 1;
	else if ((size_t)(sp1 - line) != 3 || memcmp(line, "GET", 3))
		return 405;
	return 0;
}

int http__parse(const char *buf, size_t len, struct pl_http_request *req)
{
	const char *end = head_end(buf, len), *eol;

	memset(req, 0, sizeof(*req));
	if (!end) {
		if (len < PL_HTTP_HEAD_MAX)
			return 0;
		req->status = 431;
		return 1;
	}
	eol = memchr(buf, '\n', (size_t)(end - buf));
	if (eol > buf && eol[-1] == '\r')
		eol--;
	req->status = parse_request_line(buf, (size_t)(eol - buf), req);
	return 1;
}

/* --- answering ------------------------------------------------------------ */

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
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

static const char *error_text(int status)
{
	switch (status) {
	case 405:
		return "only GET and HEAD\n";
	case 414:
		return "path too long\n";
	case 431:
		return "request head too large\n";
	default:
		return "bad request\n";
	}
}

/* The whole response into c->out; false when out of memory. */
static bool answer(struct client *c, const struct pl_http_request *req,
		   pl_http_handler handler, void *ctx)
{
	struct pl_http_response res = { .status = req->status, .content_type = "text/plain" };
	char *body = NULL;
	size_t len = 0;
	FILE *out;

	res.body = open_memstream(&body, &len);
	if (!res.body)
		return false;
	if (req->status)
		fputs(error_text(req->status), res.body);
	else
		handler(req->path, &res, ctx);
	fclose(res.body);
	out = open_memstream(&c->out, &c->n_out);
	if (out) {
		fprintf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			res.status, reason(res.status), res.content_type, len);
		if (!req->head_only)
			fwrite(body, 1, len, out);
		fclose(out);
	}
	free(body);
	return out != NULL;
}

/* --- connections ------------------------------------------------------------ */

static void drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->n_head = c->n_out = c->sent = 0;
	c->draining = false;
}

struct pl_http *http__new(int fd)
{
	struct pl_http *h = calloc(1, sizeof(*h));
	size_t i;

	if (!h)
		return NULL;
	h->fd = fd;
	for (i = 0; i < PL_HTTP_CLIENTS_MAX; i++)
		h->c[i].fd = -1;
	return h;
}

/* Which connection gives its place first: one that has its answer and only
 * waits for the client to hang up, then one that has not sent a whole
 * request yet, then one still being answered. */
static int keep_rank(const struct client *c)
{
	return c->draining ? 0 : !c->out ? 1 : 2;
}

/* A free slot; when there is none, the oldest connection of the lowest
 * rank gives its place. */
static struct client *slot(struct pl_http *h)
{
	struct client *victim = NULL, *c;
	size_t i;

	for (i = 0; i < PL_HTTP_CLIENTS_MAX; i++) {
		c = &h->c[i];
		if (c->fd < 0)
			return c;
		if (!victim || keep_rank(c) < keep_rank(victim) ||
		    (keep_rank(c) == keep_rank(victim) && c->accepted < victim->accepted))
			victim = c;
	}
	drop(victim);
	return victim;
}

static void read_head(struct client *c, pl_http_handler handler, void *ctx);
static void write_out(struct client *c);

/* A client that sent its request with the connect is answered at once. */
static int accept_all(struct pl_http *h, __u64 now, pl_http_handler handler, void *ctx)
{
	struct client *c;
	int fd;

	for (;;) {
		fd = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			break;
		c = slot(h);
		c->fd = fd;
		c->accepted = now;
		c->deadline = now + PL_HTTP_DEADLINE_MS;
		read_head(c, handler, ctx);
		if (c->fd >= 0 && c->out && !c->draining)
			write_out(c);
	}
	if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
	    errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
		return 0;
	return -errno;
}

static void read_head(struct client *c, pl_http_handler handler, void *ctx)
{
	struct pl_http_request req;
	ssize_t r = read(c->fd, c->head + c->n_head, sizeof(c->head) - c->n_head);

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		drop(c);
		return;
	}
	if (r > 0)
		c->n_head += (size_t)r;
	if (http__parse(c->head, c->n_head, &req) && !answer(c, &req, handler, ctx))
		drop(c);
}

static void write_out(struct client *c)
{
	ssize_t w = send(c->fd, c->out + c->sent, c->n_out - c->sent, MSG_NOSIGNAL);

	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w <= 0) {
		drop(c);
		return;
	}
	c->sent += (size_t)w;
	if (c->sent == c->n_out) {
		/* Closing with unread bytes would reset the connection, and the
		 * client could lose the answer (a 431 to a head still coming):
		 * close our side, and drop the connection once the client does
		 * (or at its deadline). */
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
	}
}

static void drain(struct client *c)
{
	char buf[4096];
	ssize_t r = read(c->fd, buf, sizeof(buf));

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		drop(c);
}

int http__serve(struct pl_http *h, int timeout_ms, pl_http_handler handler, void *ctx)
{
	struct pollfd p[PL_HTTP_CLIENTS_MAX + 1];
	struct client *of[PL_HTTP_CLIENTS_MAX + 1];
	size_t i, n = 1;
	__u64 now;
	int err = 0, ready;

	p[0] = (struct pollfd){ .fd = h->fd, .events = POLLIN };
	for (i = 0; i < PL_HTTP_CLIENTS_MAX; i++) {
		if (h->c[i].fd < 0)
			continue;
		of[n] = &h->c[i];
		p[n++] = (struct pollfd){ .fd = h->c[i].fd,
					  .events = h->c[i].out && !h->c[i].draining ? POLLOUT : POLLIN };
	}
	ready = poll(p, n, timeout_ms);
	if (ready < 0)
		return errno == EINTR ? 0 : -errno;
	now = now_ms();
	for (i = 1; i < n; i++) {
		if (of[i]->draining) {
			if (p[i].revents)
				drain(of[i]);
		} else if (p[i].revents & (POLLIN | POLLHUP | POLLERR) && !of[i]->out) {
			read_head(of[i], handler, ctx);
		}
		if (of[i]->fd >= 0 && of[i]->out && !of[i]->draining)
			write_out(of[i]);
		if (of[i]->fd >= 0 && now >= of[i]->deadline)
			drop(of[i]);
	}
	if (p[0].revents & POLLIN)
		err = accept_all(h, now, handler, ctx);
	else if (p[0].revents & (POLLERR | POLLNVAL))
		err = -EIO;
	return err;
}

size_t http__clients(const struct pl_http *h)
{
	size_t i, n = 0;

	for (i = 0; i < PL_HTTP_CLIENTS_MAX; i++)
		n += h->c[i].fd >= 0;
	return n;
}

void http__free(struct pl_http *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < PL_HTTP_CLIENTS_MAX; i++)
		drop(&h->c[i]);
	close(h->fd);
	free(h);
}
