/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * PASID spaces, sets and handles: quotas, exhaustion, specific values, the
 * reserved range and PASID 0, stale and foreign handles, set teardown, bad
 * input, a randomized comparison with a plain array model, and a threaded
 * stress.  The iommufd attach tests are in the second half.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "core/internal.h"
#include "helpers.h"
#include "pasid/pasid.h"
#include "pasid/pasid_map.h"

static vfioiommu_pasid_space *space(unsigned int w, uint32_t flags, uint32_t lo, uint32_t hi)
{
	struct vfioiommu_pasid_space_opts o = { .size = sizeof(o), .flags = flags, .reserved_lo = lo, .reserved_hi = hi };
	vfioiommu_pasid_space *sp = NULL;

	assert_int_equal(vfioiommu_pasid_space_new(w, &o, &sp), 0);
	assert_non_null(sp);
	return sp;
}

static vfioiommu_pasid_set *set(vfioiommu_pasid_space *sp, unsigned int quota)
{
	vfioiommu_pasid_set *s = NULL;

	assert_int_equal(vfioiommu_pasid_set_new(sp, quota, &s), 0);
	assert_non_null(s);
	return s;
}

/* Allocate any PASID and return its value. */
static int take(vfioiommu_pasid_set *s, vfioiommu_pasid_handle *h)
{
	vfioiommu_pasid_handle tmp;
	int rc = vfioiommu_pasid_alloc(s, h ? h : &tmp);

	if (rc < 0)
		return rc;
	return vfioiommu_pasid_value(s, h ? *h : tmp);
}

static void expect_usage(vfioiommu_pasid_space *sp, uint32_t in_use, uint32_t avail)
{
	uint32_t u = 1234, a = 1234;

	assert_int_equal(vfioiommu_pasid_space_usage(sp, &u, &a), 0);
	assert_int_equal(u, in_use);
	assert_int_equal(a, avail);
}

/* ---------------- the summary bitmap ---------------- */

static void test_map_levels(void **state)
{
	static const uint32_t sizes[] = { 1, 2, 63, 64, 65, 4095, 4096, 4097, 1u << 18, 1u << 20 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct vi_pmap m;
		uint32_t n = sizes[k];

		assert_int_equal(vi_pmap_init(&m, n), 0);
		/* take all in order, give back the last and the first, see them found again */
		for (uint32_t i = 0; i < n; i++) {
			assert_int_equal(vi_pmap_first_free(&m), i);
			vi_pmap_take(&m, i);
		}
		assert_int_equal(vi_pmap_first_free(&m), -1);
		vi_pmap_give(&m, n - 1);
		assert_true(vi_pmap_is_free(&m, n - 1));
		assert_int_equal(vi_pmap_first_free(&m), n - 1);
		vi_pmap_give(&m, 0);
		assert_int_equal(vi_pmap_first_free(&m), 0);
		vi_pmap_fini(&m);
	}
	{
		struct vi_pmap m;

		assert_int_equal(vi_pmap_init(&m, 0), -EINVAL);
		assert_int_equal(vi_pmap_init(&m, (1u << 24) + 1), -EINVAL);
	}
}

/* ---------------- spaces ---------------- */

static void test_bad_input(void **state)
{
	struct vfioiommu_pasid_space_opts o = { .size = sizeof(o) };
	vfioiommu_pasid_space *sp = (void *)1;
	vfioiommu_pasid_set *s = (void *)1;
	vfioiommu_pasid_handle h = 77;
	uint32_t a, b;

	assert_int_equal(vfioiommu_pasid_space_new(8, NULL, NULL), -EINVAL);
	assert_int_equal(vfioiommu_pasid_space_new(0, NULL, &sp), -EINVAL);
	assert_null(sp);
	assert_int_equal(vfioiommu_pasid_space_new(21, NULL, &sp), -EINVAL);
	assert_int_equal(vfioiommu_pasid_space_new(64, NULL, &sp), -EINVAL);
	assert_int_equal(vfioiommu_pasid_space_new(UINT32_MAX, NULL, &sp), -EINVAL);
	o.size = 8;
	assert_int_equal(vfioiommu_pasid_space_new(8, &o, &sp), -EINVAL);
	o.size = sizeof(o);
	o.flags = 1u << 7;
	assert_int_equal(vfioiommu_pasid_space_new(8, &o, &sp), -EINVAL);
	o.flags = VFIOIOMMU_PASID_SPACE_RESERVE;
	o.reserved_lo = 9;
	o.reserved_hi = 8;
	assert_int_equal(vfioiommu_pasid_space_new(8, &o, &sp), -EINVAL);
	/* nothing left: a 1-bit space without PASID 0 and with 1 reserved */
	o.reserved_lo = 1;
	o.reserved_hi = 1;
	assert_int_equal(vfioiommu_pasid_space_new(1, &o, &sp), -EINVAL);
	assert_null(sp);

	assert_int_equal(vfioiommu_pasid_set_new(NULL, 0, &s), -EINVAL);
	assert_null(s);
	sp = space(4, 0, 0, 0);
	assert_int_equal(vfioiommu_pasid_set_new(sp, 0, NULL), -EINVAL);
	assert_int_equal(vfioiommu_pasid_alloc(NULL, &h), -EINVAL);
	assert_true(h == VFIOIOMMU_PASID_HANDLE_NONE);
	s = set(sp, 0);
	assert_int_equal(vfioiommu_pasid_alloc(s, NULL), -EINVAL);
	h = 77;
	assert_int_equal(vfioiommu_pasid_alloc_value(NULL, 3, &h), -EINVAL);
	assert_true(h == VFIOIOMMU_PASID_HANDLE_NONE);
	assert_int_equal(vfioiommu_pasid_alloc_value(s, 3, NULL), -EINVAL);
	assert_int_equal(vfioiommu_pasid_free(NULL, 1), -EINVAL);
	assert_int_equal(vfioiommu_pasid_value(NULL, 1), -EINVAL);
	assert_int_equal(vfioiommu_pasid_set_usage(NULL, &a, &b), -EINVAL);
	assert_int_equal(vfioiommu_pasid_space_usage(NULL, &a, &b), -EINVAL);
	assert_int_equal(vfioiommu_pasid_set_usage(s, NULL, NULL), 0);
	assert_int_equal(vfioiommu_pasid_space_usage(sp, NULL, NULL), 0);
	assert_int_equal(vfioiommu_pasid_space_width(NULL), 0);
	assert_int_equal(vfioiommu_pasid_space_width(sp), 4);
	/* handles that were never valid */
	assert_int_equal(vfioiommu_pasid_free(s, VFIOIOMMU_PASID_HANDLE_NONE), -EINVAL);
	assert_int_equal(vfioiommu_pasid_free(s, UINT64_MAX), -EINVAL);
	assert_int_equal(vfioiommu_pasid_value(s, 3), -EINVAL);
	vfioiommu_pasid_set_free(NULL);
	vfioiommu_pasid_space_free(NULL);
	vfioiommu_pasid_space_free(sp);
}

