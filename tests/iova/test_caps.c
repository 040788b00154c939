/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The capability walker and the argsz dance: hand-built chains (good,
 * pre-6.6 4-byte layout, and every way to break one), a scripted kernel for
 * the growth loop, and the mock (every argsz, hostile modes, fail-Nth).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vfioiommu/mock.h>
#include "helpers.h"
#include "iova/caps.h"
#include "backend/internal.h"
#include "core/internal.h"
#include "kabi/kabi.h"

/* ---------------- building chains by hand ---------------- */

struct chain {
	uint8_t b[2048];
	size_t len;   /* bytes used */
	size_t last;  /* offset of the last cap, 0 = none */
};

static void w32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void w64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* A type1 info header (24 bytes) with CAPS and cap_offset 0 for now. */
static void chain_init(struct chain *c, size_t fixed)
{
	memset(c, 0, sizeof(*c));
	c->len = fixed;
	w32(c->b + 4, KABI_VFIO_IOMMU_INFO_PGSIZES | KABI_VFIO_IOMMU_INFO_CAPS);
	w64(c->b + 8, 0x40201000);
}

/* Append a cap of @size bytes (rounded to @align) and link it; returns its offset. */
static size_t chain_add(struct chain *c, uint16_t id, uint16_t ver, size_t size, size_t align)
{
	size_t at = c->len;

	assert_true(at + size <= sizeof(c->b));
	c->b[at] = (uint8_t)id;
	c->b[at + 1] = (uint8_t)(id >> 8);
	c->b[at + 2] = (uint8_t)ver;
	c->b[at + 3] = (uint8_t)(ver >> 8);
	if (c->last)
		w32(c->b + c->last + 4, (uint32_t)at);
	else
		w32(c->b + 16, (uint32_t)at);
	c->last = at;
	c->len = at + ((size + align - 1) / align) * align;
	w32(c->b, (uint32_t)c->len);
	return at;
}

/* The FACTS intel layout; align 8 (6.6+) or 4 (older kernels). */
static void chain_type1(struct chain *c, size_t align)
{
	size_t at;

	chain_init(c, 24);
	at = chain_add(c, KABI_TYPE1_CAP_MIGRATION, 1, 32, align);
	w64(c->b + at + 16, 0x1000);
	w64(c->b + at + 24, 0x10000000);
	at = chain_add(c, KABI_TYPE1_CAP_DMA_AVAIL, 1, 12, align);
	w32(c->b + at + 8, 65535);
	at = chain_add(c, KABI_TYPE1_CAP_IOVA_RANGE, 1, 16 + 2 * 16, align);
	w32(c->b + at + 8, 2);
	w64(c->b + at + 16, 0);
	w64(c->b + at + 24, 0xfedfffff);
	w64(c->b + at + 32, 0xfef00000);
	w64(c->b + at + 40, 0x7fffffffff);
}

struct seen {
	unsigned int n;
	uint16_t id[80];
	uint32_t off[80];
	size_t len[80];
	int stop_at;   /* return 1 at this index (-1: never) */
	int fail_at;   /* return -EIO at this index */
};

static int record(void *arg, const struct vi_cap *cap, struct vi_err *err)
{
	struct seen *s = arg;
	unsigned int i = s->n++;

	s->id[i] = cap->id;
	s->off[i] = cap->off;
	s->len[i] = cap->len;
	if ((int)i == s->fail_at)
		return vi_errf(err, -EIO, "callback says no");
	return (int)i == s->stop_at ? 1 : 0;
}

static int walk(const struct chain *c, size_t len, uint32_t first, size_t fixed, struct seen *s,
		struct vi_err *err)
{
	memset(s, 0, sizeof(*s));
	s->stop_at = s->fail_at = -1;
	return vi_caps_walk(c->b, len, first, fixed, record, s, err);
}

static uint32_t first_of(const struct chain *c)
{
	uint32_t v;

	memcpy(&v, c->b + 16, 4);
	return v;
}

/* ---------------- the walker ---------------- */

