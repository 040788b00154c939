/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * IOVA allocator throughput under a fragmenting workload, beside a first-fit
 * sorted linked list of free extents (the obvious O(n) design) in the same run.
 *
 * For each population (10^3, 10^5, 10^6 live blocks): fill a 48-bit space
 * (minus the x86 MSI window and some reserved holes) with random blocks of
 * 1..127 pages at random alignments, churn it once per block (free a random
 * victim, allocate a new random block) so the free space is fragmented, then
 * time more churn.  One op = one put + one get.  The list baseline starts
 * from the same live blocks and replays the same random choices; its time is
 * capped, so at large populations it runs fewer ops, and both report ops/s.
 *
 * Times are CPU time of this thread, so a loaded machine skews less.
 *
 * Usage: bench_alloc [--check] [--pop N]
 *   --check: exit 1 when the tree is not at least 10x the list at 10^6 live
 *            blocks, or 3x at 10^5
 *   --pop N: measure only a population of N (for profiling; no summary)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vfioiommu.h>

#define PAGE 0x1000ull
#define SPACE_LAST ((1ull << 48) - 1)
#define TREE_MIN_OPS 200000
#define TREE_MIN_SEC 0.5
#define LIST_MAX_OPS 200000
#define LIST_MAX_SEC 1.5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

struct block {
	uint64_t iova, size;
};

struct req {
	uint64_t size, align;
};

/* Mostly small blocks, a long tail; mostly page-aligned, some 64 KiB and 2 MiB. */
static struct req rnd_req(void)
{
	uint64_t r = rnd(), lg = r % 7, pages = (1ull << lg) + (r >> 8) % (1ull << lg);
	unsigned int k = (unsigned int)((r >> 32) % 100);
	struct req q = { pages * PAGE, 0 };

	if (k >= 95)
		q.align = 2ull << 20;
	else if (k >= 75)
		q.align = 64ull << 10;
	return q;
}

/* ---------------- the baseline: first fit over a sorted list ---------------- */

struct ext {
	struct ext *next, *prev;
	uint64_t start, last;
};

struct flist {
	struct ext *head;
	size_t n;
};

static int list_get(struct flist *l, uint64_t size, uint64_t align, uint64_t *iova)
{
	uint64_t mask = (align > PAGE ? align : PAGE) - 1;

	for (struct ext *e = l->head; e; e = e->next) {
		uint64_t a = (e->start + mask) & ~mask;

		if (a < e->start || a > e->last || e->last - a < size - 1)
			continue;
		*iova = a;
		if (a + size - 1 < e->last && a > e->start) {
			struct ext *t = malloc(sizeof(*t));

			if (!t)
				return -ENOMEM;
			t->start = a + size;
			t->last = e->last;
			t->prev = e;
			t->next = e->next;
			if (e->next)
				e->next->prev = t;
			e->next = t;
			e->last = a - 1;
			l->n++;
		} else if (a > e->start) {
			e->last = a - 1;
		} else if (a + size - 1 < e->last) {
			e->start = a + size;
		} else {
			if (e->prev)
				e->prev->next = e->next;
			else
				l->head = e->next;
			if (e->next)
				e->next->prev = e->prev;
			free(e);
			l->n--;
		}
		return 0;
	}
	return -ENOSPC;
}

static int list_put(struct flist *l, uint64_t iova, uint64_t size)
{
	uint64_t last = iova + size - 1;
	struct ext *p = NULL, *s = l->head, *n;

	while (s && s->start < iova) {
		p = s;
		s = s->next;
	}
	if (p && p->last + 1 == iova) {
		p->last = last;
		if (s && last + 1 == s->start) {
			p->last = s->last;
			p->next = s->next;
			if (s->next)
				s->next->prev = p;
			free(s);
			l->n--;
		}
		return 0;
	}
	if (s && last + 1 == s->start) {
		s->start = iova;
		return 0;
	}
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->start = iova;
	n->last = last;
	n->prev = p;
	n->next = s;
	if (p)
		p->next = n;
	else
		l->head = n;
	if (s)
		s->prev = n;
	l->n++;
	return 0;
}

static void list_free(struct flist *l)
{
	struct ext *e, *next;

	for (e = l->head; e; e = next) {
		next = e->next;
		free(e);
	}
	l->head = NULL;
	l->n = 0;
}

