// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <string.h>

#include "views/json.h"
#include "model/names.h"

void json__init(struct pl_json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
}

void json__escape(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;

	fputc('"', out);
	while (i < len && s[i]) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c == '\n') {
			fputs("\\n", out);
		} else if (c == '\t') {
			fputs("\\t", out);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else if ((n = names__utf8_len(s + i, len - i)) > 0) {
			fwrite(s + i, 1, n, out);
			i += n;
			continue;
		} else {
			fputs("\\ufffd", out);
		}
		i++;
	}
	fputc('"', out);
}

static void member(struct pl_json *j, const char *key)
{
	if (j->depth > 0 && j->has_items[j->depth - 1])
		fputc(',', j->out);
	if (j->depth > 0)
		j->has_items[j->depth - 1] = true;
	if (key) {
		json__escape(j->out, key, strlen(key));
		fputc(':', j->out);
	}
}

static void open_level(struct pl_json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->out);
	if (j->depth < PL_JSON_MAX_DEPTH)
		j->has_items[j->depth] = false;
	j->depth++;
}

static void close_level(struct pl_json *j, char c)
{
	fputc(c, j->out);
	j->depth--;
	if (j->depth == 0)
		fputc('\n', j->out);
}

void json__object_begin(struct pl_json *j, const char *key)
{
	open_level(j, key, '{');
}

void json__object_end(struct pl_json *j)
{
	close_level(j, '}');
}

void json__array_begin(struct pl_json *j, const char *key)
{
	open_level(j, key, '[');
}

void json__array_end(struct pl_json *j)
{
	close_level(j, ']');
}

void json__string_n(struct pl_json *j, const char *key, const char *s, size_t len)
{
	member(j, key);
	json__escape(j->out, s, len);
}

void json__string(struct pl_json *j, const char *key, const char *s)
{
	json__string_n(j, key, s, strlen(s));
}

void json__uint(struct pl_json *j, const char *key, __u64 v)
{
	member(j, key);
	fprintf(j->out, "%llu", (unsigned long long)v);
}

void json__int(struct pl_json *j, const char *key, __s64 v)
{
	member(j, key);
	fprintf(j->out, "%lld", (long long)v);
}

void json__double(struct pl_json *j, const char *key, double v)
{
	member(j, key);
	if (isfinite(v))
		fprintf(j->out, "%.3f", v);
	else
		fputs("null", j->out);
}

void json__null(struct pl_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->out);
}

void json__bool(struct pl_json *j, const char *key, bool v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->out);
}
