/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * vfioiommu_ring_attach_region(): the region is found by its TYPE capability
 * only (the IGD model has typed regions, none of them a fault region), the
 * -ENOENT message names the types seen, a typed region that cannot be mapped
 * is refused clearly, and the look-up survives the fail-Nth sweep.
 *
 * Then records flow from the mock kernel's producer (a device with a fault
 * region, vfioiommu_mock_device_push_fault) to the library's consumer, across
 * many wraps of the 1023-slot ring, single-threaded and from a producer
 * thread; bad regions and headers are refused at attach; a broken producer
 * (vfioiommu_mock_device_poke_fault) puts the ring in its error state without
 * a read outside the mapping; destroying the ring releases the mapping.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"

#define IGD "0000:00:02.0"
/* a vendor-specific type of an out-of-tree driver: what a caller would pass */
#define FR_TYPE 0x80001234u
#define FR_SUBTYPE 1u

static const char host[] =
	"group 12\n"
	"  device " IGD " vfio-pci model=igd\n";

#define FDEV "0000:06:00.0"
#define FIGD "0000:07:00.0"
#define SMALL "0000:08:00.0"
#define RING_RECS 1023u

static const char fhost[] =
	"group 15\n"
	"  device " FDEV " vfio-pci faultregion=0x80001234:1\n"
	"group 16\n"
	"  device " FIGD " vfio-pci model=igd faultregion=0x80001234:1\n"
	"group 17\n"
	"  device " SMALL " vfio-pci faultregion=0x80001234:1:4096\n";

static void test_args_and_lookup(void **state)
{
	vfioiommu_mock *m = th_mock(host);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_IOMMUFD);
	vfioiommu_device *dev;
	vfioiommu_ring *r = (void *)1;

	(void)state;
	assert_int_equal(vfioiommu_device_open(ctx, IGD, &dev), 0);
	assert_int_equal(vfioiommu_ring_attach_region(NULL, FR_TYPE, FR_SUBTYPE, &r), -EINVAL);
	assert_null(r);
	assert_int_equal(vfioiommu_ring_attach_region(dev, FR_TYPE, FR_SUBTYPE, NULL), -EINVAL);
	/* no such type: the message lists the IGD's three typed regions */
	assert_int_equal(vfioiommu_ring_attach_region(dev, FR_TYPE, FR_SUBTYPE, &r), -ENOENT);
	assert_null(r);
	th_assert_msg(vfioiommu_strerror(ctx), "0x80001234", "0x80008086:1@9", "0x80008086:2@10",
		      "0x80008086:3@11", NULL);
	/* type 2 is CCW upstream, never a fault region: nothing is assumed about it */
	assert_int_equal(vfioiommu_ring_attach_region(dev, 2, 1, &r), -ENOENT);
	/* a typed region that is not mmappable (the OpRegion, read-only, 8 KiB) */
	assert_int_equal(vfioiommu_ring_attach_region(dev, 0x80008086u, 1, &r), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "region 9", "cannot be mmapped", NULL);
	assert_null(r);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static vfioiommu_mock *sweep_setup(void *arg)
{
	(void)arg;
	return th_mock(host);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	vfioiommu_ring *r = NULL;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD,
					.door = vfioiommu_mock_door(m) };
	int rc;

	(void)arg;
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, IGD, &dev);
	if (rc == 0) {
		rc = vfioiommu_ring_attach_region(dev, FR_TYPE, FR_SUBTYPE, &r);
		assert_null(r);
		assert_true(rc < 0);
		if (rc == -ENOENT && strstr(vfioiommu_strerror(ctx), "0x80008086:3@11"))
			rc = 0; /* the expected answer, every region seen */
	}
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void test_sweep(void **state)
{
	(void)state;
	assert_true(th_sweep(sweep_setup, sweep_body, NULL, 200) >= 4);
}

/* ---------------- records through a mock fault region ---------------- */

struct fenv {
	vfioiommu_mock *m;
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
	vfioiommu_ring *r;
};

static void fenv_open(struct fenv *e, enum vfioiommu_mode mode, const char *bdf)
{
	e->m = th_mock(fhost);
	e->ctx = th_ctx(e->m, mode);
	e->r = NULL;
	assert_int_equal(vfioiommu_device_open(e->ctx, bdf, &e->dev), 0);
}