static void test_opts_null_and_bigger(void **state)
{
	/* a caller built against a later, bigger opts struct */
	struct {
		struct vfioiommu_pasid_space_opts o;
		uint64_t later;
	} big = { .o = { .size = sizeof(big), .flags = VFIOIOMMU_PASID_SPACE_ALLOW_ZERO } };
	vfioiommu_pasid_space *sp;
	vfioiommu_pasid_set *s;

	assert_int_equal(vfioiommu_pasid_space_new(20, NULL, &sp), 0);
	expect_usage(sp, 0, (1u << 20) - 1);
	vfioiommu_pasid_space_free(sp);
	assert_int_equal(vfioiommu_pasid_space_new(1, &big.o, &sp), 0);
	s = set(sp, 0);
	assert_int_equal(take(s, NULL), 0);
	assert_int_equal(take(s, NULL), 1);
	assert_int_equal(take(s, NULL), -ENOSPC);
	vfioiommu_pasid_space_free(sp);
}

static void test_pasid_zero_rule(void **state)
{
	vfioiommu_pasid_space *sp = space(4, 0, 0, 0);
	vfioiommu_pasid_set *s = set(sp, 0);
	vfioiommu_pasid_handle h = 5;

	expect_usage(sp, 0, 15);
	assert_int_equal(vfioiommu_pasid_alloc_value(s, 0, &h), -ERANGE);
	assert_true(h == VFIOIOMMU_PASID_HANDLE_NONE);
	assert_int_equal(take(s, NULL), 1);
	vfioiommu_pasid_space_free(sp);

	sp = space(4, VFIOIOMMU_PASID_SPACE_ALLOW_ZERO, 0, 0);
	s = set(sp, 0);
	expect_usage(sp, 0, 16);
	assert_int_equal(take(s, &h), 0);
	assert_int_equal(vfioiommu_pasid_value(s, h), 0);
	assert_true(h != VFIOIOMMU_PASID_HANDLE_NONE);
	assert_int_equal(vfioiommu_pasid_free(s, h), 0);
	assert_int_equal(vfioiommu_pasid_alloc_value(s, 0, &h), 0);
	assert_int_equal(vfioiommu_pasid_value(s, h), 0);
	vfioiommu_pasid_space_free(sp);
}

static void test_reserved_range(void **state)
{
	vfioiommu_pasid_space *sp = space(4, VFIOIOMMU_PASID_SPACE_RESERVE, 4, 11);
	vfioiommu_pasid_set *s = set(sp, 0);
	static const int want[] = { 1, 2, 3, 12, 13, 14, 15 };
	vfioiommu_pasid_handle h;

	expect_usage(sp, 0, 7);
	for (uint32_t p = 4; p <= 11; p++)
		assert_int_equal(vfioiommu_pasid_alloc_value(s, p, &h), -ERANGE);
	assert_int_equal(vfioiommu_pasid_alloc_value(s, 16, &h), -ERANGE);
	assert_int_equal(vfioiommu_pasid_alloc_value(s, UINT32_MAX, &h), -ERANGE);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(take(s, NULL), want[i]);
	assert_int_equal(take(s, NULL), -ENOSPC);
	expect_usage(sp, 7, 0);
	vfioiommu_pasid_space_free(sp);

	/* a range reaching past the space is clipped; one wholly past it reserves nothing */
	sp = space(4, VFIOIOMMU_PASID_SPACE_RESERVE | VFIOIOMMU_PASID_SPACE_ALLOW_ZERO, 8, UINT32_MAX);
	expect_usage(sp, 0, 8);
	vfioiommu_pasid_space_free(sp);
	sp = space(4, VFIOIOMMU_PASID_SPACE_RESERVE, 16, 100);
	expect_usage(sp, 0, 15);
	vfioiommu_pasid_space_free(sp);
	/* a range covering 0 together with the PASID 0 rule counts 0 once */
	sp = space(4, VFIOIOMMU_PASID_SPACE_RESERVE, 0, 1);
	expect_usage(sp, 0, 14);
	s = set(sp, 0);
	assert_int_equal(take(s, NULL), 2);
	vfioiommu_pasid_space_free(sp);
}

static void test_quota(void **state)
{
	vfioiommu_pasid_space *sp = space(10, 0, 0, 0);
	vfioiommu_pasid_set *s = set(sp, 3), *d = set(sp, 0), *other = set(sp, 1);
	vfioiommu_pasid_handle h[3], x = 9;
	uint32_t used = 99, quota = 99;

	for (int i = 0; i < 3; i++)
		assert_int_equal(take(s, &h[i]), i + 1);
	assert_int_equal(vfioiommu_pasid_alloc(s, &x), -EDQUOT);
	assert_true(x == VFIOIOMMU_PASID_HANDLE_NONE);
	assert_int_equal(vfioiommu_pasid_alloc_value(s, 500, &x), -EDQUOT);
	/* a value that is taken says so before the quota does */
	assert_int_equal(vfioiommu_pasid_alloc_value(s, 1, &x), -EBUSY);
	assert_int_equal(vfioiommu_pasid_set_usage(s, &used, &quota), 0);
	assert_int_equal(used, 3);
	assert_int_equal(quota, 3);
	/* another set is not affected */
	assert_int_equal(take(other, NULL), 4);
	assert_int_equal(take(other, NULL), -EDQUOT);
	/* freeing one makes room again */
	assert_int_equal(vfioiommu_pasid_free(s, h[1]), 0);
	assert_int_equal(vfioiommu_pasid_alloc_value(s, 700, &x), 0);
	assert_int_equal(vfioiommu_pasid_value(s, x), 700);
	assert_int_equal(vfioiommu_pasid_alloc(s, &x), -EDQUOT);

	/* the default quota is 1000 */
	assert_int_equal(vfioiommu_pasid_set_usage(d, &used, &quota), 0);
	assert_int_equal(used, 0);
	assert_int_equal(quota, VFIOIOMMU_PASID_DEFAULT_QUOTA);
	assert_int_equal(quota, 1000);
	for (int i = 0; i < 1000; i++)
		assert_true(take(d, NULL) > 0);
	assert_int_equal(take(d, NULL), -EDQUOT);
	expect_usage(sp, 1004, 1023 - 1004);
	vfioiommu_pasid_space_free(sp);
}

