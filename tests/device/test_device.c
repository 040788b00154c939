/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Device info and region descriptions (lib/device/device.c): every region of
 * the mock e1000e on both backends against tests/vm/FACTS.md, sparse areas,
 * typed regions and their names, bad indexes, hand-built capability chains
 * (good and broken), the mock's hostile modes, and the fail-Nth sweep.
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

#include <vfioiommu/mock.h>
#include "device_fixture.h"
#include "helpers.h"
#include "device/device.h"
#include "kabi/kabi.h"


static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD };

static void device_info(void **state)
{
	struct vfioiommu_device_info di = { .size = sizeof(di) };
	struct df_env e;

	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		df_open(&e, df_host, modes[i], "0000:00:03.0");
		di = (struct vfioiommu_device_info){ .size = sizeof(di) };
		assert_int_equal(vfioiommu_device_info(e.dev, &di), 0);
		assert_int_equal(di.size, sizeof(di));
		assert_int_equal(di.flags, VFIOIOMMU_DEVICE_PCI | VFIOIOMMU_DEVICE_RESET);
		assert_int_equal(di.num_regions, 9);
		assert_int_equal(di.num_irqs, 5);
		assert_false(di.has_atomic_comp);
		assert_int_equal(di.unknown_caps, 0);
		/* an old caller's shorter struct gets only what it knows */
		di = (struct vfioiommu_device_info){ .size = 16, .num_irqs = 77, .unknown_caps = 99 };
		assert_int_equal(vfioiommu_device_info(e.dev, &di), 0);
		assert_int_equal(di.num_irqs, 5);
		assert_int_equal(di.unknown_caps, 99);
		di.size = 12;
		assert_int_equal(vfioiommu_device_info(e.dev, &di), -EINVAL);
		th_assert_msg(vfioiommu_strerror(e.ctx), "size 12", NULL);
		assert_int_equal(vfioiommu_device_info(e.dev, NULL), -EINVAL);
		assert_int_equal(vfioiommu_device_info(NULL, &di), -EINVAL);
		df_close(&e);
	}
}

