/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * lib/peer/: vfioiommu_dma_map_region() on the mock: a BAR exported as a
 * dma-buf and mapped with MAP_FILE on iommufd, mmapped and mapped by address
 * on a container; bad input; the kernel's refusals turned into messages; a
 * fail-Nth sweep over every door call it makes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include <vfioiommu/device.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/mock.h>
#include <vfioiommu/p2p.h>

#include "kabi/kabi.h"

#define DEV "0000:00:03.0" /* e1000e model: BAR0 128 KiB mmappable, BAR2 I/O, BAR4 unused */
#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define PG 4096ULL

static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_CONTAINER, VFIOIOMMU_MODE_IOMMUFD };

static void behaviour(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, modes[k]);
		struct vfioiommu_dma_stats st = { .size = sizeof(st) };
		vfioiommu_device *dev = NULL;
		uint64_t iova = 0, fixed = 0x200000, t = 0;

		assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0, 0x20000, RW, &iova), 0);
		assert_int_not_equal(iova, 0);
		assert_int_equal(iova & (PG - 1), 0);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0x4000, 0x2000,
							  RW | VFIOIOMMU_DMA_FIXED_IOVA, &fixed), 0);
		assert_int_equal(fixed, 0x200000);
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 2);
		assert_int_equal(st.mapped_bytes, 0x22000);
		/* one mapping of the table like any other: overlap, unmap, unmap again */
		fixed = 0x201000;
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0, PG, RW | VFIOIOMMU_DMA_FIXED_IOVA, &fixed),
				 -EEXIST);
		assert_int_equal(vfioiommu_dma_unmap(ctx, 0x200000, 0x2000), 0);
		assert_int_equal(vfioiommu_dma_unmap(ctx, 0x200000, 0x2000), -ENOENT);
		assert_int_equal(vfioiommu_dma_unmap_at(ctx, iova), 0);
		/* a dma-buf mapping has no process address; nothing of ours is found either way */
		assert_int_equal(vfioiommu_dma_translate(ctx, &t, 1, &t), -ENOENT);
		/* a live mapping at teardown */
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 1, 0, PG, VFIOIOMMU_DMA_READ, &iova), 0);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

/* Container: the same slice twice reuses one mmap; the caller's own BAR mmap is reused too. */
static void container_reuses_mmaps(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *dev = NULL;
	uint64_t a = 0, b = 0, c = 0, len = 0, t = 0;
	unsigned int before;
	void *bar = NULL;

	assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
	before = vfioiommu_mock_live_mmaps(m);
	assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, PG, PG, RW, &a), 0);
	assert_int_equal(vfioiommu_mock_live_mmaps(m), before + 1);
	assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, PG, PG, RW, &b), 0);
	assert_int_not_equal(a, b);
	assert_int_equal(vfioiommu_mock_live_mmaps(m), before + 1);
	/* a failed map keeps the mmap too (bounded: the next call reuses it) */
	c = a;
	assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, PG, PG, RW | VFIOIOMMU_DMA_FIXED_IOVA, &c), -EEXIST);
	assert_int_equal(vfioiommu_mock_live_mmaps(m), before + 1);
	/* the caller's whole-BAR mmap serves another slice, and translate finds it */
	assert_int_equal(vfioiommu_pci_map_bar(dev, 0, &bar, &len), 0);
	assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 4 * PG, 2 * PG, RW, &c), 0);
	assert_int_equal(vfioiommu_mock_live_mmaps(m), before + 2);
	assert_int_equal(vfioiommu_dma_translate(ctx, (char *)bar + 5 * PG, 8, &t), 0);
	assert_int_equal(t, c + PG);
	assert_int_equal(vfioiommu_dma_unmap_all(ctx), 0);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* The exporting device lives in another context (on the same door). */
static void exporter_in_another_context(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *a = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD), *b = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *da = NULL, *db = NULL;
	uint64_t iova = 0;

	assert_int_equal(vfioiommu_device_open(a, DEV, &da), 0);
	assert_int_equal(vfioiommu_device_open(b, "0000:00:04.0", &db), 0);
	assert_int_equal(vfioiommu_dma_map_region(a, db, 0, 0, PG, RW, &iova), 0);
	assert_int_equal(vfioiommu_dma_unmap_at(a, iova), 0);
	assert_int_equal(vfioiommu_dma_map_region(b, da, 0, 0, PG, RW, &iova), 0);
	assert_int_equal(vfioiommu_dma_unmap_at(b, iova), 0);
	vfioiommu_ctx_destroy(a);
	vfioiommu_ctx_destroy(b);
	th_mock_done(m);
}

