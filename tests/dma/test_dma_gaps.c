/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * ctx->dma_gaps (lib/dma/dma.c), the hook a type1 dirty report uses to zero
 * only the bitmap words outside the library's mappings: the stretches it
 * names against a page-by-page count over pseudo-random tables and ranges,
 * the whole-table shortcut, and the refusal past max_mappings.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/internal.h"
#include "helpers.h"
#include <vfioiommu/dma.h>
#include <vfioiommu/mock.h>

#define DEV "0000:00:03.0"
#define FIX (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA)
#define PG 4096ull
#define BASE 0x1000000ull
#define NPG 2048u

static uint8_t buf[64 * PG] __attribute__((aligned(4096)));

struct got {
	unsigned int n;
	uint64_t iova[NPG], len[NPG];
};

static void record(void *arg, uint64_t iova, uint64_t len)
{
	struct got *g = arg;

	assert_true(g->n < NPG);
	g->iova[g->n] = iova;
	g->len[g->n++] = len;
}

static bool gaps(vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, size_t max, struct got *g)
{
	bool ok;

	g->n = 0;
	pthread_mutex_lock(&ctx->lock);
	assert_non_null(ctx->dma_gaps);
	ok = ctx->dma_gaps(ctx, iova, len, max, record, g);
	pthread_mutex_unlock(&ctx->lock);
	return ok;
}

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* The uncovered runs of pages [a, b) of the table cover[], as the hook should name them. */
static void expect(const bool *cover, unsigned int a, unsigned int b, struct got *w)
{
	w->n = 0;
	for (unsigned int p = a; p < b;) {
		unsigned int q = p;

		if (cover[p]) {
			p++;
			continue;
		}
		while (q < b && !cover[q])
			q++;
		w->iova[w->n] = BASE + p * PG;
		w->len[w->n++] = (q - p) * PG;
		p = q;
	}
}

