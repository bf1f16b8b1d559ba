/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the running kernel's BTF says it has: parsed once (about 20 ms for
 * a distribution kernel) for however many questions are asked, and kept
 * until vmlinux__release() (it takes some 6 MiB). */
#ifndef PORTLEAK_VMLINUX_H
#define PORTLEAK_VMLINUX_H

#include <stdbool.h>

/* Does the kernel's BTF have a type of @kind (BTF_KIND_*) named @name?
 * false when it has no BTF. */
bool vmlinux__has(const char *name, int kind);
/* Does enum @type have a value named @value? */
bool vmlinux__has_enum_value(const char *type, const char *value);
/* Free the parsed BTF; a later question parses it again. */
void vmlinux__release(void);

#endif
