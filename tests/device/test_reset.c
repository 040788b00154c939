/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Reset and hot reset (lib/device/reset.c): FLR when the RESET flag is set,
 * the hot-reset set on both backends (group ids or device ids and their
 * ownership), the ENOSPC growth of the list, resets that the library refuses
 * with a message naming the blocking devices, and the fail-Nth sweep.
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

/* bus 03: three functions in two groups; bus 04: one held by a kernel driver; bus 05: ten functions */
static const char host[] =
	"group 3\n"
	"  device 0000:00:03.0 vfio-pci\n"
	"group 10\n"
	"  device 0000:03:00.0 vfio-pci model=nvme\n"
	"  device 0000:03:00.1 vfio-pci model=nvme reset=no\n"
	"group 11\n"
	"  device 0000:03:01.0 vfio-pci\n"
	"group 13\n"
	"  device 0000:04:00.0 vfio-pci\n"
	"group 14\n"
	"  device 0000:04:01.0 e1000e\n"
	"group 20\n"
	"  device 0000:05:00.0 vfio-pci\n  device 0000:05:00.1 vfio-pci\n  device 0000:05:00.2 vfio-pci\n"
	"  device 0000:05:00.3 vfio-pci\n  device 0000:05:00.4 vfio-pci\n  device 0000:05:00.5 vfio-pci\n"
	"  device 0000:05:00.6 vfio-pci\n  device 0000:05:00.7 vfio-pci\n  device 0000:05:01.0 vfio-pci\n"
	"  device 0000:05:01.1 vfio-pci\n";

static void flr(void **state)
{
	vfioiommu_device *norst;
	uint32_t v = 0x1234;
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:00:03.0");
	assert_int_equal(vfioiommu_region_write(e.dev, VFIOIOMMU_PCI_BAR0, 0x100, &v, 4), 0);
	assert_int_equal(vfioiommu_device_reset(e.dev), 0);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:00:03.0"), 1);
	assert_int_equal(vfioiommu_region_read(e.dev, VFIOIOMMU_PCI_BAR0, 0x100, &v, 4), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vfioiommu_device_reset(NULL), -EINVAL);
	assert_int_equal(vfioiommu_device_open(e.ctx, "0000:03:00.1", &norst), 0);
	assert_int_equal(vfioiommu_device_reset(norst), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(e.ctx), "0000:03:00.1", "RESET flag", "vfioiommu_device_hot_reset", NULL);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:00.1"), 0);
	df_close(&e);
}

static void root_bus(void **state)
{
	struct vfioiommu_reset_info *ri = (void *)1;
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_IOMMUFD, "0000:00:03.0");
	assert_int_equal(vfioiommu_device_hot_reset_info(e.dev, &ri), -EOPNOTSUPP);
	assert_null(ri);
	th_assert_msg(vfioiommu_strerror(e.ctx), "no hot reset", "root bus", NULL);
	assert_int_equal(vfioiommu_device_hot_reset(e.dev), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_device_hot_reset_info(e.dev, NULL), -EINVAL);
	assert_int_equal(vfioiommu_device_hot_reset_info(NULL, &ri), -EINVAL);
	assert_int_equal(vfioiommu_device_hot_reset(NULL), -EINVAL);
	vfioiommu_reset_info_free(NULL);
	df_close(&e);
}

static void container(void **state)
{
	struct vfioiommu_reset_info *ri;
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:03:00.0");
	assert_int_equal(vfioiommu_device_hot_reset_info(e.dev, &ri), 0);
	assert_false(ri->by_devid);
	assert_false(ri->all_owned);
	assert_int_equal(ri->count, 3);
	assert_string_equal(ri->devs[0].bdf, "0000:03:00.0");
	assert_string_equal(ri->devs[1].bdf, "0000:03:00.1");
	assert_string_equal(ri->devs[2].bdf, "0000:03:01.0");
	assert_int_equal(ri->devs[1].group, 10);
	assert_int_equal(ri->devs[2].group, 11);
	assert_true(ri->devs[0].owned && ri->devs[1].owned);
	assert_false(ri->devs[2].owned);
	assert_int_equal(ri->devs[2].devid, UINT32_MAX);
	vfioiommu_reset_info_free(ri);
	/* group 11 is not in the context: refused before the kernel sees it, naming the device */
	assert_int_equal(vfioiommu_device_hot_reset(e.dev), -EPERM);
	th_assert_msg(vfioiommu_strerror(e.ctx), "0000:03:01.0 (group 11, not in this context)", NULL);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:00.0"), 0);
	/* with the group added, every group fd goes along and all three are reset */
	assert_int_equal(vfioiommu_ctx_add_group(e.ctx, 11), 0);
	assert_int_equal(vfioiommu_device_hot_reset_info(e.dev, &ri), 0);
	assert_true(ri->all_owned);
	vfioiommu_reset_info_free(ri);
	assert_int_equal(vfioiommu_device_hot_reset(e.dev), 0);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:00.0"), 1);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:00.1"), 1);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:01.0"), 1);
	df_close(&e);
}

