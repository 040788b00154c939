/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * lib/iommufd/pagetable.c: page tables on an IOAS, the flag checks, RID and
 * PASID attach / replace through handles, EBUSY destroys naming the holders,
 * and fail-Nth.
 */
#include "objs_fixture.h"

static void pt_attach_replace_busy(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o) };
	vfioiommu_pagetable *p1 = NULL, *p2 = NULL;
	vfioiommu_ioas *a = NULL, *own = NULL;
	struct ofx f;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	o.ioas = a;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p1), 0);
	/* NULL opts: a plain page table on the context's IOAS */
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, NULL, &p2), 0);
	assert_true(vfioiommu_pagetable_id(p1) && vfioiommu_pagetable_id(p1) != vfioiommu_pagetable_id(p2));
	assert_int_equal(vfioiommu_pagetable_id(NULL), 0);
	assert_int_equal(vfioiommu_device_attach_pagetable(f.dev, p1), 0);
	/* the IOAS holds a page table; the page table holds the device */
	assert_int_equal(vfioiommu_ioas_destroy(a), -EBUSY);
	th_assert_msg(vfioiommu_strerror(f.ctx), "IOAS", "page table", NULL);
	assert_int_equal(vfioiommu_pagetable_destroy(p1), -EBUSY);
	th_assert_msg(vfioiommu_strerror(f.ctx), "device " DEV " (RID)", NULL);
	/* replace: p1 -> p2 -> the IOAS -> the context's own */
	assert_int_equal(vfioiommu_device_attach_pagetable(f.dev, p2), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(p2), -EBUSY);
	assert_int_equal(vfioiommu_device_attach_ioas(f.dev, a), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(p2), 0);
	assert_int_equal(vfioiommu_ctx_ioas(f.ctx, &own), 0);
	assert_int_equal(vfioiommu_device_attach_ioas(f.dev, own), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(p1), 0);
	assert_int_equal(vfioiommu_ioas_destroy(a), 0);
	ofx_down(&f);
	th_mock_done(m);
}

static void pt_pasid(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o), .flags = VFIOIOMMU_PT_PASID };
	vfioiommu_pagetable *rid = NULL, *pp = NULL, *plain = NULL;
	vfioiommu_ioas *own = NULL;
	struct ofx f;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &rid), 0);
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &pp), 0);
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, NULL, &plain), 0);
	/* the RID's page table must be PASID-capable first */
	assert_int_equal(vfioiommu_device_pasid_attach(f.dev, 5, pp), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "PASID 5", "VFIOIOMMU_PT_PASID", NULL);
	assert_int_equal(vfioiommu_device_attach_pagetable(f.dev, rid), 0);
	assert_int_equal(vfioiommu_device_pasid_attach(f.dev, 5, pp), 0);
	assert_int_equal(vfioiommu_device_pasid_attach(f.dev, 6, pp), 0);
	/* a plain page table takes no PASID, and the RID may not leave for one now */
	assert_int_equal(vfioiommu_device_pasid_attach(f.dev, 7, plain), -EINVAL);
	assert_int_equal(vfioiommu_device_attach_pagetable(f.dev, plain), -EINVAL);
	assert_int_equal(vfioiommu_pagetable_destroy(pp), -EBUSY);
	th_assert_msg(vfioiommu_strerror(f.ctx), "PASID 5", "PASID 6", NULL);
	/* replace PASID 6 onto the RID's page table */
	assert_int_equal(vfioiommu_device_pasid_attach(f.dev, 6, rid), 0);
	assert_int_equal(vfioiommu_device_pasid_detach(f.dev, 5), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(pp), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(rid), -EBUSY);
	th_assert_msg(vfioiommu_strerror(f.ctx), "(RID)", "PASID 6", NULL);
	/* bad input */
	assert_int_equal(vfioiommu_device_pasid_attach(f.dev, 0, rid), -EINVAL);
	assert_int_equal(vfioiommu_device_pasid_attach(f.dev, 8, NULL), -EINVAL);
	assert_int_equal(vfioiommu_device_pasid_attach(NULL, 8, rid), -EINVAL);
	assert_int_equal(vfioiommu_device_pasid_attach(f.dev, 1u << 20, rid), -EINVAL);
	assert_int_equal(vfioiommu_device_pasid_detach(f.dev, 0), -EINVAL);
	assert_int_equal(vfioiommu_device_pasid_detach(NULL, 1), -EINVAL);
	/* a device without PASID */
	assert_int_equal(vfioiommu_device_pasid_attach(f.dev2, 5, rid), -EINVAL);
	assert_int_equal(vfioiommu_device_pasid_detach(f.dev, 6), 0);
	assert_int_equal(vfioiommu_ctx_ioas(f.ctx, &own), 0);
	assert_int_equal(vfioiommu_device_attach_ioas(f.dev, own), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(rid), 0);
	/* left for the teardown */
	(void)plain;
	ofx_down(&f);
	th_mock_done(m);
}

