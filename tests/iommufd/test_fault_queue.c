/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * lib/iommufd/fault_queue.c: a fault queue the library allocates, wired to a
 * ring and a pump; a page table that sends its faults there; a page request
 * from the mock kernel arriving in the ring and answered through the pump;
 * EBUSY while a page table uses the queue; old kernels; fail-Nth.
 */
#include <pthread.h>

#include "objs_fixture.h"
#include "mock/mock.h"

static void inject(vfioiommu_mock *m, uint32_t grpid, uint64_t addr)
{
	struct vm_fault_page pg = { .perm = 1, .addr = addr };

	pthread_mutex_lock(&m->lock);
	assert_int_equal(vm_iommufd_inject_fault(m, vm_device_find(m, DEV), false, 0, grpid, &pg, 1), 0);
	pthread_mutex_unlock(&m->lock);
}

static void fq_round_trip(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o) };
	vfioiommu_fault_queue *q = NULL;
	vfioiommu_pagetable *p = NULL;
	vfioiommu_ioas *own = NULL;
	vfioiommu_ring *ring = NULL;
	struct vfioiommu_fault rec;
	struct ofx f;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ring_create(f.ctx, 16, &ring), 0);
	assert_int_equal(vfioiommu_fault_queue_new(f.ctx, ring, &q), 0);
	assert_true(vfioiommu_fault_queue_id(q) != 0);
	assert_true(vfioiommu_fault_queue_fd(q) >= 0);
	assert_non_null(vfioiommu_fault_queue_pump(q));
	o.fault = q; /* implies VFIOIOMMU_PT_FAULT */
	assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), 0);
	/* a device without PRI cannot go on it */
	assert_int_equal(vfioiommu_device_attach_pagetable(f.dev2, p), -ENODEV);
	th_assert_msg(vfioiommu_strerror(f.ctx), "PRI", NULL);
	assert_int_equal(vfioiommu_device_attach_pagetable(f.dev, p), 0);
	inject(m, 7, 0x5000);
	assert_int_equal(vfioiommu_fault_pump_run(vfioiommu_fault_queue_pump(q)), 1);
	assert_int_equal(vfioiommu_ring_copy(ring, &rec, 1), 1);
	assert_int_equal(rec.kind, VFIOIOMMU_FAULT_PAGE_REQ);
	assert_int_equal(rec.dev_id, f.devid);
	assert_int_equal(rec.grpid, 7);
	assert_int_equal(rec.addr, 0x5000);
	assert_int_equal(vfioiommu_fault_pump_respond_record(vfioiommu_fault_queue_pump(q), &rec,
							     VFIOIOMMU_PAGE_RESP_SUCCESS), 0);
	assert_int_equal(vfioiommu_fault_pump_outstanding(vfioiommu_fault_queue_pump(q)), 0);
	/* the page table holds the queue */
	assert_int_equal(vfioiommu_fault_queue_destroy(q), -EBUSY);
	th_assert_msg(vfioiommu_strerror(f.ctx), "fault queue", "page table", NULL);
	/* still working after the refusal */
	inject(m, 8, 0x6000);
	assert_int_equal(vfioiommu_fault_pump_run(vfioiommu_fault_queue_pump(q)), 1);
	assert_int_equal(vfioiommu_ring_copy(ring, &rec, 1), 1);
	assert_int_equal(vfioiommu_fault_pump_respond_record(vfioiommu_fault_queue_pump(q), &rec,
							     VFIOIOMMU_PAGE_RESP_INVALID), 0);
	assert_int_equal(vfioiommu_ctx_ioas(f.ctx, &own), 0);
	assert_int_equal(vfioiommu_device_attach_ioas(f.dev, own), 0);
	assert_int_equal(vfioiommu_pagetable_destroy(p), 0);
	assert_int_equal(vfioiommu_fault_queue_destroy(q), 0);
	vfioiommu_ring_destroy(ring);
	ofx_down(&f);
	th_mock_done(m);
}