static void walk_good_chains(void **state)
{
	struct vi_err err;
	struct chain c;
	struct seen s;

	chain_type1(&c, 8);
	assert_int_equal(c.len, 120);
	assert_int_equal(walk(&c, c.len, first_of(&c), 24, &s, &err), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.id[0], 2);
	assert_int_equal(s.off[1], 56);
	assert_int_equal(s.len[1], 16);
	assert_int_equal(s.off[2], 72);
	assert_int_equal(s.len[2], 48);
	/* older kernels: caps right after each other at 4-byte offsets */
	chain_type1(&c, 4);
	assert_int_equal(walk(&c, c.len, first_of(&c), 24, &s, &err), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.off[2], 68);
	assert_int_equal(s.len[1], 12);
	/* no caps */
	assert_int_equal(walk(&c, c.len, 0, 24, &s, &err), 0);
	assert_int_equal(s.n, 0);
	/* a callback may stop early or fail */
	memset(&s, 0, sizeof(s));
	s.stop_at = 0;
	s.fail_at = -1;
	assert_int_equal(vi_caps_walk(c.b, c.len, first_of(&c), 24, record, &s, &err), 0);
	assert_int_equal(s.n, 1);
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	s.fail_at = 1;
	assert_int_equal(vi_caps_walk(c.b, c.len, first_of(&c), 24, record, &s, &err), -EIO);
	assert_string_equal(err.msg, "callback says no");
	/* bad arguments; a NULL err is fine */
	assert_int_equal(vi_caps_walk(NULL, 10, 24, 24, record, &s, NULL), -EINVAL);
	assert_int_equal(vi_caps_walk(c.b, c.len, 24, 24, NULL, &s, &err), -EINVAL);
	assert_int_equal(vi_caps_walk(NULL, 0, 0, 24, record, &s, NULL), 0);
}

static void expect_eproto(const struct chain *c, size_t len, uint32_t first, size_t fixed,
			  const char *word)
{
	struct vi_err err = { "" };
	struct seen s;

	assert_int_equal(walk(c, len, first, fixed, &s, &err), -EPROTO);
	th_assert_msg(err.msg, "capability chain", word, NULL);
	assert_int_equal(walk(c, len, first, fixed, &s, NULL), -EPROTO);
}

static void walk_malformed(void **state)
{
	struct chain c;
	char off[16];

	/* loop back to the first cap, and a cap pointing at itself */
	chain_type1(&c, 8);
	w32(c.b + 72 + 4, 24);
	expect_eproto(&c, c.len, 24, 24, "offset 72");
	chain_type1(&c, 8);
	w32(c.b + 56 + 4, 56);
	expect_eproto(&c, c.len, 24, 24, "points back");
	/* next past the buffer; header past the buffer */
	chain_type1(&c, 8);
	w32(c.b + 72 + 4, 4096);
	expect_eproto(&c, c.len, 24, 24, "past the");
	expect_eproto(&c, c.len, 116, 24, "offset 116");
	expect_eproto(&c, c.len, UINT32_MAX - 3, 24, "runs past");
	/* misaligned first and misaligned next */
	chain_type1(&c, 8);
	expect_eproto(&c, c.len, 26, 24, "not 4-byte aligned");
	w32(c.b + 24 + 4, 58);
	expect_eproto(&c, c.len, 24, 24, "offset 58");
	/* next inside the cap's own header */
	chain_type1(&c, 8);
	w32(c.b + 24 + 4, 28);
	expect_eproto(&c, c.len, 24, 24, "header");
	/* a cap inside the fixed struct */
	chain_type1(&c, 8);
	expect_eproto(&c, c.len, 16, 24, "fixed struct");
	expect_eproto(&c, c.len, 4, 24, "fixed struct");
	/* a buffer shorter than the chain says */
	chain_type1(&c, 8);
	snprintf(off, sizeof(off), "offset %u", 56);
	expect_eproto(&c, 70, 24, 24, off);
	expect_eproto(&c, 60, 24, 24, "runs past");
}

