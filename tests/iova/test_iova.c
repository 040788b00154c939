/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * IOVA lists: behaviour at the edges of the 64-bit space, bad input, and
 * randomized property tests against a bitmap model of a small universe,
 * placed once at 0 and once ending at 2^64-1.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/iova.h>

#define MAX UINT64_MAX
#define R(a, b) { (a), (b) }

static vfioiommu_iova_list *mk(const struct vfioiommu_iova_range *r, size_t n)
{
	vfioiommu_iova_list *l = NULL;

	assert_int_equal(vfioiommu_iova_list_new(r, n, VFIOIOMMU_IOVA_SRC_USER, &l), 0);
	assert_non_null(l);
	return l;
}

static void expect_ranges(const vfioiommu_iova_list *l, const struct vfioiommu_iova_range *r, size_t n)
{
	struct vfioiommu_iova_range got;

	assert_int_equal(vfioiommu_iova_list_count(l), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(vfioiommu_iova_list_get(l, i, &got), 0);
		assert_true(got.start == r[i].start);
		assert_true(got.last == r[i].last);
	}
}

/* ---------------- behaviour ---------------- */

static void test_new_coalesces(void **state)
{
	static const struct vfioiommu_iova_range in[] = {
		R(30, 40), R(0, 9), R(10, 19), R(35, 50), R(52, 60), R(MAX, MAX), R(MAX - 5, MAX - 1), R(45, 46),
	};
	static const struct vfioiommu_iova_range want[] = { R(0, 19), R(30, 50), R(52, 60), R(MAX - 5, MAX) };
	vfioiommu_iova_list *l = mk(in, sizeof(in) / sizeof(in[0]));

	expect_ranges(l, want, 4);
	assert_int_equal(vfioiommu_iova_list_source(l), VFIOIOMMU_IOVA_SRC_USER);
	vfioiommu_iova_list_free(l);
}

static void test_new_full_space(void **state)
{
	static const struct vfioiommu_iova_range in[] = { R(5, MAX), R(0, 4), R(MAX, MAX), R(7, 9) };
	static const struct vfioiommu_iova_range want[] = { R(0, MAX) };
	vfioiommu_iova_list *l = mk(in, 4);

	expect_ranges(l, want, 1);
	vfioiommu_iova_list_free(l);
}

static void test_new_bad_input(void **state)
{
	static const struct vfioiommu_iova_range bad[] = { R(0, 1), R(5, 4) };
	vfioiommu_iova_list *l = (void *)1;

	assert_int_equal(vfioiommu_iova_list_new(bad, 1, VFIOIOMMU_IOVA_SRC_USER, NULL), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_new(NULL, 1, VFIOIOMMU_IOVA_SRC_USER, &l), -EINVAL);
	assert_null(l);
	l = (void *)1;
	assert_int_equal(vfioiommu_iova_list_new(bad, 2, VFIOIOMMU_IOVA_SRC_USER, &l), -EINVAL);
	assert_null(l);
	assert_int_equal(vfioiommu_iova_list_new(NULL, 0, VFIOIOMMU_IOVA_SRC_TYPE1_CAP, &l), 0);
	assert_int_equal(vfioiommu_iova_list_count(l), 0);
	assert_int_equal(vfioiommu_iova_list_source(l), VFIOIOMMU_IOVA_SRC_TYPE1_CAP);
	vfioiommu_iova_list_free(l);
	vfioiommu_iova_list_free(NULL);
	assert_int_equal(vfioiommu_iova_list_count(NULL), 0);
}

static void test_get_and_names(void **state)
{
	static const struct vfioiommu_iova_range in[] = { R(1, 2) };
	struct vfioiommu_iova_range r;
	vfioiommu_iova_list *l = mk(in, 1);

	assert_int_equal(vfioiommu_iova_list_get(l, 1, &r), -ERANGE);
	assert_int_equal(vfioiommu_iova_list_get(l, SIZE_MAX, &r), -ERANGE);
	assert_int_equal(vfioiommu_iova_list_get(NULL, 0, &r), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_get(l, 0, NULL), -EINVAL);
	assert_string_equal(vfioiommu_iova_source_name(VFIOIOMMU_IOVA_SRC_USER), "user");
	assert_string_equal(vfioiommu_iova_source_name(VFIOIOMMU_IOVA_SRC_TYPE1_CAP), "type1-cap");
	assert_string_equal(vfioiommu_iova_source_name(VFIOIOMMU_IOVA_SRC_IOAS_RANGES), "ioas-ranges");
	assert_string_equal(vfioiommu_iova_source_name(VFIOIOMMU_IOVA_SRC_SYSFS), "sysfs");
	assert_string_equal(vfioiommu_iova_source_name(VFIOIOMMU_IOVA_SRC_DERIVED), "derived");
	assert_string_equal(vfioiommu_iova_source_name((enum vfioiommu_iova_source)99), "unknown");
	vfioiommu_iova_list_free(l);
}

