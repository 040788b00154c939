/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Reserved regions without a kernel: the sysfs parser on good and malformed
 * text, the merge rule, the usable space (with the direct-relaxable
 * exception) against a point model, set_new/set_merge/usable against
 * quadratic reference models on thousands of random cases, and the
 * prediction/kernel comparison.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/resv.h>

#define MAX UINT64_MAX

static vfioiommu_resv_set *parse_ok(const char *text, unsigned int group)
{
	vfioiommu_resv_set *s = NULL;
	char err[256];
	int rc = vfioiommu_resv_parse(text, strlen(text), group, "t", &s, err, sizeof(err));

	if (rc)
		fail_msg("parse failed (%d): %s", rc, err);
	assert_non_null(s);
	return s;
}

static void expect_region(const vfioiommu_resv_set *s, size_t i, uint64_t start, uint64_t last,
			  enum vfioiommu_resv_type t, unsigned int group)
{
	struct vfioiommu_resv_region r;

	assert_int_equal(vfioiommu_resv_set_get(s, i, &r), 0);
	if (r.start != start || r.last != last || r.type != t || r.group != group)
		fail_msg("region %zu: got 0x%llx-0x%llx %s group %u, want 0x%llx-0x%llx %s group %u", i,
			 (unsigned long long)r.start, (unsigned long long)r.last, vfioiommu_resv_type_name(r.type),
			 r.group, (unsigned long long)start, (unsigned long long)last,
			 vfioiommu_resv_type_name(t), group);
}

static void expect_ranges(const vfioiommu_iova_list *l, const struct vfioiommu_iova_range *r, size_t n)
{
	struct vfioiommu_iova_range got;

	assert_int_equal(vfioiommu_iova_list_count(l), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(vfioiommu_iova_list_get(l, i, &got), 0);
		if (got.start != r[i].start || got.last != r[i].last)
			fail_msg("range %zu: got 0x%llx-0x%llx, want 0x%llx-0x%llx", i,
				 (unsigned long long)got.start, (unsigned long long)got.last,
				 (unsigned long long)r[i].start, (unsigned long long)r[i].last);
	}
}

/* ---------------- parser ---------------- */

static void test_parse_kernel_format(void **state)
{
	/* what an AMD host with a USB RMRR prints, in the kernel's order */
	vfioiommu_resv_set *s = parse_ok("0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
					 "0x000000007d000000 0x000000007d0fffff direct\n"
					 "0x00000000fee00000 0x00000000feefffff msi\n"
					 "0x000000fd00000000 0x000000ffffffffff reserved\n", 12);

	assert_int_equal(vfioiommu_resv_set_count(s), 4);
	expect_region(s, 0, 0, 0xffffff, VFIOIOMMU_RESV_DIRECT_RELAXABLE, 12);
	expect_region(s, 1, 0x7d000000, 0x7d0fffff, VFIOIOMMU_RESV_DIRECT, 12);
	expect_region(s, 2, 0xfee00000, 0xfeefffff, VFIOIOMMU_RESV_MSI, 12);
	expect_region(s, 3, 0xfd00000000, 0xffffffffff, VFIOIOMMU_RESV_RESERVED, 12);
	vfioiommu_resv_set_free(s);
}

static void test_parse_lenient(void **state)
{
	vfioiommu_resv_set *s = parse_ok("0xFEE00000\t0xfeeFFFFF  msi \t\n"
					 "0x0 0xffffffffffffffff reserved", 1);

	assert_int_equal(vfioiommu_resv_set_count(s), 2);
	expect_region(s, 0, 0, MAX, VFIOIOMMU_RESV_RESERVED, 1);
	expect_region(s, 1, 0xfee00000, 0xfeefffff, VFIOIOMMU_RESV_MSI, 1);
	vfioiommu_resv_set_free(s);

	s = parse_ok("", 1);
	assert_int_equal(vfioiommu_resv_set_count(s), 0);
	vfioiommu_resv_set_free(s);
	assert_int_equal(vfioiommu_resv_parse(NULL, 0, 1, NULL, &s, NULL, 0), 0);
	assert_int_equal(vfioiommu_resv_set_count(s), 0);
	vfioiommu_resv_set_free(s);
}