static void walk_count_limit(void **state)
{
	struct vi_err err;
	struct chain c;
	struct seen s;

	chain_init(&c, 24);
	for (int i = 0; i < VI_CAPS_MAX; i++)
		chain_add(&c, 100, 1, 8, 8);
	assert_int_equal(walk(&c, c.len, first_of(&c), 24, &s, &err), 0);
	assert_int_equal(s.n, VI_CAPS_MAX);
	chain_add(&c, 100, 1, 8, 8);
	assert_int_equal(walk(&c, c.len, first_of(&c), 24, &s, &err), -EPROTO);
	th_assert_msg(err.msg, "more than 64", NULL);
	assert_int_equal(s.n, VI_CAPS_MAX);
}

/* Random bytes never make the walker read out of bounds or loop (ASan watches). */
static int count_only(void *arg, const struct vi_cap *cap, struct vi_err *err)
{
	unsigned int *n = arg;
	volatile uint8_t sink = 0;

	for (size_t i = 0; i < cap->len; i++)
		sink ^= cap->p[i];
	(void)sink;
	(*n)++;
	return 0;
}

static void walk_random(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 8 + (size_t)(x % 512);
		uint8_t *b = malloc(len);
		unsigned int n = 0;
		struct vi_err err;
		uint32_t first;
		int rc;

		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* small values make plausible offsets more likely */
			b[i] = (uint8_t)((x & 3) ? (x >> 8) % 128 : x >> 8);
		}
		first = (uint32_t)((x >> 20) % (len + 16));
		rc = vi_caps_walk(b, len, first, 8, count_only, &n, &err);
		assert_true(rc == 0 || rc == -EPROTO);
		assert_true(n <= VI_CAPS_MAX);
		free(b);
	}
}

/* ---------------- the type1 parser ---------------- */

static void parse_type1(void **state)
{
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	struct vfioiommu_iova_range r;
	vfioiommu_iova_list *l = NULL;
	struct vi_err err;
	struct chain c;

	for (size_t align = 4; align <= 8; align += 4) {
		chain_type1(&c, align);
		assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), 0);
		assert_int_equal(info.size, sizeof(info));
		assert_int_equal(info.flags, VFIOIOMMU_IOMMU_INFO_PGSIZES | VFIOIOMMU_IOMMU_INFO_CAPS);
		assert_int_equal(info.pgsizes, 0x40201000);
		assert_true(info.has_migration);
		assert_int_equal(info.migration_pgsizes, 0x1000);
		assert_int_equal(info.max_dirty_bitmap_size, 0x10000000);
		assert_true(info.has_dma_avail);
		assert_int_equal(info.dma_avail, 65535);
		assert_true(info.has_iova_ranges);
		assert_int_equal(info.nr_iova_ranges, 2);
		assert_int_equal(info.unknown_caps, 0);
		assert_int_equal(vfioiommu_iova_list_count(l), 2);
		assert_int_equal(vfioiommu_iova_list_source(l), VFIOIOMMU_IOVA_SRC_TYPE1_CAP);
		assert_int_equal(vfioiommu_iova_list_get(l, 1, &r), 0);
		assert_int_equal(r.start, 0xfef00000);
		assert_int_equal(r.last, 0x7fffffffff);
		vfioiommu_iova_list_free(l);
		l = NULL;
	}
	/* ranges not wanted */
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, NULL, &err), 0);
	/* no CAPS flag: no caps looked at */
	w32(c.b + 4, KABI_VFIO_IOMMU_INFO_PGSIZES);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), 0);
	assert_null(l);
	assert_false(info.has_iova_ranges);
	assert_int_equal(info.flags, VFIOIOMMU_IOMMU_INFO_PGSIZES);
	/* CAPS with cap_offset 0 (caps did not fit) in what should be a full reply */
	chain_type1(&c, 8);
	w32(c.b + 16, 0);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), -EPROTO);
	th_assert_msg(err.msg, "cap_offset is 0", NULL);
	/* too short to parse at all */
	assert_int_equal(vi_type1_parse(c.b, 12, &info, &l, &err), -EINVAL);
	assert_int_equal(vi_type1_parse(NULL, 120, &info, &l, &err), -EINVAL);
}

