/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The iommufd backend (lib/backend/iommufd.c) and vfioiommu_ctx_iova_ranges (lib/backend/ranges.c) on the mock. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <vfioiommu/dma.h>
#include <vfioiommu/mock.h>

#include "backend/internal.h"
#include "helpers.h"
#include "core/internal.h"
#include "kabi/kabi.h"
#include "mock/mock.h"

#define DEV3 "0000:00:03.0"
#define DEV4A "0000:00:04.0"
#define DEV4B "0000:00:04.1"

static vfioiommu_iova_list *ranges_of(vfioiommu_ctx *ctx, size_t want)
{
	vfioiommu_iova_list *l = NULL;

	assert_int_equal(vfioiommu_ctx_iova_ranges(ctx, &l), 0);
	assert_non_null(l);
	assert_int_equal(vfioiommu_iova_list_source(l), VFIOIOMMU_IOVA_SRC_IOAS_RANGES);
	assert_int_equal(vfioiommu_iova_list_count(l), want);
	return l;
}

static void range_is(const vfioiommu_iova_list *l, size_t i, uint64_t start, uint64_t last)
{
	struct vfioiommu_iova_range r;

	assert_int_equal(vfioiommu_iova_list_get(l, i, &r), 0);
	assert_true(r.start == start);
	assert_true(r.last == last);
}

