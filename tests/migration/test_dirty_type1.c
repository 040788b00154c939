/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The type1v2 container's dirty tracking (lib/migration/dirty_type1.c) on
 * the mock's (lib/mock/dirty_type1.c): every mapped page dirty with a PCI
 * device, nothing with only mediated devices, the kernel's rules (page
 * size, whole mappings), bad input and contexts that cannot track, the
 * choice between trackers (vfioiommu_dirty_choose()), and the fail-Nth sweep.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>
#include "helpers.h"
#include "kabi/kabi.h"

#define UA "8c3e2a10-0000-4000-8000-0000000000a1"
#define NIC "0000:00:02.0"

static const char host[] =
	"group 2\n"
	"  device " NIC " vfio-pci\n"
	"mdev-parent mtty 24 0x4348 0x3253\n"
	"mdev-type mtty mtty-2 2 Dual port serial\n"
	"mdev " UA " mtty mtty-2\n";

static char *buf;

struct fx {
	vfioiommu_mock *m;
	vfioiommu_ctx *ctx;
	vfioiommu_device *d;
	uint64_t i1, i2;
};

static void fx_open(struct fx *f, enum vfioiommu_mode mode, const char *dev)
{
	f->m = th_mock(host);
	f->ctx = th_ctx(f->m, mode);
	f->i1 = 0x100000;
	f->i2 = 0x300000;
	assert_int_equal(vfioiommu_device_open(f->ctx, dev, &f->d), 0);
	assert_int_equal(vfioiommu_dma_map(f->ctx, buf, 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &f->i1), 0);
	assert_int_equal(vfioiommu_dma_map(f->ctx, buf + (2 << 20), 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA,
					   &f->i2), 0);
}

static void fx_close(struct fx *f)
{
	vfioiommu_device_close(f->d);
	vfioiommu_ctx_destroy(f->ctx);
	th_mock_done(f->m);
}

struct runs {
	unsigned int n;
	uint64_t iova[4], len[4];
};

static int collect(void *arg, uint64_t iova, uint64_t len)
{
	struct runs *r = arg;

	if (r->n < 4) {
		r->iova[r->n] = iova;
		r->len[r->n] = len;
	}
	r->n++;
	return 0;
}

static void every_mapped_page(void **state)
{
	struct fx f;
	uint64_t bm[12];
	struct runs runs = { 0 };

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_CONTAINER, NIC);
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 3 << 20, 4096, bm, sizeof(bm)), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "not running", NULL);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), 0);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), -EBUSY);
	memset(bm, 0x33, sizeof(bm));
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 3 << 20, 4096, bm, sizeof(bm)), 0);
	for (unsigned int i = 0; i < 12; i++)
		assert_true(bm[i] == (i >= 4 && i < 8 ? 0 : UINT64_MAX));
	/* and again: a PCI device pins nothing, so every report says all */
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 1 << 20, 4096, bm, 32), 0);
	assert_true(bm[0] == UINT64_MAX && bm[3] == UINT64_MAX);
	assert_int_equal(vfioiommu_dirty_type1_ranges(f.ctx, 0, 16 << 20, 4096, collect, &runs), 0);
	assert_int_equal(runs.n, 2);
	assert_true(runs.iova[0] == f.i1 && runs.len[0] == 1 << 20 && runs.iova[1] == f.i2 && runs.len[1] == 1 << 20);
	/* the kernel's rules */
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1 + 0x1000, (1 << 20) - 0x1000, 4096, bm, sizeof(bm)),
			 -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "cuts a DMA mapping", NULL);
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 1 << 20, 8192, bm, sizeof(bm)), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "0x1000 bytes only", NULL);
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1 + 0x800, 1 << 20, 4096, bm, sizeof(bm)), -EINVAL);
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 0, 4096, bm, sizeof(bm)), -EINVAL);
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 3 << 20, 4096, bm, sizeof(bm) - 8), -ENOSPC);
	assert_int_equal(vfioiommu_dirty_type1_stop(f.ctx), 0);
	assert_int_equal(vfioiommu_dirty_type1_stop(f.ctx), 0);
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 1 << 20, 4096, bm, 32), -EINVAL);
	fx_close(&f);
}

/*
 * The library zeroes only the words outside its mappings and the kernel
 * (and the mock, as it) writes the words of each mapping: a range starting
 * in a gap, mappings starting and ending inside a word, a stale bitmap.
 */
