// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portleak version [--json]: what a fleet inventory collects. */
#include <stdio.h>
#include <bpf/libbpf.h>

#include "cmd/commands.h"
#include "cmd/version.h"
#include "host/sysinfo.h"
#include "views/json.h"

/* The Makefile passes both; a build outside it says so. */
#ifndef PORTLEAK_COMMIT
#define PORTLEAK_COMMIT "unknown"
#endif
#ifndef PORTLEAK_BUILD_DATE
#define PORTLEAK_BUILD_DATE "unknown"
#endif

int cmd_version(const struct pl_options *o)
{
	char kernel[128];
	struct pl_json j;

	if (!o->json) {
		printf("portleak %s (commit %s, built %s, libbpf %s)\n", PORTLEAK_VERSION,
		       PORTLEAK_COMMIT, PORTLEAK_BUILD_DATE, libbpf_version_string());
		return 0;
	}
	sysinfo__kernel(kernel, sizeof(kernel));
	json__init(&j, stdout);
	json__object_begin(&j, NULL);
	json__string(&j, "version", PORTLEAK_VERSION);
	json__string(&j, "commit", PORTLEAK_COMMIT);
	json__string(&j, "build_date", PORTLEAK_BUILD_DATE);
	json__string(&j, "libbpf", libbpf_version_string());
	json__string(&j, "kernel", kernel);
	json__object_begin(&j, "btf");
	json__bool(&j, "available", sysinfo__has_btf());
	json__string(&j, "source", PL_BTF_PATH);
	json__object_end(&j);
	json__object_end(&j);
	return 0;
}
