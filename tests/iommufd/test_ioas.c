/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * lib/iommufd/ioas.c and the registry (objs.c): several IOASes in one
 * context, their ranges, map/unmap with dma.h's errno meanings, EBUSY
 * destroys naming the holder, teardown of what is left, and fail-Nth.
 */
#include "objs_fixture.h"

static void ioas_basics(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_ioas *a = NULL, *b = NULL, *own = NULL;
	vfioiommu_iova_list *l = NULL;
	struct ofx f;
	uint32_t own_id = 0;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &b), 0);
	assert_int_equal(vfioiommu_ctx_ioas(f.ctx, &own), 0);
	assert_int_equal(vfioiommu_ctx_ioas_id(f.ctx, &own_id), 0);
	assert_int_equal(vfioiommu_ioas_id(own), own_id);
	assert_true(vfioiommu_ioas_id(a) && vfioiommu_ioas_id(b) && vfioiommu_ioas_id(a) != vfioiommu_ioas_id(b));
	assert_true(vfioiommu_ioas_id(a) != own_id);
	assert_int_equal(vfioiommu_ioas_id(NULL), 0);
	/* an IOAS no device uses: one range, everything */
	assert_int_equal(vfioiommu_ioas_iova_ranges(a, &l), 0);
	assert_true(vfioiommu_iova_list_count(l) >= 1);
	vfioiommu_iova_list_free(l);
	/* the context's own is borrowed */
	assert_int_equal(vfioiommu_ioas_destroy(own), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "context's own", NULL);
	assert_int_equal(vfioiommu_ioas_destroy(a), 0);
	assert_int_equal(vfioiommu_ioas_destroy(b), 0);
	ofx_down(&f);
	th_mock_done(m);
}

static void ioas_map_rules(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_ioas *a = NULL, *own = NULL;
	char *buf = ofx_buf(16 * PG);
	struct ofx f;
	uint64_t iova, iova2 = 0;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	assert_int_equal(vfioiommu_ctx_ioas(f.ctx, &own), 0);
	iova = 0x100000;
	assert_int_equal(vfioiommu_ioas_map(a, buf, 4 * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE |
					    VFIOIOMMU_DMA_FIXED_IOVA, &iova), 0);
	assert_int_equal(iova, 0x100000);
	/* the same range in another IOAS is independent: the own IOAS knows nothing of it */
	assert_int_equal(vfioiommu_dma_unmap(f.ctx, 0x100000, 4 * PG), -ENOENT);
	/* overlap */
	iova = 0x102000;
	assert_int_equal(vfioiommu_ioas_map(a, buf, 4 * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova),
			 -EEXIST);
	th_assert_msg(vfioiommu_strerror(f.ctx), "overlaps", "0x100000", NULL);
	/* bad input */
	iova = 0x200000;
	assert_int_equal(vfioiommu_ioas_map(a, buf + 1, PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova),
			 -EINVAL);
	assert_int_equal(vfioiommu_ioas_map(a, buf, PG, 0x80 | VFIOIOMMU_DMA_READ, &iova), -EINVAL);
	assert_int_equal(vfioiommu_ioas_map(a, buf, PG, VFIOIOMMU_DMA_FIXED_IOVA, &iova), -EINVAL);
	assert_int_equal(vfioiommu_ioas_map(a, buf, 0, VFIOIOMMU_DMA_READ, &iova), -EINVAL);
	assert_int_equal(vfioiommu_ioas_map(a, NULL, PG, VFIOIOMMU_DMA_READ, &iova), -EINVAL);
	assert_int_equal(vfioiommu_ioas_map(a, buf, PG, VFIOIOMMU_DMA_READ, NULL), -EINVAL);
	iova = UINT64_MAX - PG + 1;
	assert_int_equal(vfioiommu_ioas_map(a, buf, 2 * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova),
			 -EINVAL);
	assert_int_equal(vfioiommu_ioas_map(own, buf, PG, VFIOIOMMU_DMA_READ, &iova), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "vfioiommu_dma_map", NULL);
	assert_int_equal(vfioiommu_ioas_map(NULL, buf, PG, VFIOIOMMU_DMA_READ, &iova), -EINVAL);
	/* the kernel chooses */
	assert_int_equal(vfioiommu_ioas_map(a, buf + 8 * PG, 2 * PG, VFIOIOMMU_DMA_READ, &iova2), 0);
	assert_true(iova2 + 2 * PG <= 0x100000 || iova2 >= 0x104000);
	/* unmap rules */
	assert_int_equal(vfioiommu_ioas_unmap(a, 0x100000, PG), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "split", NULL);
	assert_int_equal(vfioiommu_ioas_unmap(a, 0x900000, PG), -ENOENT);
	assert_int_equal(vfioiommu_ioas_unmap(a, 0x100000, 0), -EINVAL);
	assert_int_equal(vfioiommu_ioas_unmap(a, UINT64_MAX, 2), -EINVAL);
	assert_int_equal(vfioiommu_ioas_unmap(own, 0x100000, PG), -EINVAL);
	assert_int_equal(vfioiommu_ioas_unmap(NULL, 0x100000, PG), -EINVAL);
	assert_int_equal(vfioiommu_ioas_unmap(a, 0x100000, 4 * PG), 0);
	assert_int_equal(vfioiommu_ioas_unmap(a, 0x100000, 4 * PG), -ENOENT);
	assert_int_equal(vfioiommu_ioas_unmap(a, iova2, 2 * PG), 0);
	/* mapped again where it was: the table forgot it */
	iova = 0x100000;
	assert_int_equal(vfioiommu_ioas_map(a, buf, 4 * PG, VFIOIOMMU_DMA_WRITE | VFIOIOMMU_DMA_FIXED_IOVA, &iova), 0);
	/* destroyed with a mapping in it: fine, the mappings go with it */
	assert_int_equal(vfioiommu_ioas_destroy(a), 0);
	ofx_down(&f);
	th_mock_done(m);
	munmap(buf, 16 * PG);
}

