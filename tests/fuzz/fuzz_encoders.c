// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness for the encoders of untrusted names (process names,
 * cgroup paths): a report built from the input is written as JSON, as
 * Prometheus text and as the text table, and each output is checked:
 *  - JSON: one valid document (a small validator below);
 *  - Prometheus: valid UTF-8, no raw newline inside a label value (other
 *    control characters are legal there), none outside but the line ends,
 *    every label value closed, with only \\ \" \n escapes;
 *  - text: printable ASCII and line ends only (nothing reaches a terminal
 *    raw). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "views/json.h"
#include "views/metrics.h"
#include "model/names.h"
#include "views/report.h"

/* --- a JSON validator: advances *p past one value, false if invalid ------ */

static bool value(const char **p, const char *end, int depth);

static void ws(const char **p, const char *end)
{
	while (*p < end && strchr(" \t\r\n", **p) && **p)
		(*p)++;
}

static bool string(const char **p, const char *end)
{
	const unsigned char *s = (const unsigned char *)*p + 1, *e = (const unsigned char *)end;
	size_t n;

	if (*p >= end || **p != '"')
		return false;
	while (s < e && *s != '"') {
		if (*s < 0x20)
			return false;
		if (*s == '\\') {
			if (s + 1 >= e || !strchr("\"\\/bfnrtu", s[1]) || !s[1])
				return false;
			if (s[1] == 'u') {
				if (s + 6 > e || strspn((const char *)s + 2, "0123456789abcdefABCDEF") < 4)
					return false;
				s += 6;
			} else {
				s += 2;
			}
			continue;
		}
		n = names__utf8_len(s, (size_t)(e - s));
		if (!n)
			return false;
		s += n;
	}
	if (s >= e)
		return false;
	*p = (const char *)s + 1;
	return true;
}

static bool members(const char **p, const char *end, int depth, char close, bool keys)
{
	(*p)++;
	ws(p, end);
	if (*p < end && **p == close) {
		(*p)++;
		return true;
	}
	for (;;) {
		if (keys) {
			if (!string(p, end))
				return false;
			ws(p, end);
			if (*p >= end || **p != ':')
				return false;
			(*p)++;
		}
		if (!value(p, end, depth + 1))
			return false;
		ws(p, end);
		if (*p < end && **p == ',') {
			(*p)++;
			ws(p, end);
			continue;
		}
		if (*p < end && **p == close) {
			(*p)++;
			return true;
		}
		return false;
	}
}

static bool value(const char **p, const char *end, int depth)
{
	size_t n;

	ws(p, end);
	if (*p >= end || depth > 32)
		return false;
	switch (**p) {
	case '{':
		return members(p, end, depth, '}', true);
	case '[':
		return members(p, end, depth, ']', false);
	case '"':
		return string(p, end);
	}
	for (const char *lit = "true\0false\0null\0"; *lit; lit += strlen(lit) + 1)
		if ((size_t)(end - *p) >= strlen(lit) && !strncmp(*p, lit, strlen(lit))) {
			*p += strlen(lit);
			return true;
		}
	n = strspn(*p, "-+0123456789.eE");
	if (!n || (size_t)(end - *p) < n)
		return false;
	*p += n;
	return true;
}

static void check_json(const char *out, size_t len)
{
	const char *p = out, *end = out + len;

	if (!value(&p, end, 0))
		abort();
	ws(&p, end);
	if (p != end)
		abort();
}

/* --- Prometheus and text ------------------------------------------------- */

static void check_metrics(const char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)out, *e = s + len;
	bool in_value = false;
	size_t n;

	while (s < e) {
		if (*s == '\n' && in_value)
			abort(); /* a raw newline inside a label value */
		if (!in_value && ((*s < 0x20 && *s != '\n') || *s == 0x7f))
			abort();
		if (in_value && *s == '\\') {
			if (s + 1 >= e || !strchr("\\\"n", s[1]) || !s[1])
				abort();
			s += 2;
			continue;
		}
		if (*s == '"')
			in_value = !in_value;
		n = names__utf8_len(s, (size_t)(e - s));
		if (!n)
			abort();
		s += n;
	}
	if (in_value)
		abort();
}

static void check_text(const char *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((out[i] < 0x20 && out[i] != '\n') || (unsigned char)out[i] >= 0x7f)
			abort();
}

/* --- a report from the input --------------------------------------------- */

static size_t take(const unsigned char **d, size_t *n, void *to, size_t want)
{
	size_t k = want < *n ? want : *n;

	memset(to, 0, want);
	memcpy(to, *d, k);
	*d += k;
	*n -= k;
	return k;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pl_proc procs[3];
	struct pl_dest dest;
	struct pl_nat_use nat;
	struct pl_report r = { .procs = procs, .n_procs = 3, .dests = &dest, .n_dests = 1,
			       .nat = &nat, .n_nat = 1,
			       .meta = { .time = "2026-01-01T00:00:00Z", .kernel = "6.1.0",
					 .hook_state = "tp_btf", .hook_accept = "syscall",
					 .hook_bind = "syscall", .bpf_stats_enabled = -1 } };
	struct pl_metrics_extra x = { .version = "fuzz", .top_k = 2 };
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	memset(procs, 0, sizeof(procs));
	for (i = 0; i < 3; i++) {
		procs[i].pid = 100 + (__u32)i;
		procs[i].close_wait_oldest_s = -1;
		procs[i].opened_per_s = procs[i].closed_per_s = -1;
		take(&data, &size, procs[i].comm, sizeof(procs[i].comm));
		take(&data, &size, procs[i].cgroup, 48); /* the rest stays 0 */
		take(&data, &size, procs[i].reasons[0], 64);
		for (char *c = procs[i].reasons[0]; *c; c++) /* the model writes ASCII */
			*c = (char)(' ' + (unsigned char)*c % 95);
		procs[i].n_reasons = 1;
		take(&data, &size, &procs[i].states, sizeof(procs[i].states));
	}
	take(&data, &size, &dest, sizeof(dest));
	dest.dst.family = dest.dst.family & 1 ? 10 : 2;
	dest.src.family = dest.dst.family;
	take(&data, &size, &nat, sizeof(nat)); /* a holder's comm is a process's */
	nat.family = nat.family & 1 ? 10 : 2;
	nat.exhausted = *(unsigned char *)&nat.exhausted & 1; /* a bool is 0 or 1 */
	nat.n_holders %= PL_MAX_NAT_HOLDERS + 1;
	for (i = 0; i < PL_MAX_NAT_HOLDERS; i++)
		nat.holders[i].comm[PL_COMM_LEN - 1] = 0;

	f = open_memstream(&out, &len);
	report__json(f, &r);
	fclose(f);
	check_json(out, len);
	free(out);

	f = open_memstream(&out, &len);
	metrics__write(f, &r, &x);
	fclose(f);
	check_metrics(out, len);
	free(out);

	f = open_memstream(&out, &len);
	report__text(f, &r);
	fclose(f);
	check_text(out, len);
	free(out);
	return 0;
}