static void against_a_page_count(void **state)
{
	uint32_t seed = 7;

	(void)state;
	for (int table = 0; table < 20; table++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, table % 2 ? VFIOIOMMU_MODE_CONTAINER : VFIOIOMMU_MODE_IOMMUFD);
		vfioiommu_device *dev = NULL;
		static bool cover[NPG];
		static struct got g, w;
		unsigned int nmap = 0;

		memset(cover, 0, sizeof(cover));
		assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
		for (unsigned int p = rnd(&seed) % 8; p < NPG;) {
			unsigned int len = 1 + rnd(&seed) % (table < 10 ? 64 : 4);
			uint64_t iova = BASE + p * PG;

			if (p + len > NPG)
				break;
			assert_int_equal(vfioiommu_dma_map(ctx, buf, len * PG, FIX, &iova), 0);
			for (unsigned int i = p; i < p + len; i++)
				cover[i] = true;
			nmap++;
			/* touching neighbours sometimes, gaps of 1..16 pages otherwise */
			p += len + (rnd(&seed) % 3 ? rnd(&seed) % 16 + 1 : 0);
		}
		for (int r = 0; r < 200; r++) {
			unsigned int a = rnd(&seed) % NPG, b = a + 1 + rnd(&seed) % (NPG - a);

			assert_true(gaps(ctx, BASE + a * PG, (b - a) * PG, nmap, &g));
			expect(cover, a, b, &w);
			/* runs split by touching mappings still join: the hook names maximal stretches */
			assert_int_equal(g.n, w.n);
			for (unsigned int i = 0; i < w.n; i++)
				assert_true(g.iova[i] == w.iova[i] && g.len[i] == w.len[i]);
		}
		/* the whole space: every gap, including the ones before the first and after the last mapping */
		assert_true(gaps(ctx, BASE - PG, (NPG + 2) * PG, nmap, &g));
		assert_true(g.n >= 2 && g.iova[0] == BASE - PG && g.iova[g.n - 1] + g.len[g.n - 1] == BASE + (NPG + 1) * PG);
		/* too many mappings to walk for a range they do not all lie in: refused, nothing named */
		assert_false(gaps(ctx, BASE, PG, nmap - 1, &g));
		assert_int_equal(g.n, 0);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

static void whole_table_shortcut(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *dev = NULL;
	struct got g;

	(void)state;
	assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
	/* no DMA state yet: false, the caller zeroes everything */
	pthread_mutex_lock(&ctx->lock);
	assert_true(ctx->dma_gaps == NULL || !ctx->dma_gaps(ctx, BASE, PG, 100, record, &g));
	pthread_mutex_unlock(&ctx->lock);
	for (unsigned int i = 0; i < 8; i++) {
		uint64_t iova = BASE + i * 4 * PG;

		assert_int_equal(vfioiommu_dma_map(ctx, buf, 4 * PG, FIX, &iova), 0);
	}
	/* eight touching mappings filling the range exactly: no gap even with max_mappings 0 */
	assert_true(gaps(ctx, BASE, 32 * PG, 0, &g));
	assert_int_equal(g.n, 0);
	/* one page more on either side: the walk is needed, and refused with max 0 */
	assert_false(gaps(ctx, BASE - PG, 33 * PG, 0, &g));
	assert_true(gaps(ctx, BASE - PG, 34 * PG, 8, &g));
	assert_true(g.n == 2 && g.iova[0] == BASE - PG && g.len[0] == PG && g.iova[1] == BASE + 32 * PG && g.len[1] == PG);
	/* a hole in the middle: bytes no longer match the range */
	assert_int_equal(vfioiommu_dma_unmap(ctx, BASE + 12 * PG, 4 * PG), 0);
	assert_true(gaps(ctx, BASE, 32 * PG, 8, &g));
	assert_true(g.n == 1 && g.iova[0] == BASE + 12 * PG && g.len[0] == 4 * PG);
	assert_false(gaps(ctx, BASE, 32 * PG, 6, &g));
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* A range once found without a gap is not walked again until the table changes: every change is seen. */
static void no_gap_remembered(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *dev = NULL;
	uint64_t iova;
	struct got g;

	(void)state;
	assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
	for (unsigned int i = 0; i < 4; i++) {
		iova = BASE + i * 4 * PG;
		assert_int_equal(vfioiommu_dma_map(ctx, buf, 4 * PG, FIX, &iova), 0);
	}
	iova = BASE + 64 * PG; /* outside: no whole-table shortcut */
	assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), 0);
	for (int round = 0; round < 3; round++) {
		/* walked, then remembered: max_mappings 0 would refuse a walk */
		assert_true(gaps(ctx, BASE, 16 * PG, round ? 0 : 8, &g));
		assert_int_equal(g.n, 0);
	}
	/* another range is walked (and refused with max 0) */
	assert_false(gaps(ctx, BASE, 8 * PG, 0, &g));
	/* a change outside the range forgets too; then a hole inside must show */
	iova = BASE + 80 * PG;
	assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), 0);
	assert_false(gaps(ctx, BASE, 16 * PG, 0, &g));
	assert_true(gaps(ctx, BASE, 16 * PG, 8, &g));
	assert_int_equal(g.n, 0);
	assert_int_equal(vfioiommu_dma_unmap(ctx, BASE + 4 * PG, 4 * PG), 0);
	assert_true(gaps(ctx, BASE, 16 * PG, 8, &g));
	assert_true(g.n == 1 && g.iova[0] == BASE + 4 * PG && g.len[0] == 4 * PG);
	assert_true(gaps(ctx, BASE, 16 * PG, 8, &g));
	assert_int_equal(g.n, 1);
	/* one unmap over two mappings (a span, not one mapping) */
	iova = BASE + 4 * PG;
	assert_int_equal(vfioiommu_dma_map(ctx, buf, 4 * PG, FIX, &iova), 0);
	assert_true(gaps(ctx, BASE, 16 * PG, 8, &g));
	assert_int_equal(g.n, 0);
	assert_int_equal(vfioiommu_dma_unmap(ctx, BASE + 8 * PG, 8 * PG), 0);
	assert_true(gaps(ctx, BASE, 16 * PG, 8, &g));
	assert_true(g.n == 1 && g.iova[0] == BASE + 8 * PG && g.len[0] == 8 * PG);
	/* too many mappings for one report (max 0): walked only when the same range is asked again */
	iova = BASE + 8 * PG;
	assert_int_equal(vfioiommu_dma_map(ctx, buf, 8 * PG, FIX, &iova), 0);
	assert_false(gaps(ctx, BASE, 16 * PG, 0, &g));
	assert_true(gaps(ctx, BASE, 16 * PG, 0, &g));
	assert_int_equal(g.n, 0);
	assert_true(gaps(ctx, BASE, 16 * PG, 0, &g));
	assert_int_equal(g.n, 0);
	/* with a gap: asked, walked (the gap named), then refused until the table changes */
	assert_int_equal(vfioiommu_dma_unmap(ctx, BASE + 8 * PG, 8 * PG), 0);
	assert_false(gaps(ctx, BASE, 16 * PG, 0, &g));
	assert_true(gaps(ctx, BASE, 16 * PG, 0, &g));
	assert_true(g.n == 1 && g.iova[0] == BASE + 8 * PG && g.len[0] == 8 * PG);
	assert_false(gaps(ctx, BASE, 16 * PG, 0, &g));
	assert_false(gaps(ctx, BASE, 16 * PG, 0, &g));
	assert_true(gaps(ctx, BASE, 16 * PG, 8, &g));
	assert_int_equal(g.n, 1);
	/* unmap_all empties the table: all gap */
	assert_int_equal(vfioiommu_dma_unmap_all(ctx), 0);
	assert_true(gaps(ctx, BASE, 16 * PG, 8, &g));
	assert_true(g.n == 1 && g.iova[0] == BASE && g.len[0] == 16 * PG);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(against_a_page_count),
		cmocka_unit_test(whole_table_shortcut),
		cmocka_unit_test(no_gap_remembered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
