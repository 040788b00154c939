/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "kabi/kabi.h"
#include "pump_fixture.h"

int pf_kio(struct pf_env *e, int fd, unsigned long req, void *arg)
{
	return e->d->ioctl(e->d->priv, fd, req, arg);
}

void pf_base(struct pf_env *e, const char *host)
{
	struct kabi_vfio_device_bind_iommufd b = { .argsz = KABI_BIND_IOMMUFD_MIN };
	struct kabi_iommu_ioas_alloc ia = { .size = sizeof(ia) };

	memset(e, 0, sizeof(*e));
	e->qfd = -1;
	e->m = th_mock(host);
	e->d = vfioiommu_mock_door(e->m);
	e->ifd = e->d->open(e->d->priv, "/dev/iommu", O_RDWR);
	assert_true(e->ifd >= 0);
	e->dfd = e->d->open(e->d->priv, "/dev/vfio/devices/vfio0", O_RDWR);
	assert_true(e->dfd >= 0);
	b.iommufd = e->ifd;
	assert_int_equal(pf_kio(e, e->dfd, KABI_VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	e->devid = b.out_devid;
	assert_int_equal(pf_kio(e, e->ifd, KABI_IOMMU_IOAS_ALLOC, &ia), 0);
	e->ioas = ia.out_ioas_id;
}

/* the reverse of the opening order: the queue, the device, then /dev/iommu */
int pf_close(struct pf_env *e)
{
	int r0 = e->qfd >= 0 ? e->d->close(e->d->priv, e->qfd) : 0;
	int r1 = e->d->close(e->d->priv, e->dfd);
	int r2 = e->d->close(e->d->priv, e->ifd);

	return r0 ? r0 : r1 ? r1 : r2;
}

void pf_down(struct pf_env *e)
{
	assert_int_equal(pf_close(e), 0);
	assert_int_equal(vfioiommu_mock_open_fds(e->m), 0);
	vfioiommu_mock_destroy(e->m);
}

vfioiommu_ctx *pf_ctx(const vfioiommu_door *d)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = d };
	vfioiommu_ctx *ctx = NULL;

	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	return ctx;
}

vfioiommu_ctx *pf_ctx_read(struct pf_env *e, ssize_t (*rd)(void *priv, int fd, void *buf, size_t n))
{
	e->hostile = *e->d;
	e->hostile.read = rd;
	return pf_ctx(&e->hostile);
}

void pf_free(vfioiommu_fault_pump *p, vfioiommu_ring *ring, vfioiommu_ctx *ctx)
{
	vfioiommu_fault_pump_destroy(p);
	vfioiommu_ring_destroy(ring);
	vfioiommu_ctx_destroy(ctx);
}

struct sweep_run {
	const struct pf_sweep *s;
	struct pf_env e;
};

static vfioiommu_mock *sweep_setup(void *arg)
{
	struct sweep_run *r = arg;

	r->s->up(&r->e);
	return r->e.m;
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	struct sweep_run *r = arg;
	const struct pf_sweep *s = r->s;
	vfioiommu_ctx *ctx = pf_ctx(r->e.d);
	vfioiommu_ring *ring = NULL;
	vfioiommu_fault_pump *p = NULL;
	int rc, rc2;

	(void)m;
	s->inject(&r->e);
	rc = vfioiommu_ring_create(ctx, 64, &ring);
	if (rc == 0)
		rc = s->pump_new(ctx, r->e.qfd, ring, &p);
	if (rc == 0) {
		rc = vfioiommu_fault_pump_run(p);
		if (rc >= 0 && rc != s->records)
			fail_msg("pump moved %d records", rc);
	}
	if (rc >= 0 && s->answer)
		rc = s->answer(p);
	if (rc < 0)
		assert_true(strlen(vfioiommu_strerror(ctx)) > 0);
	pf_free(p, ring, ctx);
	rc2 = pf_close(&r->e);
	return rc < 0 ? rc : rc2;
}

unsigned long pf_sweep(const struct pf_sweep *s, unsigned long max_n)
{
	struct sweep_run r = { .s = s };

	return th_sweep(sweep_setup, sweep_body, &r, max_n);
}
