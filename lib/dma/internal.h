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

#endif
