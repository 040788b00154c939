/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "core/door.h"

static ssize_t rd(vfioiommu_mock *m, const char *path, char *buf, size_t n)
{
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	return d->sysfs_read(d->priv, path, buf, n);
}

static void reserved_regions_format_and_merge(void **state)
{
	/* same-type overlap/touch merges; other types stay, even overlapping */
	vfioiommu_mock *m = th_mock("group 1\n"
				    "resv 0x1000 0x1fff direct\n"
				    "resv 0x2000 0x2fff direct\n"
				    "resv 0x1800 0x27ff reserved\n"
				    "resv 0xfee00000 0xfeefffff msi\n"
				    "resv 0x8000000 0x80fffff sw_msi\n"
				    "resv 0x3000 0x3fff direct-relaxable\n");
	char buf[1024];

	assert_true(rd(m, "/sys/kernel/iommu_groups/1/reserved_regions", buf, sizeof(buf)) > 0);
	assert_string_equal(buf,
			    "0x0000000000001000 0x0000000000002fff direct\n"
			    "0x0000000000001800 0x00000000000027ff reserved\n"
			    "0x0000000000003000 0x0000000000003fff direct-relaxable\n"
			    "0x0000000008000000 0x00000000080fffff msi\n"
			    "0x00000000fee00000 0x00000000feefffff msi\n");
	assert_int_equal(rd(m, "/sys/kernel/iommu_groups/1/reserved_regions", buf, 10), -EFBIG);
	assert_int_equal(rd(m, "/sys/kernel/iommu_groups/2/reserved_regions", buf, sizeof(buf)), -ENOENT);
	assert_true(rd(m, "/sys/kernel/iommu_groups/1/type", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "DMA\n");
	vfioiommu_mock_destroy(m);
}

struct names {
	char all[512];
};

static int collect(void *arg, const char *name)
{
	struct names *n = arg;
	strcat(n->all, name);
	strcat(n->all, " ");
	return 0;
}

static void links_lists_and_attrs(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	char buf[256];
	struct names n = { "" };

	assert_true(d->readlink(d->priv, "/sys/bus/pci/devices/0000:00:04.1/iommu_group", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "../../../../kernel/iommu_groups/4");
	assert_true(d->readlink(d->priv, "/sys/bus/pci/devices/0000:00:05.1/driver", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "../../../../bus/pci/drivers/e1000e");
	assert_int_equal(d->listdir(d->priv, "/sys/kernel/iommu_groups/4/devices", collect, &n), 0);
	assert_string_equal(n.all, "0000:00:04.0 0000:00:04.1 ");
	n.all[0] = '\0';
	assert_int_equal(d->listdir(d->priv, "/sys/bus/pci/devices/0000:00:04.1/vfio-dev", collect, &n), 0);
	assert_string_equal(n.all, "vfio2 ");
	assert_int_equal(d->listdir(d->priv, "/sys/bus/pci/devices/0000:00:05.1/vfio-dev", collect, &n), -ENOENT);
	assert_true(rd(m, "/sys/bus/pci/devices/0000:00:03.0/vendor", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "0x8086\n");
	assert_true(rd(m, "/sys/bus/pci/devices/0000:00:04.1/vfio-dev/vfio2/dev", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "511:2\n");
	assert_int_equal(d->exists(d->priv, "/sys/bus/pci/devices/0000:00:04.1"), 0);
	assert_int_equal(d->exists(d->priv, "/sys/bus/pci/devices/0000:00:09.0"), -ENOENT);
	assert_int_equal(d->exists(d->priv, "/dev/iommu"), 0);
	assert_int_equal(d->exists(d->priv, "/dev/vfio/4"), 0);
	assert_int_equal(d->exists(d->priv, "/dev/vfio/8"), -ENOENT); /* no vfio driver in group 8 */
	assert_int_equal(d->exists(d->priv, "/dev/vfio/devices/vfio2"), 0);
	assert_int_equal(d->exists(d->priv, "/etc/passwd"), -ENOENT);
	assert_int_equal(d->readlink(d->priv, "/proc/self/exe", buf, sizeof(buf)), -ENOENT);
	/* like drivers_probe_store(): a name that is no device is ENODEV */
	assert_int_equal(d->sysfs_write(d->priv, "/sys/bus/pci/drivers_probe", "x", 1), -ENODEV);
	vfioiommu_mock_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reserved_regions_format_and_merge),
		cmocka_unit_test(links_lists_and_attrs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
