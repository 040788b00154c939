/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/**
 * @file vfioiommu/p2p.h
 * Peer to peer: one device's BAR mapped for DMA by the devices of a context.
 *
 * The kernel offers two ways, and the library takes the one the context's
 * backend has (tests/vm/FACTS.md section 7, measured on Linux 7.2):
 *  - iommufd: the BAR slice is exported as a dma-buf
 *    (VFIO_DEVICE_FEATURE_DMA_BUF, Linux 6.19+, CONFIG_VFIO_PCI_DMABUF) and
 *    the dma-buf is mapped with IOMMU_IOAS_MAP_FILE.  iommufd refuses the
 *    BAR's process address (IOMMU_IOAS_MAP of an mmap of a BAR is EFAULT).
 *    When the exporting device is closed or reset, the kernel revokes the
 *    dma-buf and the IOMMU stops translating the range.
 *  - a VFIO type1 container: the BAR slice's process address is mapped with
 *    VFIO_IOMMU_MAP_DMA, which accepts BAR memory.  An mmap of the device
 *    that already shows the slice (vfioiommu_region_mmap(),
 *    vfioiommu_pci_map_bar(), or an earlier call) is reused; otherwise the
 *    slice is mmapped and that mapping stays until the exporting device is
 *    closed.  Unmap the DMA mapping before closing the device: type1 keeps
 *    the BAR's page frames mapped after the device closes (measured), so
 *    the IOMMU still lets DMA reach the BAR until the mapping is unmapped.
 *
 * Either way the result is one mapping of the context's table: unmap it with
 * vfioiommu_dma_unmap() or vfioiommu_dma_unmap_at().  Whether the platform
 * routes the transfer between the two devices (the PCIe topology, ACS) is
 * not something the kernel reports here: check with a transfer.
 */
#ifndef VFIOIOMMU_P2P_H
#define VFIOIOMMU_P2P_H

#include <vfioiommu/common.h>

VFIOIOMMU_BEGIN_DECLS

/**
 * Map [offset, offset + len) of region @p index of @p dev (a memory BAR) for
 * DMA by the devices of @p ctx.  @p dev may belong to @p ctx or to another
 * context on the same door.
 * @param ctx    the context whose devices will reach the BAR
 * @param dev    the device that owns the BAR
 * @param index  the region: a BAR, 0..5, that the kernel lets be mmapped
 * @param offset where in the BAR the mapping starts, a multiple of the page size
 * @param len    bytes, a multiple of the page size, not 0
 * @param flags  as vfioiommu_dma_map(): READ and/or WRITE, optionally FIXED_IOVA
 * @param iova   with FIXED_IOVA in: the IOVA to map at; out: the IOVA mapped at
 * @return 0; -EINVAL NULL @p ctx, @p dev or @p iova, @p len 0, a range that
 * wraps or lies outside the region, or a misaligned @p offset or @p len;
 * -EOPNOTSUPP the region cannot be mapped this way (not a BAR, an empty BAR,
 * an I/O BAR or one the kernel does not let be mmapped), a kernel without
 * dma-buf export on iommufd (the message says which), or a no-IOMMU container;
 * -ENOENT no such region; the errors of vfioiommu_dma_map() and
 * vfioiommu_region_mmap(); another -errno from the kernel.
 */
VFIOIOMMU_API int vfioiommu_dma_map_region(vfioiommu_ctx *ctx, vfioiommu_device *dev, uint32_t index,
					   uint64_t offset, uint64_t len, uint32_t flags, uint64_t *iova);

VFIOIOMMU_END_DECLS

#endif
