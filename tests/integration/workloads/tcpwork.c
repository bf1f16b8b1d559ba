// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tcpwork: the real workloads of portleak's integration tests.
 *
 *   tcpwork serve   [-6] [-p PORT] [-m hold|close|drop|reset|stall] [-b N] [-H fork] -r FILE
 *       listen on loopback; accept forever. hold: keep every accepted
 *       socket open (a CLOSE_WAIT leak once clients close); close: close
 *       each one when its peer does; drop: close each one at once (a
 *       client that holds its end is left in CLOSE_WAIT); reset: hold each
 *       one until SIGUSR1, then reset them all (SO_LINGER 0: a client that
 *       holds its end keeps a dead socket, state CLOSE) and write
 *       "reset=N" to FILE.reset; stall: a backlog
 *       of 0 (-b N: N) and no accept() (once the queue is full, SYNs are
 *       dropped).
 *       A failed accept() (EMFILE) is tried again 100 ms later. Writes the
 *       port to FILE. -H fork: a pre-fork server, whose child (named
 *       tcpwork-child, its pid in FILE.child) accepts while the parent
 *       only listens.
 *   tcpwork connect [-6] [-a ADDR] -p PORT [-P PORT2] -n N [-m hold|close|half] [-A [-T MS] [-F]] [-B] [-M] [-R] [-w MS] [-L K] -r FILE
 *       open N connections to loopback:PORT, or IPv4 ADDR:PORT (with -P,
 *       every other one to PORT2); -A: non-blocking connect() and poll()
 *       for the outcome; -T MS: give up after MS ms, closing the socket
 *       while it connects (an application's connect timeout; errno
 *       ETIMEDOUT in FILE); -F: all N in flight at once, FILE.inflight
 *       written once every SYN is sent, then waited for together. -B: bind() to port 0 before each connect() (the
 *       port is then held by bind(), lost to every destination). -M:
 *       from AF_INET6 sockets to the IPv4-mapped ::ffff:ADDR (as Java
 *       connects). -w MS: one connect() every MS milliseconds, and
 *       FILE.failed says when the first one failed. -L K (with -m close):
 *       close each once K newer ones are open, not right away (a pool
 *       that renews its connections), and the last K at the end. hold:
 *       keep them; close: close each right away (the active closer);
 *       half: shut down the sending side (the peer sees a FIN) and keep
 *       them. -R: close with a RST (no TIME_WAIT left behind, also when
 *       killed). Writes
 *       "connected=X failed=Y errno=E" to FILE. -H hands the held
 *       connections over, and "child=PID" or "closed=N" is added:
 *         fork:   a child inherits them; the parent closes its copies;
 *         share:  a child inherits them; both keep them;
 *         pass:   they go to a child over a unix socket (SCM_RIGHTS); the
 *                 parent closes its copies;
 *         thread: a second thread opens them, a third closes every other
 *                 one (with -R: no TIME_WAIT).
 *   tcpwork bind    [-6] -p PORT [-n N] -r FILE
 *       bind PORT (no SO_REUSEADDR) and listen; while that fails, up to N
 *       tries on fresh sockets. Writes "ok" or the first "errno=E" to FILE.
 *   tcpwork fds     -n N -r FILE
 *       hold N fds (dups of one /dev/null: no socket, but N more for every
 *       walk of the host's fds to visit). Writes "fds=N" to FILE.
 *
 * -k SECS (serve and connect, with held sockets): write one byte on each
 * held socket every SECS seconds (traffic that keeps them from idling).
 * -N NAME sets the process name (any bytes: hostile-input tests).
 * Each then waits until killed, so the test can ask portleak about it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 20000

struct args {
	const char *cmd;
	bool v6;
	int port;
	int port2; /* -P */
	int n;
	bool hold;
	bool drop; /* serve -m drop */
	bool reset; /* serve -m reset */
	bool stall; /* serve -m stall */
	int backlog; /* serve -b, with stall */
	int timeout_ms; /* connect -T */
	bool flight; /* connect -F */
	bool async; /* connect -A */
	const char *addr; /* connect -a */
	bool mapped;      /* connect -M */
	bool bind_first;  /* connect -B */
	bool half;
	bool rst;
	int keep_s; /* -k */
	int every_ms; /* connect -w */
	int pool; /* connect -L */
	const char *handover; /* NULL, "fork", "share", "pass" or "thread" */
	const char *ready;
};

struct conns {
	int fds[MAX_CONNS];
	int n;
	int first; /* -L: fds[first..n) are open */
	int connected, failed, last_errno;
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
	if (a->addr && inet_pton(AF_INET, a->addr, &s4->sin_addr) != 1)
		die("-a: not an IPv4 address");
	if (a->mapped) { /* ::ffff:a.b.c.d, from an AF_INET6 socket */
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = s4->sin_port };

		s6.sin6_addr.s6_addr[10] = s6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6.sin6_addr.s6_addr[12], &s4->sin_addr, 4);
		memcpy(ss, &s6, sizeof(s6));
		return sizeof(s6);
	}
	return sizeof(*s4);
}