static void test_set_ops_edges(void **state)
{
	static const struct vfioiommu_iova_range full[] = { R(0, MAX) };
	static const struct vfioiommu_iova_range holes[] = { R(0, 0), R(5, 5), R(MAX, MAX) };
	static const struct vfioiommu_iova_range rest[] = { R(1, 4), R(6, MAX - 1) };
	vfioiommu_iova_list *a = mk(full, 1), *b = mk(holes, 3), *o = NULL, *o2 = NULL;

	assert_int_equal(vfioiommu_iova_list_subtract(a, b, &o), 0);
	expect_ranges(o, rest, 2);
	assert_int_equal(vfioiommu_iova_list_source(o), VFIOIOMMU_IOVA_SRC_DERIVED);
	assert_int_equal(vfioiommu_iova_list_union(o, b, &o2), 0);
	expect_ranges(o2, full, 1);
	vfioiommu_iova_list_free(o2);
	assert_int_equal(vfioiommu_iova_list_intersect(o, b, &o2), 0);
	assert_int_equal(vfioiommu_iova_list_count(o2), 0);
	vfioiommu_iova_list_free(o2);
	assert_int_equal(vfioiommu_iova_list_subtract(a, a, &o2), 0);
	assert_int_equal(vfioiommu_iova_list_count(o2), 0);
	vfioiommu_iova_list_free(o2);
	assert_int_equal(vfioiommu_iova_list_intersect(a, b, &o2), 0);
	expect_ranges(o2, holes, 3);
	assert_int_equal(vfioiommu_iova_list_equal(o2, b), 1);
	assert_int_equal(vfioiommu_iova_list_equal(o2, a), 0);
	vfioiommu_iova_list_free(o2);

	o2 = (void *)1;
	assert_int_equal(vfioiommu_iova_list_union(NULL, b, &o2), -EINVAL);
	assert_null(o2);
	assert_int_equal(vfioiommu_iova_list_intersect(a, NULL, &o2), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_subtract(NULL, NULL, &o2), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_union(a, b, NULL), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_intersect(a, b, NULL), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_subtract(a, b, NULL), -EINVAL);
	/* NULL and an empty list are both the empty set */
	assert_int_equal(vfioiommu_iova_list_new(NULL, 0, VFIOIOMMU_IOVA_SRC_USER, &o2), 0);
	assert_int_equal(vfioiommu_iova_list_equal(NULL, o2), 1);
	assert_int_equal(vfioiommu_iova_list_equal(NULL, a), 0);
	vfioiommu_iova_list_free(o2);
	vfioiommu_iova_list_free(o);
	vfioiommu_iova_list_free(a);
	vfioiommu_iova_list_free(b);
}

