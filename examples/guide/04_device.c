/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guide, "Devices" (docs/guide.md): what the device offers (regions, IRQ
 * indexes), its PCI identity and capabilities from config space, a BAR
 * mapped into the process, and a reset.
 *
 *   04_device [--mock HOSTFILE] BDF
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o) };
	struct vfioiommu_device_info info = { .size = sizeof(info) };
	struct vfioiommu_pci_ids ids;
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev;
	const char *bdf;
	char err[256] = "";
	uint32_t off;
	void *bar0;
	uint64_t bar0_len;
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
	if ((rc = vfioiommu_ctx_new(&o, &ctx)) < 0 || (rc = vfioiommu_device_open(ctx, bdf, &dev)) < 0 ||
	    (rc = vfioiommu_device_info(dev, &info)) < 0) {
		fprintf(stderr, "%s: %s\n", bdf, ctx ? vfioiommu_strerror(ctx) : strerror(-rc));
		goto out;
	}
	printf("%s: %" PRIu32 " regions, %" PRIu32 " IRQ indexes%s%s\n", bdf, info.num_regions, info.num_irqs,
	       (info.flags & VFIOIOMMU_DEVICE_PCI) ? ", PCI" : "", (info.flags & VFIOIOMMU_DEVICE_RESET) ? ", can reset" : "");

	/* Regions: BARs, ROM, config space, VGA, then device-specific ones. */
	for (uint32_t i = 0; i < info.num_regions; i++) {
		struct vfioiommu_region_info ri = { .size = sizeof(ri) };
		const char *name = vfioiommu_pci_region_name(i);

		rc = vfioiommu_region_info(dev, i, &ri);
		if (rc == -ENOENT || (rc == 0 && ri.region_size == 0))
			continue; /* an index without a region: an unused BAR, no VGA */
		if (rc < 0)
			goto fail;
		printf("  %-7s %8" PRIu64 " bytes %s%s%s%s\n", name ? name : "(device)", ri.region_size,
		       (ri.flags & VFIOIOMMU_REGION_READ) ? "r" : "-", (ri.flags & VFIOIOMMU_REGION_WRITE) ? "w" : "-",
		       (ri.flags & VFIOIOMMU_REGION_MMAP) ? "m" : "-", (ri.flags & VFIOIOMMU_REGION_SPARSE) ? " sparse" : "");
	}

	/* Config space: ids and capabilities. */
	if ((rc = vfioiommu_pci_ids(dev, &ids)) < 0)
		goto fail;
	printf("  %04x:%04x class %06" PRIx32 " rev %u\n", ids.vendor, ids.device, ids.class_code, ids.revision);
	if (vfioiommu_pci_find_cap(dev, 0x11, 0, &off) == 0)
		printf("  MSI-X capability at 0x%" PRIx32 "\n", off);
	if (vfioiommu_pci_find_ext_cap(dev, 0x1, 0, &off) == 0)
		printf("  AER extended capability at 0x%" PRIx32 "\n", off);

	/* A BAR in the process: plain loads and stores reach the device. */
	rc = vfioiommu_pci_map_bar(dev, 0, &bar0, &bar0_len);
	if (rc == 0) {
		volatile uint32_t *regs = bar0;

		printf("  BAR0: %" PRIu64 " bytes mapped, the register at 0x8 reads 0x%08" PRIx32 "\n", bar0_len, regs[2]);
		vfioiommu_region_munmap(dev, bar0);
	} else {
		printf("  BAR0 not mapped: %s\n", vfioiommu_strerror(ctx));
	}

	/* A function-level reset when the device has one; otherwise see vfioiommu_device_hot_reset(). */
	if (info.flags & VFIOIOMMU_DEVICE_RESET) {
		rc = vfioiommu_device_reset(dev);
		if (rc < 0)
			goto fail;
		printf("  reset done\n");
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "%s: %s\n", bdf, vfioiommu_strerror(ctx));
out:
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return rc < 0 ? 1 : 0;
}
