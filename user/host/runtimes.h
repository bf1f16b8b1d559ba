/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Container names from the runtimes' own files on the host: no API server,
 * no network. Each path is below a host root (--host-root, default /), for
 * portleak running in a container with the host's root mounted:
 *   containerd  run/containerd/io.containerd.runtime.v2.task/k8s.io/ID/config.json
 *               annotations io.kubernetes.cri.{sandbox-name,sandbox-namespace,container-name}
 *   CRI-O       run/containers/storage/overlay-containers/ID/userdata/config.json
 *               annotations io.kubernetes.{pod.name,pod.namespace,container.name}
 *   Docker      var/lib/docker/containers/ID/config.v2.json: "Name"
 * Parsed with jansson; cached by container id; a missing or garbled file
 * leaves the names empty and is read again on a later miss. */
#ifndef PORTLEAK_RUNTIMES_H
#define PORTLEAK_RUNTIMES_H

#include <stddef.h>

#define PL_RUNTIME_NAME_LEN 128
/* A container whose files were not found is looked up again at most this
 * often. */
#define PL_RUNTIME_RETRY_NS (2 * 1000000000ull)

struct pl_runtime_names {
	char runtime[16]; /* the runtime whose files know the id */
	char name[PL_RUNTIME_NAME_LEN];
	char pod[PL_RUNTIME_NAME_LEN];
	char namespace[PL_RUNTIME_NAME_LEN];
};

struct pl_runtimes;

/* NULL when out of memory; @host_root is copied. */
struct pl_runtimes *runtimes__new(const char *host_root);
/* The names of container @id; @runtime narrows the search ("" or NULL:
 * try each runtime). 0, or -ENOENT when no runtime's files know it. */
int runtimes__lookup(struct pl_runtimes *r, const char *runtime, const char *id,
		     struct pl_runtime_names *out);
void runtimes__free(struct pl_runtimes *r);
/* The names in one runtime file's text (@runtime: "containerd", "cri-o"
 * or "docker"): 0, -EINVAL when it is not a JSON object, -ENOENT for an
 * unknown runtime. */
int runtimes__parse(const char *runtime, const char *buf, size_t len,
		    struct pl_runtime_names *out);

#endif
