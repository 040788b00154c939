/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guide, "DMA" (docs/guide.md): map a buffer at an IOVA the library picks,
 * map another inside an IOVA window, translate addresses, and see the
 * mistakes the library refuses the same way on every backend.
 *
 *   03_dma [--mock HOSTFILE] BDF
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#define LEN (4u << 20)

static void show(vfioiommu_ctx *ctx, const char *what, int rc)
{
	printf("%-40s %s%s%s\n", what, rc ? strerror(-rc) : "ok", rc ? ": " : "", rc ? vfioiommu_strerror(ctx) : "");
}

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	struct vfioiommu_dma_stats st = { .size = sizeof(st) };
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev;
	const char *bdf;
	char err[256] = "";
	uint64_t iova, high, t;
	unsigned char *buf;
	int rc;

	if (argc == 4 && !strcmp(argv[1], "--mock")) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, argv[2], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			vfioiommu_mock_destroy(mock);
			return 1;
		}
		o.door = vfioiommu_mock_door(mock);
		bdf = argv[3];
	} else if (argc == 2) {
		bdf = argv[1];
	} else {
		fprintf(stderr, "usage: %s [--mock HOSTFILE] BDF\n", argv[0]);
		return 2;
	}
	/* page-aligned memory: the IOMMU maps whole pages */
	buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		vfioiommu_mock_destroy(mock);
		return 1;
	}
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0 || (rc = vfioiommu_device_open(ctx, bdf, &dev)) < 0) {
		fprintf(stderr, "%s: %s\n", bdf, ctx ? vfioiommu_strerror(ctx) : strerror(-rc));
		goto out;
	}

	/* The library picks the IOVA: the lowest free one inside the usable ranges (never 0). */
	rc = vfioiommu_dma_map(ctx, buf, LEN / 2, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova);
	show(ctx, "map 2 MiB", rc);
	if (rc < 0)
		goto out;
	printf("  at IOVA 0x%" PRIx64 "\n", iova);
	/* Or inside a window, aligned: here 2 MiB aligned, above 4 GiB. */
	rc = vfioiommu_dma_map_in(ctx, buf + LEN / 2, LEN / 2, VFIOIOMMU_DMA_READ, 2u << 20, UINT64_C(1) << 32,
				  UINT64_MAX, &high);
	show(ctx, "map 2 MiB above 4 GiB", rc);
	if (rc == 0)
		printf("  at IOVA 0x%" PRIx64 "\n", high);
	/* What IOVA does the device use for this address? */
	if (vfioiommu_dma_translate(ctx, buf + 4096 + 100, 64, &t) == 0)
		printf("buf + 0x1064 is IOVA 0x%" PRIx64 "\n", t);

	/* The same errno for the same mistake, whatever the backend says. */
	t = iova;
	show(ctx, "map over a live mapping",
	     vfioiommu_dma_map(ctx, buf, 4096, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &t));
	t = 0xfee00000; /* the MSI window is reserved on x86 */
	show(ctx, "map in the MSI window",
	     vfioiommu_dma_map(ctx, buf, 4096, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &t));
	show(ctx, "unmap half a mapping", vfioiommu_dma_unmap(ctx, iova, LEN / 4));

	if (vfioiommu_dma_stats(ctx, &st) == 0)
		printf("%" PRIu64 " mappings, %" PRIu64 " bytes, page sizes 0x%" PRIx64 ", %s\n", st.mappings,
		       st.mapped_bytes, st.pgsizes, st.dma_avail < 0 ? "no mapping limit" : "a mapping limit");
	show(ctx, "unmap the first whole", vfioiommu_dma_unmap_at(ctx, iova));
	show(ctx, "unmap it again", vfioiommu_dma_unmap_at(ctx, iova));
	rc = vfioiommu_dma_unmap_all(ctx);
	show(ctx, "unmap everything", rc);
out:
	vfioiommu_ctx_destroy(ctx);
	munmap(buf, LEN);
	vfioiommu_mock_destroy(mock);
	return rc < 0 ? 1 : 0;
}
