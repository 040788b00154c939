/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: the device API (include/vfioiommu/device.h) on the real
 * kernel.  For each NIC in VFIOIOMMU_VM_BDFS, once through a VFIO container
 * and once through iommufd + cdev, it opens the device with the library and
 * checks what tests/vm/FACTS.md measured for the QEMU e1000e (8086:10d3):
 * regions (BAR0 0x20000 RWM, BAR2 0x20 I/O, BAR3 0x4000 with MSIX_MAPPABLE,
 * config 0x1000, no VGA), IRQs (INTx 1 maskable, MSI 1, MSI-X 5), the ids
 * from config space, the MSI-X capability (5 vectors, table in BAR3), BAR0
 * mmapped with STATUS (0x8) equal to a pread of it, MSI-X and REQ eventfds
 * signalled by a software trigger, and a function reset.  The hot-reset
 * query is printed (on QEMU's root bus Linux has no bus reset: EOPNOTSUPP).
 *
 * Output: "ok - NAME", "not ok - NAME: why", then a summary; exit 0 when
 * nothing failed, 1 otherwise, 77 when there is no device to test.
 * VFIOIOMMU_VM_MOCK=HOSTFILE runs the same checks on the mock kernel instead
 * (for developing this program outside the VM).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vfioiommu.h>
#include <vfioiommu/mock.h>

#include "vmtest.h"

static const vfioiommu_door *door; /* NULL: the real kernel */



static bool signalled(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, ms) != 1)
		return false;
	return read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v);
}

#define NAME(buf, what) snprintf(buf, sizeof(buf), "device.%s.%s.%s", tag, bdf, what)

static void regions(vfioiommu_ctx *ctx, vfioiommu_device *dev, const char *tag, const char *bdf)
{
	static const struct { uint32_t index; uint64_t size; uint32_t flags; } want[] = {
		{ 0, 0x20000, VFIOIOMMU_REGION_READ | VFIOIOMMU_REGION_WRITE | VFIOIOMMU_REGION_MMAP },
		{ 1, 0x20000, VFIOIOMMU_REGION_READ | VFIOIOMMU_REGION_WRITE | VFIOIOMMU_REGION_MMAP },
		{ 2, 0x20, VFIOIOMMU_REGION_READ | VFIOIOMMU_REGION_WRITE },
		{ 3, 0x4000, VFIOIOMMU_REGION_READ | VFIOIOMMU_REGION_WRITE | VFIOIOMMU_REGION_MMAP |
			     VFIOIOMMU_REGION_MSIX_MAPPABLE },
		{ 4, 0, 0 }, { 5, 0, 0 }, { 6, 0, 0 },
		{ 7, 0x1000, VFIOIOMMU_REGION_READ | VFIOIOMMU_REGION_WRITE },
	};
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	char name[128];
	int rc;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(name, sizeof(name), "device.%s.%s.region%u", tag, bdf, want[i].index);
		rc = vfioiommu_region_info(dev, want[i].index, &ri);
		vt_result(rc == 0 && ri.region_size == want[i].size && ri.flags == want[i].flags &&
		       ri.offset == (uint64_t)want[i].index << 40, name,
		       "rc %d (%s), size 0x%" PRIx64 " flags 0x%x offset 0x%" PRIx64 "; expected size 0x%" PRIx64
		       " flags 0x%x", rc, vfioiommu_strerror(ctx), ri.region_size, ri.flags, ri.offset, want[i].size,
		       want[i].flags);
	}
	NAME(name, "region8_vga_absent");
	rc = vfioiommu_region_info(dev, 8, &ri);
	vt_result(rc == -ENOENT, name, "rc %d, expected -ENOENT (%s)", rc, vfioiommu_strerror(ctx));
	NAME(name, "region9_out_of_range");
	rc = vfioiommu_region_info(dev, 9, &ri);
	vt_result(rc == -EINVAL, name, "rc %d, expected -EINVAL", rc);
}