static void fenv_close(struct fenv *e)
{
	vfioiommu_ring_destroy(e->r);
	assert_int_equal(vfioiommu_mock_live_mmaps(e->m), 0);
	vfioiommu_ctx_destroy(e->ctx);
	th_mock_done(e->m);
}

static struct vfioiommu_fault rec_n(uint32_t n)
{
	return (struct vfioiommu_fault){ .kind = VFIOIOMMU_FAULT_PAGE_REQ, .flags = VFIOIOMMU_FAULT_F_PASID_VALID,
					 .pasid = n % 1000, .grpid = n % 512, .perm = VFIOIOMMU_FAULT_PERM_READ,
					 .addr = 0x1000ull * n, .cookie = n + 1, .seq = n };
}

static void check_rec(const struct vfioiommu_fault *f, uint32_t n)
{
	struct vfioiommu_fault want = rec_n(n);

	if (memcmp(f, &want, sizeof(want)))
		fail_msg("record %u: got seq %u cookie %u addr 0x%llx", n, f->seq, f->cookie,
			 (unsigned long long)f->addr);
}

static int push(struct fenv *e, const char *bdf, uint32_t n)
{
	struct vfioiommu_fault f = rec_n(n);

	return vfioiommu_mock_device_push_fault(e->m, bdf, &f);
}

/* The kernel fills the ring, the consumer drains it with peek / peek_batch / FOR_EACH / copy, many times round. */
static void flow_one(enum vfioiommu_mode mode, const char *bdf)
{
	const struct vfioiommu_fault *recs[64], *rec;
	struct vfioiommu_fault copies[32];
	struct vfioiommu_ring_stats st = { .size = sizeof(st) };
	uint32_t sent = 0, got = 0, round = 0;
	const uint32_t total = RING_RECS * 5 + 77;
	unsigned int n;
	struct fenv e;

	fenv_open(&e, mode, bdf);
	assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 1, &e.r), 0);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 1);
	assert_int_equal(vfioiommu_ring_capacity(e.r), RING_RECS);
	assert_int_equal(vfioiommu_ring_map_size(e.r), 0x10000);
	th_assert_msg(vfioiommu_ring_layout(e.r), "compat", NULL);
	assert_int_equal(vfioiommu_ring_peek(e.r, &rec), -EAGAIN);
	while (got < total) {
		int rc;

		/* the producer runs until the ring is full (or everything is sent) */
		while (sent < total && (rc = push(&e, bdf, sent)) == 0)
			sent++;
		if (sent < total)
			assert_int_equal(rc, -ENOSPC);
		if (round == 0)
			assert_int_equal(sent, RING_RECS); /* a full ring holds exactly size records */
		assert_int_equal(vfioiommu_ring_ready(e.r), (int)(sent - got));
		/* the consumer takes part of it, a different way each round */
		switch (round++ % 4) {
		case 0:
			assert_int_equal(vfioiommu_ring_peek(e.r, &rec), 0);
			check_rec(rec, got);
			assert_int_equal(vfioiommu_ring_advance(e.r, 1), 0);
			got++;
			break;
		case 1:
			while (got < sent) {
				int k = vfioiommu_ring_peek_batch(e.r, recs, 64);
				assert_true(k > 0);
				for (int i = 0; i < k; i++)
					check_rec(recs[i], got + (uint32_t)i);
				assert_int_equal(vfioiommu_ring_advance(e.r, (unsigned int)k), 0);
				got += (uint32_t)k;
			}
			break;
		case 2:
			/* stop after 500: a break skips the loop's n++ */
			VFIOIOMMU_RING_FOR_EACH(e.r, rec, n) {
				check_rec(rec, got + n);
				if (n == 499) {
					n++;
					break;
				}
			}
			assert_int_equal(vfioiommu_ring_error(e.r), 0);
			assert_int_equal(vfioiommu_ring_advance(e.r, n), 0);
			got += n;
			break;
		default: {
			int k = vfioiommu_ring_copy(e.r, copies, 32);
			assert_int_equal(k, sent - got < 32 ? (int)(sent - got) : 32);
			for (int i = 0; i < k; i++)
				check_rec(&copies[i], got + (uint32_t)i);
			got += (uint32_t)k;
			break;
		}
		}
	}
	assert_int_equal(sent, total);
	assert_int_equal(vfioiommu_ring_peek(e.r, &rec), -EAGAIN);
	assert_int_equal(vfioiommu_ring_error(e.r), 0);
	assert_int_equal(vfioiommu_ring_stats(e.r, &st), 0);
	assert_int_equal(st.consumed, total);
	assert_int_equal(st.lost, 0);
	/* destroying the ring releases the mapping while the device stays open */
	vfioiommu_ring_destroy(e.r);
	e.r = NULL;
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	/* a second consumer attaches where the first stopped */
	assert_int_equal(push(&e, bdf, total), 0);
	assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 1, &e.r), 0);
	assert_int_equal(vfioiommu_ring_peek(e.r, &rec), 0);
	check_rec(rec, total);
	assert_int_equal(vfioiommu_ring_advance(e.r, 1), 0);
	fenv_close(&e);
}

