/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * dma_buffer: what a userspace driver links the library for.  Open a device,
 * show the IOVA ranges the kernel allows (and the prediction from sysfs),
 * map a buffer at an IOVA the library picks (2 MiB-aligned like the buffer,
 * so the IOMMU can use a 2 MiB page), translate an address inside it both
 * ways, and see the library refuse the classic mistakes with a clear reason.
 *
 *   dma_buffer [--mock HOSTFILE] [--mode auto|container|iommufd] BDF
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS in <sys/mman.h> under -std=c11 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

static void print_list(const char *what, const vfioiommu_iova_list *l)
{
	printf("%s (%s):\n", what, vfioiommu_iova_source_name(vfioiommu_iova_list_source(l)));
	for (size_t i = 0; i < vfioiommu_iova_list_count(l); i++) {
		struct vfioiommu_iova_range r;
		vfioiommu_iova_list_get(l, i, &r);
		printf("  [0x%016" PRIx64 ", 0x%016" PRIx64 "]\n", r.start, r.last);
	}
}

static void try(vfioiommu_ctx *ctx, const char *what, int rc)
{
	printf("%-34s -> %s%s%s\n", what, rc ? strerror(-rc) : "ok", rc ? ": " : "", rc ? vfioiommu_strerror(ctx) : "");
}

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_AUTO };
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx;
	vfioiommu_device *dev;
	vfioiommu_iova_list *kernel = NULL;
	const char *bdf = NULL;
	size_t len = 2 << 20;
	uint64_t iova, t, fixed;
	char err[256];
	char *area, *buf;
	void *back;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mock") && i + 1 < argc) {
			if (vfioiommu_mock_new(&mock) || vfioiommu_mock_load_file(mock, argv[++i], err, sizeof(err))) {
				fprintf(stderr, "%s\n", err);
				return 1;
			}
			o.door = vfioiommu_mock_door(mock);
		} else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			i++;
			o.mode = !strcmp(argv[i], "iommufd") ? VFIOIOMMU_MODE_IOMMUFD :
				 !strcmp(argv[i], "container") ? VFIOIOMMU_MODE_CONTAINER : VFIOIOMMU_MODE_AUTO;
		} else {
			bdf = argv[i];
		}
	}
	if (!bdf) {
		fprintf(stderr, "usage: %s [--mock HOSTFILE] [--mode auto|container|iommufd] BDF\n", argv[0]);
		return 2;
	}
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0)
		return 1;
	if ((rc = vfioiommu_device_open(ctx, bdf, &dev)) < 0) {
		fprintf(stderr, "%s: %s\n", bdf, vfioiommu_strerror(ctx));
		goto out;
	}
	printf("%s: backend %s (%s)\n", bdf, vfioiommu_backend_name(vfioiommu_ctx_backend(ctx)),
	       vfioiommu_ctx_backend_reason(ctx));
	if ((rc = vfioiommu_ctx_iova_ranges(ctx, &kernel)) == 0)
		print_list("usable IOVA ranges, from the kernel", kernel);

	/* a 2 MiB-aligned buffer (what a hugepage or THP allocation gives) */
	area = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	buf = (char *)(((uintptr_t)area + len - 1) & ~(uintptr_t)(len - 1));
	rc = vfioiommu_dma_map(ctx, buf, len, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova);
	try(ctx, "map 2 MiB, library picks the IOVA", rc);
	if (rc == 0) {
		struct vfioiommu_dma_stats st = { .size = sizeof(st) };

		printf("  mapped at IOVA 0x%" PRIx64 " (%s)\n", iova,
		       iova % len ? "not 2 MiB-aligned" : "2 MiB-aligned like the buffer: one IOMMU superpage");
		if (vfioiommu_dma_stats(ctx, &st) == 0)
			printf("  IOMMU page sizes 0x%" PRIx64 ", %" PRIu64 " mapping(s) without superpage alignment\n",
			       st.pgsizes, st.unaligned_maps);
		if (vfioiommu_dma_translate(ctx, buf + 4096 + 100, 64, &t) == 0)
			printf("  buf+0x1064 is IOVA 0x%" PRIx64 "\n", t);
		if (vfioiommu_dma_translate_iova(ctx, t, 64, &back) == 0)
			printf("  and IOVA 0x%" PRIx64 " is buf+0x%tx\n", t, (char *)back - buf);
		fixed = iova + 4096;
		try(ctx, "map again over it (fixed IOVA)",
		    vfioiommu_dma_map(ctx, buf, 4096, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &fixed));
		fixed = 0xfee00000;
		try(ctx, "map in the MSI window",
		    vfioiommu_dma_map(ctx, buf, 4096, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_FIXED_IOVA, &fixed));
		try(ctx, "unmap half of the mapping", vfioiommu_dma_unmap(ctx, iova, len / 2));
		try(ctx, "unmap it whole", vfioiommu_dma_unmap_at(ctx, iova));
		try(ctx, "unmap it again", vfioiommu_dma_unmap_at(ctx, iova));
		rc = 0;
	}
	munmap(area, 2 * len);
out:
	vfioiommu_iova_list_free(kernel);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return rc < 0 ? 1 : 0;
}
