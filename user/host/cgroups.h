/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* cgroup v2 ids (what BPF reads from a task) to paths below the cgroup2
 * mount, wherever the host mounts it: /sys/fs/cgroup on unified hosts,
 * /sys/fs/cgroup/unified in systemd's hybrid layout. */
#ifndef PORTLEAK_CGROUPS_H
#define PORTLEAK_CGROUPS_H

#include <stddef.h>
#include <linux/types.h>

#define PL_MOUNTINFO_PATH "/proc/self/mountinfo"
/* An unknown id rescans the tree at most this often: cgroups come and go
 * for the whole life of a daemon. */
#define PL_CGROUP_RESCAN_NS (2 * 1000000000ull)

struct pl_cgroups;

/* NULL when out of memory. The mount is looked up at the first miss. */
struct pl_cgroups *cgroups__new(void);
/* The path of cgroup @id ("/" for the root), or NULL when unknown. */
const char *cgroups__path(__u64 id, void *cgroups);
/* The cgroup2 mount point into @buf from a mountinfo file; -ENOENT when
 * cgroup2 is not mounted. */
int cgroups__find_mount(const char *mountinfo, char *buf, size_t len);
void cgroups__free(struct pl_cgroups *c);

#endif