/* A range outside the usable ones once a device narrows the IOAS: -ERANGE; the kernel's EEXIST is passed on. */
static void ioas_ranges_after_attach(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_ioas *a = NULL, *own = NULL;
	vfioiommu_iova_list *l = NULL;
	char *buf = ofx_buf(4 * PG);
	struct ofx f;
	uint64_t iova = 0xfee00000;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	assert_int_equal(vfioiommu_device_attach_ioas(f.dev, a), 0);
	assert_int_equal(vfioiommu_ioas_iova_ranges(a, &l), 0);
	assert_true(vfioiommu_iova_list_count(l) >= 2); /* the MSI window is a hole */
	vfioiommu_iova_list_free(l);
	assert_int_equal(vfioiommu_ioas_map(a, buf, PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova), -ERANGE);
	/* an IOAS a device is attached to cannot go */
	assert_int_equal(vfioiommu_ioas_destroy(a), -EBUSY);
	th_assert_msg(vfioiommu_strerror(f.ctx), "EBUSY", "device " DEV " (RID)", NULL);
	/* still usable after the refusal */
	iova = 0x100000;
	assert_int_equal(vfioiommu_ioas_map(a, buf, PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova), 0);
	assert_int_equal(vfioiommu_ctx_ioas(f.ctx, &own), 0);
	assert_int_equal(vfioiommu_device_attach_ioas(f.dev, own), 0);
	assert_int_equal(vfioiommu_ioas_destroy(a), 0);
	ofx_down(&f);
	th_mock_done(m);
	munmap(buf, 4 * PG);
}

/* A container context and a context without a backend. */
static void ioas_wrong_backend(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_ctx *c = th_ctx(m, VFIOIOMMU_MODE_CONTAINER), *fresh = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_device *d = NULL;
	vfioiommu_ioas *a = (void *)1;

	assert_int_equal(vfioiommu_device_open(c, DEV2, &d), 0);
	assert_int_equal(vfioiommu_ioas_new(c, &a), -EOPNOTSUPP);
	assert_null(a);
	th_assert_msg(vfioiommu_strerror(c), "container", "VFIOIOMMU_MODE_IOMMUFD", NULL);
	assert_int_equal(vfioiommu_ctx_ioas(c, &a), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_ioas_new(fresh, &a), -ENODEV);
	assert_int_equal(vfioiommu_ioas_new(NULL, &a), -EINVAL);
	assert_int_equal(vfioiommu_ioas_new(fresh, NULL), -EINVAL);
	vfioiommu_ctx_destroy(fresh);
	vfioiommu_ctx_destroy(c);
	th_mock_done(m);
}