static const struct bad_case {
	const char *text;
	size_t len; /* 0: strlen */
	unsigned int line;
	const char *word;
} bad_cases[] = {
	{ "0x1 0x2\n", 0, 1, "missing the region type" },
	{ "0x1 0x2 \n", 0, 1, "missing the region type" },
	{ "0x1\n", 0, 1, "missing the end" },
	{ "0x1 0x2 msi\n0x1\n", 0, 2, "missing the end" },
	{ "0x10 0x5 msi\n", 0, 1, "above end" },
	{ "0xzz 0x5 msi\n", 0, 1, "start address" },
	{ "10 0x5 msi\n", 0, 1, "start address must be 0x" },
	{ "0x 0x5 msi\n", 0, 1, "not a hexadecimal" },
	{ "0x1x 0x5 msi\n", 0, 1, "not a hexadecimal" },
	{ "0x1 5 msi\n", 0, 1, "end address must be 0x" },
	{ "0x1 0x5g msi\n", 0, 1, "end address is not" },
	{ "0x1 0x2 msi junk\n", 0, 1, "after the region type" },
	{ "0x1 0x2 msix\n", 0, 1, "unknown region type \"msix\"" },
	{ "0x1 0x2 sw_msi\n", 0, 1, "unknown region type" },
	{ "0x1 0x2 MSI\n", 0, 1, "unknown region type" },
	{ "0x1 0x2 msi\r\n", 0, 1, "unknown region type" },
	{ "0x1 0x2 msi\n\n0x3 0x4 msi\n", 0, 2, "empty line" },
	{ "\n", 0, 1, "empty line" },
	{ " 0x1 0x2 msi\n", 0, 1, "start address" },
	{ "0x10000000000000000 0x1 msi\n", 0, 1, "more than 16" },
	{ "0x1 0x00000000000000001 msi\n", 0, 1, "more than 16" },
	{ "0x1 0x2 m\0si\n", 12, 1, "NUL" },
	{ "0x1 0x2 msi\n0x3 0x4 direct\n0x5 0x6 direct-relaxed\n", 0, 3, "direct-relaxed" },
	{ "0x1 0x2 msi\n0x3", 0, 2, "missing the end" },
};

static void test_parse_malformed(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		vfioiommu_resv_set *s = (void *)1;
		char err[256], want[64];
		size_t len = c->len ? c->len : strlen(c->text);

		assert_int_equal(vfioiommu_resv_parse(c->text, len, 4, "/sys/kernel/iommu_groups/4/reserved_regions",
						      &s, err, sizeof(err)), -EINVAL);
		assert_null(s);
		snprintf(want, sizeof(want), "/sys/kernel/iommu_groups/4/reserved_regions:%u: ", c->line);
		if (strncmp(err, want, strlen(want)) || !strstr(err, c->word))
			fail_msg("case %zu: message \"%s\" lacks \"%s\" or \"%s\"", i, err, want, c->word);
	}
}

