// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "model/clocks.h"

#define JIFFIES_WRAP 4294967296.0 /* 2^32 */
#define INITIAL_JIFFIES_S 300     /* jiffies_64 = 2^32 - 300 s of ticks at boot */

/* The values of CONFIG_HZ that kernel/Kconfig.hz offers. */
static const unsigned int candidates[] = { 100, 250, 300, 1000 };

unsigned int clocks__hz(__u64 jiffies, __u64 mono_ns)
{
	double up_s = (double)mono_ns / 1e9, err, best_err = -1, second = -1;
	unsigned int i, best = 0;

	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		err = (double)jiffies - (JIFFIES_WRAP + candidates[i] * (up_s - INITIAL_JIFFIES_S));
		err = err < 0 ? -err : err;
		if (best_err < 0 || err < best_err) {
			second = best_err;
			best_err = err;
			best = candidates[i];
		} else if (second < 0 || err < second) {
			second = err;
		}
	}
	/* jiffies lag CLOCK_MONOTONIC a little (measured: 62 ticks), far
	 * less than the candidates differ, except around uptime 300 s, where
	 * all of them meet: then clocks__hz_rate() must measure. */
	return best_err < 16 || best_err * 4 < second ? best : 0;
}

unsigned int clocks__hz_rate(__u64 j1, __u64 ns1, __u64 j2, __u64 ns2)
{
	double rate, best_err = -1, err;
	unsigned int i, best = 0;

	if (ns2 <= ns1 || j2 < j1)
		return 0;
	rate = (double)(j2 - j1) / ((double)(ns2 - ns1) / 1e9);
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		err = rate > candidates[i] ? rate - candidates[i] : candidates[i] - rate;
		if (best_err < 0 || err < best_err) {
			best_err = err;
			best = candidates[i];
		}
	}
	/* Within 10 %: 250 and 300 stay apart over 100 ms of ticks. */
	return best_err <= 0.1 * best ? best : 0;
}

struct pl_clock clocks__of_jiffies(unsigned int hz, __u64 jiffies, __u64 mono_ns)
{
	struct pl_clock c = { .tick_ns = (1000000000ull + hz / 2) / hz }; /* TICK_NSEC */

	/* Two ticks early: the jiffies read may be a tick behind the clock
	 * read (and so a stamp a tick ahead), and a stamp lags by up to a
	 * tick, the time since the last tick. */
	c.base_ns = mono_ns - (jiffies + 2) * c.tick_ns;
	return c;
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