static void gaps_zeroed(void **state)
{
	struct fx f;
	uint64_t bm[24], want[24] = { 0 }, i3 = 0x488000, i4 = 0x4a1000;
	const uint64_t base = 0x80000;

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_CONTAINER, NIC);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), 0);
	/* the table wholly inside the range, no gap (i1, a filler, i2): nothing to zero */
	{
		uint64_t mid = 0x200000;

		assert_int_equal(vfioiommu_dma_map(f.ctx, buf, 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &mid), 0);
		memset(bm, 0x5a, sizeof(bm));
		assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 3 << 20, 4096, bm, sizeof(bm)), 0);
		for (unsigned int i = 0; i < 12; i++)
			assert_true(bm[i] == UINT64_MAX);
		assert_int_equal(vfioiommu_dma_unmap(f.ctx, mid, 1 << 20), 0);
	}
	assert_int_equal(vfioiommu_dma_map(f.ctx, buf, 0x8000, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &i3), 0);
	assert_int_equal(vfioiommu_dma_map(f.ctx, buf, 0x3000, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &i4), 0);
	/* one word and more mappings than it is worth walking: all zeroed, then written */
	memset(bm, 0x5a, sizeof(bm));
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, i3, 0x8000, 4096, bm, 8), 0);
	assert_true(bm[0] == 0xff && bm[1] == 0x5a5a5a5a5a5a5a5aull);
	for (uint64_t a = base; a < base + 24 * 64 * 4096ull; a += 4096)
		if ((a >= f.i1 && a < f.i1 + (1 << 20)) || (a >= f.i2 && a < f.i2 + (1 << 20)) || (a >= i3 && a < i3 + 0x8000) ||
		    (a >= i4 && a < i4 + 0x3000))
			want[(a - base) / 4096 / 64] |= 1ull << ((a - base) / 4096 % 64);
	for (int round = 0; round < 2; round++) {
		memset(bm, round ? 0xff : 0x5a, sizeof(bm));
		assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, base, 24 * 64 * 4096ull, 4096, bm, sizeof(bm)), 0);
		for (unsigned int i = 0; i < 24; i++)
			assert_true(bm[i] == want[i]);
	}
	fx_close(&f);
}

static void only_mdevs(void **state)
{
	struct fx f;
	uint64_t bm[4];

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_CONTAINER, UA);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), 0);
	memset(bm, 0x33, sizeof(bm));
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 1 << 20, 4096, bm, sizeof(bm)), 0);
	assert_true(bm[0] == 0 && bm[3] == 0);
	/* and the unmap with the bitmap: the mock models no pinning, so nothing is dirty; the bitmap is zeroed */
	memset(bm, 0x33, sizeof(bm));
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i1, 1 << 20, 4096, bm, sizeof(bm)), 0);
	assert_true(bm[0] == 0 && bm[3] == 0);
	fx_close(&f);
}

static void contexts_that_cannot(void **state)
{
	struct fx f;
	uint64_t bm[4];
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *empty = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);

	(void)state;
	assert_int_equal(vfioiommu_dirty_type1_start(empty), -ENODEV);
	vfioiommu_ctx_destroy(empty);
	th_mock_done(m);
	fx_open(&f, VFIOIOMMU_MODE_IOMMUFD, NIC);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "iommufd", NULL);
	/* no unmap with the bits on iommufd: the message names the two steps */
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i1, 1 << 20, 4096, bm, sizeof(bm)), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "vfioiommu_dirty_hwpt_bitmap()", "vfioiommu_dma_unmap()", NULL);
	fx_close(&f);
	fx_open(&f, VFIOIOMMU_MODE_TYPE1, NIC);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "type1 (v1)", NULL);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i1, 1 << 20, 4096, bm, sizeof(bm)), -EOPNOTSUPP);
	fx_close(&f);
}

