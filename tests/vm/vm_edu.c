/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Guest program: a real device's DMA through the library, end to end.
 *
 * QEMU's edu device (1234:11e8, run-vm.sh --edu) is a DMA engine: BAR0 0x80
 * source, 0x88 destination, 0x90 count, 0x98 command (bit 0 start, bit 1
 * device -> RAM, bit 2 raise an interrupt when done); its own 4 KiB buffer
 * sits at device address 0x40000; it drives 28 address bits; a transfer
 * completes on a ~100 ms timer and raises interrupt status bit 0x100 (0x24,
 * acknowledged at 0x64) through its one MSI.
 *
 * For each backend (a type1v2 container, iommufd), with the public API only:
 * open the device, enable bus mastering, take the MSI on a library eventfd,
 * map two buffers below 2^28 (vfioiommu_dma_map_in with the DMA mask as the
 * window), copy RAM -> device -> RAM and compare the bytes (4095 bytes, then
 * a 128-byte piece at offsets inside the page), then unmap the destination
 * and start one more device -> RAM copy to its old IOVA: the IOMMU must stop
 * it (the buffer keeps its bytes; the fault the vIOMMU logs is expected), as
 * it must stop a device -> RAM copy into the source, mapped read-only.
 *
 * Environment: VFIOIOMMU_VM_EDU (the edu BDF, on vfio-pci), VFIOIOMMU_VM_TOPOLOGY.
 * Exit 0 when every check passed, 1 on a failure, 77 when no edu device was
 * given (run-vm.sh without --edu).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vfioiommu.h>
#include <vfioiommu/p2p.h>

#include "vmtest.h"

#define EDU_ID 0x00
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_CMD_START 0x1u
#define EDU_CMD_TO_RAM 0x2u
#define EDU_CMD_IRQ 0x4u
#define EDU_IRQ_DMA 0x100u
#define EDU_BUF 0x40000u
#define EDU_BUF_LEN 0x1000u
/*
 * QEMU 7.2's edu checks that the transfer's end lies strictly inside its
 * buffer (edu_check_range: end < 0x41000), so a transfer of the whole 4 KiB
 * kills QEMU with "hw_error: EDU: DMA range ... out of bounds"; one byte
 * less is the most it moves.
 */
#define EDU_MAX (EDU_BUF_LEN - 1)
#define EDU_DMA_MASK ((1ull << 28) - 1)
#define PAGE 0x1000u

static char prefix[32];

static const char *nm(const char *what)
{
	static char name[128];

	snprintf(name, sizeof(name), "edu.%s.%s", prefix, what);
	return name;
}

static int wr64(vfioiommu_device *dev, uint64_t off, uint64_t v)
{
	return vfioiommu_region_write(dev, VFIOIOMMU_PCI_BAR0, off, &v, sizeof(v));
}

static int rd32(vfioiommu_device *dev, uint64_t off, uint32_t *v)
{
	return vfioiommu_region_read(dev, VFIOIOMMU_PCI_BAR0, off, v, sizeof(*v));
}

/*
 * One transfer: program it, wait for the MSI on @efd, check the engine is
 * idle and the interrupt status says DMA, acknowledge.  0 or -errno; the
 * reason in @why.
 */
static int transfer(vfioiommu_device *dev, int efd, uint64_t src, uint64_t dst, uint64_t cnt, uint32_t dir,
		    char *why, size_t n)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint32_t cmd = 0, st = 0, ack = EDU_IRQ_DMA;
	uint64_t count = 0;
	int rc;

	if ((rc = wr64(dev, EDU_DMA_SRC, src)) || (rc = wr64(dev, EDU_DMA_DST, dst)) ||
	    (rc = wr64(dev, EDU_DMA_CNT, cnt)) || (rc = wr64(dev, EDU_DMA_CMD, EDU_CMD_START | EDU_CMD_IRQ | dir))) {
		snprintf(why, n, "programming BAR0: %d (%s)", rc, strerror(-rc));
		return rc;
	}
	/* ~100 ms of guest time; TCG on a loaded host may stretch it */
	rc = poll(&p, 1, 10000);
	if (rc != 1) {
		snprintf(why, n, "no MSI on the library's eventfd within 10 s (poll %d)", rc);
		return -ETIMEDOUT;
	}
	if (read(efd, &count, sizeof(count)) != (ssize_t)sizeof(count) || count != 1) {
		snprintf(why, n, "eventfd count %" PRIu64 " (want 1)", count);
		return -EPROTO;
	}
	if ((rc = rd32(dev, EDU_DMA_CMD, &cmd)) || (rc = rd32(dev, EDU_IRQ_STATUS, &st))) {
		snprintf(why, n, "reading BAR0: %d", rc);
		return rc;
	}
	if ((cmd & EDU_CMD_START) || !(st & EDU_IRQ_DMA)) {
		snprintf(why, n, "after the MSI: command 0x%x (start bit should be clear), irq status 0x%x", cmd, st);
		return -EPROTO;
	}
	rc = vfioiommu_region_write(dev, VFIOIOMMU_PCI_BAR0, EDU_IRQ_ACK, &ack, sizeof(ack));
	if (rc == 0)
		rc = rd32(dev, EDU_IRQ_STATUS, &st);
	if (rc || st) {
		snprintf(why, n, "acknowledging: rc %d, irq status 0x%x after the ack", rc, st);
		return rc ? rc : -EPROTO;
	}
	return 0;
}