static void test_parse_bad_args(void **state)
{
	vfioiommu_resv_set *s = (void *)1;
	char err[8];

	assert_int_equal(vfioiommu_resv_parse("0x1 0x2 msi\n", 12, 0, NULL, NULL, NULL, 0), -EINVAL);
	assert_int_equal(vfioiommu_resv_parse(NULL, 5, 0, NULL, &s, NULL, 0), -EINVAL);
	assert_null(s);
	/* NULL filename: a default name; a tiny buffer: cut, still terminated */
	assert_int_equal(vfioiommu_resv_parse("bad\n", 4, 0, NULL, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "reserve");
	assert_int_equal(vfioiommu_resv_parse("bad\n", 4, 0, NULL, &s, NULL, 0), -EINVAL);
	/* the parser stops at len: the rest of the buffer is not read */
	assert_int_equal(vfioiommu_resv_parse("0x1 0x2 msi\ngarbage", 12, 0, NULL, &s, NULL, 0), 0);
	assert_int_equal(vfioiommu_resv_set_count(s), 1);
	vfioiommu_resv_set_free(s);
}

/* ---------------- merge rule ---------------- */

static void test_parse_merges_within_group(void **state)
{
	vfioiommu_resv_set *s = parse_ok("0x0 0xfff direct\n"
					 "0x1000 0x1fff direct\n"
					 "0x1800 0x2fff msi\n"
					 "0x2000 0x2fff msi\n"
					 "0x4000 0x4fff direct\n", 2);

	assert_int_equal(vfioiommu_resv_set_count(s), 3);
	expect_region(s, 0, 0, 0x1fff, VFIOIOMMU_RESV_DIRECT, 2);
	expect_region(s, 1, 0x1800, 0x2fff, VFIOIOMMU_RESV_MSI, 2);
	expect_region(s, 2, 0x4000, 0x4fff, VFIOIOMMU_RESV_DIRECT, 2);
	vfioiommu_resv_set_free(s);
}

static void test_set_new_rules(void **state)
{
	static const struct vfioiommu_resv_region in[] = {
		{ 0x100, 0x1ff, VFIOIOMMU_RESV_DIRECT, 1 },
		{ 0x200, 0x2ff, VFIOIOMMU_RESV_DIRECT, 1 },           /* touches: merged */
		{ 0x180, 0x280, VFIOIOMMU_RESV_DIRECT_RELAXABLE, 1 }, /* other type: kept */
		{ 0x100, 0x1ff, VFIOIOMMU_RESV_DIRECT, 2 },           /* other group: kept */
		{ 0x301, 0x3ff, VFIOIOMMU_RESV_DIRECT, 1 },           /* gap of one: kept */
		{ MAX - 1, MAX, VFIOIOMMU_RESV_RESERVED, 1 },
		{ MAX, MAX, VFIOIOMMU_RESV_RESERVED, 1 },             /* inside: merged, no wrap */
		{ 0x100, 0x1ff, VFIOIOMMU_RESV_SW_MSI, 1 },
		{ 0x100, 0x1ff, VFIOIOMMU_RESV_MSI, 1 },              /* MSI and SW_MSI stay apart */
	};
	vfioiommu_resv_set *s = NULL;
	struct vfioiommu_resv_region r;

	assert_int_equal(vfioiommu_resv_set_new(in, sizeof(in) / sizeof(in[0]), &s), 0);
	assert_int_equal(vfioiommu_resv_set_count(s), 7);
	expect_region(s, 0, 0x100, 0x2ff, VFIOIOMMU_RESV_DIRECT, 1);
	expect_region(s, 1, 0x100, 0x1ff, VFIOIOMMU_RESV_DIRECT, 2);
	expect_region(s, 2, 0x100, 0x1ff, VFIOIOMMU_RESV_MSI, 1);
	expect_region(s, 3, 0x100, 0x1ff, VFIOIOMMU_RESV_SW_MSI, 1);
	expect_region(s, 4, 0x180, 0x280, VFIOIOMMU_RESV_DIRECT_RELAXABLE, 1);
	expect_region(s, 5, 0x301, 0x3ff, VFIOIOMMU_RESV_DIRECT, 1);
	expect_region(s, 6, MAX - 1, MAX, VFIOIOMMU_RESV_RESERVED, 1);
	assert_int_equal(vfioiommu_resv_set_get(s, 7, &r), -ERANGE);
	assert_int_equal(vfioiommu_resv_set_get(NULL, 0, &r), -EINVAL);
	assert_int_equal(vfioiommu_resv_set_get(s, 0, NULL), -EINVAL);
	vfioiommu_resv_set_free(s);
}

static void test_set_new_bad(void **state)
{
	struct vfioiommu_resv_region r = { 5, 4, VFIOIOMMU_RESV_MSI, 0 };
	vfioiommu_resv_set *s = (void *)1;

	assert_int_equal(vfioiommu_resv_set_new(&r, 1, &s), -EINVAL);
	assert_null(s);
	r.last = 5;
	r.type = (enum vfioiommu_resv_type)9;
	assert_int_equal(vfioiommu_resv_set_new(&r, 1, &s), -EINVAL);
	assert_int_equal(vfioiommu_resv_set_new(NULL, 1, &s), -EINVAL);
	assert_int_equal(vfioiommu_resv_set_new(&r, 0, NULL), -EINVAL);
	assert_int_equal(vfioiommu_resv_set_new(NULL, 0, &s), 0);
	assert_int_equal(vfioiommu_resv_set_count(s), 0);
	vfioiommu_resv_set_free(s);
	vfioiommu_resv_set_free(NULL);
	assert_int_equal(vfioiommu_resv_set_count(NULL), 0);
}

static void test_set_merge_groups(void **state)
{
	vfioiommu_resv_set *a = parse_ok("0x00000000fee00000 0x00000000feefffff msi\n", 3);
	vfioiommu_resv_set *b = parse_ok("0x00000000fee00000 0x00000000feefffff msi\n"
					 "0x000000007d000000 0x000000007d0fffff direct\n", 6);
	const vfioiommu_resv_set *both[] = { a, NULL, b, a };
	vfioiommu_resv_set *m = NULL;

	assert_int_equal(vfioiommu_resv_set_merge(both, 4, &m), 0);
	/* a twice: its copies are the same type and group, so they merge */
	assert_int_equal(vfioiommu_resv_set_count(m), 3);
	expect_region(m, 0, 0x7d000000, 0x7d0fffff, VFIOIOMMU_RESV_DIRECT, 6);
	expect_region(m, 1, 0xfee00000, 0xfeefffff, VFIOIOMMU_RESV_MSI, 3);
	expect_region(m, 2, 0xfee00000, 0xfeefffff, VFIOIOMMU_RESV_MSI, 6);
	vfioiommu_resv_set_free(m);
	assert_int_equal(vfioiommu_resv_set_merge(NULL, 0, &m), 0);
	assert_int_equal(vfioiommu_resv_set_count(m), 0);
	vfioiommu_resv_set_free(m);
	assert_int_equal(vfioiommu_resv_set_merge(NULL, 1, &m), -EINVAL);
	assert_int_equal(vfioiommu_resv_set_merge(both, 1, NULL), -EINVAL);
	vfioiommu_resv_set_free(a);
	vfioiommu_resv_set_free(b);
}

/* ---------------- usable space ---------------- */

static void test_usable_real_hosts(void **state)
{
	/* the VM showed exactly these ranges from type1 and iommufd for an intel-iommu group */
	static const struct vfioiommu_iova_range intel[] = { { 0, 0xfedfffff }, { 0xfef00000, 0x7fffffffff } };
	static const struct vfioiommu_iova_range amd[] = {
		{ 0, 0xfedfffff }, { 0xfef00000, 0xfcffffffff }, { 0x10000000000, 0xffffffffffff } };
	vfioiommu_resv_set *s = parse_ok("0x00000000fee00000 0x00000000feefffff msi\n", 3);
	vfioiommu_iova_list *u = NULL;

	assert_int_equal(vfioiommu_resv_usable(s, 0, (1ull << 39) - 1, &u), 0);
	expect_ranges(u, intel, 2);
	assert_int_equal(vfioiommu_iova_list_source(u), VFIOIOMMU_IOVA_SRC_SYSFS);
	vfioiommu_iova_list_free(u);
	vfioiommu_resv_set_free(s);

	s = parse_ok("0x00000000fee00000 0x00000000feefffff msi\n"
		     "0x000000fd00000000 0x000000ffffffffff reserved\n", 4);
	assert_int_equal(vfioiommu_resv_usable(s, 0, (1ull << 48) - 1, &u), 0);
	expect_ranges(u, amd, 3);
	vfioiommu_iova_list_free(u);
	vfioiommu_resv_set_free(s);
}

static void test_usable_relaxable_and_edges(void **state)
{
	static const struct vfioiommu_iova_range w1[] = { { 0, 0x7cffffff }, { 0x7d100000, 0xffffffff } };
	static const struct vfioiommu_iova_range w2[] = { { 1, MAX - 1 } };
	vfioiommu_resv_set *s = parse_ok("0x0 0xffffff direct-relaxable\n"
					 "0x7d000000 0x7d0fffff direct\n"
					 "0x7d000000 0x7d07ffff direct-relaxable\n", 7);
	vfioiommu_iova_list *u = NULL;

	/* relaxable regions stay usable, even where they overlap a direct one */
	assert_int_equal(vfioiommu_resv_usable(s, 0, 0xffffffff, &u), 0);
	expect_ranges(u, w1, 2);
	vfioiommu_iova_list_free(u);
	/* an aperture entirely inside a region: nothing usable */
	assert_int_equal(vfioiommu_resv_usable(s, 0x7d000100, 0x7d000200, &u), 0);
	assert_int_equal(vfioiommu_iova_list_count(u), 0);
	vfioiommu_iova_list_free(u);
	vfioiommu_resv_set_free(s);

	s = parse_ok("0x0 0x0 reserved\n0xffffffffffffffff 0xffffffffffffffff msi\n", 1);
	assert_int_equal(vfioiommu_resv_usable(s, 0, MAX, &u), 0);
	expect_ranges(u, w2, 1);
	vfioiommu_iova_list_free(u);
	assert_int_equal(vfioiommu_resv_usable(s, MAX, MAX, &u), 0);
	assert_int_equal(vfioiommu_iova_list_count(u), 0);
	vfioiommu_iova_list_free(u);
	assert_int_equal(vfioiommu_resv_usable(s, 5, 4, &u), -EINVAL);
	assert_null(u);
	assert_int_equal(vfioiommu_resv_usable(NULL, 0, 4, &u), -EINVAL);
	assert_int_equal(vfioiommu_resv_usable(s, 0, 4, NULL), -EINVAL);
	vfioiommu_resv_set_free(s);
}

#define U 128

static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static void usable_property(uint64_t base)
{
	for (int iter = 0; iter < 2000; iter++) {
		struct vfioiommu_resv_region r[20];
		bool usable[U];
		size_t n = rnd() % 21;
		unsigned int as = (unsigned int)(rnd() % U), al = as + (unsigned int)(rnd() % (U - as));
		vfioiommu_resv_set *s = NULL;
		vfioiommu_iova_list *u = NULL;

		for (unsigned int k = 0; k < U; k++)
			usable[k] = k >= as && k <= al;
		for (size_t i = 0; i < n; i++) {
			unsigned int st = (unsigned int)(rnd() % U), len = (unsigned int)(rnd() % 20);
			unsigned int la = st + len >= U ? U - 1 : st + len;

			r[i].start = base + st;
			r[i].last = base + la;
			r[i].type = (enum vfioiommu_resv_type)(rnd() % 5);
			r[i].group = (unsigned int)(rnd() % 3);
			if (r[i].type != VFIOIOMMU_RESV_DIRECT_RELAXABLE)
				for (unsigned int k = st; k <= la; k++)
					usable[k] = false;
		}
		assert_int_equal(vfioiommu_resv_set_new(r, n, &s), 0);
		assert_int_equal(vfioiommu_resv_usable(s, base + as, base + al, &u), 0);
		for (unsigned int k = 0; k < U; k++) {
			long idx = vfioiommu_iova_list_find(u, base + k, NULL);
			if ((idx >= 0) != usable[k])
				fail_msg("iter %d point %u: usable %d, got %ld", iter, k, usable[k], idx);
		}
		vfioiommu_iova_list_free(u);
		vfioiommu_resv_set_free(s);
	}
}

static void test_usable_property(void **state)
{
	usable_property(0);
	usable_property(MAX - (U - 1));
}

/* ---------------- large sets against a naive reference ---------------- */

static int ref_cmp(const void *x, const void *y)
{
	const struct vfioiommu_resv_region *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return (a->last > b->last) - (a->last < b->last);
}

/* Quadratic but obviously right: merge any same-key overlapping pair until none is left. */
static size_t ref_normalize(struct vfioiommu_resv_region *r, size_t n)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			for (size_t j = i + 1; j < n; j++) {
				struct vfioiommu_resv_region *a = &r[i], *b = &r[j];
				uint64_t lo = a->start < b->start ? a->start : b->start;
				uint64_t hi_start = a->start < b->start ? b->start : a->start;
				uint64_t lo_last = a->start < b->start ? a->last : b->last;

				if (a->type != b->type || a->group != b->group ||
				    (lo_last != MAX && hi_start > lo_last + 1))
					continue;
				a->start = lo;
				a->last = a->last > b->last ? a->last : b->last;
				r[j--] = r[--n];
				changed = true;
			}
		}
	}
	qsort(r, n, sizeof(*r), ref_cmp);
	return n;
}

