/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * IOVA allocator: behaviour, bad input, the edges of the 64-bit space, and a
 * randomized property test against a model that works in 128-bit arithmetic
 * (so it shares none of the library's overflow reasoning), with the trees'
 * invariants checked after every operation.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/alloc.h>

#include "iova/alloc.h"
#include "iova/internal.h"

#define MAX UINT64_MAX
#define K4 0x1000ull
#define R(a, b) { (a), (b) }
#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

__extension__ typedef unsigned __int128 u128;

static vfioiommu_iova_pool *mk(const struct vfioiommu_iova_range *r, size_t n, uint64_t g)
{
	vfioiommu_iova_list *l = NULL;
	vfioiommu_iova_pool *a = NULL;

	assert_int_equal(vfioiommu_iova_list_new(r, n, VFIOIOMMU_IOVA_SRC_USER, &l), 0);
	assert_int_equal(vfioiommu_iova_pool_new(l, g, &a), 0);
	assert_non_null(a);
	vfioiommu_iova_list_free(l);
	return a;
}

static void chk(vfioiommu_iova_pool *a)
{
	struct vi_err e = { "" };
	int r = vi_iova_alloc_check(a, &e);

	if (r)
		fail_msg("allocator check: %s", e.msg);
}

static struct vfioiommu_iova_pool_stats st(vfioiommu_iova_pool *a)
{
	struct vfioiommu_iova_pool_stats s = { .size = sizeof(s) };

	assert_int_equal(vfioiommu_iova_pool_stats(a, &s), 0);
	return s;
}

static uint64_t get(vfioiommu_iova_pool *a, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi)
{
	uint64_t iova = 0xdead;

	assert_int_equal(vfioiommu_iova_pool_alloc(a, size, align, lo, hi, &iova), 0);
	chk(a);
	return iova;
}

static void expect_get(vfioiommu_iova_pool *a, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi,
	int err)
{
	uint64_t iova = 0xdead;

	assert_int_equal(vfioiommu_iova_pool_alloc(a, size, align, lo, hi, &iova), err);
	assert_true(iova == 0xdead);
	chk(a);
}

/* ---------------- behaviour ---------------- */

static void test_lowest_fit_and_rounding(void **state)
{
	static const struct vfioiommu_iova_range u[] = { R(0x1000, 0xfffff) };
	vfioiommu_iova_pool *a = mk(u, 1, K4);
	struct vfioiommu_iova_pool_stats s = st(a);

	assert_true(s.live == 0 && s.bytes_free == 0xff000 && s.bytes_live == 0 && s.free_extents == 1);
	assert_true(s.min_align == K4);
	assert_true(get(a, 1, 0, 0, MAX) == 0x1000);          /* 1 byte takes one page */
	assert_true(get(a, 0x1001, 0, 0, MAX) == 0x2000);     /* two pages */
	assert_true(get(a, K4, 1, 0, MAX) == 0x4000);         /* align below min_align: no effect */
	s = st(a);
	assert_true(s.live == 3 && s.bytes_live == 0x4000 && s.bytes_free == 0xfb000);
	assert_int_equal(vfioiommu_iova_pool_live(a), 3);
	assert_true(vfioiommu_iova_pool_bytes_available(a) == 0xfb000);
	/* put takes the size the caller asked for or its rounded value */
	assert_int_equal(vfioiommu_iova_pool_release(a, 0x1000, 1), 0);
	assert_int_equal(vfioiommu_iova_pool_release(a, 0x2000, 0x2000), 0);
	assert_int_equal(vfioiommu_iova_pool_release(a, 0x4000, 0xfff), 0);
	chk(a);
	s = st(a);
	assert_true(s.live == 0 && s.bytes_free == 0xff000 && s.free_extents == 1);
	vfioiommu_iova_pool_free(a);
}

static void test_alignment(void **state)
{
	static const struct vfioiommu_iova_range u[] = { R(0x1000, 0xffffff) };
	vfioiommu_iova_pool *a = mk(u, 1, K4);
	uint64_t v;

	assert_true(get(a, K4, 0x10000, 0, MAX) == 0x10000);
	/* the hole left below is still used */
	assert_true(get(a, K4, 0, 0, MAX) == 0x1000);
	v = get(a, 0x3000, 0x200000, 0, MAX);
	assert_true(v == 0x200000);
	v = get(a, K4, 1ull << 23, 0, MAX);
	assert_true(v == 0x800000);
	for (int i = 0; i < 40; i++) {
		uint64_t al = 1ull << (12 + i % 8);

		v = get(a, K4 * (1 + i % 3), al, 0, MAX);
		assert_true(v % al == 0);
	}
	expect_get(a, K4, 1ull << 24, 0, MAX, -ENOSPC);  /* 0 is not usable, 16M is past the end */
	expect_get(a, K4, 1ull << 63, 0, MAX, -ENOSPC);
	vfioiommu_iova_pool_free(a);
}

/*
 * With a large alignment an extent that is sure to fit wins over a lower one
 * that only happens to; the lower one is still used when nothing else fits.
 */
static void test_large_alignment_placement(void **state)
{
	static const struct vfioiommu_iova_range u[] = { R(0x10000, 0x1ffff), R(0x100000, 0x1fffff) };
	vfioiommu_iova_pool *a = mk(u, 2, K4);

	for (uint64_t i = 0; i < 15; i++)
		assert_true(get(a, 0x10000, 0x10000, 0, MAX) == 0x100000 + i * 0x10000);
	/* 64 KiB left in each range: neither is sure to fit, so the lowest fit wins */
	assert_true(get(a, 0x10000, 0x10000, 0, MAX) == 0x10000);
	assert_true(get(a, 0x10000, 0x10000, 0, MAX) == 0x1f0000);
	expect_get(a, K4, 0, 0, MAX, -ENOSPC);
	assert_int_equal(st(a).bytes_free, 0);
	vfioiommu_iova_pool_free(a);
}

static void test_window(void **state)
{
	static const struct vfioiommu_iova_range u[] = { R(0, 0xfffff), R(0x200000, 0x2fffff) };
	vfioiommu_iova_pool *a = mk(u, 2, K4);

	assert_true(get(a, K4, 0, 0x5000, MAX) == 0x5000);
	assert_true(get(a, K4, 0, 0x4001, MAX) == 0x6000);           /* lo rounds up to a page */
	assert_true(get(a, K4, 0, 0x4000, 0x4fff) == 0x4000);
	expect_get(a, K4, 0, 0x4000, 0x4ffe, -ENOSPC);              /* the page must fit below hi */
	expect_get(a, 0x2000, 0, 0x3000, 0x4fff, -ENOSPC);
	assert_true(get(a, 0x2000, 0, 0x2000, 0x3fff) == 0x2000);
	assert_true(get(a, K4, 0, 0xff000, MAX) == 0xff000);
	assert_true(get(a, K4, 0, 0xff000, MAX) == 0x200000);       /* skips the hole */
	expect_get(a, K4, 0, 0x100000, 0x1fffff, -ENOSPC);          /* window inside the hole */
	expect_get(a, K4, 0, 0x300000, MAX, -ENOSPC);
	expect_get(a, K4, 0, MAX, MAX, -ENOSPC);
	assert_true(get(a, 0x10000, 0x10000, 0x1000, 0x2fffff) == 0x10000);
	/* 1 MiB-aligned: 0 is below lo, 1 MiB in the hole, 2 MiB taken, 3 MiB past the end */
	expect_get(a, K4, 0x100000, 0x1000, MAX, -ENOSPC);
	assert_true(get(a, K4, 0x100000, 0, MAX) == 0);
	expect_get(a, K4, 0, 0, 0xfff, -ENOSPC);
	vfioiommu_iova_pool_free(a);
}

static void test_exact_fill_and_recycle(void **state)
{
	static const struct vfioiommu_iova_range u[] = {
		R(0x3000, 0x7fff), R(0x10000, 0x10fff), R(0x20000, 0x2ffff),
	};
	vfioiommu_iova_pool *a = mk(u, 3, K4);
	uint64_t got[64], n = 0, v;

	while (vfioiommu_iova_pool_alloc(a, K4, 0, 0, MAX, &v) == 0) {
		assert_true(n < 64);
		if (n)
			assert_true(v > got[n - 1]);
		got[n++] = v;
	}
	assert_int_equal(n, 5 + 1 + 16);
	assert_true(got[0] == 0x3000 && got[5] == 0x10000 && got[6] == 0x20000 && got[21] == 0x2f000);
	assert_true(st(a).bytes_free == 0 && st(a).free_extents == 0);
	chk(a);
	/* recycling: a freed page is the next one handed out */
	assert_int_equal(vfioiommu_iova_pool_release(a, 0x25000, K4), 0);
	assert_true(get(a, K4, 0, 0, MAX) == 0x25000);
	/* free everything in a scrambled order: back to the three ranges */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t j = (i * 7) % n;

		assert_int_equal(vfioiommu_iova_pool_release(a, got[j], K4), 0);
		chk(a);
	}
	assert_true(st(a).free_extents == 3 && st(a).live == 0 && st(a).bytes_free == 0x5000 + 0x1000 + 0x10000);
	vfioiommu_iova_pool_free(a);
}

