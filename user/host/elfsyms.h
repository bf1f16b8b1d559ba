/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Function names of ELF files (executables, PIE, shared libraries) from
 * .symtab, or .dynsym when stripped, read with libelf and kept by
 * build-id (by device and inode when a file has none), so that every
 * process mapping the same file shares one table. */
#ifndef PORTLEAK_ELFSYMS_H
#define PORTLEAK_ELFSYMS_H

#include <stddef.h>
#include <linux/types.h>

struct pl_elfsyms;

struct pl_elfsyms *elfsyms__new(void);
void elfsyms__free(struct pl_elfsyms *e);

/* The function containing file offset @off of the ELF file open as @fd
 * (opened with the bounds of host/untrusted.h: the file may belong to
 * anyone): its name and the offset into it. 0; -ENOENT when no symbol
 * covers it (a stripped binary); another negative errno when the file
 * cannot be read. */
int elfsyms__lookup(struct pl_elfsyms *e, int fd, __u64 off, const char **name, __u64 *into);

#endif