static void test_set_large_matches_reference(void **state)
{
	static struct vfioiommu_resv_region in[1500], ref[1500];

	for (int iter = 0; iter < 12; iter++) {
		/* small coordinates and few keys: many merges; some near 2^64 and group numbers over 255 */
		uint64_t base = iter % 3 == 2 ? MAX - 0x100000 : (uint64_t)iter << 40;
		size_t n = 300 + (size_t)(rnd() % 1200);
		vfioiommu_resv_set *s = NULL;
		size_t m;

		for (size_t i = 0; i < n; i++) {
			uint64_t st = rnd() % 0xf0000, len = rnd() % 0x800;

			in[i].start = base + st;
			in[i].last = base + st + len;
			in[i].type = (enum vfioiommu_resv_type)(rnd() % 5);
			in[i].group = (unsigned int)(rnd() % 4) * (iter % 2 ? 1000003u : 1u);
		}
		memcpy(ref, in, n * sizeof(in[0]));
		m = ref_normalize(ref, n);
		assert_int_equal(vfioiommu_resv_set_new(in, n, &s), 0);
		assert_int_equal(vfioiommu_resv_set_count(s), m);
		for (size_t i = 0; i < m; i++)
			expect_region(s, i, ref[i].start, ref[i].last, ref[i].type, ref[i].group);
		vfioiommu_resv_set_free(s);
	}
}