/* bind() to port 0 of the wildcard address: the kernel picks the port now,
 * by bind()'s rules, and connect() keeps it. */
static void bind_any_port(int fd, int family)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };

	if (bind(fd, (struct sockaddr *)&ss, family == AF_INET6 ? sizeof(struct sockaddr_in6)
								: sizeof(struct sockaddr_in)))
		die("bind");
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

static void __attribute__((noreturn)) wait_forever(void)
{
	for (;;)
		pause();
}

/* -k: one byte on a held socket; a full buffer or a reset is no error. */
static void poke(int fd)
{
	(void)send(fd, "k", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* serve -H fork: the parent reports its child, then the port, and waits,
 * holding the listener; the child goes on to accept. */
static void prefork(const struct args *a, const char *port)
{
	char path[4096], buf[32];
	pid_t child = fork();

	if (child < 0)
		die("fork");
	if (child == 0) {
		prctl(PR_SET_NAME, "tcpwork-child", 0, 0, 0);
		return;
	}
	snprintf(path, sizeof(path), "%s.child", a->ready);
	snprintf(buf, sizeof(buf), "%d\n", (int)child);
	report(path, buf);
	report(a->ready, port);
	wait_forever();
}

/* Close an accepted connection at once: with a FIN, or with @reset a RST. */
static void close_now(int fd, bool reset)
{
	if (reset)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 },
			   sizeof(struct linger));
	close(fd);
}

static volatile sig_atomic_t reset_asked;

static void ask_reset(int sig)
{
	(void)sig;
	reset_asked = 1;
}

/* serve -m reset, at SIGUSR1: every held connection reset at once; only
 * then, so that no client's connect() can see the RST before it returns. */
static void reset_held(const struct args *a, struct pollfd *fds, int *n)
{
	char path[4096], text[32];

	reset_asked = 0;
	for (int i = 1; i < *n; i++)
		close_now(fds[i].fd, true);
	snprintf(path, sizeof(path), "%s.reset", a->ready);
	snprintf(text, sizeof(text), "reset=%d\n", *n - 1);
	*n = 1;
	report(path, text);
}