static void test_flow(void **state)
{
	(void)state;
	flow_one(VFIOIOMMU_MODE_IOMMUFD, FDEV);
	flow_one(VFIOIOMMU_MODE_CONTAINER, FDEV);
	flow_one(VFIOIOMMU_MODE_IOMMUFD, FIGD); /* region 12, after the igd's own typed regions */
}

/* Producer thread (the mock kernel) and consumer thread: each record once, in order. */
struct xfer {
	struct fenv *e;
	uint32_t total;
	unsigned long full;
	int err;
};

static void *producer(void *arg)
{
	struct xfer *x = arg;

	for (uint32_t i = 0; i < x->total;) {
		int rc = push(x->e, FDEV, i);
		if (rc == 0) {
			i++;
		} else if (rc == -ENOSPC) {
			x->full++;
			sched_yield();
		} else {
			x->err = rc;
			break;
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	const struct vfioiommu_fault *recs[128];
	struct xfer x = { .total = 200000 };
	uint32_t got = 0;
	pthread_t t;
	struct fenv e;

	(void)state;
	fenv_open(&e, VFIOIOMMU_MODE_IOMMUFD, FDEV);
	x.e = &e;
	assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 1, &e.r), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &x), 0);
	while (got < x.total) {
		int k = vfioiommu_ring_peek_batch(e.r, recs, 128);
		assert_true(k >= 0);
		if (k == 0) {
			sched_yield();
			continue;
		}
		for (int i = 0; i < k; i++) {
			if (recs[i]->seq != got + (uint32_t)i || recs[i]->cookie != got + (uint32_t)i + 1)
				fail_msg("record %u arrived as seq %u", got + (uint32_t)i, recs[i]->seq);
		}
		assert_int_equal(vfioiommu_ring_advance(e.r, (unsigned int)k), 0);
		got += (uint32_t)k;
	}
	pthread_join(t, NULL);
	assert_int_equal(x.err, 0);
	assert_int_equal(vfioiommu_ring_ready(e.r), 0);
	assert_int_equal(vfioiommu_ring_error(e.r), 0);
	fenv_close(&e);
}

/* ---------------- refusals at attach ---------------- */

static void test_refusals(void **state)
{
	vfioiommu_ring *r = (void *)1;
	struct fenv e;

	(void)state;
	/* a 4 KiB region: the layout is 64 KiB */
	fenv_open(&e, VFIOIOMMU_MODE_IOMMUFD, SMALL);
	assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 1, &r), -EPROTO);
	assert_null(r);
	th_assert_msg(vfioiommu_strerror(e.ctx), "region 9", SMALL, "4096 bytes", "64 KiB", NULL);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	/* the right type, the wrong subtype: the message names what is there */
	assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 2, &r), -ENOENT);
	th_assert_msg(vfioiommu_strerror(e.ctx), "0x80001234:1@9", NULL);
	fenv_close(&e);

	fenv_open(&e, VFIOIOMMU_MODE_IOMMUFD, FDEV);
	/* a size field larger than the mapping */
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_SIZE, 1024), 0);
	assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 1, &r), -EPROTO);
	assert_null(r);
	th_assert_msg(vfioiommu_strerror(e.ctx), "fault region", "region 9", "size 1024", "65536", NULL);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_SIZE, UINT32_MAX), 0);
	assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 1, &r), -EPROTO);
	/* a zero size */
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_SIZE, 0), 0);
	assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 1, &r), -EPROTO);
	th_assert_msg(vfioiommu_strerror(e.ctx), "size is 0", NULL);
	/* prod more than a ring ahead of cons */
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_SIZE, RING_RECS), 0);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_PROD, RING_RECS + 1), 0);
	assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 1, &r), -EPROTO);
	th_assert_msg(vfioiommu_strerror(e.ctx), "prod 1024", "ahead", NULL);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	/* a smaller size that fits is accepted: the consumer works within it (and the kernel's own does not matter to it) */
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_PROD, 0), 0);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_SIZE, 8), 0);
	assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 1, &e.r), 0);
	assert_int_equal(vfioiommu_ring_capacity(e.r), 8);
	fenv_close(&e);
}

