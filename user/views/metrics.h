/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The report in the Prometheus text exposition format (version 0.0.4).
 * Plain C: the unit tests check escaping and the top-K bound. */
#ifndef PORTLEAK_METRICS_H
#define PORTLEAK_METRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "model/model.h"

#define PL_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct pl_metrics_extra {
	const char *version;
	size_t top_k; /* processes and destinations with their own series */
	double scrape_s;
};

void metrics__write(FILE *out, const struct pl_report *r,
		    const struct pl_metrics_extra *x);
/* A label value: backslash, double quote and newline escaped, invalid
 * UTF-8 replaced by U+FFFD. */
void metrics__escape(FILE *out, const char *s, size_t len);

#endif