static void test_exhaustion(void **state)
{
	vfioiommu_pasid_space *sp = space(3, 0, 0, 0);
	vfioiommu_pasid_set *a = set(sp, 100), *b = set(sp, 3), *z = set(sp, 0);
	vfioiommu_pasid_handle h, hb;

	for (int i = 1; i <= 4; i++)
		assert_int_equal(take(a, NULL), i);
	for (int i = 5; i <= 6; i++)
		assert_int_equal(take(b, NULL), i);
	assert_int_equal(take(b, &hb), 7);
	assert_int_equal(vfioiommu_pasid_alloc(a, &h), -ENOSPC);
	assert_true(h == VFIOIOMMU_PASID_HANDLE_NONE);
	assert_int_equal(vfioiommu_pasid_alloc(z, &h), -ENOSPC);
	/* b is at its quota and the space is full: the quota is what b is told */
	assert_int_equal(vfioiommu_pasid_alloc(b, &h), -EDQUOT);
	expect_usage(sp, 7, 0);
	assert_int_equal(vfioiommu_pasid_free(b, hb), 0);
	expect_usage(sp, 6, 1);
	assert_int_equal(take(z, NULL), 7);
	assert_int_equal(take(a, NULL), -ENOSPC);
	vfioiommu_pasid_space_free(sp);
}

static void test_specific_values(void **state)
{
	vfioiommu_pasid_space *sp = space(8, 0, 0, 0);
	vfioiommu_pasid_set *a = set(sp, 0), *b = set(sp, 0);
	vfioiommu_pasid_handle h7, h1, x;

	assert_int_equal(vfioiommu_pasid_alloc_value(a, 7, &h7), 0);
	assert_int_equal(vfioiommu_pasid_value(a, h7), 7);
	assert_int_equal(vfioiommu_pasid_alloc_value(a, 7, &x), -EBUSY);
	assert_int_equal(vfioiommu_pasid_alloc_value(b, 7, &x), -EBUSY);
	assert_int_equal(vfioiommu_pasid_alloc_value(a, 255, &x), 0);
	assert_int_equal(vfioiommu_pasid_alloc_value(a, 256, &x), -ERANGE);
	/* "any" allocation goes around taken values */
	for (int i = 1; i <= 6; i++)
		assert_int_equal(take(b, NULL), i);
	assert_int_equal(take(b, &h1), 8);
	assert_int_equal(vfioiommu_pasid_free(a, h7), 0);
	assert_int_equal(take(a, NULL), 7);
	vfioiommu_pasid_space_free(sp);
}

static void test_stale_handles(void **state)
{
	vfioiommu_pasid_space *sp = space(4, 0, 0, 0);
	vfioiommu_pasid_set *s = set(sp, 0), *t = set(sp, 0);
	vfioiommu_pasid_handle old, now, other;

	assert_int_equal(take(s, &old), 1);
	assert_int_equal(vfioiommu_pasid_free(s, old), 0);
	/* freed: refused twice over */
	assert_int_equal(vfioiommu_pasid_free(s, old), -EINVAL);
	assert_int_equal(vfioiommu_pasid_value(s, old), -EINVAL);
	/* the same PASID given out again: the old handle still means nothing */
	assert_int_equal(take(s, &now), 1);
	assert_true(now != old);
	assert_int_equal(vfioiommu_pasid_value(s, old), -EINVAL);
	assert_int_equal(vfioiommu_pasid_free(s, old), -EINVAL);
	assert_int_equal(vfioiommu_pasid_value(s, now), 1);
	/* reused by another set */
	assert_int_equal(vfioiommu_pasid_free(s, now), 0);
	assert_int_equal(take(t, &other), 1);
	assert_int_equal(vfioiommu_pasid_value(s, now), -EINVAL);
	assert_int_equal(vfioiommu_pasid_value(t, now), -EINVAL);
	assert_int_equal(vfioiommu_pasid_value(t, old), -EINVAL);
	assert_int_equal(vfioiommu_pasid_value(t, other), 1);
	/* many cycles through one PASID never bring a handle back */
	for (int i = 0; i < 1000; i++) {
		vfioiommu_pasid_handle h;

		assert_int_equal(vfioiommu_pasid_alloc_value(s, 9, &h), 0);
		assert_true(h != old && h != now && h != other);
		assert_int_equal(vfioiommu_pasid_free(s, h), 0);
		assert_int_equal(vfioiommu_pasid_free(s, h), -EINVAL);
	}
	assert_int_equal(vfioiommu_pasid_value(t, other), 1);
	vfioiommu_pasid_space_free(sp);
}

