/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * IOVA range lists.  A list is one allocation holding a sorted, coalesced
 * array, so queries are binary searches and set operations are linear
 * merges.  Every "last + 1" below is guarded: a range may end at 2^64-1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iova_build.h"

struct vfioiommu_iova_list {
	enum vfioiommu_iova_source src;
	size_t n;
	struct vfioiommu_iova_range r[];
};

struct vfioiommu_iova_list *vi_iova_list_alloc(size_t cap, enum vfioiommu_iova_source src)
{
	struct vfioiommu_iova_list *l;

	if (cap > (SIZE_MAX - sizeof(*l)) / sizeof(l->r[0]))
		return NULL;
	l = malloc(sizeof(*l) + cap * sizeof(l->r[0]));
	if (l) {
		l->src = src;
		l->n = 0;
	}
	return l;
}

/* Coalesces overlap and adjacency with the previous range. */
void vi_iova_list_push(struct vfioiommu_iova_list *l, uint64_t start, uint64_t last)
{
	if (l->n) {
		struct vfioiommu_iova_range *p = &l->r[l->n - 1];

		if (p->last == UINT64_MAX || start <= p->last + 1) {
			if (last > p->last)
				p->last = last;
			return;
		}
	}
	l->r[l->n].start = start;
	l->r[l->n].last = last;
	l->n++;
}

static int range_cmp(const void *a, const void *b)
{
	const struct vfioiommu_iova_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->last > y->last) - (x->last < y->last);
}

VFIOIOMMU_API int vfioiommu_iova_list_new(const struct vfioiommu_iova_range *ranges, size_t n,
	enum vfioiommu_iova_source src, vfioiommu_iova_list **out)
{
	struct vfioiommu_iova_range *tmp = NULL;
	struct vfioiommu_iova_list *l;
	size_t i;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (n && !ranges)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (ranges[i].start > ranges[i].last)
			return -EINVAL;
	l = vi_iova_list_alloc(n, src);
	if (!l)
		return -ENOMEM;
	/* lists made from other lists arrive sorted: build them in linear time */
	for (i = 1; i < n && ranges[i - 1].start <= ranges[i].start; i++)
		;
	if (i < n) {
		tmp = malloc(n * sizeof(*tmp));
		if (!tmp) {
			free(l);
			return -ENOMEM;
		}
		memcpy(tmp, ranges, n * sizeof(*tmp));
		qsort(tmp, n, sizeof(*tmp), range_cmp);
		ranges = tmp;
	}
	for (i = 0; i < n; i++)
		vi_iova_list_push(l, ranges[i].start, ranges[i].last);
	free(tmp);
	*out = l;
	return 0;
}

VFIOIOMMU_API void vfioiommu_iova_list_free(vfioiommu_iova_list *list)
{
	free(list);
}

VFIOIOMMU_API size_t vfioiommu_iova_list_count(const vfioiommu_iova_list *list)
{
	return list ? list->n : 0;
}

VFIOIOMMU_API int vfioiommu_iova_list_get(const vfioiommu_iova_list *list, size_t i,
	struct vfioiommu_iova_range *out)
{
	if (!list || !out)
		return -EINVAL;
	if (i >= list->n)
		return -ERANGE;
	*out = list->r[i];
	return 0;
}

VFIOIOMMU_API enum vfioiommu_iova_source vfioiommu_iova_list_source(const vfioiommu_iova_list *list)
{
	return list ? list->src : VFIOIOMMU_IOVA_SRC_USER;
}

VFIOIOMMU_API const char *vfioiommu_iova_source_name(enum vfioiommu_iova_source src)
{
	switch (src) {
	case VFIOIOMMU_IOVA_SRC_USER: return "user";
	case VFIOIOMMU_IOVA_SRC_TYPE1_CAP: return "type1-cap";
	case VFIOIOMMU_IOVA_SRC_IOAS_RANGES: return "ioas-ranges";
	case VFIOIOMMU_IOVA_SRC_SYSFS: return "sysfs";
	case VFIOIOMMU_IOVA_SRC_DERIVED: return "derived";
	}
	return "unknown";
}

/* ---------------- set operations ---------------- */

/*
 * Each operation fills a list with room for n_a + n_b ranges, which bounds
 * every result (each fill says why).  The inputs are canonical.
 */
typedef void (*set_fill_fn)(struct vfioiommu_iova_list *l, const vfioiommu_iova_list *a,
			    const vfioiommu_iova_list *b);

static int set_op(vfioiommu_iova_list **out, const vfioiommu_iova_list *a, const vfioiommu_iova_list *b,
		  set_fill_fn fill)
{
	struct vfioiommu_iova_list *l;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!a || !b)
		return -EINVAL;
	if (a->n > SIZE_MAX - b->n)
		return -ENOMEM;
	l = vi_iova_list_alloc(a->n + b->n, VFIOIOMMU_IOVA_SRC_DERIVED);
	if (!l)
		return -ENOMEM;
	fill(l, a, b);
	*out = l;
	return 0;
}

/* An append without coalescing, for fills whose pieces never touch. */
static void set_append(struct vfioiommu_iova_list *l, uint64_t start, uint64_t last)
{
	l->r[l->n].start = start;
	l->r[l->n].last = last;
	l->n++;
}

/* every input range once, in start order, coalesced as it comes: at most n_a + n_b */
static void union_fill(struct vfioiommu_iova_list *l, const vfioiommu_iova_list *a,
	const vfioiommu_iova_list *b)
{
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		const struct vfioiommu_iova_range *r;

		if (j >= b->n || (i < a->n && a->r[i].start <= b->r[j].start))
			r = &a->r[i++];
		else
			r = &b->r[j++];
		vi_iova_list_push(l, r->start, r->last);
	}
}