static void iommufd_mode_basics(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *dev = NULL, *dev2 = NULL;
	vfioiommu_iova_list *l;
	struct vfioiommu_hw_info hi = { .size = sizeof(hi) };
	uint32_t id = 0;

	assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_IOMMUFD);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "iommufd", "requested", NULL);
	assert_true(vfioiommu_device_fd(dev) >= VFIOIOMMU_MOCK_FD_BASE);
	assert_true(vfioiommu_ctx_iommufd_fd(ctx) >= VFIOIOMMU_MOCK_FD_BASE);
	assert_int_equal(vfioiommu_ctx_ioas_id(ctx, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(vfioiommu_device_iommufd_id(dev, &id), 0);
	assert_int_equal(id, 2);
	assert_int_equal(dev->pt_id, 3);
	/* FACTS (intel): after attach [0,0xfedfffff] [0xfef00000,2^39-1] */
	l = ranges_of(ctx, 2);
	range_is(l, 0, 0, 0xfedfffffull);
	range_is(l, 1, 0xfef00000ull, (1ull << 39) - 1);
	vfioiommu_iova_list_free(l);
	/* FACTS: Intel VT-d, no PASID, capabilities 0x8 */
	assert_int_equal(vfioiommu_device_hw_info(dev, &hi), 0);
	assert_int_equal(hi.size, sizeof(hi));
	assert_int_equal(hi.type, VFIOIOMMU_HW_INTEL_VTD);
	assert_int_equal(hi.max_pasid_log2, 0);
	assert_true(hi.capabilities == VFIOIOMMU_HW_CAP_ATS_NOT_SUPPORTED);
	/* a caller built against a shorter struct gets only what it knows */
	{
		struct vfioiommu_hw_info small;
		memset(&small, 0xee, sizeof(small));
		small.size = 8;
		assert_int_equal(vfioiommu_device_hw_info(dev, &small), 0);
		assert_int_equal(small.type, VFIOIOMMU_HW_INTEL_VTD);
		assert_int_equal(small.max_pasid_log2, 0xeeeeeeeeu);
		small.size = 4;
		assert_int_equal(vfioiommu_device_hw_info(dev, &small), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "size 4", "too small", NULL);
	}
	/* a second device shares the auto HWPT; closing devices keeps the context */
	assert_int_equal(vfioiommu_device_open(ctx, DEV4A, &dev2), 0);
	assert_int_equal(dev2->pt_id, dev->pt_id);
	vfioiommu_device_close(dev);
	l = ranges_of(ctx, 2);
	vfioiommu_iova_list_free(l);
	vfioiommu_device_close(dev2);
	/* no device: the IOAS has no domain, one range [0, 2^64-1] (FACTS) */
	l = ranges_of(ctx, 1);
	range_is(l, 0, 0, UINT64_MAX);
	vfioiommu_iova_list_free(l);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void auto_mode_choice(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_device *dev = NULL;
	vfioiommu_iova_list *l = NULL;

	assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_IOMMUFD);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "/dev/iommu", "/dev/vfio/devices/vfio0", NULL);
	vfioiommu_ctx_destroy(ctx);
	assert_int_equal(vfioiommu_mock_open_fds(m), 0);

	/* no /dev/iommu: the container */
	vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_IOMMUFD, false);
	ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_TYPE1V2);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "CONFIG_IOMMUFD", NULL);
	/* the container's ranges come through the same call, tagged by their source */
	assert_int_equal(vfioiommu_ctx_iova_ranges(ctx, &l), 0);
	assert_int_equal(vfioiommu_iova_list_source(l), VFIOIOMMU_IOVA_SRC_TYPE1_CAP);
	assert_int_equal(vfioiommu_iova_list_count(l), 2);
	vfioiommu_iova_list_free(l);
	/* the iommufd queries say which backend is in use */
	assert_int_equal(vfioiommu_ctx_iommufd_fd(ctx), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "type1v2", "not iommufd", NULL);
	{
		uint32_t id;
		struct vfioiommu_hw_info hi = { .size = sizeof(hi) };
		assert_int_equal(vfioiommu_ctx_ioas_id(ctx, &id), -EOPNOTSUPP);
		assert_int_equal(vfioiommu_device_iommufd_id(dev, &id), -EOPNOTSUPP);
		assert_int_equal(vfioiommu_device_hw_info(dev, &hi), -EOPNOTSUPP);
	}
	vfioiommu_ctx_destroy(ctx);

	/* /dev/iommu but no cdev: the container, and the reason says so */
	vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_IOMMUFD, true);
	vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CDEV, false);
	ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), 0);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_TYPE1V2);
	th_assert_msg(vfioiommu_ctx_backend_reason(ctx), "no VFIO cdev", NULL);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void iommufd_mode_failures(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx, *cctx;
	vfioiommu_device *dev = NULL, *cdev = NULL;

	/* no /dev/iommu */
	vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_IOMMUFD, false);
	ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), -ENOENT);
	assert_null(dev);
	th_assert_msg(vfioiommu_strerror(ctx), "/dev/iommu", "CONFIG_IOMMUFD", NULL);
	assert_int_equal(vfioiommu_ctx_backend(ctx), VFIOIOMMU_BACKEND_NONE);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_IOMMUFD, true);

	/* no cdev */
	vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CDEV, false);
	ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	assert_true(vfioiommu_device_open(ctx, DEV3, &dev) < 0);
	th_assert_msg(vfioiommu_strerror(ctx), DEV3, "cdev", NULL);
	vfioiommu_ctx_destroy(ctx);
	assert_int_equal(vfioiommu_mock_open_fds(m), 0);
	vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CDEV, true);

	ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	/* the group is held by a container context: BIND says EBUSY and why */
	cctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	assert_int_equal(vfioiommu_device_open(cctx, DEV3, &cdev), 0);
	assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), -EBUSY);
	th_assert_msg(vfioiommu_strerror(ctx), "VFIO_DEVICE_BIND_IOMMUFD", DEV3, "EBUSY", "group 3",
		      "container", NULL);
	vfioiommu_ctx_destroy(cctx);
	/* a RESV_DIRECT device */
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:14.0", &dev), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:14.0", "1:1", "RESV_DIRECT", "0x000000007d000000", NULL);
	/* a group with a device on a kernel driver */
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:05.0", &dev), -EPERM);
	th_assert_msg(vfioiommu_strerror(ctx), "0000:00:05.0", "EPERM", "group 5", "kernel driver", NULL);
	/* the same device twice in one context is refused before the kernel is asked */
	assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), 0);
	assert_int_equal(vfioiommu_device_open(ctx, DEV3, &cdev), -EBUSY);
	/* and from a second iommufd context the kernel says EINVAL: already bound */
	cctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(vfioiommu_device_open(cctx, DEV3, &cdev), -EINVAL);
	th_assert_msg(vfioiommu_strerror(cctx), "already bound", NULL);
	/* another device of the same group in the second context: the group is owned by the first */
	assert_int_equal(vfioiommu_device_open(ctx, DEV4A, &dev), 0);
	assert_int_equal(vfioiommu_device_open(cctx, DEV4B, &cdev), -EPERM);
	th_assert_msg(vfioiommu_strerror(cctx), "another iommufd", NULL);
	vfioiommu_ctx_destroy(cctx);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* Every kernel step that can fail names itself and the errno, and leaves nothing open. */