static void test_coalescing_orders(void **state)
{
	static const struct vfioiommu_iova_range u[] = { R(0, 0xffff) };
	static const int perm[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };

	for (int p = 0; p < 6; p++) {
		vfioiommu_iova_pool *a = mk(u, 1, K4);
		uint64_t b[4];

		for (int i = 0; i < 4; i++)
			b[i] = get(a, 0x2000, 0, 0, MAX);
		assert_true(b[3] == 0x6000);
		/* free blocks 0..2 in every order; block 3 keeps the tail apart */
		for (int i = 0; i < 3; i++) {
			assert_int_equal(vfioiommu_iova_pool_release(a, b[perm[p][i]], 0x2000), 0);
			chk(a);
		}
		assert_int_equal(st(a).free_extents, 2);
		assert_int_equal(vfioiommu_iova_pool_release(a, b[3], 0x2000), 0);
		assert_int_equal(st(a).free_extents, 1);
		assert_true(get(a, 0x10000, 0, 0, MAX) == 0);
		vfioiommu_iova_pool_free(a);
	}
}

static void test_reserve(void **state)
{
	/* x86-like: a 4 GiB space minus the MSI window */
	static const struct vfioiommu_iova_range u[] = { R(0, 0xfedfffff), R(0xfef00000, 0xffffffff) };
	vfioiommu_iova_pool *a = mk(u, 2, K4);
	uint64_t v;

	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0x1000, 0x3000), 0);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0, K4), 0);
	assert_true(get(a, K4, 0, 0, MAX) == 0x4000);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0x3000, 0x2000), -EEXIST);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0x4000, 1), -EEXIST);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0xfee00000, K4), -ERANGE);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0xfedff000, 0x2000), -ERANGE);  /* runs into it */
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0xfed00000, 0x300000), -ERANGE); /* spans it */
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0x100000000ull, K4), -ERANGE);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0xfedff000, K4), 0);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0xfef00000, K4), 0);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0xfffff000, K4), 0);
	chk(a);
	assert_int_equal(st(a).live, 6);
	/* a reserved block is freed like an allocated one */
	assert_int_equal(vfioiommu_iova_pool_release(a, 0x1000, 0x3000), 0);
	assert_int_equal(vfioiommu_iova_pool_release(a, 0x1000, 0x3000), -ENOENT);
	assert_true(get(a, 0x3000, 0, 0, MAX) == 0x1000);
	/* fill the rest with 1 MiB blocks: none may touch the MSI window */
	while (vfioiommu_iova_pool_alloc(a, 0x100000, 0, 0, MAX, &v) == 0)
		assert_true(v + 0xfffff < 0xfee00000 || v > 0xfeefffff);
	chk(a);
	vfioiommu_iova_pool_free(a);
}

