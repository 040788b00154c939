/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Library-chosen IOVAs suit the IOMMU's superpages: congruent to the buffer's
 * process address modulo the largest page size that fits, falling back in
 * steps when the IOVA space is fragmented, and counted when they cannot.
 * The buffers are reserved address space (MAP_NORESERVE, PROT_NONE): the mock
 * pins nothing, so a 1 GiB buffer costs no memory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "backend/internal.h"
#include "helpers.h"
#include <vfioiommu/dma.h>
#include <vfioiommu/mock.h>

#define DEV "0000:00:03.0"
#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define FIX (RW | VFIOIOMMU_DMA_FIXED_IOVA)
#define K4 0x1000ull
#define M2 0x200000ull
#define G1 0x40000000ull

static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_IOMMUFD, VFIOIOMMU_MODE_CONTAINER };

/* Address space for @len bytes at @phase past an @align boundary; base and span are for munmap. */
struct resv {
	void *base;
	size_t span;
};

static uint8_t *reserve(struct resv *r, uint64_t align, uint64_t phase, uint64_t len)
{
	uintptr_t p;

	r->span = (size_t)(align + phase + len);
	r->base = mmap(NULL, r->span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(r->base != MAP_FAILED);
	p = ((uintptr_t)r->base + (uintptr_t)(align - 1)) & ~(uintptr_t)(align - 1);
	return (uint8_t *)(p + phase);
}

static vfioiommu_ctx *open_one(vfioiommu_mock *m, enum vfioiommu_mode mode)
{
	vfioiommu_ctx *ctx = th_ctx(m, mode);
	vfioiommu_device *dev;

	if (vfioiommu_device_open(ctx, DEV, &dev) < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	return ctx;
}

static uint64_t unaligned_maps(vfioiommu_ctx *ctx)
{
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };

	assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
	return st.unaligned_maps;
}

/* The case: a 4 KiB map first, then 2 MiB and 1 GiB buffers get 2 MiB and 1 GiB IOVAs. */
static void superpage_by_default(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		struct resv r4, r2, r1;
		uint8_t *small = reserve(&r4, K4, 0, K4);
		uint8_t *b2 = reserve(&r2, M2, 0, M2);
		uint8_t *b1 = reserve(&r1, G1, 0, G1);
		uint64_t i4, i2, i1;

		assert_int_equal(vfioiommu_dma_map(ctx, small, K4, RW, &i4), 0);
		assert_int_equal(i4, K4);
		assert_int_equal(vfioiommu_dma_map(ctx, b2, M2, RW, &i2), 0);
		assert_int_equal(i2, M2);
		assert_int_equal(vfioiommu_dma_map(ctx, b1, G1, RW, &i1), 0);
		assert_int_equal(i1, G1);
		assert_int_equal(unaligned_maps(ctx), 0);
		/* the mapping is where the table says: translate finds it */
		assert_int_equal(vfioiommu_dma_translate(ctx, b1 + 5 * M2, 1, &i4), 0);
		assert_int_equal(i4, G1 + 5 * M2);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
		munmap(r4.base, r4.span);
		munmap(r2.base, r2.span);
		munmap(r1.base, r1.span);
	}
}

/* Congruent, not just aligned: a buffer 1 MiB past a 2 MiB boundary keeps that phase in IOVA space. */
static void phase_follows_the_buffer(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		struct resv r, s;
		uint8_t *b = reserve(&r, M2, 0x100000, 2 * M2);
		uint8_t *two = reserve(&s, M2, K4, M2);
		uint64_t iova;

		/* 4 MiB from 1 MiB past a boundary: the middle 2 MiB can be one IOMMU page */
		assert_int_equal(vfioiommu_dma_map(ctx, b, 2 * M2, RW, &iova), 0);
		assert_int_equal(iova & (M2 - 1), 0x100000);
		/* no 2 MiB page fits inside 2 MiB that starts 4 KiB past a boundary: lowest fit, not counted */
		assert_int_equal(vfioiommu_dma_map(ctx, two, M2, RW, &iova), 0);
		assert_int_equal(iova, 0x100000 + 2 * M2);
		assert_int_equal(unaligned_maps(ctx), 0);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
		munmap(r.base, r.span);
		munmap(s.base, s.span);
	}
}

/* A fragmented window: 1 GiB falls back to 2 MiB, 2 MiB falls back to 4 KiB, each counted once. */
static void fragmented_falls_back(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		struct resv r1, r2, rp;
		uint8_t *b1 = reserve(&r1, G1, 0, G1);
		uint8_t *b2 = reserve(&r2, M2, 0, M2);
		uint8_t *pg = reserve(&rp, K4, 0, K4);
		uint64_t iova, hole;

		/* a window of 1 GiB + 2 MiB starting at 2 MiB holds no 1 GiB-aligned GiB */
		assert_int_equal(vfioiommu_dma_map_in(ctx, b1, G1, RW, 0, M2, M2 + G1 + M2 - 1, &iova), 0);
		assert_int_equal(iova, M2);
		assert_int_equal(unaligned_maps(ctx), 1);
		/* pages at 0 and 3 MiB of a 4 MiB window: no free 2 MiB-aligned 2 MiB, only 4 KiB alignment */
		hole = 16 * G1;
		for (uint64_t at = hole; at < hole + 2 * M2; at += 3 * M2 / 2) {
			uint64_t fixed = at;
			assert_int_equal(vfioiommu_dma_map(ctx, pg, K4, FIX, &fixed), 0);
		}
		assert_int_equal(vfioiommu_dma_map_in(ctx, b2, M2, RW, 0, hole, hole + 2 * M2 - 1, &iova), 0);
		assert_int_equal(iova, hole + K4);
		assert_int_equal(unaligned_maps(ctx), 2);
		/* with room again, the default is back */
		assert_int_equal(vfioiommu_dma_unmap(ctx, iova, M2), 0);
		assert_int_equal(vfioiommu_dma_map(ctx, b2, M2, RW, &iova), 0);
		assert_int_equal(iova & (M2 - 1), 0);
		assert_int_equal(unaligned_maps(ctx), 2);
		/* an explicit alignment is the caller's choice, never counted */
		assert_int_equal(vfioiommu_dma_unmap(ctx, iova, M2), 0);
		assert_int_equal(vfioiommu_dma_map_in(ctx, b2, M2, RW, K4, hole, hole + 2 * M2 - 1, &iova), 0);
		assert_int_equal(iova, hole + K4);
		assert_int_equal(unaligned_maps(ctx), 2);
		/* no room at all: -ENOSPC, as before */
		assert_int_equal(vfioiommu_dma_map_in(ctx, b1, G1, RW, 0, hole, hole + 2 * M2 - 1, &iova), -ENOSPC);
		th_assert_msg(vfioiommu_strerror(ctx), "no free IOVA range", NULL);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
		munmap(r1.base, r1.span);
		munmap(r2.base, r2.span);
		munmap(rp.base, rp.span);
	}
}