static void __attribute__((noreturn)) serve(const struct args *a)
{
	static struct pollfd fds[MAX_CONNS + 1];
	struct sockaddr_storage ss;
	socklen_t len = loopback(a, a->port, &ss);
	int n = 1, i, one = 1;
	sigset_t usr1, polling;
	char buf[64];

	fds[0].fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fds[0].fd < 0)
		die("socket");
	setsockopt(fds[0].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fds[0].fd, (struct sockaddr *)&ss, len) || listen(fds[0].fd, a->stall ? a->backlog : 4096))
		die("bind/listen");
	fds[0].events = POLLIN;
	snprintf(buf, sizeof(buf), "%d\n", bound_port(fds[0].fd));
	if (a->handover)
		prefork(a, buf);
	else
		report(a->ready, buf);
	if (a->stall)
		wait_forever();
	/* SIGUSR1 is taken only inside ppoll(): none is lost between polls. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (a->reset && (signal(SIGUSR1, ask_reset) == SIG_ERR ||
			 sigprocmask(SIG_BLOCK, &usr1, &polling)))
		die("SIGUSR1");
	for (;;) {
		/* Held sockets are never polled: nothing is read from them. */
		struct timespec every = { .tv_sec = a->keep_s };
		int ready = ppoll(fds, a->hold ? 1 : (nfds_t)n, a->keep_s ? &every : NULL,
				  a->reset ? &polling : NULL);

		if (reset_asked)
			reset_held(a, fds, &n);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			die("poll");
		if (ready == 0) { /* -k: the time to write */
			for (i = 1; i < n; i++)
				poke(fds[i].fd);
			continue;
		}
		if ((fds[0].revents & POLLIN) && n <= MAX_CONNS) {
			fds[n].fd = accept4(fds[0].fd, NULL, NULL, SOCK_CLOEXEC);
			fds[n].events = POLLIN;
			if (fds[n].fd < 0)
				usleep(100000); /* EMFILE, say: the connection waits */
			else if (a->drop)
				close_now(fds[n].fd, false);
			else
				n++;
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

/* A non-blocking connect(), then its outcome: 0 or -1 with errno; after
 * @timeout_ms (0: 120 s), -1 with ETIMEDOUT. */
static int connect_async(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t elen = sizeof(int);
	int err = 0, flags = fcntl(fd, F_GETFL);

	if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) || !connect(fd, sa, len))
		return fcntl(fd, F_SETFL, flags);
	if (errno != EINPROGRESS)
		return -1;
	err = poll(&p, 1, timeout_ms ? timeout_ms : 120000);
	if (err == 0)
		errno = ETIMEDOUT;
	if (err != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		return -1;
	fcntl(fd, F_SETFL, flags);
	errno = err;
	return err ? -1 : 0;
}

/* FILE.failed: when the first connect() failed, as CLOCK_REALTIME seconds
 * (what bash's EPOCHREALTIME reads), and its errno. */
static void first_failure(const char *ready, int err)
{
	char path[4096], text[64];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(path, sizeof(path), "%s.failed", ready);
	snprintf(text, sizeof(text), "%lld.%06ld errno=%d\n", (long long)ts.tv_sec,
		 ts.tv_nsec / 1000, err);
	report(path, text);
}

static void connect_into(const struct args *a, struct conns *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int i, fd;

	for (i = 0; i < a->n && i < MAX_CONNS; i++) {
		if (a->every_ms && i)
			usleep((useconds_t)a->every_ms * 1000);
		len = loopback(a, a->port2 && i % 2 ? a->port2 : a->port, &ss);
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (a->bind_first)
			bind_any_port(fd, ss.ss_family);
		if (a->async ? connect_async(fd, (struct sockaddr *)&ss, len, a->timeout_ms)
			     : connect(fd, (struct sockaddr *)&ss, len)) {
			c->last_errno = errno;
			if (!c->failed++ && a->every_ms)
				first_failure(a->ready, errno);
			close(fd);
			continue;
		}
		c->connected++;
		if (a->rst)
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 },
				   sizeof(struct linger));
		if (a->half && shutdown(fd, SHUT_WR))
			die("shutdown");
		if (a->hold || a->pool)
			c->fds[c->n++] = fd;
		else
			close(fd);
		if (a->pool && c->n - c->first > a->pool)
			close(c->fds[c->first++]);
	}
	while (a->pool && c->first < c->n)
		close(c->fds[c->first++]);
	if (a->pool)
		c->n = c->first = 0;
}

/* -F: every connect non-blocking at once; FILE.inflight says how many
 * wait; then their outcomes, together, until -T runs out (the rest are
 * closed while connecting: ETIMEDOUT). */