static void test_full_space_edges(void **state)
{
	static const struct vfioiommu_iova_range all[] = { R(0, MAX) };
	vfioiommu_iova_pool *a = mk(all, 1, K4);
	struct vfioiommu_iova_pool_stats s = st(a);

	assert_true(s.bytes_free == MAX && s.free_extents == 1);   /* 2^64 saturates */
	assert_true(get(a, 1ull << 63, 1ull << 63, 0, MAX) == 0);
	assert_true(st(a).bytes_free == 1ull << 63);
	assert_true(get(a, 1ull << 63, 0, 0, MAX) == 1ull << 63);
	s = st(a);
	assert_true(s.bytes_free == 0 && s.bytes_live == MAX && s.free_extents == 0);
	expect_get(a, K4, 0, 0, MAX, -ENOSPC);
	assert_int_equal(vfioiommu_iova_pool_release(a, 1ull << 63, 1ull << 63), 0);
	assert_true(get(a, K4, 0, 0, MAX) == 1ull << 63);
	assert_true(get(a, K4, 0, MAX - K4, MAX) == MAX - K4 + 1);  /* the very top page */
	assert_int_equal(vfioiommu_iova_pool_release(a, MAX - K4 + 1, K4), 0);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, MAX - K4 + 1, K4), 0);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, MAX - K4 + 1, K4), -EEXIST);
	assert_int_equal(vfioiommu_iova_pool_release(a, MAX - K4 + 1, K4), 0);
	assert_int_equal(vfioiommu_iova_pool_release(a, 1ull << 63, K4), 0);
	assert_int_equal(vfioiommu_iova_pool_release(a, 0, 1ull << 63), 0);
	chk(a);
	s = st(a);
	assert_true(s.bytes_free == MAX && s.live == 0 && s.free_extents == 1);
	/* the largest representable size */
	assert_true(get(a, MAX - K4 + 1, 0, 0, MAX) == 0);
	assert_true(get(a, K4, 0, 0, MAX) == MAX - K4 + 1);
	vfioiommu_iova_pool_free(a);

	/* byte granularity: size 2^64-1 and then the last byte */
	a = mk(all, 1, 1);
	assert_true(get(a, MAX, 0, 0, MAX) == 0);
	assert_true(get(a, 1, 0, 0, MAX) == MAX);
	expect_get(a, 1, 0, 0, MAX, -ENOSPC);
	assert_true(st(a).bytes_live == MAX);
	assert_int_equal(vfioiommu_iova_pool_release(a, MAX, 1), 0);
	assert_int_equal(vfioiommu_iova_pool_release(a, 0, MAX), 0);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 1, MAX), 0);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0, 1), 0);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0, 2), -EEXIST);
	chk(a);
	vfioiommu_iova_pool_free(a);
}

static void test_ranges_touching_ends(void **state)
{
	static const struct vfioiommu_iova_range u[] = { R(0, 0x2fff), R(MAX - 0x2fff, MAX) };
	vfioiommu_iova_pool *a = mk(u, 2, K4);

	assert_true(get(a, 0x3000, 0, 0, MAX) == 0);
	assert_true(get(a, 0x2000, 0, 0, MAX) == MAX - 0x2fff);
	assert_true(get(a, K4, 0, 0, MAX) == MAX - 0xfff);
	expect_get(a, K4, 0, 0, MAX, -ENOSPC);
	assert_int_equal(vfioiommu_iova_pool_release(a, MAX - 0xfff, K4), 0);
	assert_int_equal(vfioiommu_iova_pool_release(a, MAX - 0x2fff, 0x2000), 0);
	assert_int_equal(st(a).free_extents, 1);
	assert_true(get(a, K4, 0x2000, 0, MAX) == MAX - 0x1fff);
	assert_int_equal(vfioiommu_iova_pool_release(a, 0, 0x3000), 0);
	chk(a);
	vfioiommu_iova_pool_free(a);
}

