// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include <bpf/btf.h>

#include "loader/kernel_btf.h"

static struct btf *btf;
static bool tried;

static struct btf *parsed(void)
{
	if (!tried) {
		tried = true;
		btf = btf__load_vmlinux_btf();
	}
	return btf;
}

void kernel_btf__release(void)
{
	btf__free(btf);
	btf = NULL;
	tried = false;
}

bool kernel_btf__has(const char *name, int kind)
{
	return parsed() && btf__find_by_name_kind(btf, name, kind) >= 0;
}

bool kernel_btf__has_enum_value(const char *type, const char *value)
{
	const struct btf_type *t;
	const struct btf_enum *v;
	int id = parsed() ? btf__find_by_name_kind(btf, type, BTF_KIND_ENUM) : -1;
	__u16 i;

	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (i = 0, v = t ? btf_enum(t) : NULL; v && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, v[i].name_off), value))
			return true;
	return false;
}
