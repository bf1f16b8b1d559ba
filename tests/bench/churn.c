// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* churn: connection churn over loopback, for portleak's benchmarks.
 *
 *   churn [-t THREADS] [-s SECONDS] [-r RATE] [-m rst|timewait]
 *
 * THREADS client threads connect to a listener of this process and close,
 * as fast as they can or at RATE connections per second in all, for
 * SECONDS; as many threads accept and close on the server side.
 *   rst       the client closes with SO_LINGER 0: no TIME_WAIT anywhere
 *   timewait  the server closes first: every connection leaves TIME_WAIT
 * Prints "connections=N seconds=S rate=R failures=F". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in server;
static int listener, threads = 2;
static double seconds = 3, rate;
static bool timewait;
static atomic_long done, failed;
static atomic_bool stop; /* for the clients; the servers accept until exit */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *serve(void *arg)
{
	char buf[16];
	int fd;

	(void)arg;
	for (;;) {
		fd = accept(listener, NULL, NULL);
		if (fd < 0)
			continue;
		if (!timewait) /* wait for the client's RST */
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		close(fd);
	}
	return NULL;
}

static void *client(void *arg)
{
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	double start = now(), per_thread = rate / threads;
	long mine = 0;
	char buf[16];
	int fd;

	(void)arg;
	while (!atomic_load(&stop)) {
		if (per_thread > 0 && mine > (now() - start) * per_thread) {
			usleep(200);
			continue;
		}
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&server, sizeof(server))) {
			atomic_fetch_add(&failed, 1);
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (timewait)
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		else
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		close(fd);
		mine++;
		atomic_fetch_add(&done, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tids[128];
	socklen_t len = sizeof(server);
	double start, took;
	int c, i, one = 1;

	while ((c = getopt(argc, argv, "t:s:r:m:")) != -1) {
		switch (c) {
		case 't':
			threads = atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'm':
			timewait = !strcmp(optarg, "timewait");
			break;
		default:
			fputs("usage: churn [-t THREADS] [-s SECONDS] [-r RATE] [-m rst|timewait]\n", stderr);
			return 2;
		}
	}
	if (threads < 1 || threads > 64)
		threads = 2;
	server.sin_family = AF_INET;
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&server, sizeof(server)) || listen(listener, 4096) ||
	    getsockname(listener, (struct sockaddr *)&server, &len)) {
		perror("churn: listen");
		return 1;
	}
	for (i = 0; i < threads; i++)
		pthread_create(&tids[i], NULL, serve, NULL);
	start = now();
	for (i = 0; i < threads; i++)
		pthread_create(&tids[threads + i], NULL, client, NULL);
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop, true);
	took = now() - start;
	for (i = threads; i < 2 * threads; i++)
		pthread_join(tids[i], NULL);
	printf("connections=%ld seconds=%.3f rate=%.0f failures=%ld\n", atomic_load(&done), took,
	       atomic_load(&done) / took, atomic_load(&failed));
	fflush(stdout);
	_exit(0); /* the server threads are still in accept() */
}