/* ---------------- a broken producer after attach ---------------- */

static void attach_with(struct fenv *e, uint32_t nrecs)
{
	fenv_open(e, VFIOIOMMU_MODE_IOMMUFD, FDEV);
	assert_int_equal(vfioiommu_ring_attach_region(e->dev, 0x80001234u, 1, &e->r), 0);
	for (uint32_t i = 0; i < nrecs; i++)
		assert_int_equal(push(e, FDEV, i), 0);
}

static void expect_error(struct fenv *e, const char *word)
{
	const struct vfioiommu_fault *rec, *recs[4];
	struct vfioiommu_fault c;

	assert_int_equal(vfioiommu_ring_ready(e->r), -EPROTO);
	assert_int_equal(vfioiommu_ring_error(e->r), -EPROTO);
	th_assert_msg(vfioiommu_ring_strerror(e->r), word, NULL);
	/* the error stays, whatever the producer does next */
	assert_int_equal(push(e, FDEV, 9999), 0);
	assert_int_equal(vfioiommu_ring_peek(e->r, &rec), -EPROTO);
	assert_int_equal(vfioiommu_ring_peek_batch(e->r, recs, 4), -EPROTO);
	assert_int_equal(vfioiommu_ring_at(e->r, 0, &rec), -EPROTO);
	assert_int_equal(vfioiommu_ring_copy(e->r, &c, 1), -EPROTO);
	assert_int_equal(vfioiommu_ring_advance(e->r, 0), -EPROTO);
	fenv_close(e);
}

static void test_hostile(void **state)
{
	const struct vfioiommu_fault *rec;
	struct fenv e;

	(void)state;
	/* prod moves backwards */
	attach_with(&e, 5);
	assert_int_equal(vfioiommu_ring_ready(e.r), 5);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_PROD, 3), 0);
	expect_error(&e, "backwards");

	/* ... also after everything seen was consumed */
	attach_with(&e, 5);
	assert_int_equal(vfioiommu_ring_ready(e.r), 5);
	assert_int_equal(vfioiommu_ring_advance(e.r, 5), 0);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_PROD, 4), 0);
	expect_error(&e, "backwards");

	/* prod more than a ring ahead of cons (every index stays within the mapping) */
	attach_with(&e, 2);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_PROD, RING_RECS + 1), 0);
	expect_error(&e, "ahead");
	attach_with(&e, 0);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_PROD, UINT32_MAX / 2), 0);
	expect_error(&e, "ahead");

	/*
	 * The size word changed after attach: no producer rewrites it, so the
	 * ring fails at its next look at prod, before reading a record by the
	 * new size (which would run past the 64 KiB).
	 */
	attach_with(&e, 3);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_SIZE, 60000), 0);
	assert_int_equal(vfioiommu_ring_capacity(e.r), RING_RECS);
	expect_error(&e, "size changed from 1023 to 60000");
	/* records the consumer had already seen stay readable until it looks at prod again */
	attach_with(&e, 3);
	assert_int_equal(vfioiommu_ring_peek(e.r, &rec), 0);
	check_rec(rec, 0);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_SIZE, 7), 0);
	assert_int_equal(vfioiommu_ring_advance(e.r, 1), 0);
	assert_int_equal(vfioiommu_ring_peek(e.r, &rec), 0);
	check_rec(rec, 1);
	assert_int_equal(vfioiommu_ring_advance(e.r, 2), 0);
	expect_error(&e, "size changed");

	/* a kernel whose consumer-side word was trampled: the mock refuses to produce, the ring sees nothing new */
	attach_with(&e, 2);
	assert_int_equal(vfioiommu_mock_device_poke_fault(e.m, FDEV, VFIOIOMMU_MOCK_FAULT_CONS, 5), 0);
	assert_int_equal(push(&e, FDEV, 2), -EPROTO);
	assert_int_equal(vfioiommu_ring_ready(e.r), 2);
	fenv_close(&e);
}

/* The shipped Arm host describes one: the example in its comment works. */
/*
 * The device (or the whole context) closed before the ring: the close undoes
 * the mapping, so the ring must fail cleanly rather than read unmapped memory,
 * and destroying it afterwards must not touch the freed device.
 */
