/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The library's table of the DMA mappings it made (dma.c).  Built for
 * the map/unmap path: nodes come from slabs owned by the table and go back to
 * a free list, so a map or an unmap never calls malloc or free; room for one
 * more mapping is reserved before the kernel is asked, so recording a
 * mapping the kernel accepted cannot fail.
 *
 * by_iova is an AVL tree of the mappings' IOVA ranges (iova/alloc_tree.h),
 * linked through a node embedded in each mapping: map and unmap cost
 * O(log n) at any table size (a sorted array paid a memmove of up to n
 * pointers per change, more than the kernel's own work at 10^4 mappings).
 * The index by process address that translate needs is built by the first
 * translate and kept up to date from then on: a VMM that never translates
 * never pays for it.
 *
 * No locks here; dma.c says who holds what.  Functions marked "index"
 * change what translate reads.
 */
#ifndef VI_DMA_TABLE_H
#define VI_DMA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/internal.h"

#include "iova/internal.h"

/* The IOVA range is at: [at.start, at.last]; vi_map_len() gives its length. */
struct vi_mapping {
	struct vi_at_node at;    /* first: a tree node converts to its mapping by a cast */
	uint64_t vaddr;
	uint32_t prot;
	bool file;               /* MAP_FILE: no process address, never in the index */
	bool va_invalid;         /* type1 live update: the kernel holds no process address for it */
	struct vi_mapping *next; /* free list */
};

_Static_assert(offsetof(struct vi_mapping, at) == 0, "vi_tab_map() casts a tree node to its mapping");

struct vi_slab;

struct vi_dma_table {
	struct vi_at_node *by_iova;  /* root; mappings never overlap */
	size_t n, cap;               /* by_vaddr and vend_max have room for cap */
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
/* Forget every mapping in O(n) (index: it empties too). */
void vi_tab_clear(struct vi_dma_table *t);
/* Call fn on every mapping in IOVA order (the table must not change meanwhile). */
void vi_tab_each(const struct vi_dma_table *t, void (*fn)(const struct vi_mapping *m, void *arg), void *arg);
/* Free every array and slab (the table is empty and unusable afterwards). */
void vi_tab_free(struct vi_dma_table *t);

static inline struct vi_mapping *vi_tab_map(struct vi_at_node *n)
{
	return (struct vi_mapping *)n;
}

static inline uint64_t vi_map_len(const struct vi_mapping *m)
{
	return m->at.last - m->at.start + 1;
}

/* Room for one more mapping?  (slabs grow with the arrays: a free node means room everywhere) */
static inline bool vi_tab_has_room(const struct vi_dma_table *t)
{
	return t->free != NULL;
}

/* The last mapping starting at or below iova and the first above it, in one descent. */
static inline void vi_tab_around(const struct vi_dma_table *t, uint64_t iova, struct vi_at_node **le,
				 struct vi_at_node **gt)
{
	struct vi_at_node *n = t->by_iova;

	*le = *gt = NULL;
	while (n) {
		if (n->start <= iova) {
			*le = n;
			n = n->right;
		} else {
			*gt = n;
			n = n->left;
		}
	}
}

/* The first mapping whose last byte is >= iova, or NULL. */
static inline struct vi_mapping *vi_tab_lower(const struct vi_dma_table *t, uint64_t iova)
{
	struct vi_at_node *le, *gt;

	/* disjoint ranges: only the last one starting at or below iova can reach it */
	vi_tab_around(t, iova, &le, &gt);
	return vi_tab_map(le && le->last >= iova ? le : gt);
}

/* The mapping after m in IOVA order, or NULL (O(log n): the tree has no parent links). */
static inline struct vi_mapping *vi_tab_next(const struct vi_dma_table *t, const struct vi_mapping *m)
{
	struct vi_at_node *n = t->by_iova, *gt = NULL;

	while (n) {
		if (n->start <= m->at.start) {
			n = n->right;
		} else {
			gt = n;
			n = n->left;
		}
	}
	return vi_tab_map(gt);
}

/* The mapping with the highest IOVA, or NULL. */
static inline struct vi_mapping *vi_tab_last(const struct vi_dma_table *t)
{
	struct vi_at_node *n = t->by_iova;

	while (n && n->right)
		n = n->right;
	return vi_tab_map(n);
}

/* The mapping that starts exactly at iova, or NULL: the lookup of an unmap. */
static inline struct vi_mapping *vi_tab_find(const struct vi_dma_table *t, uint64_t iova)
{
	struct vi_at_node *n = t->by_iova;

	while (n && n->start != iova)
		n = iova < n->start ? n->left : n->right;
	return vi_tab_map(n);
}

/*
 * Fill the node the next insert will use (needs vi_tab_has_room()).  It stays
 * free until vi_tab_commit(), so a refused map leaves nothing to undo.
 */
static inline struct vi_mapping *vi_tab_prepare(struct vi_dma_table *t, uint64_t iova, uint64_t len,
						uint64_t vaddr, uint32_t prot, bool file)
{
	struct vi_mapping *m = t->free;

	m->at.start = iova;
	m->at.last = iova + (len - 1);
	m->vaddr = vaddr;
	m->prot = prot;
	m->file = file;
	m->va_invalid = false;
	return m;
}

/* Record the prepared node, whose range overlaps none of the table's (index). */
static inline void vi_tab_commit(struct vi_dma_table *t, struct vi_mapping *m)
{
	t->free = m->next;
	t->by_iova = vi_at_insert(t->by_iova, &m->at);
	t->n++;
	t->bytes += vi_map_len(m);
	if (t->vindex && !m->file)
		vi_tab_vinsert(t, m);
}

/* Forget m, a mapping of the table (index). */
static inline void vi_tab_remove(struct vi_dma_table *t, struct vi_mapping *m)
{
	struct vi_at_node *out;

	t->by_iova = vi_at_remove(t->by_iova, m->at.start, &out);
	t->n--;
	t->bytes -= vi_map_len(m);
	if (t->vindex && !m->file)
		vi_tab_vremove(t, m);
	m->next = t->free;
	t->free = m;
}

#endif
