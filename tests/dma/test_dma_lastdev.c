/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The last device leaving: mappings survive on both backends.  An IOAS keeps
 * them by itself; a container keeps its last group attached while the
 * library holds mappings (the kernel would drop its IOMMU and every mapping
 * with the last group), until a device of it opens again,
 * vfioiommu_dma_unmap_all() or the context's end.
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

#define DEV "0000:00:03.0"
#define FIX (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA)
#define PG 4096ull

static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_IOMMUFD, VFIOIOMMU_MODE_CONTAINER };

static uint64_t live(vfioiommu_ctx *ctx)
{
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };

	assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
	return st.mappings;
}

static void mappings_survive(void **state)
{
	static uint8_t buf[4 * PG] __attribute__((aligned(4096)));

	(void)state;
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, modes[k]);
		vfioiommu_device *dev = NULL;
		uint64_t iova = 0x100000, got;
		unsigned int fds_open, fds_closed;

		assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
		fds_open = vfioiommu_mock_open_fds(m);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, 4 * PG, FIX, &iova), 0);
		vfioiommu_device_close(dev);
		fds_closed = vfioiommu_mock_open_fds(m);
		/* the device fd went; the container keeps its group fd, iommufd needs nothing */
		assert_int_equal(fds_closed, fds_open - 1);
		assert_int_equal(live(ctx), 1);
		assert_int_equal(vfioiommu_dma_translate(ctx, buf + PG, 1, &got), 0);
		assert_int_equal(got, 0x101000);
		/* back again: the kernel still holds the mapping, as unmapping its full length shows (else -EIO) */
		assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
		assert_int_equal(vfioiommu_mock_open_fds(m), fds_open);
		assert_int_equal(vfioiommu_dma_unmap(ctx, 0x100000, 4 * PG), 0);
		/* nothing mapped: the last device takes the group with it */
		vfioiommu_device_close(dev);
		assert_int_equal(vfioiommu_mock_open_fds(m),
				 modes[k] == VFIOIOMMU_MODE_CONTAINER ? fds_open - 2 : fds_open - 1);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

/* unmap_all lets the kept group go; a context destroyed while it is kept leaks nothing. */
static void kept_group_released(void **state)
{
	static uint8_t buf[PG] __attribute__((aligned(4096)));

	(void)state;
	for (int by_unmap_all = 0; by_unmap_all < 2; by_unmap_all++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
		vfioiommu_device *dev = NULL;
		uint64_t iova = 0x100000;
		unsigned int before;

		before = vfioiommu_mock_open_fds(m);
		assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), 0);
		vfioiommu_device_close(dev);
		/* the container and the kept group */
		assert_int_equal(vfioiommu_mock_open_fds(m), before + 2);
		if (by_unmap_all) {
			assert_int_equal(vfioiommu_dma_unmap_all(ctx), 0);
			assert_int_equal(vfioiommu_mock_open_fds(m), before + 1);
			/* nothing is attached any more: the container has no IOMMU until a device comes */
			assert_int_equal(vfioiommu_dma_translate(ctx, buf, 1, &iova), -ENOENT);
			assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), -ENODEV);
		}
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mappings_survive),
		cmocka_unit_test(kept_group_released),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
