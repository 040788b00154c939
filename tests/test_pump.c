/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The fault pump against the mock's iommufd fault fd: groups arrive whole and
 * converted, backpressure leaves faults in the kernel instead of dropping
 * them, cookies are checked (twice, unknown, reused, auto-answered by a
 * detach), hostile read sizes and oversize groups are errors with messages,
 * and the whole flow survives the fail-Nth sweep.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "door.h"
#include "kabi.h"
#include "mock/mock.h"
#include "ring.h"

static const char host[] =
	"pasid-width 20\n"
	"group 1\n  device 0000:00:01.0 vfio-pci pasid=20 iopf\n";

struct penv {
	vfioiommu_mock *m;
	const vfioiommu_door *d;
	int ifd, dfd, ffd;
	uint32_t devid, ioas, hwpt;
	struct vfioiommu_door hostile; /* the mock's door with read() wrapped */
};

static int kio(struct penv *e, int fd, unsigned long req, void *arg)
{
	return e->d->ioctl(e->d->priv, fd, req, arg);
}

/* /dev/iommu, the device bound, an IOAS, a fault queue and a HWPT using it, the device attached */
static void penv_up(struct penv *e)
{
	struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN };
	struct kabi_iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct kabi_iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct kabi_iommu_hwpt_alloc h = { .size = sizeof(h), .flags = KABI_IOMMU_HWPT_FAULT_ID_VALID };
	struct kabi_vfio_device_attach_iommufd_pt a = { .argsz = KABI_ATTACH_PT_MIN };

	memset(e, 0, sizeof(*e));
	e->m = th_mock(host);
	e->d = vfioiommu_mock_door(e->m);
	e->ifd = e->d->open(e->d->priv, "/dev/iommu", O_RDWR);
	assert_true(e->ifd >= 0);
	e->dfd = e->d->open(e->d->priv, "/dev/vfio/devices/vfio0", O_RDWR);
	assert_true(e->dfd >= 0);
	b.iommufd = e->ifd;
	assert_int_equal(kio(e, e->dfd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	e->devid = b.out_devid;
	assert_int_equal(kio(e, e->ifd, KABI_IOMMU_IOAS_ALLOC, &ia), 0);
	e->ioas = ia.out_ioas_id;
	assert_int_equal(kio(e, e->ifd, KABI_IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	e->ffd = (int)fa.out_fault_fd;
	h.dev_id = e->devid;
	h.pt_id = e->ioas;
	h.fault_id = fa.out_fault_id;
	assert_int_equal(kio(e, e->ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
	e->hwpt = h.out_hwpt_id;
	a.pt_id = e->hwpt;
	assert_int_equal(kio(e, e->dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
}

/* close what penv_up opened; returns the first close error (the fd is gone either way) */
static int penv_close(struct penv *e)
{
	int r1 = e->d->close(e->d->priv, e->dfd);
	int r2 = e->d->close(e->d->priv, e->ffd);
	int r3 = e->d->close(e->d->priv, e->ifd);

	return r1 ? r1 : r2 ? r2 : r3;
}

static void penv_down(struct penv *e)
{
	assert_int_equal(penv_close(e), 0);
	assert_int_equal(vfioiommu_mock_open_fds(e->m), 0);
	vfioiommu_mock_destroy(e->m);
}

/* the device reports one page-request group of n pages */
static void inject(struct penv *e, uint32_t grpid, size_t n, uint64_t addr)
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

static vfioiommu_ctx *ctx_on(const vfioiommu_door *d)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = d };
	vfioiommu_ctx *ctx = NULL;

	assert_int_equal(vfioiommu_ctx_new(&ctx, &o), 0);
	return ctx;
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
	struct penv e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p = (void *)1;

	penv_up(&e);
	ctx = ctx_on(e.d);
	assert_int_equal(vfioiommu_ring_create(ctx, 8, &ring), 0);
	assert_int_equal(vfioiommu_fault_pump_new(NULL, e.ffd, ring, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(vfioiommu_fault_pump_new(ctx, -1, ring, &p), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "fault pump", "negative", NULL);
	assert_int_equal(vfioiommu_fault_pump_new(ctx, e.ffd, NULL, &p), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_new(ctx, e.ffd, ring, NULL), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_run(NULL), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_respond(NULL, 1, 0), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_outstanding(NULL), 0);
	vfioiommu_fault_pump_destroy(NULL);
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	penv_down(&e);
}

static void test_flow(void **state)
{
	struct penv e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p;
	const struct vfioiommu_fault *v[8];
	struct vfioiommu_ring_stats st;

	penv_up(&e);
	ctx = ctx_on(e.d);
	assert_int_equal(vfioiommu_ring_create(ctx, 8, &ring), 0);
	assert_int_equal(vfioiommu_fault_pump_new(ctx, e.ffd, ring, &p), 0);
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
		assert_int_equal(kio(&e, e.dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	}
	assert_int_equal(vfioiommu_fault_pump_respond(p, 2, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "cookie 2", "no longer knows", NULL);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 1);
	assert_int_equal(vfioiommu_fault_pump_respond(p, 2, VFIOIOMMU_PAGE_RESP_SUCCESS), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "never delivered", NULL);

	vfioiommu_fault_pump_destroy(p);
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	penv_down(&e);
}

/*
 * Seen on Linux 7.2 (tests/vm/vm_fault.c): after a detach the kernel answers
 * the outstanding group itself and hands its cookie to the next group.  A late
 * answer by record must not complete the newer group.
 */
static void test_cookie_reused_after_kernel_answer(void **state)
{
	struct penv e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p;
	const struct vfioiommu_fault *v[4];
	struct vfioiommu_fault old, cur;
	struct kabi_vfio_device_attach_iommufd_pt a = { .argsz = KABI_ATTACH_PT_MIN };

	penv_up(&e);
	ctx = ctx_on(e.d);
	assert_int_equal(vfioiommu_ring_create(ctx, 8, &ring), 0);
	assert_int_equal(vfioiommu_fault_pump_new(ctx, e.ffd, ring, &p), 0);
	inject(&e, 0x11, 1, 0x100000);
	assert_int_equal(vfioiommu_fault_pump_run(p), 1);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, v, 4), 1);
	old = *v[0];
	assert_int_equal(vfioiommu_ring_advance(ring, 1), 0);
	/* away from the fault HWPT and back: the kernel answered cookie old.cookie for us */
	a.pt_id = e.ioas;
	assert_int_equal(kio(&e, e.dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	a.pt_id = e.hwpt;
	assert_int_equal(kio(&e, e.dfd, KABI_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
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
	vfioiommu_fault_pump_destroy(p);
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	penv_down(&e);
}

static void test_oversize_group(void **state)
{
	struct penv e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p;

	penv_up(&e);
	ctx = ctx_on(e.d);
	assert_int_equal(vfioiommu_ring_create(ctx, 1024, &ring), 0);
	assert_int_equal(vfioiommu_fault_pump_new(ctx, e.ffd, ring, &p), 0);
	inject(&e, 1, 2, 0x1000);
	inject(&e, 2, VFIOIOMMU_PUMP_MAX_GROUP + 1, 0x100000);
	assert_int_equal(vfioiommu_fault_pump_run(p), -EMSGSIZE);
	th_assert_msg(vfioiommu_strerror(ctx), "more than 256", NULL);
	/* the group before it did arrive */
	assert_int_equal(vfioiommu_ring_ready(ring), 2);
	/* a group of exactly the maximum is fine */
	vfioiommu_fault_pump_destroy(p);
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	penv_down(&e);

	penv_up(&e);
	ctx = ctx_on(e.d);
	assert_int_equal(vfioiommu_ring_create(ctx, 1024, &ring), 0);
	assert_int_equal(vfioiommu_fault_pump_new(ctx, e.ffd, ring, &p), 0);
	inject(&e, 2, VFIOIOMMU_PUMP_MAX_GROUP, 0x100000);
	inject(&e, 3, 1, 0x1000);
	assert_int_equal(vfioiommu_fault_pump_run(p), VFIOIOMMU_PUMP_MAX_GROUP + 1);
	vfioiommu_fault_pump_destroy(p);
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	penv_down(&e);
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
	default:
		return got;
	}
}

static void test_hostile_kernel(void **state)
{
	static const char *const words[] = { NULL, "returned 79", "cookie 0", "multiple of 40" };
	static const int errs[] = { 0, -EPROTO, -EPROTO, -ESPIPE };

	for (hostile_mode = 1; hostile_mode <= 3; hostile_mode++) {
		struct penv e;
		vfioiommu_ctx *ctx;
		vfioiommu_ring *ring;
		vfioiommu_fault_pump *p;

		penv_up(&e);
		e.hostile = *e.d;
		e.hostile.read = hostile_read;
		ctx = ctx_on(&e.hostile);
		assert_int_equal(vfioiommu_ring_create(ctx, 16, &ring), 0);
		assert_int_equal(vfioiommu_fault_pump_new(ctx, e.ffd, ring, &p), 0);
		inject(&e, 1, 2, 0x1000);
		assert_int_equal(vfioiommu_fault_pump_run(p), errs[hostile_mode]);
		th_assert_msg(vfioiommu_strerror(ctx), "fault pump", words[hostile_mode], NULL);
		/* nothing half-converted reached the ring */
		assert_int_equal(vfioiommu_ring_ready(ring), 0);
		vfioiommu_fault_pump_destroy(p);
		vfioiommu_ring_destroy(ring);
		vfioiommu_ctx_destroy(ctx);
		penv_down(&e);
	}
	hostile_mode = 0;
}

/* ---------------------------------------------------------------- fail-Nth */

static struct penv sweep_env;

static vfioiommu_mock *sweep_setup(void *arg)
{
	penv_up(&sweep_env);
	return sweep_env.m;
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct penv *e = &sweep_env;
	vfioiommu_ctx *ctx = ctx_on(e->d);
	vfioiommu_ring *ring = NULL;
	vfioiommu_fault_pump *p = NULL;
	int rc, rc2;

	inject(e, 1, 2, 0x1000);
	inject(e, 2, 1, 0x2000);
	rc = vfioiommu_ring_create(ctx, 64, &ring);
	if (rc == 0)
		rc = vfioiommu_fault_pump_new(ctx, e->ffd, ring, &p);
	if (rc == 0) {
		rc = vfioiommu_fault_pump_run(p);
		if (rc >= 0 && rc != 3)
			fail_msg("pump moved %d records", rc);
	}
	if (rc >= 0)
		rc = vfioiommu_fault_pump_respond(p, 1, VFIOIOMMU_PAGE_RESP_SUCCESS);
	if (rc >= 0)
		rc = vfioiommu_fault_pump_respond(p, 2, VFIOIOMMU_PAGE_RESP_INVALID);
	if (rc < 0)
		assert_true(strlen(vfioiommu_strerror(ctx)) > 0);
	vfioiommu_fault_pump_destroy(p);
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
	rc2 = penv_close(e);
	return rc < 0 ? rc : rc2;
}

static void test_sweep(void **state)
{
	assert_true(th_sweep(sweep_setup, sweep_body, NULL, 100) >= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_flow),
		cmocka_unit_test(test_cookie_reused_after_kernel_answer),
		cmocka_unit_test(test_oversize_group),
		cmocka_unit_test(test_hostile_kernel),
		cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
