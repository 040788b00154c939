/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The vEVENTQ pump against the mock's vIOMMU: the mock's allocation rules,
 * events arriving with their sequence and data, the kernel's LOST_EVENTS
 * header after an overflow, backpressure leaving events in the kernel, gaps
 * and the INT_MAX wrap in scripted streams, hostile streams (cut events,
 * unknown flags, impossible sequences) and the fail-Nth sweep.
 */
#include <errno.h>
#include <limits.h>
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
#include "kabi/kabi.h"
#include "mock/mock.h"
#include "pump_fixture.h"
#include "fault/ring.h"

#define BDF "0000:00:01.0"

static const char host_smmu[] =
	"iommu smmuv3\n"
	"group 1\n  device " BDF " vfio-pci\n";
static const char host_intel[] =
	"group 1\n  device " BDF " vfio-pci\n";

/* pf_base, then a nesting-parent HWPT (refused on VT-d); no vIOMMU yet */
static void venv_base(struct pf_env *e, const char *host)
{
	struct kabi_iommu_hwpt_alloc h = { .size = sizeof(h), .flags = KABI_IOMMU_HWPT_ALLOC_NEST_PARENT };

	pf_base(e, host);
	h.dev_id = e->devid;
	h.pt_id = e->ioas;
	if (host == host_smmu) {
		assert_int_equal(pf_kio(e, e->ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
		e->hwpt = h.out_hwpt_id;
	} else {
		assert_int_equal(pf_kio(e, e->ifd, KABI_IOMMU_HWPT_ALLOC, &h), -EOPNOTSUPP);
	}
}

static int viommu_alloc(struct pf_env *e, uint32_t type, uint32_t hwpt)
{
	struct kabi_iommu_viommu_alloc v = { .size = sizeof(v), .type = type, .dev_id = e->devid, .hwpt_id = hwpt };
	int rc = pf_kio(e, e->ifd, KABI_IOMMU_VIOMMU_ALLOC, &v);

	if (rc == 0)
		e->viommu = v.out_viommu_id;
	return rc;
}

static int veventq_alloc(struct pf_env *e, uint32_t type, uint32_t depth, int *fd, uint32_t *id)
{
	struct kabi_iommu_veventq_alloc q = { .size = sizeof(q), .viommu_id = e->viommu, .type = type,
					      .veventq_depth = depth };
	int rc = pf_kio(e, e->ifd, KABI_IOMMU_VEVENTQ_ALLOC, &q);

	if (rc == 0) {
		*fd = (int)q.out_veventq_fd;
		*id = q.out_veventq_id;
	}
	return rc;
}

static void venv_up(struct pf_env *e, uint32_t depth)
{
	venv_base(e, host_smmu);
	assert_int_equal(viommu_alloc(e, KABI_IOMMU_VIOMMU_TYPE_ARM_SMMUV3, e->hwpt), 0);
	assert_int_equal(veventq_alloc(e, KABI_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, depth, &e->qfd, &e->vq), 0);
}

/* a 32-byte SMMUv3 event whose bytes say which one it is */
static void evt(unsigned char tag, unsigned char out[32])
{
	for (int i = 0; i < 32; i++)
		out[i] = (unsigned char)(tag + i);
}

static void inject(struct pf_env *e, unsigned char tag)
{
	unsigned char b[32];

	evt(tag, b);
	assert_int_equal(vfioiommu_mock_inject_vevent(e->m, BDF, b, sizeof(b)), 0);
}

static void expect_ev(const struct vfioiommu_fault *f, uint32_t seq, unsigned char tag, uint32_t missing)
{
	const struct vfioiommu_vevent *v = vfioiommu_fault_vevent(f);
	unsigned char b[32];

	assert_non_null(v);
	assert_int_equal(v->seq, seq);
	assert_int_equal(f->seq, seq);
	assert_int_equal(v->data_len, 32);
	assert_int_equal(v->type, VFIOIOMMU_VEVENTQ_ARM_SMMUV3);
	assert_int_equal(v->missing, missing);
	evt(tag, b);
	assert_memory_equal(v->data, b, 32);
}

/* ---------------------------------------------------------------- the mock's kernel rules */

static void test_mock_rules(void **state)
{
	struct pf_env e;
	int fd;
	uint32_t id;
	struct kabi_iommu_destroy ds = { .size = sizeof(ds) };

	venv_base(&e, host_intel);
	/* no nesting on VT-d here, and no vIOMMU either */
	assert_int_equal(viommu_alloc(&e, KABI_IOMMU_VIOMMU_TYPE_ARM_SMMUV3, e.ioas), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_mock_inject_vevent(e.m, BDF, "x", 1), -ENOENT);
	pf_down(&e);

	venv_base(&e, host_smmu);
	assert_int_equal(viommu_alloc(&e, KABI_IOMMU_VIOMMU_TYPE_DEFAULT, e.hwpt), -EOPNOTSUPP);
	assert_int_equal(viommu_alloc(&e, KABI_IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, e.hwpt), -EOPNOTSUPP);
	assert_int_equal(viommu_alloc(&e, KABI_IOMMU_VIOMMU_TYPE_ARM_SMMUV3, e.ioas), -ENOENT);
	{
		struct kabi_iommu_hwpt_alloc h = { .size = sizeof(h), .dev_id = e.devid, .pt_id = e.ioas };
		assert_int_equal(pf_kio(&e, e.ifd, KABI_IOMMU_HWPT_ALLOC, &h), 0);
		assert_int_equal(viommu_alloc(&e, KABI_IOMMU_VIOMMU_TYPE_ARM_SMMUV3, h.out_hwpt_id), -EINVAL);
	}
	assert_int_equal(viommu_alloc(&e, KABI_IOMMU_VIOMMU_TYPE_ARM_SMMUV3, e.hwpt), 0);
	assert_int_equal(vfioiommu_mock_inject_vevent(e.m, BDF, "x", 1), -EOPNOTSUPP);
	assert_int_equal(veventq_alloc(&e, KABI_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 0, &fd, &id), -EINVAL);
	assert_int_equal(veventq_alloc(&e, KABI_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, KABI_IOMMU_VEVENTQ_MAX_DEPTH + 1,
				       &fd, &id), -EINVAL);
	assert_int_equal(veventq_alloc(&e, KABI_IOMMU_VEVENTQ_TYPE_DEFAULT, 4, &fd, &id), -EOPNOTSUPP);
	assert_int_equal(veventq_alloc(&e, KABI_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, KABI_IOMMU_VEVENTQ_MAX_DEPTH,
				       &e.qfd, &e.vq), 0);
	assert_int_equal(veventq_alloc(&e, KABI_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 4, &fd, &id), -EEXIST);
	/* the queue holds the vIOMMU, the vIOMMU its HWPT, the fd its queue */
	ds.id = e.viommu;
	assert_int_equal(pf_kio(&e, e.ifd, KABI_IOMMU_DESTROY, &ds), -EBUSY);
	ds.id = e.hwpt;
	assert_int_equal(pf_kio(&e, e.ifd, KABI_IOMMU_DESTROY, &ds), -EBUSY);
	ds.id = e.vq;
	assert_int_equal(pf_kio(&e, e.ifd, KABI_IOMMU_DESTROY, &ds), -EBUSY);
	assert_int_equal(vfioiommu_mock_inject_vevent(e.m, BDF, NULL, 1), -EINVAL);
	assert_int_equal(vfioiommu_mock_inject_vevent(e.m, BDF, "x", 0), -EINVAL);
	assert_int_equal(vfioiommu_mock_inject_vevent(e.m, "0000:99:00.0", "x", 1), -ENOENT);
	/* whole events only: a read too short for one returns 0 and keeps it */
	{
		unsigned char b[64];
		inject(&e, 1);
		assert_int_equal(e.d->read(e.d->priv, e.qfd, b, 39), 0);
		assert_int_equal(e.d->read(e.d->priv, e.qfd, b, 64), 40);
		assert_int_equal(e.d->read(e.d->priv, e.qfd, b, 64), 0);
	}
	assert_int_equal(e.d->close(e.d->priv, e.qfd), 0);
	e.qfd = -1;
	ds.id = e.vq;
	assert_int_equal(pf_kio(&e, e.ifd, KABI_IOMMU_DESTROY, &ds), 0);
	ds.id = e.viommu;
	assert_int_equal(pf_kio(&e, e.ifd, KABI_IOMMU_DESTROY, &ds), 0);
	pf_down(&e);
}

/* ---------------------------------------------------------------- the pump */

static void test_bad_args(void **state)
{
	struct pf_env e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p = (void *)1;
	struct vfioiommu_vevent_stats st = { .size = sizeof(st) };

	venv_up(&e, 8);
	ctx = pf_ctx(e.d);
	assert_int_equal(vfioiommu_ring_create(ctx, 8, &ring), 0);
	assert_int_equal(vfioiommu_vevent_pump_new(NULL, e.qfd, 1, ring, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(vfioiommu_vevent_pump_new(ctx, -1, 1, ring, &p), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "vEVENTQ pump", "negative", NULL);
	assert_int_equal(vfioiommu_vevent_pump_new(ctx, e.qfd, 1, NULL, &p), -EINVAL);
	assert_int_equal(vfioiommu_vevent_pump_new(ctx, e.qfd, 1, ring, NULL), -EINVAL);
	assert_int_equal(vfioiommu_vevent_pump_new(ctx, e.qfd, 0, ring, &p), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "type 0", "DEFAULT", NULL);
	assert_int_equal(vfioiommu_vevent_pump_new(ctx, e.qfd, 3, ring, &p), -EOPNOTSUPP);
	assert_int_equal(vfioiommu_vevent_pump_stats(NULL, &st), -EINVAL);

	assert_int_equal(vfioiommu_vevent_pump_new(ctx, e.qfd, 1, ring, &p), 0);
	assert_int_equal(vfioiommu_vevent_pump_stats(p, NULL), -EINVAL);
	assert_int_equal(vfioiommu_fault_pump_respond(p, 1, 0), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "vEVENTQ", "no response", NULL);
	assert_int_equal(vfioiommu_fault_pump_outstanding(p), 0);
	vfioiommu_fault_pump_destroy(p);
	/* a fault-fd pump has no vEVENTQ counters */
	assert_int_equal(vfioiommu_fault_pump_new(ctx, e.qfd, ring, &p), 0);
	assert_int_equal(vfioiommu_vevent_pump_stats(p, &st), -EINVAL);
	pf_pump_down(&e, p, ring, ctx);
}

static void test_flow_and_lost(void **state)
{
	struct pf_env e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p;
	const struct vfioiommu_fault *v[8];
	struct vfioiommu_vevent_stats st = { .size = sizeof(st) };
	struct vfioiommu_ring_stats rs = { .size = sizeof(rs) };

	venv_up(&e, 3);
	ctx = pf_pump_up(&e, NULL, 4, pf_smmuv3_pump_new, &ring, &p);
	assert_int_equal(vfioiommu_fault_pump_run(p), 0);

	inject(&e, 0x10);
	inject(&e, 0x20);
	assert_int_equal(vfioiommu_fault_pump_run(p), 2);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, v, 8), 2);
	expect_ev(v[0], 0, 0x10, 0);
	expect_ev(v[1], 1, 0x20, 0);
	assert_int_equal(vfioiommu_ring_advance(ring, 2), 0);

	/* depth 3: the 4th and 5th are dropped by the kernel, which queues one LOST header (seq 5) */
	for (unsigned char t = 0x30; t <= 0x70; t += 0x10)
		inject(&e, t);
	/* backpressure: 4 slots, 4 entries, the rest waits in the kernel */
	assert_int_equal(vfioiommu_fault_pump_run(p), 4);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, v, 8), 4);
	expect_ev(v[0], 2, 0x30, 0);
	expect_ev(v[1], 3, 0x40, 0);
	expect_ev(v[2], 4, 0x50, 0);
	assert_int_equal(v[3]->kind, VFIOIOMMU_FAULT_LOST);
	assert_int_equal(v[3]->seq, 5);
	assert_int_equal(v[3]->lost, 1);
	assert_null(vfioiommu_fault_vevent(v[3]));
	assert_int_equal(vfioiommu_ring_advance(ring, 4), 0);
	inject(&e, 0x80);
	assert_int_equal(vfioiommu_fault_pump_run(p), 1);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, v, 8), 1);
	expect_ev(v[0], 6, 0x80, 0);
	assert_int_equal(vfioiommu_ring_advance(ring, 1), 0);

	assert_int_equal(vfioiommu_vevent_pump_stats(p, &st), 0);
	assert_int_equal(st.events, 6);
	assert_int_equal(st.lost_headers, 1);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(vfioiommu_ring_stats(ring, &rs), 0);
	assert_int_equal(rs.overflow, 0);
	assert_int_equal(rs.lost, 1);

	pf_pump_down(&e, p, ring, ctx);
}

