/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * lib/iommufd/viommu.c on the mock's SMMUv3: a vIOMMU on a nesting parent,
 * vDEVICEs and the refusal of a reused virtual id (library and kernel), a
 * vEVENTQ wired to a ring and pump in one call with events arriving as
 * records, the EBUSY destroys naming the holders, old kernels, fail-Nth.
 */
#include "objs_fixture.h"

static const uint32_t smmu_evt[8] = { 0x10, 0x42, 0, 0, 0x1000, 0, 0, 0 };

struct vfx {
	struct ofx f;
	vfioiommu_pagetable *parent;
	vfioiommu_viommu *v;
	uint32_t devid2;
};

static int vfx_up(struct vfx *x, vfioiommu_mock *m)
{
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o), .flags = VFIOIOMMU_PT_NEST_PARENT };
	int rc = vfioiommu_mock_set_iommu(m, VFIOIOMMU_MOCK_IOMMU_SMMUV3);

	memset(x, 0, sizeof(*x));
	if (rc == 0)
		rc = ofx_up(&x->f, m);
	if (rc == 0)
		rc = vfioiommu_device_iommufd_id(x->f.dev2, &x->devid2);
	if (rc == 0)
		rc = vfioiommu_pagetable_new(x->f.ctx, x->f.devid, &o, &x->parent);
	if (rc == 0)
		rc = vfioiommu_viommu_new(x->f.ctx, x->f.devid, x->parent, VFIOIOMMU_VIOMMU_ARM_SMMUV3, &x->v);
	return rc;
}

static void viommu_vdevice_veventq(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	struct kabi_iommu_vdevice_alloc raw = { .size = sizeof(raw) };
	vfioiommu_vdevice *vd = NULL, *vd2 = NULL;
	vfioiommu_veventq *q = NULL, *q2 = NULL;
	vfioiommu_ring *ring = NULL;
	struct vfioiommu_fault rec;
	struct vfx x;
	int ifd;

	assert_int_equal(vfx_up(&x, m), 0);
	assert_true(vfioiommu_viommu_id(x.v) != 0);
	assert_int_equal(vfioiommu_vdevice_new(x.v, x.f.devid, 0x42, &vd), 0);
	assert_true(vfioiommu_vdevice_id(vd) != 0);
	/* reuse: the virtual id, then the device */
	assert_int_equal(vfioiommu_vdevice_new(x.v, x.devid2, 0x42, &vd2), -EEXIST);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "0x42", "unique per vIOMMU", NULL);
	assert_null(vd2);
	assert_int_equal(vfioiommu_vdevice_new(x.v, x.f.devid, 0x43, &vd2), -EEXIST);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "already has vDEVICE", NULL);
	/* the mock kernel says the same as Linux (FACTS: library objects) */
	ifd = vfioiommu_ctx_iommufd_fd(x.f.ctx);
	raw.viommu_id = vfioiommu_viommu_id(x.v);
	raw.dev_id = x.devid2;
	raw.virt_id = 0x42;
	assert_int_equal(vfioiommu_mock_door(m)->ioctl(vfioiommu_mock_door(m)->priv, ifd, KABI_IOMMU_VDEVICE_ALLOC, &raw),
			 -EEXIST);
	raw.dev_id = x.f.devid;
	raw.virt_id = 0x44;
	assert_int_equal(vfioiommu_mock_door(m)->ioctl(vfioiommu_mock_door(m)->priv, ifd, KABI_IOMMU_VDEVICE_ALLOC, &raw),
			 -EEXIST);
	assert_int_equal(vfioiommu_vdevice_new(x.v, x.devid2, 0x45, &vd2), 0);

	assert_int_equal(vfioiommu_ring_create(x.f.ctx, 16, &ring), 0);
	assert_int_equal(vfioiommu_veventq_new(x.v, VFIOIOMMU_VEVENTQ_ARM_SMMUV3, 4, ring, &q), 0);
	assert_true(vfioiommu_veventq_fd(q) >= 0 && vfioiommu_veventq_id(q) != 0);
	assert_int_equal(vfioiommu_veventq_new(x.v, VFIOIOMMU_VEVENTQ_ARM_SMMUV3, 4, ring, &q2), -EEXIST);
	assert_null(q2);
	assert_int_equal(vfioiommu_mock_inject_vevent(m, DEV, smmu_evt, sizeof(smmu_evt)), 0);
	assert_int_equal(vfioiommu_fault_pump_run(vfioiommu_veventq_pump(q)), 1);
	assert_int_equal(vfioiommu_ring_copy(ring, &rec, 1), 1);
	assert_non_null(vfioiommu_fault_vevent(&rec));
	assert_int_equal(vfioiommu_fault_vevent(&rec)->type, VFIOIOMMU_VEVENTQ_ARM_SMMUV3);
	assert_memory_equal(vfioiommu_fault_vevent(&rec)->data, smmu_evt, 32);

	/* what holds what */
	assert_int_equal(vfioiommu_viommu_destroy(x.v), -EBUSY);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "vDEVICE", "vEVENTQ", NULL);
	assert_int_equal(vfioiommu_pagetable_destroy(x.parent), -EBUSY);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "vIOMMU", NULL);
	assert_int_equal(vfioiommu_veventq_destroy(q), 0);
	assert_int_equal(vfioiommu_vdevice_destroy(vd), 0);
	assert_int_equal(vfioiommu_vdevice_destroy(vd2), 0);
	assert_int_equal(vfioiommu_viommu_destroy(x.v), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(x.parent), 0);
	vfioiommu_ring_destroy(ring);
	ofx_down(&x.f);
	th_mock_done(m);
}

