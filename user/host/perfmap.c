// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/perfmap.h"

#define LINE_MAX_LEN 4096 /* longer lines are cut there, the rest skipped */

static int cmp_sym(const void *a, const void *b)
{
	const struct pl_jit_sym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* A hex number of at most 16 digits, with an optional 0x. */
static const char *hex(const char *s, __u64 *out)
{
	int digits = 0;

	*out = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; digits < 17; s++, digits++) {
		char c = *s;
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			break;
		*out = *out << 4 | (unsigned int)v;
	}
	return digits && digits <= 16 ? s : NULL;
}

/* "START SIZE name": the name is the rest of the line, without its end. */
static int parse_line(char *line, struct pl_jit_sym *sym)
{
	const char *p = hex(line, &sym->start);
	char *name;

	if (!p || *p != ' ' || !(p = hex(p + 1, &sym->size)) || *p != ' ' || !sym->size ||
	    sym->start + sym->size < sym->start)
		return -EINVAL;
	name = (char *)p + 1;
	name[strcspn(name, "\r\n")] = '\0';
	if (!*name)
		return -EINVAL;
	sym->name = strdup(name);
	return sym->name ? 0 : -ENOMEM;
}

int perfmap__read(FILE *f, struct pl_jit_sym **syms, size_t *n)
{
	struct pl_jit_sym *out = NULL, *grown, sym;
	size_t cap = 0, len;
	char line[LINE_MAX_LEN];
	int err = 0, c;

	*n = 0;
	while (!err && *n < PL_PERFMAP_MAX && fgets(line, sizeof(line), f)) {
		len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n')
			while ((c = fgetc(f)) != EOF && c != '\n')
				; /* the rest of an overlong line */
		if (parse_line(line, &sym) == -EINVAL)
			continue;
		if (!sym.name) {
			err = -ENOMEM;
			break;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			if (!(grown = realloc(out, cap * sizeof(*out)))) {
				free(sym.name);
				err = -ENOMEM;
				break;
			}
			out = grown;
		}
		out[(*n)++] = sym;
	}
	if (err) {
		perfmap__free(out, *n);
		*n = 0;
		out = NULL;
	} else if (out) {
		qsort(out, *n, sizeof(*out), cmp_sym);
	}
	*syms = out;
	return err;
}

const struct pl_jit_sym *perfmap__find(const struct pl_jit_sym *syms, size_t n, __u64 ip)
{
	size_t lo = 0, hi = n, i;

	while (lo < hi) { /* lo: the first that starts above ip */
		i = (lo + hi) / 2;
		if (syms[i].start <= ip)
			lo = i + 1;
		else
			hi = i;
	}
	/* Pieces may overlap (a JIT reuses code space): the latest to start
	 * that covers ip, among the few before it. */
	for (i = lo; i > 0 && lo - i < PL_PERFMAP_OVERLAP; i--)
		if (ip - syms[i - 1].start < syms[i - 1].size)
			return &syms[i - 1];
	return NULL;
}

void perfmap__free(struct pl_jit_sym *syms, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(syms[i].name);
	free(syms);
}