/* ---------------------------------------------------------------- scripted streams */

static unsigned char script[1024];
static size_t script_len;
static int script_fd = -1;
static bool script_lie; /* claim more bytes than were asked for */

static ssize_t script_read(void *priv, int fd, void *buf, size_t n)
{
	size_t k = script_len;

	if (fd != script_fd)
		return vfioiommu_mock_door((vfioiommu_mock *)priv)->read(priv, fd, buf, n);
	if (k > n)
		k = n;
	memcpy(buf, script, k);
	script_len = 0;
	if (script_lie)
		return (ssize_t)n + 8;
	return (ssize_t)k;
}

static void s_hdr(uint32_t flags, uint32_t seq)
{
	struct kabi_iommufd_vevent_header h = { flags, seq };

	memcpy(script + script_len, &h, sizeof(h));
	script_len += sizeof(h);
}

static void s_ev(uint32_t seq, unsigned char tag)
{
	s_hdr(0, seq);
	evt(tag, script + script_len);
	script_len += 32;
}

/* run the pump over the script with a fresh ring of 64; returns the run's result */
static int run_script(vfioiommu_ring **ringp, vfioiommu_ctx **ctxp, vfioiommu_fault_pump **pp, struct pf_env *e)
{
	venv_up(e, 8);
	script_fd = e->qfd;
	*ctxp = pf_pump_up(e, script_read, 64, pf_smmuv3_pump_new, ringp, pp);
	return vfioiommu_fault_pump_run(*pp);
}

