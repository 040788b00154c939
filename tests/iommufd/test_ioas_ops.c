/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * lib/iommufd/ioas_ops.c and IOAS_COPY (ioas.c): options, allowed IOVAs,
 * copies between IOASes, CHANGE_PROCESS; bad input, old kernels (asked
 * once, remembered), fail-Nth.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "objs_fixture.h"

static void options(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_ioas *a = NULL;
	char *buf = ofx_buf(4 * PG);
	struct ofx f, g;
	uint64_t v = 9, iova = 0x100000;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	assert_int_equal(vfioiommu_option_get(f.ctx, NULL, VFIOIOMMU_OPTION_HUGE_PAGES, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(vfioiommu_option_get(f.ctx, NULL, VFIOIOMMU_OPTION_RLIMIT_MODE, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vfioiommu_option_set(f.ctx, NULL, VFIOIOMMU_OPTION_RLIMIT_MODE, 1), -EBUSY);
	th_assert_msg(vfioiommu_strerror(f.ctx), "without objects", NULL);
	assert_int_equal(vfioiommu_option_set(f.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, 0), 0);
	assert_int_equal(vfioiommu_option_get(f.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vfioiommu_dma_map(f.ctx, buf, PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova), 0);
	assert_int_equal(vfioiommu_option_set(f.ctx, NULL, VFIOIOMMU_OPTION_HUGE_PAGES, 0), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "both a device and mappings", NULL);
	/* bad input */
	assert_int_equal(vfioiommu_option_set(NULL, NULL, 0, 0), -EINVAL);
	assert_int_equal(vfioiommu_option_get(NULL, NULL, 0, &v), -EINVAL);
	assert_int_equal(vfioiommu_option_get(f.ctx, NULL, 0, NULL), -EINVAL);
	assert_int_equal(vfioiommu_option_set(f.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, 2), -EINVAL);
	assert_int_equal(vfioiommu_option_set(f.ctx, a, VFIOIOMMU_OPTION_RLIMIT_MODE, 0), -EINVAL);
	assert_int_equal(vfioiommu_option_get(f.ctx, NULL, 5, &v), -EOPNOTSUPP);
	assert_int_equal(ofx_up(&g, th_mock(objs_host)), 0);
	assert_int_equal(vfioiommu_option_get(g.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, &v), -EINVAL);
	ofx_down(&g);
	th_mock_done(g.m);
	/* a kernel without IOMMU_OPTION: asked once */
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_OPTION, 1, ENOTTY);
	assert_int_equal(vfioiommu_option_get(f.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, &v), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "Linux 6.2", NULL);
	{
		unsigned long calls = vfioiommu_mock_calls(m);
		assert_int_equal(vfioiommu_option_get(f.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, &v), -EOPNOTSUPP);
		assert_int_equal(vfioiommu_mock_calls(m), calls);
	}
	ofx_down(&f);
	th_mock_done(m);
	munmap(buf, 4 * PG);
}

static void allow_iovas(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	struct vfioiommu_iova_range r[2] = { { 0x1000000, 0x1ffffff }, { 0x4000000, 0x4ffffff } };
	struct vfioiommu_iova_range bad[2] = { { 0x1000000, 0x1ffffff }, { 0x1800000, 0x2ffffff } };
	vfioiommu_ioas *a = NULL, *own = NULL;
	char *buf = ofx_buf(PG);
	struct ofx f;
	uint64_t iova = 0;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	assert_int_equal(vfioiommu_ioas_allow_iovas(a, r, 2), 0);
	assert_int_equal(vfioiommu_ioas_map(a, buf, PG, VFIOIOMMU_DMA_READ, &iova), 0);
	assert_int_equal(iova, 0x1000000);
	assert_int_equal(vfioiommu_ioas_allow_iovas(a, bad, 2), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "overlap", NULL);
	bad[0].start = 0x3000000;
	assert_int_equal(vfioiommu_ioas_allow_iovas(a, bad, 1), -EINVAL);
	assert_int_equal(vfioiommu_ioas_allow_iovas(a, NULL, 1), -EINVAL);
	assert_int_equal(vfioiommu_ioas_allow_iovas(NULL, r, 1), -EINVAL);
	assert_int_equal(vfioiommu_ctx_ioas(f.ctx, &own), 0);
	assert_int_equal(vfioiommu_ioas_allow_iovas(own, &(struct vfioiommu_iova_range){ 0xfee00000, 0xfeefffff }, 1),
			 -EADDRINUSE);
	th_assert_msg(vfioiommu_strerror(f.ctx), "reserves", NULL);
	assert_int_equal(vfioiommu_ioas_allow_iovas(a, NULL, 0), 0);
	ofx_down(&f);
	th_mock_done(m);
	munmap(buf, PG);
}

static void copy(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_ioas *a = NULL, *b = NULL, *own = NULL;
	char *buf = ofx_buf(8 * PG);
	struct ofx f;
	uint64_t iova = 0x100000, got, own_iova = 0x300000;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &b), 0);
	assert_int_equal(vfioiommu_ctx_ioas(f.ctx, &own), 0);
	assert_int_equal(vfioiommu_ioas_map(a, buf, 2 * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova), 0);
	got = 0x200000;
	assert_int_equal(vfioiommu_ioas_copy(b, a, 0x100000, 2 * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA,
					     &got), 0);
	assert_int_equal(got, 0x200000);
	/* the copy is b's own mapping now: the source can go, the copy stays */
	assert_int_equal(vfioiommu_ioas_unmap(a, 0x100000, 2 * PG), 0);
	assert_int_equal(vfioiommu_ioas_copy(b, a, 0x100000, 2 * PG, VFIOIOMMU_DMA_READ, &got), -ENOENT);
	th_assert_msg(vfioiommu_strerror(f.ctx), "not one whole mapping", NULL);
	got = 0x201000;
	assert_int_equal(vfioiommu_dma_map(f.ctx, buf + 4 * PG, 2 * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA,
					   &own_iova), 0);
	assert_int_equal(vfioiommu_ioas_copy(b, own, own_iova, 2 * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA,
					     &got), -EEXIST);
	got = 0;
	assert_int_equal(vfioiommu_ioas_copy(b, own, own_iova, 2 * PG, VFIOIOMMU_DMA_READ, &got), 0);
	assert_true(got != 0);
	/* the kernel (mock) says ENOENT for a source range with nothing mapped in the context's IOAS */
	assert_int_equal(vfioiommu_ioas_copy(b, own, 0x7000000, PG, VFIOIOMMU_DMA_READ, &got), -ENOENT);
	/* bad input */
	assert_int_equal(vfioiommu_ioas_copy(NULL, a, 0, PG, VFIOIOMMU_DMA_READ, &got), -EINVAL);
	assert_int_equal(vfioiommu_ioas_copy(b, NULL, 0, PG, VFIOIOMMU_DMA_READ, &got), -EINVAL);
	assert_int_equal(vfioiommu_ioas_copy(own, b, 0x200000, 2 * PG, VFIOIOMMU_DMA_READ, &got), -EINVAL);
	assert_int_equal(vfioiommu_ioas_copy(b, a, 0x100000, 0, VFIOIOMMU_DMA_READ, &got), -EINVAL);
	assert_int_equal(vfioiommu_ioas_copy(b, a, 0x100000, PG, 0, &got), -EINVAL);
	assert_int_equal(vfioiommu_ioas_copy(b, a, UINT64_MAX - PG + 1, 2 * PG, VFIOIOMMU_DMA_READ, &got), -EINVAL);
	assert_int_equal(vfioiommu_ioas_copy(b, a, 0x100000, PG, VFIOIOMMU_DMA_READ, NULL), -EINVAL);
	/* a kernel without IOAS_COPY */
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_IOAS_COPY, 1, ENOTTY);
	assert_int_equal(vfioiommu_ioas_copy(b, own, own_iova, 2 * PG, VFIOIOMMU_DMA_READ, &got), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "Linux 6.2", NULL);
	ofx_down(&f);
	th_mock_done(m);
	munmap(buf, 8 * PG);
}

