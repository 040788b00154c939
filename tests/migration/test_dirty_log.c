/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Device DMA logging (lib/migration/dirty_log.c) on the mock's logging
 * (lib/mock/dirty_log.c): the ranges made into what the kernel takes, bits
 * exactly where the test wrote, read-and-clear, pieces and runs across the
 * library's piece boundaries, bad input, and the fail-Nth sweep.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>
#include "helpers.h"

#define UA "8c3e2a10-0000-4000-8000-0000000000a1"
#define GIB (1ull << 30)

static const char host[] =
	"group 2\n"
	"  device 0000:00:02.0 vfio-pci migration=7 dmalog=yes\n"
	"group 3\n"
	"  device 0000:00:03.0 vfio-pci\n"
	"mdev-parent mtty 24 0x4348 0x3253\n"
	"mdev-type mtty mtty-2 2 Dual port serial\n"
	"mdev " UA " mtty mtty-2\n";

struct fx {
	vfioiommu_mock *m;
	vfioiommu_ctx *ctx;
	vfioiommu_device *d;
};

static void fx_open(struct fx *f, const char *dev)
{
	f->m = th_mock(host);
	f->ctx = th_ctx(f->m, VFIOIOMMU_MODE_IOMMUFD);
	assert_int_equal(vfioiommu_device_open(f->ctx, dev, &f->d), 0);
}

static void fx_close(struct fx *f)
{
	vfioiommu_device_close(f->d);
	vfioiommu_ctx_destroy(f->ctx);
	th_mock_done(f->m);
}

static void bits_where_written(void **state)
{
	struct fx f;
	struct vfioiommu_iova_range r = { 0x100000, 0x1fffff };
	uint64_t bm[4], ps = 0;

	(void)state;
	fx_open(&f, "0000:00:02.0");
	assert_int_equal(vfioiommu_dirty_log_start(f.d, &r, 1, 4096, &ps), 0);
	assert_int_equal(ps, 4096);
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, "0000:00:02.0", 0x100000 + 3 * 4096 + 100, 4096), 2);
	/* outside the logged range: not recorded */
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, "0000:00:02.0", 0x300000, 4096), 0);
	memset(bm, 0xa5, sizeof(bm));
	assert_int_equal(vfioiommu_dirty_log_bitmap(f.d, 0x100000, 256 * 4096, 4096, bm, sizeof(bm)), 0);
	assert_true(bm[0] == 0x18 && bm[1] == 0 && bm[2] == 0 && bm[3] == 0);
	/* read and cleared */
	assert_int_equal(vfioiommu_dirty_log_bitmap(f.d, 0x100000, 256 * 4096, 4096, bm, sizeof(bm)), 0);
	assert_true(bm[0] == 0);
	/* a coarser granule: 64 KiB pages */
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, "0000:00:02.0", 0x100000 + 0x21000, 1), 1);
	assert_int_equal(vfioiommu_dirty_log_bitmap(f.d, 0x100000, 0x100000, 0x10000, bm, 8), 0);
	assert_true(bm[0] == 0x4);
	assert_int_equal(vfioiommu_dirty_log_bitmap(f.d, 0x100000, 0x100000, 4096, bm, 8), -ENOSPC);
	th_assert_msg(vfioiommu_strerror(f.ctx), "32 bytes", NULL);
	assert_int_equal(vfioiommu_dirty_log_stop(f.d), 0);
	assert_int_equal(vfioiommu_dirty_log_bitmap(f.d, 0x100000, 4096, 4096, bm, 8), -EINVAL);
	fx_close(&f);
}

static void ranges_the_kernel_takes(void **state)
{
	struct fx f;
	struct vfioiommu_iova_range r[400];

	(void)state;
	fx_open(&f, "0000:00:02.0");
	/* 400 ranges out of order, some overlapping or touching: merged, then joined down to 256 */
	for (unsigned int i = 0; i < 400; i++) {
		uint64_t base = (uint64_t)(399 - i) * 0x3000;
		r[i] = (struct vfioiommu_iova_range){ base, base + (i % 3 ? 0x1fff : 0x3fff) };
	}
	assert_int_equal(vfioiommu_dirty_log_start(f.d, r, 400, 4096, NULL), 0);
	/* about 267 after merging: the lowest gaps (all 4 KiB) were joined, so a page in the first one is logged */
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, "0000:00:02.0", 0x5000, 1), 1);
	assert_int_equal(vfioiommu_dirty_log_stop(f.d), 0);
	assert_int_equal(vfioiommu_dirty_log_start(f.d, r, 1, 4096, NULL), 0);
	assert_int_equal(vfioiommu_dirty_log_start(f.d, r, 1, 4096, NULL), -EBUSY);
	th_assert_msg(vfioiommu_strerror(f.ctx), "already runs", NULL);
	fx_close(&f);
}