static void end_script(vfioiommu_ring *ring, vfioiommu_ctx *ctx, vfioiommu_fault_pump *p, struct pf_env *e)
{
	pf_pump_down(e, p, ring, ctx);
	script_fd = -1;
	script_len = 0;
	script_lie = false;
}

static void test_gaps_and_wrap(void **state)
{
	struct pf_env e;
	vfioiommu_ctx *ctx;
	vfioiommu_ring *ring;
	vfioiommu_fault_pump *p;
	const struct vfioiommu_fault *v[16];
	struct vfioiommu_vevent_stats st = { .size = sizeof(st) };

	script_len = 0;
	s_ev(INT_MAX - 1, 1);
	s_ev(INT_MAX, 2);
	s_ev(0, 3);            /* the wrap: no gap */
	s_ev(1, 4);
	s_ev(5, 5);            /* 2, 3, 4 missing */
	s_hdr(KABI_IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 6);
	s_ev(INT_MAX - 1, 6);  /* a gap across the wrap the other way round: 7 .. INT_MAX-2 missing */
	s_ev(1, 7);            /* INT_MAX, 0 missing */
	assert_int_equal(run_script(&ring, &ctx, &p, &e), 8);
	assert_int_equal(vfioiommu_ring_peek_batch(ring, v, 16), 8);
	expect_ev(v[0], INT_MAX - 1, 1, 0);
	expect_ev(v[1], INT_MAX, 2, 0);
	expect_ev(v[2], 0, 3, 0);
	expect_ev(v[3], 1, 4, 0);
	expect_ev(v[4], 5, 5, 3);
	assert_int_equal(v[5]->kind, VFIOIOMMU_FAULT_LOST);
	assert_int_equal(v[5]->seq, 6);
	assert_int_equal(v[5]->lost, 1);
	expect_ev(v[6], INT_MAX - 1, 6, INT_MAX - 1 - 7);
	expect_ev(v[7], 1, 7, 2);
	assert_int_equal(vfioiommu_vevent_pump_stats(p, &st), 0);
	assert_int_equal(st.events, 7);
	assert_int_equal(st.lost_headers, 1);
	assert_int_equal(st.gaps, 3);
	assert_int_equal(st.missing, 3 + (uint64_t)(INT_MAX - 1 - 7) + 2);
	end_script(ring, ctx, p, &e);
}

