/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* DMA: the same errno meaning on every backend, checked on the mock kernel. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "backend/internal.h"
#include "helpers.h"
#include <vfioiommu/dma.h>
#include <vfioiommu/iommufd.h>
#include <vfioiommu/mock.h>

#include "core/internal.h"
#include "kabi/kabi.h"

#define DEV "0000:00:03.0"
#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define FIX (RW | VFIOIOMMU_DMA_FIXED_IOVA)
#define PG 4096ULL

static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_IOMMUFD, VFIOIOMMU_MODE_CONTAINER };

static void *buf_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

static vfioiommu_ctx *open_one(vfioiommu_mock *m, enum vfioiommu_mode mode)
{
	vfioiommu_ctx *ctx = th_ctx(m, mode);
	vfioiommu_device *dev;

	if (vfioiommu_device_open(ctx, DEV, &dev) < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	return ctx;
}

static void before_attach(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = th_ctx(m, VFIOIOMMU_MODE_AUTO);
	uint64_t iova = 0;
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };

	assert_int_equal(vfioiommu_dma_map(ctx, (void *)0x10000, PG, RW, &iova), -ENODEV);
	th_assert_msg(vfioiommu_strerror(ctx), "nothing to map into", NULL);
	assert_int_equal(vfioiommu_dma_stats(ctx, &st), -ENODEV);
	assert_int_equal(vfioiommu_dma_translate(ctx, (void *)0x10000, 1, &iova), -ENOENT);
	assert_int_equal(vfioiommu_dma_map(NULL, (void *)0x10000, PG, RW, &iova), -EINVAL);
	assert_int_equal(vfioiommu_dma_unmap(NULL, 0, PG), -EINVAL);
	assert_int_equal(vfioiommu_dma_stats(ctx, NULL), -EINVAL);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

static void errno_table(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		char *buf = buf_alloc(16 * PG);
		uint64_t iova, a, b;
		struct vfioiommu_dma_stats st = { .size = sizeof(st) };

		/* allocation: lowest page-aligned IOVA inside the usable ranges */
		assert_int_equal(vfioiommu_dma_map(ctx, buf, 2 * PG, RW, &a), 0);
		assert_int_equal(a % PG, 0);
		assert_int_equal(vfioiommu_dma_map(ctx, buf + 2 * PG, PG, VFIOIOMMU_DMA_READ, &b), 0);
		assert_int_equal(b, a + 2 * PG);
		/* overlap */
		iova = a + PG;
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), -EEXIST);
		th_assert_msg(vfioiommu_strerror(ctx), "overlaps", NULL);
		/* outside the ranges: the MSI window, and above the 39-bit aperture */
		iova = 0xfee00000;
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), -ERANGE);
		th_assert_msg(vfioiommu_strerror(ctx), "nearest usable range", "[0x0, 0xfedfffff]", NULL);
		iova = 1ULL << 39;
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), -ERANGE);
		iova = 0xfedff000; /* straddles the start of the window */
		assert_int_equal(vfioiommu_dma_map(ctx, buf, 2 * PG, FIX, &iova), -ERANGE);
		/* page size, flags, length */
		iova = 0x100000;
		assert_int_equal(vfioiommu_dma_map(ctx, buf + 1, PG, FIX, &iova), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "page size", "4K", NULL);
		/* type1 reports every page size; iommufd only the alignment it needs */
		if (modes[k] == VFIOIOMMU_MODE_CONTAINER)
			th_assert_msg(vfioiommu_strerror(ctx), "2M", "1G", NULL);
		iova = 0x100800;
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), -EINVAL);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, VFIOIOMMU_DMA_FIXED_IOVA, &iova), -EINVAL);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, 0, RW, &iova), -EINVAL);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, 0x80, &iova), -EINVAL);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, RW, NULL), -EINVAL);
		/* translate */
		assert_int_equal(vfioiommu_dma_translate(ctx, buf + PG + 5, 10, &iova), 0);
		assert_int_equal(iova, a + PG + 5);
		assert_int_equal(vfioiommu_dma_translate(ctx, buf + 8 * PG, 1, &iova), -ENOENT);
		/* unmap: nothing, partial, whole */
		assert_int_equal(vfioiommu_dma_unmap(ctx, 0x40000000, PG), -ENOENT);
		th_assert_msg(vfioiommu_strerror(ctx), "nothing is mapped", NULL);
		assert_int_equal(vfioiommu_dma_unmap(ctx, a, PG), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "partial unmap", NULL);
		assert_int_equal(vfioiommu_dma_unmap(ctx, a + PG, 2 * PG), -EINVAL);
		/* misaligned: refused before the kernel on every backend, with map's words (#20) */
		assert_int_equal(vfioiommu_dma_unmap(ctx, a, 3 * PG + 1), -EINVAL);
		th_assert_msg(vfioiommu_strerror(ctx), "must be multiples of the IOMMU page size", "4K", NULL);
		assert_int_equal(vfioiommu_dma_unmap(ctx, a + 0x800, PG), -EINVAL);
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 2);
		assert_int_equal(st.mapped_bytes, 3 * PG);
		/* iommufd: the IOAS alignment plus the sizes VT-d's SLLPS names (GET_HW_INFO), as type1 says */
		assert_int_equal(st.pgsizes, 0x40201000ULL);
		assert_int_equal(vfioiommu_dma_unmap(ctx, a, 3 * PG), 0);
		assert_int_equal(vfioiommu_dma_unmap_at(ctx, a), -ENOENT);
		/* freed IOVA space is recycled */
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, RW, &iova), 0);
		assert_int_equal(iova, a);
		assert_int_equal(vfioiommu_dma_unmap_at(ctx, iova), 0);
		/* window and alignment */
		assert_int_equal(vfioiommu_dma_map_in(ctx, buf, PG, RW, 1 << 21, 0x100000000ULL, 0x1ffffffffULL, &iova),
				 0);
		assert_int_equal(iova, 0x100000000ULL);
		assert_int_equal(vfioiommu_dma_map_in(ctx, buf, PG, RW, 3, 0, UINT64_MAX, &iova), -EINVAL);
		assert_int_equal(vfioiommu_dma_map_in(ctx, buf, PG, FIX, 0, 0, UINT64_MAX, &iova), -EINVAL);
		assert_int_equal(vfioiommu_dma_map_in(ctx, buf, 2 * PG, RW, 0, 0xfee00000, 0xfee01fff, &iova),
				 -ENOSPC);
		assert_int_equal(vfioiommu_dma_unmap_all(ctx), 0);
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 0);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
		munmap(buf, 16 * PG);
	}
}

