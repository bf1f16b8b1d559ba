// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "host/elfsyms.h"
#include "host/perfmap.h"
#include "host/symbols.h"
#include "host/sysinfo.h"
#include "host/untrusted.h"
#include "lib/array.h"

#define MAX_PROCS 128 /* processes whose names are kept; the oldest goes */
#define NAME_LEN 160
#define MAX_MAPPINGS 65536 /* executable mappings read of one process */
/* The perf maps of all processes together hold at most this much; the
 * least recently used go first. */
#define JIT_BYTES_MAX (48u << 20)
/* A perf map that changed is read again at most this often: a JIT may
 * append to it all the time. */
#define JIT_REREAD_NS (5 * 1000000000ull)

struct mapping {
	__u64 start, end, offset, inode;
	char *path; /* NULL: anonymous (a JIT's code, say) */
};

struct named {
	__u64 ip;
	char name[NAME_LEN];
	int err;
};

struct proc {
	__u32 pid;
	__u64 start_ns;
	struct mapping *maps; /* executable mappings, as last read */
	size_t n_maps;
	struct pl_perfmap jit; /* the perf map, as last read */
	struct timespec jit_mtime;
	off_t jit_size;
	__u64 jit_read_ns;
	__u64 used; /* the symbols' clock when last asked about */
	struct named *names;
	size_t n_names, cap_names;
};

struct pl_symbols {
	struct pl_elfsyms *elf;
	struct proc procs[MAX_PROCS];
	size_t n, next_evict;
	__u64 clock; /* counts the questions asked */
};

struct pl_symbols *symbols__new(void)
{
	struct pl_symbols *s = calloc(1, sizeof(*s));

	if (s && !(s->elf = elfsyms__new())) {
		free(s);
		return NULL;
	}
	return s;
}

static void free_maps(struct proc *p)
{
	size_t i;

	for (i = 0; i < p->n_maps; i++)
		free(p->maps[i].path);
	free(p->maps);
	p->maps = NULL;
	p->n_maps = 0;
}

static void free_jit(struct proc *p)
{
	perfmap__free(&p->jit);
}

static void proc_free(struct proc *p)
{
	free_maps(p);
	free_jit(p);
	free(p->names);
	memset(p, 0, sizeof(*p));
}

void symbols__free(struct pl_symbols *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		proc_free(&s->procs[i]);
	elfsyms__free(s->elf);
	free(s);
}

/* The executable mappings of /proc/PID/maps; 0 or a negative errno (the
 * process is gone: the last ones read stay). */
static int read_maps(struct proc *p)
{
	char path[64], line[4096 + 128], perms[8], file[4096];
	unsigned long long start, end, off, ino;
	struct mapping *m = NULL;
	size_t n = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", p->pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (n < MAX_MAPPINGS && fgets(line, sizeof(line), f)) {
		file[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %llu %4095[^\n]", &start, &end, perms, &off,
			   &ino, file) < 5 || perms[2] != 'x')
			continue;
		if (array__reserve(&m, &cap, n + 1, sizeof(*m), 32))
			break;
		m[n] = (struct mapping){ start, end, off, ino, NULL };
		if (file[0] == '/' && !(m[n].path = strdup(file)))
			break;
		n++;
	}
	fclose(f);
	free_maps(p);
	p->maps = m;
	p->n_maps = n;
	return 0;
}

static const struct mapping *mapping_of(const struct proc *p, __u64 ip)
{
	size_t i;

	for (i = 0; i < p->n_maps; i++)
		if (ip >= p->maps[i].start && ip < p->maps[i].end)
			return &p->maps[i];
	return NULL;
}

/* The pid the process has in its own pid namespace (NSpid's last field). */
static __u32 ns_pid(__u32 pid)
{
	char path[64], line[256], *last;
	unsigned long n = pid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	if (!(f = fopen(path, "re")))
		return pid;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6))
			continue;
		last = strrchr(line, '\t');
		n = strtoul(last ? last + 1 : line + 6, NULL, 10);
	}
	fclose(f);
	return n ? (__u32)n : pid;
}

static size_t jit_bytes(const struct pl_symbols *s)
{
	size_t i, bytes = 0;

	for (i = 0; i < s->n; i++)
		bytes += s->procs[i].jit.bytes;
	return bytes;
}

/* Give back perf maps, least recently used first, until @more bytes fit
 * in JIT_BYTES_MAX. */
static void make_room(struct pl_symbols *s, size_t more)
{
	struct proc *lru;
	size_t i;

	while (jit_bytes(s) + more > JIT_BYTES_MAX) {
		lru = NULL;
		for (i = 0; i < s->n; i++)
			if (s->procs[i].jit.bytes && (!lru || s->procs[i].used < lru->used))
				lru = &s->procs[i];
		if (!lru)
			return;
		free_jit(lru);
	}
}

/* Read the perf map again when it changed (a JIT appends to it as it
 * compiles), at most every JIT_REREAD_NS. The process owns the file:
 * it is read with the bounds of host/untrusted.h, its newest
 * PL_PERFMAP_BYTES only, and a file that breaks a rule leaves the frames
 * it would have named as addresses. */