static void choose(void **state)
{
	struct fx f;
	struct vfioiommu_dirty_choice c = { .size = sizeof(c) }, small = { .size = 8 };
	vfioiommu_device *nic = NULL;
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *empty = th_ctx(m, VFIOIOMMU_MODE_AUTO);

	(void)state;
	assert_int_equal(vfioiommu_dirty_choose(empty, &c), -ENODEV);
	assert_int_equal(vfioiommu_dirty_choose(empty, NULL), -EINVAL);
	assert_int_equal(vfioiommu_dirty_choose(empty, &small), -EINVAL);
	vfioiommu_ctx_destroy(empty);
	th_mock_done(m);
	/* a container with the NIC: the NIC logs nothing, the container tracks */
	fx_open(&f, VFIOIOMMU_MODE_CONTAINER, NIC);
	assert_int_equal(vfioiommu_dirty_choose(f.ctx, &c), 0);
	assert_int_equal(c.tracker, VFIOIOMMU_DIRTY_TYPE1);
	assert_non_null(strstr(c.reason, NIC));
	fx_close(&f);
	/* only the mdev, which logs: device logging, on either backend */
	fx_open(&f, VFIOIOMMU_MODE_IOMMUFD, UA);
	assert_int_equal(vfioiommu_dirty_choose(f.ctx, &c), 0);
	assert_int_equal(c.tracker, VFIOIOMMU_DIRTY_DEVICE_LOG);
	th_assert_msg(c.reason, "every device (1)", NULL);
	/* with the NIC too, on iommufd: nothing fits */
	assert_int_equal(vfioiommu_device_open(f.ctx, NIC, &nic), 0);
	assert_int_equal(vfioiommu_dirty_choose(f.ctx, &c), -EOPNOTSUPP);
	assert_int_equal(c.tracker, VFIOIOMMU_DIRTY_NONE);
	th_assert_msg(c.reason, NIC, "HWPT", NULL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "no tracker fits", NULL);
	vfioiommu_device_close(nic);
	fx_close(&f);
}

static bool ones(const uint64_t *bm, size_t words)
{
	for (size_t i = 0; i < words; i++)
		if (bm[i] != UINT64_MAX)
			return false;
	return true;
}

/* vfioiommu_dirty_type1_unmap: the same checks and outcomes vm_migrate asserts on Linux */
static void unmap_with_bitmap(void **state)
{
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	struct fx f;
	uint64_t bm[40];

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_CONTAINER, NIC);
	/* not tracking: refused, nothing unmapped */
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i2, 1 << 20, 4096, bm, sizeof(bm)), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "not running", "vfioiommu_dirty_type1_start", NULL);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), 0);
	/* bad input, each with nothing unmapped */
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i2, 1 << 20, 4096, NULL, sizeof(bm)), -EINVAL);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i2 + 0x800, 1 << 20, 4096, bm, sizeof(bm)), -EINVAL);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i2, 0, 4096, bm, sizeof(bm)), -EINVAL);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, UINT64_MAX - 0xfff, 0x2000, 4096, bm, sizeof(bm)), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "wrapping", NULL);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i2, 1 << 20, 8192, bm, sizeof(bm)), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "0x1000 bytes only", NULL);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i2, 1 << 20, 4096, bm, 31), -ENOSPC);
	th_assert_msg(vfioiommu_strerror(f.ctx), "32 bytes", NULL);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i2, 1 << 19, 4096, bm, sizeof(bm)), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "split", NULL);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, 0x10000000, 1 << 20, 4096, bm, sizeof(bm)), -ENOENT);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, 0, (0x7fffffffull + 64) << 12, 4096, bm, sizeof(bm)),
			 -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "in pieces", NULL);
	assert_int_equal(vfioiommu_dma_stats(f.ctx, &st), 0);
	assert_int_equal(st.mappings, 2);
	/* both mappings and the gap: the mappings' bits set, the gap's clear, the table empty */
	memset(bm, 0x33, sizeof(bm));
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i1, 3 << 20, 4096, bm, 96), 0);
	for (unsigned int i = 0; i < 12; i++)
		assert_true(bm[i] == (i >= 4 && i < 8 ? 0 : UINT64_MAX));
	assert_true(bm[12] == 0x3333333333333333ull);
	assert_int_equal(vfioiommu_dma_stats(f.ctx, &st), 0);
	assert_int_equal(st.mappings, 0);
	assert_int_equal(vfioiommu_dma_unmap_at(f.ctx, f.i1), -ENOENT);
	/* the IOVAs are free again: the same fixed IOVA maps */
	assert_int_equal(vfioiommu_dma_map(f.ctx, buf, 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &f.i1), 0);
	/* an ordinary unmap while tracking drops the bits: the range reads clean */
	assert_int_equal(vfioiommu_dma_map(f.ctx, buf + (2 << 20), 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA,
					   &f.i2), 0);
	assert_int_equal(vfioiommu_dma_unmap(f.ctx, f.i2, 1 << 20), 0);
	memset(bm, 0x33, sizeof(bm));
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 3 << 20, 4096, bm, 96), 0);
	assert_true(ones(bm, 4) && bm[8] == 0 && bm[11] == 0);
	/* stopped: refused; started again: every mapped page again */
	assert_int_equal(vfioiommu_dirty_type1_stop(f.ctx), 0);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i1, 1 << 20, 4096, bm, sizeof(bm)), -EINVAL);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), 0);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i1, 1 << 20, 4096, bm, 32), 0);
	assert_true(ones(bm, 4));
	fx_close(&f);
}

