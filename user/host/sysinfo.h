/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the host says about itself: sysctls, kernel, clocks, privileges,
 * pseudo file systems. */
#ifndef PORTLEAK_SYSINFO_H
#define PORTLEAK_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PL_BTF_PATH "/sys/kernel/btf/vmlinux"
#define PL_LOCKDOWN_PATH "/sys/kernel/security/lockdown"
#define PL_BPFFS_PATH "/sys/fs/bpf"

/* net.ipv4.ip_local_port_range of the calling thread's network namespace. */
int sysinfo__port_range(__u16 *low, __u16 *high);
/* net.ipv4.ip_local_reserved_ports of the calling thread's network
 * namespace ("8080,9000-9100") as a bitmap of PL_PORT_WORDS words in
 * @bits: the number of ports reserved, or negative errno. */
int sysinfo__reserved_ports(__u64 *bits);
/* The first integer of a /proc/sys file; negative errno. */
int sysinfo__sysctl(const char *path, long *value);
void sysinfo__kernel(char *buf, size_t len);
/* Open files of the whole host and their ceiling (fs.file-nr: allocated,
 * free, max); -1 each when unreadable. */
void sysinfo__files(long long *open, long long *max);
__u64 sysinfo__now_ns(void); /* CLOCK_MONOTONIC, like bpf_ktime_get_ns() */
void sysinfo__rfc3339(char *buf, size_t len);
bool sysinfo__has_btf(void);
/* The kernel lockdown mode in force ("none", "integrity",
 * "confidentiality") into @buf; NULL when the kernel has no lockdown. */
const char *sysinfo__lockdown(char *buf, size_t len);
/* Is @path on the BPF file system? */
bool sysinfo__on_bpffs(const char *path);
/* NULL if allowed to load BPF programs, else which capabilities lack. */
const char *sysinfo__missing_caps(void);
/* jiffies_64 and CLOCK_MONOTONIC read together, from /proc/timer_list
 * ("now at N nsecs", "jiffies: N"); negative errno when it cannot be read. */
int sysinfo__jiffies(__u64 *jiffies, __u64 *mono_ns);
/* Mount tracefs and securityfs where they are missing, in a mount
 * namespace of portleak's own (said on stderr); for a @pin_dir under
 * /sys/fs/bpf (or NULL), bpffs there on the host first (said too), for
 * pinned maps that outlive portleak. 0, or negative errno when bpffs
 * could not be mounted. */
int sysinfo__mount_pseudo_fs(const char *pin_dir);
/* Whether tracefs is mounted (tracepoint ids come from it). */
bool sysinfo__has_tracefs(void);

#endif