static void read_perf_map(struct pl_symbols *s, struct proc *p)
{
	char root[64], rel[64], *text;
	struct pl_perfmap map;
	__u64 now = sysinfo__now_ns();
	struct stat st;
	size_t len;
	int fd;

	if (p->jit_read_ns && now - p->jit_read_ns < JIT_REREAD_NS)
		return;
	p->jit_read_ns = now;
	snprintf(root, sizeof(root), "/proc/%u/root", p->pid);
	snprintf(rel, sizeof(rel), "tmp/perf-%u.map", ns_pid(p->pid));
	if ((fd = untrusted__open_in(root, rel, &st)) < 0)
		return;
	if (st.st_size == p->jit_size && st.st_mtim.tv_sec == p->jit_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == p->jit_mtime.tv_nsec) {
		close(fd);
		return;
	}
	free_jit(p);
	p->jit_size = -1; /* until a read succeeds */
	make_room(s, (size_t)st.st_size < PL_PERFMAP_BYTES ? (size_t)st.st_size : PL_PERFMAP_BYTES);
	if (untrusted__read(fd, &st, PL_PERFMAP_BYTES, true, &text, &len) == 0) {
		if (perfmap__parse(text, len, (size_t)st.st_size > len, &map) == 0) {
			p->jit = map;
			p->jit_size = st.st_size;
			p->jit_mtime = st.st_mtim;
		}
		free(text);
	}
	close(fd);
	make_room(s, 0);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), k = strlen(end);

	return n >= k && !strcmp(s + n - k, end);
}

/* The file mapped at @m, opened with the bounds of host/untrusted.h: the
 * kernel's own link to it (/proc/PID/map_files/), never a FIFO or whatever
 * stands at its path now. That link needs CAP_SYS_ADMIN and search rights
 * on another user's directory, which serve gives up: then its path in the
 * process's root, if it is still the same inode and was not deleted. */
static int open_mapped(const struct proc *p, const struct mapping *m)
{
	char path[96], root[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", p->pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	fd = untrusted__open(path, &st);
	if (fd != -EACCES && fd != -EPERM)
		return fd;
	if (ends_with(m->path, " (deleted)"))
		return -ENOENT;
	snprintf(root, sizeof(root), "/proc/%u/root", p->pid);
	fd = untrusted__open_in(root, m->path + 1, &st);
	if (fd >= 0 && st.st_ino != m->inode) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* Name @ip from the process's mappings and perf map. */
static int resolve(struct pl_symbols *s, struct proc *p, __u64 ip, char *out, size_t len)
{
	const struct mapping *m = mapping_of(p, ip);
	const struct pl_jit_sym *j;
	const char *name;
	__u64 off, into;
	int fd;

	if (!m && read_maps(p) == 0)
		m = mapping_of(p, ip); /* mapped since (dlopen) */
	if (m && m->path) {
		off = ip - m->start + m->offset;
		fd = open_mapped(p, m);
		if (fd >= 0 && elfsyms__lookup(s->elf, fd, off, &name, &into) == 0)
			snprintf(out, len, "%s+0x%" PRIx64 " (%s)", name, (uint64_t)into, m->path);
		else
			snprintf(out, len, "%s+0x%" PRIx64 " (%s)", base_name(m->path),
				 (uint64_t)off, m->path);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	read_perf_map(s, p);
	if ((j = perfmap__find(&p->jit, ip))) {
		snprintf(out, len, "%s+0x%" PRIx64 " ([jit])", perfmap__name(&p->jit, j),
			 (uint64_t)(ip - j->start));
		return 0;
	}
	snprintf(out, len, "0x%" PRIx64 " (%s)", (uint64_t)ip, m ? "[anon]" : "[unknown]");
	return m ? 0 : -ENOENT;
}

static struct proc *proc_of(struct pl_symbols *s, __u32 pid, __u64 start_ns)
{
	struct proc *p;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->procs[i].pid == pid && s->procs[i].start_ns == start_ns)
			return &s->procs[i];
	if (s->n < MAX_PROCS) {
		p = &s->procs[s->n++];
	} else {
		p = &s->procs[s->next_evict];
		s->next_evict = (s->next_evict + 1) % MAX_PROCS;
		proc_free(p);
	}
	p->pid = pid;
	p->start_ns = start_ns;
	read_maps(p);
	return p;
}

int symbols__name(struct pl_symbols *s, __u32 pid, __u64 start_ns, __u64 ip, char *out,
		  size_t len)
{
	struct proc *p = proc_of(s, pid, start_ns);
	struct named *n;
	size_t i;

	p->used = ++s->clock;
	for (i = 0; i < p->n_names; i++) {
		if (p->names[i].ip == ip) {
			snprintf(out, len, "%s", p->names[i].name);
			return p->names[i].err;
		}
	}
	n = &(struct named){ .ip = ip };
	n->err = resolve(s, p, ip, n->name, sizeof(n->name));
	snprintf(out, len, "%s", n->name);
	/* A JIT's code may be named later, when it writes its perf map. */
	if (strstr(n->name, " ([anon])") || strstr(n->name, " ([unknown])"))
		return n->err;
	if (array__reserve(&p->names, &p->cap_names, p->n_names + 1, sizeof(*p->names), 64))
		return n->err;
	p->names[p->n_names++] = *n;
	return n->err;
}

void symbols__forget_exited(struct pl_symbols *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (kill((pid_t)s->procs[i].pid, 0) == 0 || errno != ESRCH)
			continue;
		free_jit(&s->procs[i]);
		free_maps(&s->procs[i]);
	}
}
