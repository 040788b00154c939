/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Peer to peer: a BAR of one device mapped for DMA by a context's devices,
 * over the public region and DMA calls of the areas below.  iommufd takes
 * BAR memory only as a dma-buf (its IOAS_MAP of a BAR's mmap is EFAULT);
 * type1 takes the BAR's process address (tests/vm/FACTS.md section 7).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include <vfioiommu/device.h>
#include <vfioiommu/dma.h>
#include <vfioiommu/p2p.h>
#include "backend/internal.h"
#include "core/internal.h"
#include "device/internal.h"
#include "kabi/kabi.h"

static uint64_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (uint64_t)p : 4096;
}

/* The dma-buf of [off, off + len) of BAR @index: a new fd, or -errno with the message on @ctx. */
static int export_dmabuf(struct vfioiommu_ctx *ctx, struct vfioiommu_device *dev, uint32_t index, uint64_t off,
			 uint64_t len)
{
	struct kabi_vfio_feature_dma_buf q = {
		.argsz = sizeof(q),
		.flags = KABI_VFIO_DEVICE_FEATURE_GET | KABI_VFIO_DEVICE_FEATURE_DMA_BUF,
		.region_index = index,
		.open_flags = O_RDWR | O_CLOEXEC,
		.nr_ranges = 1,
		.range = { { off, len } },
	};
	/* the device fd is the exporting device's context's: its door */
	int fd = vi_kioctl(dev->ctx, dev->fd, KABI_VFIO_DEVICE_FEATURE, &q);

	if (fd >= 0)
		return fd;
	if (fd == -ENOTTY)
		return vi_fail(ctx, -EOPNOTSUPP, "%s: the kernel cannot export BAR %u as a dma-buf "
			       "(VFIO_DEVICE_FEATURE_DMA_BUF: ENOTTY; it needs Linux 6.19+ built with "
			       "CONFIG_VFIO_PCI_DMABUF), and iommufd maps no BAR through its process address: "
			       "on this kernel peer-to-peer DMA needs a VFIO container (type1)", dev->bdf, index);
	if (fd == -EOPNOTSUPP)
		return vi_fail(ctx, fd, "%s: its VFIO driver exports no dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF: "
			       "EOPNOTSUPP), which iommufd needs to map BAR %u: use a VFIO container (type1)",
			       dev->bdf, index);
	return vi_fail(ctx, fd, "%s: exporting BAR %u [0x%" PRIx64 ", 0x%" PRIx64 "] as a dma-buf "
		       "(VFIO_DEVICE_FEATURE_DMA_BUF) failed: %s", dev->bdf, index, off, off + (len - 1),
		       vi_errno_name(fd));
}

VFIOIOMMU_API int vfioiommu_dma_map_region(vfioiommu_ctx *ctx, vfioiommu_device *dev, uint32_t index,
					   uint64_t offset, uint64_t len, uint32_t flags, uint64_t *iova)
{
	struct vfioiommu_region_info ri = { .size = sizeof(ri) };
	uint64_t pg = page_size();
	void *addr = NULL;
	int rc, fd;

	if (!ctx)
		return -EINVAL;
	if (!dev || !iova)
		return vi_fail(ctx, -EINVAL, "vfioiommu_dma_map_region: %s is NULL", !dev ? "dev" : "iova");
	if (index > VFIOIOMMU_PCI_BAR5)
		return vi_fail(ctx, -EOPNOTSUPP, "%s: region %u (%s) is not a BAR: only a BAR can be a "
			       "peer-to-peer DMA target", dev->bdf, index, vfioiommu_pci_region_name(index));
	if (!len || ((offset | len) & (pg - 1)))
		return vi_fail(ctx, -EINVAL, "%s: BAR %u offset 0x%" PRIx64 " and length 0x%" PRIx64 " must be "
			       "multiples of the 0x%" PRIx64 "-byte page, the length not 0", dev->bdf, index, offset,
			       len, pg);
	if (offset + len < offset)
		return vi_fail(ctx, -EINVAL, "%s: BAR %u offset 0x%" PRIx64 " + length 0x%" PRIx64 " wraps",
			       dev->bdf, index, offset, len);
	rc = vfioiommu_region_info(dev, index, &ri);
	if (rc < 0)
		return vi_fail(ctx, rc, "%s: BAR %u: %s", dev->bdf, index, vfioiommu_strerror(dev->ctx));
	if (!ri.region_size)
		return vi_fail(ctx, -EOPNOTSUPP, "%s: BAR %u is unused (size 0): nothing to map", dev->bdf, index);
	if (!(ri.flags & VFIOIOMMU_REGION_MMAP))
		return vi_fail(ctx, -EOPNOTSUPP, "%s: BAR %u cannot be mmapped (an I/O BAR, or one the kernel "
			       "keeps to itself), so it cannot be a DMA target", dev->bdf, index);
	if (offset + len > ri.region_size)
		return vi_fail(ctx, -EINVAL, "%s: [0x%" PRIx64 ", 0x%" PRIx64 "] lies outside BAR %u (0x%" PRIx64
			       " bytes)", dev->bdf, offset, offset + (len - 1), index, ri.region_size);

	if (ctx->be && ctx->be->map_file) {
		fd = export_dmabuf(ctx, dev, index, offset, len);
		if (fd < 0)
			return fd;
		rc = vfioiommu_dma_map_file(ctx, fd, 0, len, flags, iova);
		/* the IOAS keeps its own reference to the dma-buf */
		vi_kclose(dev->ctx, fd);
		return rc;
	}
	/*
	 * A container: type1 maps the BAR through its process address.  An mmap
	 * the device already has is reused (the caller's, or one made by an
	 * earlier call for the same slice), so repeated calls do not pile up
	 * mappings.  A new one stays until the device closes, even when the
	 * DMA map fails: another thread may already be mapping through it.
	 */
	addr = vi_region_mapped(dev, index, offset, len);
	if (!addr && (rc = vfioiommu_region_mmap(dev, index, offset, len, 0, &addr)) < 0)
		return vi_fail(ctx, rc, "%s: mapping BAR %u into the process (which a VFIO container maps from) "
			       "failed: %s", dev->bdf, index, vfioiommu_strerror(dev->ctx));
	return vfioiommu_dma_map(ctx, addr, len, flags, iova);
}