static void test_foreign_handles(void **state)
{
	vfioiommu_pasid_space *sp1 = space(6, 0, 0, 0), *sp2 = space(6, 0, 0, 0);
	vfioiommu_pasid_set *a = set(sp1, 0), *b = set(sp1, 0), *c = set(sp2, 0);
	vfioiommu_pasid_handle ha, hb, hc;

	assert_int_equal(take(a, &ha), 1);
	assert_int_equal(take(b, &hb), 2);
	assert_int_equal(take(c, &hc), 1);
	/* another set of the same space */
	assert_int_equal(vfioiommu_pasid_value(b, ha), -EINVAL);
	assert_int_equal(vfioiommu_pasid_free(b, ha), -EINVAL);
	assert_int_equal(vfioiommu_pasid_free(a, hb), -EINVAL);
	/* another space, same PASID value, same generation */
	assert_int_equal(vfioiommu_pasid_value(a, hc), -EINVAL);
	assert_int_equal(vfioiommu_pasid_free(a, hc), -EINVAL);
	assert_int_equal(vfioiommu_pasid_free(c, ha), -EINVAL);
	/* still intact */
	assert_int_equal(vfioiommu_pasid_value(a, ha), 1);
	assert_int_equal(vfioiommu_pasid_value(b, hb), 2);
	assert_int_equal(vfioiommu_pasid_value(c, hc), 1);
	/* forged: right space and slot, generation off by one either way */
	assert_int_equal(vfioiommu_pasid_value(a, ha + (UINT64_C(1) << 32)), -EINVAL);
	assert_int_equal(vfioiommu_pasid_value(a, ha - (UINT64_C(1) << 32)), -EINVAL);
	/* a slot past a smaller space */
	assert_int_equal(vfioiommu_pasid_value(a, (ha & ~UINT64_C(0xfffff)) | 0x80000), -EINVAL);
	vfioiommu_pasid_space_free(sp1);
	vfioiommu_pasid_space_free(sp2);
}