static void test_queries(void **state)
{
	static const struct vfioiommu_iova_range in[] = { R(10, 19), R(40, 49), R(MAX - 9, MAX) };
	vfioiommu_iova_list *l = mk(in, 3), *e = mk(NULL, 0);
	size_t near = 77;

	assert_int_equal(vfioiommu_iova_list_contains(l, 10, 19), 1);
	assert_int_equal(vfioiommu_iova_list_contains(l, 10, 20), 0);
	assert_int_equal(vfioiommu_iova_list_contains(l, 9, 9), 0);
	assert_int_equal(vfioiommu_iova_list_contains(l, MAX, MAX), 1);
	assert_int_equal(vfioiommu_iova_list_contains(l, 15, 45), 0);
	assert_int_equal(vfioiommu_iova_list_contains(l, 5, 4), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_contains(NULL, 0, 0), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_contains(e, 0, MAX), 0);

	assert_int_equal(vfioiommu_iova_list_find(l, 12, &near), 0);
	assert_int_equal(near, 0);
	assert_int_equal(vfioiommu_iova_list_find(l, MAX, NULL), 2);
	assert_int_equal(vfioiommu_iova_list_find(l, 0, &near), -ENOENT);
	assert_int_equal(near, 0);
	assert_int_equal(vfioiommu_iova_list_find(l, 29, &near), -ENOENT);
	assert_int_equal(near, 0); /* tie between 19 and 40 is 10 vs 11: 0 is closer */
	assert_int_equal(vfioiommu_iova_list_find(l, 30, &near), -ENOENT);
	assert_int_equal(near, 1);
	assert_int_equal(vfioiommu_iova_list_find(l, MAX - 10, &near), -ENOENT);
	assert_int_equal(near, 2);
	assert_int_equal(vfioiommu_iova_list_find(e, 5, &near), -ENOENT);
	assert_true(near == SIZE_MAX);
	assert_int_equal(vfioiommu_iova_list_find(NULL, 5, &near), -EINVAL);
	vfioiommu_iova_list_free(l);
	vfioiommu_iova_list_free(e);
}

static void test_first_fit_edges(void **state)
{
	static const struct vfioiommu_iova_range top[] = { R(MAX - 0xfff, MAX) };
	static const struct vfioiommu_iova_range full[] = { R(0, MAX) };
	static const struct vfioiommu_iova_range from1[] = { R(1, MAX) };
	static const struct vfioiommu_iova_range two[] = { R(0x1001, 0x2fff), R(0x10000, 0x1ffff) };
	vfioiommu_iova_list *t = mk(top, 1), *f = mk(full, 1), *o = mk(from1, 1), *w = mk(two, 2);
	uint64_t a = 0;

	assert_int_equal(vfioiommu_iova_list_first_fit(t, 0x1000, 0x1000, 0, MAX, &a), 0);
	assert_true(a == MAX - 0xfff);
	/* aligning MAX-0xfff up to 0x2000 overflows: no fit, and no wrap to 0 */
	assert_int_equal(vfioiommu_iova_list_first_fit(t, 1, 0x2000, 0, MAX, &a), -ENOSPC);
	assert_int_equal(vfioiommu_iova_list_first_fit(t, 1, 1ull << 63, 0, MAX, &a), -ENOSPC);
	assert_int_equal(vfioiommu_iova_list_first_fit(t, 0x1001, 0, 0, MAX, &a), -ENOSPC);
	assert_int_equal(vfioiommu_iova_list_first_fit(t, 1, 0, MAX, MAX, &a), 0);
	assert_true(a == MAX);
	/* the whole space but one address */
	assert_int_equal(vfioiommu_iova_list_first_fit(f, MAX, 0, 0, MAX, &a), 0);
	assert_true(a == 0);
	assert_int_equal(vfioiommu_iova_list_first_fit(f, MAX, 0, 1, MAX, &a), 0);
	assert_true(a == 1);
	assert_int_equal(vfioiommu_iova_list_first_fit(f, MAX, 0, 2, MAX, &a), -ENOSPC);
	assert_int_equal(vfioiommu_iova_list_first_fit(o, MAX, 2, 0, MAX, &a), -ENOSPC);
	assert_int_equal(vfioiommu_iova_list_first_fit(f, 1ull << 63, 1ull << 63, 1, MAX, &a), 0);
	assert_true(a == 1ull << 63);
	/* alignment pushes past the first range into the second */
	assert_int_equal(vfioiommu_iova_list_first_fit(w, 0x1000, 0x1000, 0, MAX, &a), 0);
	assert_true(a == 0x2000); /* [0x2000, 0x2fff] fits in the first range */
	assert_int_equal(vfioiommu_iova_list_first_fit(w, 0x2000, 0x1000, 0, MAX, &a), 0);
	assert_true(a == 0x10000);
	assert_int_equal(vfioiommu_iova_list_first_fit(w, 0x1000, 0, 0x1ff00, MAX, &a), -ENOSPC);
	assert_int_equal(vfioiommu_iova_list_first_fit(w, 0x100, 0, 0x1ff00, MAX, &a), 0);
	assert_true(a == 0x1ff00);
	assert_int_equal(vfioiommu_iova_list_first_fit(w, 0x100, 0, 0, 0x100ff, &a), 0);
	assert_true(a == 0x1001);
	assert_int_equal(vfioiommu_iova_list_first_fit(w, 0x2000, 0, 0, 0x100ff, &a), -ENOSPC);

	/* bad arguments */
	assert_int_equal(vfioiommu_iova_list_first_fit(f, 0, 0, 0, MAX, &a), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_first_fit(f, 1, 3, 0, MAX, &a), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_first_fit(f, 1, 0x3000, 0, MAX, &a), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_first_fit(f, 1, 0, 5, 4, &a), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_first_fit(NULL, 1, 0, 0, MAX, &a), -EINVAL);
	assert_int_equal(vfioiommu_iova_list_first_fit(f, 1, 0, 0, MAX, NULL), -EINVAL);
	vfioiommu_iova_list_free(t);
	vfioiommu_iova_list_free(f);
	vfioiommu_iova_list_free(o);
	vfioiommu_iova_list_free(w);
}

