/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * type1's live update (VFIO_UPDATE_VADDR): the process addresses of a
 * container's mappings are dropped before the container fd goes to another
 * process and given again by that process.  The IOMMU keeps translating
 * meanwhile (the pages stay pinned); type1 does not offer it while an
 * emulated IOMMU group (an mdev's) is in the container, as that pins on
 * demand from the process's addresses.
 */
#include <errno.h>
#include <stdint.h>

#include "core/internal.h"
#include "internal.h"
#include "kabi/kabi.h"

int vi_container_vaddr_supported(struct vfioiommu_ctx *ctx)
{
	int fd = vi_container_fd(ctx);
	int rc;

	if (fd < 0)
		return fd;
	/* 0 until SET_IOMMU, and 0 with an emulated (mdev) IOMMU group in the container */
	rc = vi_kioctl(ctx, fd, KABI_VFIO_CHECK_EXTENSION, (void *)(uintptr_t)KABI_VFIO_UPDATE_VADDR);
	return rc < 0 ? rc : rc > 0;
}

int vi_container_vaddr_invalidate(struct vfioiommu_ctx *ctx, uint64_t *bytes)
{
	struct kabi_vfio_dma_unmap u = {
		.argsz = sizeof(u),
		.flags = KABI_VFIO_DMA_UNMAP_FLAG_VADDR | KABI_VFIO_DMA_UNMAP_FLAG_ALL,
	};
	int rc = vi_kioctl(ctx, vi_container_fd(ctx), KABI_VFIO_IOMMU_UNMAP_DMA, &u);

	*bytes = rc < 0 ? 0 : u.size;
	return rc < 0 ? rc : 0;
}

int vi_container_vaddr_update(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t vaddr)
{
	/* no READ/WRITE with VADDR: the kernel refuses a permission change here */
	struct kabi_vfio_dma_map m = {
		.argsz = sizeof(m), .flags = KABI_VFIO_DMA_MAP_FLAG_VADDR, .vaddr = vaddr, .iova = iova, .size = len,
	};
	int rc = vi_kioctl(ctx, vi_container_fd(ctx), KABI_VFIO_IOMMU_MAP_DMA, &m);

	return rc < 0 ? rc : 0;
}
