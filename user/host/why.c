// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>

#include "host/why.h"

int why__set(struct pl_why *w, int err, const char *fmt, ...)
{
	va_list ap;

	if (!w)
		return err;
	va_start(ap, fmt);
	vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
	return err;
}