static void type1_limit_is_enospc(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx;
	char *buf = buf_alloc(4 * PG);
	uint64_t iova, fixed;
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };

	vfioiommu_mock_set_dma_limit(m, 2);
	ctx = open_one(m, VFIOIOMMU_MODE_CONTAINER);
	assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
	assert_int_equal(st.dma_avail, 2);
	assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, RW, &iova), 0);
	assert_int_equal(vfioiommu_dma_map(ctx, buf + PG, PG, RW, &iova), 0);
	assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
	assert_int_equal(st.dma_avail, 0);
	assert_int_equal(vfioiommu_dma_map(ctx, buf + 2 * PG, PG, RW, &iova), -ENOSPC);
	th_assert_msg(vfioiommu_strerror(ctx), "dma_entry_limit", "2 live", NULL);
	/* bad arguments are still said first, as before the limit */
	assert_int_equal(vfioiommu_dma_map(ctx, buf + 1, PG, RW, &iova), -EINVAL);
	th_assert_msg(vfioiommu_strerror(ctx), "page size", NULL);
	fixed = 0x100000;
	assert_int_equal(vfioiommu_dma_map(ctx, buf + 2 * PG, PG, FIX, &fixed), -ENOSPC);
	assert_int_equal(vfioiommu_dma_unmap_at(ctx, iova), 0);
	assert_int_equal(vfioiommu_dma_map(ctx, buf + 2 * PG, PG, RW, &iova), 0);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
	munmap(buf, 4 * PG);
}

