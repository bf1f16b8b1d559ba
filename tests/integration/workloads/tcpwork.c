// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tcpwork: the real workloads of portleak's integration tests.
 *
 *   tcpwork serve   [-6] [-p PORT] [-m hold|close] -r FILE
 *       listen on loopback; accept forever. hold: keep every accepted
 *       socket open (a CLOSE_WAIT leak once clients close); close: close
 *       each one when its peer does. Writes the port to FILE.
 *   tcpwork connect [-6] -p PORT -n N [-m hold|close] [-R] -r FILE
 *       open N connections to loopback:PORT. hold: keep them; close: close
 *       each right away (the active closer). -R: close with a RST (no
 *       TIME_WAIT left behind, also when killed). Writes
 *       "connected=X failed=Y errno=E" to FILE.
 *   tcpwork bind    [-6] -p PORT -r FILE
 *       bind PORT (no SO_REUSEADDR) and listen. Writes "ok" or
 *       "errno=E" to FILE.
 *
 * -N NAME sets the process name (any bytes: hostile-input tests).
 * Each then waits until killed, so the test can ask portleak about it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 20000

struct args {
	const char *cmd;
	bool v6;
	int port;
	int n;
	bool hold;
	bool rst;
	const char *ready;
};

static void die(const char *what)
{
	fprintf(stderr, "tcpwork: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Write @text to @path in one step, so that a reader never sees half. */
static void report(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) || rename(tmp, path))
		die("write ready file");
}

static socklen_t loopback(const struct args *a, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		s6->sin6_addr = in6addr_loopback;
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((unsigned short)port);
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*s4);
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		die("getsockname");
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void wait_forever(void)
{
	for (;;)
		pause();
}

static void __attribute__((noreturn)) serve(const struct args *a)
{
	static struct pollfd fds[MAX_CONNS + 1];
	struct sockaddr_storage ss;
	socklen_t len = loopback(a, a->port, &ss);
	int n = 1, i, one = 1;
	char buf[64];

	fds[0].fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fds[0].fd < 0)
		die("socket");
	setsockopt(fds[0].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fds[0].fd, (struct sockaddr *)&ss, len) || listen(fds[0].fd, 4096))
		die("bind/listen");
	fds[0].events = POLLIN;
	snprintf(buf, sizeof(buf), "%d\n", bound_port(fds[0].fd));
	report(a->ready, buf);
	for (;;) {
		/* Held sockets are never polled: nothing is read from them. */
		if (poll(fds, a->hold ? 1 : (nfds_t)n, -1) < 0)
			die("poll");
		if ((fds[0].revents & POLLIN) && n <= MAX_CONNS) {
			fds[n].fd = accept4(fds[0].fd, NULL, NULL, SOCK_CLOEXEC);
			fds[n].events = POLLIN;
			n += fds[n].fd >= 0;
		}
		for (i = 1; i < n && !a->hold; i++) {
			if (!(fds[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (read(fds[i].fd, buf, sizeof(buf)) > 0)
				continue;
			close(fds[i].fd); /* the peer closed: close too */
			fds[i--] = fds[--n];
		}
	}
}

static int connect_many(const struct args *a)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(a, a->port, &ss);
	int i, fd, connected = 0, failed = 0, last_errno = 0;
	char buf[128];

	for (i = 0; i < a->n; i++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)&ss, len)) {
			last_errno = errno;
			failed++;
			close(fd);
			continue;
		}
		connected++;
		if (a->rst)
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 },
				   sizeof(struct linger));
		if (!a->hold)
			close(fd);
	}
	snprintf(buf, sizeof(buf), "connected=%d failed=%d errno=%d\n", connected,
		 failed, last_errno);
	report(a->ready, buf);
	wait_forever();
	return 0;
}

static int bind_port(const struct args *a)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(a, a->port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	char buf[64] = "ok\n";

	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16))
		snprintf(buf, sizeof(buf), "errno=%d\n", errno);
	report(a->ready, buf);
	wait_forever();
	return 0;
}

static void usage(void)
{
	fputs("usage: tcpwork serve|connect|bind [-6] [-p PORT] [-n N] [-m hold|close] [-R] [-N NAME] -r FILE\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct args a = { .n = 1, .hold = true };
	int c;

	if (argc < 2)
		usage();
	a.cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "6p:n:m:Rr:N:")) != -1) {
		switch (c) {
		case '6':
			a.v6 = true;
			break;
		case 'p':
			a.port = atoi(optarg);
			break;
		case 'n':
			a.n = atoi(optarg);
			break;
		case 'm':
			a.hold = strcmp(optarg, "close") != 0;
			break;
		case 'r':
			a.ready = optarg;
			break;
		case 'R':
			a.rst = true;
			break;
		case 'N':
			prctl(PR_SET_NAME, optarg, 0, 0, 0);
			break;
		default:
			usage();
		}
	}
	if (!a.ready)
		usage();
	if (!strcmp(a.cmd, "serve"))
		serve(&a); /* never returns */
	if (!strcmp(a.cmd, "connect"))
		return connect_many(&a);
	if (!strcmp(a.cmd, "bind"))
		return bind_port(&a);
	usage();
	return 2;
}