/* ---------------- merge and usable against the reference, random shapes ---------------- */

/*
 * Each shape stresses the sort or the merge: a dense small space (merges,
 * touches, gaps of one), both ends of the 64-bit space (no wrap at
 * UINT64_MAX), starts spread over all 64 bits with clumps at both ends,
 * pages like a real host, one start shared by many regions (long ties in set
 * order), a chain where each region touches the one before (long merges),
 * and two clumps far apart.
 */
enum shape { SH_DENSE, SH_EDGES, SH_WIDE, SH_PAGES, SH_SAME_START, SH_CHAIN, SH_CLUMPS, SH_COUNT };

static struct vfioiommu_resv_region gen_region(enum shape sh, size_t i, unsigned int ngroups, bool spread_groups)
{
	struct vfioiommu_resv_region r;
	unsigned int g = (unsigned int)(rnd() % ngroups);
	uint64_t st = 0, len = 0;

	switch (sh) {
	case SH_DENSE:
		st = rnd() % 4096;
		len = rnd() % 48;
		break;
	case SH_EDGES:
		st = rnd() % 2 ? rnd() % 512 : MAX - rnd() % 512;
		len = rnd() % 64;
		break;
	case SH_WIDE:
		switch (rnd() % 4) {
		case 0: st = rnd(); break;
		case 1: st = rnd() % 64; break;
		case 2: st = MAX - rnd() % 64; break;
		default: st = (rnd() % 64) << 40; break;
		}
		len = rnd() % 2 ? rnd() % 16 : rnd() >> (rnd() % 64);
		break;
	case SH_PAGES:
		st = (rnd() % (1ull << 48)) & ~0xfffull;
		len = (0x1000ull << (rnd() % 9)) - 1;
		break;
	case SH_SAME_START:
		st = 0xfee00000 + (rnd() % 4 ? 0 : 0x1000 * (rnd() % 3));
		len = rnd() % 0x100000;
		break;
	case SH_CHAIN:
		st = (uint64_t)i * 16 + rnd() % 8;
		len = 16 + rnd() % 8;
		break;
	case SH_CLUMPS:
		st = (rnd() % 2 ? 0x7000000000000000ull : 0x7000010000000000ull) + (rnd() % 4096) * 8;
		len = rnd() % 64;
		break;
	case SH_COUNT:
		break;
	}
	if (len > MAX - st)
		len = MAX - st;
	r.start = st;
	r.last = st + len;
	r.type = (enum vfioiommu_resv_type)(rnd() % 5);
	r.group = spread_groups ? UINT32_MAX - g * 1000003u : g;
	return r;
}

