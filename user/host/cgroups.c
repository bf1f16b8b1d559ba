// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/cgroups.h"
#include "host/sysinfo.h"
#include "lib/array.h"

struct cgroup_entry {
	__u64 id;
	char *path;
};

struct pl_cgroups {
	struct cgroup_entry *e;
	size_t n, cap;
	char root[PATH_MAX]; /* the cgroup2 mount; empty until found */
	__u64 scanned_ns;    /* last scan, CLOCK_MONOTONIC; 0 = never */
};

/* mountinfo escapes blanks in paths as octal (\040). */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

int cgroups__find_mount(const char *mountinfo, char *buf, size_t len)
{
	FILE *f = fopen(mountinfo, "re");
	char line[4096], point[PATH_MAX], type[64];
	const char *sep;
	int err = -ENOENT;

	if (!f)
		return -errno;
	/* "id parent major:minor root mount-point options [optional...] - type source super" */
	while (err && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep, " - %63s", type) != 1 || strcmp(type, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		unescape(point);
		if (strlen(point) < len) {
			snprintf(buf, len, "%s", point);
			err = 0;
		}
	}
	fclose(f);
	return err;
}

static struct pl_cgroups *scan_target;

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct pl_cgroups *c = scan_target;
	const char *rel = path + strlen(c->root);

	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (array__reserve(&c->e, &c->cap, c->n + 1, sizeof(*c->e), 256))
		return 1;
	c->e[c->n].id = st->st_ino; /* a cgroup's id is its kernfs inode */
	c->e[c->n].path = strdup(*rel ? rel : "/");
	if (c->e[c->n].path)
		c->n++;
	return 0;
}

static void scan(struct pl_cgroups *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->e[i].path);
	c->n = 0;
	c->scanned_ns = sysinfo__now_ns();
	if (!*c->root && cgroups__find_mount(PL_MOUNTINFO_PATH, c->root, sizeof(c->root)))
		return;
	scan_target = c;
	nftw(c->root, scan_one, 32, FTW_PHYS | FTW_MOUNT);
	scan_target = NULL;
}

struct pl_cgroups *cgroups__new(void)
{
	return calloc(1, sizeof(struct pl_cgroups));
}

static const char *find(const struct pl_cgroups *c, __u64 id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->e[i].id == id)
			return c->e[i].path;
	return NULL;
}

const char *cgroups__path(__u64 id, void *ctx)
{
	struct pl_cgroups *c = ctx;
	const char *path;

	if (!c)
		return NULL;
	path = find(c, id);
	if (path || (c->scanned_ns && sysinfo__now_ns() - c->scanned_ns < PL_CGROUP_RESCAN_NS))
		return path;
	scan(c);
	return find(c, id);
}

void cgroups__free(struct pl_cgroups *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->e[i].path);
	free(c->e);
	free(c);
}
