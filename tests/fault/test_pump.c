/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The fault pump against the mock's iommufd fault fd: groups arrive whole and
 * converted, backpressure leaves faults in the kernel instead of dropping
 * them, cookies are checked (twice, unknown, reused, auto-answered by a
 * detach), hostile read sizes and oversize groups are errors with messages,
 * and the whole flow survives the fail-Nth sweep.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "kabi/kabi.h"
#include "mock/mock.h"
#include "pump_fixture.h"
#include "fault/ring.h"

static const char host[] =
	"pasid-width 20\n"
	"group 1\n  device 0000:00:01.0 vfio-pci pasid=20 iopf\n";

/* pf_base, then a fault queue (e->qfd) and a HWPT using it, the device attached to that HWPT */
static void penv_up(struct pf_env *e)
{
	struct kabi_iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct kabi_iommu_hwpt_alloc h = { .size = sizeof(h), .flags = KABI_IOMMU_HWPT_FAULT_ID_VALID };
	struct kabi_vfio_device_attach_iommufd_pt a = { .argsz = KABI_ATTACH_PT_MIN };

	pf_base(e, host);
	assert_int_equal(pf_kio(e, e->ifd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	e->qfd = (int)fa.out_fault_fd;
	h.dev_id = e->devid;
	h.pt_id = e->ioas;
	h.fault_id = fa.out_fault_id;
	assert_int_equal(pf_kio(e, e->ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
	e->hwpt = h.out_hwpt_id;
	a.pt_id = e->hwpt;
	assert_int_equal(pf_kio(e, e->dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
}

/* the device reports one page-request group of n pages */
static void inject(struct pf_env *e, uint32_t grpid, size_t n, uint64_t addr)
{
	struct vm_fault_page pg[512];

	assert_true(n <= 512);
	for (size_t i = 0; i < n; i++)
		pg[i] = (struct vm_fault_page){ .perm = 3, .addr = addr + i * 4096 };
	pthread_mutex_lock(&e->m->lock);
	assert_int_equal(vm_iommufd_inject_fault(e->m, vm_device_find(e->m, "0000:00:01.0"), false, 0, grpid, pg, n),
			 0);
	pthread_mutex_unlock(&e->m->lock);
}

static void expect(vfioiommu_ring *r, const struct vfioiommu_fault *f, uint32_t seq, uint32_t cookie, uint32_t grpid,
		   uint64_t addr, bool last, uint32_t devid)
{
	(void)r;
	assert_int_equal(f->kind, VFIOIOMMU_FAULT_PAGE_REQ);
	assert_int_equal(f->seq, seq);
	assert_int_equal(f->cookie, cookie);
	assert_int_equal(f->grpid, grpid);
	assert_true(f->addr == addr);
	assert_int_equal(f->flags, last ? VFIOIOMMU_FAULT_F_LAST_PAGE : 0);
	assert_int_equal(f->perm, VFIOIOMMU_FAULT_PERM_READ | VFIOIOMMU_FAULT_PERM_WRITE);
	assert_int_equal(f->dev_id, devid);
}

/* ---------------------------------------------------------------- */

static void test_bad_args(void **state)
{
	struct pf_env e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p = (void *)1;

	penv_up(&e);
	ctx = pf_ctx(e.d);
	assert_int_equal(vfioiommu_ring_create(ctx, 8, &ring), 0);
	assert_int_equal(vfioiommu_fault_pump_new(NULL, e.qfd, ring, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(vfioiommu_fault_pump_new(ctx, -1, ring, &p), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "fault pump", "negative", NULL);
	assert_int_equal(vfioiommu_fault_pump_new(ctx, e.qfd, NULL, &p), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_new(ctx, e.qfd, ring, NULL), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_run(NULL), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_respond(NULL, 1, 0), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_outstanding(NULL), 0);
	vfioiommu_fault_pump_destroy(NULL);
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	pf_down(&e);
}

static void test_flow(void **state)
{
	struct pf_env e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p;
	const struct vfioiommu_fault *v[8];
	struct vfioiommu_ring_stats st = { .size = sizeof(st) };

	penv_up(&e);
	ctx = pf_pump_up(&e, NULL, 8, vfioiommu_fault_pump_new, &ring, &p);
	assert_int_equal(vfioiommu_fault_pump_run(p), 0);

	inject(&e, 0x11, 2, 0x100000);
	inject(&e, 0x22, 1, 0x200000);
	inject(&e, 0x33, 3, 0x300000);
	assert_int_equal(vfioiommu_fault_pump_run(p), 6);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 3);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, v, 8), 6);
	expect(ring, v[0], 0, 1, 0x11, 0x100000, false, e.devid);
	expect(ring, v[1], 1, 1, 0x11, 0x101000, true, e.devid);
	expect(ring, v[2], 2, 2, 0x22, 0x200000, true, e.devid);
	expect(ring, v[3], 3, 3, 0x33, 0x300000, false, e.devid);
	expect(ring, v[5], 5, 3, 0x33, 0x302000, true, e.devid);

	/* answers: once each; twice, unknown and bad codes refused before the kernel sees them */
	assert_int_equal(vfioiommu_fault_pump_respond(p, 1, VFIOIOMMU_PAGE_RESP_SUCCESS), 0);
	assert_int_equal(vfioiommu_fault_pump_respond(p, 1, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "cookie 1", "already answered", NULL);
	assert_int_equal(vfioiommu_fault_pump_respond(p, 99, VFIOIOMMU_PAGE_RESP_INVALID), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "cookie 99", "never delivered", NULL);
	assert_int_equal(vfioiommu_fault_pump_respond(p, 2, 7), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "code 7", NULL);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 2);

	/* backpressure: 2 free slots, a 3-page group stays in the kernel, nothing is dropped */
	inject(&e, 0x44, 3, 0x400000);
	assert_int_equal(vfioiommu_fault_pump_run(p), 0);
	assert_int_equal(vfioiommu_ring_advance(ring, 6), 0);
	assert_int_equal(vfioiommu_fault_pump_run(p), 3);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, v, 8), 3);
	/* the kernel reuses the answered cookie 1 for the new group */
	expect(ring, v[0], 6, 1, 0x44, 0x400000, false, e.devid);
	expect(ring, v[2], 8, 1, 0x44, 0x402000, true, e.devid);
	assert_int_equal(vfioiommu_ring_advance(ring, 3), 0);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 3);
	assert_int_equal(vfioiommu_fault_pump_respond(p, 1, VFIOIOMMU_PAGE_RESP_INVALID), 0);
	assert_int_equal(vfioiommu_ring_stats(ring, &st), 0);
	assert_int_equal(st.overflow, 0);
	assert_int_equal(st.produced, 9);

	/* a detach answers the outstanding groups for us: the kernel forgets cookie 2 */
	{
		struct kabi_vfio_device_attach_iommufd_pt a = { .argsz = KABI_ATTACH_PT_MIN, .pt_id = e.ioas };
		assert_int_equal(pf_kio(&e, e.dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	}
	assert_int_equal(vfioiommu_fault_pump_respond(p, 2, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "cookie 2", "no longer knows", NULL);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 1);
	assert_int_equal(vfioiommu_fault_pump_respond(p, 2, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "never delivered", NULL);

	pf_pump_down(&e, p, ring, ctx);
}

/*
 * Seen on Linux 7.2 (tests/vm/vm_fault.c): after a detach the kernel answers
 * the outstanding group itself and hands its cookie to the next group.  A late
 * answer by record must not complete the newer group.
 */
static void test_cookie_reused_after_kernel_answer(void **state)
{
	struct pf_env e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p;
	const struct vfioiommu_fault *v[4];
	struct vfioiommu_fault old, cur;
	struct kabi_vfio_device_attach_iommufd_pt a = { .argsz = KABI_ATTACH_PT_MIN };

	penv_up(&e);
	ctx = pf_pump_up(&e, NULL, 8, vfioiommu_fault_pump_new, &ring, &p);
	inject(&e, 0x11, 1, 0x100000);
	assert_int_equal(vfioiommu_fault_pump_run(p), 1);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, v, 4), 1);
	old = *v[0];
	assert_int_equal(vfioiommu_ring_advance(ring, 1), 0);
	/* away from the fault HWPT and back: the kernel answered cookie old.cookie for us */
	a.pt_id = e.ioas;
	assert_int_equal(pf_kio(&e, e.dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	a.pt_id = e.hwpt;
	assert_int_equal(pf_kio(&e, e.dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	inject(&e, 0x22, 1, 0x200000);
	assert_int_equal(vfioiommu_fault_pump_run(p), 1);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, v, 4), 1);
	cur = *v[0];
	assert_int_equal(vfioiommu_ring_advance(ring, 1), 0);
	assert_int_equal(cur.cookie, old.cookie); /* reused */
	assert_int_equal(vfioiommu_fault_pump_respond_record(p, &old, VFIOIOMMU_PAGE_RESP_INVALID), -ESTALE);
	th_assert_msg(vfioiommu_strerror(ctx), "answered by the kernel itself", "newer group", NULL);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 1);
	assert_int_equal(vfioiommu_fault_pump_respond_record(p, &cur, VFIOIOMMU_PAGE_RESP_SUCCESS), 0);
	assert_int_equal(vfioiommu_fault_pump_respond_record(p, &cur, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_respond_record(p, NULL, 0), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_respond_record(NULL, &cur, 0), -EINVAL);
	pf_pump_down(&e, p, ring, ctx);
}

static void test_oversize_group(void **state)
{
	struct pf_env e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p;

	penv_up(&e);
	ctx = pf_pump_up(&e, NULL, 1024, vfioiommu_fault_pump_new, &ring, &p);
	inject(&e, 1, 2, 0x1000);
	inject(&e, 2, VFIOIOMMU_PUMP_MAX_GROUP + 1, 0x100000);
	/* the group before it arrives; the short read ends the run (the fd stays readable) */
	assert_int_equal(vfioiommu_fault_pump_run(p), 2);
	assert_int_equal(vfioiommu_ring_ready(ring), 2);
	/* the next run finds the group no read can take */
	assert_int_equal(vfioiommu_fault_pump_run(p), -EMSGSIZE);
	th_assert_msg(vfioiommu_strerror(ctx), "more than 256", NULL);
	/* a group of exactly the maximum is fine */
	pf_pump_down(&e, p, ring, ctx);

	penv_up(&e);
	ctx = pf_pump_up(&e, NULL, 1024, vfioiommu_fault_pump_new, &ring, &p);
	inject(&e, 2, VFIOIOMMU_PUMP_MAX_GROUP, 0x100000);
	inject(&e, 3, 1, 0x1000);
	assert_int_equal(vfioiommu_fault_pump_run(p), VFIOIOMMU_PUMP_MAX_GROUP + 1);
	pf_pump_down(&e, p, ring, ctx);
}

/* ---------------------------------------------------------------- a kernel breaking its contract */

static int hostile_mode;

static ssize_t hostile_read(void *priv, int fd, void *buf, size_t n)
{
	ssize_t got = vfioiommu_mock_door((vfioiommu_mock *)priv)->read(priv, fd, buf, n);

	if (got <= 0 && hostile_mode != 3)
		return got;
	switch (hostile_mode) {
	case 1: /* a torn record */
		return got - 1;
	case 2: /* a record without a cookie */
		((struct kabi_iommu_hwpt_pgfault *)buf)[0].cookie = 0;
		return got;
	case 3:
		return -ESPIPE;
	case 4: /* cookies past the pump's table (1024 on): the pump tracks them in its list */
		for (size_t i = 0; i < (size_t)got / sizeof(struct kabi_iommu_hwpt_pgfault); i++)
			((struct kabi_iommu_hwpt_pgfault *)buf)[i].cookie += 5000;
		return got;
	case 5: /* table cookies, then cookies past it in the same read (groups from cookie 2 on) */
		for (size_t i = 0; i < (size_t)got / sizeof(struct kabi_iommu_hwpt_pgfault); i++)
			if (((struct kabi_iommu_hwpt_pgfault *)buf)[i].cookie >= 2)
				((struct kabi_iommu_hwpt_pgfault *)buf)[i].cookie += 5000;
		return got;
	case 6: /* a good group, then a record without a cookie */
		((struct kabi_iommu_hwpt_pgfault *)buf)[(size_t)got / sizeof(struct kabi_iommu_hwpt_pgfault) - 1].cookie = 0;
		return got;
	default:
		return got;
	}
}

static void test_hostile_kernel(void **state)
{
	static const char *const words[] = { NULL, "returned 79", "cookie 0", "multiple of 40" };
	static const int errs[] = { 0, -EPROTO, -EPROTO, -ESPIPE };

	for (hostile_mode = 1; hostile_mode <= 3; hostile_mode++) {
		struct pf_env e;
		vfioiommu_ctx *ctx;
		vfioiommu_ring *ring;
		vfioiommu_fault_pump *p;

		penv_up(&e);
		ctx = pf_pump_up(&e, hostile_read, 16, vfioiommu_fault_pump_new, &ring, &p);
		inject(&e, 1, 2, 0x1000);
		assert_int_equal(vfioiommu_fault_pump_run(p), errs[hostile_mode]);
		th_assert_msg(vfioiommu_strerror(ctx), "fault pump", words[hostile_mode], NULL);
		/* nothing half-converted reached the ring */
		assert_int_equal(vfioiommu_ring_ready(ring), 0);
		pf_pump_down(&e, p, ring, ctx);
	}
	hostile_mode = 0;
}

/* Cookies the table does not hold go through the list: delivered, counted, answered, forgotten. */
static void test_large_cookies(void **state)
{
	struct pf_env e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p;
	const struct vfioiommu_fault *f[3];

	hostile_mode = 4;
	penv_up(&e);
	ctx = pf_pump_up(&e, hostile_read, 16, vfioiommu_fault_pump_new, &ring, &p);
	inject(&e, 1, 2, 0x1000);
	inject(&e, 2, 1, 0x3000);
	assert_int_equal(vfioiommu_fault_pump_run(p), 3);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, f, 3), 3);
	assert_int_equal(f[0]->cookie, 5001);
	assert_int_equal(f[1]->cookie, 5001);
	assert_int_equal(f[2]->cookie, 5002);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 2);
	/* a seq outside the group is refused by the list as well */
	{
		struct vfioiommu_fault stale = *f[2];

		stale.seq = f[0]->seq;
		assert_int_equal(vfioiommu_fault_pump_respond_record(p, &stale, VFIOIOMMU_PAGE_RESP_SUCCESS), -ESTALE);
	}
	/* the mock never handed out cookie 5001: the kernel's EINVAL forgets it */
	assert_int_equal(vfioiommu_fault_pump_respond_record(p, f[1], VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "no longer knows cookie 5001", NULL);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 1);
	assert_int_equal(vfioiommu_fault_pump_respond(p, 5001, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "never delivered", NULL);
	hostile_mode = 0;
	pf_pump_down(&e, p, ring, ctx);
}

/*
 * The run's fast paths stop at the first cookie outside the table and hand
 * the rest of the read to the general one: one record alone, and a read that
 * mixes table cookies with listed ones, keep their seq numbers and cookies.
 */
static void test_mixed_cookies(void **state)
{
	struct pf_env e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p;
	const struct vfioiommu_fault *f[4];

	/* one record on a listed cookie */
	hostile_mode = 4;
	penv_up(&e);
	ctx = pf_pump_up(&e, hostile_read, 16, vfioiommu_fault_pump_new, &ring, &p);
	inject(&e, 1, 1, 0x1000);
	assert_int_equal(vfioiommu_fault_pump_run(p), 1);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, f, 4), 1);
	assert_int_equal(f[0]->cookie, 5001);
	assert_int_equal(f[0]->seq, 0);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 1);
	assert_int_equal(vfioiommu_fault_pump_respond_record(p, f[0], VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "no longer knows cookie 5001", NULL);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 0);
	pf_pump_down(&e, p, ring, ctx);

	/* a table group of two records, then two listed groups, in one read */
	hostile_mode = 5;
	penv_up(&e);
	ctx = pf_pump_up(&e, hostile_read, 16, vfioiommu_fault_pump_new, &ring, &p);
	inject(&e, 1, 2, 0x1000);
	inject(&e, 2, 1, 0x3000);
	inject(&e, 3, 1, 0x4000);
	assert_int_equal(vfioiommu_fault_pump_run(p), 4);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, f, 4), 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(f[i]->seq, i);
	assert_int_equal(f[0]->cookie, 1);
	assert_int_equal(f[1]->cookie, 1);
	assert_int_equal(f[2]->cookie, 5002);
	assert_int_equal(f[3]->cookie, 5003);
	expect(ring, f[2], 2, 5002, 2, 0x3000, true, e.devid);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 3);
	/* the table group answers by any of its records, once */
	assert_int_equal(vfioiommu_fault_pump_respond_record(p, f[1], VFIOIOMMU_PAGE_RESP_SUCCESS), 0);
	assert_int_equal(vfioiommu_fault_pump_respond_record(p, f[0], VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "cookie 1 was already answered", NULL);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 2);
	/* a listed group's record with the seq of another group is refused */
	{
		struct vfioiommu_fault stale = *f[3];

		stale.seq = f[2]->seq;
		assert_int_equal(vfioiommu_fault_pump_respond_record(p, &stale, VFIOIOMMU_PAGE_RESP_SUCCESS), -ESTALE);
	}
	pf_pump_down(&e, p, ring, ctx);

	/* a good group, then cookie 0: an error, and nothing of the read reaches the ring */
	hostile_mode = 6;
	penv_up(&e);
	ctx = pf_pump_up(&e, hostile_read, 16, vfioiommu_fault_pump_new, &ring, &p);
	inject(&e, 1, 1, 0x1000);
	inject(&e, 2, 1, 0x2000);
	assert_int_equal(vfioiommu_fault_pump_run(p), -EPROTO);
	th_assert_msg(vfioiommu_strerror(ctx), "record 1 of a read", "cookie 0", NULL);
	assert_int_equal(vfioiommu_ring_ready(ring), 0);
	hostile_mode = 0;
	pf_pump_down(&e, p, ring, ctx);
}

