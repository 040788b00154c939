/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What liveupdate.c needs of dma.c's state.  vi_dma_begin() returns the
 * table with the DMA lock held (and ctx->lock too when @both), or NULL with
 * *err set and nothing held; vi_dma_end() lets go of what it took.  The
 * other two run between them.
 */
#ifndef VI_DMA_LU_H
#define VI_DMA_LU_H

#include <stdbool.h>
#include <stdint.h>

#include "dma_table.h"

struct vi_dma_table *vi_dma_begin(struct vfioiommu_ctx *ctx, bool both, int *err);
void vi_dma_end(struct vfioiommu_ctx *ctx, bool both);
/* Give m a new process address, keeping translate's index right. */
void vi_dma_set_vaddr(struct vfioiommu_ctx *ctx, struct vi_mapping *m, uint64_t vaddr);
/* Room for @more mappings more, so that the vi_dma_add() calls that follow cannot fail.  0 or -ENOMEM. */
int vi_dma_reserve(struct vfioiommu_ctx *ctx, size_t more);
/* Record a mapping the kernel already holds (room reserved; no overlap: the caller checked). */
void vi_dma_add(struct vfioiommu_ctx *ctx, uint64_t iova, uint64_t len, uint64_t vaddr, uint32_t prot, bool file,
		bool va_invalid);

#endif
