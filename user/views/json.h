/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A small streaming JSON writer: one compact line per document. */
#ifndef PORTLEAK_JSON_H
#define PORTLEAK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#define PL_JSON_MAX_DEPTH 16

struct pl_json {
	FILE *out;
	int depth;
	bool has_items[PL_JSON_MAX_DEPTH];
};

void json__init(struct pl_json *j, FILE *out);
/* @key is the member name inside an object, NULL inside an array. */
void json__object_begin(struct pl_json *j, const char *key);
void json__object_end(struct pl_json *j);
void json__array_begin(struct pl_json *j, const char *key);
void json__array_end(struct pl_json *j);
void json__string(struct pl_json *j, const char *key, const char *s);
/* At most @len bytes of @s (a kernel comm need not be terminated). */
void json__string_n(struct pl_json *j, const char *key, const char *s, size_t len);
void json__uint(struct pl_json *j, const char *key, __u64 v);
void json__int(struct pl_json *j, const char *key, __s64 v);
/* Non-finite values are written as null. */
void json__double(struct pl_json *j, const char *key, double v);
void json__null(struct pl_json *j, const char *key);
void json__bool(struct pl_json *j, const char *key, bool v);

/* A JSON string literal for @len bytes of @s: control characters escaped,
 * invalid UTF-8 replaced by U+FFFD. */
void json__escape(FILE *out, const char *s, size_t len);

#endif