static void injected_errors_are_explained(void **state)
{
	static const struct {
		unsigned long req;
		const char *what;
	} steps[] = {
		{ KABI_IOMMU_IOAS_ALLOC, "IOMMU_IOAS_ALLOC" },
		{ KABI_VFIO_DEVICE_BIND_IOMMUFD, "VFIO_DEVICE_BIND_IOMMUFD" },
		{ KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, "VFIO_DEVICE_ATTACH_IOMMUFD_PT" },
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
		vfioiommu_device *dev = NULL;

		vfioiommu_mock_fail_ioctl(m, steps[i].req, 1, EIO);
		assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), -EIO);
		th_assert_msg(vfioiommu_strerror(ctx), steps[i].what, "EIO", NULL);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
	{
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
		vfioiommu_device *dev = NULL;
		vfioiommu_iova_list *l = (vfioiommu_iova_list *)1;
		struct vfioiommu_hw_info hi = { .size = sizeof(hi) };

		assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), 0);
		vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_IOAS_IOVA_RANGES, 1, EIO);
		assert_int_equal(vfioiommu_ctx_iova_ranges(ctx, &l), -EIO);
		assert_null(l);
		th_assert_msg(vfioiommu_strerror(ctx), "IOMMU_IOAS_IOVA_RANGES", "IOAS 1", "EIO", NULL);
		vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_GET_HW_INFO, 1, ENOTTY);
		assert_int_equal(vfioiommu_device_hw_info(dev, &hi), -EOPNOTSUPP);
		th_assert_msg(vfioiommu_strerror(ctx), "IOMMU_GET_HW_INFO", "6.6", NULL);
		vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_GET_HW_INFO, 1, EIO);
		assert_int_equal(vfioiommu_device_hw_info(dev, &hi), -EIO);
		th_assert_msg(vfioiommu_strerror(ctx), "IOMMU_GET_HW_INFO", DEV3, "EIO", NULL);
		/* DETACH failing at close is only logged; closing the cdev detaches anyway */
		vfioiommu_mock_fail_ioctl(m, KABI_VFIO_DEVICE_DETACH_IOMMUFD_PT, 1, EIO);
		vfioiommu_device_close(dev);
		assert_true(vfioiommu_mock_fault_fired(m));
		/* and a failing DESTROY of the IOAS at teardown: closing /dev/iommu frees it */
		vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_DESTROY, 1, EIO);
		vfioiommu_ctx_destroy(ctx);
		assert_true(vfioiommu_mock_fault_fired(m));
		th_mock_done(m);
	}
}

