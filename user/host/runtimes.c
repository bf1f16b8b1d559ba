// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "host/runtimes.h"
#include "host/sysinfo.h"
#include "host/untrusted.h"
#include "lib/array.h"

#define ID_LEN 65
/* A container's config is a few tens of KiB; anything over this is not
 * one, and is not parsed. */
#define CONFIG_BYTES_MAX (4u << 20)

struct entry {
	char id[ID_LEN];
	bool found;
	__u64 looked_ns;
	/* The file last refused (too large, garbled), by inode, size and
	 * mtime: not read again until it changes. */
	__u64 refused[4];
	struct pl_runtime_names names;
};

struct pl_runtimes {
	char root[PATH_MAX];
	struct entry *e;
	size_t n, cap;
};

/* One runtime: where its file for an id is, and which keys name what. */
struct layout {
	const char *runtime;
	const char *path; /* below the host root; %s is the id */
	const char *pod, *namespace, *name; /* annotation keys; NULL: "Name" */
};

static const struct layout layouts[] = {
	{ "containerd", "run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/config.json",
	  "io.kubernetes.cri.sandbox-name", "io.kubernetes.cri.sandbox-namespace",
	  "io.kubernetes.cri.container-name" },
	{ "cri-o", "run/containers/storage/overlay-containers/%s/userdata/config.json",
	  "io.kubernetes.pod.name", "io.kubernetes.pod.namespace", "io.kubernetes.container.name" },
	{ "docker", "var/lib/docker/containers/%s/config.v2.json", NULL, NULL, NULL },
};

struct pl_runtimes *runtimes__new(const char *host_root)
{
	struct pl_runtimes *r = calloc(1, sizeof(*r));

	if (r)
		snprintf(r->root, sizeof(r->root), "%s", host_root && *host_root ? host_root : "/");
	return r;
}

static void take(char *dst, size_t cap, json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;

	if (s)
		snprintf(dst, cap, "%s", s);
}

static const struct layout *layout_of(const char *runtime)
{
	size_t i;

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (!strcmp(layouts[i].runtime, runtime))
			return &layouts[i];
	return NULL;
}

static int names_of(const struct layout *l, json_t *doc, struct pl_runtime_names *out)
{
	json_t *notes;

	if (!json_is_object(doc))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	snprintf(out->runtime, sizeof(out->runtime), "%s", l->runtime);
	if (l->name) {
		notes = json_object_get(doc, "annotations");
		take(out->pod, sizeof(out->pod), json_object_get(notes, l->pod));
		take(out->namespace, sizeof(out->namespace), json_object_get(notes, l->namespace));
		take(out->name, sizeof(out->name), json_object_get(notes, l->name));
	} else {
		take(out->name, sizeof(out->name), json_object_get(doc, "Name"));
		if (out->name[0] == '/')
			memmove(out->name, out->name + 1, strlen(out->name));
	}
	return 0;
}

int runtimes__parse(const char *runtime, const char *buf, size_t len,
		    struct pl_runtime_names *out)
{
	const struct layout *l = layout_of(runtime);
	json_error_t err;
	json_t *doc;
	int ret;

	if (!l)
		return -ENOENT;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!doc)
		return -EINVAL;
	ret = names_of(l, doc, out);
	json_decref(doc);
	return ret;
}

/* Read the file of @l for @e's id below the host root, with the bounds of
 * host/untrusted.h (anyone who can write there controls it): 0 with the
 * names in @e, or negative errno. */
static int read_layout(const struct pl_runtimes *r, const struct layout *l, struct entry *e)
{
	char rel[PATH_MAX], *text = NULL;
	struct stat st;
	__u64 sig[4];
	size_t len;
	int fd, ret;

	snprintf(rel, sizeof(rel), l->path, e->id);
	if ((fd = untrusted__open_in(r->root, rel, &st)) < 0)
		return fd;
	sig[0] = st.st_ino;
	sig[1] = (__u64)st.st_size;
	sig[2] = (__u64)st.st_mtim.tv_sec;
	sig[3] = (__u64)st.st_mtim.tv_nsec;
	if (!memcmp(sig, e->refused, sizeof(sig)))
		ret = -EINVAL;
	else if (st.st_size > CONFIG_BYTES_MAX)
		ret = -EFBIG;
	else if (!(ret = untrusted__read(fd, &st, CONFIG_BYTES_MAX, false, &text, &len)))
		ret = runtimes__parse(l->runtime, text, len, &e->names);
	if (ret && ret != -ETIMEDOUT)
		memcpy(e->refused, sig, sizeof(sig));
	free(text);
	close(fd);
	return ret;
}

static struct entry *entry_of(struct pl_runtimes *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->e[i].id, id))
			return &r->e[i];
	if (array__reserve(&r->e, &r->cap, r->n + 1, sizeof(*r->e), 32))
		return NULL;
	memset(&r->e[r->n], 0, sizeof(r->e[r->n]));
	snprintf(r->e[r->n].id, ID_LEN, "%s", id);
	return &r->e[r->n++];
}

int runtimes__lookup(struct pl_runtimes *r, const char *runtime, const char *id,
		     struct pl_runtime_names *out)
{
	struct entry *e;
	__u64 now;
	size_t i;

	if (!r || !id || !*id || strlen(id) >= ID_LEN || strchr(id, '/'))
		return -ENOENT;
	if (!(e = entry_of(r, id)))
		return -ENOMEM;
	now = sysinfo__now_ns();
	if (!e->found && (!e->looked_ns || now - e->looked_ns >= PL_RUNTIME_RETRY_NS)) {
		e->looked_ns = now;
		for (i = 0; !e->found && i < sizeof(layouts) / sizeof(layouts[0]); i++)
			if (!runtime || !*runtime || !strcmp(runtime, layouts[i].runtime))
				e->found = !read_layout(r, &layouts[i], e);
	}
	if (!e->found)
		return -ENOENT;
	*out = e->names;
	return 0;
}

void runtimes__free(struct pl_runtimes *r)
{
	if (!r)
		return;
	free(r->e);
	free(r);
}