static int block_cmp(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	return (x->iova > y->iova) - (x->iova < y->iova);
}

/* The list's free extents: the usable ranges minus the live blocks. */
static int list_build(struct flist *l, const vfioiommu_iova_list *usable, const struct block *live, size_t n)
{
	struct block *s = malloc((n ? n : 1) * sizeof(*s));
	struct ext *tail = NULL;
	size_t j = 0;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	memcpy(s, live, n * sizeof(*s));
	qsort(s, n, sizeof(*s), block_cmp);
	l->head = NULL;
	l->n = 0;
	for (size_t i = 0; i < vfioiommu_iova_list_count(usable) && rc == 0; i++) {
		struct vfioiommu_iova_range r;
		uint64_t cur;

		vfioiommu_iova_list_get(usable, i, &r);
		cur = (r.start + PAGE - 1) & ~(PAGE - 1);
		r.last = ((r.last + 1) & ~(PAGE - 1)) - 1;
		for (;;) {
			uint64_t end = j < n && s[j].iova <= r.last ? s[j].iova : r.last + 1;

			if (end > cur) {
				struct ext *e = malloc(sizeof(*e));

				if (!e) {
					rc = -ENOMEM;
					break;
				}
				e->start = cur;
				e->last = end - 1;
				e->next = NULL;
				e->prev = tail;
				if (tail)
					tail->next = e;
				else
					l->head = e;
				tail = e;
				l->n++;
			}
			if (end > r.last)
				break;
			cur = s[j].iova + s[j].size;
			j++;
		}
	}
	free(s);
	return rc;
}

/* ---------------- the workload ---------------- */

struct result {
	size_t live;
	uint64_t free_extents;
	double tree_ops_s, list_ops_s;
	unsigned long tree_ops, list_ops;
	double list_sec;
};

static int usable_space(vfioiommu_iova_list **out)
{
	static const struct vfioiommu_iova_range all[] = { { PAGE, SPACE_LAST } };
	struct vfioiommu_iova_range holes[17];
	vfioiommu_iova_list *a = NULL, *h = NULL;
	int rc;

	holes[0] = (struct vfioiommu_iova_range){ 0xfee00000, 0xfeefffff };
	for (int i = 1; i < 17; i++) {
		uint64_t s = (uint64_t)i << 43;

		holes[i] = (struct vfioiommu_iova_range){ s - 0x800000, s + 0x7fffff };
	}
	rc = vfioiommu_iova_list_new(all, 1, VFIOIOMMU_IOVA_SRC_USER, &a);
	if (rc == 0)
		rc = vfioiommu_iova_list_new(holes, 17, VFIOIOMMU_IOVA_SRC_USER, &h);
	if (rc == 0)
		rc = vfioiommu_iova_list_subtract(a, h, out);
	vfioiommu_iova_list_free(a);
	vfioiommu_iova_list_free(h);
	return rc;
}

/* Free a random victim, then allocate a random block in its slot of the array. */
static int tree_op(vfioiommu_iova_pool *al, struct block *live, size_t n)
{
	size_t v = rnd() % n;
	struct req q = rnd_req();
	int rc = vfioiommu_iova_pool_release(al, live[v].iova, live[v].size);

	if (rc == 0)
		rc = vfioiommu_iova_pool_alloc(al, q.size, q.align, 0, UINT64_MAX, &live[v].iova);
	live[v].size = q.size;
	return rc;
}

static int list_op(struct flist *l, struct block *live, size_t n)
{
	size_t v = rnd() % n;
	struct req q = rnd_req();
	int rc = list_put(l, live[v].iova, live[v].size);

	if (rc == 0)
		rc = list_get(l, q.size, q.align, &live[v].iova);
	live[v].size = q.size;
	return rc;
}