static void iommufd_only_map_file(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = open_one(m, VFIOIOMMU_MODE_CONTAINER);
	uint64_t iova;

	assert_int_equal(vfioiommu_dma_map_file(ctx, 0, 0, PG, RW, &iova), -EOPNOTSUPP);
	th_assert_msg(vfioiommu_strerror(ctx), "iommufd", NULL);
	assert_int_equal(vfioiommu_dma_map_file(ctx, -1, 0, PG, RW, &iova), -EBADF);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(m);
}

/* ---- random map/unmap/translate checked against a brute-force model ---- */

struct model_map {
	uint64_t iova, len;
	char *va;
};

static void random_against_model(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		enum { NPG = 64, MAXM = 200 };
		char *buf = buf_alloc(NPG * PG);
		struct model_map mm[MAXM];
		size_t n = 0;
		unsigned int seed = 12345;

		for (int step = 0; step < 3000; step++) {
			unsigned int r = rand_r(&seed);
			if (n < MAXM && (r % 3 || n == 0)) {
				/* map: any page range of the buffer, possibly one already mapped elsewhere */
				size_t first = rand_r(&seed) % NPG, npg = 1 + rand_r(&seed) % 4;
				uint64_t iova;
				if (first + npg > NPG)
					npg = NPG - first;
				if (vfioiommu_dma_map(ctx, buf + first * PG, npg * PG, RW, &iova) != 0)
					fail_msg("map: %s", vfioiommu_strerror(ctx));
				mm[n++] = (struct model_map){ iova, npg * PG, buf + first * PG };
			} else {
				size_t v = rand_r(&seed) % n;
				assert_int_equal(vfioiommu_dma_unmap(ctx, mm[v].iova, mm[v].len), 0);
				mm[v] = mm[--n];
			}
			/* translate a random byte: found iff some model mapping holds it, at a matching IOVA */
			char *p = buf + rand_r(&seed) % (NPG * PG);
			uint64_t iova;
			int rc = vfioiommu_dma_translate(ctx, p, 1, &iova);
			bool held = false, match = false;
			for (size_t i = 0; i < n; i++) {
				if (p >= mm[i].va && p < mm[i].va + mm[i].len) {
					held = true;
					if (rc == 0 && iova == mm[i].iova + (uint64_t)(p - mm[i].va))
						match = true;
				}
			}
			assert_int_equal(rc == 0, held);
			if (held)
				assert_true(match);
		}
		vfioiommu_ctx_destroy(ctx);
		vfioiommu_mock_destroy(m);
		munmap(buf, NPG * PG);
	}
}

/* ---- 8 threads mapping, translating and unmapping their own buffers at once ---- */

struct worker {
	vfioiommu_ctx *ctx;
	char *buf;
	int errors;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int round = 0; round < 200; round++) {
		uint64_t iova[4], t;
		for (int i = 0; i < 4; i++)
			if (vfioiommu_dma_map(w->ctx, w->buf + (size_t)i * PG, PG, RW, &iova[i]) < 0)
				w->errors++;
		for (int i = 0; i < 4; i++)
			if (vfioiommu_dma_translate(w->ctx, w->buf + (size_t)i * PG + 7, 1, &t) < 0 || t != iova[i] + 7)
				w->errors++;
		for (int i = 0; i < 4; i++)
			if (vfioiommu_dma_unmap_at(w->ctx, iova[i]) < 0)
				w->errors++;
	}
	return NULL;
}

