// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "model/clocks.h"

#define JIFFIES_WRAP 4294967296.0 /* 2^32 */
#define INITIAL_JIFFIES_S 300     /* jiffies_64 = 2^32 - 300 s of ticks at boot */

unsigned int clocks__hz(__u64 jiffies, __u64 mono_ns)
{
	/* The values of CONFIG_HZ the kernel's Kconfig offers. */
	static const unsigned int candidates[] = { 100, 250, 300, 1000, 24, 48, 64, 128, 256, 512, 1024 };
	double up_s = (double)mono_ns / 1e9, best_err = 0;
	unsigned int i, best = 0;

	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		double hz = candidates[i];
		double expect = JIFFIES_WRAP + hz * (up_s - INITIAL_JIFFIES_S);
		double err = (double)jiffies > expect ? (double)jiffies - expect : expect - (double)jiffies;

		if (!best || err < best_err) {
			best = candidates[i];
			best_err = err;
		}
	}
	/* A tick or two apart is a fit (the two clocks are read a few
	 * instructions apart, and jiffies lag a tick on tickless idle). */
	return best_err <= 4 ? best : 0;
}

/* Has the kernel run long enough for a 32-bit stamp to wrap? */
static bool may_wrap(const struct pl_sock_clocks *c, unsigned int hz)
{
	double ticks = (double)c->jiffies - (JIFFIES_WRAP - (double)INITIAL_JIFFIES_S * hz);

	return ticks >= JIFFIES_WRAP;
}

double clocks__age_s(const struct pl_sock_clocks *c, __u32 stamp, unsigned int hz, bool *exact)
{
	__u32 ticks;

	if (!stamp || !hz)
		return -1;
	ticks = (__u32)c->jiffies - stamp; /* modulo 2^32, as the kernel computes it */
	if (exact && may_wrap(c, hz))
		*exact = false;
	return (double)ticks / hz;
}

double clocks__idle_s(const struct pl_sock_clocks *c, unsigned int hz, bool *exact)
{
	double snd = clocks__age_s(c, c->lsndtime, hz, exact);
	double rcv = clocks__age_s(c, c->lrcvtime, hz, exact);

	if (snd < 0)
		return rcv;
	if (rcv < 0)
		return snd;
	return snd < rcv ? snd : rcv;
}

double clocks__timewait_left_s(const struct pl_sock_clocks *c, unsigned int hz)
{
	if (!c->tw_expires || !hz)
		return -1;
	if (c->tw_expires <= c->jiffies)
		return 0; /* due: its timer is about to run */
	return (double)(c->tw_expires - c->jiffies) / hz;
}

double clocks__timewait_age_s(const struct pl_sock_clocks *c, unsigned int hz)
{
	double left = clocks__timewait_left_s(c, hz);

	if (left < 0)
		return -1;
	return left >= PL_TIMEWAIT_S ? 0 : PL_TIMEWAIT_S - left;
}