static void irqs(vfioiommu_ctx *ctx, vfioiommu_device *dev, const char *tag, const char *bdf)
{
	static const struct { uint32_t flags, count; } want[5] = {
		{ VFIOIOMMU_IRQ_EVENTFD | VFIOIOMMU_IRQ_MASKABLE | VFIOIOMMU_IRQ_AUTOMASKED, 1 },
		{ VFIOIOMMU_IRQ_EVENTFD | VFIOIOMMU_IRQ_NORESIZE, 1 },
		{ VFIOIOMMU_IRQ_EVENTFD, 5 },
		{ VFIOIOMMU_IRQ_EVENTFD | VFIOIOMMU_IRQ_NORESIZE, 1 },
		{ VFIOIOMMU_IRQ_EVENTFD | VFIOIOMMU_IRQ_NORESIZE, 1 },
	};
	struct vfioiommu_irq_info ii = { .size = sizeof(ii) };
	int fds[5], req = -1, rc;
	char name[128];

	for (uint32_t i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "device.%s.%s.irq%u", tag, bdf, i);
		rc = vfioiommu_irq_info(dev, i, &ii);
		vt_result(rc == 0 && ii.flags == want[i].flags && ii.count == want[i].count, name,
		       "rc %d (%s) flags 0x%x count %u; expected flags 0x%x count %u", rc, vfioiommu_strerror(ctx),
		       ii.flags, ii.count, want[i].flags, want[i].count);
	}
	NAME(name, "irq_range_past_count");
	rc = vfioiommu_irq_enable(dev, VFIOIOMMU_PCI_IRQ_MSIX, 3, 3, NULL);
	vt_result(rc == -EINVAL, name, "rc %d, expected -EINVAL", rc);

	NAME(name, "msix_enable_trigger");
	rc = vfioiommu_irq_enable(dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 5, fds);
	if (rc == 0)
		rc = vfioiommu_irq_trigger(dev, VFIOIOMMU_PCI_IRQ_MSIX, 2, 1);
	vt_result(rc == 0 && signalled(fds[2], 1000) && !signalled(fds[1], 0), name, "rc %d (%s), or vector 2's eventfd "
	       "not signalled alone", rc, vfioiommu_strerror(ctx));
	NAME(name, "msi_excluded_while_msix");
	rc = vfioiommu_irq_enable(dev, VFIOIOMMU_PCI_IRQ_MSI, 0, 1, NULL);
	vt_result(rc == -EINVAL, name, "rc %d, expected -EINVAL", rc);
	NAME(name, "msix_disable");
	rc = vfioiommu_irq_disable(dev, VFIOIOMMU_PCI_IRQ_MSIX);
	vt_result(rc == 0 && vfioiommu_irq_eventfd(dev, VFIOIOMMU_PCI_IRQ_MSIX, 0) == -ENOENT, name, "rc %d (%s)", rc,
	       vfioiommu_strerror(ctx));
	NAME(name, "msix_disable_again");
	rc = vfioiommu_irq_disable(dev, VFIOIOMMU_PCI_IRQ_MSIX);
	vt_result(rc == 0, name, "rc %d (%s): disabling what is off should be fine", rc, vfioiommu_strerror(ctx));

	NAME(name, "intx_mask_unmask");
	rc = vfioiommu_irq_enable(dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1, NULL);
	if (rc == 0)
		rc = vfioiommu_irq_mask(dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1);
	if (rc == 0)
		rc = vfioiommu_irq_unmask(dev, VFIOIOMMU_PCI_IRQ_INTX, 0, 1);
	if (rc == 0)
		rc = vfioiommu_irq_disable(dev, VFIOIOMMU_PCI_IRQ_INTX);
	vt_result(rc == 0, name, "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	NAME(name, "msix_not_maskable");
	rc = vfioiommu_irq_mask(dev, VFIOIOMMU_PCI_IRQ_MSIX, 0, 1);
	vt_result(rc == -EOPNOTSUPP, name, "rc %d, expected -EOPNOTSUPP", rc);

	NAME(name, "req_eventfd");
	rc = vfioiommu_device_request_eventfd(dev, &req);
	if (rc == 0)
		rc = vfioiommu_irq_trigger(dev, VFIOIOMMU_PCI_IRQ_REQ, 0, 1);
	vt_result(rc == 0 && signalled(req, 1000), name, "rc %d (%s), or the REQ eventfd was not signalled", rc,
	       vfioiommu_strerror(ctx));
	vfioiommu_irq_disable(dev, VFIOIOMMU_PCI_IRQ_REQ);
}