static size_t first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return i;
	return n;
}

static size_t first_not(const uint8_t *a, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != v)
			return i;
	return n;
}

/*
 * Peer to peer: the edu engine writes into the first NIC's BAR0, mapped for
 * the context's DMA with vfioiommu_dma_map_region().  The target is the
 * e1000e's multicast table array (BAR0 0x5200, 128 32-bit registers that
 * hold what is written), so the bytes can be read back through the NIC's
 * region and nothing else in the NIC changes.  @src holds what the edu
 * buffer was loaded with.
 */
#define NIC_MTA 0x5200u
#define P2P_IOVA 0x800000u /* fixed, below the edu's 28-bit mask */

static void p2p(vfioiommu_ctx *ctx, vfioiommu_device *dev, int efd, const uint8_t *src, const char *nic)
{
	const uint32_t rw = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE;
	uint8_t zero[0x80] = { 0 }, got[0x80], pat[0x80];
	vfioiommu_device *ndev = NULL;
	uint64_t iova = P2P_IOVA;
	char why[256] = "";
	size_t d;
	int rc;

	rc = vfioiommu_device_open(ctx, nic, &ndev);
	vt_result(rc == 0, nm("p2p.nic_open"), "%s: %d (%s)", nic, rc, vfioiommu_strerror(ctx));
	if (rc)
		return;
	/* control: the registers hold what the CPU writes */
	for (unsigned int i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(0xc3 ^ i);
	rc = vfioiommu_region_write(ndev, VFIOIOMMU_PCI_BAR0, NIC_MTA, pat, sizeof(pat));
	if (rc == 0)
		rc = vfioiommu_region_read(ndev, VFIOIOMMU_PCI_BAR0, NIC_MTA, got, sizeof(got));
	vt_result(rc == 0 && !memcmp(got, pat, sizeof(pat)), nm("p2p.nic_mta_is_storage"), "rc %d", rc);
	rc = vfioiommu_region_write(ndev, VFIOIOMMU_PCI_BAR0, NIC_MTA, zero, sizeof(zero));

	rc = vfioiommu_dma_map_region(ctx, ndev, VFIOIOMMU_PCI_BAR0, NIC_MTA & ~0xfffu, PAGE,
				      rw | VFIOIOMMU_DMA_FIXED_IOVA, &iova);
	vt_result(rc == 0 && iova == P2P_IOVA, nm("p2p.map_region"), "rc %d iova 0x%" PRIx64 " (%s)", rc, iova,
		  vfioiommu_strerror(ctx));
	if (rc)
		goto out;
	rc = transfer(dev, efd, EDU_BUF + 0x100, P2P_IOVA + (NIC_MTA & 0xfffu), sizeof(got), EDU_CMD_TO_RAM, why,
		      sizeof(why));
	vt_result(rc == 0, nm("p2p.device_to_nic_bar"), "%s", why);
	rc = vfioiommu_region_read(ndev, VFIOIOMMU_PCI_BAR0, NIC_MTA, got, sizeof(got));
	d = first_diff(src + 0x100, got, sizeof(got));
	vt_result(rc == 0 && d == sizeof(got), nm("p2p.bytes_in_nic_bar"), "rc %d, first difference at +0x%zx: "
		  "0x%02x, want 0x%02x", rc, d, d < sizeof(got) ? got[d] : 0, d < sizeof(got) ? src[0x100 + d] : 0);

	/* unmapped, the same transfer must not reach the BAR */
	rc = vfioiommu_dma_unmap(ctx, P2P_IOVA, PAGE);
	vt_result(rc == 0, nm("p2p.unmap"), "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	vfioiommu_region_write(ndev, VFIOIOMMU_PCI_BAR0, NIC_MTA, zero, sizeof(zero));
	rc = transfer(dev, efd, EDU_BUF + 0x100, P2P_IOVA + (NIC_MTA & 0xfffu), sizeof(got), EDU_CMD_TO_RAM, why,
		      sizeof(why));
	vt_result(rc == 0, nm("p2p.after_unmap_completes"), "%s", why);
	rc = vfioiommu_region_read(ndev, VFIOIOMMU_PCI_BAR0, NIC_MTA, got, sizeof(got));
	d = first_diff(zero, got, sizeof(got));
	vt_result(rc == 0 && d == sizeof(got), nm("p2p.after_unmap_not_written"), "rc %d, byte +0x%zx is 0x%02x",
		  rc, d, d < sizeof(got) ? got[d] : 0);

	/*
	 * The exporting device closes while its BAR is mapped.  iommufd: vfio-pci
	 * revokes the dma-buf and the IOMMU stops translating the range; the
	 * mapping stays in the table until it is unmapped.  type1 holds the BAR's
	 * page frames, so the DMA still lands (FACTS.md section 7).
	 */
	iova = P2P_IOVA;
	rc = vfioiommu_dma_map_region(ctx, ndev, VFIOIOMMU_PCI_BAR0, NIC_MTA & ~0xfffu, PAGE,
				      rw | VFIOIOMMU_DMA_FIXED_IOVA, &iova);
	vt_result(rc == 0, nm("p2p.revoke.map_region"), "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	if (rc)
		goto out;
	vfioiommu_device_close(ndev);
	ndev = NULL;
	rc = transfer(dev, efd, EDU_BUF + 0x100, P2P_IOVA + (NIC_MTA & 0xfffu), sizeof(got), EDU_CMD_TO_RAM, why,
		      sizeof(why));
	vt_result(rc == 0, nm("p2p.revoke.transfer_completes"), "%s", why);
	rc = vfioiommu_device_open(ctx, nic, &ndev);
	if (rc == 0)
		rc = vfioiommu_region_read(ndev, VFIOIOMMU_PCI_BAR0, NIC_MTA, got, sizeof(got));
	if (vfioiommu_ctx_backend(ctx) == VFIOIOMMU_BACKEND_IOMMUFD) {
		d = first_diff(zero, got, sizeof(got));
		vt_result(rc == 0 && d == sizeof(got), nm("p2p.revoke.exporter_closed_not_written"),
			  "rc %d, byte +0x%zx is 0x%02x: the dma-buf was not revoked", rc, d, d < sizeof(got) ? got[d] : 0);
	} else {
		d = first_diff(src + 0x100, got, sizeof(got));
		vt_result(rc == 0 && d == sizeof(got), nm("p2p.revoke.exporter_closed_still_written"),
			  "rc %d, first difference at +0x%zx (type1 keeps the BAR's page frames mapped)", rc, d);
	}
	rc = vfioiommu_dma_unmap(ctx, P2P_IOVA, PAGE);
	vt_result(rc == 0, nm("p2p.revoke.unmap"), "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	if (ndev)
		vfioiommu_region_write(ndev, VFIOIOMMU_PCI_BAR0, NIC_MTA, zero, sizeof(zero));
out:
	vfioiommu_device_close(ndev);
}

static void run(enum vfioiommu_mode mode, const char *name, const char *bdf, const char *nic)
{
	struct vfioiommu_ctx_opts o = { .size = sizeof(o), .mode = mode };
	const uint32_t rw = VFIOIOMMU_DMA_READ | VFIOIOMMU_DMA_WRITE;
	unsigned int fds0 = vt_open_fds();
	struct vfioiommu_pci_ids ids = { 0 };
	vfioiommu_device *dev = NULL;
	vfioiommu_ctx *ctx = NULL;
	uint64_t iova_src = 0, iova_dst = 0;
	uint8_t *src = MAP_FAILED, *dst = MAP_FAILED, *want = NULL;
	uint32_t id = 0, cmdreg = 0;
	char why[256] = "";
	int rc, efd = -1;
	bool dst_mapped = false;

	snprintf(prefix, sizeof(prefix), "%s", name);
	rc = vfioiommu_ctx_new(&o, &ctx);
	if (rc == 0)
		rc = vfioiommu_device_open(ctx, bdf, &dev);
	vt_result(rc == 0, nm("open"), "%s: %d (%s)", bdf, rc, vfioiommu_strerror(ctx));
	if (rc)
		goto out;
	rc = vfioiommu_pci_ids(dev, &ids);
	vt_result(rc == 0 && ids.vendor == 0x1234 && ids.device == 0x11e8, nm("ids"), "rc %d, %04x:%04x", rc,
		  ids.vendor, ids.device);
	rc = rd32(dev, EDU_ID, &id);
	vt_result(rc == 0 && id == 0x010000ed, nm("bar0_id"), "rc %d, id 0x%08x (want 0x010000ed)", rc, id);

	/* a device that is not bus master has its DMA dropped before the IOMMU sees it */
	rc = vfioiommu_pci_config_read(dev, 0x4, 2, &cmdreg);
	if (rc == 0)
		rc = vfioiommu_pci_config_write(dev, 0x4, 2, cmdreg | 0x4);
	if (rc == 0)
		rc = vfioiommu_pci_config_read(dev, 0x4, 2, &cmdreg);
	vt_result(rc == 0 && (cmdreg & 0x4), nm("bus_master"), "rc %d, command 0x%x", rc, cmdreg);

	rc = vfioiommu_irq_enable(dev, VFIOIOMMU_PCI_IRQ_MSI, 0, 1, &efd);
	vt_result(rc == 0 && efd >= 0 && vfioiommu_irq_eventfd(dev, VFIOIOMMU_PCI_IRQ_MSI, 0) == efd, nm("msi_eventfd"),
		  "rc %d fd %d (%s)", rc, efd, vfioiommu_strerror(ctx));
	if (rc)
		goto out;

	src = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	want = malloc(PAGE);
	if (src == MAP_FAILED || dst == MAP_FAILED || !want) {
		vt_result(false, nm("buffers"), "mmap/malloc failed");
		goto out;
	}
	for (unsigned int i = 0; i < PAGE; i++)
		src[i] = (uint8_t)(i * 7 + 3 + (mode == VFIOIOMMU_MODE_IOMMUFD ? 0x40 : 0));
	memset(dst, 0, PAGE);

	/* the DMA mask is the window: the library's allocator keeps to it */
	rc = vfioiommu_dma_map_in(ctx, src, PAGE, VFIOIOMMU_DMA_READ, 0, 0, EDU_DMA_MASK, &iova_src);
	vt_result(rc == 0 && iova_src + PAGE - 1 <= EDU_DMA_MASK, nm("map_src"), "rc %d iova 0x%" PRIx64 " (%s)", rc,
		  iova_src, vfioiommu_strerror(ctx));
	if (rc)
		goto out;
	rc = vfioiommu_dma_map_in(ctx, dst, PAGE, rw, 0, 0, EDU_DMA_MASK, &iova_dst);
	vt_result(rc == 0 && iova_dst + PAGE - 1 <= EDU_DMA_MASK, nm("map_dst"), "rc %d iova 0x%" PRIx64 " (%s)", rc,
		  iova_dst, vfioiommu_strerror(ctx));
	if (rc)
		goto out;
	dst_mapped = true;
	printf("# %s: source at IOVA 0x%" PRIx64 ", destination at IOVA 0x%" PRIx64 "\n", name, iova_src, iova_dst);

	rc = transfer(dev, efd, iova_src, EDU_BUF, EDU_MAX, 0, why, sizeof(why));
	vt_result(rc == 0, nm("ram_to_device"), "%s", why);
	if (rc)
		goto out;
	rc = transfer(dev, efd, EDU_BUF, iova_dst, EDU_MAX, EDU_CMD_TO_RAM, why, sizeof(why));
	vt_result(rc == 0, nm("device_to_ram"), "%s", why);
	if (rc)
		goto out;
	memcpy(want, src, EDU_MAX);
	want[EDU_MAX] = 0; /* the byte past the transfer keeps its 0 */
	size_t d = first_diff(want, dst, PAGE);
	vt_result(d == PAGE, nm("bytes_round_trip"), "first difference at +0x%zx: 0x%02x, want 0x%02x", d,
		  d < PAGE ? dst[d] : 0, d < PAGE ? want[d] : 0);

	/* a piece: device buffer +0x100..+0x17f to destination +0x800, nothing else touched */
	memset(dst, 0xa5, PAGE);
	memset(want, 0xa5, PAGE);
	memcpy(want + 0x800, src + 0x100, 0x80);
	rc = transfer(dev, efd, EDU_BUF + 0x100, iova_dst + 0x800, 0x80, EDU_CMD_TO_RAM, why, sizeof(why));
	vt_result(rc == 0, nm("device_to_ram_piece"), "%s", why);
	d = first_diff(want, dst, PAGE);
	vt_result(rc == 0 && d == PAGE, nm("bytes_piece"), "first difference at +0x%zx: 0x%02x, want 0x%02x", d,
		  d < PAGE ? dst[d] : 0, d < PAGE ? want[d] : 0);

	/* after the unmap, the same DMA must not land */
	rc = vfioiommu_dma_unmap(ctx, iova_dst, PAGE);
	vt_result(rc == 0, nm("unmap_dst"), "rc %d (%s)", rc, vfioiommu_strerror(ctx));
	if (rc)
		goto out;
	dst_mapped = false;
	memset(dst, 0x5a, PAGE);
	rc = transfer(dev, efd, EDU_BUF, iova_dst, EDU_MAX, EDU_CMD_TO_RAM, why, sizeof(why));
	vt_result(rc == 0, nm("device_to_unmapped_iova_completes"), "%s", why);
	d = first_not(dst, 0x5a, PAGE);
	vt_result(d == PAGE, nm("unmapped_iova_not_written"), "byte +0x%zx changed to 0x%02x after the unmap", d,
		  d < PAGE ? dst[d] : 0);
	/* the source is mapped for the device to read only: a write to it must not land either */
	rc = transfer(dev, efd, EDU_BUF + 0x100, iova_src, 0x80, EDU_CMD_TO_RAM, why, sizeof(why));
	vt_result(rc == 0, nm("device_to_readonly_iova_completes"), "%s", why);
	for (d = 0; d < PAGE && src[d] == (uint8_t)(d * 7 + 3 + (mode == VFIOIOMMU_MODE_IOMMUFD ? 0x40 : 0)); d++)
		;
	vt_result(d == PAGE, nm("readonly_iova_not_written"), "byte +0x%zx of the read-only source changed", d);
	/* the engine still works: the source mapping is live */
	rc = transfer(dev, efd, iova_src, EDU_BUF, EDU_MAX, 0, why, sizeof(why));
	vt_result(rc == 0, nm("ram_to_device_after_fault"), "%s", why);
	if (rc == 0 && nic)
		p2p(ctx, dev, efd, src, nic);

out:
	if (dev && efd >= 0) {
		rc = vfioiommu_irq_disable(dev, VFIOIOMMU_PCI_IRQ_MSI);
		vt_result(rc == 0, nm("msi_disable"), "rc %d", rc);
	}
	if (dst_mapped)
		vfioiommu_dma_unmap(ctx, iova_dst, PAGE);
	if (iova_src)
		vfioiommu_dma_unmap(ctx, iova_src, PAGE);
	vfioiommu_device_close(dev);
	vfioiommu_ctx_destroy(ctx);
	if (src != MAP_FAILED)
		munmap(src, PAGE);
	if (dst != MAP_FAILED)
		munmap(dst, PAGE);
	free(want);
	vt_result(vt_open_fds() == fds0, nm("no_fd_leak"), "%u fds open after teardown, %u before", vt_open_fds(),
		  fds0);
}

int main(void)
{
	const char *bdf = getenv("VFIOIOMMU_VM_EDU"), *topo = getenv("VFIOIOMMU_VM_TOPOLOGY");
	const char *bdfs = getenv("VFIOIOMMU_VM_BDFS");
	char nic[32] = "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bdf || !*bdf) {
		printf("skip - edu (no edu device on vfio-pci: VFIOIOMMU_VM_EDU is empty; run-vm.sh --edu)\n");
		return 77;
	}
	if (!bdfs || sscanf(bdfs, "%31s", nic) != 1)
		printf("# no NIC in VFIOIOMMU_VM_BDFS: the peer-to-peer checks do not run\n");
	run(VFIOIOMMU_MODE_CONTAINER, "type1v2", bdf, nic[0] ? nic : NULL);
	run(VFIOIOMMU_MODE_IOMMUFD, "iommufd", bdf, nic[0] ? nic : NULL);
	printf("edu %s (real kernel): %u passed, %u failed\n", topo ? topo : "?", vt_npass, vt_nfail);
	return vt_nfail ? 1 : 0;
}
