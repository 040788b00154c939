/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * iommufd HWPT dirty tracking (lib/iommufd/dirty_hwpt.c) on the mock's
 * (lib/mock/iommufd_dirty.c): pages the test marks come back as a bitmap
 * and as runs, with and without NO_CLEAR, at 4 KiB and larger granules;
 * the run extraction on its own (dirty_runs.c); bad input; page tables and
 * hosts that cannot track; and the fail-Nth sweep.
 */
#include "objs_fixture.h"

#include <vfioiommu/dirty.h>

#include "iommufd/objs.h"

#define IOVA 0x100000ull
#define NP 512ull

struct hfx {
	struct ofx o;
	vfioiommu_pagetable *pt;
	void *buf;
};

static vfioiommu_mock *hmock(void *arg)
{
	vfioiommu_mock *m = th_mock(objs_host);

	(void)arg;
	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_HWPT_DIRTY, true), 0);
	return m;
}

/* context, DIRTY_TRACKING page table with DEV on it, NP pages mapped at IOVA; -errno for sweeps */
static int hup(struct hfx *f, vfioiommu_mock *m)
{
	struct vfioiommu_pagetable_opts po = { .size = sizeof(po), .flags = VFIOIOMMU_PT_DIRTY_TRACKING };
	uint64_t iova = IOVA;
	int rc = ofx_up(&f->o, m);

	f->pt = NULL;
	if (rc == 0)
		rc = vfioiommu_pagetable_new(f->o.ctx, f->o.devid, &po, &f->pt);
	if (rc == 0)
		rc = vfioiommu_device_attach_pagetable(f->o.dev, f->pt);
	if (rc == 0)
		rc = vfioiommu_dma_map(f->o.ctx, f->buf, NP * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE |
				       VFIOIOMMU_DMA_FIXED_IOVA, &iova);
	return rc;
}

static int mark(struct hfx *f, uint64_t page, uint64_t n)
{
	return vfioiommu_mock_hwpt_dirty(f->o.m, vfioiommu_ctx_iommufd_fd(f->o.ctx), vfioiommu_pagetable_id(f->pt),
					 IOVA + page * PG, n * PG);
}

struct runs {
	unsigned int n, stop_at;
	uint64_t iova[16], len[16];
};

static int collect(void *arg, uint64_t iova, uint64_t len)
{
	struct runs *r = arg;

	if (r->n < 16) {
		r->iova[r->n] = iova;
		r->len[r->n] = len;
	}
	r->n++;
	return r->stop_at && r->n == r->stop_at ? 42 : 0;
}

static void hwpt_bitmap_and_runs(void **state)
{
	struct hfx f = { .buf = ofx_buf(NP * PG) };
	vfioiommu_mock *m = hmock(NULL);
	uint64_t bm[NP / 64];
	struct runs r = { 0 };

	(void)state;
	assert_int_equal(hup(&f, m), 0);
	/* tracking off: the kernel's IOMMU_TEST_OP_DIRTY says EINVAL, and the library will not read */
	assert_int_equal(mark(&f, 0, 1), -EINVAL);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, NP * PG, PG, 0, bm, sizeof(bm)), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.o.ctx), "not running", "vfioiommu_dirty_hwpt_start", NULL);
	assert_int_equal(vfioiommu_dirty_hwpt_start(f.pt), 0);
	assert_int_equal(vfioiommu_dirty_hwpt_start(f.pt), -EBUSY);
	/* pages 0-1, 5, 64-127, 300 (and one past the mapping: not recorded) */
	assert_int_equal(mark(&f, 0, 2), 2);
	assert_int_equal(mark(&f, 5, 1), 1);
	assert_int_equal(mark(&f, 64, 64), 64);
	assert_int_equal(mark(&f, 300, 1), 1);
	assert_int_equal(mark(&f, NP, 1), 0);
	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, NP * PG, PG, VFIOIOMMU_DIRTY_NO_CLEAR, bm, sizeof(bm)), 0);
	assert_int_equal(bm[0], 0x23);
	assert_int_equal(bm[1], ~0ull);
	assert_int_equal(bm[4], 1ull << (300 % 64));
	assert_int_equal(bm[2] | bm[3] | bm[5] | bm[6] | bm[7], 0);
	/* NO_CLEAR left them: the walk sees the same runs, then clears */
	assert_int_equal(vfioiommu_dirty_hwpt_ranges(f.pt, IOVA, NP * PG, PG, 0, collect, &r), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.iova[0], IOVA);
	assert_int_equal(r.len[0], 2 * PG);
	assert_int_equal(r.iova[1], IOVA + 5 * PG);
	assert_int_equal(r.iova[2], IOVA + 64 * PG);
	assert_int_equal(r.len[2], 64 * PG);
	assert_int_equal(r.iova[3], IOVA + 300 * PG);
	assert_int_equal(r.len[3], PG);
	r.n = 0;
	assert_int_equal(vfioiommu_dirty_hwpt_ranges(f.pt, IOVA, NP * PG, PG, 0, collect, &r), 0);
	assert_int_equal(r.n, 0);
	/* 64 KiB granules */
	assert_int_equal(mark(&f, 0, 2) + mark(&f, 64, 64) + mark(&f, 300, 1), 67);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, NP * PG, 16 * PG, 0, bm, 8), 0);
	assert_int_equal(bm[0], 0x1ull | 0xf0ull | (1ull << 18));
	/* a walk stopped by the callback returns its value */
	assert_int_equal(mark(&f, 0, 1) + mark(&f, 10, 1), 2);
	r = (struct runs){ .stop_at = 1 };
	assert_int_equal(vfioiommu_dirty_hwpt_ranges(f.pt, IOVA, NP * PG, PG, 0, collect, &r), 42);
	/* stop, stop again (the kernel's 0), start again starts clean */
	assert_int_equal(vfioiommu_dirty_hwpt_stop(f.pt), 0);
	assert_int_equal(vfioiommu_dirty_hwpt_stop(f.pt), 0);
	assert_int_equal(vfioiommu_dirty_hwpt_start(f.pt), 0);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, NP * PG, PG, 0, bm, sizeof(bm)), 0);
	for (unsigned int i = 0; i < NP / 64; i++)
		assert_int_equal(bm[i], 0);
	assert_int_equal(vfioiommu_dma_unmap(f.o.ctx, IOVA, NP * PG), 0);
	vfioiommu_device_close(f.o.dev);
	ofx_down(&f.o);
	th_mock_done(m);
	munmap(f.buf, NP * PG);
}