static void viommu_bad_input(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_viommu *v = (void *)1;
	vfioiommu_vdevice *vd = (void *)1;
	vfioiommu_veventq *q = (void *)1;
	vfioiommu_pagetable *plain = NULL;
	vfioiommu_ring *ring = NULL;
	struct vfx x;

	assert_int_equal(vfx_up(&x, m), 0);
	assert_int_equal(vfioiommu_ring_create(x.f.ctx, 16, &ring), 0);
	assert_int_equal(vfioiommu_pagetable_new(x.f.ctx, x.f.devid, NULL, &plain), 0);
	assert_int_equal(vfioiommu_viommu_new(NULL, x.f.devid, x.parent, 1, &v), -EINVAL);
	assert_null(v);
	assert_int_equal(vfioiommu_viommu_new(x.f.ctx, x.f.devid, NULL, 1, &v), -EINVAL);
	assert_int_equal(vfioiommu_viommu_new(x.f.ctx, x.f.devid, x.parent, 1, NULL), -EINVAL);
	assert_int_equal(vfioiommu_viommu_new(x.f.ctx, x.f.devid, plain, 1, &v), -EINVAL);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "NEST_PARENT", NULL);
	assert_int_equal(vfioiommu_viommu_new(x.f.ctx, x.f.devid, x.parent, VFIOIOMMU_VIOMMU_TEGRA241_CMDQV, &v),
			 -EOPNOTSUPP);
	assert_int_equal(vfioiommu_viommu_new(x.f.ctx, 999, x.parent, 1, &v), -ENOENT);
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_VIOMMU_ALLOC, 1, ENOTTY);
	assert_int_equal(vfioiommu_viommu_new(x.f.ctx, x.f.devid, x.parent, 1, &v), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "Linux 6.13", NULL);
	assert_int_equal(vfioiommu_vdevice_new(NULL, 1, 1, &vd), -EINVAL);
	assert_null(vd);
	assert_int_equal(vfioiommu_vdevice_new(x.v, 1, 1, NULL), -EINVAL);
	assert_int_equal(vfioiommu_vdevice_new(x.v, 999, 1, &vd), -ENOENT);
	assert_int_equal(vfioiommu_veventq_new(NULL, 1, 4, ring, &q), -EINVAL);
	assert_null(q);
	assert_int_equal(vfioiommu_veventq_new(x.v, 1, 4, NULL, &q), -EINVAL);
	assert_int_equal(vfioiommu_veventq_new(x.v, 1, 4, ring, NULL), -EINVAL);
	assert_int_equal(vfioiommu_veventq_new(x.v, 1, 0, ring, &q), -EINVAL);
	assert_int_equal(vfioiommu_veventq_new(x.v, 1, (1u << 19) + 1, ring, &q), -EINVAL);
	assert_int_equal(vfioiommu_veventq_new(x.v, 7, 4, ring, &q), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_viommu_destroy(NULL), -EINVAL);
	assert_int_equal(vfioiommu_vdevice_destroy(NULL), -EINVAL);
	assert_int_equal(vfioiommu_veventq_destroy(NULL), -EINVAL);
	assert_int_equal(vfioiommu_viommu_id(NULL), 0);
	assert_int_equal(vfioiommu_vdevice_id(NULL), 0);
	assert_int_equal(vfioiommu_veventq_id(NULL), 0);
	assert_int_equal(vfioiommu_veventq_fd(NULL), -EINVAL);
	assert_null(vfioiommu_veventq_pump(NULL));
	/* everything still works after the refusals */
	assert_int_equal(vfioiommu_vdevice_new(x.v, x.f.devid, 1, &vd), 0);
	assert_int_equal(vfioiommu_veventq_new(x.v, 1, 4, ring, &q), 0);
	/* kernels without the ioctls: asked once, then remembered */
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_VDEVICE_ALLOC, 1, ENOTTY);
	assert_int_equal(vfioiommu_vdevice_new(x.v, x.devid2, 2, &vd), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "Linux 6.13", NULL);
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_VEVENTQ_ALLOC, 1, ENOTTY);
	assert_int_equal(vfioiommu_veventq_new(x.v, 2, 4, ring, &q), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "Linux 6.15", NULL);
	{
		unsigned long calls = vfioiommu_mock_calls(m);

		assert_int_equal(vfioiommu_vdevice_new(x.v, x.devid2, 3, &vd), -EOPNOTSUPP);
		assert_int_equal(vfioiommu_veventq_new(x.v, 2, 4, ring, &q), -EOPNOTSUPP);
		assert_int_equal(vfioiommu_viommu_new(x.f.ctx, x.f.devid, x.parent, 1, &v), -EOPNOTSUPP);
		assert_int_equal(vfioiommu_mock_calls(m), calls);
	}
	/* left for the teardown, children first */
	vfioiommu_ring_destroy(ring);
	ofx_down(&x.f);
	th_mock_done(m);
}

