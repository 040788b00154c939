/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The cold half of the DMA mapping table: growth, slabs, the process-address index. */
#include <errno.h>
#include <stdlib.h>

#include "dma_table.h"

/* A slab of nodes; it lives as long as the table (nodes recycle through the free list). */
struct vi_slab {
	struct vi_slab *next;
	struct vi_mapping node[];
};

#define VI_TAB_FIRST 64

int vi_tab_grow(struct vi_dma_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : VI_TAB_FIRST, k = cap - t->cap;
	struct vi_mapping **v;
	struct vi_slab *s;
	uint64_t *e;

	if (cap > SIZE_MAX / sizeof(*e) || k > (SIZE_MAX - sizeof(*s)) / sizeof(s->node[0]))
		return -ENOMEM;
	/* arrays larger than cap are harmless: cap moves only once everything is there */
	v = realloc(t->by_vaddr, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->by_vaddr = v;
	e = realloc(t->vend_max, cap * sizeof(*e));
	if (!e)
		return -ENOMEM;
	t->vend_max = e;
	s = malloc(sizeof(*s) + k * sizeof(s->node[0]));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++)
		s->node[i].next = i + 1 < k ? &s->node[i + 1] : t->free;
	t->free = &s->node[0];
	s->next = t->slabs;
	t->slabs = s;
	t->cap = cap;
	return 0;
}

void vi_tab_clear(struct vi_dma_table *t)
{
	/* iterative pre-order: the stack holds right children along one path, so the tree height bounds it */
	struct vi_at_node *stack[128], *n = t->by_iova;
	size_t sp = 0;

	while (n || sp) {
		struct vi_mapping *m;

		if (n) {
			if (n->right)
				stack[sp++] = n->right;
			m = vi_tab_map(n);
			n = n->left;
			m->next = t->free;
			t->free = m;
		} else {
			n = stack[--sp];
		}
	}
	t->by_iova = NULL;
	t->n = 0;
	t->bytes = 0;
	t->nv = 0;
}

struct each {
	void (*fn)(const struct vi_mapping *m, void *arg);
	void *arg;
};

static int each_one(struct vi_at_node *n, void *arg)
{
	struct each *e = arg;

	e->fn(vi_tab_map(n), e->arg);
	return 0;
}

void vi_tab_each(const struct vi_dma_table *t, void (*fn)(const struct vi_mapping *m, void *arg), void *arg)
{
	struct each e = { fn, arg };

	vi_at_walk(t->by_iova, each_one, &e);
}

void vi_tab_free(struct vi_dma_table *t)
{
	while (t->slabs) {
		struct vi_slab *s = t->slabs;
		t->slabs = s->next;
		free(s);
	}
	free(t->by_vaddr);
	free(t->vend_max);
	*t = (struct vi_dma_table){ 0 };
}

/* First process mapping whose vaddr is >= va. */
static size_t lower_vaddr(const struct vi_dma_table *t, uint64_t va)
{
	size_t lo = 0, hi = t->nv;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->by_vaddr[mid]->vaddr < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Recompute the running maximum from index i on (inserts and removals shift everything after i). */
static void vend_fix(struct vi_dma_table *t, size_t i)
{
	uint64_t run = i ? t->vend_max[i - 1] : 0;

	for (; i < t->nv; i++) {
		uint64_t last = t->by_vaddr[i]->vaddr + (vi_map_len(t->by_vaddr[i]) - 1);
		run = last > run ? last : run;
		t->vend_max[i] = run;
	}
}

static int by_vaddr_cmp(const void *a, const void *b)
{
	const struct vi_mapping *x = *(const struct vi_mapping *const *)a;
	const struct vi_mapping *y = *(const struct vi_mapping *const *)b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int vindex_add(struct vi_at_node *n, void *arg)
{
	struct vi_dma_table *t = arg;

	if (!vi_tab_map(n)->file)
		t->by_vaddr[t->nv++] = vi_tab_map(n);
	return 0;
}

void vi_tab_vindex_build(struct vi_dma_table *t)
{
	t->nv = 0;
	vi_at_walk(t->by_iova, vindex_add, t);
	if (t->nv > 1)
		qsort(t->by_vaddr, t->nv, sizeof(*t->by_vaddr), by_vaddr_cmp);
	vend_fix(t, 0);
	t->vindex = true;
}

void vi_tab_vinsert(struct vi_dma_table *t, struct vi_mapping *m)
{
	size_t i = lower_vaddr(t, m->vaddr);

	if (i < t->nv)
		memmove(&t->by_vaddr[i + 1], &t->by_vaddr[i], (t->nv - i) * sizeof(*t->by_vaddr));
	t->by_vaddr[i] = m;
	t->nv++;
	vend_fix(t, i);
}

void vi_tab_vremove(struct vi_dma_table *t, const struct vi_mapping *m)
{
	/* equal vaddrs are possible (one buffer mapped twice): find this node */
	size_t v = lower_vaddr(t, m->vaddr);

	while (t->by_vaddr[v] != m)
		v++;
	if (v + 1 < t->nv)
		memmove(&t->by_vaddr[v], &t->by_vaddr[v + 1], (t->nv - v - 1) * sizeof(*t->by_vaddr));
	t->nv--;
	vend_fix(t, v);
}

bool vi_tab_translate(const struct vi_dma_table *t, uint64_t va, uint64_t last, uint64_t *iova)
{
	size_t lo = 0, hi = t->nv;

	/*
	 * Last mapping whose vaddr <= va, then back over earlier ones (a buffer
	 * mapped twice, or a large mapping enclosing later small ones) only while
	 * some earlier mapping still reaches far enough: misses stay cheap.
	 */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->by_vaddr[mid]->vaddr <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0 && t->vend_max[lo] >= last) {
		const struct vi_mapping *m = t->by_vaddr[lo];
		if (m->vaddr + (vi_map_len(m) - 1) >= last) {
			*iova = m->at.start + (va - m->vaddr);
			return true;
		}
	}
	return false;
}
