// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ledger.h"
#include "model/names.h"

void names__addr(__u8 family, const __u8 *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == PL_AF_INET6 ? AF_INET6 : AF_INET, addr, buf, len))
		snprintf(buf, len, "?");
}

void names__endpoint(__u8 family, const __u8 *addr, __u16 port, char *buf,
		     size_t len)
{
	char a[PL_ADDRSTR_LEN];

	names__addr(family, addr, a, sizeof(a));
	if (!port)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, family == PL_AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

/* Longest duration shown as such; a forecast can be far longer. */
#define PL_DURATION_MAX_DAYS 9999

void names__duration(double seconds, char *buf, size_t len)
{
	unsigned long s;

	if (seconds >= PL_DURATION_MAX_DAYS * 86400.0) {
		snprintf(buf, len, ">%dd", PL_DURATION_MAX_DAYS);
		return;
	}
	s = seconds > 0 ? (unsigned long)(seconds + 0.5) : 0; /* NaN too */
	if (s < 60)
		snprintf(buf, len, "%lus", s);
	else if (s < 3600)
		snprintf(buf, len, "%lum%02lus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%luh%02lum", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lud%02luh", s / 86400, s / 3600 % 24);
}

void names__age(double seconds, bool exact, char *buf, size_t len)
{
	if (exact) {
		names__duration(seconds, buf, len);
		return;
	}
	buf[0] = '>';
	names__duration(seconds > 1 ? seconds - 0.5 : 0, buf + (len > 1), len > 1 ? len - 1 : len);
}

void names__age_range(double seconds, bool exact, double max, char *buf, size_t len)
{
	char low[16], high[16];

	if (exact || max < 0 || max - seconds < 1) {
		names__age(exact || max < 0 ? seconds : max, exact || max >= 0, buf, len);
		return;
	}
	names__duration(seconds, low, sizeof(low));
	names__duration(max, high, sizeof(high));
	snprintf(buf, len, "%s-%s", low, high);
}

const char *names__errno(int err)
{
#define PL_ERRNO(e) { e, #e }
	static const struct { int err; const char *name; } known[] = {
		PL_ERRNO(EADDRINUSE), PL_ERRNO(EADDRNOTAVAIL), PL_ERRNO(EACCES),
		PL_ERRNO(EINVAL), PL_ERRNO(EPERM), PL_ERRNO(ECONNREFUSED),
		PL_ERRNO(ETIMEDOUT), PL_ERRNO(ENETUNREACH), PL_ERRNO(EHOSTUNREACH),
		PL_ERRNO(ECONNRESET), PL_ERRNO(ECONNABORTED), PL_ERRNO(EMFILE),
		PL_ERRNO(ENFILE), PL_ERRNO(ENOBUFS), PL_ERRNO(ENOMEM),
		PL_ERRNO(EAFNOSUPPORT), PL_ERRNO(EPROTO), PL_ERRNO(ENETDOWN),
		PL_ERRNO(EHOSTDOWN), PL_ERRNO(EPIPE), PL_ERRNO(EBADF),
	};
#undef PL_ERRNO
	static char other[24];
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].err == err)
			return known[i].name;
	snprintf(other, sizeof(other), "errno %d", err);
	return other;
}

void names__printable(const char *in, size_t in_len, char *buf, size_t len)
{
	size_t i, o = 0;

	if (!len)
		return;
	for (i = 0; i < in_len && in[i]; i++) {
		unsigned char c = (unsigned char)in[i];
		char tmp[5];
		size_t n;

		if (c == '\\')
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\\\");
		else if (c < 0x20 || c >= 0x7f)
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else
			n = (size_t)snprintf(tmp, sizeof(tmp), "%c", c);
		if (o + n >= len)
			break;
		memcpy(buf + o, tmp, n);
		o += n;
	}
	buf[o] = '\0';
}

size_t names__utf8_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

const char *names__tcp_state(unsigned int state)
{
	static const char *const names[PL_TCP_NR_STATES] = {
		[PL_TCP_ESTABLISHED] = "ESTABLISHED", [PL_TCP_SYN_SENT] = "SYN_SENT",
		[PL_TCP_SYN_RECV] = "SYN_RECV",       [PL_TCP_FIN_WAIT1] = "FIN_WAIT1",
		[PL_TCP_FIN_WAIT2] = "FIN_WAIT2",     [PL_TCP_TIME_WAIT] = "TIME_WAIT",
		[PL_TCP_CLOSE] = "CLOSE",             [PL_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
		[PL_TCP_LAST_ACK] = "LAST_ACK",       [PL_TCP_LISTEN] = "LISTEN",
		[PL_TCP_CLOSING] = "CLOSING",         [PL_TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
	};

	return state < PL_TCP_NR_STATES && names[state] ? names[state] : "UNKNOWN";
}
