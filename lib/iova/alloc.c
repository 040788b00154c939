/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * IOVA allocator: free extents in an AVL tree augmented with the largest
 * extent per subtree (the shape of the kernel's vmalloc free-area tree), live
 * blocks in a hash table keyed by IOVA.  Free + live tile the usable ranges
 * exactly, which vi_iova_alloc_check() verifies.
 *
 * Every length is carried as "bytes - 1" so that a range ending at 2^64-1,
 * or the whole 64-bit space, needs no special case.
 *
 * Freeing never allocates: each free extent is followed by a live block or
 * by the end of a usable range, so n_free <= n_usable + n_live, and get and
 * reserve keep at least n_usable + n_live tree nodes in the pool (and room
 * for n_live entries in the table) before they add a block.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

#include "alloc.h"
#include "alloc_live.h"
#include "alloc_tree.h"
#include "internal.h"

/* Tree nodes come from chunks that live as long as the allocator: no malloc per operation. */
struct pool_chunk {
	struct pool_chunk *next;
	struct vi_at_node nodes[];
};
#define CHUNK_MIN 16
#define CHUNK_MAX 4096

/* A 65-bit byte counter: the usable space may be all 2^64 bytes. */
struct ctr {
	uint64_t lo;
	uint64_t hi;
};

struct vfioiommu_iova_pool {
	pthread_mutex_t lock;
	uint64_t min_align;
	uint64_t mask;                       /* min_align - 1 */
	struct vi_at_node *free_root;
	struct vi_live live;
	uint64_t n_free;
	struct ctr bytes_free, bytes_live;
	struct vfioiommu_iova_range *usable; /* trimmed to min_align, sorted, for -ERANGE */
	size_t n_usable;
	struct pool_chunk *chunks;
	struct vi_at_node *spare;            /* linked through ->left */
	size_t n_spare, n_nodes;
	size_t next_chunk;
	bool fail_nodes;
};

static void ctr_add(struct ctr *c, uint64_t len_m1)
{
	uint64_t old = c->lo;

	c->lo += len_m1;
	c->hi += c->lo < old;
	old = c->lo;
	c->lo += 1;
	c->hi += c->lo < old;
}

static void ctr_sub(struct ctr *c, uint64_t len_m1)
{
	uint64_t old = c->lo;

	c->lo -= len_m1;
	c->hi -= c->lo > old;
	old = c->lo;
	c->lo -= 1;
	c->hi -= c->lo > old;
}

static uint64_t ctr_sat(const struct ctr *c)
{
	return c->hi ? UINT64_MAX : c->lo;
}

/* Round v up to a multiple of mask + 1; false when that passes 2^64-1. */
static bool align_up(uint64_t v, uint64_t mask, uint64_t *out)
{
	uint64_t d = v & ~mask;

	if (d != v) {
		d += mask + 1;
		if (d == 0)
			return false;
	}
	*out = d;
	return true;
}

/* The lowest x >= v with x & mask == phase (phase <= mask); false when that passes 2^64-1. */
static bool align_up_phase(uint64_t v, uint64_t mask, uint64_t phase, uint64_t *out)
{
	uint64_t d = (v & ~mask) | phase;

	if (d < v) {
		if (d > UINT64_MAX - mask - 1)
			return false;
		d += mask + 1;
	}
	*out = d;
	return true;
}

/* The last byte of the granule-aligned part of [.., last]; false when there is none. */
static bool trim_last(uint64_t last, uint64_t mask, uint64_t *out)
{
	uint64_t end;

	if (last == UINT64_MAX) {
		*out = last;
		return true;
	}
	end = (last + 1) & ~mask;
	if (end == 0)
		return false;
	*out = end - 1;
	return true;
}

/* ---------------- node pool ---------------- */

/* Grow the pool to at least @total nodes. */
static int pool_grow(struct vfioiommu_iova_pool *a, size_t total)
{
	struct pool_chunk *c;

	if (a->fail_nodes)
		return -ENOMEM;
	while (a->n_nodes < total) {
		size_t n = a->next_chunk;

		c = malloc(sizeof(*c) + n * sizeof(c->nodes[0]));
		if (!c)
			return -ENOMEM;
		c->next = a->chunks;
		a->chunks = c;
		for (size_t i = 0; i < n; i++) {
			c->nodes[i].left = a->spare;
			a->spare = &c->nodes[i];
		}
		a->n_spare += n;
		a->n_nodes += n;
		if (a->next_chunk < CHUNK_MAX)
			a->next_chunk *= 2;
	}
	return 0;
}

/* Only where the invariant above promises a spare node. */
static struct vi_at_node *pool_take(struct vfioiommu_iova_pool *a)
{
	struct vi_at_node *n = a->spare;

	a->spare = n->left;
	a->n_spare--;
	return n;
}

static void pool_give(struct vfioiommu_iova_pool *a, struct vi_at_node *n)
{
	n->left = a->spare;
	a->spare = n;
	a->n_spare++;
}

/* ---------------- lifetime ---------------- */

VFIOIOMMU_API void vfioiommu_iova_pool_free(vfioiommu_iova_pool *a)
{
	struct pool_chunk *c, *next;

	if (!a)
		return;
	for (c = a->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a->usable);
	vi_live_fini(&a->live);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

VFIOIOMMU_API int vfioiommu_iova_pool_new(const vfioiommu_iova_list *usable, uint64_t min_align,
	vfioiommu_iova_pool **out)
{
	struct vfioiommu_iova_pool *a;
	size_t n;
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!usable || min_align == 0 || (min_align & (min_align - 1)))
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	r = pthread_mutex_init(&a->lock, NULL);
	if (r) {
		free(a);
		return -r;
	}
	a->min_align = min_align;
	a->mask = min_align - 1;
	a->next_chunk = CHUNK_MIN;
	vi_live_init(&a->live, min_align);
	n = vfioiommu_iova_list_count(usable);
	a->usable = malloc((n ? n : 1) * sizeof(a->usable[0]));
	if (!a->usable) {
		vfioiommu_iova_pool_free(a);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct vfioiommu_iova_range in;
		struct vi_at_node *f;
		uint64_t s, e;

		if (vfioiommu_iova_list_get(usable, i, &in) != 0)
			break;
		if (!align_up(in.start, a->mask, &s) || !trim_last(in.last, a->mask, &e) || s > e)
			continue;
		if (pool_grow(a, a->n_usable + 1) != 0) {
			vfioiommu_iova_pool_free(a);
			return -ENOMEM;
		}
		a->usable[a->n_usable].start = s;
		a->usable[a->n_usable].last = e;
		a->n_usable++;
		f = pool_take(a);
		f->start = s;
		f->last = e;
		a->free_root = vi_at_insert(a->free_root, f);
		a->n_free++;
		ctr_add(&a->bytes_free, e - s);
	}
	*out = a;
	return 0;
}

void vi_iova_alloc_inject_enomem(vfioiommu_iova_pool *a, bool on)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->fail_nodes = on;
	pthread_mutex_unlock(&a->lock);
}

