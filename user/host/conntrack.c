// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc/net/stat/nf_conntrack is a kernel file, but its columns changed
 * over the years (searched, restart, clash_resolve came and went): they
 * are found by name in its header, never by position. A hand-written
 * reader, since no library reads this file; fuzzed (tests/fuzz). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/conntrack.h"
#include "host/sysinfo.h"

#define STAT_PATH "/proc/thread-self/net/stat/nf_conntrack"
#define STAT_MAX (64 * 1024) /* a row of ~150 bytes per CPU */
#define MAX_COLUMNS 32

int conntrack__size(__u64 *count, __u64 *max)
{
	long v;
	int err = sysinfo__sysctl("/proc/sys/net/netfilter/nf_conntrack_count", &v);

	if (err)
		return -ENOENT;
	*count = v > 0 ? (__u64)v : 0;
	*max = sysinfo__sysctl("/proc/sys/net/netfilter/nf_conntrack_max", &v) || v < 0 ? 0 : (__u64)v;
	return 0;
}

/* The next word of @s (up to @end) into @word; NULL at the line's end. */
static const char *next_word(const char *s, const char *end, char *word, size_t size)
{
	size_t n = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= end || *s == '\n')
		return NULL;
	while (s < end && *s != ' ' && *s != '\t' && *s != '\n') {
		if (n + 1 < size)
			word[n++] = *s;
		s++;
	}
	word[n] = '\0';
	return s;
}

static const char *line_end(const char *s, const char *end)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));

	return nl ? nl + 1 : end;
}

/* The counter of column @name: a pointer into @c, or NULL for the others. */
static __u64 *column(struct pl_conntrack_counters *c, const char *name)
{
	if (!strcmp(name, "drop"))
		return &c->drop;
	if (!strcmp(name, "early_drop"))
		return &c->early_drop;
	if (!strcmp(name, "insert_failed"))
		return &c->insert_failed;
	return NULL;
}

int conntrack__parse_counters(const char *text, size_t len, struct pl_conntrack_counters *c)
{
	const char *s = text, *end = text + len, *eol;
	__u64 *cols[MAX_COLUMNS] = { 0 };
	char word[32], *tail;
	size_t n = 0, i;
	bool found = false;

	memset(c, 0, sizeof(*c));
	while (n < MAX_COLUMNS && (s = next_word(s, end, word, sizeof(word)))) {
		cols[n] = column(c, word);
		found |= cols[n++] != NULL;
	}
	if (!found)
		return -EINVAL;
	for (s = line_end(text, end); s < end; s = eol) {
		eol = line_end(s, end);
		for (i = 0; i < n && (s = next_word(s, eol, word, sizeof(word))); i++) {
			unsigned long long v = strtoull(word, &tail, 16);

			if (*tail || !*word)
				return -EINVAL;
			if (cols[i])
				*cols[i] += v;
		}
	}
	return 0;
}

int conntrack__counters(struct pl_conntrack_counters *c)
{
	char *text = malloc(STAT_MAX);
	FILE *f = fopen(STAT_PATH, "re");
	size_t len = 0;
	int err;

	if (!text || !f) {
		err = text ? -errno : -ENOMEM;
		free(text);
		if (f)
			fclose(f);
		return err;
	}
	len = fread(text, 1, STAT_MAX, f);
	err = ferror(f) ? -EIO : conntrack__parse_counters(text, len, c);
	fclose(f);
	free(text);
	return err;
}