static void eight_threads(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		struct worker w[8];
		pthread_t t[8];
		struct vfioiommu_dma_stats st = { .size = sizeof(st) };
		char *buf = buf_alloc(8 * 4 * PG);

		for (int i = 0; i < 8; i++) {
			w[i] = (struct worker){ ctx, buf + (size_t)i * 4 * PG, 0 };
			assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
		}
		for (int i = 0; i < 8; i++) {
			pthread_join(t[i], NULL);
			assert_int_equal(w[i].errors, 0);
		}
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 0);
		vfioiommu_ctx_destroy(ctx);
		vfioiommu_mock_destroy(m);
		munmap(buf, 8 * 4 * PG);
	}
}

/* ---- mappings made or removed through the raw fds: the kernel is the judge ---- */

static int raw_ioctl(vfioiommu_mock *m, int fd, unsigned long req, void *arg)
{
	const vfioiommu_door *door = vfioiommu_mock_door(m);

	return door->ioctl(door->priv, fd, req, arg);
}

static int raw_map(vfioiommu_mock *m, vfioiommu_ctx *ctx, enum vfioiommu_mode mode, void *va, uint64_t iova,
		   uint64_t len)
{
	if (mode == VFIOIOMMU_MODE_CONTAINER) {
		struct kabi_vfio_dma_map mp = { .argsz = sizeof(mp), .vaddr = (uintptr_t)va, .iova = iova, .size = len,
						.flags = KABI_VFIO_DMA_MAP_FLAG_READ | KABI_VFIO_DMA_MAP_FLAG_WRITE };
		return raw_ioctl(m, vi_container_fd(ctx), KABI_VFIO_IOMMU_MAP_DMA, &mp);
	}
	struct kabi_iommu_ioas_map mp = { .size = sizeof(mp), .user_va = (uintptr_t)va, .iova = iova, .length = len,
					  .flags = KABI_IOMMU_IOAS_MAP_FIXED_IOVA | KABI_IOMMU_IOAS_MAP_READABLE };
	assert_int_equal(vfioiommu_ctx_ioas_id(ctx, &mp.ioas_id), 0);
	return raw_ioctl(m, vfioiommu_ctx_iommufd_fd(ctx), KABI_IOMMU_IOAS_MAP, &mp);
}

static int raw_unmap(vfioiommu_mock *m, vfioiommu_ctx *ctx, enum vfioiommu_mode mode, uint64_t iova, uint64_t len)
{
	if (mode == VFIOIOMMU_MODE_CONTAINER) {
		struct kabi_vfio_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = len };
		return raw_ioctl(m, vi_container_fd(ctx), KABI_VFIO_IOMMU_UNMAP_DMA, &u);
	}
	struct kabi_iommu_ioas_unmap u = { .size = sizeof(u), .iova = iova, .length = len };
	assert_int_equal(vfioiommu_ctx_ioas_id(ctx, &u.ioas_id), 0);
	return raw_ioctl(m, vfioiommu_ctx_iommufd_fd(ctx), KABI_IOMMU_IOAS_UNMAP, &u);
}

static void behind_the_back(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		char *buf = buf_alloc(4 * PG);
		struct vfioiommu_dma_stats st = { .size = sizeof(st) };
		uint64_t iova = 0x200000;

		/* a mapping the library does not know: the kernel's EEXIST, said as such */
		assert_int_equal(raw_map(m, ctx, modes[k], buf, 0x200000, 2 * PG), 0);
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), -EEXIST);
		th_assert_msg(vfioiommu_strerror(ctx), "outside the library", NULL);
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 0);
		assert_int_equal(raw_unmap(m, ctx, modes[k], 0x200000, 2 * PG), 0);
		/* a mapping of the library removed behind its back: the kernel unmaps nothing */
		iova = 0x300000;
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), 0);
		assert_int_equal(raw_unmap(m, ctx, modes[k], 0x300000, PG), 0);
		if (modes[k] == VFIOIOMMU_MODE_CONTAINER) {
			/* type1 says "0 bytes" */
			assert_int_equal(vfioiommu_dma_unmap(ctx, 0x300000, PG), -EIO);
			th_assert_msg(vfioiommu_strerror(ctx), "behind its back", NULL);
		} else {
			/* iommufd says ENOENT for a specific range with nothing in it */
			assert_int_equal(vfioiommu_dma_unmap_at(ctx, 0x300000), -ENOENT);
			th_assert_msg(vfioiommu_strerror(ctx), "kernel refused to unmap", NULL);
		}
		/* the table keeps it (the library cannot know better); unmap_all clears both */
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 1);
		assert_int_equal(vfioiommu_dma_unmap_all(ctx), 0);
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 0);
		vfioiommu_ctx_destroy(ctx);
		vfioiommu_mock_destroy(m);
		munmap(buf, 4 * PG);
	}
}