static void connect_in_flight(const struct args *a, struct conns *c)
{
	static struct pollfd p[MAX_CONNS];
	struct sockaddr_storage ss;
	char path[4096], text[32];
	int i, n = a->n < MAX_CONNS ? a->n : MAX_CONNS, waiting = 0, err;
	socklen_t len, elen = sizeof(err);

	for (i = 0; i < n; i++) {
		len = loopback(a, a->port, &ss);
		p[i] = (struct pollfd){ .fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0),
					.events = POLLOUT };
		if (p[i].fd < 0)
			die("socket");
		if (connect(p[i].fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
			c->failed++;
			c->last_errno = errno;
			close(p[i].fd);
			p[i].fd = -1;
		}
		waiting += p[i].fd >= 0;
	}
	snprintf(path, sizeof(path), "%s.inflight", a->ready);
	snprintf(text, sizeof(text), "inflight=%d\n", waiting);
	report(path, text);
	while (waiting && poll(p, (nfds_t)n, a->timeout_ms ? a->timeout_ms : -1) > 0) {
		for (i = 0; i < n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			waiting--;
			if (getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) {
				c->failed++;
				c->last_errno = err;
				close(p[i].fd);
			} else {
				c->connected++;
				c->fds[c->n++] = p[i].fd;
			}
			p[i].fd = -1;
		}
	}
	for (i = 0; i < n; i++) {
		if (p[i].fd < 0)
			continue;
		c->failed++;
		c->last_errno = ETIMEDOUT;
		close(p[i].fd);
	}
}

static void close_all(struct conns *c)
{
	while (c->n > 0)
		close(c->fds[--c->n]);
}

/* A child that holds @c's sockets (inherited): the parent's copies go,
 * unless @keep. */
static pid_t hand_over_by_fork(struct conns *c, bool keep)
{
	pid_t child = fork();

	if (child < 0)
		die("fork");
	if (child == 0) {
		prctl(PR_SET_NAME, "tcpwork-child", 0, 0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); /* no orphan outlives a test */
		wait_forever();
	}
	if (!keep)
		close_all(c);
	return child;
}

static void send_fd(int via, int fd)
{
	char data = 0, control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &data, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(via, &msg, 0) != 1)
		die("sendmsg");
}

/* Receive fds until the sender hangs up, keep them, tell it, hold them. */
static void __attribute__((noreturn)) receive_fds(int via)
{
	char data, control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &data, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	prctl(PR_SET_NAME, "tcpwork-recv", 0, 0, 0);
	for (;;) {
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		if (recvmsg(via, &msg, 0) <= 0 || data == 1)
			break;
	}
	if (write(via, "k", 1) != 1)
		die("write");
	wait_forever();
}

/* A child forked before the connections exist, so it inherits none: they
 * reach it over a unix socket only. */
static pid_t hand_over_by_passing(const struct args *a, struct conns *c)
{
	int pair[2], i;
	char done = 1, ack;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair))
		die("socketpair");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(pair[0]);
		receive_fds(pair[1]);
	}
	close(pair[1]);
	connect_into(a, c);
	for (i = 0; i < c->n; i++)
		send_fd(pair[0], c->fds[i]);
	if (write(pair[0], &done, 1) != 1 || read(pair[0], &ack, 1) != 1)
		die("hand over");
	close_all(c);
	return child;
}

static void *open_thread(void *arg)
{
	void **p = arg;

	connect_into(p[0], p[1]);
	return NULL;
}

static void *close_thread(void *arg)
{
	struct conns *c = arg;
	int i;

	for (i = 0; i < c->n; i += 2)
		close(c->fds[i]);
	return NULL;
}

/* One thread opens, another closes every other socket: the process
 * (tgid) is the owner, whatever thread acts. Returns how many were closed. */
static int open_and_close_in_threads(const struct args *a, struct conns *c)
{
	void *open_args[2] = { (void *)a, c };
	pthread_t t;

	if (pthread_create(&t, NULL, open_thread, open_args) || pthread_join(t, NULL) ||
	    pthread_create(&t, NULL, close_thread, c) || pthread_join(t, NULL))
		die("thread");
	return (c->n + 1) / 2;
}