/* Usable ranges are trimmed to whole pages. */
static void test_trimming(void **state)
{
	static const struct vfioiommu_iova_range u[] = { R(0x1001, 0x3ffe), R(0x5000, 0x5ffe), R(MAX - 0x1ffe, MAX - 1) };
	vfioiommu_iova_pool *a = mk(u, 3, K4);
	struct vfioiommu_iova_pool_stats s = st(a);

	assert_true(s.bytes_free == K4 && s.free_extents == 1);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0x1000, K4), -ERANGE);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0x5000, K4), -ERANGE);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, MAX - 0xfff, K4), -ERANGE);
	assert_true(get(a, K4, 0, 0, MAX) == 0x2000);
	expect_get(a, K4, 0, 0, MAX, -ENOSPC);
	vfioiommu_iova_pool_free(a);

	/* nothing survives: every request fails cleanly */
	static const struct vfioiommu_iova_range tiny[] = { R(1, 0xffe) };
	a = mk(tiny, 1, K4);
	assert_true(st(a).bytes_free == 0 && st(a).free_extents == 0);
	expect_get(a, 1, 0, 0, MAX, -ENOSPC);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0, 1), -ERANGE);
	vfioiommu_iova_pool_free(a);

	a = mk(NULL, 0, 1);
	expect_get(a, 1, 0, 0, MAX, -ENOSPC);
	assert_int_equal(vfioiommu_iova_pool_release(a, 0, 1), -ENOENT);
	vfioiommu_iova_pool_free(a);
}

/* ---------------- bad input ---------------- */

static void test_bad_input(void **state)
{
	static const struct vfioiommu_iova_range u[] = { R(0x10000, 0x1fffff) };
	vfioiommu_iova_list *l = NULL;
	vfioiommu_iova_pool *a = (vfioiommu_iova_pool *)0x1;
	struct vfioiommu_iova_pool_stats s = { .size = sizeof(s) };
	uint64_t v = 0;

	assert_int_equal(vfioiommu_iova_list_new(u, 1, VFIOIOMMU_IOVA_SRC_USER, &l), 0);
	assert_int_equal(vfioiommu_iova_pool_new(l, K4, NULL), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_new(NULL, K4, &a), -EINVAL);
	assert_null(a);
	assert_int_equal(vfioiommu_iova_pool_new(l, 0, &a), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_new(l, 3, &a), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_new(l, K4 + 1, &a), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_new(l, 1ull << 63, &a), 0);  /* legal, if useless */
	assert_int_equal(st(a).bytes_free, 0);
	vfioiommu_iova_pool_free(a);
	assert_int_equal(vfioiommu_iova_pool_new(l, K4, &a), 0);
	vfioiommu_iova_list_free(l);

	assert_int_equal(vfioiommu_iova_pool_alloc(NULL, K4, 0, 0, MAX, &v), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_alloc(a, K4, 0, 0, MAX, NULL), -EINVAL);
	expect_get(a, 0, 0, 0, MAX, -EINVAL);
	expect_get(a, MAX, 0, 0, MAX, -EINVAL);                 /* rounds past 2^64 */
	expect_get(a, MAX - K4 + 2, 0, 0, MAX, -EINVAL);
	expect_get(a, MAX - K4 + 1, 0, 0, MAX, -ENOSPC);         /* representable, just too big */
	expect_get(a, K4, 3, 0, MAX, -EINVAL);
	expect_get(a, K4, 0x3000, 0, MAX, -EINVAL);
	expect_get(a, K4, MAX, 0, MAX, -EINVAL);
	expect_get(a, K4, 0, 5, 4, -EINVAL);
	expect_get(a, K4, 0, 0x20000, 0x20000, -ENOSPC);          /* lo == hi: one byte is not a page */

	assert_int_equal(vfioiommu_iova_pool_reserve(NULL, 0x10000, K4), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0x10000, 0), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0x10001, K4), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0x10000, MAX), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, MAX - K4 + 1, 0x2000), -EINVAL);  /* wraps */

	v = get(a, 0x4000, 0, 0, MAX);
	assert_true(v == 0x10000);
	assert_int_equal(vfioiommu_iova_pool_release(NULL, v, 0x4000), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_release(a, v, 0), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_release(a, v, MAX), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_release(a, v, 0x2000), -ENOENT);         /* front part */
	assert_int_equal(vfioiommu_iova_pool_release(a, v + 0x2000, 0x2000), -ENOENT); /* back part */
	assert_int_equal(vfioiommu_iova_pool_release(a, v, 0x5000), -ENOENT);         /* too long */
	assert_int_equal(vfioiommu_iova_pool_release(a, v + 1, 0x4000), -ENOENT);
	assert_int_equal(vfioiommu_iova_pool_release(a, 0x100000, K4), -ENOENT);      /* free space */
	assert_int_equal(vfioiommu_iova_pool_release(a, 0, K4), -ENOENT);             /* outside */
	assert_int_equal(vfioiommu_iova_pool_release(a, MAX - K4 + 1, 0x2000), -ENOENT);
	chk(a);
	assert_int_equal(st(a).live, 1);
	assert_int_equal(vfioiommu_iova_pool_release(a, v, 0x4000), 0);
	assert_int_equal(vfioiommu_iova_pool_release(a, v, 0x4000), -ENOENT);         /* twice */

	assert_int_equal(vfioiommu_iova_pool_stats(NULL, &s), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_stats(a, NULL), -EINVAL);
	assert_int_equal(vfioiommu_iova_pool_live(NULL), 0);
	assert_true(vfioiommu_iova_pool_bytes_available(NULL) == 0);
	assert_int_equal(vi_iova_alloc_check(NULL, NULL), -EINVAL);
	vfioiommu_iova_pool_free(a);
	vfioiommu_iova_pool_free(NULL);
}