/* ---------------------------------------------------------------- threads */

/*
 * The documented threading: one thread runs the pump (and the device keeps
 * faulting), the consumer hands every record to two responders that both
 * answer it.  Each record's group must be answered exactly once (the other
 * answer refused: already answered, or stale once the kernel reused the
 * cookie), and every group must reach the kernel: nothing is left.
 */
#define THR_GROUPS 400u

struct thr {
	struct pf_env *e;
	vfioiommu_fault_pump *p;
	vfioiommu_ring *ring;
	struct vfioiommu_fault rec[THR_GROUPS];
	atomic_uint handed;           /* records copied into rec[] */
	atomic_uint ok[THR_GROUPS];   /* successful answers per record */
	atomic_uint bad;              /* answers refused with an unexpected error */
	atomic_uint done;             /* successful answers */
	atomic_bool stop;
};

static void *thr_pump(void *arg)
{
	struct thr *t = arg;
	unsigned int injected = 0;

	while (!atomic_load(&t->stop)) {
		int rc;

		/* at most 32 groups unanswered: the page-request group indexes (8 bits) of those stay distinct */
		if (injected < THR_GROUPS && injected < atomic_load(&t->done) + 32) {
			inject(t->e, injected & 0xff, 1, 0x1000 + 0x1000ull * injected);
			injected++;
		}
		rc = vfioiommu_fault_pump_run(t->p);
		if (rc < 0)
			atomic_fetch_add(&t->bad, 1);
		if (rc == 0)
			sched_yield();
		if (injected == THR_GROUPS && atomic_load(&t->handed) == THR_GROUPS)
			break;
	}
	return NULL;
}