static void open_permission_message(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *dev = NULL;
	unsigned long n;

	/* find the call number of the open of /dev/iommu: the first open() after the sysfs checks */
	for (n = 1; n < 40; n++) {
		vfioiommu_mock_fail_nth(m, n, EACCES);
		if (vfioiommu_device_open(ctx, DEV3, &dev) == -EACCES &&
		    !strcmp(vfioiommu_mock_fault_site(m), "open"))
			break;
		vfioiommu_ctx_destroy(ctx);
		ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
		dev = NULL;
	}
	assert_true(n < 40);
	th_assert_msg(vfioiommu_strerror(ctx), "/dev/iommu", "EACCES", "0660", NULL);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static const char host_clash[] =
	"address-width 39\n"
	"group 1\n"
	"  device 0000:00:01.0 vfio-pci\n"
	"group 2\n"
	"  resv 0x100000 0x1fffff reserved\n"
	"  device 0000:00:02.0 vfio-pci\n";

/* A mapping made while one device was attached blocks a device whose reserved region covers it. */
static void attach_clash_is_explained(void **state)
{
	vfioiommu_mock *m = th_mock(host_clash);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *d1 = NULL, *d2 = NULL;
	static uint8_t page[4096] __attribute__((aligned(4096)));
	uint64_t gone = 0;
	unsigned int fds;

	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:01.0", &d1), 0);
	assert_int_equal(ctx->be->map(ctx, (uintptr_t)page, 0x100000, 4096, VI_PROT_READ | VI_PROT_WRITE), 0);
	fds = vfioiommu_mock_open_fds(m);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:02.0", &d2), -EADDRINUSE);
	th_assert_msg(vfioiommu_strerror(ctx), "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "0000:00:02.0", "EADDRINUSE",
		      "reserved", NULL);
	/* the cdev opened for the failed device is closed again */
	assert_int_equal(vfioiommu_mock_open_fds(m), fds);
	assert_int_equal(ctx->be->unmap(ctx, 0x100000, 4096, &gone), 0);
	assert_true(gone == 4096);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:02.0", &d2), 0);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* The DMA entries of the ops table: the kernel's answers, unchanged. */
static void dma_ops(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *dev = NULL;
	static uint8_t buf[3 * 4096] __attribute__((aligned(4096)));
	uint64_t pgsizes = 0, gone = 0;
	int64_t avail = 0;
	int memfd;

	assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), 0);
	assert_int_equal(ctx->be->dma_limits(ctx, &pgsizes, &avail), 0);
	/* the IOAS alignment (4 KiB) and the superpages VT-d's SLLPS names (GET_HW_INFO) */
	assert_true(pgsizes == 0x40201000);
	assert_true(avail == -1);
	assert_int_equal(ctx->be->map(ctx, (uintptr_t)buf, 0x100000, 0x2000, VI_PROT_READ), 0);
	assert_int_equal(ctx->be->map(ctx, (uintptr_t)buf, 0x100000, 0x2000, VI_PROT_READ), -EEXIST);
	assert_int_equal(ctx->be->map(ctx, (uintptr_t)buf, 0xfee00000, 0x1000, VI_PROT_WRITE), -EINVAL);
	assert_int_equal(ctx->be->map(ctx, (uintptr_t)buf, 0x200000, 0x1000, 0), -EINVAL);
	assert_int_equal(ctx->be->unmap(ctx, 0x100000, 0x1000, &gone), -ENOENT);
	assert_true(gone == 0);
	memfd = ctx->door->memfd(ctx->door->priv, "t", 0, 0x4000);
	assert_true(memfd >= 0);
	assert_int_equal(ctx->be->map_file(ctx, memfd, 0x1000, 0x300000, 0x2000, VI_PROT_READ | VI_PROT_WRITE), 0);
	assert_int_equal(ctx->be->unmap_all(ctx, &gone), 0);
	assert_true(gone == 0x4000);
	assert_int_equal(ctx->be->unmap_all(ctx, &gone), 0);
	assert_true(gone == 0);
	vfioiommu_device_close(dev);
	/* without a device the kernel says alignment 1; the library still wants pages */
	assert_int_equal(ctx->be->dma_limits(ctx, &pgsizes, &avail), 0);
	assert_true(pgsizes == 0x1000);
	ctx->door->close(ctx->door->priv, memfd);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* lib/dma/dma.c on this backend: an attach must make it re-read the ranges. */
static void dma_api_follows_attach(void **state)
{
	vfioiommu_mock *m = th_mock(host_clash);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *d1 = NULL, *d2 = NULL;
	size_t sz = 4u << 20;
	uint8_t *buf = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t iova = 0, t = 0;
	int memfd;

	assert_true(buf != MAP_FAILED);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:01.0", &d1), 0);
	assert_int_equal(vfioiommu_dma_map(ctx, buf, 0x10000, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova), 0);
	assert_true(iova == 0x1000); /* the lowest page, never IOVA 0 */
	/* group 2 reserves [0x100000, 0x1fffff]: the next allocation must skip it */
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:02.0", &d2), 0);
	assert_int_equal(vfioiommu_dma_map(ctx, buf + 0x10000, 0x200000, VFIOIOMMU_DMA_READ, &iova), 0);
	assert_true(iova == 0x200000);
	assert_int_equal(vfioiommu_dma_translate(ctx, buf + 0x10000, 0x1000, &t), 0);
	assert_true(t == 0x200000);
	memfd = ctx->door->memfd(ctx->door->priv, "t", 0, 0x4000);
	assert_true(memfd >= 0);
	assert_int_equal(vfioiommu_dma_map_file(ctx, memfd, 0, 0x4000, VFIOIOMMU_DMA_READ, &iova), 0);
	assert_int_equal(vfioiommu_dma_unmap_at(ctx, 0x200000), 0);
	assert_int_equal(vfioiommu_dma_unmap_all(ctx), 0);
	ctx->door->close(ctx->door->priv, memfd);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
	munmap(buf, sz);
}

static void many_ranges_and_hostile_counts(void **state)
{
	char host[4096];
	size_t len = 0;
	vfioiommu_mock *m;
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev = NULL;
	vfioiommu_iova_list *l = NULL;

	/* 40 holes: more than the first guess of 16, so the EMSGSIZE path runs */
	len += (size_t)snprintf(host + len, sizeof(host) - len, "address-width 39\ngroup 1\n");
	for (int i = 1; i <= 40; i++)
		len += (size_t)snprintf(host + len, sizeof(host) - len, "  resv 0x%x 0x%x reserved\n",
					i * 0x100000, i * 0x100000 + 0xfff);
	snprintf(host + len, sizeof(host) - len, "  device 0000:00:01.0 vfio-pci\n");
	m = th_mock(host);
	ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:01.0", &dev), 0);
	l = ranges_of(ctx, 41);
	range_is(l, 0, 0, 0xfffff);
	range_is(l, 40, 40 * 0x100000 + 0x1000, (1ull << 39) - 1);
	vfioiommu_iova_list_free(l);
	/* a kernel claiming 4 billion ranges is not believed */
	vfioiommu_mock_set_hostile(m, VFIOIOMMU_MOCK_HOSTILE_HUGE_COUNTS);
	l = (vfioiommu_iova_list *)1;
	assert_int_equal(vfioiommu_ctx_iova_ranges(ctx, &l), -EPROTO);
	assert_null(l);
	th_assert_msg(vfioiommu_strerror(ctx), "IOMMU_IOAS_IOVA_RANGES", "4294967295", "not trusting", NULL);
	vfioiommu_mock_set_hostile(m, 0);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void bad_arguments(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_iova_list *l = (vfioiommu_iova_list *)1;
	uint32_t id;

	assert_int_equal(vfioiommu_ctx_iova_ranges(NULL, &l), -EINVAL);
	assert_int_equal(vfioiommu_ctx_iova_ranges(ctx, NULL), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "out is NULL", NULL);
	assert_int_equal(vfioiommu_ctx_iova_ranges(ctx, &l), -ENODEV);
	assert_null(l);
	th_assert_msg(vfioiommu_strerror(ctx), "no backend", NULL);
	assert_int_equal(vfioiommu_ctx_iommufd_fd(NULL), -EINVAL);
	assert_int_equal(vfioiommu_ctx_iommufd_fd(ctx), -ENODEV);
	th_assert_msg(vfioiommu_strerror(ctx), "open a device first", NULL);
	assert_int_equal(vfioiommu_ctx_ioas_id(NULL, &id), -EINVAL);
	assert_int_equal(vfioiommu_ctx_ioas_id(ctx, NULL), -EINVAL);
	assert_int_equal(vfioiommu_ctx_ioas_id(ctx, &id), -ENODEV);
	assert_int_equal(vfioiommu_device_iommufd_id(NULL, &id), -EINVAL);
	assert_int_equal(vfioiommu_device_hw_info(NULL, NULL), -EINVAL);
	{
		vfioiommu_device *dev = NULL;
		assert_int_equal(vfioiommu_device_open(ctx, DEV3, &dev), 0);
		assert_int_equal(vfioiommu_device_iommufd_id(dev, NULL), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "devid is NULL", NULL);
		assert_int_equal(vfioiommu_device_hw_info(dev, NULL), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "out is NULL", NULL);
	}
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* ---------------- fail-Nth: open + device_open + ranges + hw_info + teardown ---------------- */

struct sweep_arg {
	enum vfioiommu_mode mode;
	unsigned int fallbacks; /* AUTO picked the container because a probe failed */
};

static vfioiommu_mock *sweep_setup(void *arg)
{
	return th_mock(th_host_default);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct sweep_arg *a = arg;
	vfioiommu_ctx *ctx = th_ctx(m, a->mode);
	vfioiommu_device *d1 = NULL, *d2 = NULL;
	vfioiommu_iova_list *l = NULL;
	struct vfioiommu_hw_info hi = { .size = sizeof(hi) };
	bool fired;
	int rc;

	rc = vfioiommu_device_open(ctx, DEV3, &d1);
	if (rc == 0 && vfioiommu_ctx_backend(ctx) != VFIOIOMMU_BACKEND_IOMMUFD) {
		/*
		 * /dev/iommu and the cdev exist on this host, so only a failed probe
		 * (context.c treats any error of exists()/listdir as "absent") leads
		 * here.  Counted and reported, not hidden.
		 */
		a->fallbacks++;
		rc = -EIO;
		vfioiommu_ctx_destroy(ctx);
		return rc;
	}
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, DEV4A, &d2);
	if (rc == 0)
		rc = vfioiommu_ctx_iova_ranges(ctx, &l);
	if (rc == 0 && vfioiommu_iova_list_count(l) != 2)
		rc = -EPROTO;
	if (rc == 0)
		rc = vfioiommu_device_hw_info(d1, &hi);
	if (rc < 0) {
		/* every failure is explained, with the errno the kernel gave */
		const char *msg = vfioiommu_strerror(ctx);
		if (!strstr(msg, "EIO"))
			fail_msg("rc %d: message \"%s\" does not name the error", rc, msg);
		assert_int_equal(rc, -EIO);
	}
	vfioiommu_iova_list_free(l);
	/*
	 * Teardown (DETACH, IOMMU_DESTROY, close) returns nothing: a fault there
	 * is only logged, and closing the fds frees the kernel objects anyway.
	 * th_sweep still checks that no fd is left; tell it the fault was met.
	 */
	fired = vfioiommu_mock_fault_fired(m);
	vfioiommu_device_close(d2);
	vfioiommu_ctx_destroy(ctx);
	if (rc == 0 && !fired && vfioiommu_mock_fault_fired(m))
		rc = -EIO;
	return rc;
}

static void fail_nth_sweep_iommufd(void **state)
{
	struct sweep_arg a = { VFIOIOMMU_MODE_IOMMUFD, 0 };

	assert_true(th_sweep(sweep_setup, sweep_body, &a, 400) >= 15);
	assert_int_equal(a.fallbacks, 0);
}

static void fail_nth_sweep_auto(void **state)
{
	struct sweep_arg a = { VFIOIOMMU_MODE_AUTO, 0 };

	assert_true(th_sweep(sweep_setup, sweep_body, &a, 400) >= 15);
	/* a failed probe is an error, never a silent switch to the container */
	assert_int_equal(a.fallbacks, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iommufd_mode_basics),
		cmocka_unit_test(auto_mode_choice),
		cmocka_unit_test(iommufd_mode_failures),
		cmocka_unit_test(injected_errors_are_explained),
		cmocka_unit_test(open_permission_message),
		cmocka_unit_test(attach_clash_is_explained),
		cmocka_unit_test(dma_ops),
		cmocka_unit_test(dma_api_follows_attach),
		cmocka_unit_test(many_ranges_and_hostile_counts),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(fail_nth_sweep_iommufd),
		cmocka_unit_test(fail_nth_sweep_auto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
