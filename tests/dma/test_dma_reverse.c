/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Reverse translation (IOVA -> process address) against a model, on both backends. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/internal.h"
#include "kabi/kabi.h"
#include "helpers.h"
#include <vfioiommu/dma.h>
#include <vfioiommu/mock.h>

#define DEV "0000:00:03.0"
#define RW (VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE)
#define FIX (RW | VFIOIOMMU_DMA_FIXED_IOVA)
#define PG 4096ull
#define NBUF 96

static const enum vfioiommu_mode modes[] = { VFIOIOMMU_MODE_IOMMUFD, VFIOIOMMU_MODE_CONTAINER };

static vfioiommu_ctx *open_one(vfioiommu_mock *m, enum vfioiommu_mode mode)
{
	vfioiommu_ctx *ctx = th_ctx(m, mode);
	vfioiommu_device *dev;

	if (vfioiommu_device_open(ctx, DEV, &dev) < 0)
		fail_msg("%s", vfioiommu_strerror(ctx));
	return ctx;
}

/* Random maps (library and fixed IOVAs, one buffer mapped twice) and unmaps; every IOVA checked both ways. */
static void against_model(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		vfioiommu_mock *m = th_mock(th_host_default);
		vfioiommu_ctx *ctx = open_one(m, modes[k]);
		uint8_t *mem = mmap(NULL, NBUF * 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		struct { uint64_t iova, len; uint8_t *va; bool live; } mp[NBUF] = { { 0 } };
		unsigned int seed = 18;

		assert_true(mem != MAP_FAILED);
		for (int op = 0; op < 1500; op++) {
			size_t i = (size_t)rand_r(&seed) % NBUF;
			void *v;

			if (mp[i].live) {
				assert_int_equal(vfioiommu_dma_unmap_at(ctx, mp[i].iova), 0);
				assert_int_equal(vfioiommu_dma_translate_iova(ctx, mp[i].iova, 1, &v), -ENOENT);
				mp[i].live = false;
				continue;
			}
			mp[i].len = (1 + (uint64_t)rand_r(&seed) % 4) * PG;
			/* every 7th map reuses buffer 0: one process address behind several IOVAs */
			mp[i].va = op % 7 ? mem + i * 4 * PG : mem;
			if (op % 3) {
				assert_int_equal(vfioiommu_dma_map(ctx, mp[i].va, mp[i].len, RW, &mp[i].iova), 0);
			} else {
				mp[i].iova = 0x100000000ull + i * 0x10000;
				assert_int_equal(vfioiommu_dma_map(ctx, mp[i].va, mp[i].len, FIX, &mp[i].iova), 0);
			}
			mp[i].live = true;
			for (size_t j = 0; j < NBUF; j++) {
				uint64_t back;

				if (!mp[j].live)
					continue;
				assert_int_equal(vfioiommu_dma_translate_iova(ctx, mp[j].iova + mp[j].len - 1, 1, &v), 0);
				assert_ptr_equal(v, mp[j].va + mp[j].len - 1);
				assert_int_equal(vfioiommu_dma_translate_iova(ctx, mp[j].iova, mp[j].len, &v), 0);
				assert_ptr_equal(v, mp[j].va);
				assert_int_equal(vfioiommu_dma_translate_iova(ctx, mp[j].iova, mp[j].len + 1, &v), -ENOENT);
				/* the round trip: forward of the reverse lands in some mapping of that address */
				assert_int_equal(vfioiommu_dma_translate(ctx, v, 1, &back), 0);
			}
		}
		vfioiommu_ctx_destroy(ctx);
		th_mock_done(m);
		munmap(mem, NBUF * 4 * PG);
	}
}

/* A file mapping has an IOVA but no process address; everything unmapped answers -ENOENT again. */
static void file_and_unmap_all(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = open_one(m, VFIOIOMMU_MODE_IOMMUFD);
	uint64_t iova;
	void *v;
	int fd = ctx->door->memfd(ctx->door->priv, "t", 0, 0x4000);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(vfioiommu_dma_map_file(ctx, fd, 0, 0x4000, RW, &iova), 0);
	assert_int_equal(vfioiommu_dma_translate_iova(ctx, iova + 0x1000, 1, &v), -ENXIO);
	th_assert_msg(vfioiommu_strerror(ctx), "mapped from a file", "no process address", NULL);
	assert_int_equal(vfioiommu_dma_unmap_all(ctx), 0);
	assert_int_equal(vfioiommu_dma_translate_iova(ctx, iova, 1, &v), -ENOENT);
	th_assert_msg(vfioiommu_strerror(ctx), "not inside one DMA mapping", NULL);
	ctx->door->close(ctx->door->priv, fd);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

/* A dma-buf whose exporter revoked it: MAP_FILE says ENODEV (FACTS section 7); the message says so. */
static void revoked_file(void **state)
{
	vfioiommu_mock *m = th_mock(th_host_default);
	vfioiommu_ctx *ctx = open_one(m, VFIOIOMMU_MODE_IOMMUFD);
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	uint64_t iova = 0;
	int fd = ctx->door->memfd(ctx->door->priv, "t", 0, 0x4000);

	(void)state;
	assert_true(fd >= 0);
	vfioiommu_mock_fail_ioctl(m, KABI_IOMMU_IOAS_MAP_FILE, 1, ENODEV);
	assert_int_equal(vfioiommu_dma_map_file(ctx, fd, 0, 0x4000, RW, &iova), -ENODEV);
	th_assert_msg(vfioiommu_strerror(ctx), "revoked", "export the region again", NULL);
	/* nothing half-made: no mapping, and the same IOVA space maps the file once it is good */
	assert_int_equal(vfioiommu_dma_stats(ctx, &st), 0);
	assert_int_equal(st.mappings, 0);
	assert_int_equal(vfioiommu_dma_map_file(ctx, fd, 0, 0x4000, RW, &iova), 0);
	assert_int_equal(vfioiommu_dma_unmap_all(ctx), 0);
	ctx->door->close(ctx->door->priv, fd);
	vfioiommu_ctx_destroy(ctx);
	th_mock_done(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(against_model),
		cmocka_unit_test(file_and_unmap_all),
		cmocka_unit_test(revoked_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