static void hwpt_bad_input(void **state)
{
	struct vfioiommu_pagetable_opts plain = { .size = sizeof(plain) };
	struct hfx f = { .buf = ofx_buf(NP * PG) };
	vfioiommu_mock *m = hmock(NULL);
	vfioiommu_pagetable *p = NULL;
	uint64_t bm[NP / 64];
	struct runs r = { 0 };

	(void)state;
	assert_int_equal(hup(&f, m), 0);
	assert_int_equal(vfioiommu_dirty_hwpt_start(NULL), -EINVAL);
	assert_int_equal(vfioiommu_dirty_hwpt_stop(NULL), -EINVAL);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(NULL, IOVA, PG, PG, 0, bm, 8), -EINVAL);
	assert_int_equal(vfioiommu_dirty_hwpt_ranges(NULL, IOVA, PG, PG, 0, collect, &r), -EINVAL);
	assert_int_equal(vfioiommu_dirty_hwpt_start(f.pt), 0);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, PG, PG, 0, NULL, 8), -EINVAL);
	assert_int_equal(vfioiommu_dirty_hwpt_ranges(f.pt, IOVA, PG, PG, 0, NULL, &r), -EINVAL);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, PG, PG, 2, bm, 8), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.o.ctx), "unknown flags", NULL);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, NP * PG, PG, 0, bm, 8), -ENOSPC);
	th_assert_msg(vfioiommu_strerror(f.o.ctx), "64 bytes", NULL);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA + 2048, PG, PG, 0, bm, 8), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.o.ctx), "not aligned", NULL);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, 0, PG, 0, bm, 8), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.o.ctx), "empty", NULL);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, ~0ull - PG + 1, 2 * PG, PG, 0, bm, 8), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.o.ctx), "wrapping", NULL);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, 3 * PG * 4, 3 * PG, 0, bm, 8), -EINVAL);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, PG, 2048, 0, bm, 8), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.o.ctx), "power of two", NULL);
	/* a page table without DIRTY_TRACKING */
	assert_int_equal(vfioiommu_pagetable_new(f.o.ctx, f.o.devid, &plain, &p), 0);
	assert_int_equal(vfioiommu_dirty_hwpt_start(p), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.o.ctx), "VFIOIOMMU_PT_DIRTY_TRACKING", NULL);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(p, IOVA, PG, PG, 0, bm, 8), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_pagetable_destroy(p), 0);
	vfioiommu_device_close(f.o.dev);
	ofx_down(&f.o);
	th_mock_done(m);
	munmap(f.buf, NP * PG);
}

