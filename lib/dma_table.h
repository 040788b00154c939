/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The library's table of the DMA mappings it made (lib/dma.c).  Built for
 * the map/unmap path: nodes come from slabs owned by the table and go back to
 * a free list, so a map or an unmap never calls malloc or free; room for one
 * more mapping is reserved before the kernel is asked, so recording a
 * mapping the kernel accepted cannot fail.
 *
 * by_iova is a sorted array of node pointers (binary search, memmove on
 * insert).  The index by process address that translate needs is built by
 * the first translate and kept up to date from then on: a VMM that never
 * translates never pays for it.
 *
 * No locks here; lib/dma.c says who holds what.  Functions marked "index"
 * change what translate reads.
 */
#ifndef VI_DMA_TABLE_H
#define VI_DMA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct vi_mapping {
	uint64_t iova, len, vaddr;
	uint32_t prot;
	bool file;               /* MAP_FILE: no process address, never in the index */
	struct vi_mapping *next; /* free list */
};

struct vi_slab;

/* The hot helpers below are inlined into lib/dma.c's map and unmap whatever the compiler thinks. */
#define VI_TAB_INLINE static inline __attribute__((always_inline))

struct vi_dma_table {
	struct vi_mapping **by_iova; /* sorted by iova; mappings never overlap */
	size_t n, cap;               /* by_vaddr and vend_max have room for cap too */
	uint64_t bytes;
	struct vi_mapping *free;     /* cap - n nodes: the slabs hold exactly cap */
	struct vi_slab *slabs;
	/* the process-address index; valid only once vindex is set */
	bool vindex;
	struct vi_mapping **by_vaddr;
	uint64_t *vend_max;          /* vend_max[i]: highest last byte among by_vaddr[0..i] */
	size_t nv;
};

/* Double the arrays (index) and add a slab of nodes for the new room (n == cap).  0 or -ENOMEM. */
int vi_tab_grow(struct vi_dma_table *t);
/* Build the process-address index from by_iova (index; O(n log n), cannot fail). */
void vi_tab_vindex_build(struct vi_dma_table *t);
/* index maintenance for one process mapping */
void vi_tab_vinsert(struct vi_dma_table *t, struct vi_mapping *m);
void vi_tab_vremove(struct vi_dma_table *t, const struct vi_mapping *m);
/* The IOVA of [va, last] when one mapping of the index holds it. */
bool vi_tab_translate(const struct vi_dma_table *t, uint64_t va, uint64_t last, uint64_t *iova);
/* Free every array and slab (the table is empty and unusable afterwards). */
void vi_tab_free(struct vi_dma_table *t);

/* Room for one more mapping?  (slabs grow with the arrays: a free node means room everywhere) */
VI_TAB_INLINE bool vi_tab_has_room(const struct vi_dma_table *t)
{
	return t->free != NULL;
}

/* First mapping whose last byte is >= iova (t->n when none). */
VI_TAB_INLINE size_t vi_tab_lower(const struct vi_dma_table *t, uint64_t iova)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vi_mapping *m = t->by_iova[mid];
		if (m->iova + (m->len - 1) < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The position of the mapping that starts exactly at iova, or t->n: the lookup of an unmap. */
VI_TAB_INLINE size_t vi_tab_find(const struct vi_dma_table *t, uint64_t iova)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t at = t->by_iova[mid]->iova;
		if (at == iova)
			return mid;
		if (at < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return t->n;
}

/*
 * Fill the node the next insert will use (needs vi_tab_has_room()).  It stays
 * free until vi_tab_commit(), so a refused map leaves nothing to undo; filled
 * before the kernel call, it also keeps the arguments out of the caller's
 * registers across that call.
 */
VI_TAB_INLINE struct vi_mapping *vi_tab_prepare(struct vi_dma_table *t, uint64_t iova, uint64_t len,
						uint64_t vaddr, uint32_t prot, bool file)
{
	struct vi_mapping *m = t->free;

	m->iova = iova;
	m->len = len;
	m->vaddr = vaddr;
	m->prot = prot;
	m->file = file;
	return m;
}

/*
 * Record the prepared node at position i of by_iova (from vi_tab_lower).
 * indexed must be t->vindex; the caller branches on it once, holding the
 * index lock when it is set, and each branch gets its own copy of this.
 */
VI_TAB_INLINE void vi_tab_commit(struct vi_dma_table *t, size_t i, struct vi_mapping *m, bool indexed)
{
	t->free = m->next;
	if (i < t->n)
		memmove(&t->by_iova[i + 1], &t->by_iova[i], (t->n - i) * sizeof(*t->by_iova));
	t->by_iova[i] = m;
	t->n++;
	t->bytes += m->len;
	if (indexed && !m->file)
		vi_tab_vinsert(t, m);
}

/* Forget by_iova[i, i + count); indexed as vi_tab_commit(). */
VI_TAB_INLINE void vi_tab_remove(struct vi_dma_table *t, size_t i, size_t count, bool indexed)
{
	for (size_t k = i; k < i + count; k++) {
		struct vi_mapping *m = t->by_iova[k];
		t->bytes -= m->len;
		if (indexed && !m->file)
			vi_tab_vremove(t, m);
		m->next = t->free;
		t->free = m;
	}
	if (i + count < t->n)
		memmove(&t->by_iova[i], &t->by_iova[i + count], (t->n - i - count) * sizeof(*t->by_iova));
	t->n -= count;
}

#endif
