// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/privileges.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

static int set_caps(unsigned long long keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ .effective = (__u32)keep, .permitted = (__u32)keep },
		{ .effective = (__u32)(keep >> 32), .permitted = (__u32)(keep >> 32) },
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* /etc/passwd itself: a static binary cannot use NSS modules. */
static struct passwd *find_user(const char *name)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw = NULL;

	while (f && (pw = fgetpwent(f)))
		if (!strcmp(pw->pw_name, name))
			break;
	if (f)
		fclose(f);
	return pw;
}

static int become(const char *user, struct pl_why *why)
{
	struct passwd *pw = find_user(user);

	if (!pw)
		return why__set(why, -ENOENT, "no such user '%s'", user);
	if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(0, NULL) || setgid(pw->pw_gid) ||
	    setuid(pw->pw_uid))
		return why__set(why, -errno, "failed to become user %s: %s", user, strerror(errno));
	return 0;
}

int privileges__drop(const char *user, bool netns, struct pl_why *why)
{
	int last = last_cap(), cap, err;
	unsigned long long keep = 1ull << (last >= CAP_BPF ? CAP_BPF : CAP_SYS_ADMIN);

	if (netns)
		keep |= 1ull << CAP_SYS_ADMIN | 1ull << CAP_SYS_PTRACE;
	for (cap = 0; cap <= last; cap++)
		if (!(keep & 1ull << cap))
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0); /* needs CAP_SETPCAP */
	if (user && (err = become(user, why)))
		return err;
	err = set_caps(keep);
	if (!err && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		err = -errno;
	if (err)
		why__set(why, err, "failed to drop capabilities: %s", strerror(-err));
	return err;
}

unsigned long long privileges__effective(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return 0;
	return (unsigned long long)d[1].effective << 32 | d[0].effective;
}
