/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A kernel that hands back what Linux never does when an object is made: id
 * 0, or a negative fd for an object that lives as its fd.  Every kind goes
 * through one allocation path (lib/iommufd/objs.c vi_obj_new); each refusal
 * is -EPROTO naming the ioctl, leaves no handle and no fd, and the context
 * keeps working.
 */
#include "objs_fixture.h"

static const vfioiommu_door *inner;
static unsigned long spoil_req; /* the allocation to spoil, 0: none */
static bool spoil_fd;           /* the fd instead of the id */

static void spoil(void *priv, unsigned long req, void *arg)
{
	switch (req) {
	case KABI_IOMMU_IOAS_ALLOC:
		((struct kabi_iommu_ioas_alloc *)arg)->out_ioas_id = 0;
		break;
	case KABI_IOMMU_HWPT_ALLOC:
		((struct kabi_iommu_hwpt_alloc *)arg)->out_hwpt_id = 0;
		break;
	case KABI_IOMMU_FAULT_QUEUE_ALLOC: {
		struct kabi_iommu_fault_alloc *a = arg;

		if (spoil_fd) {
			/* the fd the mock made is lost to the library: close it here so the count stays honest */
			inner->close(priv, (int)a->out_fault_fd);
			a->out_fault_fd = (uint32_t)-1;
		} else {
			a->out_fault_id = 0;
		}
		break;
	}
	}
}

static int spoil_ioctl(void *priv, int fd, unsigned long req, void *arg)
{
	int rc = inner->ioctl(priv, fd, req, arg);

	if (rc >= 0 && req == spoil_req)
		spoil(priv, req, arg);
	return rc;
}

static void objects_with_id_0_or_no_fd(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_door door;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD, .door = &door };
	struct vfioiommu_pagetable_opts po = { .size = sizeof(po) };
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	vfioiommu_ioas *ioas = (void *)1;
	vfioiommu_pagetable *pt = (void *)1;
	vfioiommu_fault_queue *q = (void *)1;
	vfioiommu_ring *ring = NULL;
	uint32_t devid = 0;
	unsigned int fds;

	(void)state;
	inner = vfioiommu_mock_door(m);
	door = *inner;
	door.ioctl = spoil_ioctl;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	assert_int_equal(vfioiommu_device_open(ctx, DEV, &dev), 0);
	assert_int_equal(vfioiommu_device_iommufd_id(dev, &devid), 0);
	assert_int_equal(vfioiommu_ring_create(ctx, 16, &ring), 0);
	fds = vfioiommu_mock_open_fds(m);

	spoil_req = KABI_IOMMU_IOAS_ALLOC;
	assert_int_equal(vfioiommu_ioas_new(ctx, &ioas), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), "IOMMU_IOAS_ALLOC", "id 0", NULL);
	assert_null(ioas);

	spoil_req = KABI_IOMMU_HWPT_ALLOC;
	assert_int_equal(vfioiommu_pagetable_new(ctx, devid, &po, &pt), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), "IOMMU_HWPT_ALLOC", "id 0", NULL);
	assert_null(pt);

	spoil_req = KABI_IOMMU_FAULT_QUEUE_ALLOC;
	assert_int_equal(vfioiommu_fault_queue_new(ctx, ring, &q), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), "IOMMU_FAULT_QUEUE_ALLOC", "id 0", NULL);
	assert_null(q);
	/* the fd that came with the id 0 is closed, not leaked */
	assert_int_equal(vfioiommu_mock_open_fds(m), fds);

	spoil_fd = true;
	q = (void *)1;
	assert_int_equal(vfioiommu_fault_queue_new(ctx, ring, &q), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), "IOMMU_FAULT_QUEUE_ALLOC", "negative fd", NULL);
	assert_null(q);
	assert_int_equal(vfioiommu_mock_open_fds(m), fds);

	/* nothing is left half made: the same calls work once the kernel behaves */
	spoil_req = 0;
	assert_int_equal(vfioiommu_ioas_new(ctx, &ioas), 0);
	assert_int_equal(vfioiommu_pagetable_new(ctx, devid, &po, &pt), 0);
	assert_int_equal(vfioiommu_fault_queue_new(ctx, ring, &q), 0);
	assert_int_equal(vfioiommu_fault_queue_destroy(q), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(pt), 0);
	assert_int_equal(vfioiommu_ioas_destroy(ioas), 0);
	vfioiommu_ring_destroy(ring);
	vfioiommu_device_close(dev);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(objects_with_id_0_or_no_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