static void test_device_closed_first(void **state)
{
	const struct vfioiommu_fault *rec;
	struct fenv e;

	(void)state;
	attach_with(&e, 2);
	vfioiommu_device_close(e.dev);
	assert_int_equal(vfioiommu_mock_live_mmaps(e.m), 0);
	assert_int_equal(vfioiommu_ring_peek(e.r, &rec), -EPROTO);
	th_assert_msg(vfioiommu_ring_strerror(e.r), FDEV, "was closed", NULL);
	assert_int_equal(vfioiommu_ring_ready(e.r), -EPROTO);
	fenv_close(&e);

	/* the context first: it closes its devices */
	attach_with(&e, 1);
	vfioiommu_ctx_destroy(e.ctx);
	assert_int_equal(vfioiommu_ring_advance(e.r, 0), -EPROTO);
	vfioiommu_ring_destroy(e.r);
	th_mock_done(e.m);

	/* two rings on one device, one destroyed before the close: the list keeps the other */
	attach_with(&e, 1);
	{
		vfioiommu_ring *r2 = NULL;

		assert_int_equal(vfioiommu_ring_attach_region(e.dev, 0x80001234u, 1, &r2), 0);
		vfioiommu_ring_destroy(e.r);
		e.r = r2;
	}
	vfioiommu_device_close(e.dev);
	assert_int_equal(vfioiommu_ring_peek(e.r, &rec), -EPROTO);
	fenv_close(&e);
}

static void test_shipped_host(void **state)
{
	char path[512], err[256];
	const struct vfioiommu_fault *rec;
	vfioiommu_mock *m;
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
	vfioiommu_ring *r;

	(void)state;
	snprintf(path, sizeof(path), "%s/examples/hosts/arm-smmuv3.host", TH_SRCDIR);
	assert_int_equal(vfioiommu_mock_new(&m), 0);
	if (vfioiommu_mock_load_file(m, path, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	assert_int_equal(vfioiommu_device_open(ctx, "0000:01:00.0", &dev), 0);
	assert_int_equal(vfioiommu_ring_attach_region(dev, 0x800019e5u, 1, &r), 0);
	assert_int_equal(vfioiommu_ring_capacity(r), RING_RECS);
	{
		struct vfioiommu_fault f = rec_n(42);
		assert_int_equal(vfioiommu_mock_device_push_fault(m, "0000:01:00.0", &f), 0);
	}
	assert_int_equal(vfioiommu_ring_peek(r, &rec), 0);
	check_rec(rec, 42);
	vfioiommu_ring_destroy(r);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* ---------------- the fail-Nth sweep over attach and a round trip ---------------- */

static vfioiommu_mock *fsweep_setup(void *arg)
{
	(void)arg;
	return th_mock(fhost);
}

static int fsweep_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	vfioiommu_ring *r = NULL;
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = *(enum vfioiommu_mode *)arg,
					.door = vfioiommu_mock_door(m) };
	struct vfioiommu_fault f[4];
	int rc;

	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, FIGD, &dev);
	if (rc == 0) {
		for (uint32_t i = 0; i < 3; i++) {
			f[0] = rec_n(i);
			assert_int_equal(vfioiommu_mock_device_push_fault(m, FIGD, &f[0]), 0);
		}
		rc = vfioiommu_ring_attach_region(dev, 0x80001234u, 1, &r);
		if (rc < 0) {
			assert_null(r);
			assert_true(vfioiommu_strerror(ctx)[0] != '\0');
		}
	}
	if (rc == 0) {
		assert_int_equal(vfioiommu_mock_live_mmaps(m), 1);
		assert_int_equal(vfioiommu_ring_copy(r, f, 4), 3);
		for (uint32_t i = 0; i < 3; i++)
			check_rec(&f[i], i);
		vfioiommu_ring_destroy(r);
		assert_int_equal(vfioiommu_mock_live_mmaps(m), 0);
	}
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void test_fsweep(void **state)
{
	enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_IOMMUFD, VFIOIOMMU_MODE_CONTAINER };

	(void)state;
	for (unsigned int i = 0; i < 2; i++)
		assert_true(th_sweep(fsweep_setup, fsweep_body, &modes[i], 400) >= 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_and_lookup),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_flow),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_device_closed_first),
		cmocka_unit_test(test_shipped_host),
		cmocka_unit_test(test_fsweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
