/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The two renderings of a report: text for people, JSON for scripts. */
#ifndef PORTLEAK_REPORT_H
#define PORTLEAK_REPORT_H

#include <stdio.h>

#include "model/model.h"

#define PL_JSON_VERSION 1

void report__json(FILE *out, const struct pl_report *r);
void report__text(FILE *out, const struct pl_report *r);

#endif