/* The aperture minus each counted region in turn: O(n * ranges), no sorting, no sweep. */
static size_t ref_usable(const struct vfioiommu_resv_region *r, size_t n, uint64_t as, uint64_t al,
			 struct vfioiommu_iova_range *out, struct vfioiommu_iova_range *tmp)
{
	size_t k = 1;

	out[0].start = as;
	out[0].last = al;
	for (size_t i = 0; i < n; i++) {
		size_t t = 0;

		if (r[i].type == VFIOIOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		for (size_t j = 0; j < k; j++) {
			if (r[i].last < out[j].start || r[i].start > out[j].last) {
				tmp[t++] = out[j];
				continue;
			}
			if (out[j].start < r[i].start)
				tmp[t++] = (struct vfioiommu_iova_range){ out[j].start, r[i].start - 1 };
			if (r[i].last < out[j].last)
				tmp[t++] = (struct vfioiommu_iova_range){ r[i].last + 1, out[j].last };
		}
		memcpy(out, tmp, t * sizeof(*out));
		k = t;
	}
	return k;
}

static void expect_set(const vfioiommu_resv_set *s, const struct vfioiommu_resv_region *ref, size_t m,
		       const char *what, int iter)
{
	struct vfioiommu_resv_region got;

	if (vfioiommu_resv_set_count(s) != m)
		fail_msg("case %d (%s): %zu regions, the reference has %zu", iter, what,
			 vfioiommu_resv_set_count(s), m);
	for (size_t i = 0; i < m; i++) {
		assert_int_equal(vfioiommu_resv_set_get(s, i, &got), 0);
		if (got.start != ref[i].start || got.last != ref[i].last || got.type != ref[i].type ||
		    got.group != ref[i].group)
			fail_msg("case %d (%s) region %zu: got 0x%llx-0x%llx %s group %u, want 0x%llx-0x%llx %s group %u",
				 iter, what, i, (unsigned long long)got.start, (unsigned long long)got.last,
				 vfioiommu_resv_type_name(got.type), got.group, (unsigned long long)ref[i].start,
				 (unsigned long long)ref[i].last, vfioiommu_resv_type_name(ref[i].type), ref[i].group);
	}
}

static void expect_usable(const vfioiommu_resv_set *s, uint64_t as, uint64_t al,
			  const struct vfioiommu_iova_range *ref, size_t k, const char *what, int iter)
{
	vfioiommu_iova_list *u = NULL;
	struct vfioiommu_iova_range got;

	assert_int_equal(vfioiommu_resv_usable(s, as, al, &u), 0);
	if (vfioiommu_iova_list_count(u) != k)
		fail_msg("case %d (%s) aperture 0x%llx-0x%llx: %zu usable ranges, the reference has %zu", iter, what,
			 (unsigned long long)as, (unsigned long long)al, vfioiommu_iova_list_count(u), k);
	for (size_t i = 0; i < k; i++) {
		assert_int_equal(vfioiommu_iova_list_get(u, i, &got), 0);
		if (got.start != ref[i].start || got.last != ref[i].last)
			fail_msg("case %d (%s) usable range %zu: got 0x%llx-0x%llx, want 0x%llx-0x%llx", iter, what, i,
				 (unsigned long long)got.start, (unsigned long long)got.last,
				 (unsigned long long)ref[i].start, (unsigned long long)ref[i].last);
	}
	vfioiommu_iova_list_free(u);
}

#define PROP_CASES 3000
#define PROP_MAX 3000

/*
 * Random cases, small and large, built three ways: one
 * vfioiommu_resv_set_new, and vfioiommu_resv_set_merge of the input cut into
 * sets (random pieces in random order with NULL and empty entries, or one
 * large set beside many one-region sets), all against the quadratic
 * reference; then the usable space of each for a few apertures.
 */
static void test_merge_usable_property(void **state)
{
	static struct vfioiommu_resv_region in[PROP_MAX], ref[PROP_MAX], piece[PROP_MAX];
	static struct vfioiommu_iova_range ru[PROP_MAX + 2], rtmp[PROP_MAX + 2];
	static vfioiommu_resv_set *parts[2 * PROP_MAX];

	for (int iter = 0; iter < PROP_CASES; iter++) {
		enum shape sh = (enum shape)(iter % SH_COUNT);
		unsigned int size_class = (unsigned int)(rnd() % 100);
		size_t n = size_class < 75 ? rnd() % 41 : size_class < 98 ? 256 + rnd() % 500 : 1500 + rnd() % 1500;
		unsigned int ngroups = sh == SH_CHAIN || rnd() % 2 ? (unsigned int)n + 1 : 1 + (unsigned int)(rnd() % 4);
		bool spread = rnd() % 2, one_big = n >= 1500 && rnd() % 2;
		vfioiommu_resv_set *s = NULL, *merged = NULL;
		size_t m, nparts = 0, k;

		for (size_t i = 0; i < n; i++)
			in[i] = gen_region(sh, i, ngroups, spread);
		if (sh == SH_CHAIN && rnd() % 2) /* the chain in reverse: every run and cluster out of input order */
			for (size_t i = 0; i < n / 2; i++) {
				struct vfioiommu_resv_region t = in[i];
				in[i] = in[n - 1 - i];
				in[n - 1 - i] = t;
			}
		memcpy(ref, in, n * sizeof(in[0]));
		m = ref_normalize(ref, n);

		assert_int_equal(vfioiommu_resv_set_new(in, n, &s), 0);
		expect_set(s, ref, m, "set_new", iter);

		for (size_t i = 0; i < n;) {
			size_t len = one_big ? (i == 0 ? n / 2 : 1) : 1 + rnd() % (n / 4 + 1);

			if (len > n - i)
				len = n - i;
			if (rnd() % 8 == 0) { /* NULL and empty sets count as empty */
				parts[nparts] = NULL;
				if (rnd() % 2)
					assert_int_equal(vfioiommu_resv_set_new(NULL, 0, &parts[nparts]), 0);
				nparts++;
			}
			memcpy(piece, in + i, len * sizeof(in[0]));
			assert_int_equal(vfioiommu_resv_set_new(piece, len, &parts[nparts]), 0);
			nparts++;
			i += len;
		}
		for (size_t i = nparts; i > 1; i--) {
			size_t j = rnd() % i;
			vfioiommu_resv_set *t = parts[i - 1];
			parts[i - 1] = parts[j];
			parts[j] = t;
		}
		assert_int_equal(vfioiommu_resv_set_merge((const vfioiommu_resv_set *const *)parts, nparts, &merged), 0);
		expect_set(merged, ref, m, one_big ? "set_merge, one big set" : "set_merge", iter);

		for (int a = 0; a < 3; a++) {
			uint64_t as = 0, al = MAX;

			if (a == 1) {
				as = n ? in[rnd() % n].start : 0;
				al = n ? in[rnd() % n].last : MAX;
			} else if (a == 2) {
				as = rnd() % 2 ? rnd() % 1024 : rnd();
				al = rnd() % 2 ? MAX - rnd() % 1024 : rnd();
			}
			if (as > al) {
				uint64_t t = as;
				as = al;
				al = t;
			}
			k = ref_usable(in, n, as, al, ru, rtmp);
			expect_usable(s, as, al, ru, k, "set_new", iter);
			expect_usable(merged, as, al, ru, k, "set_merge", iter);
		}
		for (size_t i = 0; i < nparts; i++)
			vfioiommu_resv_set_free(parts[i]);
		vfioiommu_resv_set_free(s);
		vfioiommu_resv_set_free(merged);
	}
}

/* ---------------- comparison ---------------- */

static void test_compare(void **state)
{
	static const struct vfioiommu_iova_range kernel_r[] = { { 0, 0xfedfffff }, { 0xfef00000, 0x7fffffffff } };
	static const struct vfioiommu_iova_range gone[] = { { 0, 0xffffff } };
	/* a prediction that wrongly carved out a direct-relaxable region */
	vfioiommu_resv_set *wrong = parse_ok("0x0 0xffffff reserved\n0xfee00000 0xfeefffff msi\n", 7);
	vfioiommu_resv_set *right = parse_ok("0x0 0xffffff direct-relaxable\n0xfee00000 0xfeefffff msi\n", 7);
	vfioiommu_iova_list *k = NULL, *pw = NULL, *pr = NULL, *op = NULL, *ok = NULL;

	assert_int_equal(vfioiommu_iova_list_new(kernel_r, 2, VFIOIOMMU_IOVA_SRC_TYPE1_CAP, &k), 0);
	assert_int_equal(vfioiommu_resv_usable(wrong, 0, 0x7fffffffff, &pw), 0);
	assert_int_equal(vfioiommu_resv_usable(right, 0, 0x7fffffffff, &pr), 0);

	assert_int_equal(vfioiommu_resv_compare(pr, k, &op, &ok), 0);
	assert_int_equal(vfioiommu_iova_list_count(op), 0);
	assert_int_equal(vfioiommu_iova_list_count(ok), 0);
	vfioiommu_iova_list_free(op);
	vfioiommu_iova_list_free(ok);

	assert_int_equal(vfioiommu_resv_compare(pw, k, &op, &ok), 1);
	assert_int_equal(vfioiommu_iova_list_count(op), 0);
	expect_ranges(ok, gone, 1);
	vfioiommu_iova_list_free(op);
	vfioiommu_iova_list_free(ok);

	assert_int_equal(vfioiommu_resv_compare(k, pw, NULL, &ok), 1);
	assert_int_equal(vfioiommu_iova_list_count(ok), 0);
	vfioiommu_iova_list_free(ok);
	assert_int_equal(vfioiommu_resv_compare(k, pw, NULL, NULL), 1);
	assert_int_equal(vfioiommu_resv_compare(k, k, NULL, NULL), 0);

	op = ok = (void *)1;
	assert_int_equal(vfioiommu_resv_compare(NULL, k, &op, &ok), -EINVAL);
	assert_null(op);
	assert_null(ok);
	assert_int_equal(vfioiommu_resv_compare(k, NULL, NULL, NULL), -EINVAL);
	vfioiommu_iova_list_free(k);
	vfioiommu_iova_list_free(pw);
	vfioiommu_iova_list_free(pr);
	vfioiommu_resv_set_free(wrong);
	vfioiommu_resv_set_free(right);
}

static void test_names(void **state)
{
	assert_string_equal(vfioiommu_resv_type_name(VFIOIOMMU_RESV_DIRECT), "direct");
	assert_string_equal(vfioiommu_resv_type_name(VFIOIOMMU_RESV_DIRECT_RELAXABLE), "direct-relaxable");
	assert_string_equal(vfioiommu_resv_type_name(VFIOIOMMU_RESV_RESERVED), "reserved");
	assert_string_equal(vfioiommu_resv_type_name(VFIOIOMMU_RESV_MSI), "msi");
	assert_string_equal(vfioiommu_resv_type_name(VFIOIOMMU_RESV_SW_MSI), "sw_msi");
	assert_string_equal(vfioiommu_resv_type_name((enum vfioiommu_resv_type)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_kernel_format),
		cmocka_unit_test(test_parse_lenient),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_bad_args),
		cmocka_unit_test(test_parse_merges_within_group),
		cmocka_unit_test(test_set_new_rules),
		cmocka_unit_test(test_set_new_bad),
		cmocka_unit_test(test_set_merge_groups),
		cmocka_unit_test(test_usable_real_hosts),
		cmocka_unit_test(test_usable_relaxable_and_edges),
		cmocka_unit_test(test_usable_property),
		cmocka_unit_test(test_set_large_matches_reference),
		cmocka_unit_test(test_merge_usable_property),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