static void bad_input(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, modes[k]);
		vfioiommu_device *dev = NULL;
		uint64_t iova = 0;

		assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
		assert_int_equal(vfioiommu_dma_map_region(NULL, dev, 0, 0, PG, RW, &iova), -EINVAL);
		assert_int_equal(vfioiommu_dma_map_region(ctx, NULL, 0, 0, PG, RW, &iova), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "dev is NULL", NULL);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0, PG, RW, NULL), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "iova is NULL", NULL);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 7, 0, PG, RW, &iova), -EOPNOTSUPP);
		th_assert_msg(vfioiommu_strerror(ctx), "region 7", "is not a BAR", NULL);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 6, 0, PG, RW, &iova), -EOPNOTSUPP);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 99, 0, PG, RW, &iova), -EOPNOTSUPP);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 2, 0, PG, RW, &iova), -EOPNOTSUPP);
		th_assert_msg(vfioiommu_strerror(ctx), "BAR 2 cannot be mmapped", NULL);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 4, 0, PG, RW, &iova), -EOPNOTSUPP);
		th_assert_msg(vfioiommu_strerror(ctx), "BAR 4 is unused", NULL);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0, 0, RW, &iova), -EINVAL);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0x800, PG, RW, &iova), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "multiples of the", NULL);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0, 0x800, RW, &iova), -EINVAL);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0x1f000, 0x2000, RW, &iova), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "lies outside BAR 0 (0x20000 bytes)", NULL);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, UINT64_MAX - PG + 1, 2 * PG, RW, &iova),
				 -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "wraps", NULL);
		/* the DMA layer's own rules still hold */
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0, PG, 0, &iova), -EINVAL);
		iova = 0xfee00000;
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0, PG, RW | VFIOIOMMU_DMA_FIXED_IOVA, &iova),
				 -ERANGE);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

/* What the kernel answers instead of a dma-buf, as the message says it (iommufd only). */
static void export_refused(void **state)
{
	static const struct {
		int err, rc;
		const char *says;
	} cases[] = {
		{ ENOTTY, -EOPNOTSUPP, "CONFIG_VFIO_PCI_DMABUF" },
		{ EOPNOTSUPP, -EOPNOTSUPP, "exports no dma-buf" },
		{ ENODEV, -ENODEV, "as a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF) failed: ENODEV" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
		vfioiommu_device *dev = NULL;
		uint64_t iova = 0;

		assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
		vfioiommu_mock_fail_ioctl(m, KABI_VFIO_DEVICE_FEATURE, 1, cases[i].err);
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0, PG, RW, &iova), cases[i].rc);
		th_assert_msg(vfioiommu_strerror(ctx), DEV, cases[i].says, NULL);
		/* nothing was mapped, and the next call works */
		assert_int_equal(vfioiommu_dma_map_region(ctx, dev, 0, 0, PG, RW, &iova), 0);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

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
	uint64_t iova = 0, fixed = 0x300000;
	int rc = vfioiommu_device_open(ctx, DEV, &dev);

	if (rc == 0)
		rc = vfioiommu_dma_map_region(ctx, dev, 0, 0, 0x4000, RW, &iova);
	if (rc == 0)
		rc = vfioiommu_dma_map_region(ctx, dev, 1, PG, PG, RW | VFIOIOMMU_DMA_FIXED_IOVA, &fixed);
	if (rc == 0)
		rc = vfioiommu_dma_unmap_at(ctx, iova);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void fail_nth(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		enum vfioiommu_mode mode = modes[k];
		assert_true(th_sweep(setup, body, &mode, 500) >= 10);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(behaviour),
		cmocka_unit_test(container_reuses_mmaps),
		cmocka_unit_test(exporter_in_another_context),
		cmocka_unit_test(bad_input),
		cmocka_unit_test(export_refused),
		cmocka_unit_test(fail_nth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
