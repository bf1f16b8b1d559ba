// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include <bpf/btf.h>

#include "loader/vmlinux.h"

/* Kept for the life of the process: the kernel does not change under us. */
static struct btf *vmlinux(void)
{
	static struct btf *btf;
	static bool tried;

	if (!tried) {
		tried = true;
		btf = btf__load_vmlinux_btf();
	}
	return btf;
}

bool vmlinux__has(const char *name, int kind)
{
	struct btf *btf = vmlinux();

	return btf && btf__find_by_name_kind(btf, name, kind) >= 0;
}

bool vmlinux__has_enum_value(const char *type, const char *value)
{
	struct btf *btf = vmlinux();
	const struct btf_type *t;
	const struct btf_enum *v;
	int id = btf ? btf__find_by_name_kind(btf, type, BTF_KIND_ENUM) : -1;
	__u16 i;

	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (i = 0, v = t ? btf_enum(t) : NULL; v && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, v[i].name_off), value))
			return true;
	return false;
}