static void parse_type1_hostile_caps(void **state)
{
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	vfioiommu_iova_list *l = NULL;
	struct vi_err err;
	struct chain c;
	size_t at;

	/* unknown ids are skipped and counted; zero caps of known kinds is fine */
	chain_init(&c, 24);
	chain_add(&c, 77, 1, 16, 8);
	chain_add(&c, 0, 3, 8, 8);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), 0);
	assert_int_equal(info.unknown_caps, 2);
	assert_false(info.has_migration || info.has_dma_avail || info.has_iova_ranges);
	assert_null(l);
	/* truncated payloads */
	chain_init(&c, 24);
	chain_add(&c, KABI_TYPE1_CAP_MIGRATION, 1, 24, 8);
	chain_add(&c, KABI_TYPE1_CAP_DMA_AVAIL, 1, 16, 8);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), -EPROTO);
	th_assert_msg(err.msg, "MIGRATION", "offset 24", "24 bytes", NULL);
	chain_init(&c, 24);
	chain_add(&c, KABI_TYPE1_CAP_DMA_AVAIL, 1, 8, 4);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), -EPROTO);
	th_assert_msg(err.msg, "DMA_AVAIL", NULL);
	chain_init(&c, 24);
	at = chain_add(&c, KABI_TYPE1_CAP_IOVA_RANGE, 1, 16 + 16, 8);
	w32(c.b + at + 8, 2);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), -EPROTO);
	th_assert_msg(err.msg, "IOVA_RANGE", "2 ranges", NULL);
	w32(c.b + at + 8, UINT32_MAX);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), -EPROTO);
	/* newer versions: the v1 part is read; too short for v1: skipped, not fatal */
	chain_init(&c, 24);
	at = chain_add(&c, KABI_TYPE1_CAP_DMA_AVAIL, 2, 24, 8);
	w32(c.b + at + 8, 7);
	chain_add(&c, KABI_TYPE1_CAP_MIGRATION, 5, 16, 8);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), 0);
	assert_int_equal(info.newer_caps, 1);
	assert_int_equal(info.unknown_caps, 1);
	assert_int_equal(info.dma_avail, 7);
	assert_false(info.has_migration);
	/* version 0 and duplicates are malformed */
	chain_init(&c, 24);
	chain_add(&c, KABI_TYPE1_CAP_DMA_AVAIL, 0, 16, 8);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), -EPROTO);
	th_assert_msg(err.msg, "version 0", NULL);
	chain_init(&c, 24);
	chain_add(&c, KABI_TYPE1_CAP_DMA_AVAIL, 1, 16, 8);
	chain_add(&c, KABI_TYPE1_CAP_DMA_AVAIL, 1, 16, 8);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), -EPROTO);
	th_assert_msg(err.msg, "second DMA_AVAIL", NULL);
	/* ranges empty, unsorted or overlapping */
	chain_init(&c, 24);
	at = chain_add(&c, KABI_TYPE1_CAP_IOVA_RANGE, 1, 16 + 32, 8);
	w32(c.b + at + 8, 2);
	w64(c.b + at + 16, 0x2000);
	w64(c.b + at + 24, 0x1000);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), -EPROTO);
	th_assert_msg(err.msg, "IOVA range 0", NULL);
	w64(c.b + at + 16, 0x1000);
	w64(c.b + at + 24, 0x2fff);
	w64(c.b + at + 32, 0x2000);
	w64(c.b + at + 40, 0x3fff);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), -EPROTO);
	th_assert_msg(err.msg, "IOVA range 1", NULL);
	assert_null(l);
	/* an IOVA_RANGE cap with no ranges is an empty list, not "no ranges" */
	w32(c.b + at + 8, 0);
	assert_int_equal(vi_type1_parse(c.b, c.len, &info, &l, &err), 0);
	assert_true(info.has_iova_ranges);
	assert_non_null(l);
	assert_int_equal(vfioiommu_iova_list_count(l), 0);
	vfioiommu_iova_list_free(l);
}

/* ---------------- a scripted kernel for the argsz dance ---------------- */

