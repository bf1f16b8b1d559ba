// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "host/sysinfo.h"

#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39
#define CAP_SYS_ADMIN_BIT 21

int sysinfo__port_range(__u16 *low, __u16 *high)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	unsigned int lo = 32768, hi = 60999; /* the kernel's default */
	int ok = 0;

	if (f) {
		ok = fscanf(f, "%u %u", &lo, &hi) == 2;
		fclose(f);
	}
	*low = (__u16)lo;
	*high = (__u16)hi;
	return ok ? 0 : -ENOENT;
}

int sysinfo__reserved_ports(__u64 *bits)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_reserved_ports", "re");
	unsigned int lo, hi, p;
	int n = 0, c;

	memset(bits, 0, 65536 / 8);
	if (!f)
		return -errno;
	while (fscanf(f, "%u", &lo) == 1) {
		hi = lo;
		if ((c = fgetc(f)) == '-') {
			if (fscanf(f, "%u", &hi) != 1)
				break;
			c = fgetc(f);
		}
		for (p = lo; p <= hi && p < 65536; p++) {
			n += !(bits[p / 64] >> (p % 64) & 1);
			bits[p / 64] |= 1ull << (p % 64);
		}
		if (c != ',')
			break;
	}
	fclose(f);
	return n;
}

int sysinfo__sysctl(const char *path, long *value)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%ld", value) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

void sysinfo__kernel(char *buf, size_t len)
{
	struct utsname u;

	snprintf(buf, len, "%s", uname(&u) ? "unknown" : u.release);
}

void sysinfo__files(long long *open, long long *max)
{
	long long allocated, unused;
	FILE *f = fopen("/proc/sys/fs/file-nr", "re");

	*open = *max = -1;
	if (!f)
		return;
	if (fscanf(f, "%lld %lld %lld", &allocated, &unused, max) == 3)
		*open = allocated - unused;
	else
		*max = -1;
	fclose(f);
}

__u64 sysinfo__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

void sysinfo__rfc3339(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool sysinfo__has_btf(void)
{
	return access(PL_BTF_PATH, R_OK) == 0;
}

const char *sysinfo__lockdown(char *buf, size_t len)
{
	FILE *f = fopen(PL_LOCKDOWN_PATH, "re");
	char line[128], *open, *close = NULL;

	if (!f)
		return NULL;
	open = fgets(line, sizeof(line), f) ? strchr(line, '[') : NULL;
	fclose(f);
	if (open)
		close = strchr(open, ']');
	if (!close)
		return NULL;
	*close = '\0';
	snprintf(buf, len, "%s", open + 1);
	return buf;
}

bool sysinfo__on_bpffs(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

static __u64 effective_caps(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long caps = 0;
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	if (f)
		fclose(f);
	return caps;
}

const char *sysinfo__missing_caps(void)
{
	__u64 caps = effective_caps();
	bool bpf = caps & (1ull << CAP_BPF_BIT), perfmon = caps & (1ull << CAP_PERFMON_BIT);

	if (caps & (1ull << CAP_SYS_ADMIN_BIT) || (bpf && perfmon))
		return NULL;
	if (!bpf && !perfmon)
		return "CAP_BPF and CAP_PERFMON";
	return bpf ? "CAP_PERFMON" : "CAP_BPF";
}

static bool mounted(const char *dir, long magic)
{
	struct statfs fs;

	return statfs(dir, &fs) == 0 && (long)fs.f_type == magic;
}

bool sysinfo__has_tracefs(void)
{
	struct stat st;

	return !stat("/sys/kernel/tracing/events", &st) ||
	       !stat("/sys/kernel/debug/tracing/events", &st);
}

/* Mounts portleak makes for itself go into a mount namespace of its own,
 * a slave of the host's (the host's later mounts still reach it): the
 * host sees none of them, and none is left behind, even after kill -9. */
static int own_mount_ns(void)
{
	static bool done;

	if (done)
		return 0;
	/* A change of propagation ignores source and type; named all the
	 * same, since a checker may read the type string. */
	if (unshare(CLONE_NEWNS) || mount("none", "/", "none", MS_SLAVE | MS_REC, NULL))
		return -errno;
	done = true;
	return 0;
}

static void mount_privately(const char *dir, const char *type, long magic)
{
	if (mounted(dir, magic) || own_mount_ns())
		return;
	if (mount(type, dir, type, 0, NULL) == 0)
		fprintf(stderr, "portleak: mounted %s at %s, for portleak alone (its own mount namespace)\n",
			type, dir);
}

/* Is @path /sys/fs/bpf or below it? */
static bool under_bpffs_path(const char *path)
{
	size_t n = strlen(PL_BPFFS_PATH);

	return !strncmp(path, PL_BPFFS_PATH, n) && (path[n] == '\0' || path[n] == '/');
}

int sysinfo__mount_pseudo_fs(const char *pin_dir)
{
	/* Pinned maps must outlive portleak: on the host's bpffs, mounted
	 * before portleak has a mount namespace of its own, or the mount
	 * (and the pins in it) would die with the process. Only where
	 * --pin-dir wants it: a pin dir elsewhere is on a bpffs already. */
	if (pin_dir && under_bpffs_path(pin_dir) && !mounted(PL_BPFFS_PATH, BPF_FS_MAGIC)) {
		if (mount("bpf", PL_BPFFS_PATH, "bpf", 0, NULL))
			return -errno;
		fprintf(stderr, "portleak: mounted bpffs at %s on the host, for --pin-dir (left mounted: the pinned maps live there)\n",
			PL_BPFFS_PATH);
	}
	/* Only to read the lockdown mode when a load fails. */
	mount_privately("/sys/kernel/security", "securityfs", SECURITYFS_MAGIC);
	/* Tracepoint ids come from tracefs: at its own place or in debugfs. */
	if (!sysinfo__has_tracefs())
		mount_privately("/sys/kernel/tracing", "tracefs", TRACEFS_MAGIC);
	return 0;
}

int sysinfo__jiffies(__u64 *jiffies, __u64 *mono_ns)
{
	FILE *f = fopen("/proc/timer_list", "re");
	unsigned long long v;
	char line[256];
	int found = 0;

	if (!f)
		return -errno;
	while (found != 3 && fgets(line, sizeof(line), f)) {
		if (!(found & 1) && sscanf(line, "now at %llu nsecs", &v) == 1) {
			*mono_ns = v;
			found |= 1;
		} else if (!(found & 2) && sscanf(line, "jiffies: %llu", &v) == 1) {
			*jiffies = v;
			found |= 2;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -ENOENT;
}
