/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * lib/fault/ring_view.c and the inline consumer of <vfioiommu/ring_view.h>:
 * records in order across the slot wrap and the 2^32 index wrap (compat,
 * non-power-of-two size), LOST accounting and statistics at put, the checks
 * of a hostile prod and size word, bad input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu.h>

#include "helpers.h"
#include "fault/ring.h"

#define HDR VFIOIOMMU_RING_COMPAT_HDR
#define SLOTS 7u

struct buf {
	unsigned char *mem;
	size_t len;
};

static struct buf mkbuf(uint32_t start)
{
	struct buf b;
	uint32_t size = SLOTS;

	b.len = HDR + (size_t)SLOTS * 64;
	b.mem = aligned_alloc(64, (b.len + 63) / 64 * 64);
	assert_non_null(b.mem);
	memset(b.mem, 0, b.len);
	memcpy(b.mem, &size, 4);
	memcpy(b.mem + VI_COMPAT_PROD, &start, 4);
	memcpy(b.mem + VI_COMPAT_CONS, &start, 4);
	return b;
}

static void push_seq(vfioiommu_ring *r, uint32_t seq, uint32_t kind, uint32_t lost)
{
	struct vfioiommu_fault f = { .kind = kind, .seq = seq, .lost = lost };

	assert_int_equal(vfioiommu_ring_push(r, &f, 1), 1);
}

static void in_order_across_wraps(void **state)
{
	/* start 4 below 2^32: the index wrap comes after 4 records, the slot wrap of a 7-slot ring too */
	struct buf b = mkbuf(UINT32_MAX - 3);
	struct vfioiommu_ring_view v = { .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };
	const struct vfioiommu_fault *recs[8];
	struct vfioiommu_ring_stats st = { .size = sizeof(st) };
	vfioiommu_ring *r = NULL, *pr = NULL;
	uint32_t next = 0, seq = 0;

	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0, &r), 0);
	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0, &pr), 0); /* the producer's handle */
	assert_int_equal(vfioiommu_ring_view_get(r, &v), 0);
	assert_int_equal(vfioiommu_ring_view_ready(&v), 0);
	for (int round = 0; round < 12; round++) {
		unsigned int n, k = 1 + (unsigned int)round % 5;

		for (unsigned int i = 0; i < k; i++)
			push_seq(pr, seq++, VFIOIOMMU_FAULT_UNRECOV, 0);
		n = vfioiommu_ring_view_peek(&v, recs, 8);
		assert_int_equal(n, k);
		for (unsigned int i = 0; i < n; i++)
			assert_int_equal(recs[i]->seq, next++);
		vfioiommu_ring_view_advance(&v, n);
		assert_int_equal(vfioiommu_ring_view_ready(&v), 0);
	}
	/* a LOST record is counted when advanced */
	push_seq(pr, seq++, VFIOIOMMU_FAULT_LOST, 3);
	assert_int_equal(vfioiommu_ring_view_peek(&v, recs, 8), 1);
	vfioiommu_ring_view_advance(&v, 1);
	/* the ring's own consumer works again after put, from where the view left */
	assert_int_equal(vfioiommu_ring_view_put(r, &v), 0);
	push_seq(pr, seq, VFIOIOMMU_FAULT_UNRECOV, 0);
	{
		struct vfioiommu_fault f;
		assert_int_equal(vfioiommu_ring_copy(r, &f, 1), 1);
		assert_int_equal(f.seq, seq);
	}
	assert_int_equal(vfioiommu_ring_stats(r, &st), 0);
	assert_int_equal(st.consumed, seq + 1);
	assert_int_equal(st.lost, 3);
	vfioiommu_ring_destroy(pr);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

/* next() hands records out one by one; release() consumes all handed out; advance(n) the oldest n. */
static void next_release_advance(void **state)
{
	struct buf b = mkbuf(100);
	struct vfioiommu_ring_view v = { .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };
	const struct vfioiommu_fault *f;
	vfioiommu_ring *r = NULL, *pr = NULL;
	uint32_t seq = 0, want = 0;

	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0, &r), 0);
	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0, &pr), 0);
	assert_int_equal(vfioiommu_ring_view_get(r, &v), 0);
	assert_null(vfioiommu_ring_view_next(&v));
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 5; i++)
			push_seq(pr, seq++, VFIOIOMMU_FAULT_UNRECOV, 0);
		/* the ring is full from the producer's side until something is consumed */
		assert_int_equal(vfioiommu_ring_room(pr, 3), 2);
		for (int i = 0; i < 2; i++) {
			assert_non_null(f = vfioiommu_ring_view_next(&v));
			assert_int_equal(f->seq, want++);
		}
		vfioiommu_ring_view_advance(&v, 1); /* one of the two handed out */
		assert_int_equal(vfioiommu_ring_room(pr, 3), 3);
		while ((f = vfioiommu_ring_view_next(&v)))
			assert_int_equal(f->seq, want++);
		assert_int_equal(want, seq);
		vfioiommu_ring_view_release(&v);
		assert_int_equal(vfioiommu_ring_room(pr, 7), 7);
	}
	assert_int_equal(vfioiommu_ring_view_put(r, &v), 0);
	vfioiommu_ring_destroy(pr);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

