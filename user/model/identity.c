// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "model/identity.h"

/* Scope prefixes of the runtimes, as their systemd cgroup drivers name
 * them: <prefix><64 hex>.scope. */
static const struct {
	const char *prefix, *runtime;
} scopes[] = {
	{ "cri-containerd-", "containerd" },
	{ "crio-", "cri-o" },
	{ "docker-", "docker" },
	{ "libpod-", "podman" },
};

static bool is_hex_id(const char *s, size_t n)
{
	size_t i;

	if (n != PL_CONTAINER_ID_LEN - 1)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* One path segment: a container scope, a pod, or a unit. */
static void parse_segment(const char *s, size_t n, struct pl_identity *out)
{
	size_t i, k;

	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		k = strlen(scopes[i].prefix);
		if (n > k && !memcmp(s, scopes[i].prefix, k) && ends_with(s, n, ".scope") &&
		    is_hex_id(s + k, n - k - 6)) {
			snprintf(out->runtime, sizeof(out->runtime), "%s", scopes[i].runtime);
			copy(out->id, sizeof(out->id), s + k, n - k - 6);
			return;
		}
	}
	/* systemd driver: kubepods[-qos]-pod<uid with _>.slice */
	if (n > 8 && !memcmp(s, "kubepods", 8) && ends_with(s, n, ".slice")) {
		const char *pod = NULL;

		for (i = 0; i + 3 < n; i++)
			if (!memcmp(s + i, "-pod", 4))
				pod = s + i + 4;
		if (pod) {
			copy(out->pod_uid, sizeof(out->pod_uid), pod, (size_t)(s + n - 6 - pod));
			for (i = 0; out->pod_uid[i]; i++)
				if (out->pod_uid[i] == '_')
					out->pod_uid[i] = '-';
		}
		return;
	}
	/* cgroupfs driver: pod<uid>, then the bare container id */
	if (n > 3 && !memcmp(s, "pod", 3) && n - 3 < sizeof(out->pod_uid)) {
		copy(out->pod_uid, sizeof(out->pod_uid), s + 3, n - 3);
		return;
	}
	if (is_hex_id(s, n)) {
		copy(out->id, sizeof(out->id), s, n);
		return;
	}
	if (ends_with(s, n, ".service") || (ends_with(s, n, ".scope") && !out->id[0]))
		copy(out->unit, sizeof(out->unit), s, n);
}

bool identity__parse(const char *cgroup, struct pl_identity *out)
{
	const char *s = cgroup, *end;
	bool docker = false;

	memset(out, 0, sizeof(*out));
	while (s && *s) {
		while (*s == '/')
			s++;
		end = strchr(s, '/');
		if (!end)
			end = s + strlen(s);
		if (end > s) {
			docker |= (size_t)(end - s) == 6 && !memcmp(s, "docker", 6);
			parse_segment(s, (size_t)(end - s), out);
		}
		s = end;
	}
	/* A bare id (cgroupfs drivers) names its runtime only under /docker;
	 * else the runtime is the one whose files know the id. */
	if (out->id[0] && !out->runtime[0] && docker)
		snprintf(out->runtime, sizeof(out->runtime), "docker");
	if (out->id[0])
		out->unit[0] = '\0';
	return out->id[0] || out->unit[0];
}

void identity__where(const struct pl_identity *id, const char *cgroup, char *buf, size_t len)
{
	if (id->pod[0])
		snprintf(buf, len, "%s/%s/%s", id->namespace[0] ? id->namespace : "?", id->pod,
			 id->name[0] ? id->name : "?");
	else if (id->name[0])
		snprintf(buf, len, "%s", id->name);
	else if (id->id[0])
		snprintf(buf, len, "%s:%.12s", id->runtime[0] ? id->runtime : "container", id->id);
	else if (id->unit[0])
		snprintf(buf, len, "%s", id->unit);
	else
		snprintf(buf, len, "%s", cgroup);
}