enum script { GROW_ONCE, GROW_FOREVER, GROW_HUGE, FAIL, SCRIBBLE, DEVICE_OLD, REGION_MSIX };

struct sk {
	enum script mode;
	int calls;
	uint32_t seen_argsz[8];
	uint32_t seen_index[8];
};

static int sk_ioctl(void *priv, int fd, unsigned long req, void *arg)
{
	struct sk *k = priv;
	uint8_t *b = arg;
	uint32_t argsz, idx;

	memcpy(&argsz, b, 4);
	memcpy(&idx, b + 8, 4);
	k->seen_argsz[k->calls & 7] = argsz;
	k->seen_index[k->calls & 7] = idx;
	k->calls++;
	switch (k->mode) {
	case GROW_ONCE:
		if (argsz < 64) {
			w32(b, 64);
			return 0;
		}
		memset(b + 24, 0x5a, 40);
		return 0;
	case GROW_FOREVER:
		w32(b, argsz + 8);
		return 0;
	case GROW_HUGE:
		w32(b, 0x7fffffff);
		return 0;
	case FAIL:
		return -EIO;
	case SCRIBBLE:
		/* writes over the input field the second call needs again */
		w32(b + 8, 0xdead);
		if (argsz < 48)
			w32(b, 48);
		return 0;
	case DEVICE_OLD:
		/* a 5.x kernel: 20-byte struct, one PCI_ATOMIC_COMP cap right after it */
		w32(b + 4, KABI_VFIO_DEVICE_FLAGS_PCI | KABI_VFIO_DEVICE_FLAGS_CAPS);
		w32(b + 8, 9);
		w32(b + 12, 5);
		if (argsz < 36) {
			w32(b, 36);
			w32(b + 16, 0);
			return 0;
		}
		w32(b + 16, 20);
		w32(b + 20, 5 | (1u << 16));
		w32(b + 24, 0);
		w32(b + 28, 3);
		return 0;
	case REGION_MSIX:
		/* FACTS REGION[3]: argsz 32 grows to 40, then MSIX_MAPPABLE at 32 */
		w32(b + 4, 0xf);
		w64(b + 16, 0x4000);
		w64(b + 24, 0x30000000000ull);
		if (argsz < 40) {
			w32(b, 40);
			return 0;
		}
		w32(b + 12, 32);
		w32(b + 32, 3 | (1u << 16));
		w32(b + 36, 0);
		return 0;
	}
	return -ENOTTY;
}

static vfioiommu_ctx *sk_ctx(struct vfioiommu_door *door, struct sk *k)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .door = door };
	vfioiommu_ctx *ctx = NULL;

	memset(door, 0, sizeof(*door));
	door->name = "script";
	door->priv = k;
	door->ioctl = sk_ioctl;
	assert_int_equal(vfioiommu_ctx_new(&o, &ctx), 0);
	return ctx;
}