/* vfioiommu_dirty_choose(): page tables once every device's RID is on one with DIRTY_TRACKING */
static void hwpt_choose(void **state)
{
	struct vfioiommu_dirty_choice c = { .size = sizeof(c) };
	struct hfx f = { .buf = ofx_buf(NP * PG) };
	vfioiommu_mock *m = hmock(NULL);
	vfioiommu_ioas *own = NULL;

	(void)state;
	assert_int_equal(hup(&f, m), 0);
	/* DEV is on the page table, DEV2 on the IOAS */
	assert_int_equal(vfioiommu_dirty_choose(f.o.ctx, &c), -EOPNOTSUPP);
	assert_int_equal(c.tracker, VFIOIOMMU_DIRTY_NONE);
	th_assert_msg(c.reason, "DIRTY_TRACKING", NULL);
	assert_int_equal(vfioiommu_device_attach_pagetable(f.o.dev2, f.pt), 0);
	assert_int_equal(vfioiommu_dirty_choose(f.o.ctx, &c), 0);
	assert_int_equal(c.tracker, VFIOIOMMU_DIRTY_HWPT);
	th_assert_msg(c.reason, "every device (2)", "page table", NULL);
	/* one device back on the IOAS: no longer */
	assert_int_equal(vfioiommu_ctx_ioas(f.o.ctx, &own), 0);
	assert_int_equal(vfioiommu_device_attach_ioas(f.o.dev, own), 0);
	assert_int_equal(vfioiommu_dirty_choose(f.o.ctx, &c), -EOPNOTSUPP);
	vfioiommu_device_close(f.o.dev);
	vfioiommu_device_close(f.o.dev2);
	ofx_down(&f.o);
	th_mock_done(m);
	munmap(f.buf, NP * PG);
}

/* a host whose IOMMU does not track (QEMU's): the page table cannot be made */
static void hwpt_no_host_support(void **state)
{
	struct vfioiommu_pagetable_opts po = { .size = sizeof(po), .flags = VFIOIOMMU_PT_DIRTY_TRACKING };
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_pagetable *p = NULL;
	struct ofx o;

	(void)state;
	assert_int_equal(ofx_up(&o, m), 0);
	assert_int_equal(vfioiommu_pagetable_new(o.ctx, o.devid, &po, &p), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_mock_hwpt_dirty(NULL, 0, 1, 0, 1), -EINVAL);
	assert_int_equal(vfioiommu_mock_hwpt_dirty(m, 0, 1, 0, 1), -EBADF);
	assert_int_equal(vfioiommu_mock_hwpt_dirty(m, vfioiommu_ctx_iommufd_fd(o.ctx), 999, 0, 1), -ENOENT);
	ofx_down(&o);
	th_mock_done(m);
}