/* A failed node allocation leaves the allocator exactly as it was. */
static void test_enomem(void **state)
{
	static const struct vfioiommu_iova_range u[] = { R(0x10000, 0x1fffff) };
	vfioiommu_iova_pool *a = mk(u, 1, K4);
	struct vfioiommu_iova_pool_stats s0, s1;
	uint64_t v = get(a, 0x2000, 0, 0, MAX), w = 0xdead;

	s0 = st(a);
	vi_iova_alloc_inject_enomem(a, true);
	assert_int_equal(vfioiommu_iova_pool_alloc(a, K4, 0, 0, MAX, &w), -ENOMEM);
	assert_true(w == 0xdead);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, 0x100000, K4), -ENOMEM);
	assert_int_equal(vfioiommu_iova_pool_reserve(a, v, K4), -EEXIST);  /* errors that need no node win */
	chk(a);
	s1 = st(a);
	assert_memory_equal(&s0, &s1, sizeof(s0));
	assert_int_equal(vfioiommu_iova_pool_release(a, v, 0x2000), 0);      /* freeing needs no memory */
	vi_iova_alloc_inject_enomem(a, false);
	assert_true(get(a, K4, 0, 0, MAX) == 0x10000);
	vi_iova_alloc_inject_enomem(NULL, true);
	vfioiommu_iova_pool_free(a);
}

/* ---------------- threads ---------------- */

#define TH_PAGES 1024
#define TH_THREADS 4
#define TH_OPS 20000

struct th_shared {
	vfioiommu_iova_pool *a;
	unsigned char owner[TH_PAGES];  /* 0 free, else thread id + 1; updated atomically */
	int bad;
};

struct th_arg {
	struct th_shared *sh;
	int id;
};

