// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* hostile: a client that does not wish portleak well, for tests/hostile/.
 * Run as an unprivileged user. It connects N times to 127.0.0.1:PORT and
 * keeps the sockets, each connect() called through code portleak must
 * name when it shows where the sockets come from, and makes that code's
 * files what the mode says. Built with frame pointers (see the Makefile),
 * so that the frame in that code is on the captured stack. x86-64.
 *
 *   hostile MODE -p PORT -n N -r FILE
 *     fifo     code in anonymous memory (a JIT's); /tmp/perf-PID.map is a FIFO
 *     zero     ... /tmp/perf-PID.map is a symlink to /dev/zero
 *     big      ... /tmp/perf-PID.map holds SIZE MiB (-s, default 400) of
 *              well-formed lines
 *     sparse   ... /tmp/perf-PID.map is a sparse file of 64 GiB
 *     truncate code in a file of its own (an ELF: a copy of this program
 *              with the code appended), mapped; once connected, the file is
 *              truncated and written again, over and over
 *     deleted  code in a mapped file that is then deleted, a FIFO made at
 *              the path /proc/PID/maps shows for it ("PATH (deleted)")
 * Writes "connected=N" to FILE, then waits until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096
#define STUB 16 /* bytes between stubs: each connect has its own return address */
#define MAX_CONNS 64

/* push rbp; mov rbp,rsp; mov rax,rdi; mov rdi,rsi; call rax; pop rbp; ret:
 * calls rdi(rsi) with a frame of its own. */
static const unsigned char stub[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf8, 0x48,
				      0x89, 0xf7, 0xff, 0xd0, 0x5d, 0xc3 };

typedef long (*stub_fn)(long (*fn)(long), long arg);

static void die(const char *what)
{
	fprintf(stderr, "hostile: %s: %s\n", what, strerror(errno));
	exit(1);
}

static __attribute__((noinline)) long connect_one(long port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	return fd;
}

static void fill_stubs(unsigned char *page)
{
	size_t off;

	for (off = 0; off + STUB <= PAGE; off += STUB)
		memcpy(page + off, stub, sizeof(stub));
}

static unsigned char *anon_code(void)
{
	unsigned char *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (code == MAP_FAILED)
		die("mmap");
	fill_stubs(code);
	return code;
}

/* This program's bytes, padded to a page, then a page of stubs. */
static unsigned char *elf_with_code(size_t *len)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	struct stat st;
	unsigned char *buf;
	size_t size;

	if (fd < 0 || fstat(fd, &st))
		die("/proc/self/exe");
	size = ((size_t)st.st_size + PAGE - 1) / PAGE * PAGE;
	buf = calloc(1, size + PAGE);
	if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size)
		die("read /proc/self/exe");
	close(fd);
	fill_stubs(buf + size);
	*len = size + PAGE;
	return buf;
}

static void write_all(int fd, const unsigned char *buf, size_t len)
{
	ssize_t n;

	for (; len; buf += n, len -= (size_t)n)
		if ((n = write(fd, buf, len)) <= 0)
			die("write");
}

/* The file at @path holds @elf; its last page, mapped executable. */
static unsigned char *file_code(const char *path, const unsigned char *elf, size_t len, int *fd)
{
	unsigned char *code;

	*fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (*fd < 0)
		die(path);
	write_all(*fd, elf, len);
	code = mmap(NULL, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, *fd, (off_t)(len - PAGE));
	if (code == MAP_FAILED)
		die("mmap file");
	return code;
}

static void make_perf_map(const char *mode, long mib)
{
	char path[64], line[128];
	size_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	unlink(path);
	if (!strcmp(mode, "fifo") && mkfifo(path, 0644))
		die("mkfifo");
	if (!strcmp(mode, "zero") && symlink("/dev/zero", path))
		die("symlink");
	if (strcmp(mode, "big") && strcmp(mode, "sparse"))
		return;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		die(path);
	if (!strcmp(mode, "sparse")) {
		if (ftruncate(fd, 64ll << 30))
			die("ftruncate");
	} else {
		static unsigned char chunk[1 << 20];

		for (n = 0; n + sizeof(line) < sizeof(chunk); n += strlen(line)) {
			snprintf(line, sizeof(line), "%zx 40 Lcom/example/Generated%zu;::method\n",
				 0x7f0000000000 + n * 64, n);
			memcpy(chunk + n, line, strlen(line));
		}
		for (i = 0; i < (size_t)mib; i++)
			write_all(fd, chunk, n);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *ready = NULL;
	long port = 0, mib = 400, i;
	int n = 1, c, fd = -1;
	unsigned char *code, *elf = NULL;
	char path[64], buf[96];
	size_t len = 0;

	optind = 2;
	while ((c = getopt(argc, argv, "p:n:r:s:")) != -1) {
		if (c == 'p')
			port = atol(optarg);
		else if (c == 'n')
			n = atoi(optarg);
		else if (c == 'r')
			ready = optarg;
		else if (c == 's')
			mib = atol(optarg);
	}
	if (!ready || !port || n < 1 || n > MAX_CONNS)
		return fputs("usage: hostile fifo|zero|big|sparse|truncate|deleted -p PORT -n N [-s MIB] -r FILE\n",
			     stderr), 2;
	snprintf(path, sizeof(path), "/tmp/hostile-%d.so", (int)getpid());
	if (!strcmp(mode, "truncate") || !strcmp(mode, "deleted")) {
		elf = elf_with_code(&len);
		code = file_code(path, elf, len, &fd);
	} else {
		make_perf_map(mode, mib);
		code = anon_code();
	}
	for (i = 0; i < n; i++)
		((stub_fn)(void *)(code + i * STUB))(connect_one, port);
	if (!strcmp(mode, "deleted")) {
		unlink(path);
		snprintf(buf, sizeof(buf), "%s (deleted)", path);
		if (mkfifo(buf, 0644))
			die("mkfifo");
	}
	snprintf(buf, sizeof(buf), "connected=%d\n", n);
	if ((c = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		die(ready);
	write_all(c, (const unsigned char *)buf, strlen(buf));
	close(c);
	for (;;) {
		if (fd < 0 || strcmp(mode, "truncate")) {
			pause();
			continue;
		}
		if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET))
			die("truncate");
		write_all(fd, elf, len);
	}
}
