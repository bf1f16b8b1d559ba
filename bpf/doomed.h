/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* portleak close: the sockets userspace chose to destroy (the doomed map),
 * and what became of each. Shared by bpf/remedy/close.bpf.c and
 * user/loader/remedy.c. */
#ifndef PORTLEAK_DOOMED_H
#define PORTLEAK_DOOMED_H

#include "ledger.h"

/* How far the kernel got with one chosen socket. */
enum pl_doom_result {
	PL_DOOM_PENDING = 0, /* not met by the walk (gone, or another namespace) */
	PL_DOOM_DESTROYED,   /* bpf_sock_destroy() returned 0 */
	PL_DOOM_CHANGED,     /* met, but no longer in the state or 4-tuple chosen */
	PL_DOOM_FAILED,      /* bpf_sock_destroy() refused: see err */
};

/* Value of the doomed map, keyed by the struct sock address of the walk
 * that chose it: what the socket must still be for the kernel to close it. */
struct pl_doomed {
	struct pl_tuple tuple;
	__u8 state;
	__u8 result; /* enum pl_doom_result, written by the kernel */
	__u16 pad;
	__s32 err;   /* PL_DOOM_FAILED: bpf_sock_destroy()'s negative errno */
};

#define PL_DOOMED_MAX 65536 /* sockets closed by one run */

#endif