/* ---- the ranges follow devices coming and going (re-read on the next map) ---- */

/* group 9 reserves [1 GiB, 1.25 GiB): attaching it narrows the usable ranges */
static const char host_narrowing[] =
	"address-width 39\n"
	"pgsizes 0x40201000\n"
	"group 3\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:03.0 vfio-pci\n"
	"group 9\n"
	"  resv 0x40000000 0x4fffffff reserved\n"
	"  resv 0xfee00000 0xfeefffff msi\n"
	"  device 0000:00:09.0 vfio-pci\n";

#define HOLE 0x40000000ULL

static void ranges_follow_devices(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(host_narrowing);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		vfioiommu_device *dev9;
		char *buf = buf_alloc(4 * PG);
		struct vfioiommu_dma_stats st = { .size = sizeof(st) };
		uint64_t iova = HOLE, t;

		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), 0);
		assert_int_equal(vfioiommu_dma_unmap(ctx, HOLE, PG), 0);
		/* a mapping elsewhere lives through the device changes */
		iova = 0x100000;
		assert_int_equal(vfioiommu_dma_map(ctx, buf + PG, PG, FIX, &iova), 0);
		assert_int_equal(vfioiommu_device_open(ctx, "0000:00:09.0", &dev9), 0);
		iova = HOLE;
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), -ERANGE);
		th_assert_msg(vfioiommu_strerror(ctx), "nearest usable range", "[0x0, 0x3fffffff]", NULL);
		/* refused before or by the kernel, nothing was recorded */
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 1);
		assert_int_equal(vfioiommu_dma_translate(ctx, buf, 1, &t), -ENOENT);
		assert_int_equal(vfioiommu_dma_translate(ctx, buf + PG, 1, &t), 0);
		assert_int_equal(t, 0x100000);
		/* the allocator, built now, avoids the hole too */
		assert_int_equal(vfioiommu_dma_map_in(ctx, buf, PG, RW, 0, HOLE, HOLE + 0x10000000ULL, &iova),
				 -ENOSPC);
		vfioiommu_device_close(dev9);
		iova = HOLE;
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, FIX, &iova), 0);
		assert_int_equal(vfioiommu_dma_translate(ctx, buf + 5, 1, &t), 0);
		assert_int_equal(t, HOLE + 5);
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 2);
		assert_int_equal(vfioiommu_dma_unmap_at(ctx, HOLE), 0);
		assert_int_equal(vfioiommu_dma_unmap_at(ctx, 0x100000), 0);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
		munmap(buf, 4 * PG);
	}
}

/* ---- translate's index is built by the first translate, then kept ---- */