static void fq_bad_input_and_old_kernel(void **state)
{
	vfioiommu_mock *m = th_mock(objs_host);
	vfioiommu_fault_queue *q = (void *)1;
	vfioiommu_ring *ring = NULL;
	struct ofx f;

	assert_int_equal(ofx_up(&f, m), 0);
	assert_int_equal(vfioiommu_ring_create(f.ctx, 16, &ring), 0);
	assert_int_equal(vfioiommu_fault_queue_new(NULL, ring, &q), -EINVAL);
	assert_null(q);
	assert_int_equal(vfioiommu_fault_queue_new(f.ctx, NULL, &q), -EINVAL);
	assert_int_equal(vfioiommu_fault_queue_new(f.ctx, ring, NULL), -EINVAL);
	assert_int_equal(vfioiommu_fault_queue_destroy(NULL), -EINVAL);
	assert_null(vfioiommu_fault_queue_pump(NULL));
	assert_int_equal(vfioiommu_fault_queue_fd(NULL), -EINVAL);
	assert_int_equal(vfioiommu_fault_queue_id(NULL), 0);
	/* left for the teardown: queue and page table, children first (the ring may go before: the pump never runs again) */
	assert_int_equal(vfioiommu_fault_queue_new(f.ctx, ring, &q), 0);
	{
		struct vfioiommu_pagetable_opts o = { .size = sizeof(o), .fault = q };
		vfioiommu_pagetable *p = NULL;
		assert_int_equal(vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p), 0);
		assert_int_equal(vfioiommu_device_attach_pagetable(f.dev, p), 0);
	}
	/* a kernel without the ioctl: asked once, then remembered (no second syscall) */
	{
		vfioiommu_fault_queue *q2 = (void *)1;
		unsigned long calls;

		vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_FAULT_QUEUE_ALLOC, 1, ENOTTY);
		assert_int_equal(vfioiommu_fault_queue_new(f.ctx, ring, &q2), -EOPNOTSUPP);
		th_assert_msg(vfioiommu_strerror(f.ctx), "Linux 6.11", NULL);
		assert_null(q2);
		calls = vfioiommu_mock_calls(m);
		assert_int_equal(vfioiommu_fault_queue_new(f.ctx, ring, &q2), -EOPNOTSUPP);
		th_assert_msg(vfioiommu_strerror(f.ctx), "Linux 6.11", NULL);
		assert_int_equal(vfioiommu_mock_calls(m), calls);
	}
	vfioiommu_ring_destroy(ring);
	ofx_down(&f);
	th_mock_done(m);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct vfioiommu_pagetable_opts o = { .size = sizeof(o) };
	vfioiommu_fault_queue *q = NULL;
	vfioiommu_pagetable *p = NULL;
	vfioiommu_ring *ring = NULL;
	struct ofx f;
	int rc = ofx_up(&f, m);

	(void)arg;
	if (rc == 0)
		rc = vfioiommu_ring_create(f.ctx, 16, &ring);
	if (rc == 0)
		rc = vfioiommu_fault_queue_new(f.ctx, ring, &q);
	o.fault = q;
	if (rc == 0)
		rc = vfioiommu_pagetable_new(f.ctx, f.devid, &o, &p);
	if (rc == 0)
		rc = vfioiommu_device_attach_pagetable(f.dev, p);
	if (rc == 0) {
		inject(m, 1, 0x1000);
		rc = vfioiommu_fault_pump_run(vfioiommu_fault_queue_pump(q));
	}
	if (rc == 1)
		rc = vfioiommu_fault_pump_respond(vfioiommu_fault_queue_pump(q), 1, VFIOIOMMU_PAGE_RESP_SUCCESS);
	vfioiommu_ring_destroy(ring);
	ofx_down(&f);
	return rc;
}

static void fq_failnth(void **state)
{
	assert_true(th_sweep(ofx_mock, sweep_body, NULL, 500) > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fq_round_trip),
		cmocka_unit_test(fq_bad_input_and_old_kernel),
		cmocka_unit_test(fq_failnth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
