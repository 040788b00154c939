/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "core/door.h"
#include "kabi/kabi.h"
#include "mock/mock.h"

static void fail_nth_counts_every_call(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	char buf[64];
	unsigned long before = vfioiommu_mock_calls(m);

	vfioiommu_mock_fail_nth(m, 2, ENOMEM);
	assert_int_equal(d->exists(d->priv, "/dev/iommu"), 0);
	assert_false(vfioiommu_mock_fault_fired(m));
	assert_int_equal(d->sysfs_read(d->priv, "/sys/kernel/iommu_groups/3/type", buf, sizeof(buf)), -ENOMEM);
	assert_true(vfioiommu_mock_fault_fired(m));
	assert_string_equal(vfioiommu_mock_fault_site(m), "sysfs_read");
	/* it fires once */
	assert_true(d->sysfs_read(d->priv, "/sys/kernel/iommu_groups/3/type", buf, sizeof(buf)) > 0);
	assert_int_equal(vfioiommu_mock_calls(m), before + 3);
	vfioiommu_mock_fail_nth(m, 0, EIO);
	assert_false(vfioiommu_mock_fault_fired(m));
	vfioiommu_mock_destroy(m);
}

static void fail_ioctl_filter(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	int efd = d->eventfd(d->priv, 0, 0);
	uint64_t v = 1;

	/* real fds pass through the mock door, and are still counted and injectable */
	assert_true(efd >= 0 && efd < VFIOIOMMU_MOCK_FD_BASE);
	vfioiommu_mock_fail_ioctl(m, 0x1234, 2, EPERM);
	assert_int_equal(d->ioctl(d->priv, efd, 0x1234, NULL), -ENOTTY);
	assert_int_equal(d->ioctl(d->priv, efd, 0x1234, NULL), -EPERM);
	assert_true(vfioiommu_mock_fault_fired(m));
	assert_int_equal(d->write(d->priv, efd, &v, sizeof(v)), 8);
	assert_int_equal(d->read(d->priv, efd, &v, sizeof(v)), 8);
	assert_int_equal(v, 1);
	vfioiommu_mock_fail_nth(m, 1, EIO);
	/* close still releases a real fd when the fault fires */
	assert_int_equal(d->close(d->priv, efd), -EIO);
	assert_int_equal(d->close(d->priv, efd), -EBADF);
	vfioiommu_mock_destroy(m);
}

/* Fault sites name ioctls by their uAPI name, told apart by the kind of fd where numbers repeat. */
static void fault_sites_name_ioctls(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	int c = d->open(d->priv, "/dev/vfio/vfio", 0), dev = d->open(d->priv, "/dev/vfio/devices/vfio0", 0);
	int ifd = d->open(d->priv, "/dev/iommu", 0);

	assert_true(c >= VFIOIOMMU_MOCK_FD_BASE && dev >= VFIOIOMMU_MOCK_FD_BASE && ifd >= VFIOIOMMU_MOCK_FD_BASE);
	assert_int_equal(KABI_VFIO_IOMMU_GET_INFO, KABI_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO);
	vfioiommu_mock_fail_ioctl(m, KABI_VFIO_IOMMU_GET_INFO, 1, EIO);
	assert_int_equal(d->ioctl(d->priv, c, KABI_VFIO_IOMMU_GET_INFO, NULL), -EIO);
	assert_string_equal(vfioiommu_mock_fault_site(m), "ioctl VFIO_IOMMU_GET_INFO");
	vfioiommu_mock_fail_nth(m, 1, EIO);
	assert_int_equal(d->ioctl(d->priv, dev, KABI_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, NULL), -EIO);
	assert_string_equal(vfioiommu_mock_fault_site(m), "ioctl VFIO_DEVICE_GET_PCI_HOT_RESET_INFO");
	vfioiommu_mock_fail_nth(m, 1, EIO);
	assert_int_equal(d->ioctl(d->priv, ifd, KABI_IOMMU_IOAS_MAP, NULL), -EIO);
	assert_string_equal(vfioiommu_mock_fault_site(m), "ioctl IOMMU_IOAS_MAP");
	/* a number only one name has is named on any fd; an unknown one is shown in hex */
	vfioiommu_mock_fail_nth(m, 1, EIO);
	assert_int_equal(d->ioctl(d->priv, c, KABI_IOMMU_VFIO_IOAS, NULL), -EIO);
	assert_string_equal(vfioiommu_mock_fault_site(m), "ioctl IOMMU_VFIO_IOAS");
	vfioiommu_mock_fail_nth(m, 1, EIO);
	assert_int_equal(d->ioctl(d->priv, c, 0x3b99, NULL), -EIO);
	assert_string_equal(vfioiommu_mock_fault_site(m), "ioctl 0x3b99");
	assert_string_equal(vm_ioctl_name('c', KABI_VFIO_IOMMU_MAP_DMA), "VFIO_IOMMU_MAP_DMA");
	assert_string_equal(vm_ioctl_name('d', KABI_VFIO_IOMMU_MAP_DMA), "VFIO_DEVICE_PCI_HOT_RESET");
	assert_null(vm_ioctl_name(0, KABI_VFIO_IOMMU_MAP_DMA));
	assert_int_equal(d->close(d->priv, ifd), 0);
	assert_int_equal(d->close(d->priv, dev), 0);
	assert_int_equal(d->close(d->priv, c), 0);
	th_mock_done(m);
}