/* A device closed with its vDEVICE: the kernel destroys the vDEVICE; the context's end still cleans up. */
static void viommu_device_closes(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_vdevice *vd = NULL;
	struct vfx x;

	assert_int_equal(vfx_up(&x, m), 0);
	assert_int_equal(vfioiommu_vdevice_new(x.v, x.devid2, 9, &vd), 0);
	vfioiommu_device_close(x.f.dev2);
	ofx_down(&x.f);
	th_mock_done(m);
}

/* HW queues: the mock's SMMUv3 has none; bad input; a kernel without the ioctl. */
static void viommu_hw_queue(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_hw_queue *q = (void *)1;
	struct vfx x;

	assert_int_equal(vfx_up(&x, m), 0);
	assert_int_equal(vfioiommu_hw_queue_new(x.v, VFIOIOMMU_HW_QUEUE_TEGRA241_CMDQV, 0, 0x100000, PG, &q),
			 -EOPNOTSUPP);
	assert_null(q);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "no HW queues", NULL);
	assert_int_equal(vfioiommu_hw_queue_new(NULL, 1, 0, 0x100000, PG, &q), -EINVAL);
	assert_int_equal(vfioiommu_hw_queue_new(x.v, 1, 0, 0x100000, 0, &q), -EINVAL);
	assert_int_equal(vfioiommu_hw_queue_new(x.v, 1, 0, 0x100000, PG, NULL), -EINVAL);
	assert_int_equal(vfioiommu_hw_queue_destroy(NULL), -EINVAL);
	assert_int_equal(vfioiommu_hw_queue_id(NULL), 0);
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_HW_QUEUE_ALLOC, 1, ENOTTY);
	assert_int_equal(vfioiommu_hw_queue_new(x.v, 1, 0, 0x100000, PG, &q), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(x.f.ctx), "Linux 6.17", NULL);
	ofx_down(&x.f);
	th_mock_done(m);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_vdevice *vd = NULL;
	vfioiommu_veventq *q = NULL;
	vfioiommu_ring *ring = NULL;
	struct vfx x;
	int rc = vfx_up(&x, m);

	(void)arg;
	if (rc == 0)
		rc = vfioiommu_vdevice_new(x.v, x.f.devid, 0x42, &vd);
	if (rc == 0)
		rc = vfioiommu_ring_create(x.f.ctx, 16, &ring);
	if (rc == 0)
		rc = vfioiommu_veventq_new(x.v, VFIOIOMMU_VEVENTQ_ARM_SMMUV3, 8, ring, &q);
	if (rc == 0) {
		assert_int_equal(vfioiommu_mock_inject_vevent(m, DEV, smmu_evt, sizeof(smmu_evt)), 0);
		rc = vfioiommu_fault_pump_run(vfioiommu_veventq_pump(q));
		rc = rc == 1 ? 0 : rc < 0 ? rc : -EIO;
	}
	if (rc == 0)
		rc = vfioiommu_veventq_destroy(q);
	if (rc == 0)
		rc = vfioiommu_vdevice_destroy(vd);
	if (rc == 0)
		rc = vfioiommu_viommu_destroy(x.v);
	vfioiommu_ring_destroy(ring);
	ofx_down(&x.f);
	return rc;
}

static void viommu_failnth(void **state)
{
	assert_true(th_sweep(ofx_mock, sweep_body, NULL, 500) > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(viommu_vdevice_veventq),
		cmocka_unit_test(viommu_bad_input),
		cmocka_unit_test(viommu_device_closes),
		cmocka_unit_test(viommu_hw_queue),
		cmocka_unit_test(viommu_failnth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