/* ---------------- search ---------------- */

struct req {
	uint64_t size_m1;
	uint64_t need_m1;  /* skip extents (and subtrees) shorter than this */
	uint64_t amask;    /* alignment - 1 */
	uint64_t phase;    /* the block starts at phase modulo the alignment (phase <= amask) */
	uint64_t lo, hi;   /* granule-aligned window */
	uint64_t addr;     /* out */
};

static bool fits(const struct vi_at_node *n, struct req *q)
{
	uint64_t s = n->start > q->lo ? n->start : q->lo;
	uint64_t e = n->last < q->hi ? n->last : q->hi;
	uint64_t a;

	if (s > e || e - s < q->need_m1)
		return false;
	if (!align_up_phase(s, q->amask, q->phase, &a) || a > e || e - a < q->size_m1)
		return false;
	q->addr = a;
	return true;
}

/*
 * Lowest extent in t that fits q.  Subtrees are skipped when their largest
 * extent is too short or when they lie wholly outside [lo, hi].  When every
 * long-enough extent is sure to fit (need_m1 covers the worst alignment
 * loss), a descent into a subtree inside the window always succeeds, so only
 * the two window-edge paths can fail: O(log n).
 */
static struct vi_at_node *search(struct vi_at_node *t, struct req *q)
{
	struct vi_at_node *r;