static void test_hostile_streams(void **state)
{
	static const struct {
		const char *what, *word;
	} cases[] = {
		{ "cut event", "cuts event 1" },
		{ "cut header", "into an event header" },
		{ "unknown flag", "unknown flags 0x2" },
		{ "sequence above INT_MAX", "above INT_MAX" },
		{ "too long", "returned" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pf_env e;
		vfioiommu_ctx *ctx;
		vfioiommu_ring *ring;
		vfioiommu_fault_pump *p;

		script_len = 0;
		s_ev(0, 1);
		switch (i) {
		case 0:
			s_ev(1, 2);
			script_len -= 5;
			break;
		case 1:
			s_hdr(0, 1);
			script_len -= 3;
			break;
		case 2:
			s_hdr(2, 1);
			break;
		case 3:
			s_ev(0x80000000u, 2);
			break;
		case 4:
			script_lie = true;
			break;
		}
		assert_int_equal(run_script(&ring, &ctx, &p, &e), -EPROTO);
		th_assert_msg(vfioiommu_strerror(ctx), "vEVENTQ pump", cases[i].word, NULL);
		/* nothing of a broken read reaches the ring */
		assert_int_equal(vfioiommu_ring_ready(ring), 0);
		end_script(ring, ctx, p, &e);
	}
}

/* ---------------------------------------------------------------- fail-Nth */

static void sweep_up(struct pf_env *e)
{
	venv_up(e, 2);
}

/* depth 2: the third event is dropped, and the kernel queues a LOST header for it */
static void sweep_inject(struct pf_env *e)
{
	inject(e, 1);
	inject(e, 2);
	inject(e, 3);
}

static void test_sweep(void **state)
{
	static const struct pf_sweep s = { .up = sweep_up, .inject = sweep_inject, .pump_new = pf_smmuv3_pump_new,
					   .records = 3 };

	assert_true(pf_sweep(&s, 100) >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mock_rules),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_flow_and_lost),
		cmocka_unit_test(test_gaps_and_wrap),
		cmocka_unit_test(test_hostile_streams),
		cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