static void pci(vfioiommu_ctx *ctx, vfioiommu_device *dev, const char *tag, const char *bdf)
{
	struct vfioiommu_pci_ids ids;
	uint32_t off = 0, ctl = 0, table = 0, st = 0, cfg0 = 0;
	uint64_t len = 0;
	void *bar = NULL;
	char name[128];
	int rc;

	NAME(name, "ids");
	rc = vfioiommu_pci_ids(dev, &ids);
	vt_result(rc == 0 && ids.vendor == 0x8086 && ids.device == 0x10d3 && (ids.class_code >> 8) == 0x0200, name,
	       "rc %d (%s) %04x:%04x class %06x", rc, vfioiommu_strerror(ctx), ids.vendor, ids.device, ids.class_code);
	NAME(name, "config_read");
	rc = vfioiommu_region_read(dev, VFIOIOMMU_PCI_CONFIG, 0, &cfg0, 4);
	vt_result(rc == 0 && cfg0 == 0x10d38086, name, "rc %d value 0x%08x", rc, cfg0);
	NAME(name, "msix_cap");
	rc = vfioiommu_pci_find_cap(dev, 0x11, 0, &off);
	if (rc == 0)
		rc = vfioiommu_pci_config_read(dev, off + 2, 2, &ctl);
	if (rc == 0)
		rc = vfioiommu_pci_config_read(dev, off + 4, 4, &table);
	vt_result(rc == 0 && (ctl & 0x7ff) + 1 == 5 && (table & 7) == 3, name,
	       "rc %d (%s) at 0x%x: %u vectors, table BIR %u (expected 5 vectors in BAR3)", rc, vfioiommu_strerror(ctx),
	       off, (ctl & 0x7ff) + 1, table & 7);
	printf("# %s %s: MSI-X capability at 0x%x\n", tag, bdf, off);
	NAME(name, "pcie_cap");
	rc = vfioiommu_pci_find_cap(dev, 0x10, 0, &off);
	vt_result(rc == 0, name, "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	if (vfioiommu_pci_find_ext_cap(dev, 0x0001, 0, &off) == 0)
		printf("# %s %s: AER at 0x%x\n", tag, bdf, off);

	NAME(name, "bar0_mmap_status");
	rc = vfioiommu_pci_map_bar(dev, 0, &bar, &len);
	if (rc == 0)
		rc = vfioiommu_region_read(dev, VFIOIOMMU_PCI_BAR0, 0x8, &st, 4);
	if (rc == 0) {
		uint32_t mm = ((volatile uint32_t *)bar)[2];

		printf("# %s %s: STATUS 0x%08x (mmap) 0x%08x (pread)\n", tag, bdf, mm, st);
		vt_result(len == 0x20000 && mm == st && mm != 0xffffffffu, name, "len 0x%" PRIx64 ", STATUS mmap 0x%08x pread 0x%08x",
		       len, mm, st);
	} else {
		vt_result(false, name, "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	}
	if (bar)
		vfioiommu_region_munmap(dev, bar);
	NAME(name, "bar0_mmap_past_end");
	rc = vfioiommu_region_mmap(dev, VFIOIOMMU_PCI_BAR0, 0x1000, 0x20000, 0, &bar);
	vt_result(rc == -ERANGE, name, "rc %d, expected -ERANGE", rc);
	NAME(name, "bar2_no_mmap");
	rc = vfioiommu_pci_map_bar(dev, 2, &bar, &len);
	vt_result(rc == -EOPNOTSUPP, name, "rc %d, expected -EOPNOTSUPP", rc);
	NAME(name, "bar3_msix_mappable_mmap");
	rc = vfioiommu_pci_map_bar(dev, 3, &bar, &len);
	vt_result(rc == 0 && len == 0x4000, name, "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	if (rc == 0)
		vfioiommu_region_munmap(dev, bar);
}

static void reset(vfioiommu_ctx *ctx, vfioiommu_device *dev, const char *tag, const char *bdf)
{
	struct vfioiommu_reset_info *ri = NULL;
	uint32_t cfg0 = 0;
	char name[128];
	int rc;

	NAME(name, "reset");
	rc = vfioiommu_device_reset(dev);
	if (rc == 0)
		rc = vfioiommu_region_read(dev, VFIOIOMMU_PCI_CONFIG, 0, &cfg0, 4);
	vt_result(rc == 0 && cfg0 == 0x10d38086, name, "rc %d (%s), config dword 0 after reset 0x%08x", rc,
	       vfioiommu_strerror(ctx), cfg0);
	NAME(name, "hot_reset_info");
	rc = vfioiommu_device_hot_reset_info(dev, &ri);
	if (rc == 0) {
		printf("# %s %s: hot reset would reset %u device(s)%s:", tag, bdf, ri->count,
		       ri->all_owned ? "" : " (not all owned)");
		for (uint32_t i = 0; i < ri->count; i++)
			printf(" %s", ri->devs[i].bdf);
		printf("\n");
	} else {
		printf("# %s %s: no hot reset: %s\n", tag, bdf, vfioiommu_strerror(ctx));
	}
	/* a root-bus endpoint has neither slot nor bus reset; anything else must list this device */
	vt_result(rc == -EOPNOTSUPP || (rc == 0 && ri->count >= 1), name, "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	vfioiommu_reset_info_free(ri);
}

static void one(const char *bdf, enum vfioiommu_mode mode, const char *tag)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode, .door = door };
	struct vfioiommu_device_info di = { .size = sizeof(di) };
	unsigned int fds_before = vt_open_fds();
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = NULL;
	char name[128];
	int rc;

	NAME(name, "open");
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, bdf, &dev);
	vt_result(rc == 0, name, "%s", ctx ? vfioiommu_strerror(ctx) : strerror(-rc));
	if (rc < 0) {
		vfioiommu_ctx_destroy(ctx);
		return;
	}
	NAME(name, "info");
	rc = vfioiommu_device_info(dev, &di);
	vt_result(rc == 0 && di.flags == (VFIOIOMMU_DEVICE_PCI | VFIOIOMMU_DEVICE_RESET) && di.num_regions == 9 &&
	       di.num_irqs == 5, name, "rc %d (%s) flags 0x%x regions %u irqs %u", rc, vfioiommu_strerror(ctx), di.flags,
	       di.num_regions, di.num_irqs);
	regions(ctx, dev, tag, bdf);
	irqs(ctx, dev, tag, bdf);
	pci(ctx, dev, tag, bdf);
	reset(ctx, dev, tag, bdf);
	vfioiommu_ctx_destroy(ctx);
	NAME(name, "no_fd_left");
	vt_result(vt_open_fds() == fds_before, name, "%u fds open before, %u after", fds_before, vt_open_fds());
}

int main(void)
{
	const char *env = getenv("VFIOIOMMU_VM_BDFS"), *mockfile = getenv("VFIOIOMMU_VM_MOCK");
	char buf[512], err[256], *save = NULL, *tok;
	vfioiommu_mock *mock = NULL;
	unsigned int ndev = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mockfile && mockfile[0]) {
		if (vfioiommu_mock_new(&mock) < 0 || vfioiommu_mock_load_file(mock, mockfile, err, sizeof(err)) < 0) {
			printf("not ok - mock host %s: %s\n", mockfile, err);
			return 1;
		}
		door = vfioiommu_mock_door(mock);
	}
	snprintf(buf, sizeof(buf), "%s", env ? env : "");
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		ndev++;
		one(tok, VFIOIOMMU_MODE_CONTAINER, "container");
		one(tok, VFIOIOMMU_MODE_IOMMUFD, "iommufd");
	}
	vfioiommu_mock_destroy(mock);
	if (!ndev) {
		printf("vm_device: VFIOIOMMU_VM_BDFS is empty: nothing to test (skipped)\n");
		return 77;
	}
	printf("vm_device (%s): %u passed, %u failed, %u device(s)\n", mock ? "mock kernel" : "real kernel", vt_npass,
	       vt_nfail, ndev);
	return vt_nfail ? 1 : 0;
}