	if (!t || t->max_m1 < q->need_m1)
		return NULL;
	if (t->start > q->lo) {
		r = search(t->left, q);
		if (r)
			return r;
	}
	if (fits(t, q))
		return t;
	if (t->last < q->hi)
		return search(t->right, q);
	return NULL;
}

/* Room for one more live block; nothing changes on failure. */
static int room_for_one(struct vfioiommu_iova_pool *a)
{
	int r = pool_grow(a, a->n_usable + a->live.n + 1);

	return r ? r : vi_live_reserve(&a->live, a->live.n + 1);
}

/* Make [s, e], which lies inside free extent f, a live block.  After room_for_one(). */
static void carve(struct vfioiommu_iova_pool *a, struct vi_at_node *f, uint64_t s, uint64_t e)
{
	struct vi_at_node *tail, *gone;

	if (f->start == s && f->last == e) {
		a->free_root = vi_at_remove(a->free_root, s, &gone);
		pool_give(a, gone);
		a->n_free--;
	} else if (f->start == s) {
		f->start = e + 1;
		vi_at_touch(a->free_root, f->start);
	} else if (f->last == e) {
		f->last = s - 1;
		vi_at_touch(a->free_root, f->start);
	} else {
		tail = pool_take(a);
		tail->start = e + 1;
		tail->last = f->last;
		f->last = s - 1;
		vi_at_touch(a->free_root, f->start);
		a->free_root = vi_at_insert(a->free_root, tail);
		a->n_free++;
	}
	vi_live_add(&a->live, s, e);
	ctr_sub(&a->bytes_free, e - s);
	ctr_add(&a->bytes_live, e - s);
}

/* size - 1 after rounding up to min_align; false for 0 or when rounding passes 2^64. */
static bool size_m1_of(const struct vfioiommu_iova_pool *a, uint64_t size, uint64_t *out)
{
	if (size == 0 || size > UINT64_MAX - a->mask)
		return false;
	*out = (size - 1) | a->mask;
	return true;
}

VFIOIOMMU_API int vfioiommu_iova_pool_alloc(vfioiommu_iova_pool *a, uint64_t size, uint64_t align,
	uint64_t lo, uint64_t hi, uint64_t *iova)
{
	return vi_iova_pool_alloc_phase(a, size, align, 0, lo, hi, iova);
}

int vi_iova_pool_alloc_phase(vfioiommu_iova_pool *a, uint64_t size, uint64_t align, uint64_t phase,
			     uint64_t lo, uint64_t hi, uint64_t *iova)
{
	struct vi_at_node *f = NULL;
	struct req q;
	uint64_t slack;
	int r;

	if (!a || !iova || lo > hi || (align & (align - 1)) || !size_m1_of(a, size, &q.size_m1))
		return -EINVAL;
	q.amask = align > a->min_align ? align - 1 : a->mask;
	/* a phase must be a granule multiple below the alignment: one IOVA per residue class */
	if ((phase & a->mask) || phase > q.amask)
		return -EINVAL;
	q.phase = phase;
	if (!align_up(lo, a->mask, &q.lo) || !trim_last(hi, a->mask, &q.hi) || q.lo > q.hi ||
	    q.hi - q.lo < q.size_m1)
		return -ENOSPC;

	pthread_mutex_lock(&a->lock);
	r = room_for_one(a);
	if (r)
		goto out;
	/* first pass: only extents long enough to hold the block at any alignment */
	slack = q.amask - a->mask;
	if (q.size_m1 <= UINT64_MAX - slack) {
		q.need_m1 = q.size_m1 + slack;
		f = search(a->free_root, &q);
	}
	/* last resort: shorter extents that happen to be well placed */
	if (!f && slack) {
		q.need_m1 = q.size_m1;
		f = search(a->free_root, &q);
	}
	if (!f) {
		r = -ENOSPC;
		goto out;
	}
	carve(a, f, q.addr, q.addr + q.size_m1);
	*iova = q.addr;
out:
	pthread_mutex_unlock(&a->lock);
	return r;
}

