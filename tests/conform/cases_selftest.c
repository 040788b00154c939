/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * IOMMUFD_TEST (FACTS.md section f): the kernel's own mock IOMMU domain, whose
 * aperture [0x1000000, 0x7fffffff] and reserved-range injection exercise
 * range code in ways the VM's real IOMMUs cannot.  Real kernel only: the
 * mock kernel has no IOMMU_TEST_CMD.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conform.h"

#define F (KABI_IOMMU_IOAS_MAP_FIXED_IOVA | KABI_IOMMU_IOAS_MAP_READABLE | KABI_IOMMU_IOAS_MAP_WRITEABLE)
#define NO_TEST_CMD "mock lacks IOMMU_TEST_CMD (CONFIG_IOMMUFD_TEST)"

static const struct kabi_iommu_iova_range mock_aperture = { 0x1000000, 0x7fffffff };
static const struct kabi_iommu_iova_range mock_split[2] = { { 0x1000000, 0x1ffffff }, { 0x2100000, 0x7fffffff } };

static int test_cmd(struct cf_t *t, int fd, uint32_t op, uint32_t id, const void *arg, size_t len,
		    struct kabi_iommu_test_cmd *out)
{
	struct kabi_iommu_test_cmd c;
	int rc;

	kabi_test_cmd_init(&c, op, id, arg, len);
	rc = cf_io(t, fd, KABI_IOMMU_TEST_CMD, &c);
	if (out)
		*out = c;
	return rc;
}

/* MOCK_DOMAIN on an IOAS returns (stdev, hwpt, idev); the stdev id detaches it when destroyed. */
static int mock_domain(struct cf_t *t, int fd, uint32_t ioas, uint32_t *stdev)
{
	struct kabi_iommu_test_cmd o;
	uint32_t ids[3];
	int rc = test_cmd(t, fd, CF_TEST_OP_MOCK_DOMAIN, ioas, NULL, 0, &o);

	memcpy(ids, o.arg, sizeof(ids));
	*stdev = ids[0];
	return rc;
}

static int add_reserved(struct cf_t *t, int fd, uint32_t ioas, uint64_t start, uint64_t len)
{
	uint64_t arg[2] = { start, len };

	return test_cmd(t, fd, CF_TEST_OP_ADD_RESERVED, ioas, arg, sizeof(arg), NULL);
}

static void expect_ranges(struct cf_t *t, int fd, uint32_t ioas, const char *what,
			  const struct kabi_iommu_iova_range *exp, uint32_t nexp, uint64_t align)
{
	struct kabi_iommu_iova_range r[CF_MAX_RANGES];
	uint32_t n = CF_MAX_RANGES;
	uint64_t al = 0;
	char w[128];

	if (!cf_rc(t, what, 0, cf_ioas_ranges(t, fd, ioas, r, &n, &al)))
		return;
	cf_ranges(t, what, exp, nexp, r, n < CF_MAX_RANGES ? n : CF_MAX_RANGES);
	snprintf(w, sizeof(w), "%s: out_iova_alignment", what);
	cf_hex(t, w, align, al);
}

static void raw(struct cf_t *t, unsigned long arg)
{
	struct cf_ifd s = CF_IFD_INIT;
	uint32_t stdev = 0;
	uint64_t len = UINT64_MAX;

	if (cf_ifd_open(t, &s) < 0)
		goto out;
	if (!cf_rc(t, "TEST_CMD MOCK_DOMAIN", 0, mock_domain(t, s.fd, s.ioas, &stdev)))
		goto out;
	expect_ranges(t, s.fd, s.ioas, "IOVA_RANGES after MOCK_DOMAIN", &mock_aperture, 1, 0x800);
	if (cf_rc(t, "TEST_CMD ADD_RESERVED 0x2000000+0x100000", 0, add_reserved(t, s.fd, s.ioas, 0x2000000, 0x100000)))
		expect_ranges(t, s.fd, s.ioas, "IOVA_RANGES after ADD_RESERVED", mock_split, 2, 0x800);
	cf_rc(t, "MAP into the reserved range", -EINVAL,
	      cf_ioas_map(t, s.fd, s.ioas, F, cf_va(t, 0), 0x2000000, 0x1000, NULL));
	cf_rc(t, "MAP below the aperture", -EINVAL, cf_ioas_map(t, s.fd, s.ioas, F, cf_va(t, 0), 0x1000, 0x1000, NULL));
	cf_rc(t, "MAP above the aperture", -EINVAL,
	      cf_ioas_map(t, s.fd, s.ioas, F, cf_va(t, 0), 0x80000000, 0x1000, NULL));
	cf_rc(t, "MAP 2 KiB aligned 0x1000800+0x800", 0,
	      cf_ioas_map(t, s.fd, s.ioas, F, cf_va(t, 0), 0x1000800, 0x800, NULL));
	cf_rc(t, "MAP 0x3000000+0x1000", 0, cf_ioas_map(t, s.fd, s.ioas, F, cf_va(t, 0), 0x3000000, 0x1000, NULL));
	cf_rc(t, "TEST_CMD ADD_RESERVED over a mapping", -EADDRINUSE, add_reserved(t, s.fd, s.ioas, 0x3000000, 0x1000));
	cf_rc(t, "UNMAP all", 0, cf_ioas_unmap(t, s.fd, s.ioas, 0, &len));
	cf_rc(t, "DESTROY the mock device", 0, cf_destroy(t, s.fd, stdev));
out:
	cf_ifd_close(t, &s);
	(void)arg;
}

