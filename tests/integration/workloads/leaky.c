// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* leaky: a client with one leaking code path and one that closes, for the
 * leak-origin tests. Built with frame pointers (see the Makefile).
 *
 *   leaky -p PORT -n N -r FILE
 *       connect N times to 127.0.0.1:PORT from leak_orders(), which keeps
 *       every socket and never closes it (CLOSE_WAIT once the server
 *       closes), and N times from fetch_and_close(), which reads to the
 *       end and closes. Both connect through open_connection(); a connect
 *       that fails is counted and the next one tried. Writes "leaked=X
 *       closed=Y failed=Z" to FILE; on SIGUSR1 does it all once more and
 *       writes the new totals; waits until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LEAKED 20000

static volatile sig_atomic_t again;
static int leaked[MAX_LEAKED];
static int n_leaked, n_closed, n_failed;

static void on_usr1(int sig)
{
	(void)sig;
	again = 1;
}

static __attribute__((noinline)) int open_connection(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0) {
		perror("leaky: socket");
		exit(1);
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		n_failed++;
		return -1;
	}
	return fd;
}

static __attribute__((noinline)) void leak_orders(int port, int n)
{
	int i, fd;

	for (i = 0; i < n && n_leaked < MAX_LEAKED; i++)
		if ((fd = open_connection(port)) >= 0)
			leaked[n_leaked++] = fd;
}

static __attribute__((noinline)) void fetch_and_close(int port, int n)
{
	char buf[256];
	int i, fd;

	for (i = 0; i < n; i++) {
		if ((fd = open_connection(port)) < 0)
			continue;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		n_closed++;
	}
}

static void report(const char *path)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")) ||
	    fprintf(f, "leaked=%d closed=%d failed=%d\n", n_leaked, n_closed, n_failed) < 0 ||
	    fclose(f) || rename(tmp, path)) {
		perror("leaky: report");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *ready = NULL;
	int c, port = 0, n = 10;

	while ((c = getopt(argc, argv, "p:n:r:")) != -1) {
		if (c == 'p')
			port = atoi(optarg);
		else if (c == 'n')
			n = atoi(optarg);
		else if (c == 'r')
			ready = optarg;
		else
			return 2;
	}
	if (!port || !ready || n < 1) {
		fprintf(stderr, "usage: leaky -p PORT -n N -r FILE\n");
		return 2;
	}
	signal(SIGUSR1, on_usr1);
	for (;;) {
		leak_orders(port, n);
		fetch_and_close(port, n);
		report(ready);
		while (!again)
			pause();
		again = 0;
	}
}
