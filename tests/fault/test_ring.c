/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The fault ring: index logic (full, empty, the u32 wrap for power-of-two and
 * non-power-of-two sizes, the slot rule index % size), zero-copy producing
 * (reserve/commit), hostile headers, bad arguments, library-owned rings
 * through the mock door (with the fail-Nth sweep), and two-thread stress runs
 * that check every record arrives once and in order, busy-polling and
 * blocking on the eventfd, with the copying and the zero-copy producer.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "helpers.h"
#include "fault/ring.h"

#define HDR VFIOIOMMU_RING_COMPAT_HDR
#define REC 64u

/* A compat ring in exactly-sized heap memory (ASan sees any stray access). */
struct buf {
	unsigned char *mem;
	size_t len;
};

static struct buf mkbuf(uint32_t size, size_t len)
{
	struct buf b;

	b.len = len ? len : HDR + (size_t)size * REC;
	b.mem = aligned_alloc(64, (b.len + 63) / 64 * 64);
	assert_non_null(b.mem);
	memset(b.mem, 0, b.len);
	memcpy(b.mem, &size, 4);
	return b;
}

static void set32(struct buf *b, size_t off, uint32_t v)
{
	memcpy(b->mem + off, &v, 4);
}

static uint32_t get32(const struct buf *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b->mem + off, 4);
	return v;
}

static vfioiommu_ring *attach_at(struct buf *b, uint32_t start)
{
	vfioiommu_ring *r = NULL;

	set32(b, VI_COMPAT_PROD, start);
	set32(b, VI_COMPAT_CONS, start);
	assert_int_equal(vfioiommu_ring_attach(b->mem, b->len, 0, &r), 0);
	assert_non_null(r);
	return r;
}

static struct vfioiommu_fault rec_seq(uint32_t seq)
{
	struct vfioiommu_fault f;

	memset(&f, 0, sizeof(f));
	f.kind = VFIOIOMMU_FAULT_PAGE_REQ;
	f.seq = seq;
	f.addr = (uint64_t)seq << 12;
	f.cookie = ~seq;
	return f;
}

static void check_rec(const struct vfioiommu_fault *f, uint32_t seq)
{
	if (f->kind != VFIOIOMMU_FAULT_PAGE_REQ || f->seq != seq || f->addr != (uint64_t)seq << 12 ||
	    f->cookie != ~seq)
		fail_msg("record: kind %u seq %u (want %u) addr 0x%llx cookie 0x%x", f->kind, f->seq, seq,
			 (unsigned long long)f->addr, f->cookie);
}

/* ---------------- records and arguments ---------------- */

static void test_record_layout(void **state)
{
	assert_int_equal(sizeof(struct vfioiommu_fault), 64);
	assert_int_equal(offsetof(struct vfioiommu_fault, addr), 24);
	assert_int_equal(offsetof(struct vfioiommu_fault, cookie), 32);
	assert_int_equal(offsetof(struct vfioiommu_fault, seq), 36);
	assert_string_equal(vfioiommu_fault_kind_name(VFIOIOMMU_FAULT_PAGE_REQ), "page-req");
	assert_string_equal(vfioiommu_fault_kind_name(VFIOIOMMU_FAULT_LOST), "lost");
	assert_string_equal(vfioiommu_fault_kind_name(99), "unknown");
}

