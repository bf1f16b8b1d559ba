/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Who a process is on a container host, from its cgroup v2 path: the
 * container runtime and id, the Kubernetes pod uid, or the systemd unit.
 * Names (pod, namespace, container) come from the runtime's own files
 * (host/runtimes.c) and are filled in by the loader. Plain C. */
#ifndef PORTLEAK_IDENTITY_H
#define PORTLEAK_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#define PL_CONTAINER_ID_LEN 65 /* 64 hex digits */
#define PL_NAME_LEN 128
#define PL_WHERE_LEN 400 /* identity__where() */

struct pl_identity {
	char runtime[16];                 /* "containerd", "cri-o", "docker", "podman"; "" unknown */
	char id[PL_CONTAINER_ID_LEN];     /* the container id */
	char pod_uid[40];                 /* with dashes, as Kubernetes writes it */
	char name[PL_NAME_LEN];           /* the container's name, once known */
	char pod[PL_NAME_LEN];
	char namespace[PL_NAME_LEN];
	char unit[PL_NAME_LEN];           /* systemd unit when not a container */
};

/* Parse @cgroup (a path below the cgroup2 mount) into @out; names stay
 * empty. true when it names a container or a unit. */
bool identity__parse(const char *cgroup, struct pl_identity *out);
/* Where a process runs, for a narrow column: "namespace/pod/container",
 * else the container id's first 12 digits, else the unit, else @cgroup. */
void identity__where(const struct pl_identity *id, const char *cgroup, char *buf, size_t len);

#endif