static int run(size_t n, uint64_t seed, struct result *res)
{
	vfioiommu_iova_list *usable = NULL;
	vfioiommu_iova_pool *al = NULL;
	struct block *live = calloc(n, sizeof(*live)), *live2 = calloc(n, sizeof(*live2));
	struct vfioiommu_iova_pool_stats st = { .size = sizeof(st) };
	struct flist l = { NULL, 0 };
	unsigned long ops;
	uint64_t replay;
	double t0, t;
	int rc;

	if (!live || !live2) {
		rc = -ENOMEM;
		goto out;
	}
	rc = usable_space(&usable);
	if (rc == 0)
		rc = vfioiommu_iova_pool_new(usable, PAGE, &al);
	rng = seed;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct req q = rnd_req();

		live[i].size = q.size;
		rc = vfioiommu_iova_pool_alloc(al, q.size, q.align, 0, UINT64_MAX, &live[i].iova);
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = tree_op(al, live, n);
	if (rc)
		goto out;

	/* both contestants start from this state and replay the same choices */
	memcpy(live2, live, n * sizeof(*live));
	rc = list_build(&l, usable, live2, n);
	if (rc)
		goto out;
	vfioiommu_iova_pool_stats(al, &st);
	res->live = n;
	res->free_extents = st.free_extents;
	if (st.free_extents != l.n) {
		fprintf(stderr, "bench_alloc: baseline built %zu extents, allocator has %" PRIu64 "\n",
			l.n, st.free_extents);
		rc = -EPROTO;
		goto out;
	}
	replay = rng;

	ops = 0;
	t0 = now();
	do {
		for (int i = 0; i < 1000 && rc == 0; i++, ops++)
			rc = tree_op(al, live, n);
		t = now() - t0;
	} while (rc == 0 && (ops < TREE_MIN_OPS || t < TREE_MIN_SEC));
	res->tree_ops = ops;
	res->tree_ops_s = (double)ops / t;

	rng = replay;
	ops = 0;
	t0 = now();
	do {
		for (int i = 0; i < 10 && rc == 0; i++, ops++)
			rc = list_op(&l, live2, n);
		t = now() - t0;
	} while (rc == 0 && ops < LIST_MAX_OPS && t < LIST_MAX_SEC);
	res->list_ops = ops;
	res->list_sec = t;
	res->list_ops_s = (double)ops / t;
out:
	if (rc)
		fprintf(stderr, "bench_alloc: %zu live: %s\n", n, strerror(-rc));
	list_free(&l);
	vfioiommu_iova_pool_free(al);
	vfioiommu_iova_list_free(usable);
	free(live);
	free(live2);
	return rc;
}

int main(int argc, char **argv)
{
	static const size_t pops[] = { 1000, 100000, 1000000 };
	struct result res[3];
	bool check = false, ok = true;
	size_t only = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check")) {
			check = true;
		} else if (!strcmp(argv[i], "--pop") && i + 1 < argc && atol(argv[i + 1]) > 0) {
			only = (size_t)atol(argv[++i]);
		} else {
			fprintf(stderr, "usage: bench_alloc [--check] [--pop N]\n");
			return 2;
		}
	}
	printf("IOVA alloc: one op = put a random victim + get a random block (1..127 pages; 4K/64K/2M align)\n");
	printf("%10s %12s %14s %14s %12s %10s\n", "live", "free extents", "tree ops/s", "list ops/s",
	       "(list ops)", "tree/list");
	for (int i = 0; i < 3; i++) {
		if (only && i > 0)
			return 0;
		if (run(only ? only : pops[i], 0x9e3779b97f4a7c15ull + (uint64_t)i, &res[i]) != 0)
			return 1;
		printf("%10zu %12" PRIu64 " %14.0f %14.0f %12lu %9.1fx\n", res[i].live, res[i].free_extents,
		       res[i].tree_ops_s, res[i].list_ops_s, res[i].list_ops, res[i].tree_ops_s / res[i].list_ops_s);
		fflush(stdout);
	}
	if (res[2].tree_ops_s < 10 * res[2].list_ops_s || res[1].tree_ops_s < 3 * res[1].list_ops_s)
		ok = false;
	printf("summary: tree/list speedup %.1fx at 1e3, %.1fx at 1e5, %.1fx at 1e6 live; "
	       "tree %.2f Mops/s at 1e3, %.2f Mops/s at 1e6%s\n",
	       res[0].tree_ops_s / res[0].list_ops_s, res[1].tree_ops_s / res[1].list_ops_s,
	       res[2].tree_ops_s / res[2].list_ops_s, res[0].tree_ops_s / 1e6, res[2].tree_ops_s / 1e6,
	       ok ? "" : "  BELOW TARGET");
	return check && !ok ? 1 : 0;
}
