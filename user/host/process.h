/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One live process, as /proc and a pidfd tell it: who it is (pid plus
 * start time, so that a reused pid is another process) and its fds. */
#ifndef PORTLEAK_PROCESS_H
#define PORTLEAK_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "ledger.h"

struct pl_process {
	pid_t pid;
	int pidfd;                 /* this very process, whatever reuses its pid; -1: none */
	unsigned long long started; /* /proc/PID/stat field 22: clock ticks after boot */
	__u64 start_ns;            /* the same, as CLOCK_MONOTONIC (the BPF side's clock) */
	char comm[PL_COMM_LEN];
};

/* Take hold of @pid: 0, -ESRCH when there is none, or a negative errno. */
int process__open(pid_t pid, struct pl_process *p);
/* Is it still the process process__open found? (Not if it exited, even
 * when another process now has its pid.) */
bool process__same(const struct pl_process *p);
/* How many of its fds are the sockets with these inode numbers. */
size_t process__count_sockets(const struct pl_process *p, const __u64 *inos, size_t n);
/* Nanoseconds of one clock tick of field 22. */
__u64 process__tick_ns(void);
void process__close(struct pl_process *p);
/* The fds @pid has open (/proc/PID/fd) and its soft open-files limit
 * (/proc/PID/limits; -1 when unlimited). 0, or a negative errno. */
int process__fd_budget(pid_t pid, __s64 *in_use, __s64 *limit);

#endif