static void index_built_late(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		enum { N = 300 }; /* past the table's first growth (64) while no index exists */
		char *buf = buf_alloc(N * PG);
		uint64_t iova[N], twice, t;
		struct vfioiommu_dma_stats st = { .size = sizeof(st) };

		for (int i = 0; i < N; i++)
			assert_int_equal(vfioiommu_dma_map(ctx, buf + (size_t)i * PG, PG, RW, &iova[i]), 0);
		/* one buffer mapped twice: translate finds one of the two */
		assert_int_equal(vfioiommu_dma_map(ctx, buf, PG, RW, &twice), 0);
		for (int i = 0; i < N; i++) {
			assert_int_equal(vfioiommu_dma_translate(ctx, buf + (size_t)i * PG + 9, 1, &t), 0);
			if (i == 0)
				assert_true(t == iova[0] + 9 || t == twice + 9);
			else
				assert_int_equal(t, iova[i] + 9);
		}
		assert_int_equal(vfioiommu_dma_unmap_at(ctx, iova[0]), 0);
		assert_int_equal(vfioiommu_dma_translate(ctx, buf + 9, 1, &t), 0);
		assert_int_equal(t, twice + 9);
		assert_int_equal(vfioiommu_dma_unmap_at(ctx, twice), 0);
		assert_int_equal(vfioiommu_dma_translate(ctx, buf + 9, 1, &t), -ENOENT);
		/* every other mapping goes, then comes back: the index follows, growth included */
		for (int i = 1; i < N; i += 2)
			assert_int_equal(vfioiommu_dma_unmap_at(ctx, iova[i]), 0);
		for (int i = 1; i < N; i++) {
			int rc = vfioiommu_dma_translate(ctx, buf + (size_t)i * PG, PG, &t);
			assert_int_equal(rc, i % 2 ? -ENOENT : 0);
			if (rc == 0)
				assert_int_equal(t, iova[i]);
		}
		for (int i = 1; i < N; i += 2)
			assert_int_equal(vfioiommu_dma_map(ctx, buf + (size_t)i * PG, PG, RW, &iova[i]), 0);
		for (int i = 0; i < N; i++)
			assert_int_equal(vfioiommu_dma_map(ctx, buf + (size_t)i * PG, PG, RW, &t), 0);
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 2 * N - 1);
		for (int i = 1; i < N; i++) {
			assert_int_equal(vfioiommu_dma_translate(ctx, buf + (size_t)i * PG + 1, 2, &t), 0);
			assert_int_equal(t & (PG - 1), 1);
		}
		assert_int_equal(vfioiommu_dma_unmap_all(ctx), 0);
		assert_int_equal(vfioiommu_dma_translate(ctx, buf + PG, 1, &t), -ENOENT);
		vfioiommu_ctx_destroy(ctx);
		vfioiommu_mock_destroy(m);
		munmap(buf, N * PG);
	}
}

/* ---- devices coming and going while other threads map, unmap and translate ---- */

struct churn {
	vfioiommu_ctx *ctx;
	char *buf;
	uint64_t base;
	atomic_int *stop;
	int errors;
};

static void *churn_worker(void *arg)
{
	struct churn *c = arg;

	while (!atomic_load(c->stop)) {
		uint64_t iova = c->base, t;
		if (vfioiommu_dma_map(c->ctx, c->buf, 2 * PG, FIX, &iova) < 0)
			c->errors++;
		if (vfioiommu_dma_translate(c->ctx, c->buf + PG + 1, 1, &t) < 0 || t != c->base + PG + 1)
			c->errors++;
		if (vfioiommu_dma_unmap(c->ctx, c->base, 2 * PG) < 0)
			c->errors++;
	}
	return NULL;
}

static void device_churn(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(host_narrowing);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		atomic_int stop = 0;
		struct churn c[4];
		pthread_t t[4];
		char *buf = buf_alloc(4 * 2 * PG);
		struct vfioiommu_dma_stats st = { .size = sizeof(st) };

		for (int i = 0; i < 4; i++) {
			/* below the hole group 9 brings: every map stays valid whatever is attached */
			c[i] = (struct churn){ ctx, buf + (size_t)i * 2 * PG, 0x100000 + (uint64_t)i * 0x10000,
					       &stop, 0 };
			assert_int_equal(pthread_create(&t[i], NULL, churn_worker, &c[i]), 0);
		}
		for (int round = 0; round < 40; round++) {
			vfioiommu_device *dev9;
			assert_int_equal(vfioiommu_device_open(ctx, "0000:00:09.0", &dev9), 0);
			assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
			vfioiommu_device_close(dev9);
		}
		atomic_store(&stop, 1);
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], NULL);
			assert_int_equal(c[i].errors, 0);
		}
		assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
		assert_int_equal(st.mappings, 0);
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
		munmap(buf, 4 * 2 * PG);
	}
}

