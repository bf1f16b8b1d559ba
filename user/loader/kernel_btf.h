/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the running kernel's BTF says it has: parsed once (about 20 ms for
 * a distribution kernel) for however many questions are asked, and kept
 * until kernel_btf__release() (it takes some 6 MiB). */
#ifndef PORTLEAK_KERNEL_BTF_H
#define PORTLEAK_KERNEL_BTF_H

#include <stdbool.h>

/* Does the kernel's BTF have a type of @kind (BTF_KIND_*) named @name?
 * false when it has no BTF. */
bool kernel_btf__has(const char *name, int kind);
/* Does enum @type have a value named @value? */
bool kernel_btf__has_enum_value(const char *type, const char *value);
/* Free the parsed BTF; a later question parses it again. */
void kernel_btf__release(void);

#endif