/* raw mock ioctls: what Linux answered (FACTS.md, "iommufd HWPT dirty tracking") */
static void hwpt_mock_kernel_answers(void **state)
{
	struct hfx f = { .buf = ofx_buf(NP * PG) };
	vfioiommu_mock *m = hmock(NULL);
	const struct vfioiommu_door *d = vfioiommu_mock_door(m);
	uint64_t bm[NP / 64];
	int fd;

	(void)state;
	assert_int_equal(hup(&f, m), 0);
	fd = vfioiommu_ctx_iommufd_fd(f.o.ctx);
	struct kabi_iommu_hwpt_set_dirty s = { .size = sizeof(s), .flags = 2, .hwpt_id = vfioiommu_pagetable_id(f.pt) };
	assert_int_equal(d->ioctl(d->priv, fd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &s), -EOPNOTSUPP);
	s.flags = KABI_IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	assert_int_equal(d->ioctl(d->priv, fd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &s), 0);
	assert_int_equal(d->ioctl(d->priv, fd, KABI_IOMMU_HWPT_SET_DIRTY_TRACKING, &s), 0);
	struct kabi_iommu_hwpt_get_dirty g = { .size = sizeof(g), .hwpt_id = s.hwpt_id, .iova = IOVA, .length = NP * PG,
					       .page_size = PG, .data = (uint64_t)(uintptr_t)bm };
	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(d->ioctl(d->priv, fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	assert_int_equal(bm[3], ~0ull); /* only sets bits */
	g.flags = 2;
	assert_int_equal(d->ioctl(d->priv, fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	g.flags = 0;
	g.length = 0;
	assert_int_equal(d->ioctl(d->priv, fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOVERFLOW);
	g.length = PG;
	g.page_size = 0;
	assert_int_equal(d->ioctl(d->priv, fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.page_size = PG;
	g.iova = IOVA + 2048;
	assert_int_equal(d->ioctl(d->priv, fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.iova = IOVA;
	g.hwpt_id = 999;
	assert_int_equal(d->ioctl(d->priv, fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -ENOENT);
	vfioiommu_device_close(f.o.dev);
	ofx_down(&f.o);
	th_mock_done(m);
	munmap(f.buf, NP * PG);
}

/*
 * The edges vm_dirty measured on Linux: an ordinary unmap while tracking drops
 * the range's bits (a new mapping there reads clean); the device leaving the
 * page table leaves its bits and tracking; after a stop the kernel still reads
 * the bits (raw), the library refuses to (not running), and enabling again
 * starts clean.
 */
static void hwpt_edges(void **state)
{
	struct hfx f = { .buf = ofx_buf(NP * PG) };
	vfioiommu_mock *m = hmock(NULL);
	const struct vfioiommu_door *d = vfioiommu_mock_door(m);
	uint64_t bm[NP / 64], iova = IOVA;
	int fd;

	(void)state;
	assert_int_equal(hup(&f, m), 0);
	fd = vfioiommu_ctx_iommufd_fd(f.o.ctx);
	assert_int_equal(vfioiommu_dirty_hwpt_start(f.pt), 0);
	assert_int_equal(mark(&f, 0, 4), 4);
	assert_int_equal(vfioiommu_dma_unmap(f.o.ctx, IOVA, NP * PG), 0);
	assert_int_equal(vfioiommu_dma_map(f.o.ctx, f.buf, NP * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE |
					   VFIOIOMMU_DMA_FIXED_IOVA, &iova), 0);
	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, NP * PG, PG, 0, bm, sizeof(bm)), 0);
	assert_int_equal(bm[0], 0);
	/* the device goes: the page table keeps its bits and still tracks */
	assert_int_equal(mark(&f, 3, 2), 2);
	vfioiommu_device_close(f.o.dev);
	f.o.dev = NULL;
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, NP * PG, PG, VFIOIOMMU_DIRTY_NO_CLEAR, bm, sizeof(bm)), 0);
	assert_int_equal(bm[0], 0x18);
	assert_int_equal(mark(&f, 7, 1), 1);
	/* stopped: the kernel reads the bits still, the library will not; enabling again clears */
	assert_int_equal(vfioiommu_dirty_hwpt_stop(f.pt), 0);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, NP * PG, PG, 0, bm, sizeof(bm)), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.o.ctx), "not running", NULL);
	struct kabi_iommu_hwpt_get_dirty g = { .size = sizeof(g), .hwpt_id = vfioiommu_pagetable_id(f.pt), .iova = IOVA,
					       .length = NP * PG, .page_size = PG, .data = (uint64_t)(uintptr_t)bm,
					       .flags = KABI_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR };
	memset(bm, 0, sizeof(bm));
	assert_int_equal(d->ioctl(d->priv, fd, KABI_IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	assert_int_equal(bm[0], 0x98);
	assert_int_equal(vfioiommu_dirty_hwpt_start(f.pt), 0);
	assert_int_equal(vfioiommu_dirty_hwpt_bitmap(f.pt, IOVA, NP * PG, PG, 0, bm, sizeof(bm)), 0);
	assert_int_equal(bm[0], 0);
	ofx_down(&f.o);
	th_mock_done(m);
	munmap(f.buf, NP * PG);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct hfx *f = arg;
	uint64_t bm[NP / 64];
	struct runs r = { 0 };
	int rc = hup(f, m);

	if (rc == 0)
		rc = vfioiommu_dirty_hwpt_start(f->pt);
	if (rc == 0 && mark(f, 3, 2) != 2)
		rc = -EIO;
	if (rc == 0)
		rc = vfioiommu_dirty_hwpt_bitmap(f->pt, IOVA, NP * PG, PG, VFIOIOMMU_DIRTY_NO_CLEAR, bm, sizeof(bm));
	if (rc == 0)
		rc = vfioiommu_dirty_hwpt_ranges(f->pt, IOVA, NP * PG, PG, 0, collect, &r);
	if (rc == 0 && r.n != 1)
		rc = -EIO;
	if (rc == 0)
		rc = vfioiommu_dirty_hwpt_stop(f->pt);
	if (f->o.ctx)
		vfioiommu_ctx_destroy(f->o.ctx);
	f->o.ctx = NULL;
	return rc;
}

static void hwpt_failnth(void **state)
{
	struct hfx f = { .buf = ofx_buf(NP * PG) };

	(void)state;
	assert_true(th_sweep(hmock, sweep_body, &f, 500) > 5);
	munmap(f.buf, NP * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hwpt_bitmap_and_runs),
		cmocka_unit_test(hwpt_bad_input),
		cmocka_unit_test(hwpt_no_host_support),
		cmocka_unit_test(hwpt_choose),
		cmocka_unit_test(hwpt_mock_kernel_answers),
		cmocka_unit_test(hwpt_edges),
		cmocka_unit_test(hwpt_failnth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