/* Intersection of two sorted inclusive range lists (what an IOAS with two domains allows). */
static uint32_t intersect(const struct kabi_iommu_iova_range *a, uint32_t na, const struct kabi_iommu_iova_range *b,
			  uint32_t nb, struct kabi_iommu_iova_range *out)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < na; i++)
		for (uint32_t j = 0; j < nb; j++) {
			uint64_t s = a[i].start > b[j].start ? a[i].start : b[j].start;
			uint64_t l = a[i].last < b[j].last ? a[i].last : b[j].last;
			if (s <= l && n < CF_MAX_RANGES)
				out[n++] = (struct kabi_iommu_iova_range){ s, l };
		}
	return n;
}

static void lib_expect(struct cf_t *t, vfioiommu_ctx *ctx, const char *what,
		       const struct kabi_iommu_iova_range *exp, uint32_t nexp)
{
	struct kabi_iommu_iova_range got[CF_MAX_RANGES];
	vfioiommu_iova_list *l = NULL;
	int rc = vfioiommu_ctx_iova_ranges(ctx, &l);
	size_t n;

	if (rc < 0) {
		cf_fail(t, "%s: vfioiommu_ctx_iova_ranges: %d (\"%s\")", what, rc, vfioiommu_strerror(ctx));
		return;
	}
	n = vfioiommu_iova_list_count(l);
	for (size_t i = 0; i < n && i < CF_MAX_RANGES; i++) {
		struct vfioiommu_iova_range r;

		vfioiommu_iova_list_get(l, i, &r);
		got[i] = (struct kabi_iommu_iova_range){ r.start, r.last };
	}
	cf_ranges(t, what, exp, nexp, got, n < CF_MAX_RANGES ? (uint32_t)n : CF_MAX_RANGES);
	vfioiommu_iova_list_free(l);
}

/*
 * The library's IOAS (a real NIC attached) gets a mock domain as well: its
 * ranges become the intersection of both domains' ranges, and the library's
 * query must follow, then see the reserved hole.
 */
static void lib(struct cf_t *t, unsigned long arg)
{
	const struct cf_topo *tp = t->h->topo;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD, .door = t->door };
	struct kabi_iommu_iova_range both[CF_MAX_RANGES], split[CF_MAX_RANGES];
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = NULL;
	uint32_t ioas = 0, stdev = 0, nboth, nsplit;
	int fd;

	if (!cf_rc(t, "vfioiommu_ctx_new", 0, vfioiommu_ctx_new(&o, &ctx)))
		return;
	if (!cf_rc(t, "vfioiommu_device_open", 0, vfioiommu_device_open(ctx, t->h->dev[0].bdf, &dev)))
		goto out;
	fd = vfioiommu_ctx_iommufd_fd(ctx);
	if (!cf_rc(t, "vfioiommu_ctx_iommufd_fd", 0, fd) ||
	    !cf_rc(t, "vfioiommu_ctx_ioas_id", 0, vfioiommu_ctx_ioas_id(ctx, &ioas)))
		goto out;
	lib_expect(t, ctx, "library ranges with the NIC attached", tp->ranges, tp->nranges);
	if (!cf_rc(t, "TEST_CMD MOCK_DOMAIN on the library's IOAS", 0, mock_domain(t, fd, ioas, &stdev)))
		goto out;
	nboth = intersect(tp->ranges, tp->nranges, &mock_aperture, 1, both);
	lib_expect(t, ctx, "library ranges with the NIC and a mock domain", both, nboth);
	if (cf_rc(t, "TEST_CMD ADD_RESERVED 0x2000000+0x100000", 0, add_reserved(t, fd, ioas, 0x2000000, 0x100000))) {
		nsplit = intersect(tp->ranges, tp->nranges, mock_split, 2, split);
		lib_expect(t, ctx, "library ranges after ADD_RESERVED", split, nsplit);
	}
	cf_rc(t, "DESTROY the mock device", 0, cf_destroy(t, fd, stdev));
out:
	vfioiommu_ctx_destroy(ctx);
	(void)arg;
}

const struct cf_case cf_cases_selftest[] = {
	{ "selftest.mock_domain", raw, 0, CF_REAL_ONLY, NULL, NO_TEST_CMD },
	{ "selftest.lib_ranges", lib, 0, CF_REAL_ONLY, NULL, NO_TEST_CMD },
};
const size_t cf_ncases_selftest = sizeof(cf_cases_selftest) / sizeof(cf_cases_selftest[0]);
