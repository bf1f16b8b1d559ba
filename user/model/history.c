// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/history.h"
#include "lib/array.h"

#define NS_PER_S 1000000000ull

static int cmp_key(const __u64 *a, const __u64 *b)
{
	int i;

	for (i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* Index of @key among the sorted series, or of where it would go (with
 * *found = false). */
static size_t locate(const struct pl_history *h, const __u64 key[3], bool *found)
{
	size_t lo = 0, hi = h->sorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(h->series[mid].key, key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct pl_series *append(struct pl_history *h, const __u64 key[3])
{
	struct pl_series *s;

	if (array__reserve(&h->series, &h->cap, h->n + 1, sizeof(*h->series), 64))
		return NULL;
	s = &h->series[h->n++];
	memset(s, 0, sizeof(*s));
	memcpy(s->key, key, sizeof(s->key));
	return s;
}

static int cmp_series(const void *a, const void *b)
{
	return cmp_key(((const struct pl_series *)a)->key, ((const struct pl_series *)b)->key);
}

void history__commit(struct pl_history *h)
{
	if (h->sorted == h->n)
		return;
	qsort(h->series, h->n, sizeof(*h->series), cmp_series);
	h->sorted = h->n;
}

/* Full: drop every other sample of the older half, so that the newest
 * samples stay dense and the oldest still reach back the whole span. */
static void thin(struct pl_series *s)
{
	size_t half = s->n / 2, i, o = 0;

	for (i = 0; i < half; i += 2)
		s->s[o++] = s->s[i];
	for (i = half; i < s->n; i++)
		s->s[o++] = s->s[i];
	s->n = o;
}

int history__add(struct pl_history *h, const __u64 key[3], const struct pl_sample *sample)
{
	bool found;
	size_t at = locate(h, key, &found);
	struct pl_series *s = found ? &h->series[at] : append(h, key);

	if (!s)
		return -ENOMEM;
	if (s->n == PL_HISTORY_SAMPLES)
		thin(s);
	s->s[s->n++] = *sample;
	s->last_ns = sample->t_ns;
	return 0;
}

const struct pl_sample *history__since(const struct pl_history *h, const __u64 key[3],
				       double window_s, double min_s, __u64 now_ns)
{
	bool found;
	size_t at = locate(h, key, &found), i;
	const struct pl_series *s;

	if (!found)
		return NULL;
	s = &h->series[at];
	for (i = 0; i < s->n; i++) {
		double age = (double)(now_ns - s->s[i].t_ns) / NS_PER_S;

		if (s->s[i].t_ns > now_ns || age < min_s)
			break;
		if (age <= window_s)
			return &s->s[i];
	}
	return NULL;
}

void history__expire(struct pl_history *h, __u64 now_ns)
{
	__u64 span = (PL_HISTORY_SPAN_S + 60) * NS_PER_S;
	size_t i, o = 0;

	for (i = 0; i < h->n; i++) {
		struct pl_series *s = &h->series[i];

		if (now_ns - s->last_ns > span)
			continue;
		while (s->n > 1 && now_ns - s->s[1].t_ns > span) {
			memmove(&s->s[0], &s->s[1], (s->n - 1) * sizeof(s->s[0]));
			s->n--;
		}
		if (o != i)
			h->series[o] = *s;
		o++;
	}
	h->n = o;
	h->sorted = o; /* removing keeps the order */
}

void history__free(struct pl_history *h)
{
	free(h->series);
	memset(h, 0, sizeof(*h));
}
