/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Reserved regions and verdicts read through a door: the mock for every
 * region type and driver situation (plus the fail-Nth sweep), and a captured
 * sysfs tree on disk (system door + sysfs_root) for what the mock cannot
 * show: a device without a group, hostile file contents, non-PCI members.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "sysfs_tree.h"

static void expect_region(const vfioiommu_resv_set *s, size_t i, uint64_t start, uint64_t last,
			  enum vfioiommu_resv_type t, unsigned int group)
{
	struct vfioiommu_resv_region r;

	assert_int_equal(vfioiommu_resv_set_get(s, i, &r), 0);
	assert_true(r.start == start);
	assert_true(r.last == last);
	assert_int_equal(r.type, t);
	assert_int_equal(r.group, group);
}

/* ---------------- reading through the mock ---------------- */

static void test_read_group(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_resv_set *s = NULL;

	assert_int_equal(vfioiommu_resv_read_group(ctx, 6, &s), 0);
	assert_int_equal(vfioiommu_resv_set_count(s), 2);
	expect_region(s, 0, 0x7d000000, 0x7d0fffff, VFIOIOMMU_RESV_DIRECT, 6);
	expect_region(s, 1, 0xfee00000, 0xfeefffff, VFIOIOMMU_RESV_MSI, 6);
	vfioiommu_resv_set_free(s);

	/* a group without regions: an empty file, an empty set */
	assert_int_equal(vfioiommu_resv_read_group(ctx, 5, &s), 0);
	assert_int_equal(vfioiommu_resv_set_count(s), 0);
	vfioiommu_resv_set_free(s);

	s = (void *)1;
	assert_int_equal(vfioiommu_resv_read_group(ctx, 99, &s), -ENOENT);
	assert_null(s);
	th_assert_msg(vfioiommu_strerror(ctx), "group 99", "reserved_regions", "no such IOMMU group", NULL);
	assert_int_equal(vfioiommu_resv_read_group(ctx, 3, NULL), -EINVAL);
	assert_int_equal(vfioiommu_resv_read_group(NULL, 3, &s), -EINVAL);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void test_read_groups_merge(void **state)
{
	static const unsigned int groups[] = { 7, 3, 6, 4 };
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_resv_set *s = NULL;
	vfioiommu_iova_list *u = NULL;
	struct vfioiommu_iova_range r;

	assert_int_equal(vfioiommu_resv_read_groups(ctx, groups, 4, &s), 0);
	/* every group keeps its own msi line; the kernel types stay apart */
	assert_int_equal(vfioiommu_resv_set_count(s), 6);
	expect_region(s, 0, 0, 0xffffff, VFIOIOMMU_RESV_DIRECT_RELAXABLE, 7);
	expect_region(s, 1, 0x7d000000, 0x7d0fffff, VFIOIOMMU_RESV_DIRECT, 6);
	for (size_t i = 0; i < 4; i++)
		expect_region(s, 2 + i, 0xfee00000, 0xfeefffff, VFIOIOMMU_RESV_MSI, (unsigned int[]){ 3, 4, 6, 7 }[i]);

	assert_int_equal(vfioiommu_resv_usable(s, 0, (1ull << 39) - 1, &u), 0);
	assert_int_equal(vfioiommu_iova_list_count(u), 3);
	assert_int_equal(vfioiommu_iova_list_get(u, 0, &r), 0);
	assert_true(r.start == 0 && r.last == 0x7cffffff); /* relaxable [0, 0xffffff] stays usable */
	vfioiommu_iova_list_free(u);
	vfioiommu_resv_set_free(s);

	assert_int_equal(vfioiommu_resv_read_groups(ctx, NULL, 0, &s), 0);
	assert_int_equal(vfioiommu_resv_set_count(s), 0);
	vfioiommu_resv_set_free(s);
	assert_int_equal(vfioiommu_resv_read_groups(ctx, NULL, 2, &s), -EINVAL);
	/* one missing group fails the whole read and names it */
	assert_int_equal(vfioiommu_resv_read_groups(ctx, (unsigned int[]){ 3, 42 }, 2, &s), -ENOENT);
	assert_null(s);
	th_assert_msg(vfioiommu_strerror(ctx), "group 42", NULL);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void test_read_group_large(void **state)
{
	/* far more than one page of text: the reader must grow its buffer */
	vfioiommu_mock *m = th_mock("group 9\n  device 0000:00:09.0 vfio-pci\n");
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_resv_set *s = NULL;

	for (uint64_t i = 0; i < 3000; i++)
		assert_int_equal(vfioiommu_mock_add_resv(m, 9, i * 0x10000, i * 0x10000 + 0xfff,
							 (enum vfioiommu_resv_type)(i % 4)), 0);
	assert_int_equal(vfioiommu_resv_read_group(ctx, 9, &s), 0);
	assert_int_equal(vfioiommu_resv_set_count(s), 3000);
	expect_region(s, 2999, 2999 * 0x10000ull, 2999 * 0x10000ull + 0xfff, VFIOIOMMU_RESV_MSI, 9);
	vfioiommu_resv_set_free(s);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/* ---------------- verdicts through the mock ---------------- */

static void verdict_dev(vfioiommu_ctx *ctx, const char *bdf, enum vfioiommu_verdict_kind want,
			struct vfioiommu_verdict *v)
{
	assert_int_equal(vfioiommu_verdict_device(ctx, bdf, v), 0);
	if (v->kind != want)
		fail_msg("%s: verdict %s, want %s (%s)", bdf, vfioiommu_verdict_name(v->kind),
			 vfioiommu_verdict_name(want), v->reason);
	assert_string_equal(v->device, bdf);
}

static void test_verdict_devices(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	struct vfioiommu_verdict v;

	verdict_dev(ctx, "0000:00:03.0", VFIOIOMMU_VERDICT_ASSIGNABLE, &v);
	assert_int_equal(v.group, 3);
	th_assert_msg(v.reason, "0000:00:03.0", "group 3", NULL);
	verdict_dev(ctx, "0000:00:04.1", VFIOIOMMU_VERDICT_ASSIGNABLE, &v);

	verdict_dev(ctx, "0000:00:05.0", VFIOIOMMU_VERDICT_NOT_VIABLE, &v);
	assert_int_equal(v.group, 5);
	assert_string_equal(v.culprit, "0000:00:05.1");
	assert_string_equal(v.culprit_driver, "e1000e");
	th_assert_msg(v.reason, "group 5", "0000:00:05.1", "e1000e", "vfio-pci",
		      "/sys/bus/pci/drivers/e1000e/unbind", NULL);

	verdict_dev(ctx, "0000:00:05.1", VFIOIOMMU_VERDICT_NOT_VFIO, &v);
	assert_string_equal(v.culprit, "0000:00:05.1");
	th_assert_msg(v.reason, "bound to e1000e", "driver_override", "drivers_probe", NULL);

	verdict_dev(ctx, "0000:00:14.0", VFIOIOMMU_VERDICT_REFUSED_RESV_DIRECT, &v);
	assert_int_equal(v.group, 6);
	assert_true(v.region.start == 0x7d000000 && v.region.last == 0x7d0fffff);
	assert_int_equal(v.region.type, VFIOIOMMU_RESV_DIRECT);
	th_assert_msg(v.reason, "group 6", "0x7d000000-0x7d0fffff", "6.6", NULL);

	verdict_dev(ctx, "0000:00:1f.0", VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS, &v);
	assert_int_equal(v.region.type, VFIOIOMMU_RESV_DIRECT_RELAXABLE);
	th_assert_msg(v.reason, "group 7", "direct-relaxable", "0x0-0xffffff", NULL);

	verdict_dev(ctx, "0000:00:08.0", VFIOIOMMU_VERDICT_NOT_VFIO, &v);
	assert_string_equal(v.culprit_driver, "e1000e");

	/* bad input and missing devices are errors, not verdicts */
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:3.0", &v), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:3.0", "PCI address", NULL);
	assert_int_equal(vfioiommu_verdict_device(ctx, NULL, &v), -EINVAL);
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:03.0", NULL), -EINVAL);
	assert_int_equal(vfioiommu_verdict_device(NULL, "0000:00:03.0", &v), -EINVAL);
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:0a.0", &v), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:0a.0", "not found", NULL);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void test_verdict_groups(void **state)
{
	static const struct { unsigned int group; enum vfioiommu_verdict_kind kind; } want[] = {
		{ 3, VFIOIOMMU_VERDICT_ASSIGNABLE },
		{ 4, VFIOIOMMU_VERDICT_ASSIGNABLE },
		{ 5, VFIOIOMMU_VERDICT_NOT_VIABLE },
		{ 6, VFIOIOMMU_VERDICT_REFUSED_RESV_DIRECT },
		{ 7, VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS },
		{ 8, VFIOIOMMU_VERDICT_NOT_VIABLE },
	};
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	struct vfioiommu_verdict v;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(vfioiommu_verdict_group(ctx, want[i].group, &v), 0);
		if (v.kind != want[i].kind)
			fail_msg("group %u: %s, want %s (%s)", want[i].group, vfioiommu_verdict_name(v.kind),
				 vfioiommu_verdict_name(want[i].kind), v.reason);
		assert_int_equal(v.group, want[i].group);
		assert_string_equal(v.device, "");
	}
	assert_int_equal(vfioiommu_verdict_group(ctx, 77, &v), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "group 77", NULL);
	assert_int_equal(vfioiommu_verdict_group(ctx, 3, NULL), -EINVAL);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static const char drivers_host[] =
	"group 10\n"
	"  device 0000:00:1c.0 pcieport\n"
	"  device 0000:01:00.0 vfio-pci\n"
	"  device 0000:01:00.1 pci-stub\n"
	"  device 0000:01:00.2 -\n"
	"group 11\n"
	"  device 0000:02:00.0 -\n"
	"group 12\n"
	"  device 0000:03:00.0 mlx5_vfio_pci\n"
	"  device 0000:03:00.1 nvme\n"
	"  device 0000:03:00.2 nvme\n"
	"  device 0000:03:00.3 nvme\n"
	"group 13\n"
	"  resv 0x0 0xfff sw_msi\n"
	"  resv 0x10000 0x1ffff reserved\n"
	"  device 0000:04:00.0 vfio-pci\n";

static void test_verdict_drivers(void **state)
{
	/* bridges on pcieport, pci-stub and unbound devices leave DMA ownership free */
	vfioiommu_mock *m = th_mock(drivers_host);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	struct vfioiommu_verdict v;

	verdict_dev(ctx, "0000:01:00.0", VFIOIOMMU_VERDICT_ASSIGNABLE, &v);
	verdict_dev(ctx, "0000:01:00.2", VFIOIOMMU_VERDICT_NOT_VFIO, &v);
	th_assert_msg(v.reason, "not bound to any driver", NULL);
	assert_string_equal(v.culprit_driver, "");

	assert_int_equal(vfioiommu_verdict_group(ctx, 11, &v), 0);
	assert_int_equal(v.kind, VFIOIOMMU_VERDICT_NOT_VFIO);
	assert_string_equal(v.culprit, "0000:02:00.0");

	verdict_dev(ctx, "0000:03:00.0", VFIOIOMMU_VERDICT_NOT_VIABLE, &v);
	assert_string_equal(v.culprit, "0000:03:00.1");
	th_assert_msg(v.reason, "and 2 more devices", "group 12", NULL);

	/* msi, sw_msi and reserved regions only shrink the IOVA space */
	verdict_dev(ctx, "0000:04:00.0", VFIOIOMMU_VERDICT_ASSIGNABLE, &v);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void test_verdict_names(void **state)
{
	assert_string_equal(vfioiommu_verdict_name(VFIOIOMMU_VERDICT_ASSIGNABLE), "assignable");
	assert_string_equal(vfioiommu_verdict_name(VFIOIOMMU_VERDICT_ASSIGNABLE_WITH_WARNINGS),
			    "assignable-with-warnings");
	assert_string_equal(vfioiommu_verdict_name(VFIOIOMMU_VERDICT_REFUSED_RESV_DIRECT), "refused-resv-direct");
	assert_string_equal(vfioiommu_verdict_name(VFIOIOMMU_VERDICT_NOT_VIABLE), "not-viable");
	assert_string_equal(vfioiommu_verdict_name(VFIOIOMMU_VERDICT_NO_GROUP), "no-group");
	assert_string_equal(vfioiommu_verdict_name(VFIOIOMMU_VERDICT_NOT_VFIO), "not-vfio");
	assert_string_equal(vfioiommu_verdict_name((enum vfioiommu_verdict_kind)99), "unknown");
}

/* ---------------- fail-Nth ---------------- */

static vfioiommu_mock *sweep_setup(void *arg)
{
	return th_mock(arg ? arg : th_host_default);
}

static int sweep_read(vfioiommu_mock *m, void *arg)
{
	static const unsigned int groups[] = { 3, 4, 6, 7 };
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_resv_set *s = NULL;
	int rc = vfioiommu_resv_read_groups(ctx, groups, 4, &s);

	if (rc == 0)
		assert_int_equal(vfioiommu_resv_set_count(s), 6);
	else
		assert_null(s);
	vfioiommu_resv_set_free(s);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static int sweep_verdicts(vfioiommu_mock *m, void *arg)
{
	static const char *const devs[] = { "0000:00:03.0", "0000:00:05.0", "0000:00:05.1", "0000:00:14.0",
					    "0000:00:1f.0" };
	static const char *const drivers_devs[] = { "0000:01:00.0", "0000:01:00.2", "0000:03:00.0",
						    "0000:04:00.0" };
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	struct vfioiommu_verdict v;
	int rc = 0;

	if (arg) {
		for (size_t i = 0; i < sizeof(drivers_devs) / sizeof(drivers_devs[0]) && rc == 0; i++)
			rc = vfioiommu_verdict_device(ctx, drivers_devs[i], &v);
		for (unsigned int g = 10; g <= 13 && rc == 0; g++)
			rc = vfioiommu_verdict_group(ctx, g, &v);
	} else {
		for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]) && rc == 0; i++)
			rc = vfioiommu_verdict_device(ctx, devs[i], &v);
		for (unsigned int g = 3; g <= 8 && rc == 0; g++)
			rc = vfioiommu_verdict_group(ctx, g, &v);
	}
	if (rc < 0)
		assert_true(vfioiommu_strerror(ctx)[0] != '\0');
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void test_fail_nth(void **state)
{
	assert_true(th_sweep(sweep_setup, sweep_read, NULL, 100) >= 4);
	assert_true(th_sweep(sweep_setup, sweep_verdicts, NULL, 500) >= 20);
	assert_true(th_sweep(sweep_setup, sweep_verdicts, (void *)drivers_host, 500) >= 20);
}

/* ---------------- a sysfs tree on disk ---------------- */

static int tree_setup(void **state)
{
	if (st_make("resv") < 0)
		return -1;
	st_dir("bus");
	st_dir("bus/pci");
	st_dir("bus/pci/devices");
	st_dir("kernel");
	st_dir("kernel/iommu_groups");
	/* an IOMMU-less device: no iommu_group link */
	st_dir("bus/pci/devices/0000:00:02.0");
	st_link("bus/pci/devices/0000:00:02.0/driver", "../../../../bus/pci/drivers/vfio-pci");
	/* group 9: a PCI device on vfio-pci and a platform device on its own driver */
	st_dir("kernel/iommu_groups/9");
	st_dir("kernel/iommu_groups/9/devices");
	st_file("kernel/iommu_groups/9/reserved_regions", "0x00000000fee00000 0x00000000feefffff msi\n");
	st_dir("bus/pci/devices/0000:00:03.0");
	st_link("bus/pci/devices/0000:00:03.0/iommu_group", "../../../../kernel/iommu_groups/9");
	st_link("bus/pci/devices/0000:00:03.0/driver", "../../../../bus/pci/drivers/vfio-pci");
	st_dir("kernel/iommu_groups/9/devices/0000:00:03.0");
	st_dir("kernel/iommu_groups/9/devices/fe200000.dma");
	st_link("kernel/iommu_groups/9/devices/fe200000.dma/driver", "../../../../bus/platform/drivers/bcm2835-dma");
	/* group 10: hostile contents */
	st_dir("kernel/iommu_groups/10");
	st_dir("kernel/iommu_groups/10/devices");
	st_file("kernel/iommu_groups/10/reserved_regions",
		 "0x00000000fee00000 0x00000000feefffff msi\n0x00000000fee00000 0x00000000feefffff \x01\xff\n");
	st_dir("bus/pci/devices/0000:00:04.0");
	st_link("bus/pci/devices/0000:00:04.0/iommu_group", "../../../../kernel/iommu_groups/10");
	st_link("bus/pci/devices/0000:00:04.0/driver", "../../../../bus/pci/drivers/vfio-pci");
	/* a broken group link */
	st_dir("bus/pci/devices/0000:00:05.0");
	st_link("bus/pci/devices/0000:00:05.0/iommu_group", "../../../../kernel/iommu_groups/x7");
	return 0;
}

static int tree_teardown(void **state)
{
	return st_remove();
}

static void test_tree_no_group(void **state)
{
	vfioiommu_ctx *ctx = st_ctx();
	struct vfioiommu_verdict v;

	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:02.0", &v), 0);
	assert_int_equal(v.kind, VFIOIOMMU_VERDICT_NO_GROUP);
	th_assert_msg(v.reason, "0000:00:02.0", "no IOMMU group", "intel_iommu=on", NULL);
	/* a link that does not name a group is the kernel's fault, not a verdict */
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:05.0", &v), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:05.0", "iommu_group", NULL);
	vfioiommu_ctx_destroy(ctx);
}

static void test_tree_platform_member(void **state)
{
	vfioiommu_ctx *ctx = st_ctx();
	struct vfioiommu_verdict v;

	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:03.0", &v), 0);
	assert_int_equal(v.kind, VFIOIOMMU_VERDICT_NOT_VIABLE);
	assert_string_equal(v.culprit, "fe200000.dma");
	assert_string_equal(v.culprit_driver, "bcm2835-dma");
	vfioiommu_ctx_destroy(ctx);
}

static void test_tree_hostile(void **state)
{
	vfioiommu_ctx *ctx = st_ctx();
	vfioiommu_resv_set *s = (void *)1;
	struct vfioiommu_verdict v;
	char file[128];

	assert_int_equal(vfioiommu_resv_read_group(ctx, 10, &s), -EPROTO);
	assert_null(s);
	snprintf(file, sizeof(file), "%s/kernel/iommu_groups/10/reserved_regions:2:", st_root);
	th_assert_msg(vfioiommu_strerror(ctx), file, "unknown region type \"??\"", NULL);
	assert_int_equal(vfioiommu_verdict_device(ctx, "0000:00:04.0", &v), -EPROTO);
	assert_int_equal(vfioiommu_resv_read_group(ctx, 9, &s), 0);
	assert_int_equal(vfioiommu_resv_set_count(s), 1);
	vfioiommu_resv_set_free(s);
	vfioiommu_ctx_destroy(ctx);
}

int main(void)
{
	const struct CMUnitTest mock_tests[] = {
		cmocka_unit_test(test_read_group),
		cmocka_unit_test(test_read_groups_merge),
		cmocka_unit_test(test_read_group_large),
		cmocka_unit_test(test_verdict_devices),
		cmocka_unit_test(test_verdict_groups),
		cmocka_unit_test(test_verdict_drivers),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_fail_nth),
	};
	const struct CMUnitTest tree_tests[] = {
		cmocka_unit_test(test_tree_no_group),
		cmocka_unit_test(test_tree_platform_member),
		cmocka_unit_test(test_tree_hostile),
	};
	int rc = cmocka_run_group_tests(mock_tests, NULL, NULL);

	return rc | cmocka_run_group_tests(tree_tests, tree_setup, tree_teardown);
}
