/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Bad input for the issue-18 DMA calls (superpage placement, reverse
 * translation, unmap flags, the kept container group): each a clear -errno
 * and message; and the fail-Nth sweep over their door calls on both backends.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "helpers.h"
#include <vfioiommu/dma.h>
#include <vfioiommu/mock.h>

#include "kabi/kabi.h"

#define DEV "0000:00:03.0"
#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define FIX (RW | VFIOIOMMU_DMA_FIXED_IOVA)
#define PG 4096ull
#define M2 0x200000ull

static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_IOMMUFD, VFIOIOMMU_MODE_CONTAINER };

/* 2 MiB-aligned address space for @len bytes (base and span for munmap); no memory behind it. */
static uint8_t *aligned_2m(size_t len, void **base, size_t *span)
{
	*span = len + M2;
	*base = mmap(NULL, *span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(*base != MAP_FAILED);
	return (uint8_t *)(((uintptr_t)*base + (uintptr_t)(M2 - 1)) & ~(uintptr_t)(M2 - 1));
}

static vfioiommu_ctx *open_one(vfioiommu_mock *m, enum vfioiommu_mode mode)
{
	vfioiommu_ctx *ctx = th_ctx(m, mode);
	vfioiommu_device *dev;

	if (vfioiommu_device_open(ctx, DEV, &dev) < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	return ctx;
}

static void each_errno(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		void *base;
		size_t span;
		uint8_t *buf = aligned_2m(2 * M2, &base, &span);
		uint8_t *top = (uint8_t *)(uintptr_t)(UINT64_MAX - PG + 1);
		uint64_t iova = 0, hole = 0x100000000ull;
		void *v;

		/* overflowing address + length: refused before any placement */
		assert_int_equal(vfioiommu_dma_map(ctx, top, 2 * PG, RW, &iova), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "overflows 64 bits", NULL);
		assert_int_equal(vfioiommu_dma_map_in(ctx, top, 2 * PG, RW, 0, 0, UINT64_MAX, &iova), -EINVAL);
		assert_int_equal(vfioiommu_dma_translate_iova(ctx, UINT64_MAX - PG + 1, 2 * PG, &v), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "wraps past 2^64", NULL);
		assert_int_equal(vfioiommu_dma_unmap_flags(ctx, UINT64_MAX - PG + 1, 2 * PG,
							   VFIOIOMMU_DMA_UNMAP_ABSENT_OK), -EINVAL);
		/* unaligned: the superpage path checks as map always did */
		assert_int_equal(vfioiommu_dma_map(ctx, buf + 0x800, M2, RW, &iova), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "must be multiples of the IOMMU page size", NULL);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, M2 + 1, RW, &iova), -EINVAL);
		/* no room for the length in the window at all: -ENOSPC naming the window */
		assert_int_equal(vfioiommu_dma_map_in(ctx, buf, M2, RW, 0, hole, hole + M2 - PG - 1, &iova), -ENOSPC);
		th_assert_msg(vfioiommu_strerror(ctx), "no free IOVA range of 0x200000 bytes", "0x100000000", NULL);
		/* a buffer with no memory behind it: the kernel's EFAULT (the mock does not look, so injected) */
		vfioiommu_mock_fail_ioctl(m, modes[k] == VFIOIOMMU_MODE_IOMMUFD ? KABI_IOMMU_IOAS_MAP :
					  KABI_VFIO_IOMMU_MAP_DMA, 1, EFAULT);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, M2, RW, &iova), -EFAULT);
		th_assert_msg(vfioiommu_strerror(ctx), "(EFAULT)", "is not wholly mapped readable memory of this process",
			      "map memory there first", NULL);
		/* nothing of it stayed: the IOVA is free again, the same 2 MiB-aligned one is handed out */
		assert_int_equal(vfioiommu_dma_map(ctx, buf, M2, RW, &iova), 0);
		assert_int_equal(iova, M2);
		assert_int_equal(vfioiommu_dma_translate_iova(ctx, iova + M2, 1, &v), -ENOENT);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
		munmap(base, span);
	}
}

/* ---- fail-Nth over the new flows ---- */

static vfioiommu_mock *setup(void *arg)
{
	(void)arg;
	return th_mock(th_host_default);
}

static int body(vfioiommu_mock *m, void *arg)
{
	enum vfioiommu_mode mode = *(enum vfioiommu_mode *)arg;
	vfioiommu_ctx *ctx = th_ctx(m, mode);
	vfioiommu_device *dev = NULL;
	void *base, *v = NULL;
	size_t span;
	uint8_t *buf = aligned_2m(2 * M2, &base, &span);
	uint64_t a = 0, b = 0x40000000;
	int rc = vfioiommu_device_open(ctx, DEV, &dev);

	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, M2, RW, &a);
	if (rc == 0 && (a & (M2 - 1)))
		rc = -EPROTO;
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf + M2, PG, FIX, &b);
	if (rc == 0)
		rc = vfioiommu_dma_translate_iova(ctx, a + PG, 1, &v);
	if (rc == 0 && v != buf + PG)
		rc = -EPROTO;
	if (rc == 0)
		rc = vfioiommu_dma_unmap_flags(ctx, 0x7000000, PG, VFIOIOMMU_DMA_UNMAP_ABSENT_OK);
	if (rc == 0) {
		/* the last device goes, the mappings stay; it comes back */
		vfioiommu_device_close(dev);
		dev = NULL;
		rc = vfioiommu_device_open(ctx, DEV, &dev);
	}
	if (rc == 0)
		rc = vfioiommu_dma_unmap_flags(ctx, b, PG, 0);
	if (rc == 0)
		rc = vfioiommu_dma_unmap(ctx, 0, UINT64_MAX);
	vfioiommu_ctx_destroy(ctx);
	munmap(base, span);
	return rc;
}

static void fail_nth(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		enum vfioiommu_mode mode = modes[k];
		assert_true(th_sweep(setup, body, &mode, 500) >= 10);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_errno),
		cmocka_unit_test(fail_nth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