/*
 * iommufd's page sizes: the IOAS alignment plus what GET_HW_INFO tells.
 * VT-d names them (SLLPS here: the mock's registers follow its type1
 * bitmap); AMD and virtio-iommu give no driver data, so only the alignment
 * is reported, yet the library still places IOVAs for 2 MiB and 1 GiB pages.
 */
static void iommufd_page_sizes(void **state)
{
	static const struct {
		const char *host;
		uint64_t pgsizes;
	} cases[] = {
		{ "iommu intel\npgsizes 0x40201000\ngroup 3\n  device 0000:00:03.0 vfio-pci\n", 0x40201000 },
		{ "iommu intel\npgsizes 0x201000\ngroup 3\n  device 0000:00:03.0 vfio-pci\n", 0x201000 },
		{ "iommu amd\npgsizes 0x7f7ffffff000\ngroup 3\n  device 0000:00:03.0 vfio-pci\n", 0x1000 },
		{ "iommu virtio\npgsizes 0xfffffffffffff000\ngroup 3\n  device 0000:00:03.0 vfio-pci\n", 0x1000 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vfioiommu_mock *m = th_mock(cases[i].host);
		vfioiommu_ctx *ctx = open_one(m, VFIOIOMMU_MODE_IOMMUFD);
		struct vfioiommu_dma_stats st = { .size = sizeof(st) };
		struct resv r;
		uint8_t *b = reserve(&r, M2, 0, M2);
		uint64_t iova;

		assert_int_equal(vfioiommu_dma_map(ctx, b, M2, RW, &iova), 0);
		assert_int_equal(iova & (M2 - 1), 0);
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		if (st.pgsizes != cases[i].pgsizes)
			fail_msg("case %zu: pgsizes 0x%llx, want 0x%llx", i, (unsigned long long)st.pgsizes,
				 (unsigned long long)cases[i].pgsizes);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
		munmap(r.base, r.span);
	}
}

/* The decoder behind the VT-d case: second stage (SLLPS) or a scalable-mode first stage. */
static void vtd_decode(void **state)
{
	(void)state;
	/* QEMU's intel-iommu (tests/vm/FACTS.md): legacy mode, SLLPS 2M|1G */
	assert_int_equal(vi_vtd_pgsizes(0x00d2008c22260286ull, 0xf00f4aull), 0x40200000ull);
	assert_int_equal(vi_vtd_pgsizes(0xfull << 34, 0), (1ull << 21) | (1ull << 30) | (1ull << 39) | (1ull << 40));
	assert_int_equal(vi_vtd_pgsizes(0, 0), 0);
	/* SMTS + FLTS: the first stage: 2 MiB always, 1 GiB with FL1GP (cap bit 56) */
	assert_int_equal(vi_vtd_pgsizes(0xfull << 34, (1ull << 43) | (1ull << 47)), 1ull << 21);
	assert_int_equal(vi_vtd_pgsizes(1ull << 56, (1ull << 43) | (1ull << 47)), (1ull << 21) | (1ull << 30));
	/* SMTS without FLTS pages on the second stage */
	assert_int_equal(vi_vtd_pgsizes(1ull << 34, 1ull << 43), 1ull << 21);
}

/* A caller built before unaligned_maps existed passes the shorter struct and gets what it knows. */
static void stats_old_size(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = open_one(m, VFIOIOMMU_MODE_IOMMUFD);
	struct vfioiommu_dma_stats st;
	const uint32_t v1 = offsetof(struct vfioiommu_dma_stats, unaligned_maps);

	(void)state;
	memset(&st, 0xee, sizeof(st));
	st.size = v1;
	assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
	assert_int_equal(st.size, v1);
	assert_int_equal(st.pgsizes, 0x40201000ull);
	assert_int_equal(st.unaligned_maps, 0xeeeeeeeeeeeeeeeeull);
	st.size = v1 - 1;
	assert_int_equal(vfioiommu_dma_stats(ctx, &st), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "too small", NULL);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(superpage_by_default),
		cmocka_unit_test(phase_follows_the_buffer),
		cmocka_unit_test(fragmented_falls_back),
		cmocka_unit_test(iommufd_page_sizes),
		cmocka_unit_test(vtd_decode),
		cmocka_unit_test(stats_old_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
