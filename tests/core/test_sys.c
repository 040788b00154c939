/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* lib/core/sys.c: the system door, and vfioiommu_door_ioctl() on it and on the mock's. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "kabi/kabi.h"

/* The escape hatches work on the mock: the library's fds take raw ioctls through its door. */
static void door_ioctl_on_the_mock(void **state)
{
	static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD };

	for (size_t i = 0; i < 2; i++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		const vfioiommu_door *door = vfioiommu_mock_door(m);
		vfioiommu_ctx *ctx = th_ctx(m, modes[i]);
		struct kabi_vfio_device_info di = { .argsz = sizeof(di) };
		vfioiommu_device *dev;
		int fd;

		assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &dev), 0);
		fd = vfioiommu_device_fd(dev);
		assert_true(fd >= VFIOIOMMU_MOCK_FD_BASE);
		assert_int_equal(vfioiommu_door_ioctl(door, fd, KABI_VFIO_DEVICE_GET_INFO, &di), 0);
		assert_int_equal(di.num_regions, 9); /* the e1000e model */
		/* a mock fd is no kernel fd */
		assert_int_equal(vfioiommu_door_ioctl(NULL, fd, KABI_VFIO_DEVICE_GET_INFO, &di), -EBADF);
		if (modes[i] == VFIOIOMMU_MODE_IOMMUFD) {
			struct kabi_iommu_ioas_iova_ranges r = { .size = sizeof(r) };
			uint32_t ioas;

			assert_int_equal(vfioiommu_ctx_ioas_id(ctx, &ioas), 0);
			r.ioas_id = ioas;
			/* no room for ranges: EMSGSIZE and the count, as the kernel answers */
			assert_int_equal(vfioiommu_door_ioctl(door, vfioiommu_ctx_iommufd_fd(ctx),
							      KABI_IOMMU_IOAS_IOVA_RANGES, &r), -EMSGSIZE);
			assert_int_equal(r.num_iovas, 2);
		}
		/* the mock's fault injection sees these calls, named like the library's */
		vfioiommu_mock_fail_nth(m, 1, EIO);
		assert_int_equal(vfioiommu_door_ioctl(door, fd, KABI_VFIO_DEVICE_GET_INFO, &di), -EIO);
		assert_string_equal(vfioiommu_mock_fault_site(m), "ioctl VFIO_DEVICE_GET_INFO");
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

/* On the real kernel (NULL or the system door) it is ioctl(2), with a negative errno instead of -1. */
static void door_ioctl_on_the_kernel(void **state)
{
	int p[2], avail = -1;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	assert_int_equal(vfioiommu_door_ioctl(NULL, p[0], FIONREAD, &avail), 0);
	assert_int_equal(avail, 3);
	assert_int_equal(vfioiommu_door_ioctl(vfioiommu_door_system(), p[0], KABI_VFIO_GET_API_VERSION, NULL),
			 -ENOTTY);
	close(p[0]);
	close(p[1]);
	assert_int_equal(vfioiommu_door_ioctl(NULL, p[0], FIONREAD, &avail), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(door_ioctl_on_the_mock),
		cmocka_unit_test(door_ioctl_on_the_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