/* Hostile kernel answers: id 0, a range with start after last. */
static void ioas_hostile(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_ioas *a = NULL;
	struct ofx f;

	assert_int_equal(ofx_up(&f, m), 0);
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_IOAS_ALLOC, 1, ENOMEM);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), -ENOMEM);
	th_assert_msg(vfioiommu_strerror(f.ctx), "IOMMU_IOAS_ALLOC", NULL);
	assert_null(a);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_DESTROY, 1, EIO);
	assert_int_equal(vfioiommu_ioas_destroy(a), -EIO);
	/* the handle survived the failure */
	assert_int_equal(vfioiommu_ioas_destroy(a), 0);
	ofx_down(&f);
	th_mock_done(m);
}

/* Left over at the context's end: the teardown destroys it (no fd, no object leaks). */
static void ioas_left_at_teardown(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_ioas *a = NULL, *b = NULL;
	char *buf = ofx_buf(PG);
	struct ofx f;
	uint64_t iova = 0;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &b), 0);
	assert_int_equal(vfioiommu_ioas_map(b, buf, PG, VFIOIOMMU_DMA_READ, &iova), 0);
	assert_int_equal(vfioiommu_device_attach_ioas(f.dev2, a), 0);
	ofx_down(&f);
	th_mock_done(m);
	munmap(buf, PG);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ioas *a = NULL, *own = NULL;
	vfioiommu_iova_list *l = NULL;
	char *buf = arg;
	struct ofx f;
	uint64_t iova = 0x100000, iova2 = 0;
	int rc = ofx_up(&f, m);

	if (rc == 0)
		rc = vfioiommu_ioas_new(f.ctx, &a);
	if (rc == 0)
		rc = vfioiommu_ioas_iova_ranges(a, &l);
	vfioiommu_iova_list_free(l);
	if (rc == 0)
		rc = vfioiommu_ioas_map(a, buf, 2 * PG, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &iova);
	if (rc == 0)
		rc = vfioiommu_ioas_map(a, buf, 2 * PG, VFIOIOMMU_DMA_READ, &iova2);
	if (rc == 0)
		rc = vfioiommu_device_attach_ioas(f.dev2, a);
	if (rc == 0)
		rc = vfioiommu_ioas_unmap(a, 0x100000, 2 * PG);
	if (rc == 0)
		rc = vfioiommu_ctx_ioas(f.ctx, &own);
	if (rc == 0)
		rc = vfioiommu_device_attach_ioas(f.dev2, own);
	/* whatever failed, the objects that exist are still usable once the fault has fired */
	if (rc < 0 && a && vfioiommu_mock_fault_fired(m)) {
		uint64_t i3 = 0;
		assert_int_equal(vfioiommu_ioas_map(a, buf + 2 * PG, PG, VFIOIOMMU_DMA_READ, &i3), 0);
	}
	if (rc == 0)
		rc = vfioiommu_ioas_destroy(a);
	ofx_down(&f);
	return rc;
}

static void ioas_failnth(void **state)
{
	char *buf = ofx_buf(4 * PG);
	unsigned long n = th_sweep(ofx_mock, sweep_body, buf, 500);

	assert_true(n > 10);
	munmap(buf, 4 * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ioas_basics),
		cmocka_unit_test(ioas_map_rules),
		cmocka_unit_test(ioas_ranges_after_attach),
		cmocka_unit_test(ioas_wrong_backend),
		cmocka_unit_test(ioas_hostile),
		cmocka_unit_test(ioas_left_at_teardown),
		cmocka_unit_test(ioas_failnth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
