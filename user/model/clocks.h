/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The kernel's per-socket clocks (bpf/walk.h: struct pl_sock_clocks) in
 * seconds. Plain C: the unit tests check the arithmetic, wrap included. */
#ifndef PORTLEAK_CLOCKS_H
#define PORTLEAK_CLOCKS_H

#include <stdbool.h>
#include <linux/types.h>

#include "ledger.h"
#include "walk.h"

#define PL_TIMEWAIT_S 60 /* TCP_TIMEWAIT_LEN: compiled into every kernel */

/* CONFIG_HZ from one reading of jiffies_64 and CLOCK_MONOTONIC taken
 * together: jiffies_64 starts at 2^32 - 300 * HZ at boot (INITIAL_JIFFIES)
 * and CLOCK_MONOTONIC at 0, so only the right HZ fits both. 0 when none of
 * the values a kernel can be built with fits. */
unsigned int clocks__hz(__u64 jiffies, __u64 mono_ns);
/* CONFIG_HZ from two such readings, @ns2 - @ns1 apart (100 ms is enough):
 * the tick rate; 0 when it fits no HZ within 10 %. */
unsigned int clocks__hz_rate(__u64 j1, __u64 ns1, __u64 j2, __u64 ns2);

/* The BPF side's clock for socket times (struct pl_clock): @hz the
 * kernel's, @jiffies read together with CLOCK_MONOTONIC @mono_ns (up to a
 * tick apart, either way). Its stamps, base + jiffies_64 * TICK_NSEC
 * modulo 2^64, lag CLOCK_MONOTONIC by less than four ticks and never lead
 * it. */
struct pl_clock clocks__of_jiffies(unsigned int hz, __u64 jiffies, __u64 mono_ns);

/* Seconds from the 32-bit stamp @stamp to @c->jiffies, at @hz. A 32-bit
 * stamp wraps every 2^32 jiffies (49.7 days at HZ=1000): once the kernel
 * has run that long, an age is only known modulo that, and *exact is
 * cleared (the value is then a lower bound). -1 when @stamp is 0 (not
 * read) or @hz unknown. */
double clocks__age_s(const struct pl_sock_clocks *c, __u32 stamp, unsigned int hz, bool *exact);
/* A full socket's idle time: since the last data sent or received. */
double clocks__idle_s(const struct pl_sock_clocks *c, unsigned int hz, bool *exact);
/* A timewait socket: seconds since it entered TIME_WAIT (its timer's
 * expiry minus TCP_TIMEWAIT_LEN) and seconds until it frees its port; -1
 * each when unknown. */
double clocks__timewait_age_s(const struct pl_sock_clocks *c, unsigned int hz);
double clocks__timewait_left_s(const struct pl_sock_clocks *c, unsigned int hz);

#endif