static void test_bad_args(void **state)
{
	struct buf b = mkbuf(4, 0);
	vfioiommu_ring *r = (void *)1;
	const struct vfioiommu_fault *f;
	const struct vfioiommu_fault *v[2];
	struct vfioiommu_fault rec = rec_seq(1);
	struct vfioiommu_ring_stats st = { .size = sizeof(st) };

	assert_int_equal(vfioiommu_ring_attach(NULL, b.len, 0, &r), -EINVAL);
	assert_null(r);
	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0, NULL), -EINVAL);
	assert_int_equal(vfioiommu_ring_attach(b.mem + 4, b.len - 4, 0, &r), -EINVAL);
	th_assert_msg(vfioiommu_ring_strerror(NULL), "aligned", NULL);
	assert_int_equal(vfioiommu_ring_attach(b.mem, HDR + REC - 1, 0, &r), -EINVAL);
	th_assert_msg(vfioiommu_ring_strerror(NULL), "header", NULL);
	assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, 0x80, &r), -EINVAL);
	th_assert_msg(vfioiommu_ring_strerror(NULL), "flags", NULL);
	assert_int_equal(vfioiommu_ring_attach(b.mem, 100, VFIOIOMMU_RING_SPLIT, &r), -EINVAL);

	assert_int_equal(vfioiommu_ring_peek(NULL, &f), -EINVAL);
	assert_int_equal(vfioiommu_ring_peek_batch(NULL, v, 2), -EINVAL);
	assert_int_equal(vfioiommu_ring_at(NULL, 0, &f), -EINVAL);
	assert_int_equal(vfioiommu_ring_advance(NULL, 0), -EINVAL);
	assert_int_equal(vfioiommu_ring_copy(NULL, &rec, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_ready(NULL), -EINVAL);
	assert_int_equal(vfioiommu_ring_push(NULL, &rec, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_error(NULL), -EINVAL);
	assert_int_equal(vfioiommu_ring_stats(NULL, &st), -EINVAL);
	assert_int_equal(vfioiommu_ring_prepare_wait(NULL), -EINVAL);
	assert_int_equal(vfioiommu_ring_finish_wait(NULL), -EINVAL);
	assert_int_equal(vfioiommu_ring_wait(NULL, 0), -EINVAL);
	assert_int_equal(vfioiommu_ring_fd(NULL), -EINVAL);
	assert_int_equal(vfioiommu_ring_eventfd(NULL), -EINVAL);
	assert_int_equal(vfioiommu_ring_set_eventfd(NULL, 3), -EINVAL);
	assert_int_equal(vfioiommu_ring_capacity(NULL), 0);
	assert_int_equal(vfioiommu_ring_map_size(NULL), 0);
	assert_string_equal(vfioiommu_ring_layout(NULL), "");
	assert_int_equal(vfioiommu_ring_create(NULL, 16, &r), -EINVAL);
	vfioiommu_ring_destroy(NULL);

	r = attach_at(&b, 0);
	assert_int_equal(vfioiommu_ring_peek(r, NULL), -EINVAL);
	assert_int_equal(vfioiommu_ring_peek_batch(r, NULL, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_peek_batch(r, NULL, 0), 0);
	assert_int_equal(vfioiommu_ring_at(r, 0, NULL), -EINVAL);
	assert_int_equal(vfioiommu_ring_copy(r, NULL, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_push(r, NULL, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_push(r, NULL, 0), 0);
	assert_int_equal(vfioiommu_ring_stats(r, NULL), -EINVAL);
	/* attached rings have no memfd or eventfd until given one */
	assert_int_equal(vfioiommu_ring_fd(r), -ENOENT);
	assert_int_equal(vfioiommu_ring_eventfd(r), -ENOENT);
	assert_int_equal(vfioiommu_ring_prepare_wait(r), -ENOENT);
	assert_int_equal(vfioiommu_ring_finish_wait(r), -ENOENT);
	assert_int_equal(vfioiommu_ring_wait(r, 0), -ENOENT);
	/* advancing past what was shown ready */
	assert_int_equal(vfioiommu_ring_advance(r, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_push(r, &rec, 1), 1);
	assert_int_equal(vfioiommu_ring_advance(r, 2), -EINVAL);
	assert_int_equal(vfioiommu_ring_error(r), 0);
	assert_string_equal(vfioiommu_ring_strerror(r), "");
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

/* ---------------- behaviour ---------------- */

static void test_init_64k(void **state)
{
	unsigned char *mem = aligned_alloc(4096, 65536);
	vfioiommu_ring *r = NULL;

	assert_non_null(mem);
	memset(mem, 0xa5, 65536);
	assert_int_equal(vfioiommu_ring_attach(mem, 65536, VFIOIOMMU_RING_INIT, &r), 0);
	assert_int_equal(vfioiommu_ring_capacity(r), 1023);
	assert_int_equal(vfioiommu_ring_map_size(r), 65536);
	th_assert_msg(vfioiommu_ring_layout(r), "compat", "1023 records", "% 1023", "at most 4", NULL);
	assert_int_equal(vfioiommu_ring_ready(r), 0);
	vfioiommu_ring_destroy(r);

	assert_int_equal(vfioiommu_ring_attach(mem, 65536, VFIOIOMMU_RING_INIT | VFIOIOMMU_RING_SPLIT, &r), 0);
	assert_int_equal(vfioiommu_ring_capacity(r), (65536 - 512) / 64);
	th_assert_msg(vfioiommu_ring_layout(r), "split", "prod@128", "cons@256", "% 1016", NULL);
	vfioiommu_ring_destroy(r);
	/* the split header is recognised again without INIT */
	assert_int_equal(vfioiommu_ring_attach(mem, 65536, VFIOIOMMU_RING_SPLIT, &r), 0);
	assert_int_equal(vfioiommu_ring_capacity(r), 1016);
	vfioiommu_ring_destroy(r);
	free(mem);
}

static void test_basic(void **state)
{
	struct buf b = mkbuf(8, 0);
	vfioiommu_ring *r = attach_at(&b, 0);
	struct vfioiommu_fault in[5], out[8];
	const struct vfioiommu_fault *f, *v[8];
	unsigned int n;

	for (uint32_t i = 0; i < 5; i++)
		in[i] = rec_seq(i);
	assert_int_equal(vfioiommu_ring_peek(r, &f), -EAGAIN);
	assert_int_equal(vfioiommu_ring_push(r, in, 5), 5);
	assert_int_equal(get32(&b, VI_COMPAT_PROD), 5);
	assert_int_equal(vfioiommu_ring_ready(r), 5);
	assert_int_equal(vfioiommu_ring_peek(r, &f), 0);
	check_rec(f, 0);
	assert_ptr_equal(f, b.mem + HDR);
	assert_int_equal(vfioiommu_ring_peek_batch(r, v, 3), 3);
	for (unsigned int i = 0; i < 3; i++)
		check_rec(v[i], i);
	VFIOIOMMU_RING_FOR_EACH(r, f, n)
		check_rec(f, n);
	assert_int_equal(n, 5);
	assert_int_equal(vfioiommu_ring_at(r, 5, &f), -EAGAIN);
	assert_int_equal(vfioiommu_ring_advance(r, 2), 0);
	assert_int_equal(get32(&b, VI_COMPAT_CONS), 2);
	assert_int_equal(vfioiommu_ring_copy(r, out, 8), 3);
	for (unsigned int i = 0; i < 3; i++)
		check_rec(&out[i], 2 + i);
	assert_int_equal(vfioiommu_ring_peek(r, &f), -EAGAIN);
	assert_int_equal(vfioiommu_ring_peek_batch(r, v, 8), 0);
	assert_int_equal(vfioiommu_ring_advance(r, 0), 0);
	/* room: the producer's cached view is a lower bound, refreshed when it falls short of want */
	assert_int_equal(vfioiommu_ring_room(r, 1), 3);
	assert_int_equal(vfioiommu_ring_room(r, 8), 8);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

static void test_full_overflow_lost(void **state)
{
	struct buf b = mkbuf(8, 0);
	vfioiommu_ring *r = attach_at(&b, 100);
	struct vfioiommu_fault in[12], out[8];
	struct vfioiommu_ring_stats st = { .size = sizeof(st) };

	for (uint32_t i = 0; i < 12; i++)
		in[i] = rec_seq(i);
	assert_int_equal(vfioiommu_ring_push(r, in, 12), 8);
	assert_int_equal(vfioiommu_ring_push(r, in, 1), 0);
	assert_int_equal(vfioiommu_ring_ready(r), 8);
	assert_int_equal(vfioiommu_ring_stats(r, &st), 0);
	assert_int_equal(st.produced, 8);
	assert_int_equal(st.overflow, 5);
	/* free two: the LOST record goes first, then one of the new records */
	assert_int_equal(vfioiommu_ring_copy(r, out, 2), 2);
	assert_int_equal(vfioiommu_ring_push(r, &in[8], 4), 1);
	assert_int_equal(vfioiommu_ring_copy(r, out, 8), 8);
	for (unsigned int i = 0; i < 6; i++)
		check_rec(&out[i], 2 + i);
	assert_int_equal(out[6].kind, VFIOIOMMU_FAULT_LOST);
	assert_int_equal(out[6].lost, 5);
	check_rec(&out[7], 8);
	assert_int_equal(vfioiommu_ring_stats(r, &st), 0);
	assert_int_equal(st.overflow, 8);
	assert_int_equal(st.consumed, 10);
	assert_int_equal(st.lost, 5);
	/* the 3 dropped just now are owed; with room they are reported before new records */
	assert_int_equal(vfioiommu_ring_push(r, &in[0], 1), 1);
	assert_int_equal(vfioiommu_ring_copy(r, out, 8), 2);
	assert_int_equal(out[0].kind, VFIOIOMMU_FAULT_LOST);
	assert_int_equal(out[0].lost, 3);
	check_rec(&out[1], 0);
	assert_int_equal(vfioiommu_ring_stats(r, &st), 0);
	assert_int_equal(st.lost, 8);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

/*
 * Single-threaded model run from near the u32 wrap: random pushes and
 * consumes, every record checked for order and for its slot being index %
 * size (the layout's rule, which a foreign producer also follows).
 */
static void run_wrap(uint32_t size, uint32_t start, uint32_t total, unsigned int seed)
{
	struct buf b = mkbuf(size, 0);
	vfioiommu_ring *r = attach_at(&b, start);
	struct vfioiommu_fault in[64];
	const struct vfioiommu_fault *v[64];
	uint32_t sent = 0, got = 0, idx = start;
	unsigned int stalls = 0;

	srand(seed);
	while (got < total) {
		unsigned int k = (unsigned int)rand() % 64 + 1;
		int n;

		if (k > total - sent)
			k = total - sent;
		/* mostly lossless (a pushed LOST record needs room too, or a
		 * 1-record ring would only ever carry LOST records), sometimes not */
		if (rand() % 4) {
			n = vfioiommu_ring_room(r, 2048);
			assert_true(n >= 0);
			if ((unsigned int)n < k)
				k = (unsigned int)n;
		}
		for (unsigned int i = 0; i < k; i++)
			in[i] = rec_seq(sent + i);
		n = vfioiommu_ring_push(r, in, k);
		assert_true(n >= 0 && (unsigned int)n <= k);
		if (k && n == 0)
			stalls++;
		/* what did not fit is dropped (a LOST record will say so); the model resends it */
		sent += (uint32_t)n;
		k = (unsigned int)rand() % 64 + 1;
		n = vfioiommu_ring_peek_batch(r, v, k);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++) {
			if (v[i]->kind == VFIOIOMMU_FAULT_LOST) {
				idx++;
				continue;
			}
			check_rec(v[i], got);
			assert_ptr_equal(v[i], b.mem + HDR + (size_t)(idx % size) * REC);
			got++;
			idx++;
		}
		assert_int_equal(vfioiommu_ring_advance(r, (unsigned int)n), 0);
		assert_int_equal(get32(&b, VI_COMPAT_CONS), idx);
	}
	assert_int_equal(vfioiommu_ring_error(r), 0);
	assert_true((uint32_t)(idx - start) >= total);
	/* the run crossed 2^32 */
	assert_true(idx < start);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

static void test_wrap_sizes(void **state)
{
	static const uint32_t sizes[] = { 1, 2, 3, 7, 16, 64, 1023, 1024 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		run_wrap(sizes[i], 0xffffff00u, 5000, (unsigned int)i + 1);
		run_wrap(sizes[i], 0xffffffffu - sizes[i], 3 * sizes[i] + 600, (unsigned int)i + 100);
	}
}

/* Exact behaviour of a 1023-record ring at the wrap: r = 2^32 % 1023 = 4 slots are reused. */
static void test_wrap_1023_zone(void **state)
{
	struct buf b = mkbuf(1023, 0);
	vfioiommu_ring *r = attach_at(&b, 0xfffffff6u); /* 2^32 - 10 */
	struct vfioiommu_fault in[12], out[1023];
	const struct vfioiommu_fault *f;
	struct vfioiommu_ring_stats st = { .size = sizeof(st) };

	for (uint32_t i = 0; i < 12; i++)
		in[i] = rec_seq(i);
	/* empty, yet only the 10 indices before the wrap are free: 0..3 will reuse slots of 2^32-4.. */
	assert_int_equal(vfioiommu_ring_room(r, 2048), 10);
	assert_int_equal(vfioiommu_ring_push(r, in, 10), 10);
	/* index 2^32 - 4 has slot (2^32 - 4) % 1023 = 0, like index 0 */
	assert_int_equal(vfioiommu_ring_at(r, 6, &f), 0);
	assert_ptr_equal(f, b.mem + HDR);
	check_rec(f, 6);
	/* indices 0..3 would land on the slots of 2^32-4..2^32-1, still unread */
	assert_int_equal(vfioiommu_ring_room(r, 2048), 0);
	assert_int_equal(vfioiommu_ring_copy(r, out, 7), 7); /* cons = 2^32 - 3: 3 in flight */
	assert_int_equal(vfioiommu_ring_room(r, 2048), 1);
	assert_int_equal(vfioiommu_ring_push(r, &in[10], 1), 1);
	assert_int_equal(get32(&b, VI_COMPAT_PROD), 1);
	assert_int_equal(vfioiommu_ring_room(r, 2048), 0); /* index 1 waits for 2^32 - 3 */
	assert_int_equal(vfioiommu_ring_copy(r, out, 1), 1);
	assert_int_equal(vfioiommu_ring_room(r, 2048), 1);
	assert_int_equal(vfioiommu_ring_push(r, &in[11], 1), 1);
	assert_int_equal(vfioiommu_ring_copy(r, out, 2), 2); /* cons = 0: everything before the wrap read */
	check_rec(&out[0], 8);
	check_rec(&out[1], 9);
	assert_int_equal(vfioiommu_ring_room(r, 2048), 1021);
	assert_int_equal(vfioiommu_ring_peek(r, &f), 0);
	assert_ptr_equal(f, b.mem + HDR); /* index 0, slot 0 */
	check_rec(f, 10);
	assert_int_equal(vfioiommu_ring_at(r, 1, &f), 0);
	assert_ptr_equal(f, b.mem + HDR + REC);
	check_rec(f, 11);
	assert_int_equal(vfioiommu_ring_advance(r, 2), 0);
	/* past the zone the whole ring is usable again */
	for (unsigned int i = 0; i < 1023; i++) {
		struct vfioiommu_fault one = rec_seq(i);
		assert_int_equal(vfioiommu_ring_push(r, &one, 1), 1);
	}
	assert_int_equal(vfioiommu_ring_push(r, in, 2), 0);
	assert_int_equal(vfioiommu_ring_room(r, 2048), 0);
	assert_int_equal(vfioiommu_ring_copy(r, out, 1023), 1023);
	/* the owed LOST record takes one slot */
	assert_int_equal(vfioiommu_ring_room(r, 2048), 1022);
	assert_int_equal(vfioiommu_ring_push(r, in, 1), 1);
	assert_int_equal(vfioiommu_ring_peek_batch(r, (const struct vfioiommu_fault *[2]){ NULL, NULL }, 2), 2);
	assert_int_equal(vfioiommu_ring_advance(r, 2), 0); /* advance counts the LOST record it passes */
	assert_int_equal(vfioiommu_ring_stats(r, &st), 0);
	assert_int_equal(st.lost, 2);
	assert_int_equal(st.overflow, 2);
	assert_int_equal(st.produced, 10 + 2 + 1023 + 2);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

/* ---------------- zero-copy producing ---------------- */

static void test_reserve_commit(void **state)
{
	struct buf b = mkbuf(8, 0);
	vfioiommu_ring *r = attach_at(&b, 0);
	struct vfioiommu_fault *w[10], in[1];
	const struct vfioiommu_fault *v[8];
	struct vfioiommu_fault out[10];
	struct vfioiommu_ring_stats st = { .size = sizeof(st) };

	assert_int_equal(vfioiommu_ring_reserve(NULL, w, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_reserve(r, NULL, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_reserve(r, NULL, 0), 0);
	assert_int_equal(vfioiommu_ring_commit(NULL, 0), -EINVAL);
	assert_int_equal(vfioiommu_ring_commit(r, 1), -EINVAL); /* nothing reserved */
	assert_int_equal(vfioiommu_ring_commit(r, 0), 0);

	/* slots in order and in place; nothing is visible before the commit */
	assert_int_equal(vfioiommu_ring_reserve(r, w, 3), 3);
	for (uint32_t i = 0; i < 3; i++) {
		assert_ptr_equal(w[i], b.mem + HDR + i * REC);
		*w[i] = rec_seq(i);
	}
	assert_int_equal(vfioiommu_ring_ready(r), 0);
	assert_int_equal(get32(&b, VI_COMPAT_PROD), 0);
	assert_int_equal(vfioiommu_ring_commit(r, 4), -EINVAL);
	assert_int_equal(vfioiommu_ring_commit(r, 2), 0); /* part of it ... */
	assert_int_equal(get32(&b, VI_COMPAT_PROD), 2);
	assert_int_equal(vfioiommu_ring_ready(r), 2);
	assert_int_equal(vfioiommu_ring_commit(r, 1), 0); /* ... and the rest later */
	assert_int_equal(vfioiommu_ring_commit(r, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_peek_batch(r, v, 8), 3);
	for (uint32_t i = 0; i < 3; i++)
		check_rec(v[i], i);

	/* never more than is free */
	assert_int_equal(vfioiommu_ring_reserve(r, w, 10), 5);
	assert_ptr_equal(w[0], b.mem + HDR + 3 * REC);
	assert_ptr_equal(w[4], b.mem + HDR + 7 * REC);
	for (uint32_t i = 0; i < 5; i++)
		*w[i] = rec_seq(3 + i);
	assert_int_equal(vfioiommu_ring_commit(r, 5), 0);
	assert_int_equal(vfioiommu_ring_reserve(r, w, 1), 0); /* full */
	assert_int_equal(vfioiommu_ring_commit(r, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_advance(r, 3), 0);
	/* the cached view says full: reserve re-reads cons and wraps to slot 0 */
	assert_int_equal(vfioiommu_ring_reserve(r, w, 8), 3);
	assert_ptr_equal(w[0], b.mem + HDR);
	assert_ptr_equal(w[2], b.mem + HDR + 2 * REC);

	/* a push ends the reservation: it writes the same slots */
	in[0] = rec_seq(8);
	assert_int_equal(vfioiommu_ring_push(r, in, 1), 1);
	assert_int_equal(vfioiommu_ring_commit(r, 1), -EINVAL);
	check_rec((const struct vfioiommu_fault *)(const void *)(b.mem + HDR), 8);
	/* so does a new reserve: the same first slot again */
	assert_int_equal(vfioiommu_ring_reserve(r, w, 2), 2);
	assert_ptr_equal(w[0], b.mem + HDR + REC);
	assert_int_equal(vfioiommu_ring_reserve(r, w, 1), 1);
	assert_ptr_equal(w[0], b.mem + HDR + REC);
	*w[0] = rec_seq(9);
	assert_int_equal(vfioiommu_ring_commit(r, 1), 0);
	assert_int_equal(vfioiommu_ring_commit(r, 1), -EINVAL);
	assert_int_equal(get32(&b, VI_COMPAT_PROD), 10);

	/* every record once, in order */
	assert_int_equal(vfioiommu_ring_copy(r, out, 10), 7);
	for (uint32_t i = 0; i < 7; i++)
		check_rec(&out[i], 3 + i);
	assert_int_equal(vfioiommu_ring_stats(r, &st), 0);
	assert_int_equal(st.produced, 10);
	assert_int_equal(st.consumed, 10);
	assert_int_equal(st.overflow, 0);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

/* A LOST record owed by a push that dropped records is published before any reserved slot. */
static void test_reserve_after_lost(void **state)
{
	struct buf b = mkbuf(4, 0);
	vfioiommu_ring *r = attach_at(&b, 50);
	struct vfioiommu_fault in[6], out[8], *w[4];
	struct vfioiommu_ring_stats st = { .size = sizeof(st) };

	for (uint32_t i = 0; i < 6; i++)
		in[i] = rec_seq(i);
	assert_int_equal(vfioiommu_ring_push(r, in, 6), 4);
	assert_int_equal(vfioiommu_ring_reserve(r, w, 4), 0); /* not even the LOST record fits */
	assert_int_equal(vfioiommu_ring_commit(r, 1), -EINVAL);
	assert_int_equal(vfioiommu_ring_copy(r, out, 2), 2);
	assert_int_equal(vfioiommu_ring_reserve(r, w, 4), 1);
	assert_int_equal(get32(&b, VI_COMPAT_PROD), 55); /* the LOST record, already visible */
	assert_ptr_equal(w[0], b.mem + HDR + (55 % 4) * REC);
	*w[0] = rec_seq(100);
	assert_int_equal(vfioiommu_ring_commit(r, 1), 0);
	assert_int_equal(vfioiommu_ring_copy(r, out, 8), 4);
	check_rec(&out[0], 2);
	check_rec(&out[1], 3);
	assert_int_equal(out[2].kind, VFIOIOMMU_FAULT_LOST);
	assert_int_equal(out[2].lost, 2);
	check_rec(&out[3], 100);
	assert_int_equal(vfioiommu_ring_stats(r, &st), 0);
	assert_int_equal(st.overflow, 2);
	assert_int_equal(st.lost, 2);
	assert_int_equal(st.produced, 6);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

/*
 * The model run of run_wrap() with the zero-copy producer: each reserved slot
 * must be index % size (also across 2^32 for sizes that do not divide it),
 * part of a reservation may be committed and the rest given up, and a slot
 * still holding an unread record is never handed out (the consumer would see
 * it overwritten).
 */
static void run_wrap_reserve(uint32_t size, uint32_t start, uint32_t total, unsigned int seed)
{
	struct buf b = mkbuf(size, 0);
	vfioiommu_ring *r = attach_at(&b, start);
	struct vfioiommu_fault *w[64];
	const struct vfioiommu_fault *v[64];
	uint32_t sent = 0, got = 0, pidx = start, idx = start;

	srand(seed);
	while (got < total) {
		unsigned int k = (unsigned int)rand() % 64 + 1, c;
		int n;

		if (k > total - sent)
			k = total - sent;
		n = vfioiommu_ring_reserve(r, w, k);
		assert_true(n >= 0 && (unsigned int)n <= k);
		for (int i = 0; i < n; i++) {
			assert_ptr_equal(w[i], b.mem + HDR + (size_t)((pidx + (uint32_t)i) % size) * REC);
			*w[i] = rec_seq(sent + (uint32_t)i);
		}
		/* commit all, or part (the rest is handed out again next time) */
		c = (unsigned int)n;
		if (n && rand() % 3 == 0)
			c = (unsigned int)rand() % ((unsigned int)n + 1);
		assert_int_equal(vfioiommu_ring_commit(r, c), 0);
		sent += c;
		pidx += c;
		assert_int_equal(get32(&b, VI_COMPAT_PROD), pidx);
		k = (unsigned int)rand() % 64 + 1;
		n = vfioiommu_ring_peek_batch(r, v, k);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++) {
			check_rec(v[i], got);
			assert_ptr_equal(v[i], b.mem + HDR + (size_t)(idx % size) * REC);
			got++;
			idx++;
		}
		assert_int_equal(vfioiommu_ring_advance(r, (unsigned int)n), 0);
	}
	assert_int_equal(vfioiommu_ring_error(r), 0);
	assert_true(idx < start); /* the run crossed 2^32 */
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

static void test_reserve_wrap(void **state)
{
	static const uint32_t sizes[] = { 1, 2, 3, 7, 16, 64, 1023, 1024 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		run_wrap_reserve(sizes[i], 0xffffff00u, 5000, (unsigned int)i + 200);
		run_wrap_reserve(sizes[i], 0xffffffffu - sizes[i], 3 * sizes[i] + 600, (unsigned int)i + 300);
	}
}

/* The 1023-record ring at the wrap through reserve: the same room as test_wrap_1023_zone. */
static void test_reserve_1023_zone(void **state)
{
	struct buf b = mkbuf(1023, 0);
	vfioiommu_ring *r = attach_at(&b, 0xfffffff6u); /* 2^32 - 10 */
	struct vfioiommu_fault *w[16], out[16];

	assert_int_equal(vfioiommu_ring_reserve(r, w, 16), 10);
	assert_ptr_equal(w[6], b.mem + HDR); /* index 2^32 - 4 is slot 0, like index 0 */
	for (uint32_t i = 0; i < 10; i++)
		*w[i] = rec_seq(i);
	assert_int_equal(vfioiommu_ring_commit(r, 10), 0);
	assert_int_equal(vfioiommu_ring_reserve(r, w, 16), 0); /* 0..3 would reuse unread slots */
	assert_int_equal(vfioiommu_ring_copy(r, out, 7), 7);   /* 3 in flight */
	assert_int_equal(vfioiommu_ring_reserve(r, w, 16), 1);
	assert_ptr_equal(w[0], b.mem + HDR); /* index 0 */
	*w[0] = rec_seq(10);
	assert_int_equal(vfioiommu_ring_commit(r, 1), 0);
	assert_int_equal(get32(&b, VI_COMPAT_PROD), 1);
	assert_int_equal(vfioiommu_ring_reserve(r, w, 16), 0); /* index 1 waits for 2^32 - 3 */
	assert_int_equal(vfioiommu_ring_copy(r, out, 3), 3);   /* cons = 0 */
	assert_int_equal(vfioiommu_ring_reserve(r, w, 16), 16);
	assert_ptr_equal(w[0], b.mem + HDR + REC);
	assert_int_equal(vfioiommu_ring_commit(r, 0), 0);
	assert_int_equal(vfioiommu_ring_copy(r, out, 16), 1);
	check_rec(&out[0], 10);
	assert_int_equal(vfioiommu_ring_error(r), 0);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

/* ---------------- hostile headers ---------------- */

static void expect_attach_eproto(struct buf *b, unsigned int flags, const char *word)
{
	vfioiommu_ring *r = (void *)1;

	assert_int_equal(vfioiommu_ring_attach(b->mem, b->len, flags, &r), -EPROTO);
	assert_null(r);
	th_assert_msg(vfioiommu_ring_strerror(NULL), "ring:", word, NULL);
}

static void expect_dead(vfioiommu_ring *r, const char *word)
{
	const struct vfioiommu_fault *f, *v[4];
	struct vfioiommu_fault rec = rec_seq(0), out[4], *w[1];

	assert_int_equal(vfioiommu_ring_error(r), -EPROTO);
	th_assert_msg(vfioiommu_ring_strerror(r), "ring:", word, NULL);
	assert_int_equal(vfioiommu_ring_peek(r, &f), -EPROTO);
	assert_int_equal(vfioiommu_ring_peek_batch(r, v, 4), -EPROTO);
	assert_int_equal(vfioiommu_ring_at(r, 0, &f), -EPROTO);
	assert_int_equal(vfioiommu_ring_advance(r, 0), -EPROTO);
	assert_int_equal(vfioiommu_ring_copy(r, out, 4), -EPROTO);
	assert_int_equal(vfioiommu_ring_ready(r), -EPROTO);
	assert_int_equal(vfioiommu_ring_push(r, &rec, 1), -EPROTO);
	assert_int_equal(vfioiommu_ring_reserve(r, w, 1), -EPROTO);
	assert_int_equal(vfioiommu_ring_commit(r, 0), -EPROTO);
	assert_int_equal(vfioiommu_ring_room(r, 1), -EPROTO);
}

static void test_hostile_attach(void **state)
{
	struct buf b = mkbuf(1023, 65536);

	set32(&b, VI_COMPAT_SIZE, 0);
	expect_attach_eproto(&b, 0, "size is 0");
	set32(&b, VI_COMPAT_SIZE, 1024); /* 16 + 1024 * 64 = 65552 > 65536 */
	expect_attach_eproto(&b, 0, "65552");
	set32(&b, VI_COMPAT_SIZE, 0xffffffffu);
	expect_attach_eproto(&b, 0, "mapping");
	set32(&b, VI_COMPAT_SIZE, 1023);
	set32(&b, VI_COMPAT_CONS, 5);
	set32(&b, VI_COMPAT_PROD, 5 + 1024);
	expect_attach_eproto(&b, 0, "ahead");
	set32(&b, VI_COMPAT_PROD, 4); /* behind cons */
	expect_attach_eproto(&b, 0, "ahead");

	/* split: magic, version, record geometry, size */
	memset(b.mem, 0, 512);
	expect_attach_eproto(&b, VFIOIOMMU_RING_SPLIT, "magic");
	{
		vfioiommu_ring *r;
		assert_int_equal(vfioiommu_ring_attach(b.mem, b.len, VFIOIOMMU_RING_SPLIT | VFIOIOMMU_RING_INIT, &r), 0);
		vfioiommu_ring_destroy(r);
	}
	set32(&b, VI_SPLIT_OFF_VERSION, 2);
	expect_attach_eproto(&b, VFIOIOMMU_RING_SPLIT, "version");
	set32(&b, VI_SPLIT_OFF_VERSION, 1);
	set32(&b, VI_SPLIT_OFF_RECSIZE, 32);
	expect_attach_eproto(&b, VFIOIOMMU_RING_SPLIT, "32 bytes");
	set32(&b, VI_SPLIT_OFF_RECSIZE, 64);
	set32(&b, VI_SPLIT_OFF_SIZE, 1017);
	expect_attach_eproto(&b, VFIOIOMMU_RING_SPLIT, "mapping");
	free(b.mem);
}

static void test_hostile_prod_backwards(void **state)
{
	struct buf b = mkbuf(16, 0);
	vfioiommu_ring *r = attach_at(&b, 1000);
	const struct vfioiommu_fault *f;
	struct vfioiommu_fault tmp[4];

	set32(&b, VI_COMPAT_PROD, 1010);
	assert_int_equal(vfioiommu_ring_ready(r), 10);
	assert_int_equal(vfioiommu_ring_advance(r, 3), 0);
	set32(&b, VI_COMPAT_PROD, 1008); /* still ahead of cons, but behind what was seen */
	assert_int_equal(vfioiommu_ring_ready(r), -EPROTO);
	expect_dead(r, "backwards");
	vfioiommu_ring_destroy(r);

	/* backwards past cons */
	r = attach_at(&b, 1000);
	set32(&b, VI_COMPAT_PROD, 1004);
	assert_int_equal(vfioiommu_ring_copy(r, tmp, 4), 4);
	set32(&b, VI_COMPAT_PROD, 990);
	assert_int_equal(vfioiommu_ring_peek(r, &f), -EPROTO);
	expect_dead(r, "backwards");
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

static void test_hostile_prod_ahead(void **state)
{
	struct buf b = mkbuf(16, 0);
	vfioiommu_ring *r = attach_at(&b, 0xfffffff0u);
	const struct vfioiommu_fault *v[32];

	set32(&b, VI_COMPAT_PROD, 0xfffffff0u + 17);
	assert_int_equal(vfioiommu_ring_peek_batch(r, v, 32), -EPROTO);
	expect_dead(r, "17 records ahead");
	vfioiommu_ring_destroy(r);

	/* exactly full is fine, one more is not */
	r = attach_at(&b, 7);
	set32(&b, VI_COMPAT_PROD, 7 + 16);
	assert_int_equal(vfioiommu_ring_peek_batch(r, v, 32), 16);
	assert_int_equal(vfioiommu_ring_advance(r, 1), 0);
	set32(&b, VI_COMPAT_PROD, 7 + 16 + 2);
	assert_int_equal(vfioiommu_ring_ready(r), -EPROTO);
	expect_dead(r, "ahead");
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

static void test_hostile_ignored_fields(void **state)
{
	struct buf b = mkbuf(16, 0);
	vfioiommu_ring *r = attach_at(&b, 40);
	struct vfioiommu_fault in[16], out[16];

	for (uint32_t i = 0; i < 16; i++)
		in[i] = rec_seq(i);
	assert_int_equal(vfioiommu_ring_push(r, in, 16), 16);
	/* cons is the consumer's own word, never read back: rewriting it changes nothing */
	set32(&b, VI_COMPAT_CONS, 12345);
	assert_int_equal(vfioiommu_ring_copy(r, out, 16), 16);
	for (uint32_t i = 0; i < 16; i++)
		check_rec(&out[i], i);
	assert_int_equal(get32(&b, VI_COMPAT_CONS), 56);
	/* garbage records are delivered as they are, never followed out of the ring */
	memset(b.mem + HDR, 0xff, 16 * REC);
	set32(&b, VI_COMPAT_PROD, 56 + 16);
	assert_int_equal(vfioiommu_ring_copy(r, out, 16), 16);
	assert_int_equal(vfioiommu_ring_error(r), 0);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

/* The size word is written once, at format time: a later change is a broken producer. */
static void test_hostile_size(void **state)
{
	struct buf b = mkbuf(16, 0);
	vfioiommu_ring *r = attach_at(&b, 0);
	struct vfioiommu_fault in[4], out[4];

	for (uint32_t i = 0; i < 4; i++)
		in[i] = rec_seq(i);
	assert_int_equal(vfioiommu_ring_push(r, in, 4), 4);
	set32(&b, VI_COMPAT_SIZE, 0xffffffffu);
	assert_int_equal(vfioiommu_ring_copy(r, out, 4), -EPROTO);
	expect_dead(r, "size changed from 16 to 4294967295");
	vfioiommu_ring_destroy(r);
	/* back to the right value: the error stays */
	set32(&b, VI_COMPAT_SIZE, 16);
	r = attach_at(&b, 0);
	set32(&b, VI_COMPAT_SIZE, 15);
	assert_int_equal(vfioiommu_ring_ready(r), -EPROTO);
	set32(&b, VI_COMPAT_SIZE, 16);
	assert_int_equal(vfioiommu_ring_ready(r), -EPROTO);
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

static void test_hostile_cons(void **state)
{
	struct buf b = mkbuf(8, 0);
	vfioiommu_ring *r = attach_at(&b, 0);
	struct vfioiommu_fault in[8];

	for (uint32_t i = 0; i < 8; i++)
		in[i] = rec_seq(i);
	assert_int_equal(vfioiommu_ring_push(r, in, 8), 8);
	set32(&b, VI_COMPAT_CONS, 9); /* past prod: a consumer claiming records that do not exist */
	assert_int_equal(vfioiommu_ring_push(r, in, 1), -EPROTO);
	expect_dead(r, "cons 9");
	vfioiommu_ring_destroy(r);

	r = attach_at(&b, 100);
	assert_int_equal(vfioiommu_ring_push(r, in, 8), 8);
	set32(&b, VI_COMPAT_CONS, 101);
	assert_int_equal(vfioiommu_ring_push(r, in, 1), 1);
	set32(&b, VI_COMPAT_CONS, 99); /* backwards */
	assert_int_equal(vfioiommu_ring_push(r, in, 1), -EPROTO);
	expect_dead(r, "outside");
	vfioiommu_ring_destroy(r);

	/* the zero-copy producer checks cons the same way when it runs out of cached room */
	r = attach_at(&b, 0xfffffffcu);
	{
		struct vfioiommu_fault *w[8];
		assert_int_equal(vfioiommu_ring_reserve(r, w, 8), 8);
		assert_int_equal(vfioiommu_ring_commit(r, 8), 0);
		set32(&b, VI_COMPAT_CONS, 5); /* prod is 4 (wrapped): cons claims a record that does not exist */
		assert_int_equal(vfioiommu_ring_reserve(r, w, 1), -EPROTO);
		expect_dead(r, "cons 5");
	}
	vfioiommu_ring_destroy(r);
	free(b.mem);
}

/* ---------------- library-owned rings ---------------- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n++;
	closedir(d);
	return n;
}

static void test_create(void **state)
{
	vfioiommu_mock *m = th_mock(NULL);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_ring *r = (void *)1, *peer;
	struct vfioiommu_fault in[4], out[4];
	size_t len;
	void *map;
	int fds = count_fds();

	assert_int_equal(vfioiommu_ring_create(ctx, 0, &r), -EINVAL);
	assert_null(r);
	th_assert_msg(vfioiommu_strerror(ctx), "0 records", NULL);
	assert_int_equal(vfioiommu_ring_create(ctx, (1u << 24) + 1, &r), -EINVAL);
	assert_int_equal(vfioiommu_ring_create(ctx, 16, NULL), -EINVAL);

	assert_int_equal(vfioiommu_ring_create(ctx, 1024, &r), 0);
	assert_int_equal(vfioiommu_ring_capacity(r), 1024);
	len = vfioiommu_ring_map_size(r);
	assert_true(len >= 512 + 1024 * 64 && len % 4096 == 0);
	assert_true(vfioiommu_ring_fd(r) >= 0);
	assert_true(vfioiommu_ring_eventfd(r) >= 0);
	assert_int_equal(vfioiommu_ring_set_eventfd(r, 5), -EINVAL);
	assert_int_equal(vfioiommu_mock_live_mmaps(m), 1);
	th_assert_msg(vfioiommu_ring_layout(r), "split", NULL);

	/* another mapping of the memfd, as another process would do */
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vfioiommu_ring_fd(r), 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(vfioiommu_ring_attach(map, len, VFIOIOMMU_RING_SPLIT, &peer), 0);
	assert_int_equal(vfioiommu_ring_capacity(peer), 1024);
	assert_int_equal(vfioiommu_ring_set_eventfd(peer, vfioiommu_ring_eventfd(r)), 0);
	for (uint32_t i = 0; i < 4; i++)
		in[i] = rec_seq(i);

	/* the peer waits; the owner produces; the eventfd carries the wakeup */
	assert_int_equal(vfioiommu_ring_wait(peer, 0), 0);
	assert_int_equal(vfioiommu_ring_prepare_wait(peer), 0);
	assert_int_equal(vfioiommu_ring_push(r, in, 4), 4);
	assert_int_equal(vfioiommu_ring_prepare_wait(peer), 4); /* records ready: do not sleep */
	assert_int_equal(vfioiommu_ring_finish_wait(peer), 0);
	assert_int_equal(vfioiommu_ring_wait(peer, 1000), 4);
	assert_int_equal(vfioiommu_ring_copy(peer, out, 4), 4);
	for (uint32_t i = 0; i < 4; i++)
		check_rec(&out[i], i);
	/* the owner sees the peer's cons */
	assert_int_equal(vfioiommu_ring_push(r, in, 4), 4);
	assert_int_equal(vfioiommu_ring_wait(peer, 1000), 4);
	assert_int_equal(vfioiommu_ring_wait(r, 1000), 8); /* the owner's own consumer is still at 0 */
	vfioiommu_ring_destroy(peer);
	munmap(map, len);

	vfioiommu_ring_destroy(r);
	assert_int_equal(vfioiommu_mock_live_mmaps(m), 0);
	assert_int_equal(count_fds(), fds);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static vfioiommu_mock *sweep_setup(void *arg)
{
	return th_mock(NULL);
}

static int sweep_body(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	vfioiommu_ring *r = NULL;
	int fds = count_fds();
	int rc = vfioiommu_ring_create(ctx, 100, &r);

	if (rc == 0) {
		rc = vfioiommu_ring_wait(r, 0);
		vfioiommu_ring_destroy(r);
	} else {
		assert_null(r);
		assert_true(strlen(vfioiommu_strerror(ctx)) > 0);
	}
	assert_int_equal(count_fds(), fds);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void test_create_sweep(void **state)
{
	assert_true(th_sweep(sweep_setup, sweep_body, NULL, 50) >= 5);
}

/* ---------------- two threads ---------------- */

struct stress {
	vfioiommu_ring *r;
	uint32_t total;
	unsigned int batch;
	bool blocking;
	bool zc; /* produce through reserve/commit, sometimes committing only part */
	unsigned int waits, timeouts;
	int push_err;
};

/* Fill up to k reserved slots in place; returns how many were committed, or the error. */
static int produce_zc(struct stress *s, uint32_t sent, unsigned int k)
{
	struct vfioiommu_fault *w[64];
	int n = vfioiommu_ring_reserve(s->r, w, k);
	unsigned int c;

	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++)
		*w[i] = rec_seq(sent + (uint32_t)i);
	/* now and then only part: the rest is handed out (and written) again next time */
	c = (n > 1 && (sent & 7) == 3) ? (unsigned int)n / 2 : (unsigned int)n;
	n = vfioiommu_ring_commit(s->r, c);
	return n < 0 ? n : (int)c;
}

static void *producer(void *arg)
{
	struct stress *s = arg;
	struct vfioiommu_fault in[64];
	uint32_t sent = 0;
	unsigned int spin = 0;

	while (sent < s->total) {
		unsigned int k = s->batch ? s->batch : (sent * 2654435761u >> 26) + 1;
		int n;

		if (k > s->total - sent)
			k = s->total - sent;
		if (s->zc) {
			n = produce_zc(s, sent, k);
			if (n < 0) {
				s->push_err = n;
				return NULL;
			}
			k = (unsigned int)n;
			sent += k;
			goto next;
		}
		for (unsigned int i = 0; i < k; i++)
			in[i] = rec_seq(sent + i);
		/* a short push drops records: push only what fits, so nothing is lost */
		n = vfioiommu_ring_room(s->r, k);
		if (n < 0)
			return NULL;
		if ((unsigned int)n < k)
			k = (unsigned int)n;
		if (k) {
			n = vfioiommu_ring_push(s->r, in, k);
			if (n != (int)k) {
				s->push_err = n;
				return NULL;
			}
			sent += k;
		}
next:
		if (!k || (s->blocking && (sent & 0x3ff) < k)) {
			if (++spin % 64 == 0 || s->blocking)
				sched_yield();
		}
	}
	return NULL;
}

static void run_stress(struct stress *s)
{
	pthread_t t;
	const struct vfioiommu_fault *v[256];
	uint32_t got = 0;
	unsigned int spin = 0;

	assert_int_equal(pthread_create(&t, NULL, producer, s), 0);
	while (got < s->total) {
		int n = vfioiommu_ring_peek_batch(s->r, v, 256);

		assert_true(n >= 0);
		if (n == 0) {
			if (s->push_err)
				fail_msg("producer: push returned %d", s->push_err);
			if (s->blocking) {
				struct timespec a, b;
				clock_gettime(CLOCK_MONOTONIC, &a);
				n = vfioiommu_ring_wait(s->r, 5000);
				clock_gettime(CLOCK_MONOTONIC, &b);
				assert_true(n >= 0);
				s->waits++;
				if (b.tv_sec - a.tv_sec >= 4)
					s->timeouts++;
			} else if (++spin % 64 == 0) {
				sched_yield();
			}
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (v[i]->seq != got || v[i]->kind != VFIOIOMMU_FAULT_PAGE_REQ || v[i]->cookie != ~got)
				fail_msg("record %u: kind %u seq %u cookie 0x%x", got, v[i]->kind, v[i]->seq,
					 v[i]->cookie);
			got++;
		}
		assert_int_equal(vfioiommu_ring_advance(s->r, (unsigned int)n), 0);
	}
	pthread_join(t, NULL);
	assert_int_equal(s->push_err, 0);
	assert_int_equal(vfioiommu_ring_error(s->r), 0);
	assert_int_equal(vfioiommu_ring_ready(s->r), 0);
}

static void test_stress_compat_1023(void **state)
{
	struct buf b = mkbuf(1023, 65536);
	struct stress s = { .total = 2000000, .batch = 0 };

	/* starts 100k records before the wrap, so the run crosses it with the zone rule in force */
	s.r = attach_at(&b, 0u - 100000u);
	run_stress(&s);
	vfioiommu_ring_destroy(s.r);
	free(b.mem);
}

static void test_stress_pow2(void **state)
{
	static const unsigned int batches[] = { 1, 16, 0 };

	for (size_t i = 0; i < 3; i++) {
		struct buf b = mkbuf(256, 0);
		struct stress s = { .total = 1000000, .batch = batches[i] };
		s.r = attach_at(&b, 0xfff00000u);
		run_stress(&s);
		vfioiommu_ring_destroy(s.r);
		free(b.mem);
	}
}

static void test_stress_reserve(void **state)
{
	static const unsigned int batches[] = { 1, 16, 0 };
	struct buf b = mkbuf(1023, 65536);
	struct stress s = { .total = 1000000, .batch = 0, .zc = true };

	for (size_t i = 0; i < 3; i++) {
		struct buf p = mkbuf(256, 0);
		struct stress t = { .total = 500000, .batch = batches[i], .zc = true };
		t.r = attach_at(&p, 0xfff80000u);
		run_stress(&t);
		vfioiommu_ring_destroy(t.r);
		free(p.mem);
	}
	/* the 64 KiB layout across the wrap, where only r = 4 records may be in flight */
	s.r = attach_at(&b, 0u - 100000u);
	run_stress(&s);
	vfioiommu_ring_destroy(s.r);
	free(b.mem);
}

static void test_stress_blocking(void **state)
{
	vfioiommu_mock *m = th_mock(NULL);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	struct stress s = { .total = 200000, .batch = 0, .blocking = true };

	assert_int_equal(vfioiommu_ring_create(ctx, 64, &s.r), 0);
	run_stress(&s);
	/* a lost wakeup would show as a wait that ran into its 5 s timeout */
	assert_int_equal(s.timeouts, 0);
	print_message("blocking stress: %u waits\n", s.waits);
	vfioiommu_ring_destroy(s.r);

	/* commit publishes with the same wakeup protocol as push */
	memset(&s, 0, sizeof(s));
	s.total = 200000;
	s.blocking = true;
	s.zc = true;
	assert_int_equal(vfioiommu_ring_create(ctx, 64, &s.r), 0);
	run_stress(&s);
	assert_int_equal(s.timeouts, 0);
	print_message("blocking stress, reserve/commit: %u waits\n", s.waits);
	vfioiommu_ring_destroy(s.r);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_layout),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_init_64k),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_full_overflow_lost),
		cmocka_unit_test(test_wrap_sizes),
		cmocka_unit_test(test_wrap_1023_zone),
		cmocka_unit_test(test_reserve_commit),
		cmocka_unit_test(test_reserve_after_lost),
		cmocka_unit_test(test_reserve_wrap),
		cmocka_unit_test(test_reserve_1023_zone),
		cmocka_unit_test(test_hostile_attach),
		cmocka_unit_test(test_hostile_prod_backwards),
		cmocka_unit_test(test_hostile_prod_ahead),
		cmocka_unit_test(test_hostile_ignored_fields),
		cmocka_unit_test(test_hostile_size),
		cmocka_unit_test(test_hostile_cons),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_create_sweep),
		cmocka_unit_test(test_stress_compat_1023),
		cmocka_unit_test(test_stress_pow2),
		cmocka_unit_test(test_stress_reserve),
		cmocka_unit_test(test_stress_blocking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
