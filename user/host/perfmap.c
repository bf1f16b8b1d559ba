// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/perfmap.h"
#include "lib/array.h"

#define NAME_MAX_LEN 4000 /* longer names are cut there */

static int cmp_sym(const void *a, const void *b)
{
	const struct pl_jit_sym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* A hex number of at most 16 digits, with an optional 0x. */
static const char *hex(const char *s, const char *end, __u64 *out)
{
	int digits = 0;

	*out = 0;
	if (end - s >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s < end && digits < 17; s++, digits++) {
		char c = *s;
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			break;
		*out = *out << 4 | (unsigned int)v;
	}
	return digits && digits <= 16 ? s : NULL;
}

/* "START SIZE name" in [line, end): the name is the rest, without a \r.
 * Its bounds in *name and *name_len; false when the line is not one. */
static bool parse_line(const char *line, const char *end, struct pl_jit_sym *sym,
		       const char **name, size_t *name_len)
{
	const char *p = hex(line, end, &sym->start);

	if (!p || p == end || *p != ' ' || !(p = hex(p + 1, end, &sym->size)) || p == end ||
	    *p != ' ' || !sym->size || sym->start + sym->size < sym->start)
		return false;
	*name = p + 1;
	*name_len = (size_t)(end - *name);
	if (*name_len && (*name)[*name_len - 1] == '\r')
		(*name_len)--;
	if (*name_len > NAME_MAX_LEN)
		*name_len = NAME_MAX_LEN;
	return *name_len > 0 && !memchr(*name, '\0', *name_len);
}

/* Room for one more symbol and @name_len more bytes of names. */
static int grow(struct pl_perfmap *m, size_t *cap, size_t *pool_cap, size_t pool_len,
		size_t name_len)
{
	if (array__reserve(&m->syms, cap, m->n + 1, sizeof(*m->syms), 256) ||
	    array__reserve(&m->names, pool_cap, pool_len + name_len + 1, 1, 4096))
		return -ENOMEM;
	return 0;
}

int perfmap__parse(const char *text, size_t len, bool partial, struct pl_perfmap *m)
{
	const char *p = text, *end = text + len, *eol, *name;
	size_t cap = 0, pool_cap = 0, pool_len = 0, name_len;
	struct pl_jit_sym sym;
	int err = 0;

	memset(m, 0, sizeof(*m));
	if (partial && (p = memchr(text, '\n', len)))
		p++;
	for (; !err && p && p < end && m->n < PL_PERFMAP_MAX; p = eol + 1) {
		if (!(eol = memchr(p, '\n', (size_t)(end - p))))
			eol = end;
		if (!parse_line(p, eol, &sym, &name, &name_len))
			continue;
		if ((err = grow(m, &cap, &pool_cap, pool_len, name_len)))
			break;
		memcpy(m->names + pool_len, name, name_len);
		m->names[pool_len + name_len] = 0;
		sym.name = pool_len;
		pool_len += name_len + 1;
		m->syms[m->n++] = sym;
	}
	if (err) {
		perfmap__free(m);
		return err;
	}
	if (m->n)
		qsort(m->syms, m->n, sizeof(*m->syms), cmp_sym);
	m->bytes = cap * sizeof(*m->syms) + pool_cap;
	return 0;
}

const struct pl_jit_sym *perfmap__find(const struct pl_perfmap *m, __u64 ip)
{
	size_t lo = 0, hi = m->n, i;

	while (lo < hi) { /* lo: the first that starts above ip */
		i = (lo + hi) / 2;
		if (m->syms[i].start <= ip)
			lo = i + 1;
		else
			hi = i;
	}
	/* Pieces may overlap (a JIT reuses code space): the latest to start
	 * that covers ip, among the few before it. */
	for (i = lo; i > 0 && lo - i < PL_PERFMAP_OVERLAP; i--)
		if (ip - m->syms[i - 1].start < m->syms[i - 1].size)
			return &m->syms[i - 1];
	return NULL;
}

void perfmap__free(struct pl_perfmap *m)
{
	free(m->syms);
	free(m->names);
	memset(m, 0, sizeof(*m));
}