static void query_scripted(void **state)
{
	struct kabi_vfio_region_info fixed = { .argsz = sizeof(fixed), .index = 3 };
	struct vfioiommu_door door;
	struct sk k = { GROW_ONCE, 0, { 0 }, { 0 } };
	vfioiommu_ctx *ctx = sk_ctx(&door, &k);
	void *buf = NULL;
	size_t len = 0;

	assert_int_equal(vi_info_query(ctx, 5, KABI_VFIO_DEVICE_GET_REGION_INFO, &fixed, sizeof(fixed), 32, &buf,
				       &len), 0);
	assert_int_equal(k.calls, 2);
	assert_int_equal(len, 64);
	assert_int_equal(k.seen_argsz[1], 64);
	assert_int_equal(((uint8_t *)buf)[63], 0x5a);
	free(buf);

	k = (struct sk){ GROW_FOREVER, 0, { 0 }, { 0 } };
	assert_int_equal(vi_info_query(ctx, 5, KABI_VFIO_IOMMU_GET_INFO, &fixed, sizeof(fixed), 16, &buf, &len),
			 -EPROTO);
	assert_int_equal(k.calls, VI_INFO_MAX_CALLS);
	assert_null(buf);
	th_assert_msg(vfioiommu_strerror(ctx), "VFIO_IOMMU_GET_INFO", "grew argsz", NULL);

	k = (struct sk){ GROW_HUGE, 0, { 0 }, { 0 } };
	assert_int_equal(vi_info_query(ctx, 5, KABI_VFIO_IOMMU_GET_INFO, &fixed, sizeof(fixed), 16, &buf, &len),
			 -EPROTO);
	assert_int_equal(k.calls, 1);
	th_assert_msg(vfioiommu_strerror(ctx), "2147483647", "limit", NULL);

	k = (struct sk){ FAIL, 0, { 0 }, { 0 } };
	assert_int_equal(vi_info_query(ctx, 5, KABI_VFIO_DEVICE_GET_INFO, &fixed, sizeof(fixed), 16, &buf, &len),
			 -EIO);
	th_assert_msg(vfioiommu_strerror(ctx), "VFIO_DEVICE_GET_INFO", "EIO", NULL);

	/* every call starts from the caller's input, not from what the kernel wrote */
	k = (struct sk){ SCRIBBLE, 0, { 0 }, { 0 } };
	assert_int_equal(vi_info_query(ctx, 5, KABI_VFIO_DEVICE_GET_REGION_INFO, &fixed, sizeof(fixed), 32, &buf,
				       &len), 0);
	assert_int_equal(k.calls, 2);
	assert_int_equal(k.seen_index[0], 3);
	assert_int_equal(k.seen_index[1], 3);
	free(buf);

	/* caller bugs */
	assert_int_equal(vi_info_query(ctx, 5, KABI_VFIO_IOMMU_GET_INFO, &fixed, 8, 16, &buf, &len), -EINVAL);
	assert_int_equal(vi_info_query(ctx, 5, KABI_VFIO_IOMMU_GET_INFO, &fixed, 4, 0, &buf, &len), -EINVAL);
	assert_int_equal(vi_info_query(ctx, 5, KABI_VFIO_IOMMU_GET_INFO, NULL, 24, 16, &buf, &len), -EINVAL);
	assert_int_equal(vi_info_query(ctx, 5, KABI_VFIO_IOMMU_GET_INFO, &fixed, 24, 16, NULL, &len), -EINVAL);
	vfioiommu_ctx_destroy(ctx);
}

static int want_id(void *arg, const struct vi_cap *cap, struct vi_err *err)
{
	struct seen *s = arg;

	s->id[s->n] = cap->id;
	s->off[s->n] = cap->off;
	s->len[s->n] = cap->len;
	s->n++;
	return 0;
}

static void device_and_region_chains(void **state)
{
	struct vfioiommu_door door;
	struct sk k = { DEVICE_OLD, 0, { 0 }, { 0 } };
	vfioiommu_ctx *ctx = sk_ctx(&door, &k);
	struct vi_device_info di;
	struct vi_region_info ri;
	struct seen s = { 0 };

	/* caps at offset 20 (pre-6.6 device_info) are legal */
	assert_int_equal(vi_device_info(ctx, 5, &di, want_id, &s), 0);
	assert_int_equal(k.calls, 2);
	assert_int_equal(di.num_regions, 9);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.id[0], 5);
	assert_int_equal(s.off[0], 20);
	assert_int_equal(s.len[0], 16);
	/* without a callback the caps are not looked at */
	assert_int_equal(vi_device_info(ctx, 5, &di, NULL, NULL), 0);

	k = (struct sk){ REGION_MSIX, 0, { 0 }, { 0 } };
	memset(&s, 0, sizeof(s));
	assert_int_equal(vi_region_info(ctx, 5, 3, &ri, want_id, &s), 0);
	assert_int_equal(k.calls, 2);
	assert_int_equal(k.seen_argsz[0], 32);
	assert_int_equal(k.seen_argsz[1], 40);
	assert_int_equal(ri.size, 0x4000);
	assert_int_equal(ri.offset, 0x30000000000ull);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.id[0], KABI_REGION_CAP_MSIX_MAPPABLE);
	assert_int_equal(s.len[0], 8);
	vfioiommu_ctx_destroy(ctx);
}