static void test_set_teardown(void **state)
{
	vfioiommu_pasid_space *sp = space(8, 0, 0, 0);
	vfioiommu_pasid_set *a = set(sp, 0), *b = set(sp, 0);
	vfioiommu_pasid_handle hb[10], h;

	/* interleave so a's PASIDs are scattered among b's */
	for (int i = 0; i < 10; i++) {
		assert_int_equal(take(a, NULL), 2 * i + 1);
		assert_int_equal(take(b, &hb[i]), 2 * i + 2);
	}
	assert_int_equal(vfioiommu_pasid_alloc_value(a, 200, &h), 0);
	expect_usage(sp, 21, 255 - 21);
	vfioiommu_pasid_set_free(a);
	expect_usage(sp, 10, 255 - 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(vfioiommu_pasid_value(b, hb[i]), 2 * i + 2);
	/* a's PASIDs are free again, the lowest first */
	assert_int_equal(take(b, NULL), 1);
	assert_int_equal(take(b, NULL), 3);
	assert_int_equal(vfioiommu_pasid_alloc_value(b, 200, &h), 0);
	/* an empty set and a freshly made one after a free */
	a = set(sp, 0);
	vfioiommu_pasid_set_free(a);
	a = set(sp, 2);
	assert_int_equal(take(a, NULL), 5);
	/* the space frees sets still alive (ASan checks nothing leaks) */
	vfioiommu_pasid_space_free(sp);
}

/* Churn in one set: its allocation log stays bounded, and set_free still finds exactly what it holds. */
static void test_set_log_bounded(void **state)
{
	vfioiommu_pasid_space *sp = space(12, 0, 0, 0);
	vfioiommu_pasid_set *s = set(sp, 5), *t = set(sp, 0);
	vfioiommu_pasid_handle h[5], keep;
	uint32_t max_log = 0;
	unsigned int seed = 99;

	for (int i = 0; i < 5; i++)
		assert_int_equal(vfioiommu_pasid_alloc(s, &h[i]), 0);
	assert_int_equal(vfioiommu_pasid_alloc(t, &keep), 0);
	for (int it = 0; it < 100000; it++) {
		int i = rand_r(&seed) % 5;

		assert_int_equal(vfioiommu_pasid_free(s, h[i]), 0);
		/* mostly the same PASID comes back, sometimes a specific other one */
		if (it % 7 == 0 && vfioiommu_pasid_alloc_value(s, 100 + (uint32_t)(it % 50), &h[i]) == 0)
			continue;
		assert_int_equal(vfioiommu_pasid_alloc(s, &h[i]), 0);
		if (vi_pasid_set_log_len(s) > max_log)
			max_log = vi_pasid_set_log_len(s);
	}
	assert_true(max_log <= 4 * 5 + 32);
	expect_usage(sp, 6, 4095 - 6);
	vfioiommu_pasid_set_free(s);
	expect_usage(sp, 1, 4095 - 1);
	assert_int_equal(vfioiommu_pasid_value(t, keep), 6);
	vfioiommu_pasid_space_free(sp);
}

/* Random operations against a plain array model: same PASIDs, lowest-first, same errors. */
static void test_model(void **state)
{
	enum { W = 9, N = 1 << W, NSETS = 3, STEPS = 40000 };
	vfioiommu_pasid_space *sp = space(W, VFIOIOMMU_PASID_SPACE_RESERVE, 100, 131);
	vfioiommu_pasid_set *sets[NSETS];
	static int owner[N];          /* -1 free, -2 reserved, else set index */
	static vfioiommu_pasid_handle hs[N];
	uint32_t used[NSETS] = { 0 }, quota[NSETS] = { 50, 200, 400 };
	unsigned int seed = 12345;

	for (int i = 0; i < N; i++)
		owner[i] = (i == 0 || (i >= 100 && i <= 131)) ? -2 : -1;
	for (int k = 0; k < NSETS; k++)
		sets[k] = set(sp, quota[k]);
	for (int step = 0; step < STEPS; step++) {
		int k = rand_r(&seed) % NSETS, op = rand_r(&seed) % 3;
		uint32_t p = (uint32_t)rand_r(&seed) % (N + 8);
		vfioiommu_pasid_handle h;
		int rc;

		if (op == 0) {
			int want = -ENOSPC;

			for (int i = 0; i < N; i++)
				if (owner[i] == -1) {
					want = i;
					break;
				}
			if (used[k] >= quota[k])
				want = -EDQUOT;
			rc = take(sets[k], &h);
			assert_int_equal(rc, want);
			if (rc >= 0) {
				owner[rc] = k;
				hs[rc] = h;
				used[k]++;
			}
		} else if (op == 1) {
			int want = 0;

			if (p >= N || owner[p] == -2)
				want = -ERANGE;
			else if (owner[p] >= 0)
				want = -EBUSY;
			else if (used[k] >= quota[k])
				want = -EDQUOT;
			assert_int_equal(vfioiommu_pasid_alloc_value(sets[k], p, &h), want);
			if (want == 0) {
				assert_int_equal(vfioiommu_pasid_value(sets[k], h), p);
				owner[p] = k;
				hs[p] = h;
				used[k]++;
			}
		} else if (p < N && owner[p] >= 0) {
			int o = owner[p];

			/* the wrong set is refused, the right one frees */
			assert_int_equal(vfioiommu_pasid_free(sets[(o + 1) % NSETS], hs[p]), -EINVAL);
			assert_int_equal(vfioiommu_pasid_free(sets[o], hs[p]), 0);
			assert_int_equal(vfioiommu_pasid_value(sets[o], hs[p]), -EINVAL);
			owner[p] = -1;
			used[o]--;
		}
	}
	for (int k = 0; k < NSETS; k++) {
		uint32_t u;

		assert_int_equal(vfioiommu_pasid_set_usage(sets[k], &u, NULL), 0);
		assert_int_equal(u, used[k]);
	}
	expect_usage(sp, used[0] + used[1] + used[2], N - 33 - (used[0] + used[1] + used[2]));
	vfioiommu_pasid_space_free(sp);
}

static void test_full_width(void **state)
{
	vfioiommu_pasid_space *sp = space(20, 0, 0, 0);
	vfioiommu_pasid_set *s = set(sp, 1u << 20);
	vfioiommu_pasid_handle *h = calloc(1u << 20, sizeof(*h));
	unsigned int seed = 7;

	assert_non_null(h);
	for (uint32_t p = 1; p < (1u << 20); p++) {
		assert_int_equal(vfioiommu_pasid_alloc(s, &h[p]), 0);
		if (p % 4096 == 0 || p > (1u << 20) - 70)
			assert_int_equal(vfioiommu_pasid_value(s, h[p]), p);
	}
	assert_int_equal(vfioiommu_pasid_alloc(s, &h[0]), -ENOSPC);
	expect_usage(sp, (1u << 20) - 1, 0);
	/* free scattered ones: they come back lowest first */
	{
		static uint32_t freed[64];
		int n = 0;

		for (int i = 0; i < 64; i++) {
			uint32_t p = 1 + (uint32_t)rand_r(&seed) % ((1u << 20) - 1);

			if (vfioiommu_pasid_free(s, h[p]) == 0)
				freed[n++] = p;
		}
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				if (freed[j] < freed[i]) {
					uint32_t t = freed[i];
					freed[i] = freed[j];
					freed[j] = t;
				}
		for (int i = 0; i < n; i++)
			assert_int_equal(take(s, NULL), freed[i]);
		assert_int_equal(take(s, NULL), -ENOSPC);
	}
	free(h);
	vfioiommu_pasid_space_free(sp);
}

/* ---------------- threads ---------------- */

enum { T_THREADS = 8, T_SETS = 5, T_W = 9, T_ITERS = 20000, T_HOLD = 256 };

struct stress {
	vfioiommu_pasid_space *sp;
	vfioiommu_pasid_set *sets[T_SETS];
	atomic_int owner[1 << T_W]; /* 0 free, else thread + 1 */
	atomic_int errors;
	atomic_int edquot, enospc, ebusy;
};

struct held {
	vfioiommu_pasid_handle h;
	int set;
	uint32_t pasid;
};

struct worker {
	struct stress *st;
	int id;
	unsigned int seed;
	int n;
	struct held held[T_HOLD];
};

static void *stress_worker(void *arg)
{
	struct worker *w = arg;
	struct stress *st = w->st;

	for (int it = 0; it < T_ITERS; it++) {
		int r = rand_r(&w->seed) % 100;

		if ((r < 65 && w->n < T_HOLD) || w->n == 0) {
			int k = rand_r(&w->seed) % T_SETS, rc, p;
			vfioiommu_pasid_handle h;

			if (r % 4)
				rc = vfioiommu_pasid_alloc(st->sets[k], &h);
			else
				rc = vfioiommu_pasid_alloc_value(st->sets[k],
					1 + (uint32_t)rand_r(&w->seed) % ((1u << T_W) - 1), &h);
			if (rc == -EDQUOT)
				atomic_fetch_add(&st->edquot, 1);
			else if (rc == -ENOSPC)
				atomic_fetch_add(&st->enospc, 1);
			else if (rc == -EBUSY)
				atomic_fetch_add(&st->ebusy, 1);
			if (rc < 0)
				continue;
			p = vfioiommu_pasid_value(st->sets[k], h);
			if (p <= 0 || atomic_exchange(&st->owner[p], w->id + 1) != 0)
				atomic_fetch_add(&st->errors, 1); /* held twice */
			w->held[w->n++] = (struct held){ h, k, (uint32_t)(p > 0 ? p : 0) };
		} else {
			int i = rand_r(&w->seed) % w->n;
			struct held x = w->held[i];

			w->held[i] = w->held[--w->n];
			/* released in the model before the library can hand it to someone else */
			if (atomic_exchange(&st->owner[x.pasid], 0) != w->id + 1)
				atomic_fetch_add(&st->errors, 1);
			if (vfioiommu_pasid_free(st->sets[x.set], x.h) != 0)
				atomic_fetch_add(&st->errors, 1);
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	static struct stress st;
	static struct worker w[T_THREADS];
	pthread_t th[T_THREADS];
	uint32_t per_set[T_SETS] = { 0 }, total = 0, in_use, avail;

	memset(&st, 0, sizeof(st));
	st.sp = space(T_W, 0, 0, 0);
	static const unsigned int quotas[T_SETS] = { 50, 100, 200, 300, 1000 };

	for (int k = 0; k < T_SETS; k++)
		st.sets[k] = set(st.sp, quotas[k]);
	for (int i = 0; i < T_THREADS; i++) {
		w[i] = (struct worker){ .st = &st, .id = i, .seed = 1000u + (unsigned int)i };
		assert_int_equal(pthread_create(&th[i], NULL, stress_worker, &w[i]), 0);
	}
	for (int i = 0; i < T_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(atomic_load(&st.errors), 0);
	/* small quotas fill, 1650 > 511 fills the space, and chosen values collide */
	assert_true(atomic_load(&st.edquot) > 0);
	assert_true(atomic_load(&st.enospc) > 0);
	assert_true(atomic_load(&st.ebusy) > 0);

	for (int i = 0; i < T_THREADS; i++)
		for (int j = 0; j < w[i].n; j++) {
			per_set[w[i].held[j].set]++;
			total++;
			assert_int_equal(vfioiommu_pasid_value(st.sets[w[i].held[j].set], w[i].held[j].h),
					 w[i].held[j].pasid);
		}
	for (int k = 0; k < T_SETS; k++) {
		uint32_t u;

		assert_int_equal(vfioiommu_pasid_set_usage(st.sets[k], &u, NULL), 0);
		assert_int_equal(u, per_set[k]);
	}
	assert_int_equal(vfioiommu_pasid_space_usage(st.sp, &in_use, &avail), 0);
	assert_int_equal(in_use, total);
	assert_int_equal(in_use + avail, (1u << T_W) - 1);
	for (int k = 0; k < T_SETS; k++)
		vfioiommu_pasid_set_free(st.sets[k]);
	expect_usage(st.sp, 0, (1u << T_W) - 1);
	vfioiommu_pasid_space_free(st.sp);
}

/* Threads each creating, filling and freeing their own sets in one space. */
static void *churn_worker(void *arg)
{
	struct worker *w = arg;

	for (int round = 0; round < 200; round++) {
		vfioiommu_pasid_set *s = NULL;
		vfioiommu_pasid_handle h;

		if (vfioiommu_pasid_set_new(w->st->sp, 20, &s) != 0) {
			atomic_fetch_add(&w->st->errors, 1);
			continue;
		}
		for (int i = 0; i < 25; i++) {
			int rc = vfioiommu_pasid_alloc(s, &h);

			if (i < 20 ? rc != 0 : rc != -EDQUOT)
				atomic_fetch_add(&w->st->errors, 1);
		}
		vfioiommu_pasid_set_free(s);
	}
	return NULL;
}

static void test_threads_set_churn(void **state)
{
	static struct stress st;
	static struct worker w[T_THREADS];
	pthread_t th[T_THREADS];

	memset(&st, 0, sizeof(st));
	st.sp = space(T_W, 0, 0, 0);
	for (int i = 0; i < T_THREADS; i++) {
		w[i] = (struct worker){ .st = &st, .id = i };
		assert_int_equal(pthread_create(&th[i], NULL, churn_worker, &w[i]), 0);
	}
	for (int i = 0; i < T_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(atomic_load(&st.errors), 0);
	expect_usage(st.sp, 0, (1u << T_W) - 1);
	vfioiommu_pasid_space_free(st.sp);
}

/* ---------------- iommufd: attach / replace / detach on the mock ---------------- */

static const char host_pasid[] =
	"pasid-width 20\n"
	"group 3\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:03.0 vfio-pci pasid=20\n"
	"group 4\n"
	"  device 0000:00:04.0 vfio-pci pasid=8\n"
	"group 5\n"
	"  device 0000:00:05.0 vfio-pci\n";

#define DEV_PASID "0000:00:03.0"
#define DEV_NARROW "0000:00:04.0"
#define DEV_NOPASID "0000:00:05.0"

static vfioiommu_device *open_dev(vfioiommu_ctx *ctx, const char *bdf)
{
	vfioiommu_device *dev = NULL;

	assert_int_equal(vfioiommu_device_open(ctx, bdf, &dev), 0);
	return dev;
}

static void test_space_for_device(void **state)
{
	vfioiommu_mock *m = th_mock(host_pasid);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *d20 = open_dev(ctx, DEV_PASID), *d8 = open_dev(ctx, DEV_NARROW);
	vfioiommu_device *d0 = open_dev(ctx, DEV_NOPASID);
	struct vfioiommu_pasid_space_opts bad = { .size = sizeof(bad), .flags = 1u << 9 };
	vfioiommu_pasid_space *sp = (void *)1;

	assert_int_equal(vfioiommu_pasid_space_for_device(d20, NULL, &sp), 0);
	assert_int_equal(vfioiommu_pasid_space_width(sp), 20);
	vfioiommu_pasid_space_free(sp);
	/* the device is narrower than the IOMMU */
	assert_int_equal(vfioiommu_pasid_space_for_device(d8, NULL, &sp), 0);
	assert_int_equal(vfioiommu_pasid_space_width(sp), 8);
	vfioiommu_pasid_space_free(sp);
	assert_int_equal(vfioiommu_pasid_space_for_device(d0, NULL, &sp), -EOPNOTSUPP);
	assert_null(sp);
	th_assert_msg(vfioiommu_strerror(ctx), DEV_NOPASID, "device has no PASID", "max_pasid_log2 0", NULL);
	assert_int_equal(vfioiommu_pasid_space_for_device(d20, &bad, &sp), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "bad options", NULL);
	assert_int_equal(vfioiommu_pasid_space_for_device(d20, NULL, NULL), -EINVAL);
	assert_int_equal(vfioiommu_pasid_space_for_device(NULL, NULL, &sp), -EINVAL);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);

	/* the IOMMU is narrower than the device */
	m = th_mock(host_pasid);
	assert_int_equal(vfioiommu_mock_set_pasid_width(m, 10), 0);
	ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	d20 = open_dev(ctx, DEV_PASID);
	assert_int_equal(vfioiommu_pasid_space_for_device(d20, NULL, &sp), 0);
	assert_int_equal(vfioiommu_pasid_space_width(sp), 10);
	vfioiommu_pasid_space_free(sp);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);

	/* a kernel before 6.15: reports no width, and the probe tells it from a device without PASID */
	m = th_mock(host_pasid);
	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_PASID_ATTACH, false), 0);
	ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	d0 = open_dev(ctx, DEV_NOPASID);
	assert_int_equal(vfioiommu_pasid_space_for_device(d0, NULL, &sp), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "kernel has no PASID attach", "before 6.15", NULL);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void test_container_backend(void **state)
{
	vfioiommu_mock *m = th_mock(host_pasid);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *dev = open_dev(ctx, DEV_PASID);
	vfioiommu_pasid_space *sp = space(20, 0, 0, 0), *out = (void *)1;
	vfioiommu_pasid_set *s = set(sp, 0);
	vfioiommu_pasid_handle h;
	uint32_t pt = 77;

	assert_int_equal(vfioiommu_pasid_alloc(s, &h), 0);
	assert_int_equal(vfioiommu_pasid_space_for_device(dev, NULL, &out), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "VFIO container", "no PASID support", "iommufd", NULL);
	assert_null(out);
	assert_int_equal(vfioiommu_hwpt_alloc_pasid(dev, &pt), -EOPNOTSUPP);
	assert_int_equal(pt, 0);
	th_assert_msg(vfioiommu_strerror(ctx), "VFIO container", NULL);
	assert_int_equal(vfioiommu_hwpt_attach_rid(dev, 5), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_hwpt_destroy(ctx, 5), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_pasid_attach(dev, s, h, 5), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "attaching PASID 1 of " DEV_PASID, "VFIO container", NULL);
	assert_int_equal(vfioiommu_pasid_detach(dev, s, h), -EOPNOTSUPP);
	vfioiommu_pasid_space_free(sp);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/* The whole flow; every step's failure tears down and returns it (for the sweep). */
static vfioiommu_mock *flow_setup(void *arg)
{
	return th_mock(host_pasid);
}

static int flow_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *dev = NULL;
	vfioiommu_pasid_space *sp = NULL;
	vfioiommu_pasid_set *s = NULL;
	vfioiommu_pasid_handle h1, h2;
	uint32_t rid_pt = 0, pt = 0;
	int rc;

	if ((rc = vfioiommu_device_open(ctx, DEV_PASID, &dev)) < 0 ||
	    (rc = vfioiommu_pasid_space_for_device(dev, NULL, &sp)) < 0 ||
	    (rc = vfioiommu_pasid_set_new(sp, 4, &s)) < 0 ||
	    (rc = vfioiommu_pasid_alloc(s, &h1)) < 0 ||
	    (rc = vfioiommu_pasid_alloc_value(s, (1u << 20) - 1, &h2)) < 0 ||
	    (rc = vfioiommu_hwpt_alloc_pasid(dev, &rid_pt)) < 0 ||
	    (rc = vfioiommu_hwpt_alloc_pasid(dev, &pt)) < 0 ||
	    (rc = vfioiommu_hwpt_attach_rid(dev, rid_pt)) < 0 ||
	    (rc = vfioiommu_pasid_attach(dev, s, h1, rid_pt)) < 0 ||
	    (rc = vfioiommu_pasid_replace(dev, s, h1, pt)) < 0 ||
	    (rc = vfioiommu_pasid_attach(dev, s, h2, pt)) < 0)
		goto out;
	if (arg) {
		/* attached: the HWPT cannot go; the RID's cannot either */
		assert_int_equal(vfioiommu_hwpt_destroy(ctx, pt), -EBUSY);
		th_assert_msg(vfioiommu_strerror(ctx), "still attached", NULL);
		assert_int_equal(vfioiommu_hwpt_destroy(ctx, rid_pt), -EBUSY);
		/* replaced away from rid_pt: it is held by the RID only */
		assert_int_equal(dev->pt_id, rid_pt);
	}
	if ((rc = vfioiommu_pasid_detach(dev, s, h1)) < 0 ||
	    (rc = vfioiommu_pasid_detach(dev, s, h1)) < 0 ||
	    (rc = vfioiommu_pasid_detach(dev, s, h2)) < 0 ||
	    (rc = vfioiommu_pasid_free(s, h1)) < 0 ||
	    (rc = vfioiommu_hwpt_destroy(ctx, pt)) < 0)
		goto out;
	/* closing detaches the RID; a fault in that DETACH is only logged (the close detaches anyway) */
	vfioiommu_device_close(dev);
	dev = NULL;
	if (vfioiommu_mock_fault_fired(m)) {
		rc = -EIO; /* met in teardown: nothing to explain */
		goto teardown;
	}
	rc = vfioiommu_hwpt_destroy(ctx, rid_pt);
out:
	if (rc < 0 && !arg) {
		/* every failure is explained, with the errno the kernel gave */
		const char *msg = vfioiommu_strerror(ctx);

		if (rc != -EIO || !strstr(msg, "EIO"))
			fail_msg("rc %d: message \"%s\" does not name EIO", rc, msg);
	}
teardown:
	vfioiommu_device_close(dev);
	vfioiommu_pasid_space_free(sp);
	/* teardown returns nothing: a fault there is only logged; th_sweep still checks the fds */
	if (rc == 0 && !vfioiommu_mock_fault_fired(m)) {
		vfioiommu_ctx_destroy(ctx);
		return vfioiommu_mock_fault_fired(m) ? -EIO : 0;
	}
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void test_attach_flow(void **state)
{
	vfioiommu_mock *m = flow_setup(NULL);

	assert_int_equal(flow_body(m, (void *)1), 0);
	th_mock_done(m);
}

static void test_attach_sweep(void **state)
{
	unsigned long n = th_sweep(flow_setup, flow_body, NULL, 500);

	print_message("fail-nth sweep: %lu sites\n", n);
	assert_true(n > 20);
}

static void test_attach_errors(void **state)
{
	vfioiommu_mock *m = th_mock(host_pasid);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *dev = open_dev(ctx, DEV_PASID), *d8 = open_dev(ctx, DEV_NARROW);
	vfioiommu_device *d0 = open_dev(ctx, DEV_NOPASID);
	vfioiommu_pasid_space *sp = space(20, VFIOIOMMU_PASID_SPACE_ALLOW_ZERO, 0, 0), *other = space(20, 0, 0, 0);
	vfioiommu_pasid_set *s = set(sp, 0), *t = set(sp, 0), *o = set(other, 0);
	vfioiommu_pasid_handle h0, h5, hbig, stale, ho;
	uint32_t pt = 0, rid_pt = 0, ioas = 0;

	assert_int_equal(vfioiommu_pasid_alloc_value(s, 0, &h0), 0);
	assert_int_equal(vfioiommu_pasid_alloc_value(s, 5, &h5), 0);
	assert_int_equal(vfioiommu_pasid_alloc_value(s, 300, &hbig), 0);
	assert_int_equal(vfioiommu_pasid_alloc_value(s, 6, &stale), 0);
	assert_int_equal(vfioiommu_pasid_free(s, stale), 0);
	assert_int_equal(vfioiommu_pasid_alloc(o, &ho), 0);
	assert_int_equal(vfioiommu_hwpt_alloc_pasid(dev, &pt), 0);
	assert_true(pt != 0);
	assert_int_equal(vfioiommu_ctx_ioas_id(ctx, &ioas), 0);

	/* bad input */
	assert_int_equal(vfioiommu_pasid_attach(NULL, s, h5, pt), -EINVAL);
	assert_int_equal(vfioiommu_pasid_detach(NULL, s, h5), -EINVAL);
	assert_int_equal(vfioiommu_hwpt_alloc_pasid(NULL, &pt), -EINVAL);
	assert_int_equal(vfioiommu_hwpt_alloc_pasid(dev, NULL), -EINVAL);
	assert_int_equal(vfioiommu_hwpt_attach_rid(NULL, pt), -EINVAL);
	assert_int_equal(vfioiommu_hwpt_destroy(NULL, pt), -EINVAL);
	assert_int_equal(vfioiommu_pasid_attach(dev, NULL, h5, pt), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "no PASID set", NULL);
	assert_int_equal(vfioiommu_pasid_attach(dev, s, stale, pt), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "stale", NULL);
	assert_int_equal(vfioiommu_pasid_attach(dev, t, h5, pt), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "another PASID set", NULL);
	assert_int_equal(vfioiommu_pasid_attach(dev, s, ho, pt), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "another PASID space", NULL);
	assert_int_equal(vfioiommu_pasid_detach(dev, s, stale), -EINVAL);
	/* PASID 0 is the RID */
	assert_int_equal(vfioiommu_pasid_attach(dev, s, h0, pt), -ERANGE);
	th_assert_msg(vfioiommu_strerror(ctx), "PASID 0", "RID", NULL);
	assert_int_equal(vfioiommu_pasid_detach(dev, s, h0), -ERANGE);

	/* the RID is still on the IOAS's automatic HWPT: the kernel refuses */
	assert_int_equal(vfioiommu_pasid_attach(dev, s, h5, pt), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "attaching PASID 5 of " DEV_PASID, "EINVAL", "PASID-capable",
		      "vfioiommu_hwpt_attach_rid", NULL);
	assert_int_equal(vfioiommu_hwpt_alloc_pasid(dev, &rid_pt), 0);
	assert_int_equal(vfioiommu_hwpt_attach_rid(dev, rid_pt), 0);
	assert_int_equal(vfioiommu_hwpt_attach_rid(dev, 999), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "HWPT 999", NULL);
	/* an IOAS is not a PASID-capable HWPT; an unknown id is nothing */
	assert_int_equal(vfioiommu_pasid_attach(dev, s, h5, ioas), -EINVAL);
	assert_int_equal(vfioiommu_pasid_attach(dev, s, h5, 999), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "no HWPT 999", NULL);
	/* beyond the device's 8 bits */
	{
		uint32_t pt8 = 0, rid8 = 0;

		assert_int_equal(vfioiommu_hwpt_alloc_pasid(d8, &rid8), 0);
		assert_int_equal(vfioiommu_hwpt_attach_rid(d8, rid8), 0);
		assert_int_equal(vfioiommu_hwpt_alloc_pasid(d8, &pt8), 0);
		assert_int_equal(vfioiommu_pasid_attach(d8, s, hbig, pt8), -ERANGE);
		th_assert_msg(vfioiommu_strerror(ctx), "PASID 300", DEV_NARROW, "8-bit", NULL);
		assert_int_equal(vfioiommu_pasid_attach(d8, s, h5, pt8), 0);
		assert_int_equal(vfioiommu_pasid_detach(d8, s, h5), 0);
	}
	/* a device without PASID, on a kernel with it */
	assert_int_equal(vfioiommu_pasid_attach(d0, s, h5, pt), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), DEV_NOPASID, "device has no PASID", NULL);
	/* the working case and its replace */
	assert_int_equal(vfioiommu_pasid_attach(dev, s, h5, pt), 0);
	assert_int_equal(vfioiommu_pasid_replace(dev, s, h5, rid_pt), 0);
	assert_int_equal(vfioiommu_pasid_replace(dev, s, h5, rid_pt), 0);
	assert_int_equal(vfioiommu_hwpt_destroy(ctx, pt), 0);
	assert_int_equal(vfioiommu_hwpt_destroy(ctx, pt), -ENOENT);
	assert_int_equal(vfioiommu_pasid_detach(dev, s, h5), 0);

	vfioiommu_pasid_space_free(sp);
	vfioiommu_pasid_space_free(other);
	/* HWPTs left for the context to drop: closing /dev/iommu frees them */
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void test_attach_old_kernel(void **state)
{
	vfioiommu_mock *m = th_mock(host_pasid);
	vfioiommu_ctx *ctx;
	vfioiommu_device *d0;
	vfioiommu_pasid_space *sp = space(20, 0, 0, 0);
	vfioiommu_pasid_set *s = set(sp, 0);
	vfioiommu_pasid_handle h;

	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_PASID_ATTACH, false), 0);
	ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	d0 = open_dev(ctx, DEV_NOPASID);
	assert_int_equal(vfioiommu_pasid_alloc(s, &h), 0);
	assert_int_equal(vfioiommu_pasid_attach(d0, s, h, 5), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "kernel has no PASID attach", "before 6.15", NULL);
	assert_int_equal(vfioiommu_pasid_detach(d0, s, h), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "kernel has no PASID detach", NULL);
	vfioiommu_pasid_space_free(sp);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_levels),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_opts_null_and_bigger),
		cmocka_unit_test(test_pasid_zero_rule),
		cmocka_unit_test(test_reserved_range),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_specific_values),
		cmocka_unit_test(test_stale_handles),
		cmocka_unit_test(test_foreign_handles),
		cmocka_unit_test(test_set_teardown),
		cmocka_unit_test(test_set_log_bounded),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_full_width),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_threads_set_churn),
		cmocka_unit_test(test_space_for_device),
		cmocka_unit_test(test_container_backend),
		cmocka_unit_test(test_attach_flow),
		cmocka_unit_test(test_attach_sweep),
		cmocka_unit_test(test_attach_errors),
		cmocka_unit_test(test_attach_old_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
