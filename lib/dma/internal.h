/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * dma/: map, unmap and translate with one errno meaning, over the backend's
 * MAP/UNMAP operations (ctx->be), with the library's own table of mappings
 * and the IOVA allocator.
 */
#ifndef VI_DMA_INTERNAL_H
#define VI_DMA_INTERNAL_H

#include "core/internal.h"

/* Free the DMA state at context teardown (mappings die with the container or IOAS). */
void vi_dma_destroy(struct vfioiommu_ctx *ctx);

/*
 * Unmap the whole mappings [iova, iova + len) covers, as vfioiommu_dma_unmap()
 * does (same checks, same table update, same messages), through the backend's
 * unmap_dirty: the kernel sets the range's dirty bits in @bitmap, one per
 * @pgsize page from @iova (the caller zeroes it and checks its size).
 * -EOPNOTSUPP when the backend has no such unmap.  Takes dma/'s lock; the
 * caller must not hold ctx->lock.
 */
int vi_dma_unmap_dirty(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t pgsize, uint64_t *bitmap,
		       uint64_t bitmap_bytes);

#endif
