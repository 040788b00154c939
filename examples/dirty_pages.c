/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * dirty_pages: which guest pages a device may have written, as a VMM asks
 * during a live migration, on a type1v2 container (<vfioiommu/dirty.h>).
 *
 *   dirty_pages [--mock HOSTFILE] BDF
 *
 * Two 1 MiB buffers are mapped for the device; the container's tracking
 * starts; the pages of both are read as runs; then the second buffer goes
 * away (a memory unplug) with vfioiommu_dirty_type1_unmap(), which hands back
 * its last dirty bits in the same step, so nothing written just before the
 * unmap is lost.  A PCI device pins no pages, so the container calls every
 * mapped page dirty.  With --mock the device comes from the mock kernel
 * (examples/hosts/qemu-q35-intel-iommu.host has an e1000e at 0000:00:02.0).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#define MIB (1u << 20)
#define PAGE 4096u

static int print_run(void *arg, uint64_t iova, uint64_t length)
{
	(void)arg;
	printf("  dirty: [0x%" PRIx64 ", +0x%" PRIx64 ") (%" PRIu64 " pages)\n", iova, length, length / PAGE);
	return 0;
}

static int fail(vfioiommu_ctx *ctx, const char *what, int rc)
{
	fprintf(stderr, "%s: %s (%s)\n", what, ctx ? vfioiommu_strerror(ctx) : "", strerror(-rc));
	return 1;
}

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_CONTAINER };
	struct vfioiommu_dirty_choice choice = { .size = sizeof(choice) };
	const char *mockfile = NULL, *bdf = NULL;
	uint64_t iova1 = 0, iova2 = 0, bitmap[MIB / PAGE / 64], ndirty = 0;
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	unsigned char *buf = aligned_alloc(2 * MIB, 2 * MIB);
	char err[256];
	int rc, ret = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mock") && i + 1 < argc)
			mockfile = argv[++i];
		else
			bdf = argv[i];
	}
	if (!bdf || !buf) {
		fprintf(stderr, "usage: dirty_pages [--mock HOSTFILE] BDF\n");
		free(buf);
		return 2;
	}
	if (mockfile) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, mockfile, err, sizeof(err)) < 0) {
			fprintf(stderr, "mock: %s\n", mock ? err : "out of memory");
			goto out;
		}
		o.door = vfioiommu_mock_door(mock);
	}
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0 || (rc = vfioiommu_device_open(ctx, bdf, &dev)) < 0) {
		ret = fail(ctx, "open", rc);
		goto out;
	}
	if ((rc = vfioiommu_dma_map(ctx, buf, MIB, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova1)) < 0 ||
	    (rc = vfioiommu_dma_map(ctx, buf + MIB, MIB, VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova2)) < 0) {
		ret = fail(ctx, "map", rc);
		goto out;
	}
	rc = vfioiommu_dirty_choose(ctx, &choice);
	printf("tracker: %d (%s)\n", (int)choice.tracker, choice.reason);
	if (rc < 0 || choice.tracker != VFIOIOMMU_DIRTY_TYPE1) {
		ret = fail(ctx, "this example needs the container's tracking", rc < 0 ? rc : -EOPNOTSUPP);
		goto out;
	}
	if ((rc = vfioiommu_dirty_type1_start(ctx)) < 0) {
		ret = fail(ctx, "start", rc);
		goto out;
	}
	/* a pass of the migration: read the first buffer's pages (whole mappings only) */
	printf("buffer 1 at 0x%" PRIx64 ":\n", iova1);
	if ((rc = vfioiommu_dirty_type1_ranges(ctx, iova1, MIB, PAGE, print_run, NULL)) < 0) {
		ret = fail(ctx, "report", rc);
		goto out;
	}
	/* the second buffer is unplugged: unmap it and keep its last bits */
	if ((rc = vfioiommu_dirty_type1_unmap(ctx, iova2, MIB, PAGE, bitmap, sizeof(bitmap))) < 0) {
		ret = fail(ctx, "unmap with the dirty bitmap", rc);
		goto out;
	}
	for (size_t i = 0; i < sizeof(bitmap) / sizeof(bitmap[0]); i++)
		for (uint64_t w = bitmap[i]; w; w &= w - 1)
			ndirty++;
	printf("buffer 2 at 0x%" PRIx64 " unmapped: %" PRIu64 " of %u pages dirty at the unmap\n", iova2, ndirty,
	       MIB / PAGE);
	if ((rc = vfioiommu_dirty_type1_stop(ctx)) < 0) {
		ret = fail(ctx, "stop", rc);
		goto out;
	}
	ret = ndirty == MIB / PAGE ? 0 : 1;
out:
	vfioiommu_device_close(dev);
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	free(buf);
	return ret;
}