static void bad_fds_and_paths(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	char buf[8];
	int err = 0;

	assert_int_equal(d->close(d->priv, VFIOIOMMU_MOCK_FD_BASE + 7), -EBADF);
	assert_int_equal(d->ioctl(d->priv, VFIOIOMMU_MOCK_FD_BASE + 7, 1, NULL), -EBADF);
	assert_int_equal(d->read(d->priv, VFIOIOMMU_MOCK_FD_BASE + 7, buf, 8), -EBADF);
	assert_null(d->mmap(d->priv, NULL, 4096, 0, 0, VFIOIOMMU_MOCK_FD_BASE + 7, 0, &err));
	assert_int_equal(err, -EBADF);
	assert_int_equal(d->open(d->priv, "/dev/vfio/8", 0), -ENOENT);
	assert_int_equal(d->open(d->priv, "/dev/vfio/x", 0), -ENOENT);
	assert_int_equal(d->open(d->priv, "/dev/vfio/devices/vfio99", 0), -ENOENT);
	assert_int_equal(d->open(d->priv, "/etc/passwd", 0), -ENOENT);
	assert_int_equal(d->open(d->priv, NULL, 0), -EFAULT);
	vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_IOMMUFD | VFIOIOMMU_MOCK_CONTAINER, false);
	assert_int_equal(d->open(d->priv, "/dev/iommu", 0), -ENOENT);
	assert_int_equal(d->open(d->priv, "/dev/vfio/vfio", 0), -ENOENT);
	assert_int_equal(d->exists(d->priv, "/dev/vfio/3"), -ENOENT);
	th_mock_done(m);
}

static void check_size_contract(void **state)
{
	unsigned char buf[64] = { 0 };

	assert_int_equal(vm_check_size(buf, 8, 12, 16), -EINVAL);
	assert_int_equal(vm_check_size(buf, 12, 12, 16), 0);
	assert_int_equal(vm_check_size(buf, 64, 12, 16), 0);
	buf[40] = 1;
	assert_int_equal(vm_check_size(buf, 64, 12, 16), -E2BIG);
	assert_int_equal(vm_check_size(buf, 40, 12, 16), 0);
}

static void topology_api_bad_input(void **state)
{
	vfioiommu_mock *m = th_mock(NULL);

	assert_int_equal(vfioiommu_mock_set_aperture(m, 2, 1), -EINVAL);
	assert_int_equal(vfioiommu_mock_set_aperture(NULL, 0, 1), -EINVAL);
	assert_int_equal(vfioiommu_mock_set_pgsizes(m, 0), -EINVAL);
	assert_int_equal(vfioiommu_mock_set_pasid_width(m, 21), -EINVAL);
	assert_int_equal(vfioiommu_mock_set_feature(m, 1u << 30, true), -EINVAL);
	assert_int_equal(vfioiommu_mock_add_resv(m, 1, 0, 1, VFIOIOMMU_RESV_MSI), -ENOENT);
	assert_int_equal(vfioiommu_mock_add_group(m, 1), 0);
	assert_int_equal(vfioiommu_mock_add_group(m, 1), -EEXIST);
	assert_int_equal(vfioiommu_mock_add_resv(m, 1, 5, 4, VFIOIOMMU_RESV_MSI), -EINVAL);
	assert_int_equal(vfioiommu_mock_add_resv(m, 1, 0, 4, (enum vfioiommu_resv_type)9), -EINVAL);
	assert_int_equal(vfioiommu_mock_add_device(m, 1, "bogus", "vfio-pci"), -EINVAL);
	assert_int_equal(vfioiommu_mock_add_device(m, 2, "0000:00:01.0", "vfio-pci"), -ENOENT);
	assert_int_equal(vfioiommu_mock_add_device(m, 1, "0000:00:01.0", "vfio-pci"), 0);
	assert_int_equal(vfioiommu_mock_add_device(m, 1, "0000:00:01.0", "vfio-pci"), -EEXIST);
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:02.0", NULL), -ENOENT);
	assert_int_equal(vfioiommu_mock_set_driver(m, "0000:00:01.0", NULL), 0);
	assert_string_equal(vm_device_find(m, "0000:00:01.0")->driver, "");
	assert_int_equal(vfioiommu_mock_device_set_ids(m, "0000:00:01.0", 1, 2, 0x1000000), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_set_pasid(m, "0000:00:01.0", 21, false), -EINVAL);
	assert_int_equal(vfioiommu_mock_device_set_pasid(m, "0000:00:01.0", 20, true), 0);
	vfioiommu_mock_destroy(m);
}

static void usable_ranges_oracle(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	unsigned int groups[] = { 6, 7 };
	struct vm_range *r;
	size_t n;

	/* direct excluded, direct-relaxable kept, msi excluded */
	assert_int_equal(vm_usable_ranges(m, groups, 2, &r, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, 0x7cffffff);
	assert_int_equal(r[1].start, 0x7d100000);
	assert_int_equal(r[1].last, 0xfedfffff);
	assert_int_equal(r[2].start, 0xfef00000);
	assert_int_equal(r[2].last, (1ULL << 39) - 1);
	free(r);
	vfioiommu_mock_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fail_nth_counts_every_call),
		cmocka_unit_test(fail_ioctl_filter),
		cmocka_unit_test(fault_sites_name_ioctls),
		cmocka_unit_test(bad_fds_and_paths),
		cmocka_unit_test(check_size_contract),
		cmocka_unit_test(topology_api_bad_input),
		cmocka_unit_test(usable_ranges_oracle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