/* 1 when [s, e] lies in one trimmed usable range. */
static bool in_usable(const struct vfioiommu_iova_pool *a, uint64_t s, uint64_t e)
{
	size_t lo = 0, hi = a->n_usable;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->usable[mid].start <= s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && e <= a->usable[lo - 1].last;
}

VFIOIOMMU_API int vfioiommu_iova_pool_reserve(vfioiommu_iova_pool *a, uint64_t iova, uint64_t size)
{
	struct vi_at_node *f;
	uint64_t size_m1, last;
	int r;

	if (!a || !size_m1_of(a, size, &size_m1) || (iova & a->mask) || size_m1 > UINT64_MAX - iova)
		return -EINVAL;
	last = iova + size_m1;

	pthread_mutex_lock(&a->lock);
	f = vi_at_floor(a->free_root, iova);
	if (!f || f->last < last) {
		/* not inside one free extent: either it leaves the usable space or it hits a live block */
		r = in_usable(a, iova, last) ? -EEXIST : -ERANGE;
		goto out;
	}
	r = room_for_one(a);
	if (r)
		goto out;
	carve(a, f, iova, last);
out:
	pthread_mutex_unlock(&a->lock);
	return r;
}

VFIOIOMMU_API int vfioiommu_iova_pool_release(vfioiommu_iova_pool *a, uint64_t iova, uint64_t size)
{
	struct vi_at_node *n, *p, *s, *gone;
	uint64_t size_m1, last;
	bool padj, sadj;
	size_t slot;
	int r = 0;

	if (!a || !size_m1_of(a, size, &size_m1))
		return -EINVAL;
	if (size_m1 > UINT64_MAX - iova)
		return -ENOENT;
	last = iova + size_m1;

	pthread_mutex_lock(&a->lock);
	slot = vi_live_find(&a->live, iova);
	if (slot == SIZE_MAX || a->live.s[slot].last != last) {
		r = -ENOENT;
		goto out;
	}
	vi_live_del(&a->live, slot);
	ctr_sub(&a->bytes_live, size_m1);
	ctr_add(&a->bytes_free, size_m1);

	/* the block is not free, so p ends below it and s starts above it */
	vi_at_around(a->free_root, iova, &p, &s);
	padj = p && p->last + 1 == iova;
	sadj = s && last != UINT64_MAX && s->start == last + 1;
	if (padj && sadj) {
		uint64_t s_last = s->last;

		a->free_root = vi_at_remove(a->free_root, s->start, &gone);
		pool_give(a, gone);
		a->n_free--;
		p->last = s_last;
		vi_at_touch(a->free_root, p->start);
	} else if (padj) {
		p->last = last;
		vi_at_touch(a->free_root, p->start);
	} else if (sadj) {
		s->start = iova;
		vi_at_touch(a->free_root, iova);
	} else {
		n = pool_take(a);
		n->start = iova;
		n->last = last;
		a->free_root = vi_at_insert(a->free_root, n);
		a->n_free++;
	}
out:
	pthread_mutex_unlock(&a->lock);
	return r;
}

/* ---------------- counters ---------------- */