VFIOIOMMU_API int vfioiommu_iova_list_union(const vfioiommu_iova_list *a,
	const vfioiommu_iova_list *b, vfioiommu_iova_list **out)
{
	return set_op(out, a, b, union_fill);
}

/* each output range ends where an input range ends, so n_a + n_b bounds the count */
static void intersect_fill(struct vfioiommu_iova_list *l, const vfioiommu_iova_list *a,
			   const vfioiommu_iova_list *b)
{
	size_t i = 0, j = 0;

	while (i < a->n && j < b->n) {
		uint64_t s = a->r[i].start > b->r[j].start ? a->r[i].start : b->r[j].start;
		uint64_t e = a->r[i].last < b->r[j].last ? a->r[i].last : b->r[j].last;

		/* pieces of distinct ranges of a (or b) never touch, so no coalescing is needed */
		if (s <= e)
			set_append(l, s, e);
		if (a->r[i].last < b->r[j].last)
			i++;
		else
			j++;
	}
}

VFIOIOMMU_API int vfioiommu_iova_list_intersect(const vfioiommu_iova_list *a,
	const vfioiommu_iova_list *b, vfioiommu_iova_list **out)
{
	return set_op(out, a, b, intersect_fill);
}

/* every range of b splits at most one range of a in two */
static void subtract_fill(struct vfioiommu_iova_list *l, const vfioiommu_iova_list *a,
			  const vfioiommu_iova_list *b)
{
	size_t j = 0;

	for (size_t i = 0; i < a->n; i++) {
		uint64_t cur = a->r[i].start, last = a->r[i].last;
		bool done = false;

		while (j < b->n && b->r[j].last < cur)
			j++;
		for (size_t k = j; k < b->n && b->r[k].start <= last; k++) {
			if (b->r[k].start > cur)
				set_append(l, cur, b->r[k].start - 1);
			if (b->r[k].last >= last) {
				done = true;
				break;
			}
			cur = b->r[k].last + 1;
		}
		if (!done)
			set_append(l, cur, last);
	}
}

VFIOIOMMU_API int vfioiommu_iova_list_subtract(const vfioiommu_iova_list *a,
	const vfioiommu_iova_list *b, vfioiommu_iova_list **out)
{
	return set_op(out, a, b, subtract_fill);
}

VFIOIOMMU_API int vfioiommu_iova_list_equal(const vfioiommu_iova_list *a, const vfioiommu_iova_list *b)
{
	size_t na = a ? a->n : 0, nb = b ? b->n : 0;

	/* both lists are canonical (sorted, coalesced), so equal sets have equal arrays */
	if (na != nb)
		return 0;
	return na == 0 || memcmp(a->r, b->r, na * sizeof(a->r[0])) == 0;
}

/* ---------------- queries ---------------- */

/* Index of the last range with start <= iova, or SIZE_MAX when none. */
static size_t last_at_or_below(const struct vfioiommu_iova_list *l, uint64_t iova)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->r[mid].start <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : SIZE_MAX;
}

VFIOIOMMU_API int vfioiommu_iova_list_contains(const vfioiommu_iova_list *list,
	uint64_t start, uint64_t last)
{
	size_t i;

	if (!list || start > last)
		return -EINVAL;
	i = last_at_or_below(list, start);
	return i != SIZE_MAX && last <= list->r[i].last;
}

VFIOIOMMU_API long vfioiommu_iova_list_find(const vfioiommu_iova_list *list, uint64_t iova,
	size_t *nearest)
{
	size_t i;

	if (!list) {
		if (nearest)
			*nearest = SIZE_MAX;
		return -EINVAL;
	}
	if (list->n == 0) {
		if (nearest)
			*nearest = SIZE_MAX;
		return -ENOENT;
	}
	i = last_at_or_below(list, iova);
	if (i != SIZE_MAX && iova <= list->r[i].last) {
		if (nearest)
			*nearest = i;
		return (long)i;
	}
	if (nearest) {
		if (i == SIZE_MAX)
			*nearest = 0;
		else if (i + 1 == list->n)
			*nearest = i;
		else /* between i and i+1: the closer one, the lower on a tie */
			*nearest = iova - list->r[i].last <= list->r[i + 1].start - iova ? i : i + 1;
	}
	return -ENOENT;
}

VFIOIOMMU_API int vfioiommu_iova_list_first_fit(const vfioiommu_iova_list *list,
	uint64_t size, uint64_t align, uint64_t lo, uint64_t hi, uint64_t *iova)
{
	uint64_t mask;
	size_t i;

	if (!list || !iova || size == 0 || lo > hi || (align & (align - 1)))
		return -EINVAL;
	mask = align > 1 ? align - 1 : 0;
	i = last_at_or_below(list, lo);
	if (i == SIZE_MAX || list->r[i].last < lo)
		i = i == SIZE_MAX ? 0 : i + 1;
	for (; i < list->n && list->r[i].start <= hi; i++) {
		uint64_t s = list->r[i].start > lo ? list->r[i].start : lo;
		uint64_t e = list->r[i].last < hi ? list->r[i].last : hi;
		uint64_t a;

		/* later ranges start higher, so once aligning overflows nothing fits */
		if (s > UINT64_MAX - mask)
			break;
		a = (s + mask) & ~mask;
		if (a <= e && e - a >= size - 1) {
			*iova = a;
			return 0;
		}
	}
	return -ENOSPC;
}
