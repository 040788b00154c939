/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * device_info: open a device, print its regions (with their capabilities)
 * and interrupts, map BAR0 and read a register.
 *
 *   device_info [--mock HOSTFILE] [--mode auto|container|iommufd] [--reg OFFSET] BDF
 *
 * With --mock the device comes from the mock kernel described by HOSTFILE
 * (examples/hosts/NAME.host), so it runs anywhere; without it, from the real
 * kernel (the device must be bound to vfio-pci, and you need access to
 * /dev/vfio).  --reg is the BAR0 offset to read (default 0x8: the STATUS
 * register of an Intel NIC).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--mock HOSTFILE] [--mode auto|container|iommufd] [--reg OFFSET] BDF\n", argv0);
}

static void print_regions(vfioiommu_device *dev, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct vfioiommu_region_info ri = { .size = sizeof(ri) };
		const char *name = vfioiommu_pci_region_name(i);
		int rc = vfioiommu_region_info(dev, i, &ri);

		if (rc == -ENOENT) {
			printf("  region %u%s%s%s: not present\n", i, name ? " (" : "", name ? name : "", name ? ")" : "");
			continue;
		}
		if (rc < 0) {
			printf("  region %u: %s\n", i, strerror(-rc));
			continue;
		}
		printf("  region %u%s%s%s: size 0x%" PRIx64 " offset 0x%" PRIx64 " %s%s%s%s%s\n", i, name ? " (" : "",
		       name ? name : "", name ? ")" : "", ri.region_size, ri.offset,
		       (ri.flags & VFIOIOMMU_REGION_READ) ? "R" : "-", (ri.flags & VFIOIOMMU_REGION_WRITE) ? "W" : "-",
		       (ri.flags & VFIOIOMMU_REGION_MMAP) ? "M" : "-",
		       (ri.flags & VFIOIOMMU_REGION_MSIX_MAPPABLE) ? " msix-mappable" : "",
		       (ri.flags & VFIOIOMMU_REGION_SPARSE) ? " sparse" : "");
		if (ri.flags & VFIOIOMMU_REGION_SPARSE) {
			struct vfioiommu_region_area areas[16];
			uint32_t na = 0;

			if (vfioiommu_region_areas(dev, i, areas, 16, &na) == 0)
				for (uint32_t a = 0; a < na; a++)
					printf("      mmappable [0x%" PRIx64 ", 0x%" PRIx64 ")\n", areas[a].offset,
					       areas[a].offset + areas[a].size);
		}
		if (ri.flags & VFIOIOMMU_REGION_TYPED)
			printf("      type 0x%" PRIx32 " (%s) subtype %" PRIu32 " (%s)\n", ri.type,
			       ri.type_name ? ri.type_name : "unknown", ri.subtype,
			       ri.subtype_name ? ri.subtype_name : "unknown");
	}
}

static void print_irqs(vfioiommu_device *dev, uint32_t n)
{
	static const char *const names[] = { "INTx", "MSI", "MSI-X", "ERR", "REQ" };

	for (uint32_t i = 0; i < n; i++) {
		struct vfioiommu_irq_info ii = { .size = sizeof(ii) };
		int rc = vfioiommu_irq_info(dev, i, &ii);

		if (rc < 0) {
			printf("  irq %u (%s): %s\n", i, i < 5 ? names[i] : "?", rc == -ENOENT ? "not present" : strerror(-rc));
			continue;
		}
		printf("  irq %u (%s): %u vector%s%s%s%s%s\n", i, i < 5 ? names[i] : "?", ii.count, ii.count == 1 ? "" : "s",
		       (ii.flags & VFIOIOMMU_IRQ_EVENTFD) ? " eventfd" : "",
		       (ii.flags & VFIOIOMMU_IRQ_MASKABLE) ? " maskable" : "",
		       (ii.flags & VFIOIOMMU_IRQ_AUTOMASKED) ? " automasked" : "",
		       (ii.flags & VFIOIOMMU_IRQ_NORESIZE) ? " noresize" : "");
	}
}