VFIOIOMMU_API int vfioiommu_iova_pool_stats(vfioiommu_iova_pool *a,
	struct vfioiommu_iova_pool_stats *out)
{
	struct vfioiommu_iova_pool_stats full = { .size = sizeof(full) };

	if (!a || !out || out->size < sizeof(full))
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	full.live = a->live.n;
	full.bytes_live = ctr_sat(&a->bytes_live);
	full.bytes_free = ctr_sat(&a->bytes_free);
	full.free_extents = a->n_free;
	full.min_align = a->min_align;
	pthread_mutex_unlock(&a->lock);
	vi_copy_sized(out, &full, sizeof(full));
	return 0;
}

VFIOIOMMU_API size_t vfioiommu_iova_pool_live(vfioiommu_iova_pool *a)
{
	size_t n;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	n = a->live.n;
	pthread_mutex_unlock(&a->lock);
	return n;
}

VFIOIOMMU_API uint64_t vfioiommu_iova_pool_bytes_available(vfioiommu_iova_pool *a)
{
	uint64_t n;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	n = ctr_sat(&a->bytes_free);
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* ---------------- debug check ---------------- */

struct collect {
	struct vfioiommu_iova_range *r;
	size_t n, cap;
};

static int collect_fn(struct vi_at_node *n, void *arg)
{
	struct collect *c = arg;

	if (c->n == c->cap)
		return -EUCLEAN;
	c->r[c->n].start = n->start;
	c->r[c->n].last = n->last;
	c->n++;
	return 0;
}

/* Check the sorted free and live sequences tile the usable ranges. */
static int check_tiling(const struct vfioiommu_iova_pool *a, const struct collect *fr,
	const struct collect *lv, struct vi_err *e)
{
	size_t i = 0, j = 0, u = 0;
	uint64_t cur = 0;
	bool prev_free = false, started = false;
	struct ctr bf = { 0, 0 }, bl = { 0, 0 };

	while (i < fr->n || j < lv->n) {
		bool is_free = j >= lv->n || (i < fr->n && fr->r[i].start < lv->r[j].start);
		const struct vfioiommu_iova_range *r = is_free ? &fr->r[i++] : &lv->r[j++];

		if ((r->start & a->mask) || ((r->last + 1) & a->mask))
			return vi_errf(e, -EUCLEAN, "%s [%#" PRIx64 ", %#" PRIx64 "] is not %#" PRIx64 "-granular",
				       is_free ? "free extent" : "live block", r->start, r->last, a->min_align);
		if (!started) {
			if (u >= a->n_usable)
				return vi_errf(e, -EUCLEAN, "[%#" PRIx64 ", %#" PRIx64 "] lies past the usable ranges",
					       r->start, r->last);
			cur = a->usable[u].start;
			started = true;
			prev_free = false;
		}
		if (r->start != cur)
			return vi_errf(e, -EUCLEAN, "%s [%#" PRIx64 ", %#" PRIx64 "] should start at %#" PRIx64,
				       is_free ? "free extent" : "live block", r->start, r->last, cur);
		if (is_free && prev_free)
			return vi_errf(e, -EUCLEAN, "free extent at %#" PRIx64 " touches the one before", r->start);
		if (r->last > a->usable[u].last)
			return vi_errf(e, -EUCLEAN, "[%#" PRIx64 ", %#" PRIx64 "] crosses the end of usable range %zu",
				       r->start, r->last, u);
		ctr_add(is_free ? &bf : &bl, r->last - r->start);
		prev_free = is_free;
		if (r->last == a->usable[u].last) {
			u++;
			started = false;
		} else {
			cur = r->last + 1;
		}
	}
	if (started || u != a->n_usable)
		return vi_errf(e, -EUCLEAN, "usable ranges from %zu on are not covered", u);
	if (bf.lo != a->bytes_free.lo || bf.hi != a->bytes_free.hi ||
	    bl.lo != a->bytes_live.lo || bl.hi != a->bytes_live.hi)
		return vi_errf(e, -EUCLEAN, "byte counters disagree with the trees");
	return 0;
}

static int range_cmp(const void *x, const void *y)
{
	const struct vfioiommu_iova_range *p = x, *q = y;

	return (p->start > q->start) - (p->start < q->start);
}

/* The pool's bookkeeping and the promise that put never needs memory. */
static int check_pool(const struct vfioiommu_iova_pool *a, struct vi_err *e)
{
	const struct vi_at_node *n;
	size_t spare = 0;

	for (n = a->spare; n && spare <= a->n_spare; n = n->left)
		spare++;
	if (spare != a->n_spare || a->n_spare + a->n_free != a->n_nodes)
		return vi_errf(e, -EUCLEAN, "pool: %zu spare nodes listed, %zu counted, %" PRIu64 " free, %zu in all",
			       spare, a->n_spare, a->n_free, a->n_nodes);
	if (a->n_nodes < a->n_usable + a->live.n)
		return vi_errf(e, -EUCLEAN, "pool holds %zu nodes, fewer than %zu ranges + %zu live blocks",
			       a->n_nodes, a->n_usable, a->live.n);
	if (a->live.n > a->live.cap / 2)
		return vi_errf(e, -EUCLEAN, "live table over half full: %zu of %zu", a->live.n, a->live.cap);
	return 0;
}

/* Every entry of the live table is found from its home slot; collect them sorted. */
static int check_live(const struct vfioiommu_iova_pool *a, struct collect *lv, struct vi_err *e)
{
	for (size_t i = 0; i < a->live.cap; i++) {
		const struct vi_live_slot *sl = &a->live.s[i];

		if (vi_live_empty(sl))
			continue;
		if (vi_live_find(&a->live, sl->iova) != i)
			return vi_errf(e, -EUCLEAN, "live block at %#" PRIx64 " is not found where it lies", sl->iova);
		if (lv->n == lv->cap)
			return vi_errf(e, -EUCLEAN, "live table holds more than its count %zu", a->live.n);
		lv->r[lv->n].start = sl->iova;
		lv->r[lv->n].last = sl->last;
		lv->n++;
	}
	if (lv->n != a->live.n)
		return vi_errf(e, -EUCLEAN, "live table holds %zu blocks, counter says %zu", lv->n, a->live.n);
	qsort(lv->r, lv->n, sizeof(lv->r[0]), range_cmp);
	return 0;
}

int vi_iova_alloc_check(vfioiommu_iova_pool *a, struct vi_err *e)
{
	struct collect fr = { NULL, 0, 0 }, lv = { NULL, 0, 0 };
	uint64_t nf;
	int r;

	if (!a)
		return vi_errf(e, -EINVAL, "no allocator");
	pthread_mutex_lock(&a->lock);
	r = vi_at_check(a->free_root, &nf, e);
	if (r == 0 && nf != a->n_free)
		r = vi_errf(e, -EUCLEAN, "free tree holds %" PRIu64 " extents, counter says %" PRIu64, nf, a->n_free);
	if (r == 0)
		r = check_pool(a, e);
	if (r)
		goto out;
	fr.cap = (size_t)nf;
	lv.cap = a->live.n;
	fr.r = malloc((fr.cap ? fr.cap : 1) * sizeof(fr.r[0]));
	lv.r = malloc((lv.cap ? lv.cap : 1) * sizeof(lv.r[0]));
	if (!fr.r || !lv.r) {
		r = vi_errf(e, -ENOMEM, "no memory for the check");
		goto out;
	}
	vi_at_walk(a->free_root, collect_fn, &fr);
	r = check_live(a, &lv, e);
	if (r == 0)
		r = check_tiling(a, &fr, &lv, e);
out:
	pthread_mutex_unlock(&a->lock);
	free(fr.r);
	free(lv.r);
	return r;
}
