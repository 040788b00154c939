/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * vfioiommu_ring_attach_region(): the region is found by its TYPE capability
 * only (the IGD model has typed regions, none of them a fault region), the
 * -ENOENT message names the types seen, a typed region that cannot be mapped
 * is refused clearly, and the look-up survives the fail-Nth sweep.
 * Records flowing through a mock fault region are not tested yet: the mock
 * has no fault region (see the report).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#define IGD "0000:00:02.0"
/* a vendor-specific type of an out-of-tree driver: what a caller would pass */
#define FR_TYPE 0x80001234u
#define FR_SUBTYPE 1u

static const char host[] =
	"group 12\n"
	"  device " IGD " vfio-pci model=igd\n";

static void test_args_and_lookup(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *dev;
	vfioiommu_ring *r = (void *)1;

	(void)state;
	assert_int_equal(vfioiommu_device_open(ctx, IGD, &dev), 0);
	assert_int_equal(vfioiommu_ring_attach_region(NULL, FR_TYPE, FR_SUBTYPE, &r), -EINVAL);
	assert_null(r);
	assert_int_equal(vfioiommu_ring_attach_region(dev, FR_TYPE, FR_SUBTYPE, NULL), -EINVAL);
	/* no such type: the message lists the IGD's three typed regions */
	assert_int_equal(vfioiommu_ring_attach_region(dev, FR_TYPE, FR_SUBTYPE, &r), -ENOENT);
	assert_null(r);
	th_assert_msg(vfioiommu_strerror(ctx), "0x80001234", "0x80008086:1@9", "0x80008086:2@10",
		      "0x80008086:3@11", NULL);
	/* type 2 is CCW upstream, never a fault region: nothing is assumed about it */
	assert_int_equal(vfioiommu_ring_attach_region(dev, 2, 1, &r), -ENOENT);
	/* a typed region that is not mmappable (the OpRegion, read-only, 8 KiB) */
	assert_int_equal(vfioiommu_ring_attach_region(dev, 0x80008086u, 1, &r), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "region 9", "cannot be mmapped", NULL);
	assert_null(r);
	vfioiommu_ctx_destroy(ctx);
	assert_int_equal(vfioiommu_mock_open_fds(m), 0);
	vfioiommu_mock_destroy(m);
}

static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(host);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	vfioiommu_ring *r = NULL;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD,
					.door = vfioiommu_mock_door(m) };
	int rc;

	(void)arg;
	rc = vfioiommu_ctx_new(&ctx, &o);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, IGD, &dev);
	if (rc == 0) {
		rc = vfioiommu_ring_attach_region(dev, FR_TYPE, FR_SUBTYPE, &r);
		assert_null(r);
		assert_true(rc < 0);
		if (rc == -ENOENT && strstr(vfioiommu_strerror(ctx), "0x80008086:3@11"))
			rc = 0; /* the expected answer, every region seen */
	}
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void test_sweep(void **state)
{
	(void)state;
	assert_true(th_sweep(sweep_setup, sweep_body, NULL, 200) >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_and_lookup),
		cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