static void regions_e1000e(void **state)
{
	static const struct { uint64_t size; uint32_t flags; } want[8] = {
		{ 0x20000, 0x7 }, { 0x20000, 0x7 }, { 0x20, 0x3 }, { 0x4000, 0x7 | VFIOIOMMU_REGION_MSIX_MAPPABLE },
		{ 0, 0 }, { 0, 0 }, { 0, 0 }, { 0x1000, 0x3 },
	};
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	struct vfioiommu_region_area a[2];
	uint32_t n;
	struct df_env e;

	(void)state;
	for (unsigned int m = 0; m < 2; m++) {
		df_open(&e, df_host, modes[m], "0000:00:03.0");
		for (uint32_t i = 0; i < 8; i++) {
			memset(&ri, 0xee, sizeof(ri));
			ri.size = sizeof(ri);
			assert_int_equal(vfioiommu_region_info(e.dev, i, &ri), 0);
			assert_int_equal(ri.index, i);
			assert_int_equal(ri.region_size, want[i].size);
			assert_int_equal(ri.flags, want[i].flags);
			assert_int_equal(ri.offset, (uint64_t)i << 40);
			assert_int_equal(ri.nr_areas, 0);
			assert_null(ri.type_name);
		}
		/* VGA: in range but not there; 9: out of range */
		assert_int_equal(vfioiommu_region_info(e.dev, 8, &ri), -ENOENT);
		th_assert_msg(vfioiommu_strerror(e.ctx), "no region 8", "VGA", NULL);
		assert_int_equal(vfioiommu_region_info(e.dev, 9, &ri), -EINVAL);
		th_assert_msg(vfioiommu_strerror(e.ctx), "region index 9 is out of range", "9 regions", NULL);
		assert_int_equal(vfioiommu_region_info(e.dev, UINT32_MAX, &ri), -EINVAL);
		assert_int_equal(vfioiommu_region_info(e.dev, 0, NULL), -EINVAL);
		ri.size = 8;
		assert_int_equal(vfioiommu_region_info(e.dev, 0, &ri), -EINVAL);
		ri.size = sizeof(ri);
		/* without SPARSE_MMAP the whole region is the one area; an I/O BAR has none */
		assert_int_equal(vfioiommu_region_areas(e.dev, 0, a, 2, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(a[0].offset, 0);
		assert_int_equal(a[0].size, 0x20000);
		assert_int_equal(vfioiommu_region_areas(e.dev, 2, a, 2, &n), 0);
		assert_int_equal(n, 0);
		assert_int_equal(vfioiommu_region_areas(e.dev, 0, NULL, 0, &n), -ENOSPC);
		assert_int_equal(n, 1);
		assert_int_equal(vfioiommu_region_areas(e.dev, 0, NULL, 2, &n), -EINVAL);
		assert_int_equal(vfioiommu_region_areas(e.dev, 0, a, 2, NULL), -EINVAL);
		assert_int_equal(vfioiommu_region_areas(NULL, 0, a, 2, &n), -EINVAL);
		df_close(&e);
	}
}

static void regions_sparse_and_typed(void **state)
{
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	struct vfioiommu_region_area a[2];
	uint32_t n = 0;
	struct df_env e;

	(void)state;
	df_open(&e, df_host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.0");
	assert_int_equal(vfioiommu_region_info(e.dev, 0, &ri), 0);
	assert_int_equal(ri.flags, 0x7 | VFIOIOMMU_REGION_SPARSE);
	assert_int_equal(ri.nr_areas, 2);
	assert_int_equal(vfioiommu_region_areas(e.dev, 0, a, 1, &n), -ENOSPC);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].offset, 0);
	assert_int_equal(vfioiommu_region_areas(e.dev, 0, a, 2, &n), 0);
	assert_int_equal(a[0].size, 0x2000);
	assert_int_equal(a[1].offset, 0x3000);
	assert_int_equal(a[1].size, 0x1000);
	df_close(&e);

	df_open(&e, df_host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:02.0");
	assert_int_equal(vfioiommu_region_info(e.dev, 8, &ri), 0);
	assert_int_equal(ri.region_size, 0xc0000);
	for (uint32_t i = 9; i < 12; i++) {
		assert_int_equal(vfioiommu_region_info(e.dev, i, &ri), 0);
		assert_int_equal(ri.flags, VFIOIOMMU_REGION_READ | VFIOIOMMU_REGION_TYPED);
		assert_int_equal(ri.type, 0x80008086u);
		assert_int_equal(ri.subtype, i - 8);
		assert_string_equal(ri.type_name, "PCI vendor");
	}
	assert_int_equal(vfioiommu_region_info(e.dev, 9, &ri), 0);
	assert_string_equal(ri.subtype_name, "Intel IGD OpRegion");
	assert_int_equal(vfioiommu_region_info(e.dev, 11, &ri), 0);
	assert_string_equal(ri.subtype_name, "Intel IGD LPC config");
	df_close(&e);
}

static void type_names(void **state)
{
	(void)state;
	assert_string_equal(vfioiommu_region_type_name(1), "graphics");
	assert_string_equal(vfioiommu_region_type_name(2), "CCW");
	assert_string_equal(vfioiommu_region_type_name(3), "migration (deprecated)");
	assert_null(vfioiommu_region_type_name(4));
	assert_null(vfioiommu_region_type_name(0));
	assert_string_equal(vfioiommu_region_type_name(0x80001234u), "PCI vendor");
	assert_string_equal(vfioiommu_region_subtype_name(1, 1), "EDID");
	assert_null(vfioiommu_region_subtype_name(1, 2));
	/* type 2 is CCW and only CCW (an old nested-fault RFC reused the number) */
	assert_string_equal(vfioiommu_region_subtype_name(2, 1), "CCW async command");
	assert_string_equal(vfioiommu_region_subtype_name(2, 2), "CCW SCHIB");
	assert_string_equal(vfioiommu_region_subtype_name(2, 3), "CCW CRW");
	assert_null(vfioiommu_region_subtype_name(2, 4));
	assert_string_equal(vfioiommu_region_subtype_name(3, 1), "migration v1 (deprecated)");
	assert_string_equal(vfioiommu_region_subtype_name(0x80008086u, 2), "Intel IGD host bridge config");
	assert_null(vfioiommu_region_subtype_name(0x80008086u, 4));
	assert_non_null(vfioiommu_region_subtype_name(0x800010deu, 1));
	assert_non_null(vfioiommu_region_subtype_name(0x80001014u, 1));
	assert_null(vfioiommu_region_subtype_name(0x80001af4u, 1));
	assert_null(vfioiommu_region_subtype_name(9, 1));
	assert_string_equal(vfioiommu_pci_region_name(0), "BAR0");
	assert_string_equal(vfioiommu_pci_region_name(7), "config");
	assert_null(vfioiommu_pci_region_name(9));
}

/* ---------------- hand-built REGION_INFO replies ---------------- */

struct reply {
	uint8_t b[512];
	size_t len;
	size_t last;
};

static void w32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void w64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void reply_init(struct reply *r, uint64_t size)
{
	memset(r, 0, sizeof(*r));
	r->len = 32;
	w32(r->b + 4, KABI_VFIO_REGION_INFO_FLAG_READ | KABI_VFIO_REGION_INFO_FLAG_MMAP);
	w64(r->b + 16, size);
}

static size_t reply_cap(struct reply *r, uint16_t id, uint16_t ver, size_t size)
{
	size_t at = r->len;

	r->b[at] = (uint8_t)id;
	r->b[at + 2] = (uint8_t)ver;
	if (r->last)
		w32(r->b + r->last + 4, (uint32_t)at);
	else
		w32(r->b + 12, (uint32_t)at);
	w32(r->b + 4, KABI_VFIO_REGION_INFO_FLAG_READ | KABI_VFIO_REGION_INFO_FLAG_MMAP | KABI_VFIO_REGION_INFO_FLAG_CAPS);
	r->last = at;
	r->len = at + ((size + 7) & ~(size_t)7);
	return at;
}

static size_t reply_sparse(struct reply *r, uint32_t nr, const uint64_t *areas)
{
	size_t at = reply_cap(r, KABI_REGION_CAP_SPARSE_MMAP, 1, 16 + nr * 16);

	w32(r->b + at + 8, nr);
	for (uint32_t i = 0; i < nr; i++) {
		w64(r->b + at + 16 + i * 16, areas[2 * i]);
		w64(r->b + at + 24 + i * 16, areas[2 * i + 1]);
	}
	return at;
}

static int parse(struct reply *r, struct vi_region *out, struct vi_err *err)
{
	int rc = vi_region_parse(r->b, r->len, 0, out, err);

	if (rc == 0)
		assert_true(out->cached);
	return rc;
}

static void parse_good(void **state)
{
	static const uint64_t areas[] = { 0x3000, 0x1000, 0x0, 0x2000, 0x2800, 0 };
	struct vi_err err = { "" };
	struct vi_region r;
	struct reply rp;
	size_t at;

	(void)state;
	reply_init(&rp, 0x4000);
	reply_sparse(&rp, 3, areas);
	at = reply_cap(&rp, KABI_REGION_CAP_TYPE, 1, 16);
	w32(rp.b + at + 8, 2);
	w32(rp.b + at + 12, 3);
	reply_cap(&rp, KABI_REGION_CAP_MSIX_MAPPABLE, 1, 8);
	reply_cap(&rp, 99, 1, 24);              /* unknown: skipped, counted */
	assert_int_equal(parse(&rp, &r, &err), 0);
	/* sorted, the empty area dropped */
	assert_int_equal(r.nr_areas, 2);
	assert_int_equal(r.areas[0].offset, 0);
	assert_int_equal(r.areas[1].offset, 0x3000);
	assert_true(r.sparse && r.typed && r.msix_mappable);
	assert_int_equal(r.type, 2);
	assert_int_equal(r.subtype, 3);
	assert_int_equal(r.unknown_caps, 1);
	vi_region_clear(&r);

	/* no caps at all; a SPARSE_MMAP with no areas means "nothing mappable" */
	reply_init(&rp, 0x1000);
	assert_int_equal(parse(&rp, &r, &err), 0);
	assert_false(r.sparse);
	reply_sparse(&rp, 0, NULL);
	assert_int_equal(parse(&rp, &r, &err), 0);
	assert_true(r.sparse);
	assert_int_equal(r.nr_areas, 0);
	vi_region_clear(&r);
}

static void parse_bad(void **state)
{
	static const uint64_t outside[] = { 0x3000, 0x2000 };
	static const uint64_t wrap[] = { 0x1000, UINT64_MAX };
	static const uint64_t overlap[] = { 0x0, 0x2000, 0x1000, 0x1000 };
	struct vi_err err = { "" };
	struct vi_region r;
	struct reply rp;
	size_t at;

	(void)state;
	reply_init(&rp, 0x4000);
	reply_sparse(&rp, 1, outside);
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	th_assert_msg(err.msg, "outside the 0x4000-byte region", NULL);
	reply_init(&rp, 0x4000);
	reply_sparse(&rp, 1, wrap);
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	reply_init(&rp, 0x4000);
	reply_sparse(&rp, 2, overlap);
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	th_assert_msg(err.msg, "overlap", NULL);
	/* nr_areas claims more than the cap holds; absurd counts */
	reply_init(&rp, 0x4000);
	at = reply_sparse(&rp, 1, outside);
	w32(rp.b + at + 8, 3);
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	th_assert_msg(err.msg, "claims 3 areas", NULL);
	w32(rp.b + at + 8, UINT32_MAX);
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	/* a second TYPE; version 0; a short TYPE */
	reply_init(&rp, 0x4000);
	reply_cap(&rp, KABI_REGION_CAP_TYPE, 1, 16);
	reply_cap(&rp, KABI_REGION_CAP_TYPE, 1, 16);
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	th_assert_msg(err.msg, "second TYPE", NULL);
	reply_init(&rp, 0x4000);
	reply_cap(&rp, KABI_REGION_CAP_MSIX_MAPPABLE, 0, 8);
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	th_assert_msg(err.msg, "version 0", NULL);
	reply_init(&rp, 0x4000);
	reply_cap(&rp, KABI_REGION_CAP_TYPE, 1, 12);
	rp.len = 44;
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	/* CAPS flag with cap_offset 0; a cap inside the fixed part; a loop */
	reply_init(&rp, 0x4000);
	reply_cap(&rp, KABI_REGION_CAP_MSIX_MAPPABLE, 1, 8);
	w32(rp.b + 12, 0);
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	th_assert_msg(err.msg, "cap_offset is 0", NULL);
	w32(rp.b + 12, 16);
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	w32(rp.b + 12, 32);
	w32(rp.b + 36, 32);
	assert_int_equal(parse(&rp, &r, &err), -EPROTO);
	/* too short to hold the fixed part */
	assert_int_equal(vi_region_parse(rp.b, 16, 0, &r, &err), -EPROTO);
	assert_int_equal(vi_region_parse(NULL, 64, 0, &r, &err), -EPROTO);
}

/* The mock's hostile answers reach the library as -EPROTO with a message, never a crash. */
static void hostile(void **state)
{
	static const unsigned int modes_h[] = {
		VFIOIOMMU_MOCK_HOSTILE_CAP_LOOP, VFIOIOMMU_MOCK_HOSTILE_CAP_OOB, VFIOIOMMU_MOCK_HOSTILE_CAP_MISALIGN,
		VFIOIOMMU_MOCK_HOSTILE_CAP_TRUNCATE, VFIOIOMMU_MOCK_HOSTILE_HUGE_ARGSZ, VFIOIOMMU_MOCK_HOSTILE_HUGE_COUNTS,
	};
	static const char *const bdfs[] = { "0000:00:03.0", "0000:03:00.0", "0000:00:02.0" };
	static const uint32_t idx[] = { 3, 0, 9 };
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	struct df_env e;

	(void)state;
	for (unsigned int h = 0; h < sizeof(modes_h) / sizeof(modes_h[0]); h++) {
		for (unsigned int d = 0; d < 3; d++) {
			int rc;

			df_open_hostile(&e, df_host, VFIOIOMMU_MODE_CONTAINER, bdfs[d], modes_h[h]);
			rc = vfioiommu_region_info(e.dev, idx[d], &ri);
			/* HUGE_COUNTS only touches the sparse cap */
			if (modes_h[h] == VFIOIOMMU_MOCK_HOSTILE_HUGE_COUNTS && d != 1) {
				assert_int_equal(rc, 0);
			} else {
				if (rc != -EPROTO)
					fail_msg("hostile 0x%x on %s region %u: %d (%s)", modes_h[h], bdfs[d], idx[d], rc,
						 vfioiommu_strerror(e.ctx));
				th_assert_msg(vfioiommu_strerror(e.ctx), "VFIO_DEVICE_GET_REGION_INFO", NULL);
			}
			/* regions without caps are untouched */
			assert_int_equal(vfioiommu_region_info(e.dev, 7, &ri), 0);
			df_close(&e);
		}
	}
}

static int sweep_body(vfioiommu_ctx *ctx)
{
	struct vfioiommu_device_info di = { .size = sizeof(di) };
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	struct vfioiommu_region_area a[4];
	vfioiommu_device *dev;
	uint32_t n;
	int rc;

	rc = vfioiommu_device_open(ctx, "0000:03:00.0", &dev);
	if (rc == 0)
		rc = vfioiommu_device_info(dev, &di);
	for (uint32_t i = 0; rc == 0 && i < 8; i++)
		rc = vfioiommu_region_info(dev, i, &ri);
	if (rc == 0)
		rc = vfioiommu_region_areas(dev, 0, a, 4, &n);
	if (rc == 0 && n != 2)
		rc = -EPROTO;
	return rc;
}

int main(void)
{
	static struct df_sweep_spec sweep = { df_host, sweep_body };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(device_info),
		cmocka_unit_test(regions_e1000e),
		cmocka_unit_test(regions_sparse_and_typed),
		cmocka_unit_test(type_names),
		cmocka_unit_test(parse_good),
		cmocka_unit_test(parse_bad),
		cmocka_unit_test(hostile),
		cmocka_unit_test_prestate(df_fail_nth, &sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