/* ---------------- property tests ---------------- */

#define U 160 /* universe size: small enough to check every point */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: fixed seed, so a failure reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

struct model {
	uint64_t base;
	bool in[U];
};

/* Random ranges inside the universe, often overlapping or touching. */
static vfioiommu_iova_list *random_list(uint64_t base, struct model *m)
{
	struct vfioiommu_iova_range r[24];
	size_t n = rnd_below(25);

	m->base = base;
	memset(m->in, 0, sizeof(m->in));
	for (size_t i = 0; i < n; i++) {
		unsigned int s = rnd_below(U), len = rnd_below(rnd_below(4) ? 12 : U);
		unsigned int e = s + len >= U ? U - 1 : s + len;

		r[i].start = base + s;
		r[i].last = base + e;
		for (unsigned int k = s; k <= e; k++)
			m->in[k] = true;
	}
	return mk(n ? r : NULL, n);
}

static void check_canonical(const vfioiommu_iova_list *l, const struct model *m)
{
	size_t n = vfioiommu_iova_list_count(l);
	struct vfioiommu_iova_range prev = { 0, 0 }, r;
	bool seen[U] = { false };

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(vfioiommu_iova_list_get(l, i, &r), 0);
		assert_true(r.start <= r.last);
		assert_true(r.start >= m->base && r.last - m->base < U);
		if (i)
			assert_true(r.start > prev.last + 1); /* sorted, disjoint, not touching */
		for (uint64_t a = r.start - m->base; a <= r.last - m->base; a++)
			seen[a] = true;
		prev = r;
	}
	assert_memory_equal(seen, m->in, sizeof(seen));
}

static void check_queries(const vfioiommu_iova_list *l, const struct model *m)
{
	size_t n = vfioiommu_iova_list_count(l);

	for (unsigned int k = 0; k < U; k++) {
		size_t near = 0, best = SIZE_MAX;
		uint64_t bestd = MAX;
		long idx = vfioiommu_iova_list_find(l, m->base + k, &near);
		struct vfioiommu_iova_range r;

		for (size_t i = 0; i < n; i++) {
			uint64_t d;

			vfioiommu_iova_list_get(l, i, &r);
			d = m->base + k < r.start ? r.start - (m->base + k) :
			    m->base + k > r.last ? (m->base + k) - r.last : 0;
			if (d < bestd) {
				bestd = d;
				best = i;
			}
		}
		if (m->in[k]) {
			assert_true(idx >= 0);
			assert_int_equal((size_t)idx, best);
		} else {
			assert_int_equal(idx, -ENOENT);
		}
		assert_true(near == best);
	}
	for (int t = 0; t < 40; t++) {
		unsigned int s = rnd_below(U), e = s + rnd_below(U - s);
		bool all = true;

		for (unsigned int k = s; k <= e; k++)
			all = all && m->in[k];
		assert_int_equal(vfioiommu_iova_list_contains(l, m->base + s, m->base + e), all);
	}
}