struct runs {
	unsigned int n;
	uint64_t iova[8], len[8];
	int stop_after;
};

static int collect(void *arg, uint64_t iova, uint64_t len)
{
	struct runs *r = arg;

	if (r->n < 8) {
		r->iova[r->n] = iova;
		r->len[r->n] = len;
	}
	r->n++;
	return r->stop_after && (int)r->n == r->stop_after ? 42 : 0;
}

/* 64 GiB at 4 KiB: pieces of 32 GiB for the bitmap, 2 GiB for the walk; runs across both borders. */
static void long_ranges(void **state)
{
	struct fx f;
	struct vfioiommu_iova_range r = { 0, 64 * GIB - 1 };
	size_t words = (size_t)(64 * GIB / 4096 / 64);
	uint64_t *bm = calloc(words, 8);
	struct runs runs = { 0 };

	(void)state;
	assert_non_null(bm);
	fx_open(&f, UA);
	assert_int_equal(vfioiommu_dirty_log_start(f.d, &r, 1, 4096, NULL), 0);
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, UA, 32 * GIB - 4096, 2 * 4096), 2);
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, UA, 2 * GIB - 8192, 4 * 4096), 4);
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, UA, 64 * GIB - 4096, 1), 1);
	assert_int_equal(vfioiommu_dirty_log_bitmap(f.d, 0, 64 * GIB, 4096, bm, words * 8), 0);
	assert_true(bm[(32 * GIB / 4096 - 1) / 64] == 1ull << 63 && bm[32 * GIB / 4096 / 64] == 1);
	assert_true(bm[words - 1] == 1ull << 63);
	free(bm);
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, UA, 32 * GIB - 4096, 2 * 4096), 2);
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, UA, 2 * GIB - 8192, 4 * 4096), 4);
	assert_int_equal(vfioiommu_dirty_log_ranges(f.d, 0, 64 * GIB, 4096, collect, &runs), 0);
	assert_int_equal(runs.n, 2);
	assert_true(runs.iova[0] == 2 * GIB - 8192 && runs.len[0] == 4 * 4096);
	assert_true(runs.iova[1] == 32 * GIB - 4096 && runs.len[1] == 2 * 4096);
	/* the callback stops the walk with its value */
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, UA, 0x1000, 1), 1);
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, UA, 0x5000, 1), 1);
	memset(&runs, 0, sizeof(runs));
	runs.stop_after = 1;
	assert_int_equal(vfioiommu_dirty_log_ranges(f.d, 0, GIB, 4096, collect, &runs), 42);
	assert_int_equal(runs.n, 1);
	fx_close(&f);
}

static void no_logging(void **state)
{
	struct fx f;
	struct vfioiommu_iova_range r = { 0, 0xfff };

	(void)state;
	fx_open(&f, "0000:00:03.0");
	assert_int_equal(vfioiommu_dirty_log_start(f.d, &r, 1, 4096, NULL), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "no DMA logging", NULL);
	assert_int_equal(vfioiommu_mock_device_dirty(f.m, "0000:00:03.0", 0, 1), -EOPNOTSUPP);
	fx_close(&f);
}

static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(host);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD, .door = vfioiommu_mock_door(m) };
	struct vfioiommu_iova_range r = { 0x100000, 0x1fffff };
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *d = NULL;
	struct runs runs = { 0 };
	uint64_t bm[4];
	int rc;

	(void)arg;
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, UA, &d);
	if (rc == 0)
		rc = vfioiommu_dirty_log_start(d, &r, 1, 4096, NULL);
	if (rc == 0 && vfioiommu_mock_device_dirty(m, UA, 0x101000, 1) != 1)
		rc = -EIO;
	if (rc == 0)
		rc = vfioiommu_dirty_log_bitmap(d, 0x100000, 256 * 4096, 4096, bm, sizeof(bm));
	if (rc == 0)
		rc = vfioiommu_dirty_log_ranges(d, 0x100000, 256 * 4096, 4096, collect, &runs);
	if (rc == 0)
		rc = vfioiommu_dirty_log_stop(d);
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
		cmocka_unit_test(bits_where_written),
		cmocka_unit_test(ranges_the_kernel_takes),
		cmocka_unit_test(long_ranges),
		cmocka_unit_test(no_logging),
		cmocka_unit_test(sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