static void blocked_by_driver(void **state)
{
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_CONTAINER, "0000:04:00.0");
	assert_int_equal(vfioiommu_device_hot_reset(e.dev), -EPERM);
	th_assert_msg(vfioiommu_strerror(e.ctx), "0000:04:01.0", "bound to e1000e", NULL);
	df_close(&e);
	df_open(&e, host, VFIOIOMMU_MODE_IOMMUFD, "0000:04:00.0");
	assert_int_equal(vfioiommu_device_hot_reset(e.dev), -EPERM);
	th_assert_msg(vfioiommu_strerror(e.ctx), "0000:04:01.0", "bound to e1000e", NULL);
	df_close(&e);
}

static void iommufd(void **state)
{
	struct vfioiommu_reset_info *ri;
	vfioiommu_device *other;
	struct df_env e;

	(void)state;
	df_open(&e, host, VFIOIOMMU_MODE_IOMMUFD, "0000:03:00.0");
	assert_int_equal(vfioiommu_device_hot_reset_info(e.dev, &ri), 0);
	assert_true(ri->by_devid);
	assert_false(ri->all_owned);
	assert_int_equal(ri->count, 3);
	assert_true(ri->devs[0].devid > 0 && ri->devs[0].devid != UINT32_MAX);
	assert_int_equal(ri->devs[0].group, UINT32_MAX);
	assert_int_equal(ri->devs[1].devid, 0); /* unopened, but its group is ours */
	assert_true(ri->devs[1].owned);
	assert_int_equal(ri->devs[2].devid, UINT32_MAX);
	assert_false(ri->devs[2].owned);
	vfioiommu_reset_info_free(ri);
	assert_int_equal(vfioiommu_device_hot_reset(e.dev), -EPERM);
	th_assert_msg(vfioiommu_strerror(e.ctx), "0000:03:01.0 (not bound to this iommufd)", NULL);
	assert_int_equal(vfioiommu_device_open(e.ctx, "0000:03:01.0", &other), 0);
	assert_int_equal(vfioiommu_device_hot_reset(e.dev), 0);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:01.0"), 1);
	assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:03:00.1"), 1);
	df_close(&e);
}

/* Ten functions on one bus: more than the first guess, so the list grows on ENOSPC. */
static void grows(void **state)
{
	enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD };
	struct vfioiommu_reset_info *ri;
	struct df_env e;

	(void)state;
	for (unsigned int i = 0; i < 2; i++) {
		df_open(&e, host, modes[i], "0000:05:00.3");
		assert_int_equal(vfioiommu_device_hot_reset_info(e.dev, &ri), 0);
		assert_int_equal(ri->count, 10);
		assert_string_equal(ri->devs[9].bdf, "0000:05:01.1");
		assert_true(ri->all_owned); /* one group, ours */
		vfioiommu_reset_info_free(ri);
		assert_int_equal(vfioiommu_device_hot_reset(e.dev), 0);
		assert_int_equal(vfioiommu_mock_device_resets(e.m, "0000:05:01.1"), 1);
		df_close(&e);
	}
}

static int sweep_body(vfioiommu_ctx *ctx)
{
	struct vfioiommu_reset_info *ri = NULL;
	vfioiommu_device *dev;
	int rc;

	rc = vfioiommu_device_open(ctx, "0000:05:00.0", &dev);
	if (rc == 0)
		rc = vfioiommu_device_reset(dev);
	if (rc == 0)
		rc = vfioiommu_device_hot_reset_info(dev, &ri);
	vfioiommu_reset_info_free(ri);
	if (rc == 0)
		rc = vfioiommu_device_hot_reset(dev);
	return rc;
}

int main(void)
{
	static struct df_sweep_spec sweep = { host, sweep_body };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flr),
		cmocka_unit_test(root_bus),
		cmocka_unit_test(container),
		cmocka_unit_test(blocked_by_driver),
		cmocka_unit_test(iommufd),
		cmocka_unit_test(grows),
		cmocka_unit_test_prestate(df_fail_nth, &sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
