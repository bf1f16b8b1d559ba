/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Turning numbers and untrusted names into text for humans. */
#ifndef PORTLEAK_NAMES_H
#define PORTLEAK_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PL_ENDPOINT_LEN 64 /* "[ffff:...:ffff]:65535" */
#define PL_ADDRSTR_LEN 48

/* "10.0.0.5" or "::1". */
void names__addr(__u8 family, const __u8 *addr, char *buf, size_t len);
/* "10.0.0.5:8080" or "[::1]:8080"; the address alone for port 0. */
void names__endpoint(__u8 family, const __u8 *addr, __u16 port, char *buf,
		     size_t len);
/* "42s", "15m02s", "3h05m". */
void names__duration(double seconds, char *buf, size_t len);
/* An age: as names__duration when @exact, else a lower bound, rounded
 * down and marked ">" ("at least"): ">15m01s". */
void names__age(double seconds, bool exact, char *buf, size_t len);
/* An age known to lie between @seconds (sure) and @max: "14s-1m18s"; as
 * names__age when exact, when @max is unknown (< 0) or within a second. */
void names__age_range(double seconds, bool exact, double max, char *buf, size_t len);
/* "ESTABLISHED", ... as the kernel names the TCP states, without TCP_. */
const char *names__tcp_state(unsigned int state);
/* "EADDRINUSE", "EACCES", ... or "errno 123". */
const char *names__errno(int err);
/* Length of the valid UTF-8 sequence at @s (at most @len bytes), 0 if the
 * bytes there are not one. */
size_t names__utf8_len(const unsigned char *s, size_t len);
/* A process name as safe terminal text: bytes outside printable ASCII
 * become \xNN, a backslash becomes \\. */
void names__printable(const char *in, size_t in_len, char *buf, size_t len);

#endif
