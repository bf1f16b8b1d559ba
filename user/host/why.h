/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The error contract: a module returns a negative errno and never prints.
 * Where the errno alone would not tell a user what to do, the module also
 * puts the reason in words into a struct pl_why; the command layer prints
 * it as its one line and maps the errno to the exit status. */
#ifndef PORTLEAK_WHY_H
#define PORTLEAK_WHY_H

#define PL_WHY_LEN 320

struct pl_why {
	char text[PL_WHY_LEN]; /* empty: the errno says it all */
};

/* Put the reason into @w (which may be NULL) and return @err. */
int why__set(struct pl_why *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