static int connect_many(const struct args *a)
{
	static struct conns c;
	char buf[160], extra[40] = "";

	if (a->flight) {
		connect_in_flight(a, &c);
	} else if (!a->handover) {
		connect_into(a, &c);
	} else if (!strcmp(a->handover, "fork") || !strcmp(a->handover, "share")) {
		connect_into(a, &c);
		snprintf(extra, sizeof(extra), " child=%d",
			 (int)hand_over_by_fork(&c, !strcmp(a->handover, "share")));
	} else if (!strcmp(a->handover, "pass")) {
		snprintf(extra, sizeof(extra), " child=%d", (int)hand_over_by_passing(a, &c));
	} else {
		snprintf(extra, sizeof(extra), " closed=%d", open_and_close_in_threads(a, &c));
	}
	snprintf(buf, sizeof(buf), "connected=%d failed=%d errno=%d%s\n", c.connected,
		 c.failed, c.last_errno, extra);
	report(a->ready, buf);
	while (a->keep_s) {
		sleep((unsigned int)a->keep_s);
		for (int i = 0; i < c.n; i++)
			poke(c.fds[i]);
	}
	wait_forever();
	return 0;
}

/* bind() and listen() on the port; with -n N, N tries on fresh sockets
 * while they fail (a storm of failures), then report the first errno. */
static int bind_port(const struct args *a)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(a, a->port, &ss);
	char buf[64] = "ok\n";
	int fd, i, first_err = 0;

	for (i = 0; i < a->n; i++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		if (!bind(fd, (struct sockaddr *)&ss, len) && !listen(fd, 16))
			break;
		if (!first_err)
			first_err = errno;
		close(fd);
	}
	if (first_err)
		snprintf(buf, sizeof(buf), "errno=%d\n", first_err);
	report(a->ready, buf);
	wait_forever();
	return 0;
}

static int hold_fds(const struct args *a)
{
	int fd = open("/dev/null", O_RDONLY), i;
	char buf[64];

	if (fd < 0)
		die("open /dev/null");
	for (i = 1; i < a->n; i++)
		if (dup(fd) < 0)
			die("dup");
	snprintf(buf, sizeof(buf), "fds=%d\n", a->n);
	report(a->ready, buf);
	wait_forever();
	return 0;
}

static void usage(void)
{
	fputs("usage: tcpwork serve|connect|bind|fds [-6] [-a ADDR] [-p PORT] [-P PORT2] [-n N] [-A [-T MS] [-F]] [-B] [-M] [-R] [-w MS] [-L K]\n"
	      "               [-m hold|close|half|drop|reset|stall] [-b BACKLOG]\n"
	      "               [-H fork|share|pass|thread] [-k SECS] [-N NAME] -r FILE\n",
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
	while ((c = getopt(argc, argv, "6a:ABFL:Mp:P:n:m:Rr:N:H:k:w:T:b:")) != -1) {
		switch (c) {
		case '6':
			a.v6 = true;
			break;
		case 'p':
			a.port = atoi(optarg);
			break;
		case 'P':
			a.port2 = atoi(optarg);
			break;
		case 'B':
			a.bind_first = true;
			break;
		case 'M':
			a.mapped = true;
			break;
		case 'a':
			a.addr = optarg;
			break;
		case 'A':
			a.async = true;
			break;
		case 'n':
			a.n = atoi(optarg);
			break;
		case 'm':
			a.hold = strcmp(optarg, "close") != 0;
			a.half = strcmp(optarg, "half") == 0;
			a.drop = strcmp(optarg, "drop") == 0;
			a.reset = strcmp(optarg, "reset") == 0;
			a.stall = strcmp(optarg, "stall") == 0;
			break;
		case 'w':
			a.every_ms = atoi(optarg);
			break;
		case 'L':
			a.pool = atoi(optarg);
			break;
		case 'T':
			a.timeout_ms = atoi(optarg);
			break;
		case 'F':
			a.flight = true;
			break;
		case 'b':
			a.backlog = atoi(optarg);
			break;
		case 'k':
			a.keep_s = atoi(optarg);
			break;
		case 'r':
			a.ready = optarg;
			break;
		case 'R':
			a.rst = true;
			break;
		case 'H':
			if (strcmp(optarg, "fork") && strcmp(optarg, "share") && strcmp(optarg, "pass") &&
			    strcmp(optarg, "thread"))
				usage();
			a.handover = optarg;
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
	if (!strcmp(a.cmd, "fds"))
		return hold_fds(&a);
	usage();
	return 2;
}
