/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * p2p_bar: let one device DMA into another device's BAR (peer to peer).
 *
 *   p2p_bar [--mock HOSTFILE] [--container] DMA_BDF TARGET_BDF
 *
 * Opens both devices in one context (iommufd unless --container), maps the
 * first page of TARGET_BDF's BAR0 for DMA with vfioiommu_dma_map_region()
 * (a dma-buf on iommufd, the BAR's mmap on a VFIO container), prints the
 * IOVA that DMA_BDF's DMA engine would be given, and unmaps it.  A BAR that
 * cannot be a target is refused with the reason.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_IOMMUFD };
	vfioiommu_device *dma_dev = NULL, *target = NULL;
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	uint64_t iova = 0;
	char err[256] = "";
	int a = 1, rc = 1;

	if (a + 1 < argc && !strcmp(argv[a], "--mock")) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, argv[a + 1], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			vfioiommu_mock_destroy(mock);
			return 1;
		}
		o.door = vfioiommu_mock_door(mock);
		a += 2;
	}
	if (a < argc && !strcmp(argv[a], "--container")) {
		o.mode = VFIOIOMMU_MODE_CONTAINER;
		a++;
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: %s [--mock HOSTFILE] [--container] DMA_BDF TARGET_BDF\n", argv[0]);
		vfioiommu_mock_destroy(mock);
		return 2;
	}
	if (vfioiommu_ctx_new(&o, &ctx) < 0 || vfioiommu_device_open(ctx, argv[a], &dma_dev) < 0 ||
	    vfioiommu_device_open(ctx, argv[a + 1], &target) < 0) {
		fprintf(stderr, "%s\n", ctx ? vfioiommu_strerror(ctx) : "no context");
		goto out;
	}
	printf("backend %s\n", vfioiommu_backend_name(vfioiommu_ctx_backend(ctx)));

	/* The first page of the target's BAR0, at an IOVA the library picks. */
	if (vfioiommu_dma_map_region(ctx, target, VFIOIOMMU_PCI_BAR0, 0, 4096,
				     VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE, &iova) < 0) {
		fprintf(stderr, "map BAR0 of %s: %s\n", argv[a + 1], vfioiommu_strerror(ctx));
		goto out;
	}
	printf("%s BAR0 +0x0 is at IOVA 0x%" PRIx64 " for %s's DMA\n", argv[a + 1], iova, argv[a]);

	/* An I/O BAR or config space cannot be a DMA target: the message says why. */
	if (vfioiommu_dma_map_region(ctx, target, VFIOIOMMU_PCI_CONFIG, 0, 4096, VFIOIOMMU_DMA_READ, &iova) < 0)
		printf("config space refused: %s\n", vfioiommu_strerror(ctx));

	/* Unmap before closing the target: on a container its BAR stays reachable until then. */
	if (vfioiommu_dma_unmap_all(ctx) < 0) {
		fprintf(stderr, "unmap: %s\n", vfioiommu_strerror(ctx));
		goto out;
	}
	rc = 0;
out:
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return rc;
}