int main(int argc, char **argv)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = VFIOIOMMU_MODE_AUTO };
	struct vfioiommu_device_info di = { .size = sizeof(di) };
	struct vfioiommu_pci_ids ids;
	const char *mockfile = NULL, *bdf = NULL;
	unsigned long reg = 0x8;
	vfioiommu_mock *mock = NULL;
	vfioiommu_ctx *ctx = NULL;
	vfioiommu_device *dev = NULL;
	uint32_t msix = 0;
	uint64_t len = 0;
	void *bar = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mock") && i + 1 < argc) {
			mockfile = argv[++i];
		} else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			const char *m = argv[++i];
			o.mode = !strcmp(m, "container") ? VFIOIOMMU_MODE_CONTAINER :
				 !strcmp(m, "iommufd") ? VFIOIOMMU_MODE_IOMMUFD : VFIOIOMMU_MODE_AUTO;
		} else if (!strcmp(argv[i], "--reg") && i + 1 < argc) {
			reg = strtoul(argv[++i], NULL, 0);
		} else if (argv[i][0] != '-' && !bdf) {
			bdf = argv[i];
		} else {
			usage(argv[0]);
			return 2;
		}
	}
	if (!bdf) {
		usage(argv[0]);
		return 2;
	}
	if (mockfile) {
		char err[256];

		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, mockfile, err, sizeof(err)) < 0) {
			fprintf(stderr, "mock host: %s\n", err);
			vfioiommu_mock_destroy(mock);
			return 1;
		}
		o.door = vfioiommu_mock_door(mock);
	}
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, bdf, &dev);
	if (rc == 0)
		rc = vfioiommu_device_info(dev, &di);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", bdf, ctx ? vfioiommu_strerror(ctx) : strerror(-rc));
		goto out;
	}
	printf("%s: backend %s, flags 0x%x%s%s, %u regions, %u irq indexes\n", bdf,
	       vfioiommu_backend_name(vfioiommu_ctx_backend(ctx)), di.flags,
	       (di.flags & VFIOIOMMU_DEVICE_PCI) ? " pci" : "", (di.flags & VFIOIOMMU_DEVICE_RESET) ? " reset" : "",
	       di.num_regions, di.num_irqs);
	if ((di.flags & VFIOIOMMU_DEVICE_PCI) && vfioiommu_pci_ids(dev, &ids) == 0)
		printf("  %04x:%04x class %06x rev %02x\n", ids.vendor, ids.device, ids.class_code, ids.revision);
	if ((di.flags & VFIOIOMMU_DEVICE_PCI) && vfioiommu_pci_find_cap(dev, 0x11, 0, &msix) == 0)
		printf("  MSI-X capability at 0x%x\n", msix);
	print_regions(dev, di.num_regions);
	print_irqs(dev, di.num_irqs);
	rc = vfioiommu_pci_map_bar(dev, 0, &bar, &len);
	if (rc == 0 && reg + 4 <= len) {
		volatile uint32_t *r = (volatile uint32_t *)bar + reg / 4; /* registers are 32-bit aligned */
		printf("BAR0 mapped (0x%" PRIx64 " bytes): register 0x%lx = 0x%08" PRIx32 "\n", len, reg, *r);
		vfioiommu_region_munmap(dev, bar);
	} else if (rc == 0) {
		printf("BAR0 mapped (0x%" PRIx64 " bytes): offset 0x%lx is outside it\n", len, reg);
		vfioiommu_region_munmap(dev, bar);
	} else {
		printf("BAR0 not mapped: %s\n", vfioiommu_strerror(ctx));
		rc = 0;
	}
out:
	vfioiommu_ctx_destroy(ctx);
	vfioiommu_mock_destroy(mock);
	return rc < 0 ? 1 : 0;
}