/* ---- fail-Nth over open + map + translate + unmap + teardown ---- */

static vfioiommu_mock *setup(void *arg)
{
	return th_mock(th_host_default);
}

static int body(vfioiommu_mock *m, void *arg)
{
	enum vfioiommu_mode mode = *(enum vfioiommu_mode *)arg;
	vfioiommu_ctx *ctx = th_ctx(m, mode);
	vfioiommu_device *dev;
	static char buf[2 * 4096] __attribute__((aligned(4096)));
	uint64_t a = 0, b = 0x200000, t;
	int rc = vfioiommu_device_open(ctx, DEV, &dev);

	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, PG, RW, &a);
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf + PG, PG, FIX, &b);
	if (rc == 0)
		rc = vfioiommu_dma_translate(ctx, buf + PG, PG, &t);
	if (rc == 0 && t != b)
		rc = -EPROTO;
	if (rc == 0)
		rc = vfioiommu_dma_unmap_at(ctx, a);
	if (rc == 0)
		rc = vfioiommu_dma_unmap_all(ctx);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

/* device changes between maps (ranges re-read), translate after the maps (index built late) */
static vfioiommu_mock *setup_narrowing(void *arg)
{
	return th_mock(host_narrowing);
}

static int body_devices(vfioiommu_mock *m, void *arg)
{
	enum vfioiommu_mode mode = *(enum vfioiommu_mode *)arg;
	vfioiommu_ctx *ctx = th_ctx(m, mode);
	vfioiommu_device *dev, *dev9 = NULL;
	static char buf[3 * 4096] __attribute__((aligned(4096)));
	uint64_t a = 0x100000, b = 0, c = HOLE, t = 0;
	int rc = vfioiommu_device_open(ctx, DEV, &dev);

	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf, PG, FIX, &a);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, "0000:00:09.0", &dev9);
	if (rc == 0)
		rc = vfioiommu_dma_map(ctx, buf + PG, PG, RW, &b);
	if (rc == 0 && vfioiommu_dma_map(ctx, buf + 2 * PG, PG, FIX, &c) != -ERANGE)
		rc = -EPROTO;
	if (rc == 0)
		rc = vfioiommu_dma_translate(ctx, buf + PG, 1, &t);
	if (rc == 0 && t != b)
		rc = -EPROTO;
	if (rc == 0) {
		vfioiommu_device_close(dev9);
		dev9 = NULL;
		rc = vfioiommu_dma_map(ctx, buf + 2 * PG, PG, FIX, &c);
	}
	if (rc == 0)
		rc = vfioiommu_dma_unmap(ctx, a, PG);
	if (rc == 0)
		rc = vfioiommu_dma_unmap_all(ctx);
	vfioiommu_ctx_destroy(ctx);
	return rc;
}

static void fail_nth(void **state)
{
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		enum vfioiommu_mode mode = modes[k];
		assert_true(th_sweep(setup, body, &mode, 500) >= 10);
		assert_true(th_sweep(setup_narrowing, body_devices, &mode, 500) >= 10);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(before_attach),
		cmocka_unit_test(errno_table),
		cmocka_unit_test(type1_limit_is_enospc),
		cmocka_unit_test(iommufd_only_map_file),
		cmocka_unit_test(random_against_model),
		cmocka_unit_test(eight_threads),
		cmocka_unit_test(behind_the_back),
		cmocka_unit_test(ranges_follow_devices),
		cmocka_unit_test(index_built_late),
		cmocka_unit_test(device_churn),
		cmocka_unit_test(fail_nth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