static void change_process(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	char *buf = ofx_buf(PG);
	struct ofx f;
	uint64_t iova = 0;
	int mfd = memfd_create("p15", 0);

	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, 2 * PG), 0);
	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ctx_change_process(f.ctx), 0);
	assert_int_equal(vfioiommu_dma_map_file(f.ctx, mfd, 0, 2 * PG, VFIOIOMMU_DMA_READ, &iova), 0);
	assert_int_equal(vfioiommu_ctx_change_process(f.ctx), 0);
	assert_int_equal(vfioiommu_dma_map(f.ctx, buf, PG, VFIOIOMMU_DMA_READ, &iova), 0);
	assert_int_equal(vfioiommu_ctx_change_process(f.ctx), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "vfioiommu_dma_map_file", NULL);
	assert_int_equal(vfioiommu_ctx_change_process(NULL), -EINVAL);
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_IOAS_CHANGE_PROCESS, 1, ENOTTY);
	assert_int_equal(vfioiommu_ctx_change_process(f.ctx), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "Linux 6.13", NULL);
	ofx_down(&f);
	th_mock_done(m);
	close(mfd);
	munmap(buf, PG);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct vfioiommu_iova_range r = { 0x1000000, 0x1ffffff };
	vfioiommu_ioas *a = NULL, *b = NULL;
	char *buf = arg;
	struct ofx f;
	uint64_t v, iova = 0x100000, got = 0x200000;
	int rc = ofx_up(&f, m);

	if (rc == 0)
		rc = vfioiommu_ioas_new(f.ctx, &a);
	if (rc == 0)
		rc = vfioiommu_ioas_new(f.ctx, &b);
	if (rc == 0)
		rc = vfioiommu_option_set(f.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, 0);
	if (rc == 0)
		rc = vfioiommu_option_get(f.ctx, a, VFIOIOMMU_OPTION_HUGE_PAGES, &v);
	if (rc == 0)
		rc = vfioiommu_ioas_allow_iovas(b, &r, 1);
	if (rc == 0)
		rc = vfioiommu_ioas_map(a, buf, PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova);
	if (rc == 0)
		rc = vfioiommu_ioas_copy(b, a, 0x100000, PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &got);
	if (rc == 0)
		rc = vfioiommu_ctx_change_process(f.ctx) == -EINVAL ? 0 : -EIO;
	ofx_down(&f);
	return rc;
}

static void ioas_ops_failnth(void **state)
{
	char *buf = ofx_buf(PG);

	assert_true(th_sweep(ofx_mock, sweep_body, buf, 500) > 10);
	munmap(buf, PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options),
		cmocka_unit_test(allow_iovas),
		cmocka_unit_test(copy),
		cmocka_unit_test(change_process),
		cmocka_unit_test(ioas_ops_failnth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
