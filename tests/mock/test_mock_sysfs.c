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

/* The IOMMU in /sys/class/iommu, with the attributes Linux 7.2 shows on QEMU (tests/vm), following the host. */
static void iommu_class_follows_the_host(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default); /* intel, 39-bit */
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	char buf[256];
	struct names n = { "" };

	assert_int_equal(d->listdir(d->priv, "/sys/class/iommu", collect, &n), 0);
	assert_string_equal(n.all, "dmar0 ");
	assert_true(d->readlink(d->priv, "/sys/bus/pci/devices/0000:00:03.0/iommu", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "../../virtual/iommu/dmar0");
	assert_int_equal(d->exists(d->priv, "/sys/bus/pci/devices/0000:00:03.0/iommu"), 0);
	/* FACTS: QEMU's cap register, MGAW 38 (39 bits) */
	assert_true(rd(m, "/sys/class/iommu/dmar0/intel-iommu/cap", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "d2008c22260286\n");
	assert_true(rd(m, "/sys/class/iommu/dmar0/intel-iommu/ecap", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "f00f4a\n");
	assert_int_equal(rd(m, "/sys/class/iommu/dmar0/amd-iommu/features", buf, sizeof(buf)), -ENOENT);
	n.all[0] = '\0';
	assert_int_equal(d->listdir(d->priv, "/sys/class/iommu/dmar0/intel-iommu", collect, &n), 0);
	assert_string_equal(n.all, "address cap ecap version ");
	/* 48 bits: MGAW 47, SAGAW 39|48 */
	assert_int_equal(vfioiommu_mock_set_aperture(m, 0, (1ull << 48) - 1), 0);
	assert_true(rd(m, "/sys/class/iommu/dmar0/intel-iommu/cap", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "d2008c222f0686\n");
	/* AMD: FACTS "29d3:0" with HATS/GATS 0 for 48 bits */
	assert_int_equal(vfioiommu_mock_set_iommu(m, VFIOIOMMU_MOCK_IOMMU_AMD), 0);
	assert_true(rd(m, "/sys/class/iommu/ivhd0/amd-iommu/features", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "1d3:0\n");
	assert_true(rd(m, "/sys/class/iommu/ivhd0/amd-iommu/cap", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "1f03000f\n");
	assert_int_equal(rd(m, "/sys/class/iommu/dmar0/intel-iommu/cap", buf, sizeof(buf)), -ENOENT);
	assert_true(d->readlink(d->priv, "/sys/bus/pci/devices/0000:00:03.0/iommu", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "../0000:00:02.0/iommu/ivhd0");
	/* SMMUv3 and virtio-iommu register no attributes */
	assert_int_equal(vfioiommu_mock_set_iommu(m, VFIOIOMMU_MOCK_IOMMU_SMMUV3), 0);
	n.all[0] = '\0';
	assert_int_equal(d->listdir(d->priv, "/sys/class/iommu", collect, &n), 0);
	assert_string_equal(n.all, "smmu3.0x0000000009050000 ");
	n.all[0] = '\0';
	assert_int_equal(d->listdir(d->priv, "/sys/class/iommu/smmu3.0x0000000009050000", collect, &n), 0);
	assert_string_equal(n.all, "");
	assert_int_equal(vfioiommu_mock_set_iommu(m, VFIOIOMMU_MOCK_IOMMU_VIRTIO), 0);
	assert_true(d->readlink(d->priv, "/sys/bus/pci/devices/0000:00:03.0/iommu", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "../0000:00:02.0/virtio0/iommu/0000:00:02.0");
	assert_int_equal(d->exists(d->priv, "/sys/class/iommu/0000:00:02.0"), 0);
	assert_int_equal(d->exists(d->priv, "/sys/class/iommu/0000:00:02.0/intel-iommu"), -ENOENT);
	vfioiommu_mock_destroy(m);

	/* no groups: the IOMMU is off and registered nothing */
	m = th_mock("pgsizes 0x1000\n");
	d = vfioiommu_mock_door(m);
	n.all[0] = '\0';
	assert_int_equal(d->listdir(d->priv, "/sys/class/iommu", collect, &n), 0);
	assert_string_equal(n.all, "");
	vfioiommu_mock_destroy(m);
}

/* The misc devices and modules behind /dev/vfio/vfio and /dev/iommu, and their unsafe-mode switches. */
static void misc_and_modules(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	char buf[64];
	struct names n = { "" };

	assert_int_equal(d->listdir(d->priv, "/sys/class/misc", collect, &n), 0);
	assert_string_equal(n.all, "iommu vfio ");
	assert_int_equal(d->exists(d->priv, "/sys/class/misc/vfio"), 0);
	assert_int_equal(d->exists(d->priv, "/sys/module/vfio"), 0);
	assert_int_equal(d->exists(d->priv, "/sys/module/iommufd"), 0);
	assert_true(rd(m, "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "N\n");
	assert_true(rd(m, "/sys/module/iommufd/parameters/allow_unsafe_interrupts", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "N\n");
	assert_true(rd(m, "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "N\n");
	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_IOMMUFD | VFIOIOMMU_MOCK_CONTAINER, false), 0);
	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_NOIOMMU, true), 0);
	assert_int_equal(d->exists(d->priv, "/sys/class/misc/vfio"), -ENOENT);
	assert_int_equal(d->exists(d->priv, "/sys/class/misc/iommu"), -ENOENT);
	assert_int_equal(d->exists(d->priv, "/sys/module/iommufd"), -ENOENT);
	assert_int_equal(d->exists(d->priv, "/sys/module/vfio_iommu_type1"), -ENOENT);
	assert_true(rd(m, "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "Y\n");
	vfioiommu_mock_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reserved_regions_format_and_merge),
		cmocka_unit_test(links_lists_and_attrs),
		cmocka_unit_test(iommu_class_follows_the_host),
		cmocka_unit_test(misc_and_modules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