static void pt_bad_opts(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o) };
	vfioiommu_pagetable *p = NULL, *plain = NULL;
	vfioiommu_ioas *a = NULL;
	struct ofx f, g;
	uint32_t data = 0;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, NULL, &plain), 0);
	o.flags = 0x100;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "unknown flags 0x100", NULL);
	o.flags = VFIOIOMMU_PT_FAULT;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "vfioiommu_fault_queue_new", NULL);
	o.flags = 0;
	o.ioas = a;
	o.parent = plain;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), -EINVAL);
	o.ioas = NULL;
	o.data_type = 3;
	o.data_len = sizeof(data);
	o.data = &data;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), -EINVAL);
	th_assert_msg(vfioiommu_strerror(f.ctx), "NEST_PARENT", NULL);
	o.parent = NULL;
	o.data_len = 0;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), -EINVAL);
	o.data_type = 0;
	o.data_len = 4;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), -EINVAL);
	o.data_len = 0;
	o.size = 8;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), -EINVAL);
	o.size = sizeof(o);
	assert_int_equal(vfioiommu_pagetable_new(NULL, f.devid, &o, &p), -EINVAL);
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, NULL), -EINVAL);
	/* what this IOMMU (the mock's VT-d) cannot do: the message names the flag and its Linux version */
	o.flags = VFIOIOMMU_PT_NEST_PARENT;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "NEST_PARENT (Linux 6.7)", NULL);
	o.flags = VFIOIOMMU_PT_DIRTY_TRACKING | VFIOIOMMU_PT_PASID;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "DIRTY_TRACKING (Linux 6.7)", "PASID (Linux 6.15)", NULL);
	/* an unknown device */
	o.flags = 0;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, 999, &o, &p), -ENOENT);
	assert_null(p);
	/* a kernel without HWPT_ALLOC */
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_HWPT_ALLOC, 1, ENOTTY);
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(f.ctx), "Linux 6.6", NULL);
	/* handles of another context */
	assert_int_equal(ofx_up(&g, th_mock(objs_host)), 0);
	o.ioas = a;
	assert_int_equal(vfioiommu_pagetable_new(g.ctx, g.devid, &o, &p), -EINVAL);
	assert_int_equal(vfioiommu_device_attach_ioas(g.dev, a), -EINVAL);
	assert_int_equal(vfioiommu_device_attach_pagetable(g.dev, plain), -EINVAL);
	assert_int_equal(vfioiommu_device_pasid_attach(g.dev, 3, plain), -EINVAL);
	ofx_down(&g);
	th_mock_done(g.m);
	/* the other objects are still usable */
	assert_int_equal(vfioiommu_device_attach_pagetable(f.dev, plain), 0);
	assert_int_equal(vfioiommu_device_attach_ioas(f.dev, a), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(plain), 0);
	assert_int_equal(vfioiommu_device_attach_ioas(NULL, a), -EINVAL);
	assert_int_equal(vfioiommu_device_attach_ioas(f.dev, NULL), -EINVAL);
	assert_int_equal(vfioiommu_device_attach_pagetable(NULL, plain), -EINVAL);
	assert_int_equal(vfioiommu_device_attach_pagetable(f.dev, NULL), -EINVAL);
	assert_int_equal(vfioiommu_pagetable_destroy(NULL), -EINVAL);
	ofx_down(&f);
	th_mock_done(m);
}

/* A nesting parent on the SMMUv3 mock, and the teardown with a device still on it. */
static void pt_nest_parent_smmuv3(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o), .flags = VFIOIOMMU_PT_NEST_PARENT };
	vfioiommu_pagetable *s2 = NULL;
	struct ofx f;

	assert_int_equal(vfioiommu_mock_set_iommu(m, VFIOIOMMU_MOCK_IOMMU_SMMUV3), 0);
	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &s2), 0);
	assert_int_equal(vfioiommu_device_attach_pagetable(f.dev, s2), 0);
	ofx_down(&f);
	th_mock_done(m);
}

/* A device that closes forgets its attachment records: the message no longer names it. */
static void pt_device_close_forgets(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_pagetable *p = NULL;
	vfioiommu_ioas *a = NULL;
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o) };
	struct ofx f;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ioas_new(f.ctx, &a), 0);
	o.ioas = a;
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), 0);
	assert_int_equal(vfioiommu_device_attach_pagetable(f.dev, p), 0);
	vfioiommu_device_close(f.dev);
	assert_int_equal(vfioiommu_pagetable_destroy(p), 0);
	assert_int_equal(vfioiommu_ioas_destroy(a), 0);
	ofx_down(&f);
	th_mock_done(m);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o), .flags = VFIOIOMMU_PT_PASID };
	vfioiommu_pagetable *rid = NULL, *pp = NULL;
	vfioiommu_ioas *a = NULL;
	struct ofx f;
	int rc = ofx_up(&f, m);

	(void)arg;
	if (rc == 0)
		rc = vfioiommu_ioas_new(f.ctx, &a);
	o.ioas = a;
	if (rc == 0)
		rc = vfioiommu_pagetable_new(f.ctx, f.devid, &o, &rid);
	if (rc == 0)
		rc = vfioiommu_pagetable_new(f.ctx, f.devid, &o, &pp);
	if (rc == 0)
		rc = vfioiommu_device_attach_pagetable(f.dev, rid);
	if (rc == 0)
		rc = vfioiommu_device_pasid_attach(f.dev, 9, pp);
	if (rc == 0)
		rc = vfioiommu_device_pasid_attach(f.dev, 9, rid);
	if (rc == 0)
		rc = vfioiommu_device_pasid_detach(f.dev, 9);
	if (rc == 0)
		rc = vfioiommu_pagetable_destroy(pp);
	/* after a fault, what exists still works: a fresh page table on the IOAS */
	if (rc < 0 && a && vfioiommu_mock_fault_fired(m)) {
		vfioiommu_pagetable *x = NULL;
		assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &x), 0);
		assert_int_equal(vfioiommu_pagetable_destroy(x), 0);
	}
	ofx_down(&f);
	return rc;
}

static void pt_failnth(void **state)
{
	assert_true(th_sweep(ofx_mock, sweep_body, NULL, 500) > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pt_attach_replace_busy),
		cmocka_unit_test(pt_pasid),
		cmocka_unit_test(pt_bad_opts),
		cmocka_unit_test(pt_nest_parent_smmuv3),
		cmocka_unit_test(pt_device_close_forgets),
		cmocka_unit_test(pt_failnth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