/* the kernel refusing the unmap itself (injected): the table keeps the mapping, the message says why */
static void unmap_kernel_refuses(void **state)
{
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	struct fx f;
	uint64_t bm[4];

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_CONTAINER, NIC);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), 0);
	vfioiommu_mock_fail_ioctl(f.m, KABI_VFIO_IOMMU_UNMAP_DMA, 1, EFAULT);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i1, 1 << 20, 4096, bm, sizeof(bm)), -EFAULT);
	th_assert_msg(vfioiommu_strerror(f.ctx), "refused to unmap", NULL);
	assert_int_equal(vfioiommu_dma_stats(f.ctx, &st), 0);
	assert_int_equal(st.mappings, 2);
	assert_int_equal(vfioiommu_dirty_type1_unmap(f.ctx, f.i1, 1 << 20, 4096, bm, sizeof(bm)), 0);
	fx_close(&f);
}

/* the last group leaves while tracking: the kernel drops the IOMMU and its tracking, the library forgets it */
static void group_leaves(void **state)
{
	struct fx f;
	uint64_t bm[4];

	(void)state;
	fx_open(&f, VFIOIOMMU_MODE_CONTAINER, NIC);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), 0);
	vfioiommu_device_close(f.d);
	assert_int_equal(vfioiommu_dma_unmap_all(f.ctx), 0);
	assert_true(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 1 << 20, 4096, bm, sizeof(bm)) < 0);
	assert_int_equal(vfioiommu_device_open(f.ctx, NIC, &f.d), 0);
	assert_int_equal(vfioiommu_dma_map(f.ctx, buf, 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &f.i1), 0);
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 1 << 20, 4096, bm, sizeof(bm)), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "not running", NULL);
	assert_int_equal(vfioiommu_dirty_type1_start(f.ctx), 0);
	assert_int_equal(vfioiommu_dirty_type1_bitmap(f.ctx, f.i1, 1 << 20, 4096, bm, sizeof(bm)), 0);
	assert_true(ones(bm, 4));
	fx_close(&f);
}

static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(host);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_CONTAINER, .door = vfioiommu_mock_door(m) };
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *d = NULL;
	uint64_t iova = 0x100000, bm[4];
	struct runs runs = { 0 };
	int rc;

	(void)arg;
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, NIC, &d);
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, 1 << 20, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova);
	if (rc == 0) {
		struct vfioiommu_dirty_choice c = { .size = sizeof(c) };
		rc = vfioiommu_dirty_choose(ctx, &c);
	}
	if (rc == 0)
		rc = vfioiommu_dirty_type1_start(ctx);
	if (rc == 0)
		rc = vfioiommu_dirty_type1_bitmap(ctx, iova, 1 << 20, 4096, bm, sizeof(bm));
	if (rc == 0)
		rc = vfioiommu_dirty_type1_ranges(ctx, iova, 1 << 20, 4096, collect, &runs);
	if (rc == 0)
		rc = vfioiommu_dirty_type1_unmap(ctx, iova, 1 << 20, 4096, bm, sizeof(bm));
	if (rc == 0)
		rc = vfioiommu_dirty_type1_stop(ctx);
	if (rc < 0 && ctx && !vfioiommu_strerror(ctx)[0])
		fail_msg("rc %d without a message", rc);
	vfioiommu_device_close(d);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void sweep(void **state)
{
	(void)state;
	assert_true(th_sweep(sweep_setup, sweep_body, NULL, 300) > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_mapped_page),
		cmocka_unit_test(only_mdevs),
		cmocka_unit_test(gaps_zeroed),
		cmocka_unit_test(contexts_that_cannot),
		cmocka_unit_test(choose),
		cmocka_unit_test(unmap_with_bitmap),
		cmocka_unit_test(unmap_kernel_refuses),
		cmocka_unit_test(group_leaves),
		cmocka_unit_test(sweep),
	};
	int rc;

	buf = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	munmap(buf, 4 << 20);
	return rc;
}
