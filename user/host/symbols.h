/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Names of code addresses in a process: through /proc/PID/maps to the
 * mapped file's function table (host/elfsyms.h), or to the perf map a JIT
 * wrote (/tmp/perf-NSPID.map in the process's own mount namespace: Java's
 * jcmd PID Compiler.perfmap, node --perf-basic-prof, python -X perf).
 * Names are kept per process, so a process that exited keeps those
 * already resolved. */
#ifndef PORTLEAK_SYMBOLS_H
#define PORTLEAK_SYMBOLS_H

#include <stddef.h>
#include <linux/types.h>

struct pl_symbols;

struct pl_symbols *symbols__new(void);
void symbols__free(struct pl_symbols *s);

/* @ip of process @pid (started at @start_ns) as "function+0x1c (/path)",
 * "module+0xoffset (/path)" when the file has no symbol for it, or
 * "Class::method+0x2c ([jit])" from a perf map. 0; -ENOENT when @ip lies in
 * no executable mapping of the process (then @out holds its address). */
int symbols__name(struct pl_symbols *s, __u32 pid, __u64 start_ns, __u64 ip, char *out,
		  size_t len);
/* Give back the perf maps and mappings of processes that exited (the
 * names resolved stay). */
void symbols__forget_exited(struct pl_symbols *s);

#endif