static void hostile_prod(void **state)
{
	struct buf b = mkbuf(10);
	struct vfioiommu_ring_view v = { .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };
	const struct vfioiommu_fault *recs[8];
	vfioiommu_ring *r = NULL;
	uint32_t p = 10 + SLOTS + 1, sz = 99;

	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0, &r), 0);
	assert_int_equal(vfioiommu_ring_view_get(r, &v), 0);
	memcpy(b.mem + VI_COMPAT_PROD, &p, 4); /* more records than the ring holds */
	assert_int_equal(vfioiommu_ring_view_peek(&v, recs, 8), 0);
	assert_int_equal(vfioiommu_ring_error(r), -EPROTO);
	th_assert_msg(vfioiommu_ring_strerror(r), "ahead of cons", NULL);
	assert_int_equal(vfioiommu_ring_view_ready(&v), 0);
	assert_int_equal(vfioiommu_ring_view_put(r, &v), -EPROTO);
	assert_int_equal(vfioiommu_ring_view_get(r, &v), -EPROTO);
	vfioiommu_ring_destroy(r);
	free(b.mem);

	/* prod behind cons, and the size word rewritten */
	b = mkbuf(10);
	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0, &r), 0);
	v = (struct vfioiommu_ring_view){ .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };
	assert_int_equal(vfioiommu_ring_view_get(r, &v), 0);
	p = 9;
	memcpy(b.mem + VI_COMPAT_PROD, &p, 4);
	assert_int_equal(vfioiommu_ring_view_ready(&v), 0);
	th_assert_msg(vfioiommu_ring_strerror(r), "backwards", NULL);
	vfioiommu_ring_destroy(r);
	free(b.mem);
	b = mkbuf(10);
	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0, &r), 0);
	v = (struct vfioiommu_ring_view){ .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };
	assert_int_equal(vfioiommu_ring_view_get(r, &v), 0);
	memcpy(b.mem, &sz, 4);
	p = 11;
	memcpy(b.mem + VI_COMPAT_PROD, &p, 4);
	assert_int_equal(vfioiommu_ring_view_ready(&v), 0);
	th_assert_msg(vfioiommu_ring_strerror(r), "size changed", NULL);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

static void bad_input(void **state)
{
	struct buf b = mkbuf(0);
	struct vfioiommu_ring_view v = { .size = sizeof(v), .version = VFIOIOMMU_RING_VIEW_VERSION };
	vfioiommu_ring *r = NULL, *other = NULL;

	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0, &r), 0);
	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0, &other), 0);
	assert_int_equal(vfioiommu_ring_view_get(NULL, &v), -EINVAL);
	assert_int_equal(vfioiommu_ring_view_get(r, NULL), -EINVAL);
	v.size = 8;
	assert_int_equal(vfioiommu_ring_view_get(r, &v), -EINVAL);
	v.size = sizeof(v);
	v.version = 2;
	assert_int_equal(vfioiommu_ring_view_get(r, &v), -EINVAL);
	v.version = VFIOIOMMU_RING_VIEW_VERSION;
	assert_int_equal(vfioiommu_ring_view_get(r, &v), 0);
	assert_int_equal(vfioiommu_ring_view_put(other, &v), -EINVAL);
	assert_int_equal(vfioiommu_ring_view_put(NULL, &v), -EINVAL);
	assert_int_equal(vfioiommu_ring_view_put(r, NULL), -EINVAL);
	vfioiommu_ring_view_fail(NULL, 0);
	assert_int_equal(vfioiommu_ring_view_put(r, &v), 0);
	assert_int_equal(vfioiommu_ring_view_put(r, &v), -EINVAL); /* put twice */
	vfioiommu_ring_destroy(other);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_order_across_wraps),
		cmocka_unit_test(next_release_advance),
		cmocka_unit_test(hostile_prod),
		cmocka_unit_test(bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