static void *th_main(void *p)
{
	struct th_arg *ta = p;
	struct th_shared *sh = ta->sh;
	uint64_t held[8], held_n[8], n = 0, x = 0x9e3779b97f4a7c15ull * (uint64_t)(ta->id + 1);

	for (int op = 0; op < TH_OPS; op++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (n < 8 && (n == 0 || x % 2)) {
			uint64_t pages = 1 + x % 4, v;

			if (vfioiommu_iova_pool_alloc(sh->a, pages * K4, 0, 0, MAX, &v) != 0)
				continue;
			for (uint64_t i = 0; i < pages; i++) {
				unsigned char expect = 0;

				if (!__atomic_compare_exchange_n(&sh->owner[v / K4 + i], &expect,
								  (unsigned char)(ta->id + 1), false,
								  __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
					__atomic_store_n(&sh->bad, 1, __ATOMIC_SEQ_CST);
			}
			held[n] = v;
			held_n[n++] = pages;
		} else {
			uint64_t k = x % n;

			for (uint64_t i = 0; i < held_n[k]; i++)
				__atomic_store_n(&sh->owner[held[k] / K4 + i], 0, __ATOMIC_SEQ_CST);
			if (vfioiommu_iova_pool_release(sh->a, held[k], held_n[k] * K4) != 0)
				__atomic_store_n(&sh->bad, 1, __ATOMIC_SEQ_CST);
			held[k] = held[n - 1];
			held_n[k] = held_n[--n];
		}
	}
	while (n--) {
		for (uint64_t i = 0; i < held_n[n]; i++)
			__atomic_store_n(&sh->owner[held[n] / K4 + i], 0, __ATOMIC_SEQ_CST);
		if (vfioiommu_iova_pool_release(sh->a, held[n], held_n[n] * K4) != 0)
			__atomic_store_n(&sh->bad, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void test_threads(void **state)
{
	static const struct vfioiommu_iova_range u[] = { R(0, TH_PAGES * K4 - 1) };
	static struct th_shared sh;
	struct th_arg args[TH_THREADS];
	pthread_t t[TH_THREADS];

	memset(&sh, 0, sizeof(sh));
	sh.a = mk(u, 1, K4);
	for (int i = 0; i < TH_THREADS; i++) {
		args[i].sh = &sh;
		args[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, th_main, &args[i]), 0);
	}
	for (int i = 0; i < TH_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(sh.bad, 0);
	chk(sh.a);
	assert_int_equal(st(sh.a).live, 0);
	assert_int_equal(st(sh.a).free_extents, 1);
	vfioiommu_iova_pool_free(sh.a);
}

/* ---------------- property test against a model ---------------- */

#define M_MAXR 16
#define M_MAXLIVE 8192

static const u128 TWO64 = (u128)1 << 64;

struct model {
	u128 g;
	struct vfioiommu_iova_range use[M_MAXR];   /* trimmed */
	size_t nu;
	struct vfioiommu_iova_range live[M_MAXLIVE]; /* sorted by start */
	size_t nl;
	struct vfioiommu_iova_range fr[M_MAXLIVE + M_MAXR];
	size_t nf;
	unsigned long pass2;   /* blocks placed by the last-resort pass */
};

/* What a run exercised, so a test can insist every outcome happened. */
struct coverage {
	unsigned long ok_get, ok_get_window, pass2, nospc, einval, eexist, erange, enoent, ok_put, max_live;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static u128 round_up(u128 v, u128 g)
{
	return (v + g - 1) / g * g;
}

/* Free extents = trimmed usable minus live blocks. */
static void model_free(struct model *m)
{
	size_t j = 0;

	m->nf = 0;
	for (size_t i = 0; i < m->nu; i++) {
		u128 cur = m->use[i].start, end = (u128)m->use[i].last + 1;

		for (; j < m->nl && m->live[j].start <= m->use[i].last; j++) {
			if (m->live[j].start > cur) {
				m->fr[m->nf].start = (uint64_t)cur;
				m->fr[m->nf].last = m->live[j].start - 1;
				m->nf++;
			}
			cur = (u128)m->live[j].last + 1;
		}
		if (cur < end) {
			m->fr[m->nf].start = (uint64_t)cur;
			m->fr[m->nf].last = (uint64_t)(end - 1);
			m->nf++;
		}
	}
}

static void model_insert(struct model *m, u128 s, u128 len)
{
	size_t i = 0;
	bool in_use = false;

	/* the property itself: inside one usable range, overlapping nothing */
	for (size_t k = 0; k < m->nu; k++)
		in_use |= s >= m->use[k].start && s + len - 1 <= m->use[k].last;
	assert_true(in_use);
	while (i < m->nl && m->live[i].start < s)
		i++;
	assert_true(i == 0 || (u128)m->live[i - 1].last < s);
	assert_true(i == m->nl || s + len - 1 < m->live[i].start);
	assert_true(m->nl < M_MAXLIVE);
	memmove(&m->live[i + 1], &m->live[i], (m->nl - i) * sizeof(m->live[0]));
	m->live[i].start = (uint64_t)s;
	m->live[i].last = (uint64_t)(s + len - 1);
	m->nl++;
}

static int model_get(struct model *m, uint64_t size, uint64_t align, uint64_t lo, uint64_t hi, uint64_t *out)
{
	u128 g = m->g, len, A, L, H;

	if (size == 0 || lo > hi || (align & (align - 1)))
		return -EINVAL;
	len = round_up(size, g);
	if (len >= TWO64)
		return -EINVAL;
	A = align > g ? (u128)align : g;
	L = round_up(lo, g);
	H = ((u128)hi + 1) / g * g;     /* one past the last usable byte */
	model_free(m);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && A == g)
			break;
		for (size_t i = 0; i < m->nf; i++) {
			u128 s = m->fr[i].start > L ? m->fr[i].start : L;
			u128 e = (u128)m->fr[i].last + 1 < H ? (u128)m->fr[i].last + 1 : H;
			u128 a = round_up(s, A);

			if (s >= e)
				continue;
			if (pass == 0 && e - s < len + A - g)
				continue;
			if (a + len > e) {
				assert_int_equal(pass, 1);  /* long enough always fits */
				continue;
			}
			model_insert(m, a, len);
			m->pass2 += pass;
			*out = (uint64_t)a;
			return 0;
		}
	}
	return -ENOSPC;
}

static int model_reserve(struct model *m, uint64_t iova, uint64_t size)
{
	u128 len;
	bool in_use = false;

	if (size == 0)
		return -EINVAL;
	len = round_up(size, m->g);
	if (len >= TWO64 || iova % m->g || (u128)iova + len > TWO64)
		return -EINVAL;
	for (size_t k = 0; k < m->nu; k++)
		in_use |= iova >= m->use[k].start && (u128)iova + len - 1 <= m->use[k].last;
	if (!in_use)
		return -ERANGE;
	for (size_t i = 0; i < m->nl; i++)
		if (m->live[i].start <= (u128)iova + len - 1 && iova <= m->live[i].last)
			return -EEXIST;
	model_insert(m, iova, len);
	return 0;
}

static int model_put(struct model *m, uint64_t iova, uint64_t size)
{
	u128 len;

	if (size == 0)
		return -EINVAL;
	len = round_up(size, m->g);
	if (len >= TWO64)
		return -EINVAL;
	for (size_t i = 0; i < m->nl; i++) {
		if (m->live[i].start == iova && (u128)m->live[i].last + 1 - iova == len) {
			memmove(&m->live[i], &m->live[i + 1], (m->nl - i - 1) * sizeof(m->live[0]));
			m->nl--;
			return 0;
		}
	}
	return -ENOENT;
}

static void model_compare_stats(struct model *m, vfioiommu_iova_pool *a)
{
	struct vfioiommu_iova_pool_stats s = st(a);
	u128 fb = 0, lb = 0;

	model_free(m);
	for (size_t i = 0; i < m->nf; i++)
		fb += (u128)m->fr[i].last - m->fr[i].start + 1;
	for (size_t i = 0; i < m->nl; i++)
		lb += (u128)m->live[i].last - m->live[i].start + 1;
	assert_int_equal(s.live, m->nl);
	assert_int_equal(s.free_extents, m->nf);
	assert_true(s.bytes_free == (fb >= TWO64 ? MAX : (uint64_t)fb));
	assert_true(s.bytes_live == (lb >= TWO64 ? MAX : (uint64_t)lb));
}

/* An offset within the universe, biased toward granule multiples and the edges. */
static uint64_t rnd_addr(uint64_t base, uint64_t span, uint64_t g)
{
	uint64_t off = rnd_below(span);

	switch (rnd_below(8)) {
	case 0: return base;
	case 1: return base + span - 1;
	case 2: case 3: case 4: return base + off / g * g;
	default: return base + off;
	}
}

static uint64_t rnd_size(uint64_t g)
{
	switch (rnd_below(40)) {
	case 0: return 0;
	case 1: return MAX;
	case 2: return MAX - g + 1;
	case 3: return 1ull << 63;
	default: break;
	}
	/* mostly a few granules, sometimes not a multiple of one */
	uint64_t pages = 1 + (rnd_below(4) ? rnd_below(4) : rnd_below(48));
	uint64_t s = pages * g;

	if (rnd_below(4) == 0)
		s -= rnd_below(g);
	return s;
}

static uint64_t rnd_align(uint64_t g)
{
	unsigned lg = 0;

	while ((1ull << lg) < g)
		lg++;
	switch (rnd_below(20)) {
	case 0: return 3ull << rnd_below(60);          /* not a power of two */
	case 1: return 1ull << 63;
	case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9: return 0;
	default: return 1ull << rnd_below(lg + 7);
	}
}

struct prop_cfg {
	uint64_t seed;
	uint64_t g;        /* min_align */
	bool at_top;       /* universe ends at 2^64-1 instead of starting at 0 */
	uint64_t pages;    /* universe size in granules */
	int ops;
};

static void run_property(const struct prop_cfg *c, struct coverage *cov)
{
	struct vfioiommu_iova_range in[M_MAXR];
	struct model *m = calloc(1, sizeof(*m));
	vfioiommu_iova_list *l = NULL;
	vfioiommu_iova_pool *a = NULL;
	uint64_t span = c->pages * c->g, base = c->at_top ? MAX - span + 1 : 0;
	size_t nin = 1 + rnd_below(M_MAXR - 1), n;

	assert_non_null(m);
	rng_state = c->seed;
	for (size_t i = 0; i < nin; i++) {
		uint64_t x = rnd_addr(base, span, c->g), y = rnd_addr(base, span, c->g);

		in[i].start = x < y ? x : y;
		in[i].last = x < y ? y : x;
		/* keep ranges short enough that several survive apart */
		if (in[i].last - in[i].start > span / 4 && rnd_below(2))
			in[i].last = in[i].start + span / 4;
	}
	assert_int_equal(vfioiommu_iova_list_new(in, nin, VFIOIOMMU_IOVA_SRC_USER, &l), 0);
	assert_int_equal(vfioiommu_iova_pool_new(l, c->g, &a), 0);
	m->g = c->g;
	n = vfioiommu_iova_list_count(l);
	for (size_t i = 0; i < n; i++) {
		struct vfioiommu_iova_range r;
		u128 s, e;

		assert_int_equal(vfioiommu_iova_list_get(l, i, &r), 0);
		s = round_up(r.start, m->g);
		e = ((u128)r.last + 1) / m->g * m->g;
		if (s < e) {
			m->use[m->nu].start = (uint64_t)s;
			m->use[m->nu].last = (uint64_t)(e - 1);
			m->nu++;
		}
	}
	vfioiommu_iova_list_free(l);
	model_compare_stats(m, a);

	for (int op = 0; op < c->ops; op++) {
		uint64_t k = rnd_below(100), v = 0xdead, w = 0xbeef;
		int want, got;

		if (k < 56 || m->nl == 0) {
			uint64_t size = rnd_size(c->g), align = rnd_align(c->g), lo = 0, hi = MAX;

			if (rnd_below(3) == 0) {
				lo = rnd_addr(base, span, c->g);
				hi = rnd_addr(base, span, c->g);
				if (rnd_below(8) && lo > hi) {
					uint64_t t = lo;

					lo = hi;
					hi = t;
				}
			}
			want = model_get(m, size, align, lo, hi, &w);
			got = vfioiommu_iova_pool_alloc(a, size, align, lo, hi, &v);
			if (got != want || (got == 0 && v != w))
				fail_msg("seed %" PRIu64 " op %d: get(%#" PRIx64 ", align %#" PRIx64 ", [%#" PRIx64
					 ", %#" PRIx64 "]) = %d at %#" PRIx64 ", model %d at %#" PRIx64,
					 c->seed, op, size, align, lo, hi, got, v, want, w);
			cov->ok_get += got == 0;
			cov->ok_get_window += got == 0 && (lo > base || hi < base + span - 1);
			cov->nospc += got == -ENOSPC;
			cov->einval += got == -EINVAL;
		} else if (k < 64) {
			uint64_t iova = rnd_addr(base, span, c->g), size = rnd_size(c->g);

			if (rnd_below(4) == 0 && m->nl) {
				/* aim near a live block so overlaps happen */
				iova = m->live[rnd_below(m->nl)].start / c->g * c->g + c->g * rnd_below(3);
			}
			want = model_reserve(m, iova, size);
			got = vfioiommu_iova_pool_reserve(a, iova, size);
			if (got != want)
				fail_msg("seed %" PRIu64 " op %d: reserve(%#" PRIx64 ", %#" PRIx64 ") = %d, model %d",
					 c->seed, op, iova, size, got, want);
			cov->eexist += got == -EEXIST;
			cov->erange += got == -ERANGE;
		} else {
			struct vfioiommu_iova_range b = m->live[rnd_below(m->nl)];
			uint64_t iova = b.start, size = b.last - b.start + 1;

			if (k >= 92) {
				/* wrong extent: partial, longer, shifted, or somewhere random */
				switch (rnd_below(4)) {
				case 0: size = size > c->g ? size - c->g : size + c->g; break;
				case 1: iova += c->g; break;
				case 2: iova = rnd_addr(base, span, c->g); break;
				default: size = rnd_size(c->g); break;
				}
			} else if (rnd_below(4) == 0 && size > 1) {
				size -= rnd_below(c->g);    /* same block after rounding */
			}
			want = model_put(m, iova, size);
			got = vfioiommu_iova_pool_release(a, iova, size);
			if (got != want)
				fail_msg("seed %" PRIu64 " op %d: put(%#" PRIx64 ", %#" PRIx64 ") = %d, model %d",
					 c->seed, op, iova, size, got, want);
			cov->ok_put += got == 0;
			cov->enoent += got == -ENOENT;
		}
		chk(a);
		model_compare_stats(m, a);
		if (m->nl > cov->max_live)
			cov->max_live = m->nl;
	}
	cov->pass2 += m->pass2;
	while (m->nl) {
		struct vfioiommu_iova_range b = m->live[m->nl - 1];

		assert_int_equal(vfioiommu_iova_pool_release(a, b.start, b.last - b.start + 1), 0);
		m->nl--;
	}
	chk(a);
	assert_int_equal(st(a).free_extents, m->nu);
	vfioiommu_iova_pool_free(a);
	free(m);
}

static void expect_coverage(const struct coverage *c)
{
	print_message("gets %lu (windowed %lu, last-resort %lu), puts %lu, ENOSPC %lu, EINVAL %lu, EEXIST %lu, "
		      "ERANGE %lu, ENOENT %lu, most live %lu\n", c->ok_get, c->ok_get_window, c->pass2, c->ok_put,
		      c->nospc, c->einval, c->eexist, c->erange, c->enoent, c->max_live);
	assert_true(c->ok_get && c->ok_get_window && c->pass2 && c->ok_put && c->nospc && c->einval &&
		    c->eexist && c->erange && c->enoent && c->max_live >= 200);
}

#define PROP_OPS 20000

static void test_property_pages_at_zero(void **state)
{
	struct coverage cov = { 0 };

	for (uint64_t seed = 1; seed <= 6; seed++) {
		struct prop_cfg c = { .seed = seed, .g = K4, .at_top = false, .pages = 2048, .ops = PROP_OPS };

		run_property(&c, &cov);
	}
	expect_coverage(&cov);
}

static void test_property_pages_at_top(void **state)
{
	struct coverage cov = { 0 };

	for (uint64_t seed = 100; seed <= 105; seed++) {
		struct prop_cfg c = { .seed = seed, .g = K4, .at_top = true, .pages = 2048, .ops = PROP_OPS };

		run_property(&c, &cov);
	}
	expect_coverage(&cov);
}

static void test_property_bytes(void **state)
{
	struct coverage cov = { 0 };

	for (uint64_t seed = 200; seed <= 203; seed++) {
		struct prop_cfg c = { .seed = seed, .g = 1, .at_top = seed & 1, .pages = 4096, .ops = PROP_OPS };

		run_property(&c, &cov);
	}
	expect_coverage(&cov);
}

static void test_property_odd_granules(void **state)
{
	static const uint64_t gs[] = { 2, 16, 1ull << 21, 1ull << 40 };
	struct coverage cov = { 0 };

	for (size_t i = 0; i < N_OF(gs); i++) {
		struct prop_cfg c = { .seed = 300 + i, .g = gs[i], .at_top = i & 1, .pages = 1024, .ops = PROP_OPS };

		run_property(&c, &cov);
	}
	expect_coverage(&cov);
}

/* A phase: the block starts that far past an alignment boundary (superpage-friendly DMA IOVAs). */
static void test_phase(void **state)
{
	const struct vfioiommu_iova_range r[] = { R(0x1000, 0x7fffff), R(0xfffffffffff00000ull, MAX) };
	vfioiommu_iova_pool *a = mk(r, N_OF(r), K4);
	uint64_t v;

	(void)state;
	assert_int_equal(vi_iova_pool_alloc_phase(a, 0x1000, 0x200000, 0x3000, 0, MAX, &v), 0);
	assert_int_equal(v, 0x3000);
	/* the next block of that class is one alignment further */
	assert_int_equal(vi_iova_pool_alloc_phase(a, 0x1000, 0x200000, 0x3000, 0, MAX, &v), 0);
	assert_int_equal(v, 0x203000);
	/* phase 0 is plain alignment; the window applies */
	assert_int_equal(vi_iova_pool_alloc_phase(a, 0x200000, 0x200000, 0, 0x300000, MAX, &v), 0);
	assert_int_equal(v, 0x400000);
	/* at the top of the space: the class there, or nothing, never a wrap to 0 */
	assert_int_equal(vi_iova_pool_alloc_phase(a, 0x1000, 0x100000, 0xff000, 0xfffffffffff00000ull, MAX, &v), 0);
	assert_int_equal(v, 0xfffffffffffff000ull);
	assert_int_equal(vi_iova_pool_alloc_phase(a, 0x1000, 0x100000, 0xff000, 0xfffffffffff00000ull, MAX, &v),
			 -ENOSPC);
	assert_int_equal(vi_iova_pool_alloc_phase(a, 0x1000, 1ull << 63, 0x1000, 0xfffffffffff00000ull, MAX, &v),
			 -ENOSPC);
	/* a phase off the granule or past the alignment */
	assert_int_equal(vi_iova_pool_alloc_phase(a, 0x1000, 0x200000, 0x800, 0, MAX, &v), -EINVAL);
	assert_int_equal(vi_iova_pool_alloc_phase(a, 0x1000, 0x200000, 0x200000, 0, MAX, &v), -EINVAL);
	assert_int_equal(vi_iova_pool_alloc_phase(a, 0x1000, 0, 0x1000, 0, MAX, &v), -EINVAL);
	chk(a);
	vfioiommu_iova_pool_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_fit_and_rounding),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_large_alignment_placement),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_exact_fill_and_recycle),
		cmocka_unit_test(test_coalescing_orders),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_full_space_edges),
		cmocka_unit_test(test_ranges_touching_ends),
		cmocka_unit_test(test_trimming),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_enomem),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_property_pages_at_zero),
		cmocka_unit_test(test_property_pages_at_top),
		cmocka_unit_test(test_property_bytes),
		cmocka_unit_test(test_property_odd_granules),
		cmocka_unit_test(test_phase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
