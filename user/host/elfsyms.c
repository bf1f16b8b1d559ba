// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/elfsyms.h"
#include "lib/array.h"

#define BUILD_ID_MAX 20
#define MAX_SEGMENTS 16
#define MAX_FILES 256 /* distinct files kept; the oldest goes when full */
/* A symbol table read whole is at most this large (libjvm.so's .symtab
 * is under 2 MiB): a hostile header cannot make us allocate more. */
#define SYMTAB_BYTES_MAX (64u << 20)
#define SYMS_MAX 1000000 /* functions kept of one file */

struct sym {
	__u64 addr, size;
	size_t name; /* offset in the file's string pool */
};

struct segment {
	__u64 offset, vaddr, size;
};

/* One ELF file's function table and how file offsets map to addresses. */
struct elf_file {
	char key[2 * BUILD_ID_MAX + 3]; /* build-id in hex, or "dev:ino"; then :s or :d */
	struct sym *syms;
	size_t n_syms;
	char *names;
	struct segment segs[MAX_SEGMENTS];
	size_t n_segs;
};

struct pl_elfsyms {
	struct elf_file files[MAX_FILES];
	size_t n, next_evict;
};

struct pl_elfsyms *elfsyms__new(void)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	return calloc(1, sizeof(struct pl_elfsyms));
}

static void file_free(struct elf_file *f)
{
	free(f->syms);
	free(f->names);
	memset(f, 0, sizeof(*f));
}

void elfsyms__free(struct pl_elfsyms *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		file_free(&e->files[i]);
	free(e);
}

static bool has_symtab(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return true;
	return false;
}

/* The GNU build-id note, in hex; empty when there is none. */
static void build_id(Elf *elf, char *out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	*out = 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off, i;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || sh.sh_size > 4096 ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + name_off, "GNU", 4) || !nh.n_descsz)
				continue;
			for (i = 0; i < nh.n_descsz && i < BUILD_ID_MAX; i++)
				sprintf(out + 2 * i, "%02x", ((unsigned char *)d->d_buf)[desc_off + i]);
			return;
		}
	}
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The pool of names being filled: its length and room. */
struct pool {
	size_t len, cap;
};

/* Room for @more bytes of names, grown by doubling: a libjvm.so has 2 MiB
 * of them, and a realloc for each name copies the pool each time (under a
 * sanitizer's allocator, always). */
static int pool_room(struct elf_file *f, struct pool *p, size_t more)
{
	return array__reserve(&f->names, &p->cap, p->len + more, 1, 4096);
}

/* The sized functions of one symbol table section. */
static int read_symtab(Elf *elf, Elf_Scn *scn, struct elf_file *f, struct pool *pool)
{
	GElf_Shdr sh, strings;
	Elf_Data *d;
	size_t i, n, len;
	GElf_Sym s;
	const char *name;
	void *grown;

	if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize || sh.sh_size > SYMTAB_BYTES_MAX ||
	    !gelf_getshdr(elf_getscn(elf, sh.sh_link), &strings) ||
	    strings.sh_size > SYMTAB_BYTES_MAX || !(d = elf_getdata(scn, NULL)))
		return 0;
	n = sh.sh_size / sh.sh_entsize;
	if (n > SYMS_MAX - f->n_syms)
		n = SYMS_MAX - f->n_syms;
	if (!(grown = realloc(f->syms, (f->n_syms + n) * sizeof(*f->syms))))
		return -ENOMEM;
	f->syms = grown;
	for (i = 0; i < n; i++) {
		if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
		    !s.st_size || !s.st_value ||
		    !(name = elf_strptr(elf, sh.sh_link, s.st_name)) || !*name)
			continue;
		len = strlen(name) + 1;
		if (pool_room(f, pool, len))
			return -ENOMEM;
		memcpy(f->names + pool->len, name, len);
		f->syms[f->n_syms++] = (struct sym){ s.st_value, s.st_size, pool->len };
		pool->len += len;
	}
	return 0;
}

static int read_file(Elf *elf, struct elf_file *f)
{
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	struct pool pool = { 0 };
	size_t i, n_ph;
	GElf_Shdr sh;
	GElf_Phdr ph;
	int err;

	if (elf_getphdrnum(elf, &n_ph))
		return -ENOEXEC;
	for (i = 0; i < n_ph && f->n_segs < MAX_SEGMENTS; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			f->segs[f->n_segs++] = (struct segment){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM)
			dynsym = scn;
	}
	err = read_symtab(elf, symtab ? symtab : dynsym, f, &pool);
	if (!err && symtab && dynsym) /* a partly stripped file: both */
		err = read_symtab(elf, dynsym, f, &pool);
	if (!err && f->syms)
		qsort(f->syms, f->n_syms, sizeof(*f->syms), cmp_sym);
	return err;
}

static struct elf_file *find(struct pl_elfsyms *e, const char *key)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->files[i].key, key))
			return &e->files[i];
	return NULL;
}

static struct elf_file *slot(struct pl_elfsyms *e)
{
	struct elf_file *f;

	if (e->n < MAX_FILES)
		return &e->files[e->n++];
	f = &e->files[e->next_evict];
	e->next_evict = (e->next_evict + 1) % MAX_FILES;
	file_free(f);
	return f;
}

/* The table of the file open as @fd, read now if no file with its
 * build-id was read before. Another user may own the file and truncate it
 * while we read: libelf reads it (ELF_C_READ: pread into its own buffers,
 * a short read is an error) and never maps it, which would be SIGBUS. */
static int open_file(struct pl_elfsyms *e, int fd, struct elf_file **out)
{
	char key[sizeof(e->files[0].key)];
	struct stat st;
	int err = 0;
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);

	if (!elf || elf_kind(elf) != ELF_K_ELF || fstat(fd, &st)) {
		err = -ENOEXEC;
		goto out;
	}
	build_id(elf, key);
	if (!*key)
		snprintf(key, sizeof(key), "%llx:%llx", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
	/* A stripped copy has the build-id of the file it was stripped from. */
	strcat(key, has_symtab(elf) ? ":s" : ":d");
	if (!(*out = find(e, key))) {
		*out = slot(e);
		snprintf((*out)->key, sizeof((*out)->key), "%s", key);
		if (read_file(elf, *out)) { /* kept as a file without symbols */
			free((*out)->syms);
			free((*out)->names);
			(*out)->syms = NULL;
			(*out)->names = NULL;
			(*out)->n_syms = 0;
		}
	}
out:
	if (elf)
		elf_end(elf);
	return err;
}

int elfsyms__lookup(struct pl_elfsyms *e, int fd, __u64 off, const char **name, __u64 *into)
{
	struct elf_file *f;
	__u64 addr = 0;
	size_t lo = 0, hi, i;
	int err = open_file(e, fd, &f);

	if (err)
		return err;
	for (i = 0; i < f->n_segs; i++)
		if (off >= f->segs[i].offset && off < f->segs[i].offset + f->segs[i].size)
			addr = off - f->segs[i].offset + f->segs[i].vaddr;
	hi = f->n_syms;
	if (!addr || !hi)
		return -ENOENT;
	while (lo + 1 < hi) { /* the last symbol at or below addr */
		i = (lo + hi) / 2;
		if (f->syms[i].addr <= addr)
			lo = i;
		else
			hi = i;
	}
	if (f->syms[lo].addr > addr || addr >= f->syms[lo].addr + f->syms[lo].size)
		return -ENOENT;
	*name = f->names + f->syms[lo].name;
	*into = addr - f->syms[lo].addr;
	return 0;
}