static void *thr_answer(void *arg)
{
	struct thr *t = arg;

	for (unsigned int i = 0; i < THR_GROUPS; i++) {
		int rc;

		/* stop is set after the last record was handed: check handed again once it is seen */
		while (atomic_load(&t->handed) <= i) {
			if (atomic_load(&t->stop) && atomic_load(&t->handed) <= i)
				return NULL;
			sched_yield(); /* two cores may carry all four threads */
		}
		rc = vfioiommu_fault_pump_respond_record(t->p, &t->rec[i], VFIOIOMMU_PAGE_RESP_SUCCESS);
		if (rc == 0) {
			atomic_fetch_add(&t->ok[i], 1);
			atomic_fetch_add(&t->done, 1);
		}
		else if (rc != -EINVAL && rc != -ESTALE)
			atomic_fetch_add(&t->bad, 1);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct pf_env e;
	vfioiommu_ctx *ctx;
	static struct thr t;
	pthread_t pt, a1, a2;
	unsigned int spins = 0;

	memset(&t, 0, sizeof(t));
	penv_up(&e);
	ctx = pf_pump_up(&e, NULL, 8, vfioiommu_fault_pump_new, &t.ring, &t.p);
	t.e = &e;
	assert_int_equal(pthread_create(&pt, NULL, thr_pump, &t), 0);
	assert_int_equal(pthread_create(&a1, NULL, thr_answer, &t), 0);
	assert_int_equal(pthread_create(&a2, NULL, thr_answer, &t), 0);
	/* a bound on idle polls, not on time: each one yields */
	while (atomic_load(&t.handed) < THR_GROUPS && spins < 20000000u) {
		const struct vfioiommu_fault *f;

		if (vfioiommu_ring_peek(t.ring, &f) != 0) {
			spins++;
			sched_yield();
			continue;
		}
		t.rec[atomic_load(&t.handed)] = *f;
		atomic_fetch_add(&t.handed, 1);
		assert_int_equal(vfioiommu_ring_advance(t.ring, 1), 0);
	}
	atomic_store(&t.stop, true);
	pthread_join(pt, NULL);
	pthread_join(a1, NULL);
	pthread_join(a2, NULL);
	assert_int_equal(atomic_load(&t.handed), THR_GROUPS);
	assert_int_equal(atomic_load(&t.bad), 0);
	for (unsigned int i = 0; i < THR_GROUPS; i++)
		assert_int_equal(atomic_load(&t.ok[i]), 1);
	assert_int_equal(vfioiommu_fault_pump_outstanding(t.p), 0);
	/* the kernel has nothing left to deliver or to be answered */
	assert_int_equal(vfioiommu_fault_pump_run(t.p), 0);
	pf_pump_down(&e, t.p, t.ring, ctx);
}

/* ---------------------------------------------------------------- fail-Nth */

/* two groups, three pages */
static void sweep_inject(struct pf_env *e)
{
	inject(e, 1, 2, 0x1000);
	inject(e, 2, 1, 0x2000);
}

static int sweep_answer(vfioiommu_fault_pump *p)
{
	int rc = vfioiommu_fault_pump_respond(p, 1, VFIOIOMMU_PAGE_RESP_SUCCESS);

	if (rc >= 0)
		rc = vfioiommu_fault_pump_respond(p, 2, VFIOIOMMU_PAGE_RESP_INVALID);
	return rc;
}

static void test_sweep(void **state)
{
	static const struct pf_sweep s = { .up = penv_up, .inject = sweep_inject,
					   .pump_new = vfioiommu_fault_pump_new, .answer = sweep_answer,
					   .records = 3 };

	assert_true(pf_sweep(&s, 100) >= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_flow),
		cmocka_unit_test(test_cookie_reused_after_kernel_answer),
		cmocka_unit_test(test_oversize_group),
		cmocka_unit_test(test_hostile_kernel),
		cmocka_unit_test(test_large_cookies),
		cmocka_unit_test(test_mixed_cookies),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