static void check_first_fit(const vfioiommu_iova_list *l, const struct model *m)
{
	static const uint64_t aligns[] = { 0, 1, 2, 4, 8, 16, 64, 1ull << 63 };

	for (int t = 0; t < 40; t++) {
		uint64_t size = rnd_below(8) ? 1 + rnd_below(40) : (rnd_below(2) ? MAX : U + 1);
		uint64_t align = aligns[rnd_below(8)], mask = align > 1 ? align - 1 : 0;
		unsigned int lo = rnd_below(U), hi = lo + rnd_below(U - lo);
		uint64_t got = 0, want = 0;
		bool found = false;
		int rc;

		for (unsigned int a = lo; a <= hi && !found; a++) {
			bool ok = ((m->base + a) & mask) == 0 && size <= (uint64_t)(hi - a) + 1;

			for (uint64_t k = 0; ok && k < size; k++)
				ok = m->in[a + k];
			if (ok) {
				found = true;
				want = m->base + a;
			}
		}
		rc = vfioiommu_iova_list_first_fit(l, size, align, m->base + lo, m->base + hi, &got);
		if (found) {
			assert_int_equal(rc, 0);
			assert_true(got == want);
		} else {
			assert_int_equal(rc, -ENOSPC);
		}
	}
}

static void check_set_ops(const vfioiommu_iova_list *a, const struct model *ma,
			  const vfioiommu_iova_list *b, const struct model *mb)
{
	struct model mu = { ma->base, { false } }, mi = mu, ms = mu;
	vfioiommu_iova_list *u, *i, *s;

	for (unsigned int k = 0; k < U; k++) {
		mu.in[k] = ma->in[k] || mb->in[k];
		mi.in[k] = ma->in[k] && mb->in[k];
		ms.in[k] = ma->in[k] && !mb->in[k];
	}
	assert_int_equal(vfioiommu_iova_list_union(a, b, &u), 0);
	assert_int_equal(vfioiommu_iova_list_intersect(a, b, &i), 0);
	assert_int_equal(vfioiommu_iova_list_subtract(a, b, &s), 0);
	check_canonical(u, &mu);
	check_canonical(i, &mi);
	check_canonical(s, &ms);
	assert_int_equal(vfioiommu_iova_list_equal(a, b), memcmp(ma->in, mb->in, U) == 0);
	assert_int_equal(vfioiommu_iova_list_source(u), VFIOIOMMU_IOVA_SRC_DERIVED);
	vfioiommu_iova_list_free(u);
	vfioiommu_iova_list_free(i);
	vfioiommu_iova_list_free(s);
}

static void property_run(uint64_t base, uint64_t seed)
{
	rng_state = seed;
	for (int iter = 0; iter < 600; iter++) {
		struct model ma, mb;
		vfioiommu_iova_list *a = random_list(base, &ma), *b;

		/* a third of the time b is a copy of a built in another order: equal must say so */
		if (rnd_below(3) == 0) {
			size_t n = vfioiommu_iova_list_count(a);
			struct vfioiommu_iova_range r[2 * 24 + 1];

			for (size_t k = 0; k < n; k++)
				vfioiommu_iova_list_get(a, n - 1 - k, &r[k]);
			b = mk(n ? r : NULL, n);
			mb = ma;
		} else {
			b = random_list(base, &mb);
		}
		check_canonical(a, &ma);
		check_queries(a, &ma);
		check_first_fit(a, &ma);
		check_set_ops(a, &ma, b, &mb);
		check_set_ops(b, &mb, a, &ma);
		vfioiommu_iova_list_free(a);
		vfioiommu_iova_list_free(b);
	}
}

static void test_property_at_zero(void **state)
{
	property_run(0, 0x9e3779b97f4a7c15ull);
}

static void test_property_at_top(void **state)
{
	property_run(MAX - (U - 1), 0xd1b54a32d192ed03ull);
}

static void test_property_unaligned_base(void **state)
{
	/* a base that is not a multiple of any alignment tried, so alignment really moves results */
	property_run(0x123457, 0x94d049bb133111ebull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_coalesces),
		cmocka_unit_test(test_new_full_space),
		cmocka_unit_test(test_new_bad_input),
		cmocka_unit_test(test_get_and_names),
		cmocka_unit_test(test_set_ops_edges),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_first_fit_edges),
		cmocka_unit_test(test_property_at_zero),
		cmocka_unit_test(test_property_at_top),
		cmocka_unit_test(test_property_unaligned_base),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
