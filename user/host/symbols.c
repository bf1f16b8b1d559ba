// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/elfsyms.h"
#include "host/perfmap.h"
#include "host/symbols.h"

#define MAX_PROCS 128 /* processes whose names are kept; the oldest goes */
#define NAME_LEN 160

struct mapping {
	__u64 start, end, offset;
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
	struct pl_jit_sym *jit; /* the perf map, as last read */
	size_t n_jit;
	struct timespec jit_mtime;
	off_t jit_size;
	struct named *names;
	size_t n_names, cap_names;
};

struct pl_symbols {
	struct pl_elfsyms *elf;
	struct proc procs[MAX_PROCS];
	size_t n, next_evict;
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
	perfmap__free(p->jit, p->n_jit);
	p->jit = NULL;
	p->n_jit = 0;
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
	unsigned long long start, end, off;
	struct mapping *m = NULL, *grown;
	size_t n = 0, cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", p->pid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		file[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &start, &end, perms, &off,
			   file) < 4 || perms[2] != 'x')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			if (!(grown = realloc(m, cap * sizeof(*m))))
				break;
			m = grown;
		}
		m[n] = (struct mapping){ start, end, off, NULL };
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

/* Read the perf map again when it changed: a JIT appends to it as it
 * compiles. */
static void read_perf_map(struct proc *p)
{
	struct pl_jit_sym *syms;
	struct stat st;
	char path[96];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/root/tmp/perf-%u.map", p->pid, ns_pid(p->pid));
	if (stat(path, &st) || (st.st_size == p->jit_size &&
				st.st_mtim.tv_sec == p->jit_mtime.tv_sec &&
				st.st_mtim.tv_nsec == p->jit_mtime.tv_nsec))
		return;
	if (!(f = fopen(path, "re")))
		return;
	if (perfmap__read(f, &syms, &n) == 0) {
		free_jit(p);
		p->jit = syms;
		p->n_jit = n;
		p->jit_size = st.st_size;
		p->jit_mtime = st.st_mtim;
	}
	fclose(f);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Name @ip from the process's mappings and perf map. */
static int resolve(struct pl_symbols *s, struct proc *p, __u64 ip, char *out, size_t len)
{
	const struct mapping *m = mapping_of(p, ip);
	const struct pl_jit_sym *j;
	char path[4200];
	const char *name;
	__u64 off, into;

	if (!m && read_maps(p) == 0)
		m = mapping_of(p, ip); /* mapped since (dlopen) */
	if (m && m->path) {
		off = ip - m->start + m->offset;
		snprintf(path, sizeof(path), "/proc/%u/root%s", p->pid, m->path);
		if (elfsyms__lookup(s->elf, path, off, &name, &into) == 0)
			snprintf(out, len, "%s+0x%" PRIx64 " (%s)", name, (uint64_t)into, m->path);
		else
			snprintf(out, len, "%s+0x%" PRIx64 " (%s)", base_name(m->path),
				 (uint64_t)off, m->path);
		return 0;
	}
	read_perf_map(p);
	if ((j = perfmap__find(p->jit, p->n_jit, ip))) {
		snprintf(out, len, "%s+0x%" PRIx64 " ([jit])", j->name, (uint64_t)(ip - j->start));
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
	struct named *n, *grown;
	size_t i;

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
	if (p->n_names == p->cap_names) {
		size_t cap = p->cap_names ? 2 * p->cap_names : 64;

		if (!(grown = realloc(p->names, cap * sizeof(*grown))))
			return n->err;
		p->names = grown;
		p->cap_names = cap;
	}
	p->names[p->n_names++] = *n;
	return n->err;
}
