// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one definition of every map (see maps.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define PL_MAP
#include "maps.bpf.h"

/* enum pl_stacks_mode, set by userspace before load (origins.bpf.h). */
const volatile __u32 pl_stacks_mode = PL_STACKS_OFF;

char LICENSE[] SEC("license") = "Dual BSD/GPL";
