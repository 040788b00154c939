/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The IOVA allocator's live blocks: an open-addressing hash table keyed by
 * start IOVA (linear probing, load <= 1/2, backward-shift deletion), so
 * freeing looks a block up with one or two cache misses where a tree would
 * take a miss per level.
 */
#ifndef VI_ALLOC_LIVE_H
#define VI_ALLOC_LIVE_H

#include <stddef.h>
#include <stdint.h>

struct vi_live_slot {
	uint64_t iova, last;  /* empty when last < iova */
};

struct vi_live {
	struct vi_live_slot *s;
	size_t cap;           /* 0 or a power of two */
	size_t n;
	unsigned int gshift;  /* log2 of the granule: keys are granule numbers */
};

static inline int vi_live_empty(const struct vi_live_slot *s)
{
	return s->last < s->iova;
}

void vi_live_init(struct vi_live *t, uint64_t granule);
void vi_live_fini(struct vi_live *t);
/* Make room for @n entries in all.  0 or -ENOMEM (the table is unchanged). */
int vi_live_reserve(struct vi_live *t, size_t n);
/* Add a block whose start is not in the table; room must have been reserved. */
void vi_live_add(struct vi_live *t, uint64_t iova, uint64_t last);
/* The slot holding the block that starts at @iova, or SIZE_MAX. */
size_t vi_live_find(const struct vi_live *t, uint64_t iova);
/* Remove the block in @slot. */
void vi_live_del(struct vi_live *t, size_t slot);

#endif
