/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Capturing a socket's origin: the user stack of the connect(), listen()
 * or accept() that opened it, in the caller's own context. Costs nothing
 * for a process nobody asked about (see enum pl_stacks_mode). */
#ifndef PORTLEAK_ORIGINS_BPF_H
#define PORTLEAK_ORIGINS_BPF_H

#include "common.bpf.h"

extern const volatile __u32 pl_stacks_mode;

#define PL_CALLER_WORDS 4 /* words at the user stack pointer tried as return addresses */

static __always_inline bool pl_wants_stack(__u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *bits;

	if (pl_stacks_mode == PL_STACKS_ALL)
		return true;
	if (pl_stacks_mode != PL_STACKS_ARMED || !(bits = bpf_map_lookup_elem(&armed, &word)))
		return false;
	return (*bits >> (tgid % 64)) & 1;
}

/* x86-64: does a call instruction end right before @addr? A direct call
 * (e8 rel32), one through memory at rip+disp32 (ff 15), through a
 * register (ff d0+r) or through a register plus disp8 (ff 50+r). */
static __always_inline bool pl_after_call(__u64 addr)
{
	__u8 b[8];

	if (addr < 4096 || bpf_probe_read_user(b, sizeof(b), (const void *)(addr - 8)))
		return false;
	return b[3] == 0xe8 || (b[2] == 0xff && b[3] == 0x15) ||
	       (b[6] == 0xff && (b[7] & 0xf8) == 0xd0) || (b[5] == 0xff && (b[6] & 0xf8) == 0x50);
}

/* The function that called the system call stub: the first word near the
 * user stack pointer that is a return address. glibc's stubs push nothing
 * (single-threaded) or a few words (cancellable), so the frame-pointer
 * chain, which starts at the caller's caller, would miss it. */
static __always_inline __u64 pl_stack_caller(void)
{
	__u64 words[PL_CALLER_WORDS] = {}, sp = pl_user_sp();
	int i;

	if (!sp || bpf_probe_read_user(words, sizeof(words), (const void *)sp))
		return 0;
	for (i = 0; i < PL_CALLER_WORDS; i++)
		if (pl_after_call(words[i]))
			return words[i];
	return 0;
}

static __always_inline __u64 pl_stack_hash(const struct pl_stack *s)
{
	__u64 h = 0xcbf29ce484222325ull ^ s->caller;
	int i;

	for (i = 0; i < PL_STACK_DEPTH; i++) {
		h = (h ^ s->ips[i]) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h | 1; /* 0 means "not captured" */
}

/* A map slot for @key, inserted as @init if new; NULL (counted) if full. */
static __always_inline bool pl_keep(void *map, const void *key, const void *init)
{
	int err = pl_map_update(map, key, init, BPF_NOEXIST);

	if (err && err != -PL_EEXIST) {
		pl_count(PL_CNT_STACKS_FULL);
		return false;
	}
	return true;
}

/* The current user stack into the stacks map: its hash, or 0 when it
 * could not be read or kept. */
static __always_inline __u64 pl_capture_stack(void *ctx)
{
	struct pl_stack *s;
	__u32 zero = 0;
	__u64 hash;
	long len;

	s = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!s)
		return 0;
	/* The kernel zeroes what the stack does not fill. */
	len = bpf_get_stack(ctx, s->ips, sizeof(s->ips), BPF_F_USER_STACK);
	if (len <= 0)
		return 0;
	s->nr = len / sizeof(s->ips[0]);
	s->pad = 0;
	s->caller = pl_stack_caller();
	hash = pl_stack_hash(s);
	return pl_keep(&stacks, &hash, s) ? hash : 0;
}

/* A connect of the current process (@tgid) failed, in its own context:
 * in armed mode it is armed now, by the kernel, so that this failure and
 * every later connect have their code path before userspace has judged
 * it. The stack of the failing call, or 0.
 * A plain load and store, not an atomic OR: kernels before 5.12 refuse a
 * program holding any atomic but add, even one never reached. A bit set
 * at the same instant for another process of the word may be lost; that
 * process is armed again at its next failure. */
static __always_inline __u64 pl_capture_failure(void *ctx, __u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *bits;

	if (pl_stacks_mode == PL_STACKS_ARMED && (bits = bpf_map_lookup_elem(&armed, &word)) &&
	    !((*bits >> (tgid % 64)) & 1))
		*bits |= 1ull << (tgid % 64);
	return pl_wants_stack(tgid) ? pl_capture_stack(ctx) : 0;
}

/* Record the current user stack as the origin of @entry's socket. */
static __always_inline void pl_capture_origin(void *ctx, struct pl_socket *entry)
{
	struct pl_origin_key key = { .owner = entry->owner };
	__u64 zero64 = 0, *opened;

	if (!pl_wants_stack(entry->owner.tgid))
		return;
	key.stack = pl_capture_stack(ctx);
	if (!key.stack || !pl_keep(&origins, &key, &zero64))
		return;
	opened = bpf_map_lookup_elem(&origins, &key);
	if (opened)
		__sync_fetch_and_add(opened, 1);
	entry->stack = key.stack;
}

/* The same for the socket at @sk, written to the ledger just now by the
 * current process (@tgid): only a process whose stacks are wanted pays
 * for finding its entry again. */
static __always_inline void pl_capture_origin_at(void *ctx, struct sock *sk, __u32 tgid)
{
	struct pl_socket *entry;

	if (pl_wants_stack(tgid) && (entry = pl_ledger_find(sk)))
		pl_capture_origin(ctx, entry);
}

#endif