/* ---------------- against the mock ---------------- */

static vfioiommu_ctx *mock_ctx(vfioiommu_mock *m)
{
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);

	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	return ctx;
}

static int container_fd_of(vfioiommu_mock *m)
{
	/* the context opened /dev/vfio/vfio first: the lowest mock fd */
	(void)m;
	return VFIOIOMMU_MOCK_FD_BASE;
}

static void mock_every_argsz(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = mock_ctx(m);
	const vfioiommu_door *d = vfioiommu_mock_door(m);
	int cfd = container_fd_of(m);

	for (uint32_t a = 0; a <= 200; a++) {
		struct vfioiommu_iommu_info info = { .size = sizeof(info) };
		vfioiommu_iova_list *l = NULL;
		uint8_t buf[256];
		struct vi_err err;
		int rc;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, &a, 4);
		rc = d->ioctl(d->priv, cfd, KABI_VFIO_IOMMU_GET_INFO, buf);
		if (a < 16) {
			assert_int_equal(rc, -EINVAL);
			continue;
		}
		assert_int_equal(rc, 0);
		/* parse what a caller with exactly a bytes got back */
		rc = vi_type1_parse(buf, a, &info, &l, &err);
		if (a < 120) {
			assert_int_equal(rc, -EPROTO);
			assert_null(l);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(vfioiommu_iova_list_count(l), 2);
			assert_int_equal(info.dma_avail, 65535);
			vfioiommu_iova_list_free(l);
		}
	}
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void mock_public_info(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	struct vfioiommu_iova_range r;
	vfioiommu_iova_list *l = (void *)1;
	struct { uint32_t size, flags; uint64_t pgsizes; } small = { sizeof(small), 0, 0 };

	/* no group yet */
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, &l), -ENODEV);
	assert_null(l);
	assert_int_equal(vfioiommu_ctx_add_group(ctx, 3), 0);
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, &l), 0);
	assert_int_equal(info.pgsizes, 0x40201000);
	assert_true(info.has_migration && info.has_dma_avail && info.has_iova_ranges);
	assert_int_equal(info.migration_pgsizes, 0x1000);
	assert_int_equal(info.max_dirty_bitmap_size, 0x10000000);
	assert_int_equal(info.dma_avail, 65535);
	assert_int_equal(info.nr_iova_ranges, 2);
	assert_int_equal(vfioiommu_iova_list_get(l, 0, &r), 0);
	assert_int_equal(r.last, 0xfedfffff);
	vfioiommu_iova_list_free(l);
	/* an older caller's shorter struct gets only its fields */
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, (struct vfioiommu_iommu_info *)(void *)&small, NULL), 0);
	assert_int_equal(small.size, sizeof(small));
	assert_int_equal(small.pgsizes, 0x40201000);
	/* the backend op gives the same list */
	assert_int_equal(vi_container_ops.iova_ranges(ctx, &l), 0);
	assert_int_equal(vfioiommu_iova_list_count(l), 2);
	vfioiommu_iova_list_free(l);
	/* bad input */
	assert_int_equal(vfioiommu_ctx_iommu_info(NULL, &info, NULL), -EINVAL);
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, NULL, NULL), -EINVAL);
	info.size = 8;
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, NULL), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "too small", NULL);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static void mock_hostile(void **state)
{
	static const struct { unsigned int flag; const char *word; } cases[] = {
		{ VFIOIOMMU_MOCK_HOSTILE_CAP_LOOP, "points back" },
		{ VFIOIOMMU_MOCK_HOSTILE_CAP_OOB, "past the" },
		{ VFIOIOMMU_MOCK_HOSTILE_CAP_MISALIGN, "not 4-byte aligned" },
		{ VFIOIOMMU_MOCK_HOSTILE_CAP_TRUNCATE, "IOVA_RANGE" },
		{ VFIOIOMMU_MOCK_HOSTILE_HUGE_ARGSZ, "argsz" },
		{ VFIOIOMMU_MOCK_HOSTILE_HUGE_COUNTS, "4294967295 ranges" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = mock_ctx(m);
		struct vfioiommu_iommu_info info = { .size = sizeof(info) };
		vfioiommu_iova_list *l = NULL;

		vfioiommu_mock_set_hostile(m, cases[i].flag);
		assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, &l), -EPROTO);
		assert_null(l);
		th_assert_msg(vfioiommu_strerror(ctx), "VFIO_IOMMU_GET_INFO", cases[i].word, NULL);
		if (cases[i].flag != VFIOIOMMU_MOCK_HOSTILE_HUGE_ARGSZ)
			th_assert_msg(vfioiommu_strerror(ctx), "offset", NULL);
		vfioiommu_mock_set_hostile(m, 0);
		assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, &l), 0);
		vfioiommu_iova_list_free(l);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
	}
}

/* iommufd's emulated container: DMA_AVAIL then IOVA_RANGE at a 4-byte offset, no MIGRATION */
static void mock_compat_container(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx;
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	vfioiommu_iova_list *l = NULL;

	assert_int_equal(vfioiommu_mock_set_feature(m, VFIOIOMMU_MOCK_CONTAINER_COMPAT, true), 0);
	ctx = mock_ctx(m);
	assert_int_equal(vfioiommu_ctx_iommu_info(ctx, &info, &l), 0);
	assert_false(info.has_migration);
	assert_int_equal(info.dma_avail, UINT32_MAX);
	assert_int_equal(vfioiommu_iova_list_count(l), 2);
	vfioiommu_iova_list_free(l);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void mock_device_info(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	vfioiommu_device *dev = NULL;
	struct vi_device_info di;
	struct seen s = { 0 };

	assert_int_equal(vfioiommu_device_open(ctx, "0000:00:03.0", &dev), 0);
	assert_int_equal(vi_device_info(ctx, vfioiommu_device_fd(dev), &di, want_id, &s), 0);
	assert_int_equal(di.flags, KABI_VFIO_DEVICE_FLAGS_PCI | KABI_VFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(di.num_regions, 9);
	assert_int_equal(di.num_irqs, 5);
	assert_int_equal(s.n, 0);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

static vfioiommu_mock *sweep_setup(void *arg)
{
	return th_mock(th_host_default);
}

static int sweep_info(vfioiommu_mock *m, void *arg)
{
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_CONTAINER);
	struct vfioiommu_iommu_info info = { .size = sizeof(info) };
	vfioiommu_iova_list *l = NULL;
	int rc = vfioiommu_ctx_add_group(ctx, 3);

	if (rc == 0)
		rc = vfioiommu_ctx_iommu_info(ctx, &info, &l);
	if (rc == 0)
		assert_int_equal(vfioiommu_iova_list_count(l), 2);
	else
		assert_null(l);
	vfioiommu_iova_list_free(l);
	if (rc == 0 && vfioiommu_mock_fault_fired(m))
		fail_msg("fault at %s fired during setup but nothing failed", vfioiommu_mock_fault_site(m));
	vfioiommu_ctx_destroy(ctx);
	/* teardown ignores failures on purpose; the sweep still checks that nothing leaked */
	if (rc == 0 && vfioiommu_mock_fault_fired(m))
		rc = -EIO;
	return rc;
}

static void mock_fail_nth(void **state)
{
	assert_true(th_sweep(sweep_setup, sweep_info, NULL, 500) > 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(walk_good_chains),
		cmocka_unit_test(walk_malformed),
		cmocka_unit_test(walk_count_limit),
		cmocka_unit_test(walk_random),
		cmocka_unit_test(parse_type1),
		cmocka_unit_test(parse_type1_hostile_caps),
		cmocka_unit_test(query_scripted),
		cmocka_unit_test(device_and_region_chains),
		cmocka_unit_test(mock_every_argsz),
		cmocka_unit_test(mock_public_info),
		cmocka_unit_test(mock_hostile),
		cmocka_unit_test(mock_compat_container),
		cmocka_unit_test(mock_device_info),
		cmocka_unit_test(mock_fail_nth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
